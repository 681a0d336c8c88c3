// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>

#include "tests/unit/fixture.h"
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot/boot.h"

#define RAM_SIZE (32u << 20)
GUEST_RAM_SUITE(elf, RAM_SIZE);

struct img {
	uint8_t buf[8192];
	size_t len;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
};

/* An ELF with @n program headers at 64, data from 1024 on. */
static void img_init(struct img *im, unsigned int n)
{
	memset(im, 0, sizeof(*im));
	im->eh = (Elf64_Ehdr *)im->buf;
	im->ph = (Elf64_Phdr *)(im->buf + 64);
	memcpy(im->eh->e_ident, ELFMAG, SELFMAG);
	im->eh->e_ident[EI_CLASS] = ELFCLASS64;
	im->eh->e_ident[EI_DATA] = ELFDATA2LSB;
	im->eh->e_type = ET_EXEC;
	im->eh->e_machine = EM_X86_64;
	im->eh->e_phoff = 64;
	im->eh->e_phentsize = sizeof(Elf64_Phdr);
	im->eh->e_phnum = n;
	im->eh->e_entry = 0xffffffff81000000ULL;
	im->len = sizeof(im->buf);
}

static void img_load(struct img *im, unsigned int i, uint64_t off,
		     uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
	im->ph[i] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = off,
				  .p_paddr = paddr, .p_filesz = filesz,
				  .p_memsz = memsz };
}

static void img_pvh_note(struct img *im, unsigned int i, uint64_t entry,
			 unsigned int descsz)
{
	uint8_t *n = im->buf + 4096;
	Elf64_Nhdr nh = { .n_namesz = 4, .n_descsz = descsz,
			  .n_type = XEN_ELFNOTE_PHYS32_ENTRY };
	/* Another note first, as vmlinux has many. */
	Elf64_Nhdr other = { .n_namesz = 4, .n_descsz = 4, .n_type = 1 };

	memcpy(n, &other, sizeof(other));
	memcpy(n + 12, "Xen", 4);
	memcpy(n + 20, &nh, sizeof(nh));
	memcpy(n + 32, "Xen", 4);
	memcpy(n + 36, &entry, descsz);
	im->ph[i] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = 4096,
				  .p_filesz = 36 + descsz };
}

Test(elf, loads_pvh_kernel)
{
	struct img im;
	struct boot_kernel bk;

	img_init(&im, 2);
	memset(im.buf + 1024, 0xab, 1024);
	img_load(&im, 0, 1024, 0x1000000, 1024, 4096);
	img_pvh_note(&im, 1, 0x1000100, 8);
	ram[0x1000000 + 2000] = 0x77;   /* must be zeroed (bss) */
	cr_assert_eq(elf_load_kernel(&gm, im.buf, im.len, &bk), 0);
	cr_assert_eq(bk.mode, BOOT_PVH);
	cr_assert_eq(bk.entry, 0x1000100);
	cr_assert_eq(bk.start, 0x1000000);
	cr_assert_eq(bk.end, 0x1001000);
	cr_assert_eq(ram[0x1000000], 0xab);
	cr_assert_eq(ram[0x1000000 + 1023], 0xab);
	cr_assert_eq(ram[0x1000000 + 2000], 0);
}

Test(elf, pvh_note_4_byte_desc)
{
	struct img im;
	struct boot_kernel bk;

	img_init(&im, 2);
	img_load(&im, 0, 1024, 0x1000000, 1024, 4096);
	img_pvh_note(&im, 1, 0x1000200, 4);
	cr_assert_eq(elf_load_kernel(&gm, im.buf, im.len, &bk), 0);
	cr_assert_eq(bk.entry, 0x1000200);
}

Test(elf, no_note_means_64bit_entry)
{
	struct img im;
	struct boot_kernel bk;

	img_init(&im, 1);
	img_load(&im, 0, 1024, 0x1000000, 1024, 4096);
	cr_assert_eq(elf_load_kernel(&gm, im.buf, im.len, &bk), 0);
	cr_assert_eq(bk.mode, BOOT_LINUX64);
	cr_assert_eq(bk.entry, 0x1000000);
}

Test(elf, rejects_non_elf_and_truncated)
{
	struct img im;
	struct boot_kernel bk;
	uint8_t junk[4096];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 7919 + 13);
	cr_assert_eq(elf_load_kernel(&gm, junk, sizeof(junk), &bk), -ENOEXEC);
	img_init(&im, 1);
	img_load(&im, 0, 1024, 0x1000000, 1024, 4096);
	cr_assert_eq(elf_load_kernel(&gm, im.buf, 40, &bk), -ENOEXEC);
	/* Headers present, segment data cut off. */
	cr_assert_eq(elf_load_kernel(&gm, im.buf, 1500, &bk), -ENOEXEC);
}

