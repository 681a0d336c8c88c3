// SPDX-License-Identifier: MIT
/*
 * The virtio-net device through its transport, with a SOCK_SEQPACKET
 * socket pair standing in for the tap (one message per frame, EOF when
 * the peer goes): TX into the "tap", RX with mergeable buffers, buffer
 * starvation and its kick, EVENT_IDX re-arming, hostile chains, the
 * control queue and link-down.
 */
#include <criterion/criterion.h>
#include <sys/epoll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/vdrv.h"
#include "util/evloop.h"
#include "virtio/net.h"

#define RAM   (4u << 20)
#define QSZ   8
#define BUF   0x100000                 /* 4 KiB per descriptor slot */

static uint8_t *ram;
static struct guestmem gm;
static struct net_dev n;
static struct vdrv drv;
static int peer;
static int config_irqs;
static struct evloop loop;      /* the device's I/O loop; never run here */

static void fire(void *c, unsigned int v, uint64_t a, uint32_t d)
{
	if (v == 0)
		config_irqs++;
}
static struct virtio_pci_host be = { .msix_fire = fire, .io = &loop };

/* Is the tap watched for input in the device's loop? Asked of epoll
 * itself: with a frame waiting, a watched tap reports readable. */
static bool tap_watched(void)
{
	struct epoll_event ev;

	return n.pairs[0].polling &&
	       epoll_wait(loop.epfd, &ev, 1, 0) == 1 && (ev.events & EPOLLIN);
}

static void wr(unsigned int off, uint32_t v, unsigned int len)
{
	vdrv_wr(&drv, off, v, len);
}

static uint32_t rd(unsigned int off, unsigned int len)
{
	return vdrv_rd(&drv, off, len);
}

static uint64_t qbase(unsigned int q) { return 0x10000 + q * 0x1000; }
static struct vring_desc *qdesc(unsigned int q) { return (void *)(ram + qbase(q)); }
static struct vring_avail *qavail(unsigned int q) { return (void *)(ram + qbase(q) + 0x100); }
static struct vring_used *qused(unsigned int q) { return (void *)(ram + qbase(q) + 0x200); }

static void setup(void)
{
	struct net_opts o = { .n_fds = 1, .vnet_hdr = true,
			      .mac = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 } };
	uint32_t want = (1u << VIRTIO_NET_F_MRG_RXBUF) | (1u << VIRTIO_NET_F_CTRL_VQ) |
			(1u << VIRTIO_NET_F_CTRL_RX) | (1u << VIRTIO_NET_F_MAC) |
			(1u << VIRTIO_NET_F_STATUS) | (1u << VIRTIO_RING_F_EVENT_IDX) |
			(1u << VIRTIO_NET_F_CSUM) | (1u << VIRTIO_NET_F_HOST_TSO4);
	int sv[2];

	config_irqs = 0;
	cr_assert_eq(evloop_init(&loop, "test"), 0);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	o.fds[0] = sv[0];
	peer = sv[1];
	ram = calloc(1, RAM);
	guestmem_init_with_buffer(&gm, ram, RAM);
	vdrv_init(&drv);
	cr_assert_eq(net_init(&n, &gm, &o, &be), 0);
	cr_assert_geq(n.pairs[0].watch, 0, "the tap is on the device's loop");
	vdrv_plug(&drv, &n.vp);
	vdrv_msix_on(&drv);
	vdrv_negotiate(&drv, want);
	for (unsigned int q = 0; q < 3; q++)
		vdrv_queue(&drv, q, QSZ, qbase(q), qbase(q) + 0x100,
			   qbase(q) + 0x200, q + 1);
	vdrv_driver_ok(&drv);
	cr_assert_eq(rd(0x14, 1), 0xf);
}

static void teardown(void)
{
	net_exit(&n);
	evloop_exit(&loop);
	if (peer >= 0)
		close(peer);
	free(ram);
	vdrv_exit(&drv);
}

TestSuite(net_dev, .init = setup, .fini = teardown);

/* Make descriptor @i (a buffer of @len at BUF + 4 KiB * i) available. */
static void offer(unsigned int q, unsigned int i, uint32_t len, uint16_t flags)
{
	struct vring_avail *a = qavail(q);

	qdesc(q)[i] = (struct vring_desc){ BUF + 0x1000 * i, len, flags, 0 };
	a->ring[a->idx % QSZ] = i;
	a->idx++;
}

static bool needs_reset(void) { return rd(0x14, 1) & 0x40; }

