// SPDX-License-Identifier: MIT
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "util/log.h"
#include "vmm/boot.h"
#include "vmm/layout.h"

/* A kernel has a handful of segments; thousands is a hostile file. */
#define ELF_MAX_PHDRS 64

bool elf_is_elf(const uint8_t *buf, size_t len)
{
	return len >= SELFMAG && !memcmp(buf, ELFMAG, SELFMAG);
}

/* A range [off, off+size) inside a buffer of @len bytes, without wrapping. */
static bool in_file(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

static int elf_find_pvh_entry(const uint8_t *buf, size_t len,
			      const Elf64_Phdr *ph, uint64_t *entry)
{
	uint64_t off = ph->p_offset, end;

	if (!in_file(ph->p_offset, ph->p_filesz, len))
		return -ENOEXEC;
	end = ph->p_offset + ph->p_filesz;
	while (end - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		uint64_t name_sz, desc_sz, desc_off;

		memcpy(&nh, buf + off, sizeof(nh));
		name_sz = ((uint64_t)nh.n_namesz + 3) & ~3ULL;
		desc_sz = ((uint64_t)nh.n_descsz + 3) & ~3ULL;
		desc_off = off + sizeof(nh) + name_sz;
		if (desc_off > end || desc_sz > end - desc_off)
			return -ENOEXEC;
		if (nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY && nh.n_namesz == 4 &&
		    !memcmp(buf + off + sizeof(nh), "Xen", 4)) {
			if (nh.n_descsz == 4) {
				uint32_t e;

				memcpy(&e, buf + desc_off, 4);
				*entry = e;
				return 0;
			}
			if (nh.n_descsz == 8) {
				uint64_t e;

				memcpy(&e, buf + desc_off, 8);
				*entry = e;
				return 0;
			}
			return -ENOEXEC;
		}
		off = desc_off + desc_sz;
	}
	return -ENOENT;
}

int elf_load_kernel(const struct guestmem *gm, const uint8_t *buf, size_t len,
		    struct boot_kernel *bk)
{
	Elf64_Ehdr eh;
	uint64_t lo = UINT64_MAX, hi = 0, pvh_entry = 0;
	bool have_pvh = false;
	unsigned int nload = 0;

	if (len < sizeof(eh) || !elf_is_elf(buf, len))
		return -ENOEXEC;
	memcpy(&eh, buf, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64 ||
	    eh.e_type != ET_EXEC || eh.e_phentsize != sizeof(Elf64_Phdr))
		return -ENOEXEC;
	if (eh.e_phnum == 0 || eh.e_phnum > ELF_MAX_PHDRS ||
	    !in_file(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr), len))
		return -ENOEXEC;

	/* Validate every header before touching guest memory. */
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, buf + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_NOTE && !have_pvh) {
			int r = elf_find_pvh_entry(buf, len, &ph, &pvh_entry);

			if (r == 0)
				have_pvh = true;
			else if (r != -ENOENT)
				return r;
		}
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ph.p_filesz > ph.p_memsz || !in_file(ph.p_offset, ph.p_filesz, len))
			return -ENOEXEC;
		if (ph.p_paddr + ph.p_memsz < ph.p_paddr)
			return -ERANGE;
		/* The kernel must sit in RAM above our low boot structures. */
		if (ph.p_paddr < LAYOUT_HIGH_MEM ||
		    !guestmem_is_ram(gm, ph.p_paddr, ph.p_memsz))
			return -ERANGE;
		/* Segments must not overlap each other. */
		for (unsigned int j = 0; j < i; j++) {
			Elf64_Phdr q;

			memcpy(&q, buf + eh.e_phoff + j * sizeof(q), sizeof(q));
			if (q.p_type != PT_LOAD || q.p_memsz == 0)
				continue;
			if (ph.p_paddr < q.p_paddr + q.p_memsz &&
			    q.p_paddr < ph.p_paddr + ph.p_memsz)
				return -ENOEXEC;
		}
		lo = ph.p_paddr < lo ? ph.p_paddr : lo;
		hi = ph.p_paddr + ph.p_memsz > hi ? ph.p_paddr + ph.p_memsz : hi;
		nload++;
	}
	if (!nload)
		return -ENOEXEC;

	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		uint8_t *dst;

		memcpy(&ph, buf + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		dst = guestmem_ptr(gm, ph.p_paddr, ph.p_memsz);
		memcpy(dst, buf + ph.p_offset, ph.p_filesz);
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}

	bk->start = lo;
	bk->end = hi;
	bk->has_setup_header = false;
	if (have_pvh) {
		bk->mode = BOOT_PVH;
		bk->entry = pvh_entry;
		bk->format = "ELF vmlinux, PVH entry";
	} else {
		/* vmlinux's e_entry is virtual; its physical twin is startup_64. */
		bk->mode = BOOT_LINUX64;
		bk->entry = eh.e_entry >= 0xffffffff80000000ULL ?
			    eh.e_entry - 0xffffffff80000000ULL : eh.e_entry;
		bk->format = "ELF vmlinux, 64-bit entry";
	}
	if (!guestmem_is_ram(gm, bk->entry, 1) || bk->entry < lo ||
	    bk->entry >= hi)
		return -ENOEXEC;
	return 0;
}
