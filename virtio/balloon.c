// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include <linux/virtio_ids.h>

#include "util/log.h"
#include "virtio/balloon.h"

#define BALLOON_PAGE 4096ULL
#define BALLOON_QUEUE_SIZE 256

static void balloon_config_read(void *dev, unsigned int off, uint8_t *data,
				unsigned int len)
{
	struct balloon *b = dev;
	struct virtio_balloon_config c = { 0 };

	pthread_mutex_lock(&b->lock);
	c.num_pages = b->num_pages;
	c.actual = b->actual;
	pthread_mutex_unlock(&b->lock);
	/* The transport has already checked off + len <= sizeof(c). */
	memcpy(data, (uint8_t *)&c + off, len);
}

static void balloon_config_write(void *dev, unsigned int off,
				 const uint8_t *data, unsigned int len)
{
	struct balloon *b = dev;
	uint32_t v;
	bool changed;

	/* Only "actual" is the driver's to write, as a whole dword. */
	if (off != offsetof(struct virtio_balloon_config, actual) || len != 4)
		return;
	memcpy(&v, data, 4);
	pthread_mutex_lock(&b->lock);
	changed = v != b->actual;
	b->actual = v;
	pthread_mutex_unlock(&b->lock);
	if (changed && b->actual_changed)
		b->actual_changed(b->ctx, v);
}

/* Queue roles follow the features the driver took (Linux numbers only
 * the queues it uses). */
static void balloon_activate(void *dev)
{
	struct balloon *b = dev;
	unsigned int q = 2;

	pthread_mutex_lock(&b->lock);
	b->role[0] = BQ_INFLATE;
	b->role[1] = BQ_DEFLATE;
	b->role[2] = b->role[3] = BQ_NONE;
	if (virtio_pci_feature(&b->vp, VIRTIO_BALLOON_F_STATS_VQ))
		b->role[q++] = BQ_STATS;
	if (virtio_pci_feature(&b->vp, VIRTIO_BALLOON_F_REPORTING))
		b->role[q++] = BQ_REPORTING;
	pthread_mutex_unlock(&b->lock);
}

static int balloon_reset(void *dev)
{
	struct balloon *b = dev;

	/* Called with the transport locked: touch only our own state. */
	pthread_mutex_lock(&b->lock);
	b->stats_held = false;
	b->actual = 0;
	for (unsigned int i = 0; i < 4; i++)
		b->role[i] = BQ_NONE;
	pthread_mutex_unlock(&b->lock);
	return 0;
}

/* Discard [gpa, gpa + len) if it is RAM; count what was refused. */
static void balloon_discard(struct balloon *b, uint64_t gpa, uint64_t len)
{
	if (!len)
		return;
	if (guestmem_discard(b->gm, gpa, len) < 0) {
		b->refused_pfns += len / BALLOON_PAGE;
		pr_warn_rl(&b->vp.log_rl, "balloon: guest named %#llx+%#llx, not RAM: ignored",
			(unsigned long long)gpa, (unsigned long long)len);
		return;
	}
	b->discarded_pages += len / BALLOON_PAGE;
	b->discards++;
}

static void balloon_inflate(struct balloon *b, const struct virtq_chain *c)
{
	uint64_t run_start = 0, run_len = 0;
	size_t off = 0;
	uint32_t pfn;

	/* The buffer is an array of 32-bit PFNs; runs become one discard.
	 * Linux's page allocator often hands them out in descending order,
	 * so runs grow both ways. */
	while (virtq_iov_to_buf(c->iov, c->n_out, off, &pfn, 4) == 4) {
		uint64_t gpa = (uint64_t)pfn << VIRTIO_BALLOON_PFN_SHIFT;

		off += 4;
		if (run_len && gpa == run_start + run_len) {
			run_len += BALLOON_PAGE;
			continue;
		}
		if (run_len && gpa + BALLOON_PAGE == run_start) {
			run_start = gpa;
			run_len += BALLOON_PAGE;
			continue;
		}
		balloon_discard(b, run_start, run_len);
		run_start = gpa;
		run_len = BALLOON_PAGE;
	}
	balloon_discard(b, run_start, run_len);
}

static void balloon_report(struct balloon *b, const struct virtq_chain *c)
{
	/* Free page reporting lends the free pages themselves, writable. */
	for (unsigned int i = c->n_out; i < c->n_out + c->n_in; i++) {
		uint64_t gpa = guestmem_gpa_of(b->gm, c->iov[i].iov_base);
		uint64_t len = c->iov[i].iov_len;

		if (gpa == (uint64_t)-1 || (gpa & (BALLOON_PAGE - 1)) ||
		    (len & (BALLOON_PAGE - 1))) {
			pr_warn_rl(&b->vp.log_rl, "balloon: reported range not page aligned: ignored");
			continue;
		}
		balloon_discard(b, gpa, len);
	}
}

static void balloon_take_stats(struct balloon *b, const struct virtq_chain *c)
{
	struct virtio_balloon_stat s;
	size_t off = 0;

	/* Tags we do not know are skipped; the walk ends with the buffer. */
	while (virtq_iov_to_buf(c->iov, c->n_out, off, &s, sizeof(s)) == sizeof(s)) {
		off += sizeof(s);
		if (s.tag < VIRTIO_BALLOON_S_NR) {
			b->stats[s.tag] = s.val;
			b->stats_seen[s.tag] = true;
		}
	}
	b->stats_last_update = time(NULL);
	b->stats_held = true;
	b->stats_head = c->head;
}

/* One chain from queue @q (the transport lock is held: see
 * virtio_pci_serve()). */
