// SPDX-License-Identifier: MIT
/*
 * Device-level virtio-blk harness: plays the guest driver in-process
 * against the real device code and its io_uring backend. It writes
 * descriptors into guest memory, "kicks" the queue as the I/O thread
 * would, waits on the ring's completion eventfd and reads the used ring.
 *
 *   blk-harness FILE PATTERN DEPTH SECONDS
 *     PATTERN: randread4k | seqread1m | seqwrite1m
 * Prints IOPS, MB/s and host CPU microseconds per request. It kicks once
 * per request, as fio submits once per I/O; with BENCH_BLK_BATCH set it
 * kicks once per refill of the queue, as a plugging guest does.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "tests/bench/clock.h"
#include "tests/vdrv.h"
#include "virtio/blk.h"

#define RAM      (256u << 20)
#define QSZ      128
#define RING     0x100000              /* desc, avail +0x1000, used +0x2000 */
#define HDRS     0x200000              /* one 16-byte header per slot */
#define STATUSES 0x201000
#define BUFS     0x1000000             /* one 1 MiB buffer per slot */

static struct guestmem gm;
static struct blk_dev blk;
static struct vdrv drv;

static uint64_t rnd(void)
{
	static uint64_t x = 88172645463325252ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

int main(int argc, char **argv)
{
	struct blk_opts o = { .cache = BLK_CACHE_NONE, .queue_size = QSZ };
	struct virtio_pci_host be = { 0 };
	uint8_t *ram;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	const char *pat;
	unsigned int depth, secs, bs;
	uint64_t sectors, next_seq = 0, done = 0, inflight = 0;
	uint16_t seen_used = 0;
	bool busy[32] = { false };
	double t0, c0, t1, c1;
	char err[256];
	bool write;
	/* BENCH_BLK_BATCH=1: one kick per refill (a guest that plugs);
	 * default: one kick per request, as fio submits one I/O per call. */
	bool batch = getenv("BENCH_BLK_BATCH") != NULL;

	if (argc != 5) {
		fprintf(stderr, "usage: blk-harness FILE randread4k|seqread1m|seqwrite1m DEPTH SECONDS\n");
		return 2;
	}
	o.path = argv[1];
	pat = argv[2];
	depth = atoi(argv[3]);
	secs = atoi(argv[4]);
	/* Three descriptors a request: up to 32 in flight on 128 entries. */
	depth = depth > 32 ? 32 : depth < 1 ? 1 : depth;
	secs = secs < 1 ? 1 : secs;
	bs = strcmp(pat, "randread4k") ? (1u << 20) : 4096;
	write = !strcmp(pat, "seqwrite1m");

	if (guestmem_init(&gm, RAM) < 0)
		return 1;
	ram = gm.host;
	vdrv_init(&drv);
	if (blk_init(&blk, &gm, &o, &be, err, sizeof(err)) < 0) {
		fprintf(stderr, "blk-harness: %s\n", err);
		return 1;
	}
	vdrv_plug(&drv, &blk.vp);
	vdrv_negotiate(&drv, 0);
	vdrv_queue(&drv, 0, QSZ, RING, RING + 0x1000, RING + 0x2000,
		   VIRTIO_MSI_NO_VECTOR);
	vdrv_driver_ok(&drv);
	desc = (void *)(ram + RING);
	avail = (void *)(ram + RING + 0x1000);
	used = (void *)(ram + RING + 0x2000);
	avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	sectors = blk.geo.capacity;
	if (sectors * 512 < (uint64_t)bs * depth) {
		fprintf(stderr, "blk-harness: '%s' is too small\n", o.path);
		return 1;
	}

	t0 = bench_now();
	c0 = bench_cpu(RUSAGE_SELF);
	while (bench_now() - t0 < secs || inflight) {
		bool more = bench_now() - t0 < secs;

		/* Keep @depth requests in flight: slot i uses descs 3i..3i+2. */
		while (more && inflight < depth) {
			unsigned int slot = 0;

			while (busy[slot])
				slot++;
			busy[slot] = true;
			struct virtio_blk_outhdr *h = (void *)(ram + HDRS + 16 * slot);
			uint64_t sector;

			if (bs == 4096)
				sector = (rnd() % (sectors / 8)) * 8;
			else {
				sector = next_seq;
				next_seq += bs / 512;
				if (next_seq + bs / 512 > sectors)
					next_seq = 0;
			}
			h->type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
			h->ioprio = 0;
			h->sector = sector;
			desc[3 * slot] = (struct vring_desc){ HDRS + 16 * slot, 16,
							      VRING_DESC_F_NEXT, 3 * slot + 1 };
			desc[3 * slot + 1] = (struct vring_desc){
				BUFS + (uint64_t)slot * (1u << 20), bs,
				VRING_DESC_F_NEXT | (write ? 0 : VRING_DESC_F_WRITE),
				3 * slot + 2 };
			desc[3 * slot + 2] = (struct vring_desc){ STATUSES + slot, 1,
								  VRING_DESC_F_WRITE, 0 };
			avail->ring[avail->idx % QSZ] = 3 * slot;
			__atomic_store_n(&avail->idx, avail->idx + 1, __ATOMIC_RELEASE);
			inflight++;
			if (!batch)
				virtio_pci_kick(&blk.vp, 0);
		}
		if (batch)
			virtio_pci_kick(&blk.vp, 0);
		{
			struct pollfd p = { .fd = blk.cq_efd, .events = POLLIN };

			poll(&p, 1, 1000);
		}
		blk_complete(&blk);
		while (seen_used != __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE)) {
			uint32_t id = used->ring[seen_used % QSZ].id;

			if (ram[STATUSES + id / 3] != VIRTIO_BLK_S_OK) {
				fprintf(stderr, "blk-harness: request failed (status %u)\n", ram[STATUSES + id / 3]);
				return 1;
			}
			busy[id / 3] = false;
			seen_used++;
			inflight--;
			done++;
		}
	}
	t1 = bench_now();
	c1 = bench_cpu(RUSAGE_SELF);
	printf("harness %-10s qd%-2u %9.0f IOPS %8.1f MB/s %6.2f us CPU/request\n",
	       pat, depth, done / (t1 - t0), done * (double)bs / (t1 - t0) / 1e6,
	       (c1 - c0) * 1e6 / done);
	blk_exit(&blk);
	return 0;
}
