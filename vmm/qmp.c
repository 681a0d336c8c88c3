// SPDX-License-Identifier: MIT
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"
#include "util/util.h"
#include "util/sandbox.h"
#include "vmm/qmp.h"

/* ---- the socket side ---------------------------------------------------- */
/*
 * Everything below runs in the QMP thread, which alone owns the clients;
 * other threads only queue events (qmp_emit) under q->lock, which is
 * never held across a socket call. Sockets are non-blocking: a client
 * that does not read has its replies queued up to QMP_MAX_OUTPUT, then
 * is disconnected; nobody ever waits for it.
 */
/* Events QEMU throttles to one a second (the newest one wins). */
#define QMP_THROTTLE_MS 1000

static uint64_t qmp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void qmp_client_want_out(struct qmp *q, struct qmp_client *c, bool on)
{
	if (c->want_out == on)
		return;
	c->want_out = on;
	/* Not on a loop: fed by qmp_client_input() (fuzzing, tests). */
	if (q->loop.ready && c->watch >= 0)
		evloop_set_events(&q->loop, c->watch,
				  EPOLLIN | (on ? EPOLLOUT : 0));
}

/* Send what is queued, as far as the socket takes it now. */
static void qmp_client_flush(struct qmp *q, struct qmp_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			c->dead = true;   /* gone; closed by the thread */
			return;
		}
		c->out_off += n;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	qmp_client_want_out(q, c, c->out_len > 0);
}

/* Queue @msg (one line, CR LF as QEMU ends them) and try to send it. */
static void qmp_send(struct qmp *q, struct qmp_client *c, json_t *msg)
{
	/* QEMU's spacing: {"return": {}} */
	char *s = msg ? json_dumps(msg, JSON_PRESERVE_ORDER) : NULL;
	size_t len;

	if (!s || c->dead) {
		free(s);
		return;
	}
	len = strlen(s);
	if (c->out_off) {            /* make room at the front */
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + len + 2 > QMP_MAX_OUTPUT) {
		pr_warn("qmp: a client does not read its replies (%zu bytes waiting): disconnected",
			c->out_len);
		c->dead = true;
		free(s);
		return;
	}
	if (c->out_len + len + 2 > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *b;

		while (cap < c->out_len + len + 2)
			cap *= 2;
		b = realloc(c->out, cap);
		if (!b) {
			c->dead = true;
			free(s);
			return;
		}
		c->out = b;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, s, len);
	memcpy(c->out + c->out_len + len, "\r\n", 2);
	c->out_len += len + 2;
	free(s);
	qmp_client_flush(q, c);
}

static void qmp_client_free(struct qmp_client *c)
{
	free(c->in);
	free(c->out);
	free(c);
}

static void qmp_client_close(struct qmp *q, unsigned int i)
{
	struct qmp_client *c = q->clients[i];

	if (c->watch >= 0)
		evloop_del(&q->loop, c->watch);
	close(c->fd);
	qmp_client_free(c);
	q->clients[i] = NULL;
}

static void qmp_client_ready(void *ctx, uint32_t events);

static void qmp_accept(void *ctx, uint32_t events)
{
	struct qmp *q = ctx;
	int fd = accept4(q->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct qmp_client *c;
	unsigned int i;
	json_t *g;

	if (fd < 0)
		return;
	for (i = 0; i < QMP_MAX_CLIENTS && q->clients[i]; i++)
		;
	c = i < QMP_MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		close(fd);   /* too many at once: the next one in turn */
		return;
	}
	c->fd = fd;
	c->slot = i;
	c->q = q;
	c->watch = evloop_add_fd(&q->loop, fd, EPOLLIN, qmp_client_ready, c);
	if (c->watch < 0) {
		close(fd);
		free(c);
		return;
	}
	q->clients[i] = c;
	g = qmp_greeting();
	qmp_send(q, c, g);
	json_decref(g);
}

