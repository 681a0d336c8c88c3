// SPDX-License-Identifier: MIT
/*
 * Device-level virtio-net harness: plays the guest driver in-process
 * against the real device code on a real tap (run it inside a network
 * namespace that has the tap up; scripts/bench-net.sh does that). Beside
 * each device figure it measures the host's own rate on the same tap
 * with the same frames in the same run: plain write()s for TX, plain
 * read()s for RX.
 *
 *   net-harness IFNAME tx|rx|tx-tso|rx-tso FRAME_BYTES SECONDS
 * (tso: the frames are 64 KiB-class TCP/IPv4 segments with a GSO
 * header, crossing the tap whole under a 1500-byte MTU.)
 * Prints "device PPS MB/s CPU-us/frame host PPS MB/s ratio".
 *
 * RX traffic comes from a thread that sends raw frames out of the tap's
 * interface with an AF_PACKET socket (ethertype 0x88b5, local
 * experimental), so the kernel queues them on the tap for us; TX frames
 * carry the same ethertype to a foreign MAC and die early in the stack.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/bench/clock.h"
#include "tests/vdrv.h"
#include "virtio/net.h"
#include "virtio/tap.h"

#define RAM     (64u << 20)
#define QSZ     256
#define RXR     0x100000                /* rings: desc, avail +0x1000, used +0x2000 */
#define TXR     0x110000
#define BUFS    0x200000                /* per-descriptor buffers */

static struct guestmem gm;
static struct net_dev net;
static struct vdrv drv;
static uint8_t *ram;
static volatile bool stop_sender;
static unsigned int frame_len;
static bool tso;                        /* frames are TCP/IPv4 TSO segments */
static int ifindex;

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, unsigned int len)
{
	for (unsigned int i = 0; i + 1 < len; i += 2)
		sum += p[i] << 8 | p[i + 1];
	return sum;
}

/*
 * A frame of @len bytes: plain (ethertype 0x88b5) or, with tso, a
 * TCP/IPv4 segment of len - 54 payload bytes whose TCP checksum field
 * holds the pseudo-header sum, as for a partial checksum.
 */
