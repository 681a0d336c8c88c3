// SPDX-License-Identifier: MIT
/*
 * virtio-blk's io_uring engine: each request becomes one SQE (one per
 * segment for discard), a kick's batch goes out in one io_uring_enter,
 * and completions signal the device's eventfd.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/virtio_blk.h>

#include "virtio/blk.h"

static int blk_uring_start(struct blk_dev *b)
{
	int r = io_uring_queue_init(b->qsize * b->nq, &b->ring, 0);

	if (r < 0)
		return r;
	b->ring_ok = true;
	return io_uring_register_eventfd(&b->ring, b->cq_efd);
}

/* Queue @f's SQEs (one per discard segment); false if the ring is full. */
static bool blk_uring_submit(struct blk_dev *b, struct blk_inflight *f)
{
	unsigned int n = f->n_segs ? f->n_segs : 1;

	if (io_uring_sq_space_left(&b->ring) < n)
		io_uring_submit(&b->ring);
	if (io_uring_sq_space_left(&b->ring) < n)
		return false;
	f->pending = n;
	b->queued++;
	for (unsigned int i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);
		const struct virtio_blk_discard_write_zeroes *s = &f->segs[i];
		bool unmap;

		switch (f->type) {
		/* One buffer (the common case): the plain opcodes spare
		 * the kernel importing an iovec array. */
		case VIRTIO_BLK_T_IN:
			if (f->n_iov == 1)
				io_uring_prep_read(sqe, b->fd, f->iov[0].iov_base,
						   f->iov[0].iov_len, f->off);
			else
				io_uring_prep_readv(sqe, b->fd, f->iov, f->n_iov, f->off);
			break;
		case VIRTIO_BLK_T_OUT:
			if (f->n_iov == 1)
				io_uring_prep_write(sqe, b->fd, f->iov[0].iov_base,
						    f->iov[0].iov_len, f->off);
			else
				io_uring_prep_writev(sqe, b->fd, f->iov, f->n_iov, f->off);
			if (f->dsync)
				sqe->rw_flags = RWF_DSYNC;
			break;
		case VIRTIO_BLK_T_FLUSH:
			if (f->nop)
				io_uring_prep_nop(sqe);
			else
				io_uring_prep_fsync(sqe, b->fd, IORING_FSYNC_DATASYNC);
			break;
		default:
			/* DISCARD, or WRITE_ZEROES with unmap: punch a hole (the
			 * image's blocks are freed); without: zero in place. */
			unmap = f->type == VIRTIO_BLK_T_DISCARD ||
				(s->flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
			io_uring_prep_fallocate(sqe, b->fd,
				(unmap ? FALLOC_FL_PUNCH_HOLE : FALLOC_FL_ZERO_RANGE) |
				FALLOC_FL_KEEP_SIZE, s->sector * BLK_SECTOR,
				(uint64_t)s->num_sectors * BLK_SECTOR);
			break;
		}
		io_uring_sqe_set_data(sqe, f);
	}
	return true;
}

static void blk_uring_flush(struct blk_dev *b)
{
	if (!b->queued)
		return;
	io_uring_submit(&b->ring);
	b->queued = 0;
}

static void blk_uring_reap(struct blk_dev *b)
{
	struct io_uring_cqe *cqe;

	while (io_uring_peek_cqe(&b->ring, &cqe) == 0) {
		struct blk_inflight *f = io_uring_cqe_get_data(cqe);
		int res = cqe->res;

		io_uring_cqe_seen(&b->ring, cqe);
		if (!f || !f->busy || !f->pending)
			continue;
		/* Several SQEs (discard segments): the first error wins. */
		if (f->res >= 0 && (res < 0 || f->n_segs <= 1))
			f->res = res;
		if (--f->pending)
			continue;
		blk_done(b, f);
	}
}

/* The ring holds references to guest buffers and the image: wait (5 s
 * at most per completion) for what is in flight, then release it. */
static void blk_uring_stop(struct blk_dev *b)
{
	while (b->ring_ok && b->n_inflight) {
		struct __kernel_timespec ts = { .tv_sec = 5 };
		struct io_uring_cqe *cqe;
		struct blk_inflight *f;

		if (io_uring_wait_cqe_timeout(&b->ring, &cqe, &ts) < 0)
			break;
		f = io_uring_cqe_get_data(cqe);
		io_uring_cqe_seen(&b->ring, cqe);
		if (f && f->pending && !--f->pending) {
			blk_inflight_release(f);
			b->n_inflight--;
		}
	}
	if (b->ring_ok)
		io_uring_queue_exit(&b->ring);
	b->ring_ok = false;
}

const struct blk_engine blk_engine_uring = {
	.name = "io_uring",
	.start = blk_uring_start,
	.submit = blk_uring_submit,
	.flush = blk_uring_flush,
	.reap = blk_uring_reap,
	.stop = blk_uring_stop,
};
