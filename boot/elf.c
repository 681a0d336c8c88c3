// SPDX-License-Identifier: MIT
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "util/log.h"
#include "boot/boot.h"
#include "boot/layout.h"

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

/*
 * A program header as both ELF classes describe it. A PVH kernel may be
 * ELF32 (its entry is 32-bit protected mode whatever the class; QEMU
 * boots such images), so both are read into this one shape and checked
 * by the same code.
 */
struct elf_seg {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz;
};

struct elf_image {
	bool is64;
	uint64_t entry;
	uint64_t phoff;
	unsigned int phnum;
};

static int elf_read_header(const uint8_t *buf, size_t len, struct elf_image *im)
{
	if (len < EI_NIDENT || buf[EI_DATA] != ELFDATA2LSB)
		return -ENOEXEC;
	if (buf[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr eh;

		if (len < sizeof(eh))
			return -ENOEXEC;
		memcpy(&eh, buf, sizeof(eh));
		if (eh.e_machine != EM_X86_64 || eh.e_type != ET_EXEC ||
		    eh.e_phentsize != sizeof(Elf64_Phdr))
			return -ENOEXEC;
		*im = (struct elf_image){ true, eh.e_entry, eh.e_phoff, eh.e_phnum };
	} else if (buf[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr eh;

		if (len < sizeof(eh))
			return -ENOEXEC;
		memcpy(&eh, buf, sizeof(eh));
		if ((eh.e_machine != EM_386 && eh.e_machine != EM_X86_64) ||
		    eh.e_type != ET_EXEC || eh.e_phentsize != sizeof(Elf32_Phdr))
			return -ENOEXEC;
		*im = (struct elf_image){ false, eh.e_entry, eh.e_phoff, eh.e_phnum };
	} else {
		return -ENOEXEC;
	}
	if (im->phnum == 0 || im->phnum > ELF_MAX_PHDRS ||
	    !in_file(im->phoff, (uint64_t)im->phnum *
		     (im->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)), len))
		return -ENOEXEC;
	return 0;
}

/* Program header @i, whose bytes elf_read_header() found in the file. */
static struct elf_seg elf_seg(const uint8_t *buf, const struct elf_image *im,
			      unsigned int i)
{
	if (im->is64) {
		Elf64_Phdr ph;

		memcpy(&ph, buf + im->phoff + i * sizeof(ph), sizeof(ph));
		return (struct elf_seg){ ph.p_type, ph.p_offset, ph.p_paddr,
					 ph.p_filesz, ph.p_memsz };
	} else {
		Elf32_Phdr ph;

		memcpy(&ph, buf + im->phoff + i * sizeof(ph), sizeof(ph));
		return (struct elf_seg){ ph.p_type, ph.p_offset, ph.p_paddr,
					 ph.p_filesz, ph.p_memsz };
	}
}

/* Notes have the same 12-byte header in both classes. */
static int elf_find_pvh_entry(const uint8_t *buf, size_t len,
			      const struct elf_seg *ph, uint64_t *entry)
{
	uint64_t off = ph->offset, end;

	if (!in_file(ph->offset, ph->filesz, len))
		return -ENOEXEC;
	end = ph->offset + ph->filesz;
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
	struct elf_image im;
	uint64_t lo = UINT64_MAX, hi = 0, pvh_entry = 0;
	bool have_pvh = false;
	unsigned int nload = 0;
	int r;

	if (!elf_is_elf(buf, len))
		return -ENOEXEC;
	r = elf_read_header(buf, len, &im);
	if (r < 0)
		return r;

	/* Validate every header before touching guest memory. */
	for (unsigned int i = 0; i < im.phnum; i++) {
		struct elf_seg ph = elf_seg(buf, &im, i);

		if (ph.type == PT_NOTE && !have_pvh) {
			r = elf_find_pvh_entry(buf, len, &ph, &pvh_entry);
			if (r == 0)
				have_pvh = true;
			else if (r != -ENOENT)
				return r;
		}
		if (ph.type != PT_LOAD || ph.memsz == 0)
			continue;
		if (ph.filesz > ph.memsz || !in_file(ph.offset, ph.filesz, len))
			return -ENOEXEC;
		if (ph.paddr + ph.memsz < ph.paddr)
			return -ERANGE;
		/* The kernel must sit in RAM above our low boot structures. */
		if (ph.paddr < LAYOUT_HIGH_MEM ||
		    !guestmem_is_ram(gm, ph.paddr, ph.memsz))
			return -ERANGE;
		/* Segments must not overlap each other. */
		for (unsigned int j = 0; j < i; j++) {
			struct elf_seg q = elf_seg(buf, &im, j);

			if (q.type != PT_LOAD || q.memsz == 0)
				continue;
			if (ph.paddr < q.paddr + q.memsz && q.paddr < ph.paddr + ph.memsz)
				return -ENOEXEC;
		}
		lo = ph.paddr < lo ? ph.paddr : lo;
		hi = ph.paddr + ph.memsz > hi ? ph.paddr + ph.memsz : hi;
		nload++;
	}
	if (!nload)
		return -ENOEXEC;
	/* ELF32 has no 64-bit entry: only its PVH note says how to start it. */
	if (!im.is64 && !have_pvh)
		return -EPROTO;

	for (unsigned int i = 0; i < im.phnum; i++) {
		struct elf_seg ph = elf_seg(buf, &im, i);
		uint8_t *dst;

		if (ph.type != PT_LOAD || ph.memsz == 0)
			continue;
		dst = guestmem_ptr(gm, ph.paddr, ph.memsz);
		memcpy(dst, buf + ph.offset, ph.filesz);
		memset(dst + ph.filesz, 0, ph.memsz - ph.filesz);
	}

	bk->start = lo;
	bk->end = hi;
	bk->has_setup_header = false;
	if (have_pvh) {
		bk->mode = BOOT_PVH;
		bk->entry = pvh_entry;
		bk->format = im.is64 ? "ELF vmlinux, PVH entry" : "ELF32, PVH entry";
	} else {
		/* vmlinux's e_entry is virtual; its physical twin is startup_64. */
		bk->mode = BOOT_LINUX64;
		bk->entry = im.entry >= 0xffffffff80000000ULL ?
			    im.entry - 0xffffffff80000000ULL : im.entry;
		bk->format = "ELF vmlinux, 64-bit entry";
	}
	if (!guestmem_is_ram(gm, bk->entry, 1) || bk->entry < lo ||
	    bk->entry >= hi)
		return -ENOEXEC;
	return 0;
}
