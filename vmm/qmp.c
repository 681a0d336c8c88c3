// SPDX-License-Identifier: MIT
#include <errno.h>
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
#include "util/sandbox.h"
#include "vmm/qmp.h"

#ifndef VMM_VERSION
#define VMM_VERSION "0.1.0"
#endif
/* The QEMU version whose QMP dialect we speak (Debian 12's). */
#define QMP_QEMU_MAJOR 7
#define QMP_QEMU_MINOR 2
#define QMP_QEMU_MICRO 0

static json_t *qmp_error(const char *cls, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * An error reply. Its text may embed client input, so when it is cut to
 * fit it is cut at a character boundary (a cut UTF-8 sequence made
 * json_pack fail, and the client got no reply at all); should packing
 * still fail, a fixed text goes out instead.
 */
static json_t *qmp_error(const char *cls, const char *fmt, ...)
{
	char desc[1024];
	va_list ap;
	json_t *e;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(desc)) {
		size_t end = sizeof(desc) - 1;

		/* Back off continuation bytes, then the lead byte they need. */
		while (end > 0 && ((uint8_t)desc[end - 1] & 0xc0) == 0x80)
			end--;
		if (end > 0 && ((uint8_t)desc[end - 1] & 0x80))
			end--;
		desc[end] = 0;
	}
	e = json_pack("{s:{s:s,s:s}}", "error", "class", cls, "desc", desc);
	if (!e)
		e = json_pack("{s:{s:s,s:s}}", "error", "class", cls, "desc",
			      "invalid request");
	return e;
}

static json_t *qmp_return(json_t *v)
{
	return json_pack("{s:o}", "return", v ? v : json_object());
}

static json_t *qmp_version(void)
{
	return json_pack("{s:{s:i,s:i,s:i},s:s}", "qemu",
			 "micro", QMP_QEMU_MICRO, "minor", QMP_QEMU_MINOR,
			 "major", QMP_QEMU_MAJOR, "package", "vmm " VMM_VERSION);
}

json_t *qmp_greeting(void)
{
	return json_pack("{s:{s:o,s:[]}}", "QMP", "version", qmp_version(),
			 "capabilities");
}

json_t *qmp_event(const char *name, json_t *data)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return json_pack("{s:s,s:o,s:{s:I,s:I}}", "event", name, "data",
			 data ? data : json_object(), "timestamp",
			 "seconds", (json_int_t)tv.tv_sec,
			 "microseconds", (json_int_t)tv.tv_usec);
}

/* Whether @path names the balloon, as QEMU's QOM paths do. */
static bool qmp_is_balloon_path(const struct qmp_ops *ops, const char *path)
{
	char want[128];

	if (!ops->has_balloon)
		return false;
	if (ops->balloon_id) {
		snprintf(want, sizeof(want), "/machine/peripheral/%s", ops->balloon_id);
		return !strcmp(path, want) || !strcmp(path, ops->balloon_id);
	}
	return !strcmp(path, "/machine/peripheral-anon/device[0]");
}

static json_t *cmd_balloon(const struct qmp_ops *ops, json_t *args)
{
	json_t *v = json_object_get(args, "value");
	json_int_t bytes;

	if (!ops->has_balloon)
		return qmp_error("DeviceNotActive", "No balloon device has been activated");
	if (!v)
		return qmp_error("GenericError", "Parameter 'value' is missing");
	if (!json_is_integer(v))
		return qmp_error("GenericError",
				 "Invalid parameter type for 'value', expected: integer");
	bytes = json_integer_value(v);
	if (bytes <= 0)
		return qmp_error("GenericError", "Parameter 'target' expects a size");
	/* Larger than RAM means "no balloon", as QEMU clamps it. */
	if ((uint64_t)bytes > ops->ram_size)
		bytes = ops->ram_size;
	ops->balloon_set(ops->ctx, bytes);
	return qmp_return(NULL);
}

