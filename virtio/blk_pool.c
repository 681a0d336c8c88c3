// SPDX-License-Identifier: MIT
/*
 * aio=threads: the fallback where io_uring is missing or refused. A few
 * workers run requests with preadv2/pwritev2/fdatasync/fallocate and put
 * them on a done list; the device's I/O thread is woken through the same
 * eventfd io_uring would signal, so completion handling is shared.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util/sandbox.h"
#include "virtio/blk.h"

int64_t blk_rw_all(int fd, bool write, struct iovec *iov, unsigned int n,
		   uint64_t off, uint64_t len, int flags)
{
	uint64_t done = 0;

	while (done < len && n) {
		ssize_t r = write ? pwritev2(fd, iov, n, off + done, flags)
				  : preadv2(fd, iov, n, off + done, flags);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;                 /* end of file */
		done += r;
		/* Step over what was moved (the iovecs are ours to edit). */
		while (n && (size_t)r >= iov->iov_len) {
			r -= iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= r;
		}
	}
	return done;
}

void blk_inflight_run(int fd, struct blk_inflight *f)
{
	int64_t r = 0;

	switch (f->type) {
	case VIRTIO_BLK_T_IN:
		r = blk_rw_all(fd, false, f->iov, f->n_iov, f->off, f->len, 0);
		break;
	case VIRTIO_BLK_T_OUT:
		r = blk_rw_all(fd, true, f->iov, f->n_iov, f->off, f->len,
			       f->dsync ? RWF_DSYNC : 0);
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (!f->nop && fdatasync(fd) < 0)
			r = -errno;
		break;
	default:
		for (unsigned int i = 0; i < f->n_segs && r == 0; i++) {
			const struct virtio_blk_discard_write_zeroes *s = &f->segs[i];
			bool unmap = f->type == VIRTIO_BLK_T_DISCARD ||
				     (s->flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);

			if (fallocate(fd, (unmap ? FALLOC_FL_PUNCH_HOLE :
					   FALLOC_FL_ZERO_RANGE) | FALLOC_FL_KEEP_SIZE,
				      (off_t)s->sector * BLK_SECTOR,
				      (off_t)s->num_sectors * BLK_SECTOR) < 0)
				r = -errno;
		}
		break;
	}
	f->res = r < 0 ? (int)r : (int)(r > INT32_MAX ? INT32_MAX : r);
}

static void *blk_pool_worker(void *arg)
{
	struct blk_pool *p = arg;
	uint64_t one = 1;

	sandbox_enter_or_die(p->sandbox, SANDBOX_BLK_POOL);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct blk_inflight *f;

		while (!p->todo && !p->stop)
			pthread_cond_wait(&p->cond, &p->lock);
		if (!p->todo)
			break;
		f = p->todo;
		p->todo = f->next;
		if (!p->todo)
			p->todo_tail = &p->todo;
		p->running++;
		pthread_mutex_unlock(&p->lock);

		if (p->run)
			p->run(p->run_ctx, f);
		else
			blk_inflight_run(p->fd, f);

		pthread_mutex_lock(&p->lock);
		p->running--;
		f->next = p->done;
		p->done = f;
		if (write(p->efd, &one, sizeof(one)) < 0) {
			/* The counter cannot overflow at our rates. */
		}
		pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int blk_pool_start(struct blk_pool *p, int fd, int efd, unsigned int n,
		   const struct sandbox *sb)
{
	*p = (struct blk_pool){ .fd = fd, .efd = efd, .sandbox = sb };
	p->todo_tail = &p->todo;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	if (n > sizeof(p->threads) / sizeof(p->threads[0]))
		n = sizeof(p->threads) / sizeof(p->threads[0]);
	for (; p->n_threads < n; p->n_threads++) {
		int r = pthread_create(&p->threads[p->n_threads], NULL,
				       blk_pool_worker, p);

		if (r) {
			blk_pool_stop(p);
			return -r;
		}
	}
	return 0;
}

void blk_pool_queue(struct blk_pool *p, struct blk_inflight *f)
{
	pthread_mutex_lock(&p->lock);
	f->next = NULL;
	*p->todo_tail = f;
	p->todo_tail = &f->next;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

struct blk_inflight *blk_pool_take_done(struct blk_pool *p)
{
	struct blk_inflight *list;

	pthread_mutex_lock(&p->lock);
	list = p->done;
	p->done = NULL;
	pthread_mutex_unlock(&p->lock);
	return list;
}

void blk_pool_stop(struct blk_pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->stop = true;           /* workers drain the queue, then leave */
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (unsigned int i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	p->n_threads = 0;
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
}

/* The aio=threads engine: the pool's workers run each request with
 * blocking system calls and signal the device's eventfd. */
static int blk_pool_engine_start(struct blk_dev *b)
{
	int r = blk_pool_start(&b->pool, b->fd, b->cq_efd, 4, b->opts.sandbox);

	b->pool_ok = r == 0;
	/* Before any request: the workers read it with the first job. */
	if (r == 0 && b->snap_on) {
		b->pool.run = blk_snapshot_run;
		b->pool.run_ctx = &b->snap;
	}
	return r;
}

static bool blk_pool_engine_submit(struct blk_dev *b, struct blk_inflight *f)
{
	blk_pool_queue(&b->pool, f);
	return true;
}

static void blk_pool_engine_flush(struct blk_dev *b)
{
	/* Each request was handed to a worker as it came. */
}

static void blk_pool_engine_reap(struct blk_dev *b)
{
	struct blk_inflight *f = blk_pool_take_done(&b->pool), *next;

	for (; f; f = next) {
		next = f->next;
		blk_done(b, f);
	}
}

/* The workers finish what is queued, then leave. */
static void blk_pool_engine_stop(struct blk_dev *b)
{
	if (b->pool_ok)
		blk_pool_stop(&b->pool);
	b->pool_ok = false;
}

const struct blk_engine blk_engine_pool = {
	.name = "aio=threads",
	.start = blk_pool_engine_start,
	.submit = blk_pool_engine_submit,
	.flush = blk_pool_engine_flush,
	.reap = blk_pool_engine_reap,
	.stop = blk_pool_engine_stop,
};
