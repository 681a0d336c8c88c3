// SPDX-License-Identifier: MIT
/*
 * Races a hostile (or just unlucky) guest can start, with the real
 * devices through their transport: a reset written by one vCPU while the
 * device's I/O thread serves a kick, completes I/O or raises an
 * interrupt. Nothing may crash, touch a ring that is gone, or write the
 * guest's buffers once the reset reads back as done. Run under TSan too
 * (make tsan).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/vdrv.h"
#include "virtio/balloon.h"
#include "virtio/blk.h"
#include "virtio/net.h"

#define RAM   (8u << 20)
#define QBASE 0x10000          /* queue q's rings at QBASE + q * 0x1000 */
#define BUF   0x100000
#define ROUNDS 3000

static uint8_t *ram;
static struct guestmem gm;
static struct vdrv drv;
static bool stop;   /* atomic: the other thread polls it */

static void fire(void *c, unsigned int v, uint64_t a, uint32_t d) { }
static const struct virtio_pci_host be = { .msix_fire = fire };

static void setup(void)
{
	ram = calloc(1, RAM);
	guestmem_init_with_buffer(&gm, ram, RAM);
	vdrv_init(&drv);
	__atomic_store_n(&stop, false, __ATOMIC_RELAXED);
}

static void teardown(void)
{
	free(ram);
	vdrv_exit(&drv);
}

TestSuite(races, .init = setup, .fini = teardown, .timeout = 120);

static struct vring_avail *avail(unsigned int q)
{
	return (void *)(ram + QBASE + q * 0x1000 + 0x100);
}

static struct vring_desc *desc(unsigned int q)
{
	return (void *)(ram + QBASE + q * 0x1000);
}

/* Fresh rings, features, @nq queues of 8, DRIVER_OK. */
static void bring_up(unsigned int nq, uint32_t features)
{
	memset(ram + QBASE, 0, nq * 0x1000);
	vdrv_msix_on(&drv);
	vdrv_negotiate(&drv, features);
	for (unsigned int q = 0; q < nq; q++)
		vdrv_queue(&drv, q, 8, QBASE + q * 0x1000, QBASE + q * 0x1000 + 0x100,
			   QBASE + q * 0x1000 + 0x200, q + 1);
	vdrv_driver_ok(&drv);
}

/* Post chain head 0 (already in desc(q)) and kick through MMIO. */
static void post_and_kick(unsigned int q)
{
	struct vring_avail *a = avail(q);

	a->ring[a->idx % 8] = 0;
	__atomic_store_n(&a->idx, a->idx + 1, __ATOMIC_RELEASE);
	vdrv_wr(&drv, VPCI_NOTIFY_OFF + q * VPCI_NOTIFY_MULT, q, 2);
}

/* Reset, and wait until it reads back as done. */
static void reset_and_wait(void)
{
	vdrv_wr(&drv, 0x14, 0, 1);
	for (unsigned int spins = 0; vdrv_rd(&drv, 0x14, 1); spins++) {
		cr_assert_lt(spins, 1000000, "the reset never completed");
		usleep(10);
	}
}

/* ---- balloon ------------------------------------------------------------ */

static struct balloon bal;

static void *balloon_io(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		for (unsigned int q = 0; q < 3; q++)
			bal.ops.queue_notify(&bal, q);
		balloon_request_stats(&bal);
		virtio_pci_notify_queue(&bal.vp, 0);
	}
	return NULL;
}

Test(races, balloon_reset_against_kicks)
{
	struct balloon_opts o = { 0 };
	pthread_t t;

	cr_assert_eq(balloon_init(&bal, &gm, &o, &be), 0);
	vdrv_plug(&drv, &bal.vp);
	cr_assert_eq(pthread_create(&t, NULL, balloon_io, NULL), 0);
	for (int i = 0; i < ROUNDS; i++) {
		uint32_t pfn = (BUF >> 12) + (i & 15);

		bring_up(3, 1u << VIRTIO_BALLOON_F_STATS_VQ);
		memcpy(ram + BUF - 64, &pfn, 4);
		desc(0)[0] = (struct vring_desc){ BUF - 64, 4, 0, 0 };
		post_and_kick(0);
		reset_and_wait();
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	cr_assert_gt(bal.discarded_pages, 0, "some kicks were served");
}

/* ---- blk ---------------------------------------------------------------- */

static struct blk_dev blk;
static char img[] = "/tmp/vmm-race-blk-XXXXXX";

static void *blk_io(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		blk.ops.queue_notify(&blk, 0);
		blk_complete(&blk);
		virtio_pci_notify_queue(&blk.vp, 0);
	}
	return NULL;
}

