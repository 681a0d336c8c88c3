// SPDX-License-Identifier: MIT
/* QMP input as a client sends it: any bytes, split across reads as the
 * input says, through the splitter, the parser and every command. */
#include <sys/socket.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"
#include "vmm/qmp.h"

static void b_set(void *c, uint64_t bytes) { (void)c; (void)bytes; }
static uint64_t b_actual(void *c) { (void)c; return 1u << 30; }
static json_t *b_stats(void *c) { (void)c; return json_object(); }
static unsigned int iv_get(void *c) { (void)c; return 0; }
static int iv_set(void *c, unsigned int s) { (void)c; (void)s; return 0; }
static void do_quit(void *c, const char *r) { (void)c; (void)r; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct qmp q;
	struct qmp_client *c = calloc(1, sizeof(*c));
	struct fin f = { data, size };
	char sink[65536];
	int sv[2];

	q.ops = (struct qmp_ops){
		.ram_size = 1ULL << 30, .has_balloon = true, .balloon_id = "b0",
		.balloon_set = b_set, .balloon_actual = b_actual,
		.balloon_stats = b_stats, .stats_interval_get = iv_get,
		.stats_interval_set = iv_set, .quit = do_quit,
	};
	if (!c || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0) {
		free(c);
		return 0;
	}
	c->fd = sv[0];
	c->watch = -1;
	while (f.n && !c->dead) {
		size_t chunk = 1 + fin_get(&f, 1) * 4;

		if (chunk > f.n)
			chunk = f.n;
		qmp_client_input(&q, c, (const char *)f.p, chunk);
		f.p += chunk;
		f.n -= chunk;
		while (read(sv[1], sink, sizeof(sink)) > 0)
			;
	}
	close(sv[0]);
	close(sv[1]);
	free(c->in);
	free(c->out);
	free(c);
	return 0;
}
