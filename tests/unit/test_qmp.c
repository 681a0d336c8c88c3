// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "vmm/qmp.h"

static uint64_t target, actual = 1ULL << 30;
static unsigned int interval;
static int quits;
static char quit_reason[64];

static void b_set(void *c, uint64_t bytes) { target = bytes; }
static uint64_t b_actual(void *c) { return actual; }
static json_t *b_stats(void *c)
{
	return json_pack("{s:{s:i},s:i}", "stats", "stat-free-memory", 42,
			 "last-update", 1);
}
static unsigned int iv_get(void *c) { return interval; }
static int iv_set(void *c, unsigned int s) { interval = s; return 0; }
static void do_quit(void *c, const char *r)
{
	quits++;
	snprintf(quit_reason, sizeof(quit_reason), "%s", r);
}

static struct qmp_ops ops = {
	.ram_size = 1ULL << 30, .has_balloon = true, .balloon_id = "b0",
	.balloon_set = b_set, .balloon_actual = b_actual,
	.balloon_stats = b_stats, .stats_interval_get = iv_get,
	.stats_interval_set = iv_set, .quit = do_quit,
};

/* Run one request given as JSON text; returns the response as text. */
static char *run(const char *req, bool *neg)
{
	json_error_t e;
	json_t *r = json_loads(req, 0, &e), *resp;
	char *s;

	cr_assert_not_null(r, "test JSON: %s", e.text);
	resp = qmp_dispatch(&ops, r, neg);
	s = json_dumps(resp, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(r);
	json_decref(resp);
	return s;
}

#define EXPECT(req, want) do {                                      \
	char *got_ = run(req, &neg);                                \
	cr_assert(strstr(got_, want), "%s -> %s (want %s)", req, got_, want); \
	free(got_);                                                 \
} while (0)

Test(qmp, greeting_shape)
{
	json_t *g = qmp_greeting();

	cr_assert(json_is_object(json_object_get(g, "QMP")));
	cr_assert(json_is_array(json_object_get(json_object_get(g, "QMP"),
						"capabilities")));
	json_decref(g);
}

Test(qmp, negotiation_first)
{
	bool neg = false;

	EXPECT("{\"execute\":\"query-status\"}", "Expecting capabilities negotiation");
	EXPECT("{\"execute\":\"qmp_capabilities\",\"id\":\"a\"}", "{\"id\":\"a\",\"return\":{}}");
	cr_assert(neg);
	EXPECT("{\"execute\":\"qmp_capabilities\"}", "already complete");
	EXPECT("{\"execute\":\"query-status\",\"id\":3}", "\"running\":true");
}

Test(qmp, balloon_commands)
{
	bool neg = true;

	EXPECT("{\"execute\":\"balloon\",\"arguments\":{\"value\":536870912}}", "\"return\":{}");
	cr_assert_eq(target, 536870912);
	EXPECT("{\"execute\":\"balloon\",\"arguments\":{\"value\":99999999999999}}", "\"return\":{}");
	cr_assert_eq(target, 1ULL << 30, "clamped to RAM");
	EXPECT("{\"execute\":\"balloon\",\"arguments\":{\"value\":0}}", "expects a size");
	EXPECT("{\"execute\":\"balloon\",\"arguments\":{\"value\":-1}}", "expects a size");
	EXPECT("{\"execute\":\"balloon\",\"arguments\":{\"value\":1.5}}", "expected: integer");
	EXPECT("{\"execute\":\"balloon\",\"arguments\":{\"value\":\"1G\"}}", "expected: integer");
	EXPECT("{\"execute\":\"balloon\"}", "'value' is missing");
	EXPECT("{\"execute\":\"balloon\",\"arguments\":[1]}", "must be an object");
	EXPECT("{\"execute\":\"query-balloon\"}", "{\"return\":{\"actual\":1073741824}}");
}

Test(qmp, no_balloon)
{
	bool neg = true;

	ops.has_balloon = false;
	EXPECT("{\"execute\":\"query-balloon\"}", "DeviceNotActive");
	EXPECT("{\"execute\":\"balloon\",\"arguments\":{\"value\":1}}", "DeviceNotActive");
	ops.has_balloon = true;
}