static void frame_fill(uint8_t *f, unsigned int len)
{
	static const uint8_t dst[6] = { 0x02, 0, 0, 0, 0xee, 0xee };
	static const uint8_t src[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	uint8_t *ip = f + 14, *tcp = f + 34;
	uint32_t sum;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	for (unsigned int i = 14; i < len; i++)
		f[i] = i;
	f[12] = 0x88;
	f[13] = 0xb5;
	if (!tso)
		return;
	f[12] = 0x08;
	f[13] = 0x00;
	memset(ip, 0, 40);
	ip[0] = 0x45;
	ip[2] = (len - 14) >> 8;
	ip[3] = (len - 14) & 0xff;
	ip[6] = 0x40;                   /* DF */
	ip[8] = 64;
	ip[9] = 6;                      /* TCP */
	memcpy(ip + 12, (uint8_t[]){ 10, 99, 0, 2, 10, 99, 0, 1 }, 8);
	sum = ~csum_fold(csum_add(0, ip, 20)) & 0xffff;
	ip[10] = sum >> 8;
	ip[11] = sum & 0xff;
	tcp[0] = 0x04; tcp[1] = 0xd2;   /* 1234 -> 5678 */
	tcp[2] = 0x16; tcp[3] = 0x2e;
	tcp[12] = 5 << 4;
	tcp[13] = 0x10;                 /* ACK */
	tcp[14] = 0xff; tcp[15] = 0xff;
	sum = csum_add(0, ip + 12, 8) + 6 + (len - 34);
	sum = csum_fold(sum);
	tcp[16] = sum >> 8;
	tcp[17] = sum & 0xff;
}

/* The virtio-net header in front of a frame (12 bytes; the packet
 * socket takes its first 10). */
static void hdr_fill(uint8_t *h)
{
	struct virtio_net_hdr_v1 v = { 0 };

	if (tso)
		v = (struct virtio_net_hdr_v1){
			.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
			.gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .hdr_len = 54,
			.gso_size = 1448, .csum_start = 34, .csum_offset = 16,
		};
	memcpy(h, &v, NET_HDR_LEN);
}

static void *sender(void *arg)
{
	int s = socket(AF_PACKET, SOCK_RAW, 0), one = 1;
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_ifindex = ifindex,
				 .sll_halen = 6 };
	/* With tso, the kernel takes a virtio-net header (10 bytes) in
	 * front of each frame and sends one large segment to the tap. */
	unsigned int h = tso ? 10 : 0;
	uint8_t *f = malloc(12 + frame_len);

	(void)arg;
	if (tso && setsockopt(s, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0)
		perror("net-harness: PACKET_VNET_HDR");
	hdr_fill(f);
	frame_fill(f + h, frame_len);
	while (!stop_sender)
		if (sendto(s, f, h + frame_len, 0, (struct sockaddr *)&a, sizeof(a)) < 0 &&
		    errno != ENOBUFS && errno != EAGAIN) {
			perror("net-harness: sendto");
			break;
		}
	close(s);
	free(f);
	return NULL;
}

static void bring_up(bool tx)
{
	uint32_t f = 1u << VIRTIO_NET_F_MRG_RXBUF;

	if (tso)
		f |= tx ? (1u << VIRTIO_NET_F_CSUM) | (1u << VIRTIO_NET_F_HOST_TSO4) :
			  (1u << VIRTIO_NET_F_GUEST_CSUM) | (1u << VIRTIO_NET_F_GUEST_TSO4);
	vdrv_plug(&drv, &net.vp);
	vdrv_negotiate(&drv, f);
	for (unsigned int q = 0; q < 2; q++) {
		uint64_t r = q ? TXR : RXR;

		vdrv_queue(&drv, q, QSZ, r, r + 0x1000, r + 0x2000,
			   VIRTIO_MSI_NO_VECTOR);
	}
	vdrv_driver_ok(&drv);
}

/* Device TX: keep the ring full of frames, kick, reclaim. */
static uint64_t run_tx(unsigned int secs)
{
	struct vring_desc *d = (void *)(ram + TXR);
	struct vring_avail *a = (void *)(ram + TXR + 0x1000);
	struct vring_used *u = (void *)(ram + TXR + 0x2000);
	unsigned int slot = NET_HDR_LEN + frame_len;
	uint16_t seen = 0;
	uint64_t n = 0;
	double t0 = bench_now();

	for (unsigned int i = 0; i < QSZ; i++) {
		uint8_t *b = ram + BUFS + (uint64_t)i * 0x10000;

		hdr_fill(b);
		frame_fill(b + NET_HDR_LEN, frame_len);
		d[i] = (struct vring_desc){ BUFS + (uint64_t)i * 0x10000, slot, 0, 0 };
		a->ring[i] = i;
	}
	a->flags = VRING_AVAIL_F_NO_INTERRUPT;
	a->idx = QSZ;
	while (bench_now() - t0 < secs) {
		net.ops.queue_notify(&net, 1);
		while (seen != u->idx) {
			a->ring[a->idx % QSZ] = u->ring[seen % QSZ].id;
			seen++;
			n++;
			__atomic_store_n(&a->idx, a->idx + 1, __ATOMIC_RELEASE);
		}
	}
	return n;
}

/* Device RX: 4 KiB buffers (mergeable), refilled as they are used. */
static uint64_t run_rx(unsigned int secs)
{
	struct vring_desc *d = (void *)(ram + RXR);
	struct vring_avail *a = (void *)(ram + RXR + 0x1000);
	struct vring_used *u = (void *)(ram + RXR + 0x2000);
	struct net_pair *p = &net.pairs[0];
	uint16_t seen = 0, more = 0;
	uint32_t got = 0;
	uint64_t frames = 0;
	double t0 = bench_now();

	for (unsigned int i = 0; i < QSZ; i++) {
		d[i] = (struct vring_desc){ BUFS + (uint64_t)i * 0x10000, 4096,
					    VRING_DESC_F_WRITE, 0 };
		a->ring[i] = i;
	}
	a->flags = VRING_AVAIL_F_NO_INTERRUPT;
	a->idx = QSZ;
	net.ops.queue_notify(&net, 0);
	while (bench_now() - t0 < secs) {
		struct pollfd pf = { .fd = p->fd, .events = POLLIN };

		if (poll(&pf, 1, 100) <= 0)
			continue;
		net_rx_ready(p);
		while (seen != u->idx) {
			uint32_t id = u->ring[seen % QSZ].id;
			struct virtio_net_hdr_v1 *h = (void *)(ram + d[id].addr);

			/* A frame's first buffer says how many it took; all of
			 * them together must hold the whole frame. */
			if (!more) {
				more = h->num_buffers;
				got = 0;
				frames++;
			}
			got += u->ring[seen % QSZ].len;
			if (!--more && got != NET_HDR_LEN + frame_len) {
				fprintf(stderr, "net-harness: a %u-byte frame arrived as %u bytes\n",
					frame_len, got);
				exit(1);
			}
			a->ring[a->idx % QSZ] = id;
			seen++;
			__atomic_store_n(&a->idx, a->idx + 1, __ATOMIC_RELEASE);
		}
	}
	return frames;
}

/* The host's own rate on the same tap: write()s or read()s, cycling
 * through the same QSZ buffers the device uses (same cache footprint). */
static uint64_t run_host(int fd, bool tx, unsigned int secs)
{
	uint64_t n = 0;
	double t0 = bench_now();

	for (unsigned int i = 0; i < QSZ; i++) {
		hdr_fill(ram + BUFS + (uint64_t)i * 0x10000);
		frame_fill(ram + BUFS + (uint64_t)i * 0x10000 + NET_HDR_LEN, frame_len);
	}
	while (bench_now() - t0 < secs) {
		uint8_t *b = ram + BUFS + (n % QSZ) * 0x10000;

		if (tx) {
			if (write(fd, b, NET_HDR_LEN + frame_len) > 0)
				n++;
		} else {
			struct pollfd pf = { .fd = fd, .events = POLLIN };

			if (poll(&pf, 1, 100) <= 0)
				continue;
			while (read(fd, ram + BUFS + (n % QSZ) * 0x10000,
				    NET_HDR_LEN + 65536) > 0)
				n++;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	struct net_opts o = { .n_fds = 1, .vnet_hdr = true, .queue_size = QSZ,
			      .mac = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 } };
	struct virtio_pci_host be = { 0 };
	char name[IFNAMSIZ], err[256];
	unsigned int secs;
	pthread_t th;
	uint64_t dn, hn;
	double t0, c0, dt, dc;
	bool tx;

	if (argc != 5 || (strcmp(argv[2], "tx") && strcmp(argv[2], "rx") &&
			  strcmp(argv[2], "tx-tso") && strcmp(argv[2], "rx-tso"))) {
		fprintf(stderr, "usage: net-harness IFNAME tx|rx|tx-tso|rx-tso FRAME_BYTES SECONDS\n");
		return 2;
	}
	tx = argv[2][0] == 't';
	tso = strstr(argv[2], "tso") != NULL;
	frame_len = atoi(argv[3]);
	secs = atoi(argv[4]);
	if (frame_len < 60 || frame_len > 65000 || secs < 1) {
		fprintf(stderr, "net-harness: frames of 60..65000 bytes, 1 s or more\n");
		return 2;
	}
	/* For the large frames the device offers the tap's MTU
	 * (host_mtu=65000), so that it takes enough buffers for them. */
	o.mtu = frame_len > 1500 && !tso ? 65000 : 0;
	ifindex = if_nametoindex(argv[1]);
	if (tap_open(argv[1], 1, true, o.fds, name, err, sizeof(err)) < 0) {
		fprintf(stderr, "net-harness: %s\n", err);
		return 1;
	}
	if (guestmem_init(&gm, RAM) < 0)
		return 1;
	ram = gm.host;
	vdrv_init(&drv);
	if (net_init(&net, &gm, &o, &be) < 0)
		return 1;
	bring_up(tx);

	if (!tx)
		pthread_create(&th, NULL, sender, NULL);
	/* The host's figure first, then the device's, on the same traffic. */
	t0 = bench_now();
	hn = run_host(net.pairs[0].fd, tx, secs);
	dt = bench_now() - t0;
	double host_pps = hn / dt;

	t0 = bench_now();
	c0 = bench_cpu(RUSAGE_THREAD);
	dn = tx ? run_tx(secs) : run_rx(secs);
	dt = bench_now() - t0;
	dc = bench_cpu(RUSAGE_THREAD) - c0;
	stop_sender = true;
	if (!tx)
		pthread_join(th, NULL);
	printf("%s%s %5u B: device %9.0f pps %8.1f MB/s %6.2f us CPU/frame | host %9.0f pps %8.1f MB/s | ratio %.2f\n",
	       tx ? "guest->tap" : "tap->guest", tso ? " TSO" : "    ", frame_len, dn / dt,
	       dn * (double)frame_len / dt / 1e6, dn ? dc * 1e6 / dn : 0.0,
	       host_pps, host_pps * frame_len / 1e6, host_pps ? dn / dt / host_pps : 0.0);
	/* Frames the tap refused would flatter the device: none may be. */
	if (net.tx_dropped || net.rx_dropped) {
		fprintf(stderr, "net-harness: %lu TX / %lu RX frames dropped\n",
			net.tx_dropped, net.rx_dropped);
		return 1;
	}
	net_exit(&net);
	return 0;
}