Test(net_dev, config_mac_status_pairs)
{
	cr_assert_eq(rd(VPCI_DEVICE_OFF, 4), 0x12005452);
	cr_assert_eq(rd(VPCI_DEVICE_OFF + 4, 2), 0x5634);
	cr_assert_eq(rd(VPCI_DEVICE_OFF + 6, 2), VIRTIO_NET_S_LINK_UP);
	cr_assert_eq(rd(VPCI_DEVICE_OFF + 8, 2), 1);
	/* The MAC is the driver's to set; the status is not. */
	wr(VPCI_DEVICE_OFF + 5, 0x99, 1);
	wr(VPCI_DEVICE_OFF + 6, 0, 2);
	cr_assert_eq(rd(VPCI_DEVICE_OFF + 5, 1), 0x99);
	cr_assert_eq(rd(VPCI_DEVICE_OFF + 6, 2), VIRTIO_NET_S_LINK_UP);
}

Test(net_dev, tx_frame_reaches_tap_and_rearms_kicks)
{
	uint8_t got[256];
	uint16_t *avail_event = (uint16_t *)&qused(1)->ring[QSZ];

	memset(ram + BUF, 0, 12);
	memset(ram + BUF + 12, 0xab, 60);
	offer(1, 0, 72, 0);
	n.ops.queue_notify(&n, 1);
	cr_assert_eq(read(peer, got, sizeof(got)), 72);
	cr_assert_eq(got[12], 0xab);
	cr_assert_eq(qused(1)->idx, 1);
	cr_assert_eq(qused(1)->ring[0].len, 0);
	cr_assert_eq(*avail_event, 1, "EVENT_IDX: kick me at the next one");
	cr_assert_eq(n.tx_frames, 1);
}

Test(net_dev, tx_hostile_chains_dropped_device_lives)
{
	uint8_t got[256];

	offer(1, 0, 8, 0);                        /* shorter than the header */
	offer(1, 1, 100, VRING_DESC_F_WRITE);     /* writable */
	n.ops.queue_notify(&n, 1);
	cr_assert_eq(qused(1)->idx, 2);
	cr_assert_eq(n.tx_dropped, 2);
	cr_assert_lt(read(peer, got, sizeof(got)), 0, "nothing reached the tap");
	cr_assert_not(needs_reset());
	/* A descriptor pointing outside RAM: the chain is malformed. */
	qdesc(1)[2] = (struct vring_desc){ RAM - 16, 64, 0, 0 };
	qavail(1)->ring[qavail(1)->idx % QSZ] = 2;
	qavail(1)->idx++;
	n.ops.queue_notify(&n, 1);
	cr_assert(needs_reset());
}

Test(net_dev, rx_merges_buffers)
{
	uint8_t frame[1500];
	struct virtio_net_hdr_v1 *h = (void *)(ram + BUF);

	memset(frame, 0, 12);
	memset(frame + 12, 0x5a, sizeof(frame) - 12);
	for (unsigned int i = 0; i < 4; i++)
		offer(0, i, 1024, VRING_DESC_F_WRITE);
	n.ops.queue_notify(&n, 0);
	cr_assert_eq(write(peer, frame, sizeof(frame)), (ssize_t)sizeof(frame));
	cr_assert(tap_watched(), "buffers posted: the tap is watched");
	net_rx_ready(&n.pairs[0]);
	cr_assert_eq(qused(0)->idx, 2, "1500 bytes in two 1 KiB buffers");
	cr_assert_eq(h->num_buffers, 2);
	cr_assert_eq(qused(0)->ring[0].len, 1024);
	cr_assert_eq(qused(0)->ring[1].len, 1500 - 1024);
	cr_assert_eq(ram[BUF + 0x1000 + 100], 0x5a);
	cr_assert_eq(n.rx_frames, 1);
}

Test(net_dev, rx_without_buffers_stops_watching_until_kicked)
{
	uint8_t frame[100] = { 0 };

	cr_assert_eq(write(peer, frame, sizeof(frame)), (ssize_t)sizeof(frame));
	offer(0, 0, 1024, VRING_DESC_F_WRITE);   /* 1 KiB: not enough for MTU */
	n.ops.queue_notify(&n, 0);
	cr_assert_eq(qused(0)->idx, 0, "one 1 KiB buffer cannot take a full frame");
	cr_assert_not(tap_watched(), "a frame waits, but no buffer can take it");
	offer(0, 1, 1024, VRING_DESC_F_WRITE);
	n.ops.queue_notify(&n, 0);
	cr_assert_eq(qused(0)->idx, 1, "the queued frame arrives after the kick");
}