static json_t *cmd_qom_get(const struct qmp_ops *ops, json_t *args)
{
	const char *path = json_string_value(json_object_get(args, "path"));
	const char *prop = json_string_value(json_object_get(args, "property"));

	if (!path || !prop)
		return qmp_error("GenericError",
				 "Parameters 'path' and 'property' must be strings");
	if (!qmp_is_balloon_path(ops, path))
		return qmp_error("DeviceNotFound", "Device '%s' not found", path);
	if (!strcmp(prop, "guest-stats"))
		return qmp_return(ops->balloon_stats(ops->ctx));
	if (!strcmp(prop, "guest-stats-polling-interval"))
		return qmp_return(json_integer(ops->stats_interval_get(ops->ctx)));
	return qmp_error("GenericError", "Property '%s' not found", prop);
}

static json_t *cmd_qom_set(const struct qmp_ops *ops, json_t *args)
{
	const char *path = json_string_value(json_object_get(args, "path"));
	const char *prop = json_string_value(json_object_get(args, "property"));
	json_t *v = json_object_get(args, "value");

	if (!path || !prop)
		return qmp_error("GenericError",
				 "Parameters 'path' and 'property' must be strings");
	if (!qmp_is_balloon_path(ops, path))
		return qmp_error("DeviceNotFound", "Device '%s' not found", path);
	if (strcmp(prop, "guest-stats-polling-interval"))
		return qmp_error("GenericError", "Property '%s' not found", prop);
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 86400)
		return qmp_error("GenericError",
				 "Parameter 'value' expects a number of seconds (0 to 86400)");
	if (ops->stats_interval_set(ops->ctx, json_integer_value(v)) < 0)
		return qmp_error("GenericError", "cannot set the polling interval");
	return qmp_return(NULL);
}

static json_t *qmp_run(const struct qmp_ops *ops, json_t *req,
		       bool *negotiated);

/* One request in, one response out; the request's "id" goes back on every
 * response, errors included, as QEMU does. */
json_t *qmp_dispatch(const struct qmp_ops *ops, json_t *req, bool *negotiated)
{
	json_t *resp, *id;

	if (!json_is_object(req))
		return qmp_error("GenericError", "QMP input must be a JSON object");
	resp = qmp_run(ops, req, negotiated);
	id = json_object_get(req, "id");
	if (id)
		json_object_set(resp, "id", id);
	return resp;
}

