/* SPDX-License-Identifier: MIT */
#ifndef VIRTIO_VIRTQUEUE_H
#define VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <linux/virtio_ring.h>

#include "kvm/guestmem.h"

/*
 * The device side of a split virtqueue (virtio 1.2, 2.7). Every value the
 * driver wrote is treated as hostile: ring addresses are checked once when
 * the queue is enabled, every descriptor's buffer goes through the guest
 * memory translator, chains are bounded by the queue size (so loops end),
 * indirect tables may not nest, and avail.idx may not run more than a
 * queue's worth ahead. A violation returns -EINVAL: the transport then
 * marks the device NEEDS_RESET.
 */
#define VIRTQ_MAX_SIZE 1024

struct virtq {
	const struct guestmem *gm;
	uint16_t size;              /* power of two, <= VIRTQ_MAX_SIZE */
	bool event_idx;             /* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;              /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	/* Host views, valid while enabled. */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	bool enabled;
	uint16_t last_avail;        /* next avail entry to take */
	uint16_t used_idx;          /* what we last published in used->idx */
	uint16_t signalled_used;    /* used idx at our last interrupt */
	bool signalled_valid;
};

/* One descriptor chain, mapped to host memory. */
struct virtq_chain {
	uint16_t head;
	unsigned int n_out, n_in;   /* readable first, then writable */
	uint64_t out_len, in_len;   /* bytes in each direction */
	struct iovec iov[VIRTQ_MAX_SIZE];
};

void virtq_init(struct virtq *vq, const struct guestmem *gm, uint16_t size);
/* Check the ring areas and start using them; -EINVAL if they are bad. */
int virtq_enable(struct virtq *vq);
void virtq_reset(struct virtq *vq, uint16_t size);
/* 1: a chain was taken; 0: ring empty; -EINVAL: the driver broke a rule. */
int virtq_pop(struct virtq *vq, struct virtq_chain *c);
/* Put back the last @n chains taken and not yet pushed (a device that
 * took buffers it could not fill, e.g. virtio-net RX). */
void virtq_unpop(struct virtq *vq, uint16_t n);
/* Give a chain back with @len bytes written into it. */
void virtq_push(struct virtq *vq, uint16_t head, uint32_t len);
/* Whether the driver wants an interrupt for what we pushed since the last. */
bool virtq_should_notify(struct virtq *vq);
/* Ask for (or suppress) kicks; returns true if more work arrived meanwhile. */
bool virtq_enable_kicks(struct virtq *vq);
void virtq_disable_kicks(struct virtq *vq);
/* Copy helpers over a chain's iovecs. */
size_t virtq_iov_to_buf(const struct iovec *iov, unsigned int n, size_t skip,
			void *buf, size_t len);
size_t virtq_buf_to_iov(const struct iovec *iov, unsigned int n, size_t skip,
			const void *buf, size_t len);

#endif
