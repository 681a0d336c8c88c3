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
	EXPECT("{\"execute\":\"qom-get\",\"arguments\":{\"path\":1}}",
	       "Invalid parameter type for 'path', expected: string");
}

Test(qmp, errors_and_lifecycle)
{
	bool neg = true;

	EXPECT("{\"execute\":\"frobnicate\",\"id\":9}", "CommandNotFound");
	EXPECT("{\"execute\":\"frobnicate\",\"id\":9}", "\"id\":9");
	EXPECT("{\"exec\":\"quit\"}", "QMP input member 'exec' is unexpected");
	EXPECT("{\"id\":1}", "lacks member 'execute'");
	EXPECT("[1,2]", "must be a JSON object");
	EXPECT("{\"execute\":5}", "QMP input member 'execute' must be a string");
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
static bool vm_off;
static int vm_cont(void *c)
{
	if (vm_off)
		return -EBUSY;
	vm_paused = false;
	return 0;
}
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
	/* -no-shutdown's powered-off VM needs a reset, as QEMU says. */
	vm_off = true;
	EXPECT("{\"execute\":\"cont\"}", "Resetting the Virtual Machine is required");
	vm_off = false;
	stop_rc = -ETIMEDOUT;
	EXPECT("{\"execute\":\"stop\",\"id\":3}", "GenericError");
	stop_rc = 0;
	ops.stop = NULL;
	ops.cont = NULL;
	ops.run_state = NULL;
}

/* QEMU's strictness: unknown members of the request and of the
 * arguments are refused by name, for every command. */
Test(qmp, unexpected_members_refused)
{
	bool neg = true;

	EXPECT("{\"execute\":\"query-status\",\"bogus\":1,\"id\":4}",
	       "QMP input member 'bogus' is unexpected");
	EXPECT("{\"execute\":\"query-status\",\"bogus\":1,\"id\":4}", "\"id\":4");
	EXPECT("{\"execute\":\"query-status\",\"arguments\":{\"x\":1}}",
	       "Parameter 'x' is unexpected");
	EXPECT("{\"execute\":\"quit\",\"arguments\":{\"now\":true}}",
	       "Parameter 'now' is unexpected");
	cr_assert_eq(quits, 0, "a refused quit must not quit");
	EXPECT("{\"execute\":\"balloon\",\"arguments\":{\"value\":1,\"force\":1}}",
	       "Parameter 'force' is unexpected");
	EXPECT("{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"b0\"}}",
	       "Parameter 'property' is missing");
	/* No out-of-band capability is offered, so none is accepted. */
	EXPECT("{\"exec-oob\":\"query-status\"}", "'exec-oob' is unexpected");
	neg = false;
	EXPECT("{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[\"oob\"]}}",
	       "Capability 'oob' not available");
	cr_assert(!neg);
	EXPECT("{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":\"oob\"}}",
	       "expected: array");
	EXPECT("{\"execute\":\"qmp_capabilities\",\"arguments\":{\"enable\":[]}}",
	       "\"return\":{}");
	cr_assert(neg);
}

static json_t *cpus(void *c)
{
	return json_pack("[{s:i,s:i}]", "cpu-index", 0, "thread-id", 77);
}
static json_t *blocks(void *c)
{
	return json_pack("[{s:s}]", "device", "d0");
}
static json_t *pcis(void *c)
{
	return json_pack("[{s:i,s:[]}]", "bus", 0, "devices");
}
static json_t *devs(void *c)
{
	return json_pack("[{s:s,s:s},{s:s}]", "type", "virtio-balloon-pci",
			 "id", "b0", "type", "virtio-rng-pci");
}

