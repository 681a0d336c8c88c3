/* SPDX-License-Identifier: MIT */
#ifndef VIRTIO_NET_USER_H
#define VIRTIO_NET_USER_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * -netdev user: QEMU's user-mode network, through libslirp. The guest's
 * card sees a LAN (10.0.2.0/24 by default: gateway and host 10.0.2.2,
 * DNS 10.0.2.3, DHCP from 10.0.2.15) whose TCP and UDP leave through the
 * host's own sockets, so no root and no tap are needed; hostfwd= opens
 * host ports that lead to the guest.
 *
 * virtio-net needs no change for it: it gets one end of a SOCK_SEQPACKET
 * socketpair as if it were a tap without a vnet header (one frame per
 * datagram), and the slirp thread owns the other end. libslirp is not
 * thread-safe: every call into it is made on that one thread, which
 * polls slirp's sockets, the socketpair and a stop eventfd. It is the
 * one loop not on util/evloop.c: libslirp hands over a new set of fds
 * every round (slirp_pollfds_fill), which is poll()'s shape, not
 * epoll's.
 */
#define NET_USER_MAX_FWD 8

struct net_user_fwd {
	bool udp;
	struct in_addr host_addr;        /* INADDR_ANY: every address */
	uint16_t host_port;
	struct in_addr guest_addr;       /* 0: the first DHCP address */
	uint16_t guest_port;
};

struct net_user_opts {
	struct in_addr net, mask;        /* 10.0.2.0/24 */
	struct in_addr host;             /* 10.0.2.2; 0: net + 2 */
	struct in_addr dhcp_start;       /* 10.0.2.15; 0: net + 15 */
	struct in_addr dns;              /* 10.0.2.3; 0: net + 3 */
	bool restricted;                 /* restrict=on: the guest reaches only the host */
	bool ipv6;                       /* fec0::/64, as QEMU */
	const char *hostname;            /* sent by DHCP; NULL: none */
	struct net_user_fwd fwd[NET_USER_MAX_FWD];
	unsigned int n_fwd;
};

struct net_user_timer;
struct net_user_lib;
struct sandbox;
struct Slirp;

struct net_user {
	/* libslirp, loaded only when a -netdev user exists: it and glib
	 * would cost every VMM start (~1 ms of dynamic linking) otherwise. */
	void *dl;
	const struct net_user_lib *lib;
	struct Slirp *slirp;
	struct net_user_opts opts;
	int fd;                          /* our end of the socketpair */
	int stopfd;
	const struct sandbox *sandbox;
	pthread_t thread;
	bool started;
	struct net_user_timer *timers;
	struct pollfd *pfd;              /* this round's, from slirp and ours */
	unsigned int n_pfd, cap_pfd;
	/* For -v and tests. */
	unsigned long frames_to_guest, frames_from_guest, dropped;
};

/* "[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport", QEMU's
 * hostfwd= syntax; 0 or -EINVAL. */
int net_user_parse_fwd(const char *s, struct net_user_fwd *f);
/* "10.0.2.0/24" or "10.0.2.0" (a /24); 0 or -EINVAL. */
int net_user_parse_net(const char *s, struct in_addr *net,
		       struct in_addr *mask);
/* The stack and its host forwards (bound now, so a port in use is an
 * error at start); *@guest_fd is the end virtio-net uses. 0 or -errno
 * with one sentence in @err. */
int net_user_open(struct net_user *u, const struct net_user_opts *o,
		  int *guest_fd, char *err, size_t errlen);
/* The slirp thread; it confines itself with @sb (may be NULL). */
int net_user_start(struct net_user *u, const struct sandbox *sb);
/* Stop the thread and free the stack; idempotent. */
void net_user_close(struct net_user *u);

#endif
