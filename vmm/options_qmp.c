// SPDX-License-Identifier: MIT
/*
 * Where QMP listens, as QEMU users spell it: -qmp unix:/tcp:, or a
 * -chardev socket named by -mon chardev=,mode=control (in any order).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "vmm/options_int.h"

static bool opt_in_list(const char *v, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(v, *list))
			return true;
	return false;
}

/* server=on,wait=off (also QEMU's older "server,nowait"): vmm listens
 * and never waits for a client before the guest runs. */
static int listen_opts(const struct kv_opts *kv, const char *const *also,
		       const char *opt, const char *s, char *err, size_t len)
{
	bool server = false, wait = true;
	int r = 0;

	for (unsigned int i = 0; i < kv->n && r == 0; i++) {
		const char *k = kv->key[i];

		if (!strcmp(k, "server"))
			r = opt_parse_bool(*kv->val[i] ? kv->val[i] : "on", &server);
		else if (!strcmp(k, "wait"))
			r = opt_parse_bool(kv->val[i], &wait);
		else if (!strcmp(k, "nowait"))
			wait = false;
		else if (!also || !opt_in_list(k, also))
			return opt_err(err, len, "%s: property '%s' is not supported.",
				       opt, k);
	}
	if (r < 0)
		return opt_err(err, len, "%s: cannot parse '%s'.", opt, s);
	if (!server || wait)
		return opt_err(err, len,
			       "%s: only a listening socket that does not wait is supported (server=on,wait=off).",
			       opt);
	return 0;
}

static int set_unix(struct qmp_listen *a, const char *path, const char *opt,
		    char *err, size_t len)
{
	if (!*path || strlen(path) >= sizeof(a->path))
		return opt_err(err, len, "%s: the socket path is empty or longer than %zu bytes.",
			       opt, sizeof(a->path) - 1);
	*a = (struct qmp_listen){ .set = true };
	strcpy(a->path, path);
	return 0;
}

static int set_tcp(struct qmp_listen *a, const char *host, const char *port,
		   const char *opt, char *err, size_t len)
{
	unsigned long long p;

	if (strlen(host) >= sizeof(a->host) || opt_parse_uint(port, 65535, &p) < 0 ||
	    p == 0)
		return opt_err(err, len, "%s: '%s:%s' is not HOST:PORT.", opt, host, port);
	*a = (struct qmp_listen){ .set = true, .tcp = true };
	/* "[::1]": an IPv6 address in URL brackets. */
	if (host[0] == '[' && host[strlen(host) - 1] == ']')
		snprintf(a->host, sizeof(a->host), "%.*s", (int)strlen(host) - 2, host + 1);
	else
		strcpy(a->host, host);
	snprintf(a->port, sizeof(a->port), "%u", (unsigned int)(p & 0xffff));
	return 0;
}

/* -qmp unix:PATH,server=on,wait=off or tcp:[HOST]:PORT,server=on,wait=off */
int options_parse_qmp(const char *s, struct vm_config *cfg, char *err,
		     size_t len)
{
	struct kv_opts kv;
	char addr[160];
	const char *colon;
	int r;

	if (cfg->qmp.set)
		return opt_err(err, len,
			       "-qmp given twice: vmm serves one QMP socket (it takes several clients).");
	if ((strncmp(s, "unix:", 5) && strncmp(s, "tcp:", 4)) ||
	    kv_parse(strchr(s, ':') + 1, &kv, true) < 0)
		return opt_err(err, len,
			       "-qmp: '%s' is not supported (use unix:PATH or tcp:HOST:PORT, with server=on,wait=off).",
			       s);
	snprintf(addr, sizeof(addr), "%s", kv.driver ? kv.driver : "");
	r = listen_opts(&kv, NULL, "-qmp", s, err, len);
	if (r == 0 && s[0] == 'u') {
		r = set_unix(&cfg->qmp, addr, "-qmp", err, len);
	} else if (r == 0) {
		/* The port follows the last colon: "[::1]:4444" works too. */
		colon = strrchr(addr, ':');
		if (!colon) {
			r = opt_err(err, len, "-qmp: '%s' is not tcp:HOST:PORT.", s);
		} else {
			addr[colon - addr] = 0;
			r = set_tcp(&cfg->qmp, addr, colon + 1, "-qmp", err, len);
		}
	}
	kv_free(&kv);
	return r;
}

