// SPDX-License-Identifier: MIT
/*
 * Device-level virtio-blk harness: plays the guest driver in-process
 * against the real device code and its io_uring backend. It writes
 * descriptors into guest memory, "kicks" the queue as the I/O thread
 * would, waits on the ring's completion eventfd and reads the used ring.
 *
 *   blk-harness FILE PATTERN DEPTH SECONDS
 *     PATTERN: randread4k | seqread1m | seqwrite1m
 * Prints IOPS, MB/s and host CPU microseconds per request.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "virtio/blk.h"

#define RAM      (256u << 20)
#define QSZ      128
#define RING     0x100000              /* desc, avail +0x1000, used +0x2000 */
#define HDRS     0x200000              /* one 16-byte header per slot */
#define STATUSES 0x201000
#define BUFS     0x1000000             /* one 1 MiB buffer per slot */

static struct guestmem gm;
static struct blk_dev blk;
static struct bus pio, mmio;
static struct pci_bus pb;
static uint64_t bar;

static void wr(unsigned int off, uint32_t v, unsigned int len)
{
	uint8_t d[4] = { v, v >> 8, v >> 16, v >> 24 };

	bus_write(&mmio, bar + off, d, len);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

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
	struct virtio_pci_backend be = { 0 };
	uint8_t *ram;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	const char *pat;
	unsigned int depth, secs, bs;
	uint64_t sectors, next_seq = 0, done = 0, inflight = 0;
	uint16_t seen_used = 0;
	bool busy[32] = { false };
	uint8_t cmd[2] = { PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 0 };
	double t0, c0, t1, c1;
	char err[256];
	bool write;

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
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	pci_bus_init(&pb, &pio, &mmio, 0xe0000000, 0xc0000000, 0x20000000);
	if (blk_init(&blk, &gm, &o, &be, err, sizeof(err)) < 0) {
		fprintf(stderr, "blk-harness: %s\n", err);
		return 1;
	}
	pci_bus_add_device(&pb, &blk.vp.pci, -1);
	bar = pci_cfg_get32(&blk.vp.pci, PCI_BASE_ADDRESS_0) & ~15u;
	pci_cfg_write(&pb, blk.vp.pci.slot, 0, PCI_COMMAND, cmd, 2);
	/* The driver's side of bring-up, as Linux's virtio_pci does it. */
	wr(0x14, 3, 1);
	wr(0x08, 1, 4);
	wr(0x0c, 1, 4);
	wr(0x14, 0xb, 1);
	wr(0x16, 0, 2);
	wr(0x18, QSZ, 2);
	wr(0x20, RING, 4);
	wr(0x28, RING + 0x1000, 4);
	wr(0x30, RING + 0x2000, 4);
	wr(0x1c, 1, 2);
	wr(0x14, 0xf, 1);
	desc = (void *)(ram + RING);
	avail = (void *)(ram + RING + 0x1000);
	used = (void *)(ram + RING + 0x2000);
	avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	sectors = blk.geo.capacity;
	if (sectors * 512 < (uint64_t)bs * depth) {
		fprintf(stderr, "blk-harness: '%s' is too small\n", o.path);
		return 1;
	}

	t0 = now();
	c0 = cpu_now();
	while (now() - t0 < secs || inflight) {
		bool more = now() - t0 < secs;

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
		}
		/* One kick for the batch, as a guest with EVENT_IDX would. */
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
	t1 = now();
	c1 = cpu_now();
	printf("harness %-10s qd%-2u %9.0f IOPS %8.1f MB/s %6.2f us CPU/request\n",
	       pat, depth, done / (t1 - t0), done * (double)bs / (t1 - t0) / 1e6,
	       (c1 - c0) * 1e6 / done);
	blk_exit(&blk);
	return 0;
}