Test(qmp, queries_reach_the_machine)
{
	bool neg = true;

	EXPECT("{\"execute\":\"query-cpus-fast\"}", "\"return\":[]");
	EXPECT("{\"execute\":\"query-block\"}", "\"return\":[]");
	ops.query_cpus = cpus;
	ops.query_block = blocks;
	ops.query_pci = pcis;
	ops.devices = devs;
	EXPECT("{\"execute\":\"query-cpus-fast\"}", "\"thread-id\":77");
	EXPECT("{\"execute\":\"query-block\"}", "\"device\":\"d0\"");
	EXPECT("{\"execute\":\"query-pci\"}", "\"bus\":0");
	EXPECT("{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"/machine/peripheral\"}}",
	       "{\"name\":\"b0\",\"type\":\"child<virtio-balloon-pci>\"}");
	EXPECT("{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"/machine/peripheral-anon\"}}",
	       "{\"name\":\"device[0]\",\"type\":\"child<virtio-rng-pci>\"}");
	EXPECT("{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"/machine/peripheral/b0\"}}",
	       "guest-stats-polling-interval");
	EXPECT("{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"/nowhere\"}}",
	       "DeviceNotFound");
	EXPECT("{\"execute\":\"qom-get\",\"arguments\":{\"path\":\"b0\",\"property\":\"type\"}}",
	       "\"return\":\"virtio-balloon-pci\"");
	ops.query_cpus = NULL;
	ops.query_block = NULL;
	ops.query_pci = NULL;
	ops.devices = NULL;
}

Test(qmp, human_monitor_command)
{
	bool neg = true;

	EXPECT("{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"info status\"}}",
	       "\"return\":\"VM status: running\\r\\n\"");
	EXPECT("{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"info balloon\"}}",
	       "\"return\":\"balloon: actual=1024\\r\\n\"");
	EXPECT("{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"  info   kvm \"}}",
	       "kvm support: enabled");
	EXPECT("{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"savevm x\"}}",
	       "unknown command: 'savevm'");
	EXPECT("{\"execute\":\"human-monitor-command\",\"arguments\":{}}",
	       "Parameter 'command-line' is missing");
	ops.has_balloon = false;
	EXPECT("{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"info balloon\"}}",
	       "No balloon device has been activated");
	ops.has_balloon = true;
}

/* Every command query-commands lists is in the schema, with its
 * arguments; the schema names no command that does not exist. */
Test(qmp, schema_matches_commands)
{
	bool neg = true;
	json_t *r = json_loads("{\"execute\":\"query-commands\"}", 0, NULL);
	json_t *cmds = qmp_dispatch(&ops, r, &neg), *c, *schema, *e;
	size_t i, j, ncmd = 0;

	json_decref(r);
	r = json_loads("{\"execute\":\"query-qmp-schema\"}", 0, NULL);
	schema = qmp_dispatch(&ops, r, &neg);
	json_decref(r);
	json_array_foreach(json_object_get(cmds, "return"), i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));
		bool found = false;

		json_array_foreach(json_object_get(schema, "return"), j, e)
			found |= !strcmp(json_string_value(json_object_get(e, "name")), name) &&
				 !strcmp(json_string_value(json_object_get(e, "meta-type")), "command");
		cr_assert(found, "%s not in the schema", name);
	}
	json_array_foreach(json_object_get(schema, "return"), j, e)
		ncmd += !strcmp(json_string_value(json_object_get(e, "meta-type")), "command");
	cr_assert_eq(ncmd, json_array_size(json_object_get(cmds, "return")));
	json_decref(cmds);
	json_decref(schema);
	EXPECT("{\"execute\":\"query-qmp-schema\"}",
	       "{\"members\":[{\"name\":\"value\",\"type\":\"int\"}],\"meta-type\":\"object\",\"name\":\"q_obj_balloon-arg\"}");
}

static int pressed;
static void press(void *c) { pressed++; }

/* system_powerdown presses the button once; an argument refuses it. */
Test(qmp, system_powerdown)
{
	bool neg = true;

	ops.powerdown = press;
	EXPECT("{\"execute\":\"system_powerdown\",\"arguments\":{\"force\":true}}",
	       "Parameter 'force' is unexpected");
	cr_assert_eq(pressed, 0);
	EXPECT("{\"execute\":\"system_powerdown\"}", "\"return\":{}");
	cr_assert_eq(pressed, 1);
	ops.powerdown = NULL;
	EXPECT("{\"execute\":\"query-qmp-schema\"}", "\"name\":\"POWERDOWN\"");
}