Test(elf, rejects_wrong_class_or_machine)
{
	struct img im;
	struct boot_kernel bk;

	img_init(&im, 1);
	img_load(&im, 0, 1024, 0x1000000, 1024, 4096);
	im.eh->e_machine = EM_AARCH64;
	cr_assert_eq(elf_load_kernel(&gm, im.buf, im.len, &bk), -ENOEXEC);
	img_init(&im, 1);
	img_load(&im, 0, 1024, 0x1000000, 1024, 4096);
	im.eh->e_ident[EI_CLASS] = ELFCLASS32;
	cr_assert_eq(elf_load_kernel(&gm, im.buf, im.len, &bk), -ENOEXEC);
}

Test(elf, rejects_absurd_phnum)
{
	struct img im;
	struct boot_kernel bk;

	img_init(&im, 1);
	img_load(&im, 0, 1024, 0x1000000, 1024, 4096);
	im.eh->e_phnum = 65535;
	cr_assert_eq(elf_load_kernel(&gm, im.buf, im.len, &bk), -ENOEXEC);
	img_init(&im, 1);
	im.eh->e_phoff = UINT64_MAX - 10;
	cr_assert_eq(elf_load_kernel(&gm, im.buf, im.len, &bk), -ENOEXEC);
	img_init(&im, 0);
	cr_assert_eq(elf_load_kernel(&gm, im.buf, im.len, &bk), -ENOEXEC);
}

Test(elf, segment_past_ram_end)
{
	struct img im;
	struct boot_kernel bk;

	img_init(&im, 1);
	img_load(&im, 0, 1024, RAM_SIZE - 2048, 1024, 4096);
	cr_assert_eq(elf_load_kernel(&gm, im.buf, im.len, &bk), -ERANGE);
	img_init(&im, 1);
	img_load(&im, 0, 1024, 0x100000000ULL, 1024, 4096);
	cr_assert_eq(elf_load_kernel(&gm, im.buf, im.len, &bk), -ERANGE);
}

Test(elf, segment_wraps)
{
	struct img im;
	struct boot_kernel bk;

	img_init(&im, 1);
	img_load(&im, 0, 1024, UINT64_MAX - 100, 1024, 4096);
	cr_assert_eq(elf_load_kernel(&gm, im.buf, im.len, &bk), -ERANGE);
	img_init(&im, 1);
	img_load(&im, 0, UINT64_MAX - 10, 0x1000000, 1024, 4096);
	cr_assert_eq(elf_load_kernel(&gm, im.buf, im.len, &bk), -ENOEXEC);
}

Test(elf, segment_over_boot_area)
{
	struct img im;
	struct boot_kernel bk;

	img_init(&im, 1);
	img_load(&im, 0, 1024, 0x7000, 1024, 4096);
	cr_assert_eq(elf_load_kernel(&gm, im.buf, im.len, &bk), -ERANGE);
}

Test(elf, overlapping_segments)
{
	struct img im;
	struct boot_kernel bk;

	img_init(&im, 2);
	img_load(&im, 0, 1024, 0x1000000, 1024, 8192);
	img_load(&im, 1, 1024, 0x1001000, 1024, 4096);
	cr_assert_eq(elf_load_kernel(&gm, im.buf, im.len, &bk), -ENOEXEC);
}

Test(elf, filesz_larger_than_memsz)
{
	struct img im;
	struct boot_kernel bk;

	img_init(&im, 1);
	img_load(&im, 0, 1024, 0x1000000, 4096, 1024);
	cr_assert_eq(elf_load_kernel(&gm, im.buf, im.len, &bk), -ENOEXEC);
}

Test(elf, entry_outside_image)
{
	struct img im;
	struct boot_kernel bk;

	img_init(&im, 2);
	img_load(&im, 0, 1024, 0x1000000, 1024, 4096);
	img_pvh_note(&im, 1, 0x5000, 8);
	cr_assert_eq(elf_load_kernel(&gm, im.buf, im.len, &bk), -ENOEXEC);
}

Test(elf, bad_note_sizes)
{
	struct img im;
	struct boot_kernel bk;

	img_init(&im, 2);
	img_load(&im, 0, 1024, 0x1000000, 1024, 4096);
	img_pvh_note(&im, 1, 0x1000100, 8);
	/* descsz runs past the note segment */
	((Elf64_Nhdr *)(im.buf + 4096 + 20))->n_descsz = 0x7fffffff;
	cr_assert_eq(elf_load_kernel(&gm, im.buf, im.len, &bk), -ENOEXEC);
}

