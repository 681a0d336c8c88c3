// SPDX-License-Identifier: MIT
/*
 * key=value lists as QEMU's options spell them, typed values, and the
 * property tables every option with properties is parsed by (the same
 * tables "-device DRIVER,help" prints).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/optprop.h"

int opt_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int kv_parse(const char *s, struct kv_opts *kv, bool first_is_driver)
{
	char *p, *w;
	bool first = true;

	memset(kv, 0, sizeof(*kv));
	kv->buf = malloc(strlen(s) + 1);
	if (!kv->buf)
		return -ENOMEM;
	/* Split on ',' where ",," stands for a literal comma. */
	p = (char *)s;
	w = kv->buf;
	for (;;) {
		char *item = w, *eq;

		while (*p && !(*p == ',' && p[1] != ',')) {
			if (*p == ',')
				p++;
			*w++ = *p++;
		}
		*w++ = '\0';
		eq = strchr(item, '=');
		if (first && first_is_driver && !eq) {
			kv->driver = item;
		} else if (!*item) {
			goto bad;
		} else {
			if (kv->n == VMM_MAX_PROPS)
				goto bad;
			kv->key[kv->n] = item;
			kv->val[kv->n] = "on";   /* QEMU: a bare flag means on */
			if (eq) {
				*eq = '\0';
				kv->val[kv->n] = eq + 1;
				if (!*item)
					goto bad;
			}
			kv->n++;
		}
		first = false;
		if (!*p)
			break;
		p++;
	}
	if (first_is_driver && (!kv->driver || !*kv->driver))
		goto bad;
	return 0;
bad:
	kv_free(kv);
	return -EINVAL;
}

const char *kv_get(const struct kv_opts *kv, const char *key)
{
	for (unsigned int i = 0; i < kv->n; i++)
		if (!strcmp(kv->key[i], key))
			return kv->val[i];
	return NULL;
}

void kv_free(struct kv_opts *kv)
{
	free(kv->buf);
	memset(kv, 0, sizeof(*kv));
}

int opt_parse_uint(const char *s, unsigned long long max,
		   unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int opt_parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "yes")) {
		*out = true;
		return 0;
	}
	if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no")) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

/* addr=SLOT[.FN] as QEMU spells it: "5", "0x5", "05.0". */
int opt_parse_pci_addr(const char *v, int *slot)
{
	unsigned long s;
	char *end;

	errno = 0;
	s = strtoul(v, &end, 16);
	if (errno || end == v || (*end && strcmp(end, ".0")) || s == 0 || s > 31)
		return -EINVAL;
	*slot = (int)s;
	return 0;
}


static void *opt_field(const struct opt_prop *p, void *obj)
{
	return (char *)obj + p->off;
}

int opt_set_str(const struct opt_prop *p, void *obj, const char *val,
		char *err, size_t len)
{
	*(const char **)opt_field(p, obj) = val;
	return 0;
}

int opt_set_bool(const struct opt_prop *p, void *obj, const char *val,
		 char *err, size_t len)
{
	return opt_parse_bool(val, opt_field(p, obj));
}

int opt_set_uint(const struct opt_prop *p, void *obj, const char *val,
		 char *err, size_t len)
{
	unsigned long long v;

	if (opt_parse_uint(val, UINT32_MAX, &v) < 0)
		return -EINVAL;
	if (v < p->min || v > p->max)
		return opt_err(err, len, "%s=%s is not between %llu and %llu.",
			       p->name, val, p->min, p->max);
	if (p->u16)
		*(uint16_t *)opt_field(p, obj) = (uint16_t)v;
	else
		*(unsigned int *)opt_field(p, obj) = (unsigned int)v;
	return 0;
}

int opt_set_pci_addr(const struct opt_prop *p, void *obj, const char *val,
		     char *err, size_t len)
{
	return opt_parse_pci_addr(val, opt_field(p, obj));
}

int opt_set_none(const struct opt_prop *p, void *obj, const char *val,
		 char *err, size_t len)
{
	return 0;
}

const struct opt_prop *opt_prop_find(const struct opt_prop *props,
				     const char *name)
{
	for (; props->name; props++)
		if (!strcmp(props->name, name))
			return props;
	return NULL;
}

int opt_props_apply(const struct opt_prop *props, const struct kv_opts *kv,
		    void *obj, const char *what, const char *unknown_why,
		    char *err, size_t len)
{
	for (unsigned int i = 0; i < kv->n; i++) {
		const struct opt_prop *p = opt_prop_find(props, kv->key[i]);
		char why[160] = "";

		if (!p)
			return opt_err(err, len, "%s: unknown property '%s'%s%s%s.",
				       what, kv->key[i], unknown_why ? " (" : "",
				       unknown_why ? unknown_why : "",
				       unknown_why ? ")" : "");
		if (p->set(p, obj, kv->val[i], why, sizeof(why)) == 0)
			continue;
		/* The setter's own sentence, or the usual one. */
		if (why[0])
			return opt_err(err, len, "%s: %s", what, why);
		return opt_err(err, len, "%s: bad value '%s' for '%s'.", what,
			       kv->val[i], kv->key[i]);
	}
	return 0;
}
