// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "tests/vdrv.h"
#include "virtio/balloon.h"

#define RAM (4u << 20)
static uint8_t *ram;
static struct guestmem gm;
static struct balloon b;
static struct vdrv drv;
static int fired[8], actual_calls;
static uint32_t last_actual;

static void fire(void *c, unsigned int v, uint64_t a, uint32_t d) { fired[v]++; }
static const struct virtio_pci_host be = { .msix_fire = fire };
static void on_actual(void *c, uint32_t a) { actual_calls++; last_actual = a; }

static void wr(unsigned int off, uint32_t v, unsigned int len)
{
	vdrv_wr(&drv, off, v, len);
}

static uint32_t rd(unsigned int off, unsigned int len)
{
	return vdrv_rd(&drv, off, len);
}

/* Queue q's rings at 0x10000 + q * 0x1000; 8 entries, vector q + 1. */
static void bring_up(uint64_t features)
{
	vdrv_msix_on(&drv);
	vdrv_negotiate(&drv, (uint32_t)features);
	for (unsigned int q = 0; q < b.ops.num_queues; q++) {
		uint64_t base = 0x10000 + q * 0x1000;

		vdrv_queue(&drv, q, 8, base, base + 0x100, base + 0x200, q + 1);
	}
	vdrv_driver_ok(&drv);
	cr_assert_eq(rd(0x14, 1), 0xf);
}

static void setup(void)
{
	struct balloon_opts o = { .deflate_on_oom = true, .free_page_reporting = true };

	memset(fired, 0, sizeof(fired));
	actual_calls = 0;
	ram = calloc(1, RAM);
	guestmem_init_with_buffer(&gm, ram, RAM);
	vdrv_init(&drv);
	cr_assert_eq(balloon_init(&b, &gm, &o, &be), 0);
	b.actual_changed = on_actual;
	vdrv_plug(&drv, &b.vp);
}

static void teardown(void)
{
	free(ram);
	vdrv_exit(&drv);
}

TestSuite(balloon, .init = setup, .fini = teardown);

/* Offer one buffer of @len bytes at @gpa (readable unless @in) on @q. */
static void offer(unsigned int q, uint64_t gpa, uint32_t len, bool in)
{
	uint64_t base = 0x10000 + q * 0x1000;
	struct vring_desc *d = (void *)(ram + base);
	struct vring_avail *a = (void *)(ram + base + 0x100);
	uint16_t slot = a->idx % 8;

	d[slot] = (struct vring_desc){ gpa, len, in ? VRING_DESC_F_WRITE : 0, 0 };
	a->ring[slot] = slot;
	a->idx++;
}

static uint16_t used_idx(unsigned int q)
{
	return ((struct vring_used *)(ram + 0x10000 + q * 0x1000 + 0x200))->idx;
}

Test(balloon, features_and_ids)
{
	cr_assert_eq(pci_cfg_get16(&b.vp.pci, PCI_DEVICE_ID), 0x1045);
	cr_assert_eq(pci_cfg_get32(&b.vp.pci, PCI_CLASS_REVISION) >> 8, 0x00ff00);
	wr(0x00, 0, 4);
	cr_assert(rd(0x04, 4) & (1u << VIRTIO_BALLOON_F_STATS_VQ));
	cr_assert(rd(0x04, 4) & (1u << VIRTIO_BALLOON_F_DEFLATE_ON_OOM));
	cr_assert(rd(0x04, 4) & (1u << VIRTIO_BALLOON_F_REPORTING));
	cr_assert_eq(rd(0x12, 2), 4, "inflate, deflate, stats, reporting");
}

Test(balloon, inflate_discards_ram_pages)
{
	uint32_t pfns[3] = { 0x100, 0x101, 0x200 };

	bring_up(1u << VIRTIO_BALLOON_F_STATS_VQ);
	memset(ram + 0x100000, 0xaa, 0x2000);
	memset(ram + 0x200000, 0xbb, 0x1000);
	memcpy(ram + 0x30000, pfns, sizeof(pfns));
	offer(0, 0x30000, sizeof(pfns), false);
	balloon_queue_notify(&b, 0);
	cr_assert_eq(used_idx(0), 1);
	cr_assert_eq(b.discarded_pages, 3);
	cr_assert_eq(ram[0x100000], 0);
	cr_assert_eq(ram[0x101fff], 0);
	cr_assert_eq(ram[0x200000], 0);
	cr_assert_eq(fired[1], 1, "used-ring interrupt on the inflate vector");
}

