// SPDX-License-Identifier: MIT
/*
 * QMP's command side: one table of commands with their arguments, from
 * which come the argument checks (QEMU's texts: missing, wrong type,
 * unexpected), query-commands and query-qmp-schema. Pure: the machine
 * is reached only through struct qmp_ops; the socket side is qmp.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "vmm/qmp.h"

#ifndef VMM_VERSION
#define VMM_VERSION "0.1.0"
#endif
/* The QEMU version whose QMP dialect we speak (Debian 12's). */
#define QMP_QEMU_MAJOR 7
#define QMP_QEMU_MINOR 2
#define QMP_QEMU_MICRO 0

/*
 * An error reply. Its text may embed client input, so when it is cut to
 * fit it is cut at a character boundary (a cut UTF-8 sequence made
 * json_pack fail, and the client got no reply at all); should packing
 * still fail, a fixed text goes out instead.
 */
json_t *qmp_error(const char *cls, const char *fmt, ...)
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

/* ---- the commands ------------------------------------------------------- */

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

static const char *qmp_run_state(const struct qmp_ops *ops)
{
	return ops->run_state ? ops->run_state(ops->ctx) : "running";
}

static json_t *cmd_query_status(const struct qmp_ops *ops, json_t *args)
{
	const char *st = qmp_run_state(ops);

	return qmp_return(json_pack("{s:s,s:b,s:b}", "status", st,
				    "singlestep", 0, "running",
				    !strcmp(st, "running")));
}

static json_t *cmd_stop(const struct qmp_ops *ops, json_t *args)
{
	return !ops->stop || ops->stop(ops->ctx) == 0 ? qmp_return(NULL) :
	       qmp_error("GenericError", "the vCPUs did not stop in time");
}

static json_t *cmd_cont(const struct qmp_ops *ops, json_t *args)
{
	if (ops->cont && ops->cont(ops->ctx) == -EBUSY)
		return qmp_error("GenericError", "Resetting the Virtual Machine is required");
	return qmp_return(NULL);
}

static json_t *cmd_query_version(const struct qmp_ops *ops, json_t *args)
{
	return qmp_return(qmp_version());
}

static json_t *cmd_query_name(const struct qmp_ops *ops, json_t *args)
{
	return qmp_return(ops->name ? json_pack("{s:s}", "name", ops->name) :
			  json_object());
}

static json_t *cmd_query_kvm(const struct qmp_ops *ops, json_t *args)
{
	return qmp_return(json_pack("{s:b,s:b}", "enabled", 1, "present", 1));
}

static json_t *cmd_query_balloon(const struct qmp_ops *ops, json_t *args)
{
	if (!ops->has_balloon)
		return qmp_error("DeviceNotActive", "No balloon device has been activated");
	return qmp_return(json_pack("{s:I}", "actual",
				    (json_int_t)ops->balloon_actual(ops->ctx)));
}

static json_t *cmd_balloon(const struct qmp_ops *ops, json_t *args)
{
	json_int_t bytes = json_integer_value(json_object_get(args, "value"));

	if (!ops->has_balloon)
		return qmp_error("DeviceNotActive", "No balloon device has been activated");
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

	if (!qmp_is_balloon_path(ops, path))
		return qmp_error("DeviceNotFound", "Device '%s' not found", path);
	if (!strcmp(prop, "guest-stats"))
		return qmp_return(ops->balloon_stats(ops->ctx));
	if (!strcmp(prop, "guest-stats-polling-interval"))
		return qmp_return(json_integer(ops->stats_interval_get(ops->ctx)));
	if (!strcmp(prop, "type"))
		return qmp_return(json_string("virtio-balloon-pci"));
	return qmp_error("GenericError", "Property '%s' not found", prop);
}

