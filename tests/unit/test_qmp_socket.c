// SPDX-License-Identifier: MIT
/*
 * The QMP server over a real Unix socket, against clients that misbehave:
 * ones that never read, that pipeline without reading, that send a value
 * a byte at a time or one too long, or text that must be cut. Nothing
 * they do may block an emitter, grow memory without bound, or leave a
 * well-behaved client unanswered.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/qmp.h"

static uint64_t actual = 1ULL << 30;
static void b_set(void *c, uint64_t bytes) { (void)c; (void)bytes; }
static uint64_t b_actual(void *c) { (void)c; return actual; }
static json_t *b_stats(void *c) { (void)c; return json_object(); }
static unsigned int iv_get(void *c) { (void)c; return 0; }
static int iv_set(void *c, unsigned int s) { (void)c; (void)s; return 0; }
static void do_quit(void *c, const char *r) { (void)c; (void)r; }

static const struct qmp_ops ops = {
	.ram_size = 1ULL << 30, .has_balloon = true, .balloon_id = "b0",
	.balloon_set = b_set, .balloon_actual = b_actual,
	.balloon_stats = b_stats, .stats_interval_get = iv_get,
	.stats_interval_set = iv_set, .quit = do_quit,
};

static struct qmp q;
static char path[64];

static void setup(void)
{
	snprintf(path, sizeof(path), "/tmp/vmm-qmp-test.%d", getpid());
	cr_assert_eq(qmp_init(&q, path, &ops), 0);
	cr_assert_eq(qmp_start(&q, NULL), 0);
}

static void teardown(void)
{
	qmp_stop(&q);
}

TestSuite(qmp_socket, .init = setup, .fini = teardown, .timeout = 60);

static int client(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sa.sun_path, path);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* One line from @fd (without CR LF), waiting up to @ms; NULL on EOF. */
static char *line(int fd, int ms)
{
	static char buf[1 << 16];
	size_t n = 0;

	while (n < sizeof(buf) - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char ch;

		if (poll(&p, 1, ms) != 1 || read(fd, &ch, 1) != 1)
			return NULL;
		if (ch == '\n')
			break;
		if (ch != '\r')
			buf[n++] = ch;
	}
	buf[n] = 0;
	return buf;
}

static void say(int fd, const char *s)
{
	cr_assert_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* A negotiated client. */
static int ready_client(void)
{
	int fd = client();

	cr_assert_not_null(line(fd, 5000), "greeting");
	say(fd, "{\"execute\":\"qmp_capabilities\"}\n");
	cr_assert_str_eq(line(fd, 5000), "{\"return\": {}}");
	return fd;
}

/* A client that never reads while events pour in: emitters never wait
 * (before, the QMP thread blocked in send() holding the lock emitters
 * take, and the next vCPU to emit hung), the client is dropped once its
 * queue is full, and another client is still served. */
Test(qmp_socket, client_that_never_reads_blocks_no_emitter)
{
	int slow = ready_client(), good;
	char *l;

	for (int i = 0; i < 200000; i++)
		qmp_emit(&q, "RESET", json_pack("{s:b,s:s}", "guest", 1,
						 "reason", "guest-reset"));
	pthread_mutex_lock(&q.lock);
	cr_assert_leq(json_array_size(q.pending_events), QMP_MAX_EVENTS);
	pthread_mutex_unlock(&q.lock);
	good = ready_client();
	say(good, "{\"execute\":\"query-status\",\"id\":7}\n");
	/* Skip the events this client also gets; its answer comes. */
	do
		l = line(good, 10000);
	while (l && !strstr(l, "\"id\": 7"));
	cr_assert_not_null(l, "the well-behaved client is answered");
	close(good);
	close(slow);
}

/* Pipelining commands without reading: the replies queue up to a bound,
 * then the client is disconnected (its socket reaches end of file). */
Test(qmp_socket, pipelining_client_is_disconnected_at_the_bound)
{
	int fd = ready_client();
	static char burst[64 * 1024];
	size_t n = 0;
	bool eof = false;

	while (n + 40 < sizeof(burst))
		n += sprintf(burst + n, "{\"execute\":\"query-version\"}\n");
	for (int i = 0; i < 200 && !eof; i++) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };

		if (poll(&p, 1, 200) == 1 && !(p.revents & (POLLHUP | POLLERR)))
			eof = send(fd, burst, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
			      errno == EPIPE;
		else
			eof = p.revents & (POLLHUP | POLLERR);
	}
	cr_assert(eof, "the server hung up on a client that never reads");
	close(fd);
}