/* Runs in either direction are given back in one call each (Linux's
 * allocator often hands pages out in descending order). */
Test(balloon, inflate_coalesces_runs_both_ways)
{
	uint32_t pfns[7] = { 0x103, 0x102, 0x101, 0x100, 0x200, 0x201, 0x300 };

	bring_up(0);
	memcpy(ram + 0x30000, pfns, sizeof(pfns));
	offer(0, 0x30000, sizeof(pfns), false);
	balloon_queue_notify(&b, 0);
	cr_assert_eq(b.discarded_pages, 7);
	cr_assert_eq(b.discards, 3, "0x100-0x103, 0x200-0x201, 0x300");
}

Test(balloon, pfns_outside_ram_refused)
{
	uint32_t pfns[4] = { RAM >> 12, 0xfee00, 0xffffffff, 0x10 };

	bring_up(0);
	memset(ram + 0x10000, 0xcc, 16);   /* pfn 0x10 holds queue 0 rings */
	memcpy(ram + 0x30000, pfns, sizeof(pfns));
	offer(0, 0x30000, sizeof(pfns), false);
	balloon_queue_notify(&b, 0);
	cr_assert_eq(b.refused_pfns, 3);
	cr_assert_eq(b.discarded_pages, 1);
	cr_assert_eq(used_idx(0), 1, "the request still completes");
}

/* A guest naming thousands of bad PFNs gets a few log lines, not one per
 * page (they are rate-limited per device). */
Test(balloon, bad_pfn_flood_is_rate_limited)
{
	static uint32_t pfns[1024];

	bring_up(0);
	for (unsigned int i = 0; i < 1024; i++)
		pfns[i] = 0xfee00 + 2 * i;        /* not RAM, and no runs */
	memcpy(ram + 0x30000, pfns, sizeof(pfns));
	offer(0, 0x30000, sizeof(pfns), false);
	balloon_queue_notify(&b, 0);
	cr_assert_eq(b.refused_pfns, 1024);
	cr_assert_eq(b.vp.log_rl.total_suppressed, 1024 - RATELIMIT_BURST);
}

Test(balloon, partial_pfn_ignored)
{
	uint32_t pfn = 0x100;

	bring_up(0);
	ram[0x100000] = 0x55;
	memcpy(ram + 0x30000, &pfn, 4);
	offer(0, 0x30000, 3, false);   /* 3 bytes: not a whole PFN */
	balloon_queue_notify(&b, 0);
	cr_assert_eq(b.discarded_pages, 0);
	cr_assert_eq(ram[0x100000], 0x55);
}

Test(balloon, malformed_chain_needs_reset)
{
	bring_up(0);
	offer(0, RAM - 2, 16, false);   /* buffer crosses the end of RAM */
	balloon_queue_notify(&b, 0);
	cr_assert(rd(0x14, 1) & VIRTIO_CONFIG_S_NEEDS_RESET);
	cr_assert_eq(b.discarded_pages, 0);
}

Test(balloon, stats_held_and_parsed)
{
	struct virtio_balloon_stat st[12];

	bring_up(1u << VIRTIO_BALLOON_F_STATS_VQ);
	for (int i = 0; i < 12; i++) {
		st[i].tag = i == 11 ? 200 : i;   /* 200: a tag we do not know */
		st[i].val = 1000 + i;
	}
	memcpy(ram + 0x30000, st, sizeof(st));
	offer(2, 0x30000, sizeof(st), false);
	balloon_queue_notify(&b, 2);
	cr_assert(b.stats_held);
	cr_assert_eq(used_idx(2), 0, "held until the next poll");
	cr_assert_eq(b.stats[VIRTIO_BALLOON_S_MEMFREE], 1004);
	cr_assert_eq(b.stats[VIRTIO_BALLOON_S_HTLB_PGFAIL], 1009);
	{
		int64_t v[VIRTIO_BALLOON_S_NR];

		cr_assert_gt(balloon_get_stats(&b, v), 0, "update time");
		cr_assert_eq(v[VIRTIO_BALLOON_S_MEMFREE], 1004);
	}
	balloon_request_stats(&b);
	cr_assert_eq(used_idx(2), 1);
	cr_assert_not(b.stats_held);
	cr_assert_eq(fired[3], 1);
}

Test(balloon, free_page_reporting)
{
	bring_up((1u << VIRTIO_BALLOON_F_STATS_VQ) | (1u << VIRTIO_BALLOON_F_REPORTING));
	memset(ram + 0x300000, 0x77, 0x4000);
	offer(3, 0x300000, 0x4000, true);
	balloon_queue_notify(&b, 3);
	cr_assert_eq(b.discarded_pages, 4);
	cr_assert_eq(ram[0x303fff], 0);
	cr_assert_eq(used_idx(3), 1);
}

