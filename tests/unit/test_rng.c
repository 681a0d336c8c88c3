// SPDX-License-Identifier: MIT
/* virtio-rng through its transport, as the Linux driver drives it. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_ids.h>

#include "kvm/guestmem.h"
#include "tests/vdrv.h"
#include "virtio/rng.h"

#define RAM (1u << 20)
static uint8_t *ram;
static struct guestmem gm;
static struct rng r;
static struct vdrv drv;
static int fired;

static void fire(void *c, unsigned int v, uint64_t a, uint32_t d) { fired++; }
static const struct virtio_pci_host be = { .msix_fire = fire };

static void setup(void)
{
	ram = calloc(1, RAM);
	guestmem_init_with_buffer(&gm, ram, RAM);
	vdrv_init(&drv);
	cr_assert_eq(rng_init(&r, &gm, &be), 0);
	vdrv_plug(&drv, &r.vp);
	vdrv_msix_on(&drv);
	vdrv_negotiate(&drv, 0);
	vdrv_queue(&drv, 0, 8, 0x10000, 0x10100, 0x10200, 1);
	vdrv_driver_ok(&drv);
	cr_assert_eq(vdrv_rd(&drv, 0x14, 1), 0xf);
	fired = 0;
}

static void teardown(void)
{
	free(ram);
	vdrv_exit(&drv);
}

TestSuite(rng, .init = setup, .fini = teardown);

/* Post descriptors @d[0..n) as one chain. */
static void offer(const struct vring_desc *d, unsigned int n)
{
	struct vring_desc *t = (void *)(ram + 0x10000);
	struct vring_avail *a = (void *)(ram + 0x10100);
	uint16_t slot = a->idx % 8;

	for (unsigned int i = 0; i < n; i++) {
		t[i] = d[i];
		if (i + 1 < n) {
			t[i].flags |= VRING_DESC_F_NEXT;
			t[i].next = i + 1;
		}
	}
	a->ring[slot] = 0;
	a->idx++;
}

static const struct vring_used_elem *used(unsigned int i)
{
	struct vring_used *u = (void *)(ram + 0x10200);

	return &u->ring[i % 8];
}

static uint16_t used_idx(void)
{
	return ((struct vring_used *)(ram + 0x10200))->idx;
}

Test(rng, ids)
{
	cr_assert_eq(pci_cfg_get32(&r.vp.pci, 0) >> 16, 0x1040 + VIRTIO_ID_RNG);
	cr_assert_eq(vdrv_rd(&drv, 0x12, 2), 1, "one request queue");
}

Test(rng, fills_writable_buffers)
{
	struct vring_desc d[2] = {
		{ 0x20000, 64, VRING_DESC_F_WRITE, 0 },
		{ 0x21000, 4000, VRING_DESC_F_WRITE, 0 },
	};
	int zero = 0;

	offer(d, 2);
	rng_queue_notify(&r, 0);
	cr_assert_eq(used_idx(), 1);
	cr_assert_eq(used(0)->len, 4064);
	cr_assert_eq(fired, 1);
	/* 4000 random bytes are not all zero (2^-32000). */
	for (int i = 0; i < 4000; i++)
		zero += ram[0x21000 + i] == 0;
	cr_assert_lt(zero, 100);
	cr_assert_eq(r.bytes, 4064);
}

/* A huge request gets at most RNG_MAX_REQUEST, and nothing outside the
 * buffers is written. */
Test(rng, request_is_bounded)
{
	struct vring_desc d = { 0x40000, 0x80000, VRING_DESC_F_WRITE, 0 };

	offer(&d, 1);
	rng_queue_notify(&r, 0);
	cr_assert_eq(used(0)->len, RNG_MAX_REQUEST);
	cr_assert_eq(ram[0x40000 + RNG_MAX_REQUEST], 0);
}

/* Readable buffers mean nothing here: skipped, not written. */
Test(rng, readable_buffers_left_alone)
{
	struct vring_desc d[2] = {
		{ 0x20000, 16, 0, 0 },
		{ 0x21000, 16, VRING_DESC_F_WRITE, 0 },
	};

	offer(d, 2);
	rng_queue_notify(&r, 0);
	cr_assert_eq(used(0)->len, 16);
	for (int i = 0; i < 16; i++)
		cr_assert_eq(ram[0x20000 + i], 0);
}

/* A chain outside RAM: NEEDS_RESET, as for every device. */
Test(rng, bad_chain_needs_reset)
{
	struct vring_desc d = { RAM - 8, 64, VRING_DESC_F_WRITE, 0 };

	offer(&d, 1);
	rng_queue_notify(&r, 0);
	cr_assert(vdrv_rd(&drv, 0x14, 1) & VIRTIO_CONFIG_S_NEEDS_RESET);
	cr_assert_eq(used_idx(), 0);
}
