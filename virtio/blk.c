// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/virtio_ids.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "util/util.h"
#include "virtio/blk.h"
#include "virtio/blk_snapshot.h"

/* A request's data may span this many descriptors (the driver's limit;
 * longer chains are refused with IOERR). */
#define BLK_SIZE_MAX     (1u << 20)

static void blk_config_read(void *dev, unsigned int off, uint8_t *data,
			    unsigned int len)
{
	struct blk_dev *b = dev;
	struct virtio_blk_config c = { 0 };
	unsigned int lbs = 512u << b->geo.lbs_shift;
	unsigned int pbs = b->opts.physical_block_size;

	c.capacity = b->geo.capacity;
	c.size_max = BLK_SIZE_MAX;
	c.seg_max = BLK_SEG_MAX;
	c.blk_size = lbs;
	/* physical_block_exp: physical blocks per logical block, log2. */
	while (pbs > lbs) {
		c.physical_block_exp++;
		pbs >>= 1;
	}
	c.min_io_size = 1;
	c.opt_io_size = 0;
	c.wce = b->wce;
	c.num_queues = b->nq;
	c.max_discard_sectors = UINT32_MAX / BLK_SECTOR;
	c.max_discard_seg = b->geo.max_discard_segs;
	c.discard_sector_alignment = 1u << b->geo.lbs_shift;
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
	if (off == offsetof(struct virtio_blk_config, wce) && len == 1) {
		pthread_mutex_lock(&b->lock);
		b->wce = data[0] ? 1 : 0;
		pthread_mutex_unlock(&b->lock);
	}
}

/*
 * A driver reset. Requests in flight finish in the host and may still
 * write guest memory (a read landing), so the reset completes only when
 * the last one is over (blk_complete): until then the driver reads the
 * old status. A new generation makes their answers go nowhere, even once
 * the driver has set the queues up again.
 */
static int blk_reset(void *dev)
{
	struct blk_dev *b = dev;
	int r = 0;

	pthread_mutex_lock(&b->lock);
	b->gen++;
	if (b->n_inflight) {
		b->reset_waiting = true;
		r = -EBUSY;
	}
	pthread_mutex_unlock(&b->lock);
	return r;
}

/* Complete @head now with @status, @used bytes written. Locked. */
static void blk_finish(struct virtq *vq, uint16_t head, uint8_t *status,
		       uint8_t st, uint32_t used)
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

void blk_inflight_release(struct blk_inflight *f)
{
	if (f->iov != f->iov_small)
		free(f->iov);
	f->iov = NULL;
	f->busy = false;
}

/* Copy what the backend needs out of the parsed request @r (its iovecs
 * and segments are overwritten by the next request). Locked. */
static int blk_inflight_fill(struct blk_dev *b, struct blk_inflight *f,
			     uint16_t q, uint16_t head, const struct blk_req *r)
{
	*f = (struct blk_inflight){
		.busy = true, .q = q, .head = head, .gen = b->gen,
		.type = r->type, .status = r->status,
		.off = r->sector * BLK_SECTOR, .len = r->data_len,
		.dsync = r->type == VIRTIO_BLK_T_OUT &&
			 (b->opts.cache == BLK_CACHE_WRITETHROUGH || !b->wce),
		.nop = r->type == VIRTIO_BLK_T_FLUSH &&
		       b->opts.cache == BLK_CACHE_UNSAFE,
		.n_iov = r->n_data, .n_segs = r->n_segs,
	};
	f->iov = f->iov_small;
	if (r->n_data > BLK_INLINE_IOVS) {
		f->iov = malloc(r->n_data * sizeof(*f->iov));
		if (!f->iov) {
			f->iov = f->iov_small;
			f->busy = false;
			return -ENOMEM;
		}
	}
	memcpy(f->iov, r->data, r->n_data * sizeof(*f->iov));
	memcpy(f->segs, r->segs, r->n_segs * sizeof(f->segs[0]));
	return 0;
}

/* One request from queue @q: answered now, or handed to the backend.
 * The transport lock is held (virtio_pci_serve()). */
static int blk_chain(void *dev, unsigned int q, struct virtq *vq,
		     struct virtq_chain *c, const char **why)
{
	struct blk_dev *b = dev;
	struct blk_req *req = &b->req;
	uint16_t head = c->head;
	struct blk_inflight *f;
	int st;

