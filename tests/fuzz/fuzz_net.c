// SPDX-License-Identifier: MIT
/* virtio-net through its transport, on a socketpair for a tap: TX, RX
 * (frames the input also sends from the "host" side) and the control
 * queue. */
#include <sys/socket.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"
#include "virtio/net.h"

static uint8_t *ram;
static struct net_dev n;
static int peer = -1;

static void rx(void *ctx)
{
	static const uint8_t frame[1514] = { 0x52, 0x54 };
	struct net_dev *dev = ctx;

	if (write(peer, frame, 60 + (dev->rx_frames % 1400)) < 0)
		return;
	net_rx_ready(&dev->pairs[0]);
}

static void fire(void *c, unsigned int v, uint64_t a, uint32_t d) { }
static const struct virtio_pci_host be = { .msix_fire = fire };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin f = { data, size };
	struct net_opts o = { .n_fds = 1, .vnet_hdr = fin_get(&f, 1) & 1,
			      .mtu = 1500 };
	struct guestmem gm;
	struct vdrv d;
	int sv[2];
	uint8_t sink[70000];

	if (!ram)
		ram = calloc(1, FUZZ_RAM);
	memset(ram, 0, FUZZ_RAM);
	guestmem_init_with_buffer(&gm, ram, FUZZ_RAM);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) < 0)
		return 0;
	o.fds[0] = sv[0];
	peer = sv[1];
	vdrv_init(&d);
	if (net_init(&n, &gm, &o, &be) == 0) {
		vdrv_plug(&d, &n.vp);
		fuzz_guest(&f, &d, ram, n.ops.num_queues, n.ops.queue_notify, &n,
			   rx, &n);
		while (read(peer, sink, sizeof(sink)) > 0)
			;
	}
	net_exit(&n);
	close(peer);
	pci_bus_exit(&d.pb);
	vdrv_exit(&d);
	return 0;
}
