/* SPDX-License-Identifier: MIT */
#ifndef VIRTIO_NET_HDR_H
#define VIRTIO_NET_HDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/virtio_net.h>

#include "virtio/virtqueue.h"

/*
 * virtio-net rules that need no device: what a TX chain may look like,
 * which offloads the tap may hand us given the guest's features, how
 * many receive buffers a frame needs, and the control queue's commands.
 * Kept apart from the data path so every hostile shape has a unit test.
 */
#define NET_HDR_LEN     sizeof(struct virtio_net_hdr_v1)   /* 12 */
#define NET_MAX_FRAME   (65536 + 14 + 4)   /* 64 KiB + Ethernet + VLAN */
#define NET_MAX_PAIRS   7                  /* 2 * 7 + 1 queues fit */

enum net_tx_verdict {
	NET_TX_OK,
	NET_TX_SHORT,          /* shorter than the virtio-net header */
	NET_TX_TOO_BIG,        /* more than 64 KiB of frame */
	NET_TX_WRITABLE,       /* a TX chain with device-writable buffers */
	NET_TX_BAD_GSO,        /* a GSO type / checksum the guest may not send */
};

/* Check a TX chain and its header against the negotiated @features. */
enum net_tx_verdict net_tx_check(const struct virtq_chain *c,
				 uint64_t features);
/* The same, keeping the header it checked in @hdr: that copy, not the
 * guest's buffer (another vCPU may rewrite it), is what is sent. */
enum net_tx_verdict net_tx_check_hdr(const struct virtq_chain *c,
				     uint64_t features,
				     struct virtio_net_hdr_v1 *hdr);
/* The iovecs to hand the tap for a checked chain: @hdr (when the tap
 * takes a vnet header), then the frame from the chain past the guest's
 * header. @out has room for c->n_out + 1 entries; returns how many. */
unsigned int net_tx_iov(const struct virtq_chain *c,
			const struct virtio_net_hdr_v1 *hdr, bool vnet_hdr,
			struct iovec *out);
const char *net_tx_verdict_str(enum net_tx_verdict v);

/* TUN_F_* flags for TUNSETOFFLOAD: what the tap may give the guest. */
unsigned int net_tap_offloads(uint64_t features);

/* The largest frame the guest must be ready to receive, header included. */
size_t net_rx_need(uint64_t features, uint16_t mtu);

/* Control queue state the commands change. */
struct net_ctrl {
	uint64_t features;            /* negotiated */
	uint16_t max_pairs, pairs;
	uint8_t mac[6];
	bool promisc, allmulti;
	bool mac_changed, pairs_changed;
};

/*
 * Run one control command: @class, @cmd and @len bytes of data (already
 * copied out of guest memory). VIRTIO_NET_OK or VIRTIO_NET_ERR; @why is
 * set on errors for the log.
 */
uint8_t net_ctrl_run(struct net_ctrl *s, uint8_t class, uint8_t cmd,
		     const uint8_t *data, size_t len, const char **why);

#endif
