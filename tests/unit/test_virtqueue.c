// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/virtqueue.h"

/* A driver played in-process: rings at fixed guest addresses. */
#define RAM   (1u << 20)
#define QSZ   8
#define DESC  0x1000
#define AVAIL 0x2000
#define USED  0x3000
#define DATA  0x10000
#define TABLE 0x8000

static uint8_t *ram;
static struct guestmem gm;
static struct virtq vq;
static struct virtq_chain ch;
static struct vring_desc *desc;
static struct vring_avail *avail;
static struct vring_used *used;

static void setup(void)
{
	ram = calloc(1, RAM);
	guestmem_init_with_buffer(&gm, ram, RAM);
	virtq_init(&vq, &gm, QSZ);
	vq.desc_gpa = DESC;
	vq.avail_gpa = AVAIL;
	vq.used_gpa = USED;
	vq.indirect = true;
	cr_assert_eq(virtq_enable(&vq), 0);
	desc = (void *)(ram + DESC);
	avail = (void *)(ram + AVAIL);
	used = (void *)(ram + USED);
}

static void teardown(void)
{
	free(ram);
}

TestSuite(virtq, .init = setup, .fini = teardown);

static void set_desc(struct vring_desc *t, int i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	t[i] = (struct vring_desc){ addr, len, flags, next };
}

static void offer(uint16_t head)
{
	avail->ring[avail->idx % QSZ] = head;
	avail->idx++;
}

Test(virtq, simple_chain_and_used_ring)
{
	set_desc(desc, 0, DATA, 16, VRING_DESC_F_NEXT, 1);
	set_desc(desc, 1, DATA + 16, 100, VRING_DESC_F_NEXT, 2);
	set_desc(desc, 2, DATA + 200, 1, VRING_DESC_F_WRITE, 0);
	offer(0);
	cr_assert_eq(virtq_pop(&vq, &ch), 1);
	cr_assert_eq(ch.head, 0);
	cr_assert_eq(ch.n_out, 2);
	cr_assert_eq(ch.n_in, 1);
	cr_assert_eq(ch.out_len, 116);
	cr_assert_eq(ch.in_len, 1);
	cr_assert_eq(ch.iov[2].iov_base, ram + DATA + 200);
	cr_assert_eq(virtq_pop(&vq, &ch), 0, "ring empty now");
	virtq_push(&vq, 0, 1);
	cr_assert_eq(used->idx, 1);
	cr_assert_eq(used->ring[0].id, 0);
	cr_assert_eq(used->ring[0].len, 1);
	cr_assert(virtq_should_notify(&vq));
}

Test(virtq, enable_checks_ring_addresses)
{
	struct virtq q;

	virtq_init(&q, &gm, QSZ);
	q.desc_gpa = RAM - 64;   /* table runs off the end of RAM */
	q.avail_gpa = AVAIL;
	q.used_gpa = USED;
	cr_assert_eq(virtq_enable(&q), -EINVAL);
	q.desc_gpa = DESC + 8;   /* misaligned */
	cr_assert_eq(virtq_enable(&q), -EINVAL);
	q.desc_gpa = DESC;
	q.used_gpa = UINT64_MAX - 16;   /* wraps */
	cr_assert_eq(virtq_enable(&q), -EINVAL);
	q.used_gpa = USED;
	q.size = 0;
	cr_assert_eq(virtq_enable(&q), -EINVAL);
	q.size = 6;              /* not a power of two */
	cr_assert_eq(virtq_enable(&q), -EINVAL);
	q.size = 2048;           /* larger than the maximum */
	cr_assert_eq(virtq_enable(&q), -EINVAL);
}

Test(virtq, avail_idx_too_far_ahead)
{
	set_desc(desc, 0, DATA, 16, 0, 0);
	avail->idx = QSZ + 1;
	cr_assert_eq(virtq_pop(&vq, &ch), -EINVAL);
}

Test(virtq, head_out_of_range)
{
	avail->ring[0] = QSZ;
	avail->idx = 1;
	cr_assert_eq(virtq_pop(&vq, &ch), -EINVAL);
}

Test(virtq, looping_chain_terminates)
{
	set_desc(desc, 0, DATA, 16, VRING_DESC_F_NEXT, 1);
	set_desc(desc, 1, DATA, 16, VRING_DESC_F_NEXT, 0);
	offer(0);
	cr_assert_eq(virtq_pop(&vq, &ch), -EINVAL);
}

