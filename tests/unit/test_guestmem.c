// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <stdlib.h>

#include "kvm/guestmem.h"

Test(guestmem, layout_small)
{
	struct guestmem gm;

	guestmem_layout(&gm, 512ULL << 20);
	cr_assert_eq(gm.nr_regions, 1);
	cr_assert_eq(gm.regions[0].size, 512ULL << 20);
}

Test(guestmem, layout_splits_at_hole)
{
	struct guestmem gm;

	guestmem_layout(&gm, 4ULL << 30);
	cr_assert_eq(gm.nr_regions, 2);
	cr_assert_eq(gm.regions[0].size, GUESTMEM_HOLE_START);
	cr_assert_eq(gm.regions[1].gpa, GUESTMEM_HIGH_START);
	cr_assert_eq(gm.regions[1].size, (4ULL << 30) - GUESTMEM_HOLE_START);
	cr_assert_eq(gm.regions[1].offset, GUESTMEM_HOLE_START);
}

Test(guestmem, translator_bounds)
{
	static uint8_t ram[1 << 20];
	struct guestmem gm;

	guestmem_init_with_buffer(&gm, ram, sizeof(ram));
	cr_assert_eq(guestmem_ptr(&gm, 0, 16), ram);
	cr_assert_eq(guestmem_ptr(&gm, sizeof(ram) - 1, 1), ram + sizeof(ram) - 1);
	cr_assert_null(guestmem_ptr(&gm, sizeof(ram) - 1, 2));  /* crosses end */
	cr_assert_null(guestmem_ptr(&gm, sizeof(ram), 1));
	cr_assert_null(guestmem_ptr(&gm, 16, UINT64_MAX));       /* wraps */
	cr_assert_null(guestmem_ptr(&gm, UINT64_MAX, 2));
	cr_assert_null(guestmem_ptr(&gm, 0, sizeof(ram) + 1));
	cr_assert_not_null(guestmem_ptr(&gm, 0, sizeof(ram)));
}

Test(guestmem, translator_hole)
{
	struct guestmem gm;
	uint8_t *fake = (uint8_t *)0x1000;  /* never dereferenced */

	guestmem_layout(&gm, 4ULL << 30);
	gm.host = fake;
	cr_assert_null(guestmem_ptr(&gm, GUESTMEM_HOLE_START, 1));
	cr_assert_null(guestmem_ptr(&gm, GUESTMEM_HOLE_START - 1, 2));
	cr_assert_eq(guestmem_ptr(&gm, GUESTMEM_HIGH_START, 1),
		     fake + GUESTMEM_HOLE_START);
	cr_assert_null(guestmem_ptr(&gm, GUESTMEM_HIGH_START + (1ULL << 30), 1));
}

Test(guestmem, copy_helpers)
{
	static uint8_t ram[8192];
	struct guestmem gm;
	uint32_t v = 0xdeadbeef, r = 0;

	guestmem_init_with_buffer(&gm, ram, sizeof(ram));
	cr_assert_eq(guestmem_write(&gm, 100, &v, 4), 0);
	cr_assert_eq(guestmem_read(&gm, 100, &r, 4), 0);
	cr_assert_eq(r, v);
	cr_assert_lt(guestmem_write(&gm, 8190, &v, 4), 0);
	cr_assert_lt(guestmem_read(&gm, 8190, &r, 4), 0);
}

Test(guestmem, real_memfd)
{
	struct guestmem gm;

	cr_assert_eq(guestmem_init(&gm, 64ULL << 20), 0);
	cr_assert_geq(gm.memfd, 0);
	*(volatile uint8_t *)guestmem_ptr(&gm, (64ULL << 20) - 1, 1) = 1;
	guestmem_exit(&gm);
}
