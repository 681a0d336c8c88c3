// SPDX-License-Identifier: MIT
/* -netdev user: libslirp behind a socketpair, driven without a guest. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/sandbox.h"
#include "virtio/net_user.h"

Test(net_user, hostfwd_syntax)
{
	struct net_user_fwd f;

	cr_assert_eq(net_user_parse_fwd("tcp::2222-:22", &f), 0);
	cr_assert(!f.udp);
	cr_assert_eq(f.host_port, 2222);
	cr_assert_eq(f.guest_port, 22);
	cr_assert_eq(f.host_addr.s_addr, 0);
	cr_assert_eq(f.guest_addr.s_addr, 0);
	cr_assert_eq(net_user_parse_fwd("udp:127.0.0.1:5353-10.0.2.15:53", &f), 0);
	cr_assert(f.udp);
	cr_assert_eq(f.host_addr.s_addr, htonl(INADDR_LOOPBACK));
	cr_assert_eq(f.guest_addr.s_addr, inet_addr("10.0.2.15"));
	cr_assert_eq(net_user_parse_fwd("::8080-:80", &f), 0, "no protocol: tcp");
	cr_assert_eq(net_user_parse_fwd("sctp::1-:2", &f), -EINVAL);
	cr_assert_eq(net_user_parse_fwd("tcp::0-:22", &f), -EINVAL);
	cr_assert_eq(net_user_parse_fwd("tcp::70000-:22", &f), -EINVAL);
	cr_assert_eq(net_user_parse_fwd("tcp::22", &f), -EINVAL);
	cr_assert_eq(net_user_parse_fwd("tcp:host:1-:2", &f), -EINVAL);
	cr_assert_eq(net_user_parse_fwd("tcp::1-:2-:3", &f), -EINVAL);
	cr_assert_eq(net_user_parse_fwd("tcp::-1-:2", &f), -EINVAL);
}

Test(net_user, net_syntax)
{
	struct in_addr n, m;

	cr_assert_eq(net_user_parse_net("10.0.2.0/24", &n, &m), 0);
	cr_assert_eq(m.s_addr, htonl(0xffffff00));
	cr_assert_eq(net_user_parse_net("192.168.76.0", &n, &m), 0);
	cr_assert_eq(net_user_parse_net("10.0.0.0/8", &n, &m), 0);
	cr_assert_eq(net_user_parse_net("10.0.2.1/24", &n, &m), -EINVAL,
		     "a host address, not the network");
	cr_assert_eq(net_user_parse_net("10.0.2.0/31", &n, &m), -EINVAL);
	cr_assert_eq(net_user_parse_net("10.0.2.0/", &n, &m), -EINVAL);
	cr_assert_eq(net_user_parse_net("nonsense", &n, &m), -EINVAL);
}

static struct net_user_opts default_opts(void)
{
	struct net_user_opts o = { .ipv6 = false };

	cr_assert_eq(net_user_parse_net("10.0.2.0/24", &o.net, &o.mask), 0);
	return o;
}

/* The next frame slirp sends the guest, within 3 s; its length. */
static ssize_t frame_from_stack(int fd, uint8_t *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, 3000) != 1)
		return -1;
	return recv(fd, buf, len, 0);
}

/* The guest asks who 10.0.2.2 is: the gateway answers. */
Test(net_user, gateway_answers_arp)
{
	static const uint8_t guest_mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	struct net_user_opts o = default_opts();
	struct net_user u;
	uint8_t f[42] = { 0 }, r[2048];
	char err[160];
	int gfd = -1;
	ssize_t n;

	cr_assert_eq(net_user_open(&u, &o, &gfd, err, sizeof(err)), 0, "%s", err);
	memset(f, 0xff, 6);                      /* broadcast */
	memcpy(f + 6, guest_mac, 6);
	f[12] = 0x08; f[13] = 0x06;              /* ARP */
	f[14] = 0; f[15] = 1; f[16] = 0x08; f[17] = 0; f[18] = 6; f[19] = 4;
	f[21] = 1;                               /* request */
	memcpy(f + 22, guest_mac, 6);
	memcpy(f + 28, (uint8_t[]){ 10, 0, 2, 15 }, 4);
	memcpy(f + 38, (uint8_t[]){ 10, 0, 2, 2 }, 4);
	cr_assert_eq(net_user_start(&u, NULL), 0);
	cr_assert_eq(send(gfd, f, sizeof(f), 0), (ssize_t)sizeof(f));
	n = frame_from_stack(gfd, r, sizeof(r));
	cr_assert_geq(n, 42, "no answer from the stack");
	cr_assert_eq(r[12], 0x08);
	cr_assert_eq(r[13], 0x06);
	cr_assert_eq(r[21], 2, "an ARP reply");
	cr_assert_eq(memcmp(r + 28, (uint8_t[]){ 10, 0, 2, 2 }, 4), 0);
	cr_assert_eq(memcmp(r, guest_mac, 6), 0, "sent to the guest");
	net_user_close(&u);
	net_user_close(&u);                      /* idempotent */
	close(gfd);
}