static int balloon_chain(void *dev, unsigned int q, struct virtq *vq,
			 struct virtq_chain *c, const char **why)
{
	struct balloon *b = dev;

	pthread_mutex_lock(&b->lock);
	switch (q < 4 ? b->role[q] : BQ_NONE) {
	case BQ_INFLATE:
		balloon_inflate(b, c);
		break;
	case BQ_REPORTING:
		balloon_report(b, c);
		break;
	case BQ_STATS:
		/* Kept until we want fresh numbers; not returned now. */
		if (b->stats_held)
			virtq_push(vq, b->stats_head, 0);
		balloon_take_stats(b, c);
		pthread_mutex_unlock(&b->lock);
		return 0;
	default:   /* deflate: nothing to do, the pages return on touch */
		break;
	}
	virtq_push(vq, c->head, 0);
	pthread_mutex_unlock(&b->lock);
	return 0;
}

void balloon_queue_notify(void *dev, unsigned int q)
{
	struct balloon *b = dev;

	virtio_pci_serve(&b->vp, q, &b->chain, balloon_chain, b);
}

/* Give the held stats buffer back: the driver answers with fresh ones.
 * Under the transport lock (virtio_pci_locked()). */
static void balloon_stats_locked(void *ctx)
{
	struct balloon *b = ctx;

	pthread_mutex_lock(&b->lock);
	for (unsigned int q = 0; q < 4; q++) {
		if (b->role[q] != BQ_STATS || !b->stats_held ||
		    !virtio_pci_queue_live(&b->vp, q))
			continue;
		virtq_push(&b->vp.queues[q].vq, b->stats_head, 0);
		b->stats_held = false;
	}
	pthread_mutex_unlock(&b->lock);
}

void balloon_request_stats(struct balloon *b)
{
	virtio_pci_locked(&b->vp, balloon_stats_locked, b);
}

void balloon_set_target(struct balloon *b, uint32_t pages)
{
	pthread_mutex_lock(&b->lock);
	b->num_pages = pages;
	pthread_mutex_unlock(&b->lock);
	virtio_pci_notify_config(&b->vp);
}

uint32_t balloon_get_actual(struct balloon *b)
{
	uint32_t a;

	pthread_mutex_lock(&b->lock);
	a = b->actual;
	pthread_mutex_unlock(&b->lock);
	return a;
}

time_t balloon_get_stats(struct balloon *b, int64_t out[VIRTIO_BALLOON_S_NR])
{
	time_t last;

	pthread_mutex_lock(&b->lock);
	for (unsigned int i = 0; i < VIRTIO_BALLOON_S_NR; i++)
		out[i] = b->stats_seen[i] ? (int64_t)b->stats[i] : -1;
	last = b->stats_last_update;
	pthread_mutex_unlock(&b->lock);
	return last;
}

static void balloon_stats_tick(void *ctx)
{
	balloon_request_stats(ctx);
}

int balloon_set_stats_interval(struct balloon *b, unsigned int secs)
{
	int r;

	if (b->stats_timer < 0)
		return -ENODEV;
	r = evloop_timer_arm(b->vp.host.io, b->stats_timer, secs * 1000ULL,
			     secs * 1000ULL);
	if (r < 0)
		return r;
	__atomic_store_n(&b->opts.stats_interval, secs, __ATOMIC_RELAXED);
	/* A first poll now, so stats do not wait a whole period. */
	if (secs)
		balloon_request_stats(b);
	return 0;
}

unsigned int balloon_get_stats_interval(struct balloon *b)
{
	return __atomic_load_n(&b->opts.stats_interval, __ATOMIC_RELAXED);
}

int balloon_init(struct balloon *b, const struct guestmem *gm,
		 const struct balloon_opts *opts,
		 const struct virtio_pci_host *host)
{
	uint64_t f = (1ULL << VIRTIO_BALLOON_F_STATS_VQ);
	int r;

	memset(b, 0, sizeof(*b));
	b->stats_timer = -1;
	pthread_mutex_init(&b->lock, NULL);
	b->gm = gm;
	b->opts = *opts;
	if (opts->deflate_on_oom)
		f |= 1ULL << VIRTIO_BALLOON_F_DEFLATE_ON_OOM;
	if (opts->free_page_reporting)
		f |= 1ULL << VIRTIO_BALLOON_F_REPORTING;
	b->ops = (struct virtio_dev_ops){
		.device_id = VIRTIO_ID_BALLOON,
		.class_code = 0x00ff00,
		.features = f,
		.num_queues = 2 + 1 + (opts->free_page_reporting ? 1 : 0),
		.max_queue_size = BALLOON_QUEUE_SIZE,
		.config_len = sizeof(struct virtio_balloon_config),
		.config_read = balloon_config_read,
		.config_write = balloon_config_write,
		.queue_notify = balloon_queue_notify,
		.activate = balloon_activate,
		.reset = balloon_reset,
	};
	for (unsigned int i = 0; i < 4; i++)
		b->role[i] = BQ_NONE;
	r = virtio_pci_init(&b->vp, &b->ops, b, gm, host, "virtio-balloon");
	if (r < 0 || !host || !host->io)
		return r;
	/* The stats polling timer runs in the device's own I/O thread. */
	b->stats_timer = evloop_add_timer(host->io, balloon_stats_tick, b);
	if (b->stats_timer < 0)
		return b->stats_timer;
	if (opts->stats_interval)
		return evloop_timer_arm(host->io, b->stats_timer,
					opts->stats_interval * 1000ULL,
					opts->stats_interval * 1000ULL);
	return 0;
}