Test(net_dev, rx_readable_buffer_needs_reset)
{
	uint8_t frame[100] = { 0 };

	cr_assert_eq(write(peer, frame, sizeof(frame)), (ssize_t)sizeof(frame));
	offer(0, 0, 4096, 0);
	n.ops.queue_notify(&n, 0);
	cr_assert(needs_reset());
	cr_assert_eq(qused(0)->idx, 0);
}

/* A control command: class, cmd, @len data bytes, then the ack. */
static uint8_t ctrl(uint8_t class, uint8_t cmd, const void *data, uint32_t len,
		    bool with_ack)
{
	struct vring_avail *a = qavail(2);
	struct vring_desc *d = qdesc(2);

	ram[BUF] = class;
	ram[BUF + 1] = cmd;
	if (len)
		memcpy(ram + BUF + 2, data, len);
	ram[BUF + 0x1000] = 0xff;
	d[0] = (struct vring_desc){ BUF, 2 + len, with_ack ? VRING_DESC_F_NEXT : 0, 1 };
	d[1] = (struct vring_desc){ BUF + 0x1000, 1, VRING_DESC_F_WRITE, 0 };
	a->ring[a->idx % QSZ] = 0;
	a->idx++;
	n.ops.queue_notify(&n, 2);
	return ram[BUF + 0x1000];
}

Test(net_dev, control_queue)
{
	uint8_t on = 1, three[3] = { 1, 1, 1 };
	uint16_t pairs = 2;

	cr_assert_eq(ctrl(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &on, 1, true),
		     VIRTIO_NET_OK);
	cr_assert_eq(ctrl(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, three, 3, true),
		     VIRTIO_NET_ERR);
	/* MQ was not offered (one pair). */
	cr_assert_eq(ctrl(VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs, 2, true),
		     VIRTIO_NET_ERR);
	cr_assert_eq(ctrl(99, 0, NULL, 0, true), VIRTIO_NET_ERR);
	cr_assert_not(needs_reset());
	ctrl(VIRTIO_NET_CTRL_RX, 0, &on, 1, false);      /* no ack byte */
	cr_assert(needs_reset());
}

Test(net_dev, peer_gone_link_down)
{
	offer(0, 0, 4096, VRING_DESC_F_WRITE);
	n.ops.queue_notify(&n, 0);
	close(peer);
	peer = -1;
	net_rx_ready(&n.pairs[0]);
	cr_assert_eq(rd(VPCI_DEVICE_OFF + 6, 2), 0, "link down");
	cr_assert_geq(config_irqs, 1);
	cr_assert_eq(n.pairs[0].fd, -1);
	cr_assert_eq(qused(0)->idx, 0, "the buffer stays the guest's");
	/* TX after that: dropped quietly, answered. */
	offer(1, 0, 72, 0);
	n.ops.queue_notify(&n, 1);
	cr_assert_eq(qused(1)->idx, 1);
}

/* A 64 KiB TSO segment crosses to the tap whole, header and all: the
 * segmentation is the host kernel's, not ours. */
Test(net_dev, tso_segment_crosses_whole)
{
	static uint8_t got[70000];
	struct virtio_net_hdr_v1 h = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1448,
		.hdr_len = 54, .csum_start = 34, .csum_offset = 16,
	};
	uint32_t len = 12 + 65000;
	struct vring_avail *a = qavail(1);

	memcpy(ram + 0x200000, &h, sizeof(h));
	memset(ram + 0x200000 + 12, 0x33, 65000);
	/* Two descriptors: the header alone, then the frame. */
	qdesc(1)[0] = (struct vring_desc){ 0x200000, 12, VRING_DESC_F_NEXT, 1 };
	qdesc(1)[1] = (struct vring_desc){ 0x200000 + 12, 65000, 0, 0 };
	a->ring[a->idx % QSZ] = 0;
	a->idx++;
	n.ops.queue_notify(&n, 1);
	cr_assert_eq(read(peer, got, sizeof(got)), (ssize_t)len);
	cr_assert_eq(memcmp(got, &h, sizeof(h)), 0);
	cr_assert_eq(got[len - 1], 0x33);
	cr_assert_eq(n.tx_frames, 1);
}

/* A frame larger than all the buffers taken for it is dropped whole, not
 * delivered cut short, and the buffers stay the guest's. */
