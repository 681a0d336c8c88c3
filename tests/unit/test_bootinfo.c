// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>

#include "tests/unit/fixture.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot/bootinfo.h"
#include "boot/layout.h"

#define RAM_SIZE (64u << 20)
GUEST_RAM_SUITE(bootinfo, RAM_SIZE);

Test(bootinfo, e820_small)
{
	struct boot_e820_entry t[E820_MAX];
	unsigned int n = e820_build(&gm, t, E820_MAX);

	cr_assert_eq(n, 4);
	cr_assert_eq(t[0].addr, 0);
	cr_assert_eq(t[0].size, 0xa0000);
	cr_assert_eq(t[0].type, 1);
	cr_assert_eq(t[1].type, 2);
	cr_assert_eq(t[1].addr + t[1].size, 0x100000);
	cr_assert_eq(t[2].addr, 0x100000);
	cr_assert_eq(t[2].addr + t[2].size, RAM_SIZE);
	cr_assert_eq(t[3].addr, LAYOUT_PCI_ECAM, "ECAM reserved");
	cr_assert_eq(t[3].type, 2);
}

Test(bootinfo, e820_above_4g)
{
	struct boot_e820_entry t[E820_MAX];
	struct guestmem big;
	unsigned int n;
	uint64_t ram_total = 0;

	guestmem_layout(&big, 6ULL << 30);
	n = e820_build(&big, t, E820_MAX);
	cr_assert_eq(n, 5);
	cr_assert_eq(t[2].addr + t[2].size, GUESTMEM_HOLE_START);
	cr_assert_eq(t[4].addr, 1ULL << 32);
	for (unsigned int i = 0; i < n; i++)
		if (t[i].type == 1)
			ram_total += t[i].size;
	cr_assert_eq(ram_total, (6ULL << 30) - 0x60000);
}

Test(bootinfo, zero_page_contents)
{
	struct boot_kernel bk = { .mode = BOOT_LINUX64, .has_setup_header = true };
	struct boot_setup bs = { .cmdline_gpa = LAYOUT_CMDLINE,
				 .initrd_gpa = 0x3000000, .initrd_size = 12345,
				 .rsdp_gpa = 0xe0000 };
	struct boot_params *bp = (struct boot_params *)(ram + LAYOUT_ZERO_PAGE);

	bk.hdr.version = 0x020f;
	bk.hdr.cmdline_size = 2047;
	bk.hdr.header = 0x53726448;
	bk.hdr.boot_flag = 0xaa55;
	cr_assert_eq(bootinfo_write_zero_page(&gm, LAYOUT_ZERO_PAGE, &bk, &bs, 20), 0);
	cr_assert_eq(bp->hdr.type_of_loader, 0xff);
	cr_assert_eq(bp->hdr.cmd_line_ptr, LAYOUT_CMDLINE);
	cr_assert_eq(bp->hdr.ramdisk_image, 0x3000000);
	cr_assert_eq(bp->hdr.ramdisk_size, 12345);
	cr_assert_eq(bp->acpi_rsdp_addr, 0xe0000);
	cr_assert_eq(bp->e820_entries, 4);
	cr_assert_eq(bp->e820_table[2].addr, 0x100000);
	cr_assert_eq(bp->hdr.boot_flag, 0xaa55);
	cr_assert(bp->hdr.loadflags & KEEP_SEGMENTS);
	/* A command line longer than the kernel takes is refused. */
	cr_assert_eq(bootinfo_write_zero_page(&gm, LAYOUT_ZERO_PAGE, &bk, &bs, 5000),
		     -E2BIG);
}

Test(bootinfo, zero_page_bare_vmlinux)
{
	struct boot_kernel bk = { .mode = BOOT_LINUX64 };
	struct boot_setup bs = { .cmdline_gpa = LAYOUT_CMDLINE };
	struct boot_params *bp = (struct boot_params *)(ram + LAYOUT_ZERO_PAGE);

	cr_assert_eq(bootinfo_write_zero_page(&gm, LAYOUT_ZERO_PAGE, &bk, &bs, 20), 0);
	cr_assert_eq(bp->hdr.header, 0x53726448);
	cr_assert_eq(bp->hdr.ramdisk_size, 0);
}

Test(bootinfo, pvh_start_info)
{
	struct boot_setup bs = { .cmdline_gpa = LAYOUT_CMDLINE,
				 .initrd_gpa = 0x3000000, .initrd_size = 4096,
				 .rsdp_gpa = 0xe0000 };
	struct hvm_start_info *si = (void *)(ram + LAYOUT_PVH_INFO);
	struct hvm_memmap_table_entry *mm;
	struct hvm_modlist_entry *mod;

	cr_assert_eq(bootinfo_write_pvh(&gm, LAYOUT_PVH_INFO, &bs), 0);
	cr_assert_eq(si->magic, XEN_HVM_START_MAGIC);
	cr_assert_eq(si->version, 1);
	cr_assert_eq(si->cmdline_paddr, LAYOUT_CMDLINE);
	cr_assert_eq(si->rsdp_paddr, 0xe0000);
	cr_assert_eq(si->memmap_entries, 4);
	cr_assert_eq(si->nr_modules, 1);
	mm = (void *)(ram + si->memmap_paddr);
	cr_assert_eq(mm[2].addr, 0x100000);
	cr_assert_eq(mm[2].size, RAM_SIZE - 0x100000);
	cr_assert_eq(mm[2].type, 1);
	mod = (void *)(ram + si->modlist_paddr);
	cr_assert_eq(mod->paddr, 0x3000000);
	cr_assert_eq(mod->size, 4096);
	cr_assert_eq(sizeof(struct hvm_start_info), 56);
}

Test(bootinfo, pvh_no_initrd)
{
	struct boot_setup bs = { .cmdline_gpa = LAYOUT_CMDLINE };
	struct hvm_start_info *si = (void *)(ram + LAYOUT_PVH_INFO);

	cr_assert_eq(bootinfo_write_pvh(&gm, LAYOUT_PVH_INFO, &bs), 0);
	cr_assert_eq(si->nr_modules, 0);
	cr_assert_eq(si->modlist_paddr, 0);
}

Test(bootinfo, initrd_placement)
{
	struct boot_kernel bk = { .start = 0x1000000, .end = 0x2000000 };
	uint64_t gpa;

	cr_assert_eq(bootinfo_place_initrd(&gm, &bk, 1 << 20, &gpa), 0);
	cr_assert_eq(gpa, RAM_SIZE - (1 << 20));
	cr_assert_eq(bootinfo_place_initrd(&gm, &bk, 5000, &gpa), 0);
	cr_assert_eq(gpa % 4096, 0);
	cr_assert_leq(gpa + 5000, RAM_SIZE);
	/* Larger than RAM, or colliding with the kernel. */
	cr_assert_eq(bootinfo_place_initrd(&gm, &bk, RAM_SIZE + 1, &gpa), -EFBIG);
	cr_assert_eq(bootinfo_place_initrd(&gm, &bk, RAM_SIZE - 0x1000000, &gpa),
		     -EFBIG);
	/* initrd_addr_max from the setup header is honoured. */
	bk.has_setup_header = true;
	bk.hdr.initrd_addr_max = 0x2ffffff;
	cr_assert_eq(bootinfo_place_initrd(&gm, &bk, 4096, &gpa), 0);
	cr_assert_eq(gpa, 0x3000000 - 4096);
}
