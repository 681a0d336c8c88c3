// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/virtio_ids.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "virtio/blk.h"

#define BLK_SEG_MAX      254
#define BLK_SIZE_MAX     (1u << 20)

static void blk_config_read(void *dev, unsigned int off, uint8_t *data,
			    unsigned int len)
{
	struct blk_dev *b = dev;
	struct virtio_blk_config c = { 0 };

	c.capacity = b->geo.capacity;
	c.size_max = BLK_SIZE_MAX;
	c.seg_max = BLK_SEG_MAX;
	c.blk_size = BLK_SECTOR;
	c.physical_block_exp = 0;
	c.min_io_size = 1;
	c.opt_io_size = 0;
	c.wce = b->wce;
	c.num_queues = 1;
	c.max_discard_sectors = UINT32_MAX / BLK_SECTOR;
	c.max_discard_seg = b->geo.max_discard_segs;
	c.discard_sector_alignment = 1;
	c.max_write_zeroes_sectors = UINT32_MAX / BLK_SECTOR;
	c.max_write_zeroes_seg = b->geo.max_discard_segs;
	c.write_zeroes_may_unmap = 1;
	memcpy(data, (uint8_t *)&c + off, len);
}

static void blk_config_write(void *dev, unsigned int off, const uint8_t *data,
			     unsigned int len)
{
	struct blk_dev *b = dev;

	/* Only the writeback flag is the driver's (CONFIG_WCE). */
	if (off == offsetof(struct virtio_blk_config, wce) && len == 1)
		b->wce = data[0] ? 1 : 0;
}

static void blk_reset(void *dev)
{
	(void)dev;   /* in-flight requests finish; their heads are dropped */
}

/* Complete @head now with @status, @used bytes written. Locked. */
static void blk_finish(struct blk_dev *b, struct virtq *vq, uint16_t head,
		       uint8_t *status, uint8_t st, uint32_t used)
{
	*status = st;
	virtq_push(vq, head, used + 1);
}

static void blk_io_error(struct blk_dev *b, int res, uint32_t type)
{
	if (b->io_error_logged)
		return;
	b->io_error_logged = true;
	pr_err("virtio-blk %s: request type %u failed: %s (logged once)",
	       b->opts.path, type, strerror(-res));
}

/* Queue one SQE for @r; false if the ring is full. Locked. */
static bool blk_submit(struct blk_dev *b, struct blk_inflight *f,
		       struct blk_req *r)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);
	uint64_t off = r->sector * BLK_SECTOR;

	if (!sqe)
		return false;
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
		io_uring_prep_readv(sqe, b->fd, r->data, r->n_data, off);
		break;
	case VIRTIO_BLK_T_OUT:
		io_uring_prep_writev(sqe, b->fd, r->data, r->n_data, off);
		if (b->opts.cache == BLK_CACHE_WRITETHROUGH || !b->wce)
			sqe->rw_flags = RWF_DSYNC;
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (b->opts.cache == BLK_CACHE_UNSAFE)
			io_uring_prep_nop(sqe);
		else
			io_uring_prep_fsync(sqe, b->fd, IORING_FSYNC_DATASYNC);
		break;
	default: {
		/* DISCARD, or WRITE_ZEROES with unmap: punch a hole (the image's
		 * blocks are freed); WRITE_ZEROES without it: zero in place.
		 * One segment per request (max_discard_seg is 1). */
		bool unmap = r->type == VIRTIO_BLK_T_DISCARD ||
			     (r->segs[0].flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);

		io_uring_prep_fallocate(sqe, b->fd,
			(unmap ? FALLOC_FL_PUNCH_HOLE : FALLOC_FL_ZERO_RANGE) |
			FALLOC_FL_KEEP_SIZE,
			r->segs[0].sector * BLK_SECTOR,
			(uint64_t)r->segs[0].num_sectors * BLK_SECTOR);
		break;
	}
	}
	io_uring_sqe_set_data(sqe, f);
	return true;
}

