/* SPDX-License-Identifier: MIT */
#ifndef VIRTIO_BLK_H
#define VIRTIO_BLK_H

#include <liburing.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "virtio/blk_req.h"
#include "virtio/virtio_pci.h"

/*
 * virtio-blk on io_uring: requests parsed from the queue are submitted in
 * one batch per notification; completions are reaped when the ring's
 * eventfd fires, and returned to the guest with one interrupt per batch.
 * Per-request state lives in a table sized by the queue, so a guest that
 * never consumes completions cannot make the VMM allocate.
 */
enum blk_cache { BLK_CACHE_WRITEBACK, BLK_CACHE_NONE, BLK_CACHE_WRITETHROUGH,
		 BLK_CACHE_UNSAFE };

struct blk_opts {
	const char *path;
	bool read_only;
	enum blk_cache cache;
	bool discard;                 /* discard=unmap */
	const char *serial;
	uint16_t queue_size;
};

struct blk_inflight {
	bool busy;
	uint16_t head;
	uint32_t used_len;            /* bytes written into the guest's buffers */
	uint8_t *status;
	uint32_t type;
};

struct blk_dev {
	struct virtio_pci vp;
	struct virtio_dev_ops ops;
	const struct guestmem *gm;
	struct blk_opts opts;
	int fd;
	uint64_t size;                /* bytes */
	struct blk_geometry geo;
	uint8_t wce;                  /* writeback cache enabled (config) */
	char serial[VIRTIO_BLK_ID_BYTES];
	struct io_uring ring;
	bool ring_ok;
	int cq_efd;                   /* eventfd io_uring signals completions on */
	pthread_mutex_t lock;
	struct virtq_chain chain;
	struct blk_req req;
	struct blk_inflight *inflight;   /* one slot per descriptor head */
	unsigned int n_inflight;
	bool io_error_logged;
};

/* Open the image (locking it) and build the device; 0 or -errno with a
 * sentence in @err. */
int blk_init(struct blk_dev *b, const struct guestmem *gm,
	     const struct blk_opts *o, const struct virtio_pci_backend *be,
	     char *err, size_t errlen);
void blk_exit(struct blk_dev *b);
/* Reap completions (the I/O thread calls this when cq_efd fires). */
void blk_complete(void *ctx);

#endif
