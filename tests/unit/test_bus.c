// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "devices/bus.h"

struct rec {
	uint64_t off;
	unsigned int len;
	uint8_t last[8];
	int reads, writes;
};

static void rec_read(void *o, uint64_t off, uint8_t *d, unsigned int len)
{
	struct rec *r = o;

	r->reads++;
	r->off = off;
	r->len = len;
	memset(d, 0x5a, len);
}

static void rec_write(void *o, uint64_t off, const uint8_t *d, unsigned int len)
{
	struct rec *r = o;

	r->writes++;
	r->off = off;
	r->len = len;
	memcpy(r->last, d, len);
}

static const struct bus_ops rec_ops = { rec_read, rec_write };

Test(bus, overlap_refused)
{
	struct bus b;
	struct rec r1 = { 0 };

	bus_init(&b, "t");
	cr_assert_eq(bus_register(&b, 0x100, 0x10, &rec_ops, &r1, "a"), 0);
	cr_assert_eq(bus_register(&b, 0x108, 0x10, &rec_ops, &r1, "b"), -EEXIST);
	cr_assert_eq(bus_register(&b, 0xf8, 0x10, &rec_ops, &r1, "c"), -EEXIST);
	cr_assert_eq(bus_register(&b, 0x0, 0x1000, &rec_ops, &r1, "d"), -EEXIST);
	cr_assert_eq(bus_register(&b, 0x104, 1, &rec_ops, &r1, "e"), -EEXIST);
	cr_assert_eq(bus_register(&b, 0x110, 0x10, &rec_ops, &r1, "f"), 0);
	cr_assert_eq(bus_register(&b, 0xf0, 0x10, &rec_ops, &r1, "g"), 0);
	cr_assert_eq(bus_register(&b, 0x200, 0, &rec_ops, &r1, "h"), -EINVAL);
	cr_assert_eq(bus_register(&b, UINT64_MAX, 2, &rec_ops, &r1, "i"), -EINVAL);
	bus_exit(&b);
}

Test(bus, dispatch_to_right_device)
{
	struct bus b;
	struct rec r1 = { 0 }, r2 = { 0 };
	uint8_t d[4] = { 1, 2, 3, 4 };

	bus_init(&b, "t");
	for (int i = 0; i < 50; i++) {
		static struct rec dummy;

		cr_assert_eq(bus_register(&b, 0x10000 + i * 0x100, 0x10, &rec_ops,
					  &dummy, "x"), 0);
	}
	bus_register(&b, 0x3f8, 8, &rec_ops, &r1, "serial");
	bus_register(&b, 0x60, 5, &rec_ops, &r2, "kbd");
	cr_assert(bus_write(&b, 0x3fb, d, 1));
	cr_assert_eq(r1.writes, 1);
	cr_assert_eq(r1.off, 3);
	cr_assert_eq(r1.last[0], 1);
	cr_assert(bus_read(&b, 0x64, d, 1));
	cr_assert_eq(r2.reads, 1);
	cr_assert_eq(r2.off, 4);
	cr_assert_eq(d[0], 0x5a);
	cr_assert(bus_write(&b, 0x3f8, d, 4));
	cr_assert_eq(r1.len, 4);
	bus_exit(&b);
}

Test(bus, unmapped_reads_all_ones)
{
	struct bus b;
	struct rec r1 = { 0 };
	uint8_t d[8];

	bus_init(&b, "t");
	bus_register(&b, 0x1000, 0x10, &rec_ops, &r1, "a");
	memset(d, 0, sizeof(d));
	cr_assert_not(bus_read(&b, 0x2000, d, 4));
	cr_assert_eq(d[0], 0xff);
	cr_assert_eq(d[3], 0xff);
	cr_assert_not(bus_read(&b, 0x0, d, 8));
	cr_assert_eq(d[7], 0xff);
	/* Straddling the end of a range is not a hit either. */
	cr_assert_not(bus_read(&b, 0x100e, d, 4));
	cr_assert_eq(r1.reads, 0);
	cr_assert_not(bus_write(&b, 0x100e, d, 4));
	cr_assert_eq(r1.writes, 0);
	bus_exit(&b);
}

Test(bus, unregister)
{
	struct bus b;
	struct rec r1 = { 0 };
	uint8_t d[1];

	bus_init(&b, "t");
	bus_register(&b, 0x1000, 0x10, &rec_ops, &r1, "a");
	cr_assert_eq(bus_unregister(&b, 0x1000), 0);
	cr_assert_not(bus_read(&b, 0x1000, d, 1));
	cr_assert_eq(bus_unregister(&b, 0x1000), -ENOENT);
	cr_assert_eq(bus_register(&b, 0x1008, 0x10, &rec_ops, &r1, "a"), 0);
	bus_exit(&b);
}