static void blk_queue_notify(void *dev, unsigned int q)
{
	struct blk_dev *b = dev;
	struct virtq *vq = &b->vp.queues[q].vq;
	bool notify = false;
	unsigned int queued = 0;
	int r;

	pthread_mutex_lock(&b->vp.lock);
	pthread_mutex_lock(&b->lock);
	while ((r = virtq_pop(vq, &b->chain)) == 1) {
		struct blk_req *req = &b->req;
		int st = blk_req_parse(&b->chain, &b->geo, req);
		struct blk_inflight *f = &b->inflight[b->chain.head];

		if (st < 0) {
			r = -ENOMSG;   /* no status byte to answer in */
			break;
		}
		if (st == VIRTIO_BLK_S_OK && req->type == VIRTIO_BLK_T_GET_ID) {
			size_t n = virtq_buf_to_iov(req->data, req->n_data, 0,
						    b->serial, sizeof(b->serial));

			blk_finish(b, vq, b->chain.head, req->status,
				   VIRTIO_BLK_S_OK, n);
			notify = true;
			continue;
		}
		if (st == VIRTIO_BLK_S_OK &&
		    (req->type == VIRTIO_BLK_T_DISCARD ||
		     req->type == VIRTIO_BLK_T_WRITE_ZEROES) && req->n_segs != 1)
			st = VIRTIO_BLK_S_UNSUPP;
		if (st != VIRTIO_BLK_S_OK || f->busy) {
			blk_finish(b, vq, b->chain.head, req->status,
				   f->busy ? VIRTIO_BLK_S_IOERR : st, 0);
			notify = true;
			continue;
		}
		*f = (struct blk_inflight){
			.busy = true, .head = b->chain.head, .status = req->status,
			.type = req->type,
			.used_len = req->type == VIRTIO_BLK_T_IN ? req->data_len : 0,
		};
		if (!blk_submit(b, f, req)) {
			f->busy = false;
			blk_finish(b, vq, b->chain.head, req->status,
				   VIRTIO_BLK_S_IOERR, 0);
			notify = true;
			continue;
		}
		b->n_inflight++;
		queued++;
	}
	/* One submission for everything this kick brought. */
	if (queued)
		io_uring_submit(&b->ring);
	pthread_mutex_unlock(&b->lock);
	pthread_mutex_unlock(&b->vp.lock);
	if (r < 0)
		virtio_pci_set_needs_reset(&b->vp, r == -ENOMSG ?
					   "request without a writable status byte" :
					   "malformed descriptor chain");
	if (notify)
		virtio_pci_notify_queue(&b->vp, q);
}