/* One complete JSON text from a client: parse it and answer it. */
static void qmp_client_value(struct qmp *q, struct qmp_client *c,
			     const char *text, size_t len)
{
	json_error_t err;
	json_t *req = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	json_t *resp;

	if (!req)
		resp = qmp_error("GenericError", "JSON parse error, %s", err.text);
	else
		resp = qmp_dispatch(&q->ops, req, &c->negotiated);
	json_decref(req);
	qmp_send(q, c, resp);
	json_decref(resp);
}

/*
 * Split the input into JSON texts in one pass over each new byte (a
 * value sent a byte at a time is not re-parsed from its start on every
 * recv): track nesting depth and strings; a text ends when the depth
 * returns to 0. A top-level token that is not an object or array is an
 * error up to the end of its line, as is an over-long value.
 */
static void qmp_client_split(struct qmp *q, struct qmp_client *c)
{
	size_t i = c->scan, keep;

	for (; i < c->in_len && !c->dead; i++) {
		char ch = c->in[i];

		if (c->skip_line) {
			if (ch == '\n') {
				c->skip_line = false;
				c->start = i + 1;
			}
			continue;
		}
		if (!c->depth) {
			if (strchr(" \t\r\n", ch)) {
				c->start = i + 1;
				continue;
			}
			if (ch != '{' && ch != '[') {
				json_t *e = qmp_error("GenericError",
						      "JSON parse error, expected an object");

				qmp_send(q, c, e);
				json_decref(e);
				c->skip_line = true;
				continue;
			}
			c->start = i;
			c->depth = 1;
			c->in_str = c->esc = false;
			continue;
		}
		if (c->in_str) {
			if (c->esc)
				c->esc = false;
			else if (ch == '\\')
				c->esc = true;
			else if (ch == '"')
				c->in_str = false;
			continue;
		}
		if (ch == '"') {
			c->in_str = true;
		} else if (ch == '{' || ch == '[') {
			c->depth++;
		} else if (ch == '}' || ch == ']') {
			if (--c->depth == 0) {
				qmp_client_value(q, c, c->in + c->start, i + 1 - c->start);
				c->start = i + 1;
			}
		}
	}
	/* Keep only the unfinished text. */
	keep = c->depth ? c->start : i;
	memmove(c->in, c->in + keep, c->in_len - keep);
	c->in_len -= keep;
	c->scan = i - keep;
	c->start = c->depth ? 0 : c->in_len;
}

static void qmp_client_read(struct qmp *q, struct qmp_client *c)
{
	char buf[16384];
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		c->dead = true;
		return;
	}
	qmp_client_input(q, c, buf, n);
}

/*
 * Bytes in, commands out. The buffer grows to QMP_MAX_INPUT; a value
 * longer than that is not a command: said so once, and dropped up to its
 * end of line.
 */
void qmp_client_input(struct qmp *q, struct qmp_client *c, const char *buf,
		      size_t len)
{
	while (len && !c->dead) {
		size_t room, take;

		if (c->in_len == QMP_MAX_INPUT) {
			json_t *e = qmp_error("GenericError",
					      "QMP input too long (more than %u bytes)",
					      QMP_MAX_INPUT);

			qmp_send(q, c, e);
			json_decref(e);
			c->in_len = c->scan = c->start = 0;
			c->depth = 0;
			c->skip_line = true;
		}
		if (c->in_cap < QMP_MAX_INPUT && c->in_len == c->in_cap) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 4096;
			char *b = realloc(c->in, cap);

			if (!b)
				return;
			c->in = b;
			c->in_cap = cap;
		}
		room = c->in_cap - c->in_len;
		take = len < room ? len : room;
		memcpy(c->in + c->in_len, buf, take);
		c->in_len += take;
		buf += take;
		len -= take;
		qmp_client_split(q, c);
	}
}

