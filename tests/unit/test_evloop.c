// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/evloop.h"

TestSuite(evloop, .timeout = 30);

struct counter {
	struct evloop *l;
	int fd;
	int calls;
	uint32_t events;
	int stop_after;         /* break the loop after this many calls */
	int del_id;             /* delete this watch on the first call */
};

static void count_fd(void *ctx, uint32_t events)
{
	struct counter *c = ctx;
	uint64_t v;

	c->calls++;
	c->events = events;
	if (c->fd >= 0 && read(c->fd, &v, sizeof(v)) < 0)
		v = 0;
	if (c->del_id >= 0) {
		evloop_del(c->l, c->del_id);
		c->del_id = -1;
	}
	if (c->stop_after && c->calls >= c->stop_after)
		evloop_break(c->l);
}

static void count_tick(void *ctx)
{
	count_fd(ctx, 0);
}

static void poke(int fd)
{
	uint64_t one = 1;

	cr_assert_eq(write(fd, &one, sizeof(one)), sizeof(one));
}

Test(evloop, fd_callback_then_break)
{
	struct evloop l;
	int efd = eventfd(0, EFD_NONBLOCK);
	struct counter c = { .l = &l, .fd = efd, .stop_after = 1, .del_id = -1 };

	cr_assert_eq(evloop_init(&l, "test"), 0);
	cr_assert_geq(evloop_add_fd(&l, efd, EPOLLIN, count_fd, &c), 0);
	poke(efd);
	cr_assert_eq(evloop_run(&l), 0);
	cr_assert_eq(c.calls, 1);
	cr_assert(c.events & EPOLLIN);
	evloop_exit(&l);
	evloop_exit(&l);        /* idempotent */
	close(efd);
}

Test(evloop, masked_watch_is_silent)
{
	struct evloop l;
	int a = eventfd(0, EFD_NONBLOCK), b = eventfd(0, EFD_NONBLOCK);
	struct counter ca = { .l = &l, .fd = a, .del_id = -1 };
	struct counter cb = { .l = &l, .fd = b, .stop_after = 1, .del_id = -1 };
	int ia;

	cr_assert_eq(evloop_init(&l, "test"), 0);
	ia = evloop_add_fd(&l, a, EPOLLIN, count_fd, &ca);
	cr_assert_geq(evloop_add_fd(&l, b, EPOLLIN, count_fd, &cb), 0);
	cr_assert_eq(evloop_set_events(&l, ia, 0), 0);
	poke(a);
	poke(b);
	evloop_run(&l);
	cr_assert_eq(ca.calls, 0);
	cr_assert_eq(cb.calls, 1);
	evloop_exit(&l);
	close(a);
	close(b);
}

/* A watch deleted by another's callback in the same round is not called,
 * even when its slot is reused at once. */
Test(evloop, deleted_in_round_not_called)
{
	struct evloop l;
	int a = eventfd(0, EFD_NONBLOCK), b = eventfd(0, EFD_NONBLOCK);
	struct counter ca = { .l = &l, .fd = a, .del_id = -1 };
	struct counter cb = { .l = &l, .fd = b, .del_id = -1 };
	int ia, ib;

	cr_assert_eq(evloop_init(&l, "test"), 0);
	ia = evloop_add_fd(&l, a, EPOLLIN, count_fd, &ca);
	ib = evloop_add_fd(&l, b, EPOLLIN, count_fd, &cb);
	ca.del_id = ib;
	cb.del_id = ia;
	ca.stop_after = cb.stop_after = 1;
	poke(a);
	poke(b);
	evloop_run(&l);
	cr_assert_eq(ca.calls + cb.calls, 1);
	evloop_exit(&l);
	close(a);
	close(b);
}

Test(evloop, timer_fires_and_rearms)
{
	struct evloop l;
	struct counter c = { .l = &l, .fd = -1, .stop_after = 3, .del_id = -1 };
	int id;

	cr_assert_eq(evloop_init(&l, "test"), 0);
	id = evloop_add_timer(&l, count_tick, &c);
	cr_assert_geq(id, 0);
	cr_assert_eq(evloop_timer_arm(&l, id, 1, 1), 0);
	evloop_run(&l);
	cr_assert_eq(c.calls, 3);
	cr_assert_eq(evloop_timer_arm(&l, id, 0, 0), 0);
	cr_assert_eq(evloop_del(&l, id), 0);
	cr_assert_eq(evloop_del(&l, id), -EINVAL);
	evloop_exit(&l);
}

static void stopped(void *ctx)
{
	(*(int *)ctx)++;
}

Test(evloop, thread_start_stop_runs_on_stop_once)
{
	struct evloop l;
	int n = 0;

	cr_assert_eq(evloop_init(&l, "test-thread"), 0);
	evloop_set_hooks(&l, NULL, stopped, &n);
	cr_assert_eq(evloop_start(&l, NULL, SANDBOX_IO), 0);
	evloop_stop(&l);
	evloop_stop(&l);
	cr_assert_eq(n, 1);
	evloop_exit(&l);
}

Test(evloop, table_full_and_bad_ids)
{
	struct evloop l;
	int efd = eventfd(0, EFD_NONBLOCK), n = 0, r;
	struct counter c = { .l = &l, .fd = -1, .del_id = -1 };

	cr_assert_eq(evloop_init(&l, "test"), 0);
	/* One fd may be in an epoll set once: watch dups of it. */
	while ((r = evloop_add_fd(&l, dup(efd), EPOLLIN, count_fd, &c)) >= 0)
		n++;
	cr_assert_eq(r, -ENOSPC);
	cr_assert_eq(n, EVLOOP_MAX_WATCH);
	cr_assert_eq(evloop_set_events(&l, -1, 0), -EINVAL);
	cr_assert_eq(evloop_set_events(&l, EVLOOP_MAX_WATCH, 0), -EINVAL);
	cr_assert_eq(evloop_timer_arm(&l, 0, 1, 0), -EINVAL);   /* not a timer */
	cr_assert_eq(evloop_add_fd(&l, -1, EPOLLIN, count_fd, &c), -EINVAL);
	for (int i = 0; i < EVLOOP_MAX_WATCH; i++) {
		close(l.w[i].fd);
		evloop_del(&l, i);
	}
	evloop_exit(&l);
	close(efd);
}

struct poker {
	struct evloop *l;
	int fd, id;
};

static void *poke_then_break(void *arg)
{
	struct poker *p = arg;

	for (int i = 0; i < 200; i++) {
		poke(p->fd);
		evloop_set_events(p->l, p->id, i % 2 ? EPOLLIN : 0);
	}
	evloop_set_events(p->l, p->id, EPOLLIN);
	evloop_break(p->l);
	return NULL;
}

/* Another thread changes a watch and stops the loop while it runs. */
Test(evloop, set_events_and_break_from_another_thread)
{
	struct evloop l;
	int efd = eventfd(0, EFD_NONBLOCK);
	struct counter c = { .l = &l, .fd = efd, .del_id = -1 };
	struct poker p = { &l, efd, -1 };
	pthread_t th;

	cr_assert_eq(evloop_init(&l, "test"), 0);
	p.id = evloop_add_fd(&l, efd, EPOLLIN, count_fd, &c);
	cr_assert_geq(p.id, 0);
	cr_assert_eq(pthread_create(&th, NULL, poke_then_break, &p), 0);
	cr_assert_eq(evloop_run(&l), 0);
	pthread_join(th, NULL);
	cr_assert(evloop_stopping(&l));
	evloop_exit(&l);
	close(efd);
}