	pthread_mutex_lock(&b->lock);
	st = blk_req_parse(c, &b->geo, req);
	f = &b->inflight[q * b->qsize + head];
	if (st < 0) {
		pthread_mutex_unlock(&b->lock);
		*why = "request without a writable status byte";
		return -EINVAL;
	}
	if (st == VIRTIO_BLK_S_OK && req->n_data > BLK_SEG_MAX)
		st = VIRTIO_BLK_S_IOERR;
	if (st == VIRTIO_BLK_S_OK && req->type == VIRTIO_BLK_T_GET_ID) {
		size_t n = virtq_buf_to_iov(req->data, req->n_data, 0,
					    b->serial, sizeof(b->serial));

		blk_finish(vq, head, req->status, VIRTIO_BLK_S_OK, n);
		pthread_mutex_unlock(&b->lock);
		return 0;
	}
	/* A head still in flight from before a reset: refuse, the slot is
	 * taken. */
	if (st == VIRTIO_BLK_S_OK && f->busy)
		st = VIRTIO_BLK_S_IOERR;
	if (st == VIRTIO_BLK_S_OK && blk_inflight_fill(b, f, q, head, req))
		st = VIRTIO_BLK_S_IOERR;
	if (st == VIRTIO_BLK_S_OK && !b->engine->submit(b, f)) {
		blk_inflight_release(f);
		st = VIRTIO_BLK_S_IOERR;
	}
	if (st != VIRTIO_BLK_S_OK) {
		blk_finish(vq, head, req->status, st, 0);
		pthread_mutex_unlock(&b->lock);
		return 0;
	}
	b->n_inflight++;
	pthread_mutex_unlock(&b->lock);
	return 0;
}

static void blk_queue_notify(void *dev, unsigned int q)
{
	struct blk_dev *b = dev;

	if (q >= b->nq)
		return;
	virtio_pci_serve(&b->vp, q, &b->chain, blk_chain, b);
	/* One submission for everything this kick brought. */
	pthread_mutex_lock(&b->lock);
	b->engine->flush(b);
	pthread_mutex_unlock(&b->lock);
}

/* @f is done with @f->res: answer the guest if its ring still exists.
 * Locked (the transport, then b->lock); engines call it from reap(). */
void blk_done(struct blk_dev *b, struct blk_inflight *f)
{
	struct virtq *vq = &b->vp.queues[f->q].vq;
	bool moves = f->type == VIRTIO_BLK_T_IN || f->type == VIRTIO_BLK_T_OUT;
	uint8_t st = VIRTIO_BLK_S_OK;
	uint32_t used = f->type == VIRTIO_BLK_T_IN ? f->len : 0;
	bool live = f->gen == b->gen && virtio_pci_queue_live(&b->vp, f->q);

	/* A short transfer is an error too (ENOSPC part-way, or the image
	 * shrank under us). */
	if (f->res < 0 || (moves && (uint64_t)f->res != f->len)) {
		blk_io_error(b, f->res < 0 ? f->res : -EIO, f->type);
		st = VIRTIO_BLK_S_IOERR;
		used = 0;
	}
	b->n_inflight--;
	blk_inflight_release(f);
	if (live)
		blk_finish(vq, f->head, f->status, st, used);
}

/* Reap what the backend finished; under the transport lock, which also
 * sends the interrupts (one per queue for the batch). */
static void blk_complete_locked(void *ctx)
{
	struct blk_dev *b = ctx;

	pthread_mutex_lock(&b->lock);
	b->engine->reap(b);
	/* The last request a reset was waiting for: the reset is done, and
	 * only now does the driver read 0. */
	if (b->reset_waiting && !b->n_inflight) {
		b->reset_waiting = false;
		virtio_pci_reset_done_locked(&b->vp);
	}
	pthread_mutex_unlock(&b->lock);
}