static void qmp_broadcast(struct qmp *q, json_t *ev)
{
	for (unsigned int k = 0; k < QMP_MAX_CLIENTS; k++)
		if (q->clients[k] && q->clients[k]->negotiated)
			qmp_send(q, q->clients[k], ev);
}

static void qmp_arm_timer(struct qmp *q, uint64_t ms)
{
	/* +1: never 0, which would disarm it. */
	evloop_timer_arm(&q->loop, q->timer, ms + 1, 0);
}

/* A throttled event: now if its last one left a second ago, else held
 * (replacing any held one) until the second is up. Owns @ev. */
static void qmp_send_throttled(struct qmp *q, json_t *ev)
{
	uint64_t now = qmp_now_ms();

	if (q->throttle_last && now - q->throttle_last < QMP_THROTTLE_MS) {
		if (!q->throttle_held)
			qmp_arm_timer(q, QMP_THROTTLE_MS - (now - q->throttle_last));
		json_decref(q->throttle_held);
		q->throttle_held = ev;
		return;
	}
	q->throttle_last = now;
	qmp_broadcast(q, ev);
	json_decref(ev);
}

static void qmp_timer(void *ctx)
{
	struct qmp *q = ctx;
	json_t *ev = q->throttle_held;

	q->throttle_held = NULL;
	if (ev)
		qmp_send_throttled(q, ev);
}

static bool qmp_is_throttled(json_t *ev)
{
	const char *name = json_string_value(json_object_get(ev, "event"));

	return name && !strcmp(name, "BALLOON_CHANGE");
}

static void qmp_flush_events(struct qmp *q)
{
	uint64_t cnt;
	json_t *evs, *ev;
	size_t i;

	if (read(q->wake_fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		return;
	/* Take the queue under the lock; send without it. */
	pthread_mutex_lock(&q->lock);
	evs = q->pending_events;
	q->pending_events = json_array();
	pthread_mutex_unlock(&q->lock);
	json_array_foreach(evs, i, ev) {
		if (qmp_is_throttled(ev)) {
			qmp_send_throttled(q, json_incref(ev));
			continue;
		}
		qmp_broadcast(q, ev);
	}
	json_decref(evs);
}

static void qmp_wake(void *ctx, uint32_t events)
{
	qmp_flush_events(ctx);
}

static void qmp_client_ready(void *ctx, uint32_t events)
{
	struct qmp_client *c = ctx;

	if (events & EPOLLOUT)
		qmp_client_flush(c->q, c);
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		qmp_client_read(c->q, c);
}

/* After each round: close the clients that went away during it. */
static void qmp_reap(void *ctx)
{
	struct qmp *q = ctx;

	for (unsigned int k = 0; k < QMP_MAX_CLIENTS; k++)
		if (q->clients[k] && q->clients[k]->dead)
			qmp_client_close(q, k);
}

/* The loop is leaving: last words (SHUTDOWN) go out if the sockets take
 * them. */
static void qmp_last_words(void *ctx)
{
	struct qmp *q = ctx;

	qmp_flush_events(q);
	if (q->throttle_held) {
		qmp_broadcast(q, q->throttle_held);
		json_decref(q->throttle_held);
		q->throttle_held = NULL;
	}
}

static void qmp_init_state(struct qmp *q, const struct qmp_ops *ops)
{
	memset(q, 0, sizeof(*q));
	q->listen_fd = q->wake_fd = q->timer = -1;
	q->ops = *ops;
	pthread_mutex_init(&q->lock, NULL);
	/* jansson seeds its hash tables from /dev/urandom on the first
	 * object; do it now, before any thread is sandboxed (no open()). */
	json_object_seed(0);
	q->pending_events = json_array();
}

/* The QMP thread's loop: the listening socket, the wake-up eventfd that
 * qmp_emit() writes, the throttle timer, then one watch per client. */
static int qmp_init_loop(struct qmp *q)
{
	int r;

	if (listen(q->listen_fd, 4) < 0)
		return -errno;
	q->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->wake_fd < 0)
		return -errno;
	r = evloop_init(&q->loop, "vmm-qmp");
	if (r < 0)
		return r;
	evloop_set_hooks(&q->loop, qmp_reap, qmp_last_words, q);
	if ((r = evloop_add_fd(&q->loop, q->listen_fd, EPOLLIN, qmp_accept, q)) < 0 ||
	    (r = evloop_add_fd(&q->loop, q->wake_fd, EPOLLIN, qmp_wake, q)) < 0 ||
	    (r = q->timer = evloop_add_timer(&q->loop, qmp_timer, q)) < 0)
		return r;
	return 0;
}

int qmp_init(struct qmp *q, const char *path, const struct qmp_ops *ops)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	qmp_init_state(q, ops);
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	q->path = strdup(path);
	strcpy(sa.sun_path, path);
	q->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->listen_fd < 0)
		return -errno;
	/* A stale socket file from an earlier run is replaced, as QEMU does. */
	unlink(path);
	if (bind(q->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return qmp_init_loop(q);
}

/*
 * QMP over TCP, as "-qmp tcp:HOST:PORT,server=on,wait=off": HOST empty
 * means every address. There is no authentication on QMP: only bind
 * beyond loopback on a network you trust (QEMU's advice too).
 */
int qmp_init_tcp(struct qmp *q, const char *host, const char *port,
		 const struct qmp_ops *ops)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	int one = 1, r;

	qmp_init_state(q, ops);
	r = getaddrinfo(*host ? host : NULL, port, &hints, &res);
	if (r)
		return r == EAI_SYSTEM ? -errno : -ENXIO;
	q->listen_fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->listen_fd < 0 ||
	    setsockopt(q->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(q->listen_fd, res->ai_addr, res->ai_addrlen) < 0)
		r = -errno;
	freeaddrinfo(res);
	return r ? r : qmp_init_loop(q);
}