/* ---- ELF32 PVH images (QEMU boots them; the entry is 32-bit anyway) ---- */

struct img32 {
	uint8_t buf[8192];
	Elf32_Ehdr *eh;
	Elf32_Phdr *ph;
};

static void img32_init(struct img32 *im, unsigned int n, bool note,
		       uint32_t entry)
{
	Elf32_Nhdr nh = { .n_namesz = 4, .n_descsz = 4,
			  .n_type = XEN_ELFNOTE_PHYS32_ENTRY };

	memset(im, 0, sizeof(*im));
	im->eh = (Elf32_Ehdr *)im->buf;
	im->ph = (Elf32_Phdr *)(im->buf + 52);
	memcpy(im->eh->e_ident, ELFMAG, SELFMAG);
	im->eh->e_ident[EI_CLASS] = ELFCLASS32;
	im->eh->e_ident[EI_DATA] = ELFDATA2LSB;
	im->eh->e_type = ET_EXEC;
	im->eh->e_machine = EM_386;
	im->eh->e_phoff = 52;
	im->eh->e_phentsize = sizeof(Elf32_Phdr);
	im->eh->e_phnum = n;
	im->eh->e_entry = 0x100000;
	memset(im->buf + 1024, 0xcd, 512);
	im->ph[0] = (Elf32_Phdr){ .p_type = PT_LOAD, .p_offset = 1024,
				  .p_paddr = 0x100000, .p_filesz = 512,
				  .p_memsz = 8192 };
	if (note) {
		memcpy(im->buf + 4096, &nh, sizeof(nh));
		memcpy(im->buf + 4096 + 12, "Xen", 4);
		memcpy(im->buf + 4096 + 16, &entry, 4);
		im->ph[1] = (Elf32_Phdr){ .p_type = PT_NOTE, .p_offset = 4096,
					  .p_filesz = 20 };
	}
}

Test(elf, loads_elf32_pvh_image)
{
	struct img32 im;
	struct boot_kernel bk;

	img32_init(&im, 2, true, 0x100040);
	ram[0x100000 + 4000] = 0x55;   /* bss: zeroed */
	cr_assert_eq(elf_load_kernel(&gm, im.buf, sizeof(im.buf), &bk), 0);
	cr_assert_eq(bk.mode, BOOT_PVH);
	cr_assert_eq(bk.entry, 0x100040);
	cr_assert_eq(bk.start, 0x100000);
	cr_assert_eq(bk.end, 0x102000);
	cr_assert_eq(ram[0x100000], 0xcd);
	cr_assert_eq(ram[0x100000 + 4000], 0);
	cr_assert_str_eq(bk.format, "ELF32, PVH entry");
}

Test(elf, elf32_without_pvh_note_refused)
{
	struct img32 im;
	struct boot_kernel bk;

	img32_init(&im, 1, false, 0);
	cr_assert_eq(elf_load_kernel(&gm, im.buf, sizeof(im.buf), &bk), -EPROTO);
}

Test(elf, elf32_hostile_headers)
{
	struct img32 im;
	struct boot_kernel bk;

	img32_init(&im, 2, true, 0x100040);
	im.ph[0].p_paddr = 0xfffff000;           /* wraps past 4 GiB / RAM */
	cr_assert_eq(elf_load_kernel(&gm, im.buf, sizeof(im.buf), &bk), -ERANGE);
	img32_init(&im, 2, true, 0x100040);
	im.ph[0].p_offset = 8000;                /* data past the file */
	cr_assert_eq(elf_load_kernel(&gm, im.buf, sizeof(im.buf), &bk), -ENOEXEC);
	img32_init(&im, 2, true, 0x100040);
	im.eh->e_phnum = 1000;                   /* headers past the file */
	cr_assert_eq(elf_load_kernel(&gm, im.buf, sizeof(im.buf), &bk), -ENOEXEC);
	img32_init(&im, 2, true, 0x100040);
	im.eh->e_machine = EM_ARM;
	cr_assert_eq(elf_load_kernel(&gm, im.buf, sizeof(im.buf), &bk), -ENOEXEC);
	img32_init(&im, 2, true, 0x5000000);     /* entry outside the image */
	cr_assert_eq(elf_load_kernel(&gm, im.buf, sizeof(im.buf), &bk), -ENOEXEC);
	cr_assert_eq(elf_load_kernel(&gm, im.buf, 40, &bk), -ENOEXEC, "truncated");
}