static uint16_t free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
	close(s);
	return ntohs(a.sin_port);
}

/* A host connection to a forwarded port reaches the guest's network. */
Test(net_user, hostfwd_reaches_the_guest)
{
	struct net_user_opts o = default_opts();
	uint16_t port = free_port();
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct net_user u;
	uint8_t r[2048];
	char err[160];
	int gfd = -1, c;

	o.fwd[0] = (struct net_user_fwd){ .host_addr.s_addr = htonl(INADDR_LOOPBACK),
					  .host_port = port, .guest_port = 22 };
	o.n_fwd = 1;
	cr_assert_eq(net_user_open(&u, &o, &gfd, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(net_user_start(&u, NULL), 0);
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	connect(c, (struct sockaddr *)&a, sizeof(a));
	/* slirp accepts, then looks for the guest: an ARP request for
	 * 10.0.2.15, or the SYN itself. */
	cr_assert_geq(frame_from_stack(gfd, r, sizeof(r)), 42,
		      "nothing reached the guest's network");
	cr_assert(r[12] == 0x08 && (r[13] == 0x06 || r[13] == 0x00));
	close(c);
	net_user_close(&u);
	close(gfd);
}

Test(net_user, hostfwd_port_in_use_is_an_error)
{
	struct net_user_opts o = default_opts();
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	struct net_user u;
	char err[160] = "";
	int gfd = -1, s = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(s, 1), 0);
	cr_assert_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
	o.fwd[0] = (struct net_user_fwd){ .host_addr.s_addr = htonl(INADDR_LOOPBACK),
					  .host_port = ntohs(a.sin_port),
					  .guest_port = 22 };
	o.n_fwd = 1;
	cr_assert_lt(net_user_open(&u, &o, &gfd, err, sizeof(err)), 0);
	cr_assert(strstr(err, "cannot listen on tcp 127.0.0.1:"), "%s", err);
	cr_assert_eq(gfd, -1, "the guest's end is not handed out");
	net_user_close(&u);
	close(s);
}

static uint16_t ip_csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* An Ethernet frame from the guest (10.0.2.15) to @dst: UDP @dport. */
static size_t udp_frame(uint8_t *f, const uint8_t dst[4], uint16_t dport,
			const void *data, size_t len)
{
	static const uint8_t guest_mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	static const uint8_t gw_mac[6] = { 0x52, 0x55, 10, 0, 2, 2 };
	uint8_t *ip = f + 14, *udp = ip + 20;
	uint16_t c;

	memcpy(f, gw_mac, 6);
	memcpy(f + 6, guest_mac, 6);
	f[12] = 0x08; f[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((28 + len) >> 8); ip[3] = (uint8_t)(28 + len);
	ip[8] = 64; ip[9] = 17;
	memcpy(ip + 12, (uint8_t[]){ 10, 0, 2, 15 }, 4);
	memcpy(ip + 16, dst, 4);
	c = ip_csum(ip, 20);
	ip[10] = c >> 8; ip[11] = (uint8_t)c;
	udp[0] = 0x30; udp[1] = 0x39;             /* port 12345 */
	udp[2] = dport >> 8; udp[3] = (uint8_t)dport;
	udp[4] = (uint8_t)((8 + len) >> 8); udp[5] = (uint8_t)(8 + len);
	udp[6] = udp[7] = 0;                      /* no checksum */
	memcpy(udp + 8, data, len);
	return 14 + 28 + len;
}

/*
 * Under -sandbox on: a DNS query to 10.0.2.3 (slirp reads resolv.conf
 * and opens a socket to forward it) and a hostfwd connection; a call
 * outside the net-user list would kill this process.
 */
Test(net_user, works_sandboxed)
{
	static const uint8_t query[] = {
		0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0,
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
		0, 1, 0, 1,
	};
	struct sandbox sb = { .on = true };
	struct net_user_opts o = default_opts();
	uint16_t port = free_port();
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct net_user u;
	uint8_t f[128], r[2048];
	char err[160];
	int gfd = -1, c;
	size_t n;

	o.fwd[0] = (struct net_user_fwd){ .host_addr.s_addr = htonl(INADDR_LOOPBACK),
					  .host_port = port, .guest_port = 22 };
	o.n_fwd = 1;
	cr_assert_eq(net_user_open(&u, &o, &gfd, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(net_user_start(&u, &sb), 0);
	n = udp_frame(f, (uint8_t[]){ 10, 0, 2, 3 }, 53, query, sizeof(query));
	cr_assert_eq(send(gfd, f, n, 0), (ssize_t)n);
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	connect(c, (struct sockaddr *)&a, sizeof(a));
	cr_assert_geq(frame_from_stack(gfd, r, sizeof(r)), 42,
		      "nothing reached the guest's network");
	close(c);
	net_user_close(&u);
	close(gfd);
}

/*
 * What a hostile guest can send: frames shorter than an Ethernet header,
 * an IPv4 header whose lengths lie, a UDP length past the frame, a frame
 * larger than any MTU (the socketpair cuts it). The stack takes them all
 * and still answers ARP afterwards.
 */
Test(net_user, hostile_frames_are_survived)
{
	static const uint8_t guest_mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	static uint8_t big[70000];
	struct net_user_opts o = default_opts();
	uint8_t f[128], arp[42] = { 0 }, r[2048];
	struct net_user u;
	char err[160];
	int gfd = -1;
	size_t n;

	cr_assert_eq(net_user_open(&u, &o, &gfd, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(net_user_start(&u, NULL), 0);
	cr_assert_eq(send(gfd, f, 5, 0), 5, "a runt");
	n = udp_frame(f, (uint8_t[]){ 10, 0, 2, 2 }, 7, "x", 1);
	f[14 + 2] = 0xff; f[14 + 3] = 0xff;        /* IP total length 65535 */
	cr_assert_eq(send(gfd, f, n, 0), (ssize_t)n);
	n = udp_frame(f, (uint8_t[]){ 10, 0, 2, 2 }, 7, "x", 1);
	f[14] = 0x4f;                             /* IHL 60 bytes: past the frame */
	cr_assert_eq(send(gfd, f, n, 0), (ssize_t)n);
	n = udp_frame(f, (uint8_t[]){ 10, 0, 2, 3 }, 53, "x", 1);
	f[14 + 20 + 4] = 0xff;                    /* UDP length past the frame */
	cr_assert_eq(send(gfd, f, n, 0), (ssize_t)n);
	memset(big, 0xee, sizeof(big));
	memcpy(big + 6, guest_mac, 6);
	big[12] = 0x08; big[13] = 0x00;
	send(gfd, big, sizeof(big), 0);           /* may be refused: too big */
	/* Still alive: the gateway answers. */
	memset(arp, 0xff, 6);
	memcpy(arp + 6, guest_mac, 6);
	arp[12] = 0x08; arp[13] = 0x06;
	arp[15] = 1; arp[16] = 0x08; arp[18] = 6; arp[19] = 4; arp[21] = 1;
	memcpy(arp + 22, guest_mac, 6);
	memcpy(arp + 28, (uint8_t[]){ 10, 0, 2, 15 }, 4);
	memcpy(arp + 38, (uint8_t[]){ 10, 0, 2, 2 }, 4);
	cr_assert_eq(send(gfd, arp, sizeof(arp), 0), (ssize_t)sizeof(arp));
	do {
		n = frame_from_stack(gfd, r, sizeof(r));
		cr_assert_geq((ssize_t)n, 42, "the stack stopped answering");
	} while (!(r[12] == 0x08 && r[13] == 0x06 && r[21] == 2));
	net_user_close(&u);
	close(gfd);
}