int qmp_start(struct qmp *q, const struct sandbox *sb)
{
	return evloop_start(&q->loop, sb, SANDBOX_QMP);
}

/*
 * Any thread, any lock held: only appends to a bounded queue under
 * q->lock (never held across a socket call), so a vCPU emitting an event
 * can never wait for a client. A BALLOON_CHANGE replaces one still queued
 * (only the newest matters); past QMP_MAX_EVENTS, events are dropped and
 * counted.
 */
void qmp_emit(struct qmp *q, const char *name, json_t *data)
{
	json_t *ev = qmp_event(name, data), *old;
	uint64_t one = 1;
	size_t i;

	pthread_mutex_lock(&q->lock);
	if (qmp_is_throttled(ev)) {
		json_array_foreach(q->pending_events, i, old) {
			if (qmp_is_throttled(old)) {
				json_array_set_new(q->pending_events, i, ev);
				ev = NULL;
				break;
			}
		}
	}
	if (ev && json_array_size(q->pending_events) >= QMP_MAX_EVENTS) {
		q->dropped_events++;
		json_decref(ev);
		ev = NULL;
	}
	if (ev)
		json_array_append_new(q->pending_events, ev);
	pthread_mutex_unlock(&q->lock);
	if (write(q->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_debug("qmp: cannot wake the QMP thread");
}

void qmp_stop(struct qmp *q)
{
	/* The thread sends the last words (qmp_last_words) and leaves. */
	evloop_stop(&q->loop);
	for (unsigned int i = 0; i < QMP_MAX_CLIENTS; i++)
		if (q->clients[i])
			qmp_client_close(q, i);
	evloop_exit(&q->loop);
	util_close_fd(&q->listen_fd);
	util_close_fd(&q->wake_fd);
	q->timer = -1;
	json_decref(q->throttle_held);
	q->throttle_held = NULL;
	if (q->path) {
		unlink(q->path);
		free(q->path);
		q->path = NULL;
	}
	json_decref(q->pending_events);
	q->pending_events = NULL;
}
