/* SPDX-License-Identifier: MIT */
#ifndef VIRTIO_BLK_H
#define VIRTIO_BLK_H

#include <liburing.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "virtio/blk_req.h"
#include "virtio/blk_snapshot.h"
#include "virtio/blk_types.h"
#include "virtio/virtio_pci.h"

/*
 * virtio-blk on io_uring: requests parsed from a queue are submitted in
 * one batch per notification; completions are reaped when the ring's
 * eventfd fires, and returned to the guest with one interrupt per queue
 * and batch. aio=threads (or a host that refuses io_uring) runs the same
 * requests on a small thread pool that signals the same eventfd.
 * Per-request state lives in a table sized by the queues, so a guest that
 * never consumes completions cannot make the VMM allocate.
 */

#define BLK_MAX_QUEUES   16
#define BLK_INLINE_IOVS  4
#define BLK_SEG_MAX      254          /* data buffers per request */

struct sandbox;

struct blk_opts {
	const char *path;
	bool read_only;
	enum blk_cache cache;
	enum blk_aio aio;
	bool discard;                 /* discard=unmap */
	const char *serial;
	uint16_t queue_size;
	uint16_t num_queues;          /* 0: one */
	uint16_t logical_block_size;  /* 0: 512 */
	uint16_t physical_block_size; /* 0: the logical size */
	const struct sandbox *sandbox; /* for aio=threads workers; may be NULL */
	bool format_raw;              /* format=raw given: no probing */
	bool snapshot;                /* -snapshot: writes go to a throwaway overlay */
};

/* One request on its way through a backend. */
struct blk_inflight {
	struct blk_inflight *next;    /* thread pool lists */
	bool busy;
	uint16_t q, head;
	uint32_t gen;                 /* device generation it was taken in */
	uint32_t type;
	uint8_t *status;
	uint64_t off;                 /* bytes */
	uint64_t len;                 /* bytes to transfer (IN / OUT) */
	bool dsync;                   /* OUT: durable before completion */
	bool nop;                     /* FLUSH with cache=unsafe */
	struct iovec *iov;            /* iov_small, or heap for long chains */
	unsigned int n_iov;
	struct iovec iov_small[BLK_INLINE_IOVS];
	struct virtio_blk_discard_write_zeroes segs[BLK_MAX_DISCARD_SEGS];
	unsigned int n_segs;
	unsigned int pending;         /* io_uring SQEs still out */
	int res;                      /* bytes moved, or -errno */
};

struct blk_pool {
	pthread_t threads[4];
	unsigned int n_threads;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct blk_inflight *todo, **todo_tail, *done;
	unsigned int running;
	bool stop;
	int fd, efd;
	/* What a worker does with a request: blk_inflight_run() on fd, or
	 * this (the -snapshot overlay's). */
	void (*run)(void *ctx, struct blk_inflight *f);
	void *run_ctx;
	const struct sandbox *sandbox;  /* the workers confine themselves */
};

struct blk_dev;

/*
 * How requests reach the image: io_uring (blk_uring.c) or a thread pool
 * (blk_pool.c). Every call but start and stop is made under b->lock.
 */
struct blk_engine {
	const char *name;
	/* On b->fd, completions signalled on b->cq_efd; 0 or -errno (then
	 * stop() undoes what was done). */
	int (*start)(struct blk_dev *b);
	/* Take request @f; false: not now (the guest gets an I/O error). */
	bool (*submit)(struct blk_dev *b, struct blk_inflight *f);
	/* After a kick's batch: send what submit() queued. */
	void (*flush)(struct blk_dev *b);
	/* blk_done() for every finished request. */
	void (*reap)(struct blk_dev *b);
	/* Let what is in flight finish, then release everything. */
	void (*stop)(struct blk_dev *b);
};

extern const struct blk_engine blk_engine_uring, blk_engine_pool;

struct blk_dev {
	struct virtio_pci vp;
	struct virtio_dev_ops ops;
	const struct guestmem *gm;
	struct blk_opts opts;
	int fd;
	struct blk_snapshot snap;     /* -snapshot: the overlay (snap_on) */
	bool snap_on;
	uint64_t size;                /* bytes */
	struct blk_geometry geo;
	uint8_t wce;                  /* writeback cache enabled (config) */
	char serial[VIRTIO_BLK_ID_BYTES];
	const struct blk_engine *engine;
	struct io_uring ring;
	bool ring_ok;
	struct blk_pool pool;
	bool pool_ok;
	int cq_efd;                   /* eventfd completions are signalled on */
	pthread_mutex_t lock;
	uint32_t gen;                 /* bumped by every device reset */
	struct virtq_chain chain;
	struct blk_req req;
	uint16_t qsize, nq;
	struct blk_inflight *inflight;   /* nq * qsize slots, by (queue, head) */
	unsigned int n_inflight;
	bool reset_waiting;           /* a driver reset waits for n_inflight 0 */
	unsigned int queued;          /* SQEs queued, not yet submitted */
	bool io_error_logged;
};

/* Open the image (locking it) and build the device; 0 or -errno with a
 * sentence in @err. */
int blk_init(struct blk_dev *b, const struct guestmem *gm,
	     const struct blk_opts *o, const struct virtio_pci_host *host,
	     char *err, size_t errlen);
void blk_exit(struct blk_dev *b);
/* The image format a header announces ("qcow2", "vmdk", ...), or NULL
 * when it looks like none (raw). blk_probe.c. */
const char *blk_probe_format(const uint8_t *buf, size_t n);
/* Reap completions (the I/O thread calls this when cq_efd fires). */
void blk_complete(void *ctx);
/* For the engines: request @f finished with f->res (under b->lock), and
 * a slot's resources given back. */
void blk_done(struct blk_dev *b, struct blk_inflight *f);
void blk_inflight_release(struct blk_inflight *f);

/* The thread pool (blk_pool.c). Jobs run blk_inflight_run(); finished
 * ones are collected with blk_pool_take_done() after @efd fires. */
int blk_pool_start(struct blk_pool *p, int fd, int efd, unsigned int n,
		   const struct sandbox *sb);
void blk_pool_queue(struct blk_pool *p, struct blk_inflight *f);
/* Move @len bytes at @off through @n iovecs (edited as it goes),
 * continuing after short transfers; the bytes moved (fewer at the end of
 * the file) or -errno. */
int64_t blk_rw_all(int fd, bool write, struct iovec *iov, unsigned int n,
		   uint64_t off, uint64_t len, int flags);
struct blk_inflight *blk_pool_take_done(struct blk_pool *p);
/* Wait for queued and running jobs, then end the threads. */
void blk_pool_stop(struct blk_pool *p);
/* Do @f's I/O synchronously on @fd; sets f->res. */
void blk_inflight_run(int fd, struct blk_inflight *f);

#endif
