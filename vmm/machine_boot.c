// SPDX-License-Identifier: MIT
/*
 * What the guest finds in RAM at power-on: the kernel, its command line,
 * the initrd, the ACPI tables, the boot information and the boot page
 * tables. Written once at start and again on every reset (a rebooting
 * kernel may have overwritten any of it), from the -kernel and -initrd
 * files opened at start and kept open: the sandboxed main thread that
 * resets cannot open files.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/bootinfo.h"
#include "boot/layout.h"
#include "util/log.h"
#include "util/util.h"
#include "vmm/cpu.h"
#include "vmm/machine.h"

#define MAX_KERNEL_FILE (512 * MiB)

static int read_input_file(const char *what, int fd, const char *path,
			   uint8_t **buf, size_t *len, size_t max, char *err,
			   size_t errlen)
{
	int r = util_read_fd(fd, buf, len, max);

	if (r == -EFBIG)
		return machine_err(err, errlen, r, max == MAX_KERNEL_FILE ?
				   "%s '%s' is larger than %zu MiB." :
				   "%s '%s' is larger than guest RAM (%zu MiB).",
				   what, path, (size_t)(max / MiB));
	if (r == -EINVAL)
		return machine_err(err, errlen, r, "%s '%s' is not a regular file.",
				 what, path);
	if (r < 0)
		return machine_err(err, errlen, r, "cannot read %s '%s': %s.", what,
				 path, strerror(-r));
	return 0;
}

static int machine_load_kernel(struct machine *m, char *err, size_t errlen)
{
	const char *path = m->cfg->kernel;
	uint8_t *buf = NULL, *vmlinux = NULL;
	size_t len = 0, vlen = 0;
	const char *algo = NULL;
	int r;

	r = read_input_file("kernel", m->kernel_fd, path, &buf, &len,
			    MAX_KERNEL_FILE, err, errlen);
	if (r < 0)
		return r;
	if (elf_is_elf(buf, len)) {
		r = elf_load_kernel(&m->mem, buf, len, &m->kernel);
	} else if (bzimage_is_bzimage(buf, len)) {
		r = bzimage_parse(buf, len, &m->kernel);
		if (r == -ENOTSUP) {
			r = machine_err(err, errlen, r,
				      "kernel '%s' is a bzImage too old for the 64-bit boot protocol (need 2.12 or later).",
				      path);
			goto out;
		}
		if (r == 0 && pvm_prefers_vmlinux(&m->pvm)) {
			struct setup_header hdr = m->kernel.hdr;

			r = bzimage_extract_vmlinux(buf, len, &vmlinux, &vlen, &algo);
			if (r == -EPROTONOSUPPORT) {
				r = machine_err(err, errlen, r,
					      "kernel '%s': cannot extract its vmlinux (compression not supported).",
					      path);
				goto out;
			}
			if (r == 0)
				r = elf_load_kernel(&m->mem, vmlinux, vlen, &m->kernel);
			if (r == 0) {
				/* The bzImage's limits still describe this kernel. */
				m->kernel.hdr = hdr;
				m->kernel.has_setup_header =
					m->kernel.mode == BOOT_LINUX64;
				m->kernel.format = m->kernel.mode == BOOT_PVH ?
					"bzImage -> extracted vmlinux, PVH entry" :
					"bzImage -> extracted vmlinux, 64-bit entry";
			}
		} else if (r == 0) {
			r = bzimage_load_kernel(&m->mem, buf, len, &m->kernel);
		}
	} else {
		r = machine_err(err, errlen, -ENOEXEC,
			      "'%s' is not a kernel: neither an ELF (vmlinux or PVH image) nor a bzImage.",
			      path);
		goto out;
	}
	if (r == -EPROTO)
		r = machine_err(err, errlen, r,
			      "kernel '%s' is a 32-bit ELF without a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY): there is no way to start it.",
			      path);
	else if (r == -ERANGE)
		r = machine_err(err, errlen, r,
			      "kernel '%s' does not fit in %" PRIu64 " MiB of guest RAM (its load addresses lie outside RAM or wrap).",
			      path, m->cfg->ram_size / MiB);
	else if (r == -ENOMEM)
		r = machine_err(err, errlen, r, "out of memory loading kernel '%s'.", path);
	else if (r < 0)
		r = machine_err(err, errlen, r,
			      "kernel '%s' is damaged or not a bootable x86-64 kernel.",
			      path);
	else
		pr_info("kernel '%s': %s%s%s, entry %#" PRIx64, path,
			m->kernel.format, algo ? ", payload " : "", algo ? algo : "",
			m->kernel.entry);