/* -chardev socket,id=ID,path=P|host=H,port=N,server=on,wait=off */
int options_parse_chardev(const char *s, struct vm_config *cfg, char *err,
			 size_t len)
{
	static const char *const also[] = { "id", "path", "host", "port", NULL };
	struct chardev_cfg *c;
	struct kv_opts kv;
	const char *id, *path, *host, *port;
	int r;

	if (kv_parse(s, &kv, true) < 0)
		return opt_err(err, len, "-chardev: cannot parse '%s'.", s);
	id = kv_get(&kv, "id");
	path = kv_get(&kv, "path");
	host = kv_get(&kv, "host");
	port = kv_get(&kv, "port");
	if (!kv.driver || strcmp(kv.driver, "socket"))
		r = opt_err(err, len,
			    "-chardev %s: vmm has only socket chardevs, for a QMP monitor (-mon).",
			    kv.driver ? kv.driver : s);
	else if (!id || !*id || strlen(id) >= sizeof(cfg->chardevs[0].id))
		r = opt_err(err, len, "-chardev: an id= (up to %zu bytes) is needed.",
			    sizeof(cfg->chardevs[0].id) - 1);
	else if (cfg->nchardevs == VMM_MAX_CHARDEVS)
		r = opt_err(err, len, "-chardev: more than %d.", VMM_MAX_CHARDEVS);
	else if (!path == !port)
		r = opt_err(err, len, "-chardev %s: give either path= or port=.", id);
	else
		r = listen_opts(&kv, also, "-chardev", s, err, len);
	for (unsigned int i = 0; r == 0 && i < cfg->nchardevs; i++)
		if (!strcmp(cfg->chardevs[i].id, id))
			r = opt_err(err, len, "-chardev: id '%s' is used twice.", id);
	if (r == 0) {
		c = &cfg->chardevs[cfg->nchardevs];
		r = path ? set_unix(&c->addr, path, "-chardev", err, len) :
			   set_tcp(&c->addr, host ? host : "", port, "-chardev", err, len);
		if (r == 0) {
			strcpy(c->id, id);
			cfg->nchardevs++;
		}
	}
	kv_free(&kv);
	return r;
}

/* -mon chardev=ID,mode=control[,pretty=on|off]: QMP on that chardev. */
int options_parse_mon(const char *s, struct vm_config *cfg, char *err,
		     size_t len)
{
	struct kv_opts kv;
	const char *dev, *mode;
	int r = 0;

	if (kv_parse(s, &kv, false) < 0)
		return opt_err(err, len, "-mon: cannot parse '%s'.", s);
	dev = kv_get(&kv, "chardev");
	mode = kv_get(&kv, "mode");
	for (unsigned int i = 0; i < kv.n && r == 0; i++)
		if (strcmp(kv.key[i], "chardev") && strcmp(kv.key[i], "mode") &&
		    strcmp(kv.key[i], "pretty") && strcmp(kv.key[i], "id"))
			r = opt_err(err, len, "-mon: property '%s' is not supported.",
				    kv.key[i]);
	if (r == 0 && (!mode || strcmp(mode, "control")))
		r = opt_err(err, len,
			    "-mon: only mode=control (QMP) is supported: vmm has no human monitor.");
	else if (r == 0 && !dev)
		r = opt_err(err, len, "-mon: a chardev= is needed.");
	else if (r == 0 && cfg->qmp.set)
		r = opt_err(err, len,
			    "-mon: a QMP socket is already given: vmm serves one (it takes several clients).");
	if (r == 0) {
		/* Resolved once every -chardev is known (options_parse's end);
		 * until then the QMP address holds the chardev's id. */
		cfg->qmp = (struct qmp_listen){ .set = true };
		snprintf(cfg->qmp.host, sizeof(cfg->qmp.host), "%s", dev);
		cfg->mon_pending = true;
	}
	kv_free(&kv);
	return r;
}

/* -mon's chardev, and no -chardev left without a use. */
int options_resolve_chardevs(struct vm_config *cfg, char *err, size_t len)
{
	for (unsigned int i = 0; cfg->mon_pending && i < cfg->nchardevs; i++) {
		struct chardev_cfg *c = &cfg->chardevs[i];

		if (!strcmp(c->id, cfg->qmp.host)) {
			c->used = true;
			cfg->qmp = c->addr;
			cfg->mon_pending = false;
		}
	}
	if (cfg->mon_pending)
		return opt_err(err, len, "-mon: chardev '%s' is not defined (-chardev socket,id=%s,...).",
			       cfg->qmp.host, cfg->qmp.host);
	for (unsigned int i = 0; i < cfg->nchardevs; i++)
		if (!cfg->chardevs[i].used)
			return opt_err(err, len,
				       "-chardev %s: not used; vmm uses a chardev only as a QMP monitor (-mon chardev=%s,mode=control).",
				       cfg->chardevs[i].id, cfg->chardevs[i].id);
	return 0;
}
