// SPDX-License-Identifier: MIT
/*
 * -netdev user through libslirp (virtio/net_user.h): the slirp thread,
 * its timers, and the frames between the socketpair and the stack.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <slirp/libslirp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/sandbox.h"
#include "util/util.h"
#include "virtio/net_user.h"

/* The largest frame virtio-net hands over without offloads: MTU 65535
 * (host_mtu=) plus the Ethernet header. */
#define NET_USER_FRAME_MAX (65535 + 14)

/* The libslirp calls vmm makes, resolved at net_user_open(). */
struct net_user_lib {
	Slirp *(*new)(const SlirpConfig *cfg, const SlirpCb *cb, void *opaque);
	void (*cleanup)(Slirp *slirp);
	void (*pollfds_fill)(Slirp *slirp, uint32_t *timeout,
			     SlirpAddPollCb add_poll, void *opaque);
	void (*pollfds_poll)(Slirp *slirp, int select_error,
			     SlirpGetREventsCb get_revents, void *opaque);
	void (*input)(Slirp *slirp, const uint8_t *pkt, int pkt_len);
	void (*handle_timer)(Slirp *slirp, SlirpTimerId id, void *cb_opaque);
	int (*add_hostfwd)(Slirp *slirp, int is_udp, struct in_addr host_addr,
			   int host_port, struct in_addr guest_addr,
			   int guest_port);
};

struct net_user_timer {
	struct net_user_timer *next;
	SlirpTimerId id;
	SlirpTimerCb cb;                 /* timer_new's; else slirp_handle_timer */
	void *cb_opaque;
	int64_t expire_ms;               /* -1: not armed */
};

static int64_t net_user_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A frame from the stack to the guest; dropped if the guest is behind
 * (slirp's TCP retransmits, as on a real wire). */
static ssize_t net_user_send(const void *buf, size_t len, void *opaque)
{
	struct net_user *u = opaque;

	if (send(u->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		u->dropped++;
		return len;
	}
	u->frames_to_guest++;
	return len;
}

static void net_user_guest_error(const char *msg, void *opaque)
{
	pr_debug("netdev user: the guest sent something slirp refused: %s", msg);
}

static int64_t net_user_clock(void *opaque)
{
	return net_user_now_ns();
}

static void *net_user_timer_add(struct net_user *u, SlirpTimerId id,
				SlirpTimerCb cb, void *cb_opaque)
{
	struct net_user_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	*t = (struct net_user_timer){ .next = u->timers, .id = id, .cb = cb,
				      .cb_opaque = cb_opaque, .expire_ms = -1 };
	u->timers = t;
	return t;
}

static void *net_user_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	return net_user_timer_add(opaque, SLIRP_TIMER_NUM, cb, cb_opaque);
}

static void *net_user_timer_new_opaque(SlirpTimerId id, void *cb_opaque,
				       void *opaque)
{
	return net_user_timer_add(opaque, id, NULL, cb_opaque);
}

static void net_user_timer_free(void *timer, void *opaque)
{
	struct net_user *u = opaque;

	for (struct net_user_timer **p = &u->timers; *p; p = &(*p)->next)
		if (*p == timer) {
			*p = (*p)->next;
			free(timer);
			return;
		}
}

static void net_user_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	((struct net_user_timer *)timer)->expire_ms = expire_ms;
}

/* The thread re-reads slirp's sockets every round: nothing to do. */
static void net_user_poll_fd(int fd, void *opaque)
{
}

static void net_user_notify(void *opaque)
{
}

static const SlirpCb net_user_cb = {
	.send_packet = net_user_send,
	.guest_error = net_user_guest_error,
	.clock_get_ns = net_user_clock,
	.timer_new = net_user_timer_new,
	.timer_free = net_user_timer_free,
	.timer_mod = net_user_timer_mod,
	.register_poll_fd = net_user_poll_fd,
	.unregister_poll_fd = net_user_poll_fd,
	.notify = net_user_notify,
	.timer_new_opaque = net_user_timer_new_opaque,
};