Test(virtq, self_loop_terminates)
{
	set_desc(desc, 3, DATA, 16, VRING_DESC_F_NEXT, 3);
	offer(3);
	cr_assert_eq(virtq_pop(&vq, &ch), -EINVAL);
}

Test(virtq, next_out_of_range)
{
	set_desc(desc, 0, DATA, 16, VRING_DESC_F_NEXT, 200);
	offer(0);
	cr_assert_eq(virtq_pop(&vq, &ch), -EINVAL);
}

Test(virtq, buffers_outside_ram)
{
	set_desc(desc, 0, RAM - 8, 16, 0, 0);   /* crosses the end */
	offer(0);
	cr_assert_eq(virtq_pop(&vq, &ch), -EINVAL);
}

Test(virtq, buffer_address_wraps)
{
	set_desc(desc, 0, UINT64_MAX - 4, 16, 0, 0);
	offer(0);
	cr_assert_eq(virtq_pop(&vq, &ch), -EINVAL);
}

Test(virtq, length_near_4g)
{
	set_desc(desc, 0, DATA, 0xfffffff0, 0, 0);
	offer(0);
	cr_assert_eq(virtq_pop(&vq, &ch), -EINVAL);
}

Test(virtq, zero_length_is_harmless)
{
	set_desc(desc, 0, 0xdead0000beefULL, 0, VRING_DESC_F_NEXT, 1);
	set_desc(desc, 1, DATA, 4, VRING_DESC_F_WRITE, 0);
	offer(0);
	cr_assert_eq(virtq_pop(&vq, &ch), 1);
	cr_assert_eq(ch.n_out + ch.n_in, 1);
}