static json_t *cmd_qom_set(const struct qmp_ops *ops, json_t *args)
{
	const char *path = json_string_value(json_object_get(args, "path"));
	const char *prop = json_string_value(json_object_get(args, "property"));
	json_t *v = json_object_get(args, "value");

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

static json_t *qom_prop(const char *name, const char *type)
{
	return json_pack("{s:s,s:s}", "name", name, "type", type);
}

/*
 * The QOM tree as far as vmm has one: the containers, the devices given
 * on the command line (with id= under peripheral, else peripheral-anon)
 * and the balloon's properties.
 */
static json_t *cmd_qom_list(const struct qmp_ops *ops, json_t *args)
{
	const char *path = json_string_value(json_object_get(args, "path"));
	json_t *devs = ops->devices ? ops->devices(ops->ctx) : json_array();
	json_t *out = json_array(), *d;
	bool anon = !strcmp(path, "/machine/peripheral-anon");
	size_t i, n_anon = 0;

	if (!strcmp(path, "/")) {
		json_array_append_new(out, qom_prop("machine", "child<container>"));
	} else if (!strcmp(path, "/machine")) {
		json_array_append_new(out, qom_prop("peripheral", "child<container>"));
		json_array_append_new(out, qom_prop("peripheral-anon", "child<container>"));
	} else if (anon || !strcmp(path, "/machine/peripheral")) {
		json_array_foreach(devs, i, d) {
			const char *id = json_string_value(json_object_get(d, "id"));
			char type[64], name[32];

			snprintf(type, sizeof(type), "child<%s>",
				 json_string_value(json_object_get(d, "type")));
			if (anon && !id) {
				snprintf(name, sizeof(name), "device[%zu]", n_anon++);
				json_array_append_new(out, qom_prop(name, type));
			} else if (!anon && id) {
				json_array_append_new(out, qom_prop(id, type));
			}
		}
	} else if (qmp_is_balloon_path(ops, path)) {
		json_array_append_new(out, qom_prop("guest-stats", "guest statistics"));
		json_array_append_new(out, qom_prop("guest-stats-polling-interval", "int"));
	} else {
		json_decref(out);
		json_decref(devs);
		return qmp_error("DeviceNotFound", "Device '%s' not found", path);
	}
	json_array_append_new(out, qom_prop("type", "string"));
	json_decref(devs);
	return qmp_return(out);
}

static json_t *qmp_query(json_t *(*fn)(void *), void *ctx)
{
	return qmp_return(fn ? fn(ctx) : json_array());
}

static json_t *cmd_query_cpus_fast(const struct qmp_ops *ops, json_t *args)
{
	return qmp_query(ops->query_cpus, ops->ctx);
}

static json_t *cmd_query_block(const struct qmp_ops *ops, json_t *args)
{
	return qmp_query(ops->query_block, ops->ctx);
}

static json_t *cmd_query_pci(const struct qmp_ops *ops, json_t *args)
{
	return qmp_query(ops->query_pci, ops->ctx);
}

static json_t *cmd_system_reset(const struct qmp_ops *ops, json_t *args)
{
	/* A machine reset (RESET), or with -no-reboot the end (SHUTDOWN). */
	ops->quit(ops->ctx, "host-qmp-system-reset");
	return qmp_return(NULL);
}

static json_t *cmd_system_powerdown(const struct qmp_ops *ops, json_t *args)
{
	if (ops->powerdown)
		ops->powerdown(ops->ctx);
	return qmp_return(NULL);
}

static json_t *cmd_quit(const struct qmp_ops *ops, json_t *args)
{
	ops->quit(ops->ctx, "host-qmp-quit");
	return qmp_return(NULL);
}

static json_t *cmd_query_commands(const struct qmp_ops *ops, json_t *args);
static json_t *cmd_query_qmp_schema(const struct qmp_ops *ops, json_t *args);
static json_t *cmd_hmp(const struct qmp_ops *ops, json_t *args);

enum qmp_type { QT_INT, QT_STR, QT_BOOL, QT_ANY, QT_STR_LIST };

struct qmp_arg {
	const char *name;
	enum qmp_type type;
	bool optional;
};

struct qmp_cmd {
	const char *name;
	json_t *(*run)(const struct qmp_ops *ops, json_t *args);
	struct qmp_arg args[4];         /* in QEMU's order; name NULL ends */
};

static const struct qmp_cmd qmp_cmds[] = {
	{ "qmp_capabilities", NULL, { { "enable", QT_STR_LIST, true } } },
	{ "query-status", cmd_query_status, { { 0 } } },
	{ "query-version", cmd_query_version, { { 0 } } },
	{ "query-name", cmd_query_name, { { 0 } } },
	{ "query-kvm", cmd_query_kvm, { { 0 } } },
	{ "query-cpus-fast", cmd_query_cpus_fast, { { 0 } } },
	{ "query-block", cmd_query_block, { { 0 } } },
	{ "query-pci", cmd_query_pci, { { 0 } } },
	{ "stop", cmd_stop, { { 0 } } },
	{ "cont", cmd_cont, { { 0 } } },
	{ "query-balloon", cmd_query_balloon, { { 0 } } },
	{ "balloon", cmd_balloon, { { "value", QT_INT, false } } },
	{ "qom-list", cmd_qom_list, { { "path", QT_STR, false } } },
	{ "qom-get", cmd_qom_get, { { "path", QT_STR, false },
				    { "property", QT_STR, false } } },
	{ "qom-set", cmd_qom_set, { { "path", QT_STR, false },
				    { "property", QT_STR, false },
				    { "value", QT_ANY, false } } },
	{ "human-monitor-command", cmd_hmp, { { "command-line", QT_STR, false },
					      { "cpu-index", QT_INT, true } } },
	{ "system_reset", cmd_system_reset, { { 0 } } },
	{ "system_powerdown", cmd_system_powerdown, { { 0 } } },
	{ "quit", cmd_quit, { { 0 } } },
	{ "query-commands", cmd_query_commands, { { 0 } } },
	{ "query-qmp-schema", cmd_query_qmp_schema, { { 0 } } },
};

#define QMP_NCMDS (sizeof(qmp_cmds) / sizeof(qmp_cmds[0]))

static json_t *cmd_query_commands(const struct qmp_ops *ops, json_t *args)
{
	json_t *a = json_array();

	for (size_t i = 0; i < QMP_NCMDS; i++)
		json_array_append_new(a, json_pack("{s:s}", "name", qmp_cmds[i].name));
	return qmp_return(a);
}

static const char *const qmp_type_word[] = {
	[QT_INT] = "integer", [QT_STR] = "string", [QT_BOOL] = "boolean",
	[QT_ANY] = "any", [QT_STR_LIST] = "array",
};

static bool qmp_type_ok(enum qmp_type t, json_t *v)
{
	size_t i;
	json_t *e;

	switch (t) {
	case QT_INT:  return json_is_integer(v);
	case QT_STR:  return json_is_string(v);
	case QT_BOOL: return json_is_boolean(v);
	case QT_STR_LIST:
		if (!json_is_array(v))
			return false;
		json_array_foreach(v, i, e)
			if (!json_is_string(e))
				return false;
		return true;
	default:      return true;
	}
}

/* As QEMU's input visitor: declared members in order (missing, wrong
 * type), then anything left over is unexpected. NULL: all good. */
static json_t *qmp_check_args(const struct qmp_cmd *c, json_t *args)
{
	const char *key;
	json_t *v;

	for (const struct qmp_arg *a = c->args; a->name; a++) {
		v = json_object_get(args, a->name);
		if (!v && !a->optional)
			return qmp_error("GenericError", "Parameter '%s' is missing",
					 a->name);
		if (v && !qmp_type_ok(a->type, v))
			return qmp_error("GenericError",
					 "Invalid parameter type for '%s', expected: %s",
					 a->name, qmp_type_word[a->type]);
	}
	json_object_foreach(args, key, v) {
		const struct qmp_arg *a = c->args;

		while (a->name && strcmp(a->name, key))
			a++;
		if (!a->name)
			return qmp_error("GenericError", "Parameter '%s' is unexpected",
					 key);
	}
	return NULL;
}

/* ---- query-qmp-schema: the table above, as QAPI introspection --------- */

static const char *const qmp_schema_type[] = {
	[QT_INT] = "int", [QT_STR] = "str", [QT_BOOL] = "bool",
	[QT_ANY] = "any", [QT_STR_LIST] = "[str]",
};

static json_t *schema_object(const char *name, const struct qmp_arg *args)
{
	json_t *members = json_array();

	for (const struct qmp_arg *a = args; a && a->name; a++) {
		json_t *m = json_pack("{s:s,s:s}", "name", a->name, "type",
				      qmp_schema_type[a->type]);

		if (a->optional)
			json_object_set_new(m, "default", json_null());
		json_array_append_new(members, m);
	}
	return json_pack("{s:s,s:s,s:o}", "name", name, "meta-type", "object",
			 "members", members);
}

static json_t *cmd_query_qmp_schema(const struct qmp_ops *ops, json_t *args)
{
	static const struct qmp_arg shutdown[] = {
		{ "guest", QT_BOOL, false }, { "reason", QT_STR, false }, { 0 }
	};
	static const struct qmp_arg balloon_change[] = {
		{ "actual", QT_INT, false }, { 0 }
	};
	static const struct { const char *name; const char *json; } builtin[] = {
		{ "int", "int" }, { "str", "string" }, { "bool", "boolean" },
		{ "any", "value" },
	};
	json_t *s = json_array();
	char name[80];

	for (size_t i = 0; i < QMP_NCMDS; i++) {
		const struct qmp_cmd *c = &qmp_cmds[i];

		snprintf(name, sizeof(name), "0");
		if (c->args[0].name) {
			snprintf(name, sizeof(name), "q_obj_%s-arg", c->name);
			json_array_append_new(s, schema_object(name, c->args));
		}
		json_array_append_new(s, json_pack("{s:s,s:s,s:s,s:s}", "name", c->name,
						   "meta-type", "command", "arg-type", name,
						   "ret-type", "any"));
	}
	json_array_append_new(s, schema_object("0", NULL));
	json_array_append_new(s, schema_object("q_obj_SHUTDOWN-arg", shutdown));
	json_array_append_new(s, schema_object("q_obj_BALLOON_CHANGE-arg",
					       balloon_change));
	json_array_append_new(s, json_pack("{s:s,s:s,s:s}", "name", "SHUTDOWN",
					   "meta-type", "event", "arg-type",
					   "q_obj_SHUTDOWN-arg"));
	json_array_append_new(s, json_pack("{s:s,s:s,s:s}", "name", "BALLOON_CHANGE",
					   "meta-type", "event", "arg-type",
					   "q_obj_BALLOON_CHANGE-arg"));
	json_array_append_new(s, json_pack("{s:s,s:s,s:s}", "name", "STOP",
					   "meta-type", "event", "arg-type", "0"));
	json_array_append_new(s, json_pack("{s:s,s:s,s:s}", "name", "RESUME",
					   "meta-type", "event", "arg-type", "0"));
	json_array_append_new(s, json_pack("{s:s,s:s,s:s}", "name", "POWERDOWN",
					   "meta-type", "event", "arg-type", "0"));
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		json_array_append_new(s, json_pack("{s:s,s:s,s:s}", "name",
						   builtin[i].name, "meta-type", "builtin",
						   "json-type", builtin[i].json));
	json_array_append_new(s, json_pack("{s:s,s:s,s:s}", "name", "[str]",
					   "meta-type", "array", "element-type", "str"));
	return qmp_return(s);
}

/* ---- human-monitor-command: the HMP lines scripts use ------------------ */

static json_t *hmp_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static json_t *hmp_text(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return qmp_return(json_string(buf));
}

static json_t *cmd_hmp(const struct qmp_ops *ops, json_t *args)
{
	const char *line = json_string_value(json_object_get(args, "command-line"));
	char cmd[32] = "", what[32] = "";
	const char *st;

	/* Words are ASCII; anything longer than a word here is unknown. */
	if (sscanf(line, " %31s %31s", cmd, what) < 1)
		return qmp_return(json_string(""));
	if (!strcmp(cmd, "info") && !strcmp(what, "status")) {
		st = qmp_run_state(ops);
		return hmp_text("VM status: %s\r\n",
				!strcmp(st, "prelaunch") ? "paused (prelaunch)" : st);
	}
	if (!strcmp(cmd, "info") && !strcmp(what, "balloon")) {
		if (!ops->has_balloon)
			return hmp_text("Error: No balloon device has been activated\r\n");
		return hmp_text("balloon: actual=%llu\r\n", (unsigned long long)
				(ops->balloon_actual(ops->ctx) >> 20));
	}
	if (!strcmp(cmd, "info") && !strcmp(what, "name"))
		return ops->name ? hmp_text("%s\r\n", ops->name) : hmp_text("%s", "");
	if (!strcmp(cmd, "info") && !strcmp(what, "kvm"))
		return hmp_text("kvm support: enabled\r\n");
	if (!strcmp(cmd, "info") && !strcmp(what, "version"))
		return hmp_text("%d.%d.%dvmm " VMM_VERSION "\r\n", QMP_QEMU_MAJOR,
				QMP_QEMU_MINOR, QMP_QEMU_MICRO);
	if (!strcmp(cmd, "info"))
		return hmp_text("info: '%s' is not one of status, balloon, name, kvm, version\r\n",
				what);
	if (!strcmp(cmd, "stop") || !strcmp(cmd, "cont")) {
		json_t *r = (cmd[0] == 's' ? cmd_stop : cmd_cont)(ops, NULL);

		if (json_object_get(r, "error"))
			return r;
		json_decref(r);
		return qmp_return(json_string(""));
	}
	return hmp_text("unknown command: '%s'\r\n", cmd);
}

/* ---- dispatch ------------------------------------------------------------ */

static json_t *qmp_run(const struct qmp_ops *ops, json_t *req,
		       bool *negotiated)
{
	const char *name = NULL, *key;
	const struct qmp_cmd *c = NULL;
	json_t *args, *v, *bad;

	/* QEMU's checks of the envelope, in its words. No out-of-band
	 * capability is offered, so "exec-oob" is just unexpected. */
	json_object_foreach(req, key, v) {
		if (!strcmp(key, "execute")) {
			if (!json_is_string(v))
				return qmp_error("GenericError",
						 "QMP input member 'execute' must be a string");
			name = json_string_value(v);
		} else if (!strcmp(key, "arguments")) {
			if (!json_is_object(v))
				return qmp_error("GenericError",
						 "QMP input member 'arguments' must be an object");
		} else if (strcmp(key, "id")) {
			return qmp_error("GenericError",
					 "QMP input member '%s' is unexpected", key);
		}
	}
	if (!name)
		return qmp_error("GenericError", "QMP input lacks member 'execute'");
	for (size_t i = 0; i < QMP_NCMDS && !c; i++)
		if (!strcmp(qmp_cmds[i].name, name))
			c = &qmp_cmds[i];
	if (!*negotiated && (!c || c->run))
		return qmp_error("CommandNotFound",
				 "Expecting capabilities negotiation with 'qmp_capabilities'");
	if (!c)
		return qmp_error("CommandNotFound", "The command %s has not been found",
				 name);
	args = json_object_get(req, "arguments");
	args = args ? json_incref(args) : json_object();
	bad = qmp_check_args(c, args);
	if (bad) {
		json_decref(args);
		return bad;
	}
	if (c->run) {
		v = c->run(ops, args);
	} else if (*negotiated) {
		v = qmp_error("CommandNotFound",
			      "Capabilities negotiation is already complete, command ignored");
	} else if (json_array_size(json_object_get(args, "enable"))) {
		/* No optional capability (oob) is offered. */
		v = qmp_error("GenericError", "Capability '%s' not available",
			      json_string_value(json_array_get(json_object_get(args, "enable"), 0)));
	} else {
		*negotiated = true;
		v = qmp_return(NULL);
	}
	json_decref(args);
	return v;
}

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