static json_t *qmp_run(const struct qmp_ops *ops, json_t *req,
		       bool *negotiated)
{
	const char *cmd;
	json_t *args, *resp;

	cmd = json_string_value(json_object_get(req, "execute"));
	if (!cmd)
		return qmp_error("GenericError",
				 "QMP input lacks member 'execute'");
	args = json_object_get(req, "arguments");
	if (args && !json_is_object(args))
		return qmp_error("GenericError",
				 "QMP input member 'arguments' must be an object");
	if (!args)
		args = json_object();
	else
		json_incref(args);

	if (!strcmp(cmd, "qmp_capabilities")) {
		resp = *negotiated ?
		       qmp_error("CommandNotFound",
				 "Capabilities negotiation is already complete, command ignored") :
		       qmp_return(NULL);
		*negotiated = true;
	} else if (!*negotiated) {
		resp = qmp_error("CommandNotFound",
				 "Expecting capabilities negotiation with 'qmp_capabilities'");
	} else if (!strcmp(cmd, "query-status")) {
		const char *st = ops->run_state ? ops->run_state(ops->ctx) : "running";

		resp = qmp_return(json_pack("{s:s,s:b,s:b}", "status", st,
					    "singlestep", 0, "running",
					    !strcmp(st, "running")));
	} else if (!strcmp(cmd, "stop")) {
		resp = !ops->stop || ops->stop(ops->ctx) == 0 ? qmp_return(NULL) :
		       qmp_error("GenericError", "the vCPUs did not stop in time");
	} else if (!strcmp(cmd, "cont")) {
		if (ops->cont)
			ops->cont(ops->ctx);
		resp = qmp_return(NULL);
	} else if (!strcmp(cmd, "query-version")) {
		resp = qmp_return(qmp_version());
	} else if (!strcmp(cmd, "query-name")) {
		resp = qmp_return(ops->name ? json_pack("{s:s}", "name", ops->name) :
				  json_object());
	} else if (!strcmp(cmd, "query-kvm")) {
		resp = qmp_return(json_pack("{s:b,s:b}", "enabled", 1,
					    "present", 1));
	} else if (!strcmp(cmd, "query-balloon")) {
		resp = ops->has_balloon ?
		       qmp_return(json_pack("{s:I}", "actual",
					    (json_int_t)ops->balloon_actual(ops->ctx))) :
		       qmp_error("DeviceNotActive", "No balloon device has been activated");
	} else if (!strcmp(cmd, "balloon")) {
		resp = cmd_balloon(ops, args);
	} else if (!strcmp(cmd, "qom-get")) {
		resp = cmd_qom_get(ops, args);
	} else if (!strcmp(cmd, "qom-set")) {
		resp = cmd_qom_set(ops, args);
	} else if (!strcmp(cmd, "system_reset")) {
		/* -no-reboot semantics: a reset ends the VM. */
		resp = qmp_return(NULL);
		ops->quit(ops->ctx, "host-qmp-system-reset");
	} else if (!strcmp(cmd, "quit")) {
		resp = qmp_return(NULL);
		ops->quit(ops->ctx, "host-qmp-quit");
	} else if (!strcmp(cmd, "query-commands")) {
		static const char *const names[] = {
			"qmp_capabilities", "query-status", "query-version",
			"query-name", "query-kvm", "stop", "cont",
			"query-balloon", "balloon", "qom-get", "qom-set",
			"system_reset", "quit", "query-commands",
		};
		json_t *a = json_array();

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			json_array_append_new(a, json_pack("{s:s}", "name", names[i]));
		resp = qmp_return(a);
	} else {
		resp = qmp_error("CommandNotFound", "The command %s has not been found",
				 cmd);
	}
	json_decref(args);
	return resp;
}

/* ---- the socket side ---------------------------------------------------- */
/*
 * Everything below runs in the QMP thread, which alone owns the clients;
 * other threads only queue events (qmp_emit) under q->lock, which is
 * never held across a socket call. Sockets are non-blocking: a client
 * that does not read has its replies queued up to QMP_MAX_OUTPUT, then
 * is disconnected; nobody ever waits for it.
 */
#define QMP_EV_LISTEN 0xfffffffeu
#define QMP_EV_WAKE   0xfffffffdu
#define QMP_EV_TIMER  0xfffffffcu
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
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0),
				  .data.u32 = c->slot };

	if (c->want_out == on)
		return;
	c->want_out = on;
	epoll_ctl(q->epfd, EPOLL_CTL_MOD, c->fd, &ev);
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

	epoll_ctl(q->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	qmp_client_free(c);
	q->clients[i] = NULL;
}

