/* SPDX-License-Identifier: MIT */
#ifndef VIRTIO_NET_H
#define VIRTIO_NET_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "virtio/net_hdr.h"
#include "virtio/virtio_pci.h"

/*
 * virtio-net on a tap. Queues: RX 2p, TX 2p + 1 for each pair p, then the
 * control queue. TX chains go to the tap with one writev straight from
 * guest memory; RX reads with one readv straight into the guest's
 * buffers (several of them with MRG_RXBUF). Both run in the device's I/O
 * thread; while the guest has no receive buffers the tap is not watched.
 */
struct net_opts {
	int fds[NET_MAX_PAIRS];       /* tap queue fds, owned by the device */
	unsigned int n_fds;
	bool vnet_hdr;
	bool mq;
	uint8_t mac[6];
	uint16_t mtu;                 /* host_mtu=; 0: none offered */
	uint16_t queue_size;
};

#define NET_CTRL_MAX_DATA 4096        /* a MAC table of ~680 entries */

struct net_dev;

struct net_pair {
	struct net_dev *n;
	unsigned int idx;
	int fd;
	int watch;                    /* fd's id in the I/O loop, -1: none */
	bool polling;                 /* the tap is being watched */
	bool detached;                /* the tap queue is detached (MQ) */
	/* RX gather area: chains taken for one frame. */
	struct virtq_chain chain;
	struct iovec iov[VIRTQ_MAX_SIZE + 1];   /* + the overflow byte */
	uint8_t overflow;             /* a frame reaching it did not fit */
	uint16_t heads[VIRTQ_MAX_SIZE];
	uint32_t caps[VIRTQ_MAX_SIZE];
};

struct net_dev {
	struct virtio_pci vp;
	struct virtio_dev_ops ops;
	const struct guestmem *gm;
	struct net_opts opts;
	unsigned int n_pairs;         /* offered */
	pthread_mutex_t lock;
	struct net_pair *pairs;
	struct net_ctrl ctrl;
	uint16_t status;              /* VIRTIO_NET_S_LINK_UP */
	uint64_t features;            /* negotiated, at DRIVER_OK */
	struct virtq_chain txc;
	struct virtio_net_hdr_v1 tx_hdr;          /* the checked TX header */
	struct iovec tx_iov[VIRTQ_MAX_SIZE + 1];  /* what goes to the tap */
	/* A control command's data, copied out of guest memory (per device:
	 * each device's control queue runs in its own I/O thread). */
	uint8_t ctrl_data[NET_CTRL_MAX_DATA];
	char ifname[16];              /* for log lines */
	uint32_t logged;              /* one log line per kind of mistake */
	unsigned long tx_frames, rx_frames, tx_dropped, rx_dropped;
};

/* Build the device around the tap fds in @o (it owns them from now);
 * the taps are watched by @host's I/O loop while the guest has posted
 * receive buffers. */
int net_init(struct net_dev *n, const struct guestmem *gm,
	     const struct net_opts *o, const struct virtio_pci_host *host);
void net_exit(struct net_dev *n);
/* Pair @ctx's tap is readable (an I/O thread callback). */
void net_rx_ready(void *ctx);

#endif