Test(virtq, readable_after_writable)
{
	set_desc(desc, 0, DATA, 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	set_desc(desc, 1, DATA, 16, 0, 0);
	offer(0);
	cr_assert_eq(virtq_pop(&vq, &ch), -EINVAL);
}

Test(virtq, indirect_table)
{
	struct vring_desc *t = (void *)(ram + TABLE);

	set_desc(t, 0, DATA, 16, VRING_DESC_F_NEXT, 1);
	set_desc(t, 1, DATA + 64, 8, VRING_DESC_F_WRITE, 0);
	set_desc(desc, 0, TABLE, 2 * 16, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	cr_assert_eq(virtq_pop(&vq, &ch), 1);
	cr_assert_eq(ch.n_out, 1);
	cr_assert_eq(ch.n_in, 1);
}

Test(virtq, indirect_not_negotiated)
{
	struct vring_desc *t = (void *)(ram + TABLE);

	vq.indirect = false;
	set_desc(t, 0, DATA, 16, 0, 0);
	set_desc(desc, 0, TABLE, 16, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	cr_assert_eq(virtq_pop(&vq, &ch), -EINVAL);
}

Test(virtq, indirect_inside_indirect)
{
	struct vring_desc *t = (void *)(ram + TABLE);

	set_desc(t, 0, TABLE, 16, VRING_DESC_F_INDIRECT, 0);
	set_desc(desc, 0, TABLE, 16, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	cr_assert_eq(virtq_pop(&vq, &ch), -EINVAL);
}

Test(virtq, indirect_bad_lengths)
{
	set_desc(desc, 0, TABLE, 24, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	cr_assert_eq(virtq_pop(&vq, &ch), -EINVAL, "not a multiple of 16");
	teardown();
	setup();
	set_desc(desc, 0, TABLE, 0, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	cr_assert_eq(virtq_pop(&vq, &ch), -EINVAL, "zero length");
	teardown();
	setup();
	set_desc(desc, 0, TABLE, 16 * (QSZ + 1), VRING_DESC_F_INDIRECT, 0);
	offer(0);
	cr_assert_eq(virtq_pop(&vq, &ch), -EINVAL, "longer than the queue");
	teardown();
	setup();
	set_desc(desc, 0, RAM - 16, 32, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	cr_assert_eq(virtq_pop(&vq, &ch), -EINVAL, "table outside RAM");
}

Test(virtq, indirect_with_next)
{
	struct vring_desc *t = (void *)(ram + TABLE);

	set_desc(t, 0, DATA, 16, 0, 0);
	set_desc(desc, 0, TABLE, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	set_desc(desc, 1, DATA, 16, 0, 0);
	offer(0);
	cr_assert_eq(virtq_pop(&vq, &ch), -EINVAL);
}

Test(virtq, indirect_loop_and_range)
{
	struct vring_desc *t = (void *)(ram + TABLE);

	set_desc(t, 0, DATA, 16, VRING_DESC_F_NEXT, 1);
	set_desc(t, 1, DATA, 16, VRING_DESC_F_NEXT, 0);
	set_desc(desc, 0, TABLE, 32, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	cr_assert_eq(virtq_pop(&vq, &ch), -EINVAL, "loop inside the table");
	teardown();
	setup();
	t = (void *)(ram + TABLE);
	set_desc(t, 0, DATA, 16, VRING_DESC_F_NEXT, 5);
	set_desc(desc, 0, TABLE, 32, VRING_DESC_F_INDIRECT, 0);
	offer(0);
	cr_assert_eq(virtq_pop(&vq, &ch), -EINVAL, "next past the table");
}

Test(virtq, chain_longer_than_queue)
{
	for (int i = 0; i < QSZ; i++)
		set_desc(desc, i, DATA, 16, VRING_DESC_F_NEXT, (i + 1) % QSZ);
	offer(0);
	cr_assert_eq(virtq_pop(&vq, &ch), -EINVAL);
}

Test(virtq, full_queue_of_single_descriptors)
{
	for (int i = 0; i < QSZ; i++) {
		set_desc(desc, i, DATA + 64 * i, 64, VRING_DESC_F_WRITE, 0);
		offer(i);
	}
	for (int i = 0; i < QSZ; i++) {
		cr_assert_eq(virtq_pop(&vq, &ch), 1);
		virtq_push(&vq, ch.head, 64);
	}
	cr_assert_eq(virtq_pop(&vq, &ch), 0);
	cr_assert_eq(used->idx, QSZ);
}

Test(virtq, notification_suppression_flags)
{
	virtq_push(&vq, 0, 0);
	avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	cr_assert_not(virtq_should_notify(&vq));
	avail->flags = 0;
	virtq_push(&vq, 0, 0);
	cr_assert(virtq_should_notify(&vq));
	virtq_disable_kicks(&vq);
	cr_assert_eq(used->flags, VRING_USED_F_NO_NOTIFY);
	cr_assert_not(virtq_enable_kicks(&vq));
	cr_assert_eq(used->flags, 0);
}

Test(virtq, event_idx)
{
	uint16_t *used_event = &avail->ring[QSZ];
	uint16_t *avail_event = (uint16_t *)&used->ring[QSZ];

	vq.event_idx = true;
	virtq_push(&vq, 0, 0);
	cr_assert(virtq_should_notify(&vq), "first one always");
	*used_event = 5;   /* driver wants an interrupt past entry 5 */
	virtq_push(&vq, 0, 0);
	cr_assert_not(virtq_should_notify(&vq));
	for (int i = 0; i < 4; i++)
		virtq_push(&vq, 0, 0);
	cr_assert(virtq_should_notify(&vq), "crossed used_event");
	/* Device side: avail_event tells the driver when to kick. */
	set_desc(desc, 0, DATA, 16, 0, 0);
	offer(0);
	cr_assert(virtq_enable_kicks(&vq), "work arrived meanwhile");
	cr_assert_eq(virtq_pop(&vq, &ch), 1);
	cr_assert_not(virtq_enable_kicks(&vq));
	cr_assert_eq(*avail_event, 1);
}

Test(virtq, iov_copy_helpers)
{
	uint8_t a[4], b[6], out[10];
	struct iovec iov[2] = { { a, 4 }, { b, 6 } };

	cr_assert_eq(virtq_buf_to_iov(iov, 2, 2, "abcdefgh", 8), 8);
	cr_assert_eq(memcmp(a + 2, "ab", 2), 0);
	cr_assert_eq(memcmp(b, "cdefgh", 6), 0);
	cr_assert_eq(virtq_iov_to_buf(iov, 2, 3, out, 10), 7);
	cr_assert_eq(memcmp(out, "bcdefgh", 7), 0);
	cr_assert_eq(virtq_iov_to_buf(iov, 2, 100, out, 10), 0);
}