out:
	free(vmlinux);
	free(buf);
	return r;
}

static int machine_load_initrd(struct machine *m, struct boot_setup *bs,
			       char *err, size_t errlen)
{
	const char *path = m->cfg->initrd;
	uint8_t *buf;
	size_t len;
	int r;

	if (!path)
		return 0;
	r = read_input_file("initrd", m->initrd_fd, path, &buf, &len,
			    m->cfg->ram_size, err, errlen);
	if (r < 0)
		return r;
	r = bootinfo_place_initrd(&m->mem, &m->kernel, len, &bs->initrd_gpa);
	if (r == 0)
		r = guestmem_write(&m->mem, bs->initrd_gpa, buf, len);
	free(buf);
	if (r < 0)
		return machine_err(err, errlen, r,
				 "initrd '%s' (%zu KiB) does not fit in guest RAM above the kernel.",
				 path, len / 1024);
	bs->initrd_size = len;
	return 0;
}

static int machine_write_cmdline(struct machine *m, struct boot_setup *bs,
				 uint32_t *cmdline_len, char *err,
				 size_t errlen)
{
	const char *user = m->cfg->append ? m->cfg->append : "";
	const char *extra = pvm_cmdline_extra(&m->pvm);
	size_t max = LAYOUT_CMDLINE_MAX;
	char *line;
	int n;

	if (m->kernel.has_setup_header && m->kernel.hdr.cmdline_size)
		max = MIN(max, (size_t)m->kernel.hdr.cmdline_size + 1);
	n = asprintf(&line, "%s%s%s", user, extra && *user ? " " : "",
		     extra ? extra : "");
	if (n < 0)
		return machine_err(err, errlen, -ENOMEM, "out of memory.");
	if ((size_t)n + 1 > max) {
		free(line);
		return machine_err(err, errlen, -E2BIG,
				 "-append: the kernel command line is %d bytes; this kernel takes at most %zu.",
				 n, max - 1);
	}
	guestmem_write(&m->mem, LAYOUT_CMDLINE, line, n + 1);
	pr_debug("kernel command line: %s", line);
	free(line);
	bs->cmdline_gpa = LAYOUT_CMDLINE;
	*cmdline_len = n;
	return 0;
}


int machine_open_boot_files(struct machine *m, char *err, size_t errlen)
{
	const struct vm_config *cfg = m->cfg;

	m->kernel_fd = open(cfg->kernel, O_RDONLY | O_CLOEXEC);
	if (m->kernel_fd < 0)
		return machine_err(err, errlen, -errno, "cannot read kernel '%s': %s.",
				   cfg->kernel, strerror(errno));
	if (!cfg->initrd)
		return 0;
	m->initrd_fd = open(cfg->initrd, O_RDONLY | O_CLOEXEC);
	if (m->initrd_fd < 0)
		return machine_err(err, errlen, -errno, "cannot read initrd '%s': %s.",
				   cfg->initrd, strerror(errno));
	return 0;
}

int machine_load_boot(struct machine *m, char *err, size_t errlen)
{
	const struct vm_config *cfg = m->cfg;
	struct boot_setup bs = { 0 };
	uint32_t cmdline_len = 0;
	int r;

	memset(&m->kernel, 0, sizeof(m->kernel));
	if ((r = machine_load_kernel(m, err, errlen)) < 0 ||
	    (r = machine_write_cmdline(m, &bs, &cmdline_len, err, errlen)) < 0 ||
	    (r = machine_load_initrd(m, &bs, err, errlen)) < 0)
		return r;
	r = acpi_build(&m->mem, cfg->ncpus, m->apic_ids, &bs.rsdp_gpa);
	if (r < 0)
		return machine_err(err, errlen, r, "cannot build the ACPI tables.");
	if (m->kernel.mode == BOOT_PVH) {
		m->boot_info = LAYOUT_PVH_INFO;
		r = bootinfo_write_pvh(&m->mem, m->boot_info, &bs);
	} else {
		m->boot_info = LAYOUT_ZERO_PAGE;
		r = bootinfo_write_zero_page(&m->mem, m->boot_info, &m->kernel,
					     &bs, cmdline_len);
	}
	if (r == 0)
		r = cpu_write_boot_tables(&m->mem, m->kernel.mode);
	if (r < 0)
		return machine_err(err, errlen, r, "cannot write the boot information.");
	return 0;
}