Test(net_dev, rx_oversized_frame_dropped)
{
	static uint8_t big[3000];
	uint8_t small[100] = { 0 };

	offer(0, 0, 1024, VRING_DESC_F_WRITE);
	offer(0, 1, 1024, VRING_DESC_F_WRITE);
	n.ops.queue_notify(&n, 0);
	cr_assert_eq(write(peer, big, sizeof(big)), (ssize_t)sizeof(big));
	cr_assert_eq(write(peer, small, sizeof(small)), (ssize_t)sizeof(small));
	net_rx_ready(&n.pairs[0]);
	cr_assert_eq(n.rx_dropped, 1);
	cr_assert_eq(qused(0)->idx, 1, "only the small frame");
	cr_assert_eq(qused(0)->ring[0].len, sizeof(small));
	cr_assert_eq(qused(0)->ring[0].id, 0, "in the first buffer");
}

/* A control command with more data than any command takes: refused with
 * ERR, nothing copied past the device's buffer, the device lives on. */
Test(net_dev, control_data_too_long)
{
	struct vring_avail *a = qavail(2);
	struct vring_desc *d = qdesc(2);

	ram[0x200000] = VIRTIO_NET_CTRL_MAC;
	ram[0x200001] = VIRTIO_NET_CTRL_MAC_TABLE_SET;
	ram[BUF + 0x1000] = 0xff;
	d[0] = (struct vring_desc){ 0x200000, 2 + NET_CTRL_MAX_DATA + 1,
				    VRING_DESC_F_NEXT, 1 };
	d[1] = (struct vring_desc){ BUF + 0x1000, 1, VRING_DESC_F_WRITE, 0 };
	a->ring[a->idx % QSZ] = 0;
	a->idx++;
	n.ops.queue_notify(&n, 2);
	cr_assert_eq(ram[BUF + 0x1000], VIRTIO_NET_ERR);
	cr_assert_not(needs_reset());
}

/*
 * The tap deleted while the guest has no receive buffers (found on real
 * KVM: the tap was no longer watched, so nobody noticed and the guest
 * never saw its link go down). The I/O thread still hears the error and
 * the link must go down without any buffer to read into.
 */
Test(net_dev, peer_gone_without_rx_buffers_link_down)
{
	cr_assert_not(n.pairs[0].polling, "no buffers: not reading the tap");
	close(peer);
	peer = -1;
	net_rx_ready(&n.pairs[0]);
	cr_assert_eq(rd(VPCI_DEVICE_OFF + 6, 2), 0, "link down");
	cr_assert_geq(config_irqs, 1);
	cr_assert_eq(n.pairs[0].fd, -1);
}

/* A wake-up with nothing wrong and no buffers does nothing. */
Test(net_dev, spurious_wakeup_without_buffers_is_harmless)
{
	net_rx_ready(&n.pairs[0]);
	cr_assert_eq(rd(VPCI_DEVICE_OFF + 6, 2), VIRTIO_NET_S_LINK_UP);
	cr_assert_eq(config_irqs, 0);
}

/*
 * TX header double fetch (a race test): another vCPU keeps switching the
 * header of a frame in flight between a plain one and GSO_TCPV6, which
 * was not negotiated. What reaches the tap must be the header that was
 * checked: never a GSO frame. (Sending the guest's live buffer let 36%
 * of the frames through as GSO.)
 */
static bool flip_stop;   /* atomic: the other thread polls it */

static void *flip_gso(void *arg)
{
	volatile uint8_t *gso_type = arg;

	while (!__atomic_load_n(&flip_stop, __ATOMIC_RELAXED)) {
		*gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
		*gso_type = VIRTIO_NET_HDR_GSO_NONE;
	}
	return NULL;
}

Test(net_dev, tx_header_is_sent_as_checked)
{
	struct virtio_net_hdr_v1 *h = (void *)(ram + BUF);
	uint8_t got[256];
	unsigned int gso_seen = 0, sent = 0;
	pthread_t t;

	memset(ram + BUF, 0, 100);
	__atomic_store_n(&flip_stop, false, __ATOMIC_RELAXED);
	cr_assert_eq(pthread_create(&t, NULL, flip_gso, &h->gso_type), 0);
	for (unsigned int i = 0; i < 20000; i++) {
		ssize_t r;

		offer(1, 0, 100, 0);
		n.ops.queue_notify(&n, 1);
		r = read(peer, got, sizeof(got));
		if (r <= 0)
			continue;        /* refused as checked: dropped */
		sent++;
		gso_seen += ((struct virtio_net_hdr_v1 *)got)->gso_type != 0;
	}
	__atomic_store_n(&flip_stop, true, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	cr_assert_gt(sent, 0);
	cr_assert_eq(gso_seen, 0, "%u of %u frames reached the tap as GSO", gso_seen, sent);
}
