/* SPDX-License-Identifier: MIT */
#ifndef VMM_OPTIONS_INT_H
#define VMM_OPTIONS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/options.h"

/* Shared by options.c and options_dev.c; not for the rest of the VMM. */

/* options_dev.c: each 0, or -EINVAL with a sentence in @err. */
int options_parse_drive(const char *s, struct vm_config *cfg, char *err,
			size_t len);
int options_parse_netdev(const char *s, struct vm_config *cfg, char *err,
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
