/* SPDX-License-Identifier: MIT */
#ifndef VMM_QMP_H
#define VMM_QMP_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/evloop.h"

/*
 * The QEMU Machine Protocol on a Unix socket, as QEMU speaks it, so that
 * qmp-shell, python's qemu.qmp and socat work unchanged: greeting,
 * capabilities negotiation, commands answered with "return" or "error"
 * (echoing "id"), and asynchronous events. Command handling is pure
 * (qmp_dispatch) and talks to the machine only through qmp_ops.
 */
struct qmp_ops {
	const char *name;               /* -name; NULL: none */
	uint64_t ram_size;
	bool has_balloon;
	const char *balloon_id;         /* -device ...,id=; NULL: anonymous */
	/* Ask the guest to shrink to @bytes of RAM. */
	void (*balloon_set)(void *ctx, uint64_t bytes);
	/* RAM the guest has now, balloon subtracted. */
	uint64_t (*balloon_actual)(void *ctx);
	/* Guest stats as QEMU's "guest-stats" object. */
	json_t *(*balloon_stats)(void *ctx);
	unsigned int (*stats_interval_get)(void *ctx);
	int (*stats_interval_set)(void *ctx, unsigned int secs);
	void (*quit)(void *ctx, const char *reason);
	/* system_powerdown: press the power button; NULL: there is none. */
	void (*powerdown)(void *ctx);
	/* stop/cont/query-status; NULL: always running. */
	int (*stop)(void *ctx);
	int (*cont)(void *ctx);         /* -EBUSY: powered off (-no-shutdown) */
	const char *(*run_state)(void *ctx);
	/* query-cpus-fast, query-block, query-pci: the "return" values as
	 * QEMU shapes them; NULL: an empty list. */
	json_t *(*query_cpus)(void *ctx);
	json_t *(*query_block)(void *ctx);
	json_t *(*query_pci)(void *ctx);
	/* [{"type": "virtio-blk-pci", "id": "d0" or absent}, ...] (qom-list) */
	json_t *(*devices)(void *ctx);
	void *ctx;
};

#define QMP_MAX_CLIENTS 8
#define QMP_MAX_INPUT   (1u << 20)   /* one command, at most */
#define QMP_MAX_OUTPUT  (1u << 20)   /* queued to one client, at most */
#define QMP_MAX_EVENTS  1024         /* queued for the QMP thread */

struct qmp;

struct qmp_client {
	struct qmp *q;
	int fd;
	int watch;                       /* in the QMP loop; -1: none */
	unsigned int slot;
	bool negotiated;
	bool dead;                       /* closed at the end of the round */
	/* Input not yet answered, and where the splitter stands in it. */
	char *in;
	size_t in_len, in_cap, scan, start;
	unsigned int depth;
	bool in_str, esc, skip_line;
	/* Replies and events not yet taken by the socket. */
	char *out;
	size_t out_len, out_off, out_cap;
	bool want_out;                   /* EPOLLOUT asked for */
};

struct sandbox;

struct qmp {
	struct qmp_ops ops;
	char *path;
	int listen_fd, wake_fd;
	int timer;                       /* the throttle's, in the loop */
	struct evloop loop;              /* the QMP thread's */
	pthread_mutex_t lock;            /* pending_events, dropped_events */
	json_t *pending_events;          /* array */
	unsigned long dropped_events;
	/* The QMP thread's own: clients, the throttled event. */
	struct qmp_client *clients[QMP_MAX_CLIENTS];
	uint64_t throttle_last;          /* ms, when the last one was sent */
	json_t *throttle_held;
};

/* qmp_cmds.c: the answer to one request from a client (negotiated or
 * not), and the messages QMP builds. */
json_t *qmp_error(const char *cls, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
json_t *qmp_dispatch(const struct qmp_ops *ops, json_t *req, bool *negotiated);
json_t *qmp_greeting(void);
json_t *qmp_event(const char *name, json_t *data);

int qmp_init(struct qmp *q, const char *path, const struct qmp_ops *ops);
/* The same on TCP: @host "" is every address; -ENXIO if @host does not
 * resolve, else -errno. */
int qmp_init_tcp(struct qmp *q, const char *host, const char *port,
		 const struct qmp_ops *ops);
int qmp_start(struct qmp *q, const struct sandbox *sb);
/* Queue an event for every negotiated client; safe from any thread. */
void qmp_emit(struct qmp *q, const char *name, json_t *data);
void qmp_stop(struct qmp *q);
/* Bytes from client @c, as if received on its socket (fuzzing, tests):
 * complete commands are answered on c->fd. */
void qmp_client_input(struct qmp *q, struct qmp_client *c, const char *buf,
		      size_t len);

#endif
