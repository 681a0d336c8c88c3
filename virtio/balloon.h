/* SPDX-License-Identifier: MIT */
#ifndef VIRTIO_BALLOON_H
#define VIRTIO_BALLOON_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <linux/virtio_balloon.h>

#include "virtio/virtio_pci.h"

/*
 * virtio-balloon: inflated pages and reported free pages go back to the
 * host (holes punched in guest RAM); deflated pages come back on touch.
 * Every PFN and buffer the guest names is checked against RAM before
 * anything is discarded.
 */
enum balloon_queue_role { BQ_INFLATE, BQ_DEFLATE, BQ_STATS, BQ_REPORTING, BQ_NONE };

struct balloon_opts {
	bool deflate_on_oom;
	bool free_page_reporting;
	unsigned int stats_interval;   /* seconds, 0: no polling */
};

struct balloon {
	struct virtio_pci vp;
	struct virtio_dev_ops ops;
	const struct guestmem *gm;
	struct balloon_opts opts;
	pthread_mutex_t lock;
	uint32_t num_pages;            /* target, in 4 KiB pages */
	uint32_t actual;               /* what the driver reports */
	enum balloon_queue_role role[4];
	struct virtq_chain chain;      /* scratch for the queue walk */
	/* Stats: the buffer the driver lent us, and what it last said. */
	bool stats_held;
	uint16_t stats_head;
	uint64_t stats[VIRTIO_BALLOON_S_NR];
	bool stats_seen[VIRTIO_BALLOON_S_NR];
	time_t stats_last_update;
	uint64_t discarded_pages;      /* counters, for -v and tests */
	uint64_t discards;             /* calls that gave runs back */
	uint64_t refused_pfns;
	int stats_timer;               /* in the I/O loop; -1: none */
	/* Told when the driver's "actual" changes (QMP BALLOON_CHANGE). */
	void (*actual_changed)(void *ctx, uint32_t actual_pages);
	void *ctx;
};

int balloon_init(struct balloon *b, const struct guestmem *gm,
		 const struct balloon_opts *opts,
		 const struct virtio_pci_host *host);
/* Set the target (pages the guest should give up) and tell the driver. */
void balloon_set_target(struct balloon *b, uint32_t pages);
uint32_t balloon_get_actual(struct balloon *b);
/* A consistent copy of the last stats the driver sent: -1 for a tag it
 * never sent (QMP's convention); returns the time of that update. */
time_t balloon_get_stats(struct balloon *b, int64_t out[VIRTIO_BALLOON_S_NR]);
/* Ask the driver for fresh stats (the polling timer calls this). */
void balloon_request_stats(struct balloon *b);
/* guest-stats-polling-interval: poll every @secs seconds (0: stop), the
 * first time now; -ENODEV without an I/O loop to run the timer. Any
 * thread. */
int balloon_set_stats_interval(struct balloon *b, unsigned int secs);
unsigned int balloon_get_stats_interval(struct balloon *b);
/* Process a queue; the transport's queue_notify. */
void balloon_queue_notify(void *dev, unsigned int q);

#endif
