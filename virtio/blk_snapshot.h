/* SPDX-License-Identifier: MIT */
#ifndef VIRTIO_BLK_SNAPSHOT_H
#define VIRTIO_BLK_SNAPSHOT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * -snapshot: a copy-on-write overlay over the image (blk_snapshot.c).
 * The image is only read; the overlay is an unlinked sparse temporary
 * file, so it vanishes with the VMM.
 */
struct blk_inflight;

struct blk_snapshot {
	int base_fd, over_fd;
	uint64_t size;
	uint8_t *map;               /* a bit per 64 KiB chunk: in the overlay */
	uint8_t *buf;               /* one chunk, for copy-ups */
	pthread_mutex_t lock;       /* map, buf, and each request */
	bool ready;
};

/* An empty overlay over @base_fd (@size bytes); 0 or -errno. */
int blk_snapshot_open(struct blk_snapshot *s, int base_fd, uint64_t size);
void blk_snapshot_close(struct blk_snapshot *s);
/* Run request @f against image + overlay (the thread pool's run
 * function): f->res as blk_inflight_run() sets it. */
void blk_snapshot_run(void *ctx, struct blk_inflight *f);

#endif