Test(qmp, qom_stats)
{
	bool neg = true;

	EXPECT("{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine/peripheral/b0\",\"property\":\"guest-stats\"}}",
	       "\"stat-free-memory\":42");
	EXPECT("{\"execute\":\"qom-set\",\"arguments\":{\"path\":\"/machine/peripheral/b0\",\"property\":\"guest-stats-polling-interval\",\"value\":2}}",
	       "\"return\":{}");
	cr_assert_eq(interval, 2);
	EXPECT("{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine/peripheral/b0\",\"property\":\"guest-stats-polling-interval\"}}",
	       "\"return\":2");
	EXPECT("{\"execute\":\"qom-set\",\"arguments\":{\"path\":\"/machine/peripheral/b0\",\"property\":\"guest-stats-polling-interval\",\"value\":-3}}",
	       "GenericError");
	EXPECT("{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine/peripheral/nope\",\"property\":\"guest-stats\"}}",
	       "DeviceNotFound");
	EXPECT("{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"/machine/peripheral/b0\",\"property\":\"colour\"}}",
	       "not found");
	EXPECT("{\"execute\":\"qom-get\",\"arguments\":{\"path\":1}}", "must be strings");
}

Test(qmp, errors_and_lifecycle)
{
	bool neg = true;

	EXPECT("{\"execute\":\"frobnicate\",\"id\":9}", "CommandNotFound");
	EXPECT("{\"execute\":\"frobnicate\",\"id\":9}", "\"id\":9");
	EXPECT("{\"exec\":\"quit\"}", "lacks member 'execute'");
	EXPECT("[1,2]", "must be a JSON object");
	EXPECT("{\"execute\":5}", "lacks member 'execute'");
	EXPECT("{\"execute\":\"query-version\"}", "\"major\":7");
	cr_assert_eq(quits, 0);
	EXPECT("{\"execute\":\"system_reset\"}", "\"return\":{}");
	cr_assert_eq(quits, 1);
	cr_assert_str_eq(quit_reason, "host-qmp-system-reset");
	EXPECT("{\"execute\":\"quit\"}", "\"return\":{}");
	cr_assert_str_eq(quit_reason, "host-qmp-quit");
}

Test(qmp, event_shape)
{
	json_t *e = qmp_event("BALLOON_CHANGE", json_pack("{s:i}", "actual", 5));

	cr_assert_str_eq(json_string_value(json_object_get(e, "event")), "BALLOON_CHANGE");
	cr_assert(json_is_integer(json_object_get(json_object_get(e, "timestamp"), "seconds")));
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(e, "data"), "actual")), 5);
	json_decref(e);
}

/* The request's id comes back on every error, also the early ones. */
Test(qmp, id_echoed_on_every_error)
{
	bool neg = true;

	EXPECT("{\"exec\":\"quit\",\"id\":\"a\"}", "\"id\":\"a\"");
	EXPECT("{\"execute\":5,\"id\":7}", "\"id\":7");
	EXPECT("{\"execute\":\"quit\",\"arguments\":[],\"id\":8}", "\"id\":8");
	cr_assert_eq(quits, 0);
}

Test(qmp, query_name_and_kvm)
{
	bool neg = true;

	EXPECT("{\"execute\":\"query-name\"}", "\"return\":{}");
	ops.name = "vm0";
	EXPECT("{\"execute\":\"query-name\"}", "\"name\":\"vm0\"");
	ops.name = NULL;
	EXPECT("{\"execute\":\"query-kvm\"}", "\"enabled\":true");
	EXPECT("{\"execute\":\"query-kvm\"}", "\"present\":true");
	EXPECT("{\"execute\":\"query-commands\"}", "query-kvm");
}

static bool vm_paused;
static int stop_rc;
static int vm_stop(void *c) { vm_paused = true; return stop_rc; }
static void vm_cont(void *c) { vm_paused = false; }
static const char *vm_state(void *c) { return vm_paused ? "paused" : "running"; }

/* stop/cont reach the machine; query-status follows it. */
Test(qmp, stop_cont_and_status)
{
	bool neg = true;

	ops.stop = vm_stop;
	ops.cont = vm_cont;
	ops.run_state = vm_state;
	EXPECT("{\"execute\":\"query-status\"}", "\"status\":\"running\"");
	EXPECT("{\"execute\":\"stop\"}", "\"return\":{}");
	cr_assert(vm_paused);
	EXPECT("{\"execute\":\"query-status\"}", "\"running\":false");
	EXPECT("{\"execute\":\"query-status\"}", "\"status\":\"paused\"");
	EXPECT("{\"execute\":\"cont\"}", "\"return\":{}");
	cr_assert(!vm_paused);
	stop_rc = -ETIMEDOUT;
	EXPECT("{\"execute\":\"stop\",\"id\":3}", "GenericError");
	stop_rc = 0;
	ops.stop = NULL;
	ops.cont = NULL;
	ops.run_state = NULL;
}
