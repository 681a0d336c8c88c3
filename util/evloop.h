/* SPDX-License-Identifier: MIT */
#ifndef UTIL_EVLOOP_H
#define UTIL_EVLOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/sandbox.h"

/*
 * One event loop, used by every thread that waits on fds: a device's I/O
 * thread (kicks, io_uring completions, taps, the balloon's stats timer),
 * the QMP thread (listening socket, clients, its event queue), the
 * console's input thread and the main thread (stop requests, signals).
 * Each owner registers its own fds and timers; the loop owns only its
 * epoll set, its stop eventfd and the timerfds it created.
 *
 * Threads: evloop_add_fd(), evloop_add_timer() and evloop_del() run
 * before the loop starts or in its own thread (a callback); they are
 * not safe against a dispatch in progress on another thread.
 * evloop_set_events(), evloop_timer_arm() and evloop_break() are safe
 * from any thread (each is one system call on an fd that stays open
 * until evloop_exit()); callers serialise changes to one watch.
 */
#define EVLOOP_MAX_WATCH 48

/* @events: what epoll reported (EPOLLIN, EPOLLOUT, EPOLLHUP, ...). */
typedef void (*evloop_fd_fn)(void *ctx, uint32_t events);
typedef void (*evloop_fn)(void *ctx);

struct evloop_watch {
	int fd;                 /* -1: a free slot */
	uint32_t gen;           /* stale epoll reports are told apart */
	bool timer;             /* a timerfd of ours: read it, then call */
	evloop_fd_fn cb;
	evloop_fn tick;         /* a timer's callback */
	void *ctx;
};

struct evloop {
	char name[16];          /* the thread's name (ps, gdb) */
	int epfd, stopfd;
	struct evloop_watch w[EVLOOP_MAX_WATCH];
	/* Optional, in the loop's thread: after every round of callbacks,
	 * and once when it leaves (last words: queued events, ...). */
	evloop_fn on_round, on_stop;
	void *hook_ctx;
	bool stopping;
	const struct sandbox *sandbox;
	enum sandbox_class cls;
	pthread_t thread;
	bool started;
	bool ready;             /* evloop_init() succeeded: ours to close */
};

/* An empty loop; -errno if its epoll set or stop fd cannot be made. */
int evloop_init(struct evloop *l, const char *name);
/* Watch @fd for @events (EPOLLIN, EPOLLOUT; 0: only errors and hang-ups);
 * returns the watch's id (>= 0) or -errno (-ENOSPC: the table is full). */
int evloop_add_fd(struct evloop *l, int fd, uint32_t events, evloop_fd_fn cb,
		  void *ctx);
/* Change what watch @id waits for. Masked is not removed: EPOLLERR and
 * EPOLLHUP are still reported (a tap deleted while masked), so the
 * callback must handle them or the owner evloop_del() the watch. */
int evloop_set_events(struct evloop *l, int id, uint32_t events);
/* A disarmed timer; @cb runs in the loop's thread when it fires. */
int evloop_add_timer(struct evloop *l, evloop_fn cb, void *ctx);
/* Fire after @first_ms, then every @period_ms (0: once); 0, 0 disarms. */
int evloop_timer_arm(struct evloop *l, int id, uint64_t first_ms,
		     uint64_t period_ms);
/* Stop watching @id; a timer's fd is closed, a watched fd is not (it is
 * its owner's). Reports already taken for it are not delivered. */
int evloop_del(struct evloop *l, int id);
void evloop_set_hooks(struct evloop *l, evloop_fn on_round, evloop_fn on_stop,
		      void *ctx);
/* Dispatch in the calling thread until evloop_break(); 0 or -errno. */
int evloop_run(struct evloop *l);
/* Make evloop_run() return once the current round is done; any thread,
 * also a signal handler; idempotent. */
void evloop_break(struct evloop *l);
/* Has evloop_break() been asked for? (A callback that waits checks.) */
static inline bool evloop_stopping(const struct evloop *l)
{
	return __atomic_load_n(&l->stopping, __ATOMIC_ACQUIRE);
}
/* evloop_run() in a new thread that first confines itself with @sb as
 * @cls (@sb may be NULL: unconfined). */
int evloop_start(struct evloop *l, const struct sandbox *sb,
		 enum sandbox_class cls);
/* Break and join the thread; nothing runs in the loop afterwards. */
void evloop_stop(struct evloop *l);
/* evloop_stop(), then close the loop's own fds; idempotent. */
void evloop_exit(struct evloop *l);

#endif