Test(balloon, reporting_queue_moves_without_stats)
{
	bring_up(1u << VIRTIO_BALLOON_F_REPORTING);
	cr_assert_eq(b.role[2], BQ_REPORTING, "Linux numbers only used queues");
}

Test(balloon, config_target_and_actual)
{
	bring_up(0);
	balloon_set_target(&b, 1234);
	cr_assert_eq(rd(VPCI_DEVICE_OFF, 4), 1234);
	cr_assert_eq(fired[0], 1, "config interrupt");
	wr(VPCI_DEVICE_OFF, 99, 4);   /* num_pages is the device's */
	cr_assert_eq(rd(VPCI_DEVICE_OFF, 4), 1234);
	wr(VPCI_DEVICE_OFF + 4, 1234, 4);
	cr_assert_eq(balloon_get_actual(&b), 1234);
	cr_assert_eq(actual_calls, 1);
	cr_assert_eq(last_actual, 1234);
	wr(VPCI_DEVICE_OFF + 4, 5, 2);   /* wrong width: ignored */
	cr_assert_eq(balloon_get_actual(&b), 1234);
}

/* Inflating more than RAM: every RAM page named twice, then a few hundred
 * more that do not exist. Only real pages are given back (the count may
 * exceed RAM by the repeats; no byte outside RAM is touched). */
Test(balloon, inflate_more_than_ram)
{
	static uint32_t pfns[2 * (RAM >> 12) + 256];
	unsigned int n = 0;

	bring_up(0);
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t p = 0x100; p < (RAM >> 12); p++)
			pfns[n++] = p;
	for (uint32_t p = 0; p < 256; p++)
		pfns[n++] = (RAM >> 12) + p;
	/* Offer it in 1 KiB pieces from a buffer below the pages it frees. */
	for (unsigned int off = 0; off < n * 4; off += 1024) {
		unsigned int len = n * 4 - off < 1024 ? n * 4 - off : 1024;

		memcpy(ram + 0x30000, (uint8_t *)pfns + off, len);
		offer(0, 0x30000, len, false);
		balloon_queue_notify(&b, 0);
	}
	cr_assert_eq(b.refused_pfns, 256);
	cr_assert_eq(b.discarded_pages, 2 * ((RAM >> 12) - 0x100));
	cr_assert_eq(used_idx(0), (n * 4 + 1023) / 1024);
}

/* A stats buffer far longer than the stats array (and tags past it):
 * parsed up to what fits, nothing written beyond b.stats. */
Test(balloon, stats_buffer_longer_than_array)
{
	static struct virtio_balloon_stat st[512];

	bring_up(1u << VIRTIO_BALLOON_F_STATS_VQ);
	for (int i = 0; i < 512; i++) {
		st[i].tag = (uint16_t)(i * 7919);
		st[i].val = 0xdead0000u + i;
	}
	st[0].tag = VIRTIO_BALLOON_S_MEMFREE;
	st[0].val = 4242;
	st[1].tag = VIRTIO_BALLOON_S_SWAP_IN;   /* i = 0 named it already */
	memcpy(ram + 0x30000, st, sizeof(st));
	offer(2, 0x30000, sizeof(st), false);
	balloon_queue_notify(&b, 2);
	cr_assert(b.stats_held);
	cr_assert_eq(b.stats[VIRTIO_BALLOON_S_MEMFREE], 4242);
}

/* What QMP reads: a copy under the device's lock; -1 for a tag the
 * driver never sent. */
Test(balloon, stats_accessor_marks_unsent_tags)
{
	struct virtio_balloon_stat st = { VIRTIO_BALLOON_S_AVAIL, 77 };
	int64_t v[VIRTIO_BALLOON_S_NR];

	bring_up(1u << VIRTIO_BALLOON_F_STATS_VQ);
	balloon_get_stats(&b, v);
	for (int i = 0; i < VIRTIO_BALLOON_S_NR; i++)
		cr_assert_eq(v[i], -1);
	memcpy(ram + 0x30000, &st, sizeof(st));
	offer(2, 0x30000, sizeof(st), false);
	balloon_queue_notify(&b, 2);
	balloon_get_stats(&b, v);
	cr_assert_eq(v[VIRTIO_BALLOON_S_AVAIL], 77);
	cr_assert_eq(v[VIRTIO_BALLOON_S_MEMFREE], -1);
}
