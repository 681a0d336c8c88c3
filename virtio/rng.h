/* SPDX-License-Identifier: MIT */
#ifndef VIRTIO_RNG_H
#define VIRTIO_RNG_H

#include <stdint.h>

#include "virtio/virtio_pci.h"

/*
 * virtio-rng (virtio 1.2, 5.4): one request queue of device-writable
 * buffers, filled from the host's getrandom(). Guests that would stall
 * for entropy at boot get it from here.
 */
#define RNG_QUEUE_SIZE 256
/* Per request, at most: a driver asking for more gets less (it asks
 * again), and a vCPU serving a kick never copies unbounded amounts. */
#define RNG_MAX_REQUEST (64u << 10)

struct rng {
	struct virtio_pci vp;
	struct virtio_dev_ops ops;
	struct virtq_chain chain;
	uint64_t bytes;               /* handed to the guest, for the log */
	uint8_t buf[4096];
};

int rng_init(struct rng *r, const struct guestmem *gm,
	     const struct virtio_pci_host *host);
/* The transport's queue_notify. */
void rng_queue_notify(void *dev, unsigned int q);

#endif
