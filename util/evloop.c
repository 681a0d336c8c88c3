// SPDX-License-Identifier: MIT
/*
 * The event loop (util/evloop.h): epoll, a stop eventfd, timerfds. A
 * watch's epoll data carries its slot and a generation, so a report
 * taken before the watch was deleted (and its slot reused in the same
 * round) is dropped instead of reaching the new owner.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "util/evloop.h"
#include "util/log.h"

#define EVLOOP_STOP_TAG UINT64_MAX

static uint64_t evloop_tag(const struct evloop *l, int id)
{
	return (uint64_t)l->w[id].gen << 32 | (uint32_t)id;
}

int evloop_init(struct evloop *l, const char *name)
{
	struct epoll_event ev = { .events = EPOLLIN,
				  .data.u64 = EVLOOP_STOP_TAG };

	memset(l, 0, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s", name);
	for (unsigned int i = 0; i < EVLOOP_MAX_WATCH; i++)
		l->w[i].fd = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->epfd < 0 || l->stopfd < 0 ||
	    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->stopfd, &ev) < 0) {
		int r = -errno;

		if (l->epfd >= 0)
			close(l->epfd);
		if (l->stopfd >= 0)
			close(l->stopfd);
		l->epfd = l->stopfd = -1;
		return r;
	}
	l->ready = true;
	return 0;
}

static int evloop_slot(struct evloop *l)
{
	for (int i = 0; i < EVLOOP_MAX_WATCH; i++)
		if (l->w[i].fd < 0)
			return i;
	return -ENOSPC;
}

static int evloop_add(struct evloop *l, int fd, uint32_t events, bool timer,
		      evloop_fd_fn cb, void *ctx)
{
	struct epoll_event ev = { .events = events };
	int id = evloop_slot(l);

	if (id < 0)
		return id;
	l->w[id].gen++;
	ev.data.u64 = evloop_tag(l, id);
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	l->w[id].fd = fd;
	l->w[id].timer = timer;
	l->w[id].cb = cb;
	l->w[id].ctx = ctx;
	return id;
}

int evloop_add_fd(struct evloop *l, int fd, uint32_t events, evloop_fd_fn cb,
		  void *ctx)
{
	if (fd < 0 || !cb)
		return -EINVAL;
	return evloop_add(l, fd, events, false, cb, ctx);
}

static bool evloop_valid(const struct evloop *l, int id)
{
	return id >= 0 && id < EVLOOP_MAX_WATCH && l->w[id].fd >= 0;
}

int evloop_set_events(struct evloop *l, int id, uint32_t events)
{
	struct epoll_event ev = { .events = events };

	if (!evloop_valid(l, id))
		return -EINVAL;
	ev.data.u64 = evloop_tag(l, id);
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, l->w[id].fd, &ev) < 0 ? -errno : 0;
}

int evloop_add_timer(struct evloop *l, evloop_fn cb, void *ctx)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	int id;

	if (fd < 0)
		return -errno;
	id = evloop_add(l, fd, EPOLLIN, true, NULL, ctx);
	if (id < 0) {
		close(fd);
		return id;
	}
	l->w[id].tick = cb;
	return id;
}

int evloop_timer_arm(struct evloop *l, int id, uint64_t first_ms,
		     uint64_t period_ms)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = first_ms / 1000,
			      .tv_nsec = (first_ms % 1000) * 1000000 },
		.it_interval = { .tv_sec = period_ms / 1000,
				 .tv_nsec = (period_ms % 1000) * 1000000 },
	};

	if (!evloop_valid(l, id) || !l->w[id].timer)
		return -EINVAL;
	return timerfd_settime(l->w[id].fd, 0, &its, NULL) < 0 ? -errno : 0;
}

int evloop_del(struct evloop *l, int id)
{
	struct evloop_watch *w;

	if (!evloop_valid(l, id))
		return -EINVAL;
	w = &l->w[id];
	/* The fd may be closed already by its owner: nothing to remove. */
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	if (w->timer)
		close(w->fd);
	w->fd = -1;
	w->cb = NULL;
	w->tick = NULL;
	return 0;
}

void evloop_set_hooks(struct evloop *l, evloop_fn on_round, evloop_fn on_stop,
		      void *ctx)
{
	l->on_round = on_round;
	l->on_stop = on_stop;
	l->hook_ctx = ctx;
}

static void evloop_dispatch(struct evloop *l, uint64_t tag, uint32_t events)
{
	uint32_t id = (uint32_t)tag, gen = tag >> 32;
	struct evloop_watch *w;
	uint64_t cnt;

	if (tag == EVLOOP_STOP_TAG) {
		__atomic_store_n(&l->stopping, true, __ATOMIC_RELEASE);
		return;
	}
	if (id >= EVLOOP_MAX_WATCH)
		return;
	w = &l->w[id];
	if (w->fd < 0 || w->gen != gen)
		return;                 /* deleted earlier in this round */
	if (!w->timer) {
		w->cb(w->ctx, events);
		return;
	}
	/* Drain the expiry count first: a callback that re-arms must not
	 * see its new period's first expiry eaten. */
	if (read(w->fd, &cnt, sizeof(cnt)) == sizeof(cnt) && w->tick)
		w->tick(w->ctx);
}

int evloop_run(struct evloop *l)
{
	while (!__atomic_load_n(&l->stopping, __ATOMIC_ACQUIRE)) {
		struct epoll_event ev[16];
		int n = epoll_wait(l->epfd, ev, 16, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			pr_err("%s: epoll_wait: %s", l->name, strerror(errno));
			return -errno;
		}
		for (int i = 0; i < n; i++)
			evloop_dispatch(l, ev[i].data.u64, ev[i].events);
		if (l->on_round)
			l->on_round(l->hook_ctx);
	}
	if (l->on_stop)
		l->on_stop(l->hook_ctx);
	return 0;
}

void evloop_break(struct evloop *l)
{
	uint64_t one = 1;

	/* Also the flag: a loop that is not waiting yet sees it at once. */
	__atomic_store_n(&l->stopping, true, __ATOMIC_RELEASE);
	if (write(l->stopfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_warn("%s: cannot wake the loop", l->name);
}

static void *evloop_thread(void *arg)
{
	struct evloop *l = arg;

	pthread_setname_np(pthread_self(), l->name);
	sandbox_enter_or_die(l->sandbox, l->cls);
	evloop_run(l);
	return NULL;
}

int evloop_start(struct evloop *l, const struct sandbox *sb,
		 enum sandbox_class cls)
{
	int r;

	l->sandbox = sb;
	l->cls = cls;
	r = pthread_create(&l->thread, NULL, evloop_thread, l);
	if (r)
		return -r;
	l->started = true;
	return 0;
}

void evloop_stop(struct evloop *l)
{
	if (!l->started)
		return;
	evloop_break(l);
	pthread_join(l->thread, NULL);
	l->started = false;
}

void evloop_exit(struct evloop *l)
{
	if (!l->ready)
		return;
	evloop_stop(l);
	for (int i = 0; i < EVLOOP_MAX_WATCH; i++)
		if (l->w[i].fd >= 0 && l->w[i].timer)
			close(l->w[i].fd);
	for (int i = 0; i < EVLOOP_MAX_WATCH; i++)
		l->w[i].fd = -1;
	close(l->epfd);
	close(l->stopfd);
	l->epfd = l->stopfd = -1;
	l->ready = false;
}