void blk_complete(void *ctx)
{
	struct blk_dev *b = ctx;
	struct virtq *vq = &b->vp.queues[0].vq;
	struct io_uring_cqe *cqe;
	uint64_t cnt;
	bool any = false;

	if (read(b->cq_efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&b->vp.lock);
	pthread_mutex_lock(&b->lock);
	while (io_uring_peek_cqe(&b->ring, &cqe) == 0) {
		struct blk_inflight *f = io_uring_cqe_get_data(cqe);
		int res = cqe->res;
		uint8_t st = VIRTIO_BLK_S_OK;

		io_uring_cqe_seen(&b->ring, cqe);
		if (!f || !f->busy)
			continue;
		if (res < 0 || (f->type == VIRTIO_BLK_T_IN &&
				(uint32_t)res != f->used_len)) {
			blk_io_error(b, res < 0 ? res : -EIO, f->type);
			st = VIRTIO_BLK_S_IOERR;
		}
		f->busy = false;
		b->n_inflight--;
		/* A reset while in flight: the ring is gone, drop the answer. */
		if (!vq->enabled)
			continue;
		blk_finish(b, vq, f->head, f->status, st,
			   st == VIRTIO_BLK_S_OK ? f->used_len : 0);
		any = true;
	}
	pthread_mutex_unlock(&b->lock);
	pthread_mutex_unlock(&b->vp.lock);
	/* One interrupt for the whole batch. */
	if (any)
		virtio_pci_notify_queue(&b->vp, 0);
}

static int blk_open(struct blk_dev *b, char *err, size_t errlen)
{
	const struct blk_opts *o = &b->opts;
	int flags = (o->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct flock lk = { .l_type = o->read_only ? F_RDLCK : F_WRLCK,
			    .l_whence = SEEK_SET };
	struct stat st;

	if (o->cache == BLK_CACHE_NONE)
		flags |= O_DIRECT;
	b->fd = open(o->path, flags);
	if (b->fd < 0 && errno == EINVAL && o->cache == BLK_CACHE_NONE) {
		snprintf(err, errlen,
			 "-drive: '%s' does not support cache=none (no O_DIRECT on this filesystem); use cache=writeback.",
			 o->path);
		return -EINVAL;
	}
	if (b->fd < 0) {
		snprintf(err, errlen, "-drive: cannot open '%s': %s.", o->path,
			 strerror(errno));
		return -errno;
	}
	/* As QEMU: one writer, or any number of readers, per image. */
	if (fcntl(b->fd, F_OFD_SETLK, &lk) < 0) {
		snprintf(err, errlen,
			 "-drive: '%s' is locked by another process (%s).", o->path,
			 o->read_only ? "it is open for writing" : "it is in use");
		return -EBUSY;
	}
	if (fstat(b->fd, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(b->fd, BLKGETSIZE64, &b->size) < 0)
			return -errno;
	} else if (S_ISREG(st.st_mode)) {
		b->size = st.st_size;
	} else {
		snprintf(err, errlen, "-drive: '%s' is not a file or block device.",
			 o->path);
		return -EINVAL;
	}
	/* A trailing partial sector is not visible to the guest. */
	b->geo.capacity = b->size / BLK_SECTOR;
	return 0;
}

int blk_init(struct blk_dev *b, const struct guestmem *gm,
	     const struct blk_opts *o, const struct virtio_pci_backend *be,
	     char *err, size_t errlen)
{
	uint64_t f = (1ULL << VIRTIO_BLK_F_SIZE_MAX) | (1ULL << VIRTIO_BLK_F_SEG_MAX) |
		     (1ULL << VIRTIO_BLK_F_BLK_SIZE) | (1ULL << VIRTIO_BLK_F_TOPOLOGY) |
		     (1ULL << VIRTIO_BLK_F_FLUSH) | (1ULL << VIRTIO_BLK_F_CONFIG_WCE);
	uint16_t qsize = o->queue_size ? o->queue_size : 256;
	int r;

	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->lock, NULL);
	b->gm = gm;
	b->opts = *o;
	b->cq_efd = -1;
	b->geo.read_only = o->read_only;
	b->geo.discard = o->discard;
	b->geo.max_discard_segs = 1;
	b->wce = o->cache != BLK_CACHE_WRITETHROUGH;
	snprintf(b->serial, sizeof(b->serial), "%s", o->serial ? o->serial : "");
	r = blk_open(b, err, errlen);
	if (r < 0)
		return r;
	if (o->read_only)
		f |= 1ULL << VIRTIO_BLK_F_RO;
	else
		f |= 1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
	if (o->discard && !o->read_only)
		f |= 1ULL << VIRTIO_BLK_F_DISCARD;
	b->inflight = calloc(qsize, sizeof(*b->inflight));
	if (!b->inflight)
		return -ENOMEM;
	r = io_uring_queue_init(qsize, &b->ring, 0);
	if (r < 0) {
		snprintf(err, errlen, "-drive: io_uring is not available: %s.",
			 strerror(-r));
		return r;
	}
	b->ring_ok = true;
	b->cq_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->cq_efd < 0 || io_uring_register_eventfd(&b->ring, b->cq_efd) < 0) {
		snprintf(err, errlen, "-drive: cannot set up completions.");
		return -EIO;
	}
	b->ops = (struct virtio_dev_ops){
		.device_id = VIRTIO_ID_BLOCK,
		.class_code = 0x010000,       /* mass storage, SCSI: as QEMU */
		.features = f,
		.num_queues = 1,
		.max_queue_size = qsize,
		.config_len = sizeof(struct virtio_blk_config),
		.config_read = blk_config_read,
		.config_write = blk_config_write,
		.queue_notify = blk_queue_notify,
		.reset = blk_reset,
	};
	return virtio_pci_init(&b->vp, &b->ops, b, gm, be, "virtio-blk");
}

void blk_exit(struct blk_dev *b)
{
	/*
	 * Let in-flight requests finish first: the ring holds references to
	 * the image, and its lock must be free when we are gone.
	 */
	while (b->ring_ok && b->n_inflight) {
		struct __kernel_timespec ts = { .tv_sec = 5 };
		struct io_uring_cqe *cqe;

		if (io_uring_wait_cqe_timeout(&b->ring, &cqe, &ts) < 0)
			break;
		io_uring_cqe_seen(&b->ring, cqe);
		b->n_inflight--;
	}
	if (b->ring_ok)
		io_uring_queue_exit(&b->ring);
	b->ring_ok = false;
	if (b->cq_efd >= 0)
		close(b->cq_efd);
	if (b->fd >= 0)
		close(b->fd);
	b->cq_efd = b->fd = -1;
	free(b->inflight);
	b->inflight = NULL;
}