int net_user_parse_net(const char *s, struct in_addr *net,
		       struct in_addr *mask)
{
	char buf[32];
	const char *slash = strchr(s, '/');
	unsigned long bits = 24;
	char *end;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%.*s", slash ? (int)(slash - s) : (int)strlen(s), s);
	if (inet_pton(AF_INET, buf, net) != 1)
		return -EINVAL;
	if (slash) {
		errno = 0;
		bits = strtoul(slash + 1, &end, 10);
		if (errno || *end || end == slash + 1 || bits < 8 || bits > 30)
			return -EINVAL;
	}
	mask->s_addr = htonl(~0u << (32 - bits));
	/* The network, not a host in it. */
	if (net->s_addr & ~mask->s_addr)
		return -EINVAL;
	return 0;
}

/* "[addr]:port" at @s up to @end; an empty address is 0. */
static int net_user_parse_endpoint(const char *s, const char *end,
				   struct in_addr *addr, uint16_t *port)
{
	const char *colon = memchr(s, ':', end - s);
	char buf[32], *pe;
	unsigned long p;

	if (!colon || colon - s >= (long)sizeof(buf))
		return -EINVAL;
	addr->s_addr = 0;
	if (colon > s) {
		snprintf(buf, sizeof(buf), "%.*s", (int)(colon - s), s);
		if (inet_pton(AF_INET, buf, addr) != 1)
			return -EINVAL;
	}
	if (end - colon - 1 <= 0 || end - colon - 1 >= (long)sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%.*s", (int)(end - colon - 1), colon + 1);
	errno = 0;
	p = strtoul(buf, &pe, 10);
	if (errno || *pe || buf[0] == '-' || buf[0] == '+' || p == 0 || p > 65535)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

int net_user_parse_fwd(const char *s, struct net_user_fwd *f)
{
	const char *dash, *end = s + strlen(s);

	*f = (struct net_user_fwd){ 0 };
	if (!strncmp(s, "tcp:", 4)) {
		s += 4;
	} else if (!strncmp(s, "udp:", 4)) {
		f->udp = true;
		s += 4;
	} else if (s[0] != ':') {
		return -EINVAL;         /* no protocol: tcp, then ":" */
	} else {
		s += 1;
	}
	dash = strchr(s, '-');
	if (!dash || strchr(dash + 1, '-'))
		return -EINVAL;
	if (net_user_parse_endpoint(s, dash, &f->host_addr, &f->host_port) < 0 ||
	    net_user_parse_endpoint(dash + 1, end, &f->guest_addr,
				    &f->guest_port) < 0)
		return -EINVAL;
	return 0;
}

static struct in_addr net_user_host_in(const struct net_user_opts *o,
				       struct in_addr a, unsigned int host)
{
	if (!a.s_addr)
		a.s_addr = o->net.s_addr | htonl(host);
	return a;
}

static int net_user_forward(struct net_user *u, char *err, size_t errlen)
{
	const struct net_user_opts *o = &u->opts;

	for (unsigned int i = 0; i < o->n_fwd; i++) {
		const struct net_user_fwd *f = &o->fwd[i];
		struct in_addr guest = net_user_host_in(o, f->guest_addr, 15);
		char ha[INET_ADDRSTRLEN];

		if (u->lib->add_hostfwd(u->slirp, f->udp, f->host_addr, f->host_port,
				      guest, f->guest_port) < 0) {
			inet_ntop(AF_INET, &f->host_addr, ha, sizeof(ha));
			snprintf(err, errlen,
				 "hostfwd: cannot listen on %s %s:%u (in use, or a privileged port).",
				 f->udp ? "udp" : "tcp", ha, f->host_port);
			return -EADDRINUSE;
		}
	}
	return 0;
}

/* libslirp.so.0 (Debian's libslirp0, which QEMU needs too). */
static int net_user_load(struct net_user *u, char *err, size_t errlen)
{
	struct net_user_lib *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	u->lib = l;
	u->dl = dlopen("libslirp.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!u->dl) {
		snprintf(err, errlen, "cannot load libslirp (install libslirp0): %s.",
			 dlerror());
		return -ENOENT;
	}
	*(void **)&l->new = dlsym(u->dl, "slirp_new");
	*(void **)&l->cleanup = dlsym(u->dl, "slirp_cleanup");
	*(void **)&l->pollfds_fill = dlsym(u->dl, "slirp_pollfds_fill");
	*(void **)&l->pollfds_poll = dlsym(u->dl, "slirp_pollfds_poll");
	*(void **)&l->input = dlsym(u->dl, "slirp_input");
	*(void **)&l->handle_timer = dlsym(u->dl, "slirp_handle_timer");
	*(void **)&l->add_hostfwd = dlsym(u->dl, "slirp_add_hostfwd");
	if (!l->new || !l->cleanup || !l->pollfds_fill || !l->pollfds_poll ||
	    !l->input || !l->handle_timer || !l->add_hostfwd) {
		snprintf(err, errlen, "libslirp.so.0 lacks a function vmm needs (4.7 or later is).");
		return -ENOENT;
	}
	return 0;
}

static int net_user_new(struct net_user *u, const struct net_user_opts *o,
			char *err, size_t errlen)
{
	SlirpConfig cfg = { .version = 4 };

	cfg.restricted = o->restricted;
	cfg.in_enabled = true;
	cfg.vnetwork = o->net;
	cfg.vnetmask = o->mask;
	cfg.vhost = net_user_host_in(o, o->host, 2);
	cfg.vdhcp_start = net_user_host_in(o, o->dhcp_start, 15);
	cfg.vnameserver = net_user_host_in(o, o->dns, 3);
	cfg.vhostname = o->hostname;
	cfg.in6_enabled = o->ipv6;
	/* QEMU's defaults: fec0::/64, the host ::2, DNS ::3. */
	inet_pton(AF_INET6, "fec0::", &cfg.vprefix_addr6);
	cfg.vprefix_len = 64;
	inet_pton(AF_INET6, "fec0::2", &cfg.vhost6);
	inet_pton(AF_INET6, "fec0::3", &cfg.vnameserver6);
	u->slirp = u->lib->new(&cfg, &net_user_cb, u);
	if (!u->slirp) {
		snprintf(err, errlen, "libslirp refused the network settings.");
		return -EINVAL;
	}
	return net_user_forward(u, err, errlen);
}

int net_user_open(struct net_user *u, const struct net_user_opts *o,
		  int *guest_fd, char *err, size_t errlen)
{
	int sv[2], r;

	memset(u, 0, sizeof(*u));
	u->fd = u->stopfd = -1;
	u->opts = *o;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
		       0, sv) < 0) {
		snprintf(err, errlen, "cannot make its socketpair: %s.", strerror(errno));
		return -errno;
	}
	u->fd = sv[1];
	/* The stop fd and the socketpair always have their places. */
	u->pfd = calloc(16, sizeof(*u->pfd));
	u->cap_pfd = u->pfd ? 16 : 0;
	/* Room for bursts both ways: a frame that finds the socket full is
	 * dropped (TCP recovers, but slowly). Best effort. */
	for (int i = 0; i < 2; i++) {
		int sz = 1 << 20;

		setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	u->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (u->stopfd < 0 || !u->pfd) {
		snprintf(err, errlen, "cannot make an eventfd: %s.",
			 strerror(u->pfd ? errno : ENOMEM));
		r = u->pfd ? -errno : -ENOMEM;
	} else {
		r = net_user_load(u, err, errlen);
		if (r == 0)
			r = net_user_new(u, o, err, errlen);
	}
	/* The guest's end is the caller's only when all is set up. */
	if (r < 0)
		close(sv[0]);
	else
		*guest_fd = sv[0];
	return r;
}

static int net_user_add_poll(int fd, int events, void *opaque)
{
	struct net_user *u = opaque;
	short ev = 0;

	if (u->n_pfd == u->cap_pfd) {
		unsigned int cap = u->cap_pfd ? 2 * u->cap_pfd : 16;
		struct pollfd *p = realloc(u->pfd, cap * sizeof(*p));

		if (!p)
			return -1;      /* not polled this round */
		u->pfd = p;
		u->cap_pfd = cap;
	}
	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	u->pfd[u->n_pfd] = (struct pollfd){ .fd = fd, .events = ev };
	return u->n_pfd++;
}

static int net_user_revents(int idx, void *opaque)
{
	struct net_user *u = opaque;
	short re;
	int r = 0;

	if (idx < 0 || (unsigned int)idx >= u->n_pfd)
		return 0;
	re = u->pfd[idx].revents;
	if (re & POLLIN)
		r |= SLIRP_POLL_IN;
	if (re & POLLOUT)
		r |= SLIRP_POLL_OUT;
	if (re & POLLPRI)
		r |= SLIRP_POLL_PRI;
	if (re & POLLERR)
		r |= SLIRP_POLL_ERR;
	if (re & POLLHUP)
		r |= SLIRP_POLL_HUP;
	return r;
}

/* Frames the guest sent, into the stack; a bounded batch per round. */
static void net_user_from_guest(struct net_user *u, uint8_t *buf)
{
	for (unsigned int i = 0; i < 64; i++) {
		ssize_t n = recv(u->fd, buf, NET_USER_FRAME_MAX, MSG_DONTWAIT);

		if (n <= 0)
			return;
		u->frames_from_guest++;
		/* Shorter than an Ethernet header: nothing slirp can use. */
		if (n >= 14)
			u->lib->input(u->slirp, buf, (int)n);
	}
}

/* Fire the timers that are due; returns ms until the next one, or -1. */
static int net_user_run_timers(struct net_user *u)
{
	int64_t now = net_user_now_ns() / 1000000, next = -1;
	struct net_user_timer *t;
	bool fired;

	do {
		fired = false;
		for (t = u->timers; t; t = t->next) {
			if (t->expire_ms < 0 || t->expire_ms > now)
				continue;
			t->expire_ms = -1;
			/* The callback may free or re-arm timers: start over. */
			if (t->cb)
				t->cb(t->cb_opaque);
			else
				u->lib->handle_timer(u->slirp, t->id, t->cb_opaque);
			fired = true;
			break;
		}
	} while (fired);
	for (t = u->timers; t; t = t->next)
		if (t->expire_ms >= 0 && (next < 0 || t->expire_ms - now < next))
			next = t->expire_ms - now;
	return next < 0 ? -1 : (int)MIN(next, 60000);
}

static void *net_user_thread(void *arg)
{
	struct net_user *u = arg;
	uint8_t *buf = malloc(NET_USER_FRAME_MAX);

	sandbox_enter_or_die(u->sandbox, SANDBOX_NET_USER);
	while (buf) {
		uint32_t timeout = UINT32_MAX;
		int tmo = net_user_run_timers(u), r;

		u->n_pfd = 0;
		net_user_add_poll(u->stopfd, SLIRP_POLL_IN, u);
		net_user_add_poll(u->fd, SLIRP_POLL_IN, u);
		u->lib->pollfds_fill(u->slirp, &timeout, net_user_add_poll, u);
		if (timeout != UINT32_MAX && (tmo < 0 || timeout < (uint32_t)tmo))
			tmo = (int)MIN(timeout, 60000u);
		r = poll(u->pfd, u->n_pfd, tmo);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0 && u->pfd[0].revents)
			break;
		if (r > 0 && (u->pfd[1].revents & POLLIN))
			net_user_from_guest(u, buf);
		u->lib->pollfds_poll(u->slirp, r < 0, net_user_revents, u);
	}
	if (!buf)
		pr_err("netdev user: out of memory: the guest's network stops");
	free(buf);
	/* Here, not in net_user_close(): libslirp is called from this
	 * thread only, and only this thread's filter has the socket calls
	 * it may make while tearing the guest's connections down. */
	u->lib->cleanup(u->slirp);
	u->slirp = NULL;
	return NULL;
}

int net_user_start(struct net_user *u, const struct sandbox *sb)
{
	int r;

	u->sandbox = sb;
	r = pthread_create(&u->thread, NULL, net_user_thread, u);
	if (r)
		return -r;
	u->started = true;
	return 0;
}

void net_user_close(struct net_user *u)
{
	uint64_t one = 1;

	if (u->started) {
		if (write(u->stopfd, &one, sizeof(one)) < 0)
			pr_warn("netdev user: cannot stop its thread");
		pthread_join(u->thread, NULL);
		u->started = false;
	}
	/* Never started (a set-up error): nothing of it ran yet. */
	if (u->slirp)
		u->lib->cleanup(u->slirp);
	u->slirp = NULL;
	if (u->dl)
		dlclose(u->dl);
	u->dl = NULL;
	free((void *)u->lib);
	u->lib = NULL;
	while (u->timers) {
		struct net_user_timer *t = u->timers;

		u->timers = t->next;
		free(t);
	}
	free(u->pfd);
	u->pfd = NULL;
	u->n_pfd = u->cap_pfd = 0;
	util_close_fd(&u->fd);
	util_close_fd(&u->stopfd);
}