static void qmp_accept(struct qmp *q)
{
	int fd = accept4(q->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct epoll_event ev = { .events = EPOLLIN };
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
	q->clients[i] = c;
	ev.data.u32 = i;
	epoll_ctl(q->epfd, EPOLL_CTL_ADD, fd, &ev);
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

static void qmp_client_read(struct qmp *q, unsigned int i)
{
	struct qmp_client *c = q->clients[i];
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
	struct itimerspec its = { .it_value = { .tv_sec = ms / 1000,
						.tv_nsec = (ms % 1000) * 1000000 + 1 } };

	timerfd_settime(q->timer_fd, 0, &its, NULL);
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

static void qmp_timer(struct qmp *q)
{
	uint64_t cnt;
	json_t *ev = q->throttle_held;

	if (read(q->timer_fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		return;
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

static void qmp_reap(struct qmp *q)
{
	for (unsigned int k = 0; k < QMP_MAX_CLIENTS; k++)
		if (q->clients[k] && q->clients[k]->dead)
			qmp_client_close(q, k);
}

static void *qmp_thread(void *arg)
{
	struct qmp *q = arg;

	sandbox_enter_or_die(q->sandbox, SANDBOX_QMP);
	for (;;) {
		struct epoll_event ev[8];
		int n = epoll_wait(q->epfd, ev, 8, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (int i = 0; i < n; i++) {
			uint32_t tag = ev[i].data.u32;
			struct qmp_client *c;

			if (tag == QMP_EV_LISTEN) {
				qmp_accept(q);
			} else if (tag == QMP_EV_WAKE) {
				qmp_flush_events(q);
			} else if (tag == QMP_EV_TIMER) {
				qmp_timer(q);
			} else if (tag < QMP_MAX_CLIENTS && (c = q->clients[tag])) {
				if (ev[i].events & EPOLLOUT)
					qmp_client_flush(q, c);
				if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
					qmp_client_read(q, tag);
			}
		}
		qmp_reap(q);
		if (__atomic_load_n(&q->stopping, __ATOMIC_ACQUIRE)) {
			/* Last words (SHUTDOWN) go out if the sockets take them. */
			qmp_flush_events(q);
			if (q->throttle_held) {
				qmp_broadcast(q, q->throttle_held);
				json_decref(q->throttle_held);
				q->throttle_held = NULL;
			}
			break;
		}
	}
	return NULL;
}

int qmp_init(struct qmp *q, const char *path, const struct qmp_ops *ops)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };

	memset(q, 0, sizeof(*q));
	q->listen_fd = q->epfd = q->wake_fd = q->timer_fd = -1;
	q->ops = *ops;
	pthread_mutex_init(&q->lock, NULL);
	/* jansson seeds its hash tables from /dev/urandom on the first
	 * object; do it now, before any thread is sandboxed (no open()). */
	json_object_seed(0);
	q->pending_events = json_array();
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	q->path = strdup(path);
	strcpy(sa.sun_path, path);
	q->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->listen_fd < 0)
		return -errno;
	/* A stale socket file from an earlier run is replaced, as QEMU does. */
	unlink(path);
	if (bind(q->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(q->listen_fd, 4) < 0)
		return -errno;
	q->epfd = epoll_create1(EPOLL_CLOEXEC);
	q->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	q->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (q->epfd < 0 || q->wake_fd < 0 || q->timer_fd < 0)
		return -errno;
	ev.data.u32 = QMP_EV_LISTEN;
	epoll_ctl(q->epfd, EPOLL_CTL_ADD, q->listen_fd, &ev);
	ev.data.u32 = QMP_EV_WAKE;
	epoll_ctl(q->epfd, EPOLL_CTL_ADD, q->wake_fd, &ev);
	ev.data.u32 = QMP_EV_TIMER;
	epoll_ctl(q->epfd, EPOLL_CTL_ADD, q->timer_fd, &ev);
	return 0;
}

int qmp_start(struct qmp *q, const struct sandbox *sb)
{
	int r;

	q->sandbox = sb;
	r = pthread_create(&q->thread, NULL, qmp_thread, q);

	if (r)
		return -r;
	q->started = true;
	return 0;
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
	uint64_t one = 1;

	if (q->started) {
		__atomic_store_n(&q->stopping, true, __ATOMIC_RELEASE);
		if (write(q->wake_fd, &one, sizeof(one)) < 0)
			pr_warn("qmp: cannot wake the QMP thread");
		pthread_join(q->thread, NULL);
		q->started = false;
	}
	for (unsigned int i = 0; i < QMP_MAX_CLIENTS; i++)
		if (q->clients[i])
			qmp_client_close(q, i);
	if (q->listen_fd >= 0)
		close(q->listen_fd);
	if (q->epfd >= 0)
		close(q->epfd);
	if (q->wake_fd >= 0)
		close(q->wake_fd);
	if (q->timer_fd >= 0)
		close(q->timer_fd);
	q->listen_fd = q->epfd = q->wake_fd = q->timer_fd = -1;
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
