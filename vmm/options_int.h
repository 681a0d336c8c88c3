/* SPDX-License-Identifier: MIT */
#ifndef VMM_OPTIONS_INT_H
#define VMM_OPTIONS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/options.h"

/* Shared by options.c and options_dev.c; not for the rest of the VMM. */

/* Put one sentence in @err; returns -EINVAL. */
int opt_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int opt_parse_uint(const char *s, unsigned long long max,
		   unsigned long long *out);
/* on/off, true/false, yes/no */
int opt_parse_bool(const char *v, bool *out);
/* addr=SLOT[.FN] as QEMU spells it: "5", "0x5", "05.0". */
int opt_parse_pci_addr(const char *v, int *slot);

/* options_dev.c: each 0, or -EINVAL with a sentence in @err. */
int options_parse_drive(const char *s, struct vm_config *cfg, char *err,
			size_t len);
int options_parse_netdev(const char *s, struct vm_config *cfg, char *err,
			 size_t len);
int options_parse_rng(struct kv_opts *kv, struct vm_config *cfg,
		      char *err, size_t len);
int options_parse_balloon(struct kv_opts *kv, struct vm_config *cfg,
			  char *err, size_t len);
int options_parse_blk(struct kv_opts *kv, struct vm_config *cfg, char *err,
		      size_t len);
int options_parse_net(struct kv_opts *kv, struct vm_config *cfg, char *err,
		      size_t len);

/* options_qmp.c: -qmp, -chardev, -mon; then, once all are parsed, the
 * -mon's chardev resolved and unused chardevs refused. */
int options_parse_qmp(const char *s, struct vm_config *cfg, char *err,
		      size_t len);
int options_parse_chardev(const char *s, struct vm_config *cfg, char *err,
			  size_t len);
int options_parse_mon(const char *s, struct vm_config *cfg, char *err,
		      size_t len);
int options_resolve_chardevs(struct vm_config *cfg, char *err, size_t len);

#endif