/*
 * Also the in-flight-DMA case: a 1 MiB read on the thread pool, then at
 * once a reset. Once status reads 0 the guest owns its buffer again:
 * nothing may land in it afterwards (21 of 48 rounds did, before).
 */
Test(races, blk_reset_against_kicks_and_dma)
{
	struct blk_opts o = { .aio = BLK_AIO_THREADS };
	struct virtio_blk_outhdr h = { .type = VIRTIO_BLK_T_IN };
	char err[256];
	unsigned int late = 0;
	uint8_t *data = ram + BUF + 0x1000;
	pthread_t t;
	int fd;

	fd = mkstemp(img);
	cr_assert_geq(fd, 0);
	{
		static uint8_t pat[1 << 20];

		memset(pat, 0x5a, sizeof(pat));
		cr_assert_eq(write(fd, pat, sizeof(pat)), (ssize_t)sizeof(pat));
	}
	close(fd);
	o.path = img;
	cr_assert_eq(blk_init(&blk, &gm, &o, &be, err, sizeof(err)), 0, "%s", err);
	vdrv_plug(&drv, &blk.vp);
	cr_assert_eq(pthread_create(&t, NULL, blk_io, NULL), 0);
	for (int i = 0; i < 300; i++) {
		bring_up(1, 0);
		memcpy(ram + BUF, &h, sizeof(h));
		memset(data, 0xee, 1 << 20);
		desc(0)[0] = (struct vring_desc){ BUF, sizeof(h), VRING_DESC_F_NEXT, 1 };
		desc(0)[1] = (struct vring_desc){ BUF + 0x1000, 1 << 20,
						  VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2 };
		desc(0)[2] = (struct vring_desc){ BUF + 0x200, 1, VRING_DESC_F_WRITE, 0 };
		post_and_kick(0);
		reset_and_wait();
		/* The guest's buffer now: it must not change any more. */
		{
			uint8_t first = data[0], last = data[(1 << 20) - 1];

			usleep(2000);
			late += data[0] != first || data[(1 << 20) - 1] != last;
		}
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	blk_exit(&blk);
	unlink(img);
	cr_assert_eq(late, 0, "data landed after the reset read back as done in %u rounds", late);
}

/* ---- net ---------------------------------------------------------------- */

static struct net_dev net;

static void *net_io(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		for (unsigned int q = 0; q < 3; q++)
			net.ops.queue_notify(&net, q);
		net_rx_ready(&net.pairs[0]);
		virtio_pci_notify_queue(&net.vp, 1);
	}
	return NULL;
}

Test(races, net_reset_against_kicks_and_rx)
{
	struct net_opts o = { .n_fds = 1, .vnet_hdr = true };
	int sv[2];
	pthread_t t;
	uint8_t frame[100] = { 0 }, sink[2048];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	o.fds[0] = sv[0];
	cr_assert_eq(net_init(&net, &gm, &o, &be), 0);
	vdrv_plug(&drv, &net.vp);
	cr_assert_eq(pthread_create(&t, NULL, net_io, NULL), 0);
	for (int i = 0; i < ROUNDS; i++) {
		bring_up(3, (1u << VIRTIO_NET_F_MRG_RXBUF) | (1u << VIRTIO_NET_F_CTRL_VQ));
		/* An RX buffer, a frame waiting on the tap, a TX frame. */
		desc(0)[0] = (struct vring_desc){ BUF, 2048, VRING_DESC_F_WRITE, 0 };
		post_and_kick(0);
		if (write(sv[1], frame, sizeof(frame)) < 0)
			cr_assert_fail("peer write");
		desc(1)[0] = (struct vring_desc){ BUF + 0x1000, 100, 0, 0 };
		post_and_kick(1);
		reset_and_wait();
		while (read(sv[1], sink, sizeof(sink)) > 0)
			;
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	cr_assert_gt(net.tx_frames + net.rx_frames, 0, "some work was served");
	net_exit(&net);
	close(sv[1]);
}
