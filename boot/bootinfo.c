// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include <asm/e820.h>

#include "util/util.h"
#include "boot/bootinfo.h"
#include "boot/layout.h"
#include "devices/pci.h"

#ifndef E820_RAM
#define E820_RAM 1
#define E820_RESERVED 2
#endif

unsigned int e820_build(const struct guestmem *gm,
			struct boot_e820_entry *tab, unsigned int max)
{
	unsigned int n = 0;

#define E820_ADD(a, s, t)                                              \
	do {                                                           \
		if (n < max)                                           \
			tab[n] = (struct boot_e820_entry){ (a), (s), (t) }; \
		n++;                                                   \
	} while (0)
	E820_ADD(0, LAYOUT_EBDA_START, E820_RAM);
	/* VGA window and BIOS area; our ACPI tables live here. */
	E820_ADD(LAYOUT_EBDA_START, LAYOUT_HIGH_MEM - LAYOUT_EBDA_START,
		 E820_RESERVED);
	if (guestmem_low_end(gm) > LAYOUT_HIGH_MEM)
		E820_ADD(LAYOUT_HIGH_MEM, guestmem_low_end(gm) - LAYOUT_HIGH_MEM,
			 E820_RAM);
	/* The ECAM window must be reserved or Linux will not use it. */
	E820_ADD(LAYOUT_PCI_ECAM, PCI_ECAM_SIZE, E820_RESERVED);
	if (gm->nr_regions > 1)
		E820_ADD(gm->regions[1].gpa, gm->regions[1].size, E820_RAM);
#undef E820_ADD
	return n < max ? n : max;
}

int bootinfo_place_initrd(const struct guestmem *gm,
			  const struct boot_kernel *bk, uint64_t size,
			  uint64_t *gpa)
{
	uint64_t top = guestmem_low_end(gm);
	uint64_t addr;

	/* The protocol's limit is the last byte the initrd may occupy. */
	if (bk->has_setup_header && bk->hdr.initrd_addr_max &&
	    (uint64_t)bk->hdr.initrd_addr_max + 1 < top)
		top = (uint64_t)bk->hdr.initrd_addr_max + 1;
	if (size > top)
		return -EFBIG;
	addr = ALIGN_DOWN(top - size, 4096);
	if (addr < ALIGN_UP(bk->end, 4096))
		return -EFBIG;
	*gpa = addr;
	return 0;
}

int bootinfo_write_zero_page(const struct guestmem *gm, uint64_t gpa,
			     const struct boot_kernel *bk,
			     const struct boot_setup *bs, uint32_t cmdline_len)
{
	struct boot_params *bp = guestmem_ptr(gm, gpa, sizeof(*bp));
	struct setup_header *h;

	if (!bp)
		return -EFAULT;
	memset(bp, 0, sizeof(*bp));
	h = &bp->hdr;
	if (bk->has_setup_header) {
		*h = bk->hdr;
	} else {
		/* A bare vmlinux: the fields startup_64 looks at. */
		h->boot_flag = 0xaa55;
		h->header = 0x53726448;
		h->version = 0x020f;
		h->kernel_alignment = 0x1000000;
	}
	h->type_of_loader = 0xff;   /* undefined loader */
	h->loadflags |= KEEP_SEGMENTS;
	h->loadflags &= ~QUIET_FLAG;
	h->cmd_line_ptr = (uint32_t)bs->cmdline_gpa;
	bp->ext_cmd_line_ptr = (uint32_t)(bs->cmdline_gpa >> 32);
	if (h->cmdline_size && cmdline_len > h->cmdline_size)
		return -E2BIG;
	if (bs->initrd_size) {
		h->ramdisk_image = (uint32_t)bs->initrd_gpa;
		h->ramdisk_size = (uint32_t)bs->initrd_size;
		bp->ext_ramdisk_image = (uint32_t)(bs->initrd_gpa >> 32);
		bp->ext_ramdisk_size = (uint32_t)(bs->initrd_size >> 32);
	}
	bp->acpi_rsdp_addr = bs->rsdp_gpa;
	bp->e820_entries = e820_build(gm, bp->e820_table,
				      ARRAY_SIZE(bp->e820_table));
	return 0;
}

int bootinfo_write_pvh(const struct guestmem *gm, uint64_t gpa,
		       const struct boot_setup *bs)
{
	struct boot_e820_entry e820[E820_MAX];
	struct hvm_start_info *si;
	struct hvm_memmap_table_entry *mm;
	struct hvm_modlist_entry *mod;
	uint64_t mm_gpa = gpa + 0x40, mod_gpa = gpa + 0x400;
	unsigned int n = e820_build(gm, e820, E820_MAX);

	si = guestmem_ptr(gm, gpa, sizeof(*si));
	mm = guestmem_ptr(gm, mm_gpa, n * sizeof(*mm));
	mod = guestmem_ptr(gm, mod_gpa, sizeof(*mod));
	if (!si || !mm || !mod || mm_gpa + n * sizeof(*mm) > mod_gpa)
		return -EFAULT;
	memset(si, 0, sizeof(*si));
	si->magic = XEN_HVM_START_MAGIC;
	si->version = 1;
	si->cmdline_paddr = bs->cmdline_gpa;
	si->rsdp_paddr = bs->rsdp_gpa;
	si->memmap_paddr = mm_gpa;
	si->memmap_entries = n;
	for (unsigned int i = 0; i < n; i++)
		mm[i] = (struct hvm_memmap_table_entry){
			e820[i].addr, e820[i].size, e820[i].type, 0 };
	if (bs->initrd_size) {
		memset(mod, 0, sizeof(*mod));
		mod->paddr = bs->initrd_gpa;
		mod->size = bs->initrd_size;
		si->nr_modules = 1;
		si->modlist_paddr = mod_gpa;
	}
	return 0;
}
