// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"
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

static json_t *qmp_error(const char *cls, const char *fmt, ...)
{
	char desc[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	return json_pack("{s:{s:s,s:s}}", "error", "class", cls, "desc", desc);
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

json_t *qmp_dispatch(const struct qmp_ops *ops, json_t *req, bool *negotiated)
{
	const char *cmd;
	json_t *args, *resp, *id;

	if (!json_is_object(req))
		return qmp_error("GenericError", "QMP input must be a JSON object");
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
		resp = qmp_return(json_pack("{s:s,s:b,s:b}", "status", "running",
					    "singlestep", 0, "running", 1));
	} else if (!strcmp(cmd, "query-version")) {
		resp = qmp_return(qmp_version());
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
	id = json_object_get(req, "id");
	if (id)
		json_object_set(resp, "id", id);
	return resp;
}

/* ---- the socket side ---------------------------------------------------- */

#define QMP_EV_LISTEN 0xfffffffeu
#define QMP_EV_WAKE   0xfffffffdu

static void qmp_send(struct qmp_client *c, json_t *msg)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	size_t len, off = 0;

	if (!s)
		return;
	len = strlen(s);
	while (off < len) {
		ssize_t n = send(c->fd, s + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;   /* the client went away; its EPOLLHUP follows */
		off += n;
	}
	/* QEMU ends every message with CR LF. */
	if (off == len && send(c->fd, "\r\n", 2, MSG_NOSIGNAL) < 0)
		pr_debug("qmp: client went away");
	free(s);
}

static void qmp_client_close(struct qmp *q, unsigned int i)
{
	struct qmp_client *c = q->clients[i];

	epoll_ctl(q->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
	q->clients[i] = NULL;
}

static void qmp_accept(struct qmp *q)
{
	int fd = accept4(q->listen_fd, NULL, NULL, SOCK_CLOEXEC);
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
	pthread_mutex_lock(&q->lock);
	q->clients[i] = c;
	pthread_mutex_unlock(&q->lock);
	ev.data.u32 = i;
	epoll_ctl(q->epfd, EPOLL_CTL_ADD, fd, &ev);
	g = qmp_greeting();
	qmp_send(c, g);
	json_decref(g);
}

/* Parse and answer every complete JSON value in the client's buffer. */
static void qmp_client_process(struct qmp *q, struct qmp_client *c)
{
	size_t off = 0;

	while (off < c->len) {
		json_error_t err;
		json_t *req, *resp;

		while (off < c->len && strchr(" \t\r\n", c->buf[off]))
			off++;
		if (off == c->len)
			break;
		req = json_loadb(c->buf + off, c->len - off,
				 JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &err);
		if (!req) {
			if (json_error_code(&err) == json_error_premature_end_of_input)
				break;   /* wait for the rest */
			resp = qmp_error("GenericError", "JSON parse error, %s", err.text);
			qmp_send(c, resp);
			json_decref(resp);
			/* Resynchronise at the next line. */
			{
				char *nl = memchr(c->buf + off, '\n', c->len - off);

				off = nl ? (size_t)(nl - c->buf) + 1 : c->len;
			}
			continue;
		}
		off += err.position;
		resp = qmp_dispatch(&q->ops, req, &c->negotiated);
		json_decref(req);
		qmp_send(c, resp);
		json_decref(resp);
	}
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
}

static void qmp_client_read(struct qmp *q, unsigned int i)
{
	struct qmp_client *c = q->clients[i];
	ssize_t n;

	if (c->len == sizeof(c->buf)) {
		json_t *e = qmp_error("GenericError", "QMP input too long");

		qmp_send(c, e);
		json_decref(e);
		c->len = 0;
	}
	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		pthread_mutex_lock(&q->lock);
		qmp_client_close(q, i);
		pthread_mutex_unlock(&q->lock);
		return;
	}
	c->len += n;
	qmp_client_process(q, c);
}

static void qmp_flush_events(struct qmp *q)
{
	uint64_t cnt;
	json_t *evs;
	size_t i;
	json_t *ev;

	if (read(q->wake_fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&q->lock);
	evs = q->pending_events;
	q->pending_events = json_array();
	json_array_foreach(evs, i, ev)
		for (unsigned int k = 0; k < QMP_MAX_CLIENTS; k++)
			if (q->clients[k] && q->clients[k]->negotiated)
				qmp_send(q->clients[k], ev);
	pthread_mutex_unlock(&q->lock);
	json_decref(evs);
}

static void *qmp_thread(void *arg)
{
	struct qmp *q = arg;

	for (;;) {
		struct epoll_event ev[8];
		int n = epoll_wait(q->epfd, ev, 8, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (int i = 0; i < n; i++) {
			uint32_t tag = ev[i].data.u32;

			if (tag == QMP_EV_LISTEN)
				qmp_accept(q);
			else if (tag == QMP_EV_WAKE)
				qmp_flush_events(q);
			else if (tag < QMP_MAX_CLIENTS && q->clients[tag])
				qmp_client_read(q, tag);
		}
		if (__atomic_load_n(&q->stopping, __ATOMIC_ACQUIRE))
			break;
	}
	return NULL;
}

int qmp_init(struct qmp *q, const char *path, const struct qmp_ops *ops)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };

	memset(q, 0, sizeof(*q));
	q->listen_fd = q->epfd = q->wake_fd = -1;
	q->ops = *ops;
	pthread_mutex_init(&q->lock, NULL);
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
	if (q->epfd < 0 || q->wake_fd < 0)
		return -errno;
	ev.data.u32 = QMP_EV_LISTEN;
	epoll_ctl(q->epfd, EPOLL_CTL_ADD, q->listen_fd, &ev);
	ev.data.u32 = QMP_EV_WAKE;
	epoll_ctl(q->epfd, EPOLL_CTL_ADD, q->wake_fd, &ev);
	return 0;
}

int qmp_start(struct qmp *q)
{
	int r = pthread_create(&q->thread, NULL, qmp_thread, q);

	if (r)
		return -r;
	q->started = true;
	return 0;
}

void qmp_emit(struct qmp *q, const char *name, json_t *data)
{
	uint64_t one = 1;

	pthread_mutex_lock(&q->lock);
	json_array_append_new(q->pending_events, qmp_event(name, data));
	pthread_mutex_unlock(&q->lock);
	if (write(q->wake_fd, &one, sizeof(one)) < 0)
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
	q->listen_fd = q->epfd = q->wake_fd = -1;
	if (q->path) {
		unlink(q->path);
		free(q->path);
		q->path = NULL;
	}
	json_decref(q->pending_events);
	q->pending_events = NULL;
}