/* A command sent one byte at a time (each recv scans only new bytes). */
Test(qmp_socket, command_a_byte_at_a_time)
{
	int fd = ready_client();
	static char cmd[300 * 1024];
	size_t n;
	char *l;

	n = (size_t)sprintf(cmd, "{\"execute\":\"query-status\",\"id\":\"");
	memset(cmd + n, 'x', 200 * 1024);
	n += 200 * 1024;
	n += (size_t)sprintf(cmd + n, "\"}\n");
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(write(fd, cmd + i, 1), 1);
	l = line(fd, 30000);
	cr_assert_not_null(l);
	cr_assert(strstr(l, "\"running\": true"));
	close(fd);
}

/* A value over QMP_MAX_INPUT: one error, and the next command is read. */
Test(qmp_socket, over_long_value_one_error_then_served)
{
	int fd = ready_client();
	size_t len = QMP_MAX_INPUT + 4096;
	char *junk = malloc(len + 1);
	char *l;

	memset(junk, ' ', len);
	junk[0] = '{';
	junk[1] = '"';
	junk[len - 1] = '\n';
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, junk + off, len - off);

		cr_assert_gt(w, 0);
		off += w;
	}
	free(junk);
	l = line(fd, 10000);
	cr_assert_not_null(l);
	cr_assert(strstr(l, "QMP input too long"), "%s", l);
	say(fd, "{\"execute\":\"query-status\",\"id\":1}\n");
	l = line(fd, 10000);
	cr_assert_not_null(l);
	cr_assert(strstr(l, "\"id\": 1"), "%s", l);
	close(fd);
}

/* An error text embedding client input, cut to fit: still valid UTF-8,
 * so a reply always goes out (before, json_pack failed on the cut
 * sequence and the client waited forever). */
Test(qmp_socket, error_text_cut_at_a_character)
{
	int fd = ready_client();
	char cmd[8192];
	size_t n = (size_t)sprintf(cmd, "{\"execute\":\"x");
	char *l;

	for (int i = 0; i < 1000; i++)
		n += (size_t)sprintf(cmd + n, "\xc3\xa9");     /* é */
	sprintf(cmd + n, "\",\"id\":3}\n");
	say(fd, cmd);
	l = line(fd, 10000);
	cr_assert_not_null(l, "a reply");
	cr_assert(strstr(l, "CommandNotFound"), "%s", l);
	cr_assert(strstr(l, "\"id\": 3"));
	close(fd);
}

/* BALLOON_CHANGE at most once a second, as QEMU: a burst gives the first
 * at once and the newest a second later, nothing in between. */
Test(qmp_socket, balloon_change_throttled_to_one_a_second)
{
	int fd = ready_client();
	char *l;
	int got = 0;

	for (int i = 1; i <= 1000; i++)
		qmp_emit(&q, "BALLOON_CHANGE", json_pack("{s:i}", "actual", i));
	while ((l = line(fd, 2500))) {
		json_t *ev = json_loads(l, 0, NULL);

		cr_assert_not_null(ev);
		got++;
		if (got == 2)
			cr_assert_eq(json_integer_value(json_object_get(
				json_object_get(ev, "data"), "actual")), 1000,
				"the newest one");
		json_decref(ev);
	}
	cr_assert_leq(got, 2, "%d events for a burst", got);
	cr_assert_geq(got, 1);
	close(fd);
}