void blk_complete(void *ctx)
{
	struct blk_dev *b = ctx;
	uint64_t cnt;

	if (read(b->cq_efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		return;
	virtio_pci_locked(&b->vp, blk_complete_locked, b);
}

static void blk_complete_ready(void *ctx, uint32_t events)
{
	blk_complete(ctx);
}

/* No format= given: read the header (aligned, for O_DIRECT) and refuse
 * an image that is not raw, as QEMU would have opened it as its format. */
static int blk_refuse_non_raw(struct blk_dev *b, char *err, size_t errlen)
{
	static const size_t len = 4096;
	const char *fmt;
	uint8_t *buf;
	ssize_t n;

	if (posix_memalign((void **)&buf, len, len))
		return -ENOMEM;
	n = pread(b->fd, buf, len, 0);
	fmt = n > 0 ? blk_probe_format(buf, n) : NULL;
	free(buf);
	if (!fmt)
		return 0;
	snprintf(err, errlen,
		 "'%s' is a %s image, and vmm reads raw images only: convert it (qemu-img convert -O raw), or give format=raw to hand the file to the guest as it is.",
		 b->opts.path, fmt);
	return -EINVAL;
}

/* -snapshot: the image stays open read-only (and read-locked, so nobody
 * writes it under us); the guest's writes go to an overlay. */
static int blk_use_snapshot(struct blk_dev *b, char *err, size_t errlen)
{
	int r = blk_snapshot_open(&b->snap, b->fd, b->size);

	if (r < 0) {
		snprintf(err, errlen, "snapshot: cannot make a temporary overlay for '%s' in $TMPDIR or /var/tmp: %s.",
			 b->opts.path, strerror(-r));
		return r;
	}
	b->snap_on = true;
	return 0;
}

static int blk_open(struct blk_dev *b, char *err, size_t errlen)
{
	const struct blk_opts *o = &b->opts;
	bool ro = o->read_only || o->snapshot;
	int flags = (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct flock lk = { .l_type = ro ? F_RDLCK : F_WRLCK,
			    .l_whence = SEEK_SET };
	struct stat st;
	int r;

	if (o->cache == BLK_CACHE_NONE && !o->snapshot)
		flags |= O_DIRECT;
	b->fd = open(o->path, flags);
	if (b->fd < 0 && errno == EINVAL && o->cache == BLK_CACHE_NONE) {
		snprintf(err, errlen,
			 "'%s' does not support cache=none (no O_DIRECT on this filesystem); use cache=writeback.",
			 o->path);
		return -EINVAL;
	}
	if (b->fd < 0) {
		snprintf(err, errlen, "cannot open '%s': %s.", o->path,
			 strerror(errno));
		return -errno;
	}
	/* As QEMU: one writer, or any number of readers, per image. */
	if (fcntl(b->fd, F_OFD_SETLK, &lk) < 0) {
		struct flock who = lk;
		char holder[48] = "";

		/* OFD locks report pid -1; a classic lock names its process. */
		if (fcntl(b->fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK &&
		    who.l_pid > 0)
			snprintf(holder, sizeof(holder), " (process %d)", who.l_pid);
		snprintf(err, errlen,
			 "'%s' is locked by another process%s (%s).", o->path,
			 holder, ro ? "it is open for writing" : "it is in use");
		return -EBUSY;
	}
	if (!o->format_raw && (r = blk_refuse_non_raw(b, err, errlen)) < 0)
		return r;
	if (fstat(b->fd, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(b->fd, BLKGETSIZE64, &b->size) < 0)
			return -errno;
	} else if (S_ISREG(st.st_mode)) {
		b->size = st.st_size;
	} else {
		snprintf(err, errlen, "'%s' is not a file or block device.",
			 o->path);
		return -EINVAL;
	}
	/* A trailing partial block is not visible to the guest. */
	b->geo.capacity = (b->size / (BLK_SECTOR << b->geo.lbs_shift))
			  << b->geo.lbs_shift;
	if (o->snapshot && !o->read_only)
		return blk_use_snapshot(b, err, errlen);
	return 0;
}

/* io_uring, or the thread pool when asked for or when io_uring is
 * refused (old kernel, seccomp, io_uring_disabled). */
static int blk_start_backend(struct blk_dev *b, char *err, size_t errlen)
{
	int r;

	b->cq_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->cq_efd < 0) {
		snprintf(err, errlen, "cannot set up completions: %s.",
			 strerror(errno));
		return -errno;
	}
	/* The overlay's requests run on the pool (blk_snapshot.c). */
	if (b->opts.aio != BLK_AIO_THREADS && !b->snap_on) {
		b->engine = &blk_engine_uring;
		r = b->engine->start(b);
		if (r == 0)
			return 0;
		b->engine->stop(b);
		if (b->opts.aio == BLK_AIO_IO_URING) {
			snprintf(err, errlen,
				 "aio=io_uring is not available here: %s.",
				 strerror(-r));
			b->engine = NULL;
			return r;
		}
		pr_info("virtio-blk %s: io_uring is not available (%s); using aio=threads",
			b->opts.path, strerror(-r));
	}
	b->engine = &blk_engine_pool;
	r = b->engine->start(b);
	if (r < 0) {
		snprintf(err, errlen, "cannot start I/O threads: %s.",
			 strerror(-r));
		b->engine = NULL;
		return r;
	}
	return 0;
}

int blk_init(struct blk_dev *b, const struct guestmem *gm,
	     const struct blk_opts *o, const struct virtio_pci_host *host,
	     char *err, size_t errlen)
{
	uint64_t f = (1ULL << VIRTIO_BLK_F_SIZE_MAX) | (1ULL << VIRTIO_BLK_F_SEG_MAX) |
		     (1ULL << VIRTIO_BLK_F_BLK_SIZE) | (1ULL << VIRTIO_BLK_F_TOPOLOGY) |
		     (1ULL << VIRTIO_BLK_F_FLUSH) | (1ULL << VIRTIO_BLK_F_CONFIG_WCE);
	unsigned int lbs = o->logical_block_size ? o->logical_block_size : 512;
	int r;

	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->lock, NULL);
	b->gm = gm;
	b->opts = *o;
	b->fd = b->cq_efd = -1;
	b->qsize = o->queue_size ? o->queue_size : 256;
	b->nq = o->num_queues ? o->num_queues : 1;
	if (b->nq > BLK_MAX_QUEUES || (lbs != 512 && lbs != 4096) ||
	    (o->physical_block_size && (o->physical_block_size < lbs ||
	     (o->physical_block_size != 512 && o->physical_block_size != 4096)))) {
		snprintf(err, errlen,
			 "block sizes must be 512 or 4096 (physical_block_size not below logical_block_size), queues 1..%d.",
			 BLK_MAX_QUEUES);
		return -EINVAL;
	}
	b->opts.physical_block_size = o->physical_block_size ?
				      o->physical_block_size : lbs;
	b->geo.lbs_shift = lbs == 4096 ? 3 : 0;
	b->geo.read_only = o->read_only;
	b->geo.discard = o->discard;
	b->geo.max_discard_segs = BLK_MAX_DISCARD_SEGS;
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
	if (b->nq > 1)
		f |= 1ULL << VIRTIO_BLK_F_MQ;
	b->inflight = calloc((size_t)b->qsize * b->nq, sizeof(*b->inflight));
	if (!b->inflight)
		return -ENOMEM;
	r = blk_start_backend(b, err, errlen);
	if (r < 0)
		return r;
	b->ops = (struct virtio_dev_ops){
		.device_id = VIRTIO_ID_BLOCK,
		.class_code = 0x010000,       /* mass storage, SCSI: as QEMU */
		.features = f,
		.num_queues = b->nq,
		.max_queue_size = b->qsize,
		.config_len = sizeof(struct virtio_blk_config),
		.config_read = blk_config_read,
		.config_write = blk_config_write,
		.queue_notify = blk_queue_notify,
		.reset = blk_reset,
	};
	r = virtio_pci_init(&b->vp, &b->ops, b, gm, host, "virtio-blk");
	/* Completions are served by the device's own I/O thread. */
	if (r == 0 && host && host->io) {
		r = evloop_add_fd(host->io, b->cq_efd, EPOLLIN, blk_complete_ready, b);
		if (r > 0)
			r = 0;
		if (r < 0)
			snprintf(err, errlen, "cannot watch its completions: %s.",
				 strerror(-r));
	}
	return r < 0 ? r : 0;
}

void blk_exit(struct blk_dev *b)
{
	/*
	 * Let in-flight requests finish first: the engine holds references
	 * to the image, and its lock must be free when we are gone.
	 */
	if (b->engine)
		b->engine->stop(b);
	b->engine = NULL;
	for (unsigned int i = 0; b->inflight && i < (unsigned int)b->qsize * b->nq; i++)
		if (b->inflight[i].busy)
			blk_inflight_release(&b->inflight[i]);
	util_close_fd(&b->cq_efd);
	util_close_fd(&b->fd);
	if (b->snap_on)
		blk_snapshot_close(&b->snap);
	b->snap_on = false;
	free(b->inflight);
	b->inflight = NULL;
}
