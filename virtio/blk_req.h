/* SPDX-License-Identifier: MIT */
#ifndef VIRTIO_BLK_REQ_H
#define VIRTIO_BLK_REQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <linux/virtio_blk.h>

#include "virtio/virtqueue.h"

/*
 * virtio-blk request validation (virtio 1.2, 5.2.6), separate from any
 * backend so that every hostile shape has a unit test. A chain is
 * [16-byte header (readable)] [data ...] [status byte (writable, last)].
 */
#define BLK_SECTOR 512u
#define BLK_MAX_DISCARD_SEGS 32

struct blk_geometry {
	uint64_t capacity;        /* in 512-byte sectors */
	bool read_only;
	bool discard;             /* discard=unmap (else ignore) */
	uint32_t max_discard_segs;
	/* log2(logical block size / 512): 0 for 512-byte blocks, 3 for 4 KiB.
	 * Requests must be whole, aligned logical blocks. */
	unsigned int lbs_shift;
};

struct blk_req {
	uint32_t type;
	uint64_t sector;
	uint8_t *status;          /* where the status byte goes */
	/* The data payload: host iovecs within the chain (header and
	 * status byte cut off). */
	struct iovec data[VIRTQ_MAX_SIZE];
	unsigned int n_data;
	uint64_t data_len;
	/* DISCARD / WRITE_ZEROES segments, validated. */
	struct virtio_blk_discard_write_zeroes segs[BLK_MAX_DISCARD_SEGS];
	unsigned int n_segs;
};

/*
 * Parse @c into @r. Returns VIRTIO_BLK_S_OK when the request may go to
 * the backend, VIRTIO_BLK_S_IOERR or _UNSUPP when it must be completed at
 * once with that status (r->status is valid), or -EINVAL when the chain
 * has no place for a status at all (the device must be reset).
 */
int blk_req_parse(const struct virtq_chain *c, const struct blk_geometry *g,
		  struct blk_req *r);

#endif
