/* SPDX-License-Identifier: MIT */
#ifndef VMM_OPTPROP_H
#define VMM_OPTPROP_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The layer under every option parser (options*.c): "driver,key=value"
 * lists as QEMU spells them (",," is a literal comma, a bare key means
 * on), typed values, and property tables. A table names each property
 * once: its type and help (printed by "-device DRIVER,help"), an example
 * value (the tests parse every example), and the setter that checks the
 * value and stores it in the option's struct.
 */
#define VMM_MAX_PROPS 16

struct kv_opts {
	char *buf;                      /* owned copy the pointers point into */
	const char *driver;
	unsigned int n;
	const char *key[VMM_MAX_PROPS];
	const char *val[VMM_MAX_PROPS];
};

int kv_parse(const char *s, struct kv_opts *kv, bool first_is_driver);
const char *kv_get(const struct kv_opts *kv, const char *key);
void kv_free(struct kv_opts *kv);

/* Put one sentence in @err; returns -EINVAL. */
int opt_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int opt_parse_uint(const char *s, unsigned long long max,
		   unsigned long long *out);
/* on/off, true/false, yes/no */
int opt_parse_bool(const char *v, bool *out);
/* addr=SLOT[.FN] as QEMU spells it: "5", "0x5", "05.0". */
int opt_parse_pci_addr(const char *v, int *slot);

struct opt_prop;
/* Check @val and store it in @obj; 0, or -EINVAL (with a sentence of
 * its own in @err, or none for the usual "bad value"). */
typedef int (*opt_set_fn)(const struct opt_prop *p, void *obj,
			  const char *val, char *err, size_t len);

struct opt_prop {
	const char *name, *type, *help;
	const char *example;            /* a value the setter accepts */
	opt_set_fn set;
	size_t off;                     /* the field, for the setters below */
	unsigned long long min, max;    /* opt_set_uint's range */
	bool u16;                       /* opt_set_uint: a uint16_t field */
};

/* The field at p->off: a const char * / bool / unsigned int (or
 * uint16_t) in [min, max] / a PCI slot (int). */
int opt_set_str(const struct opt_prop *p, void *obj, const char *val,
		char *err, size_t len);
int opt_set_bool(const struct opt_prop *p, void *obj, const char *val,
		 char *err, size_t len);
int opt_set_uint(const struct opt_prop *p, void *obj, const char *val,
		 char *err, size_t len);
int opt_set_pci_addr(const struct opt_prop *p, void *obj, const char *val,
		     char *err, size_t len);
/* Taken before the table is applied (drive=, netdev=): listed, skipped. */
int opt_set_none(const struct opt_prop *p, void *obj, const char *val,
		 char *err, size_t len);

/* @props ends with a NULL name. */
const struct opt_prop *opt_prop_find(const struct opt_prop *props,
				     const char *name);
/* Every key of @kv through its property's setter into @obj; an unknown
 * key or a bad value is one sentence starting with @what ("-device
 * virtio-blk-pci"), the unknown one followed by @unknown_why if given. */
int opt_props_apply(const struct opt_prop *props, const struct kv_opts *kv,
		    void *obj, const char *what, const char *unknown_why,
		    char *err, size_t len);

#endif
