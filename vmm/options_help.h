/* SPDX-License-Identifier: MIT */
#ifndef VMM_OPTIONS_HELP_H
#define VMM_OPTIONS_HELP_H

#include <stdio.h>

#include "vmm/optprop.h"

enum {
	OPT_HELP_NONE, OPT_HELP_DEVICES, OPT_HELP_DEVICE_PROPS,
	OPT_HELP_MACHINES, OPT_HELP_CPUS, OPT_HELP_ACCELS, OPT_HELP_NETDEVS,
};

struct vm_config;

/* One -device vmm has (options_dev.c): its properties' table, which both
 * parses them and is what "-device DRIVER,help" prints. */
struct opt_dev {
	const char *name, *bus, *desc;
	const struct opt_prop *props;        /* name NULL ends */
	int (*parse)(struct kv_opts *kv, struct vm_config *cfg, char *err,
		     size_t len);
};

extern const struct opt_dev opt_devices[];   /* name NULL ends */
const struct opt_dev *opt_dev_find(const char *name);

/* A QEMU option vmm does not have (said so, not "unknown option"). */
bool opt_is_qemu_option(const char *name);
/* Whether "-@opt @val" asks for help (QEMU's "help" or "?", or a
 * "help" property on -device): OPT_HELP_* */
int opt_help_topic(const char *opt, const char *val);
/* 0, or 1 when the help asked about is for something that does not
 * exist (the exit status). */
int opt_help_print(FILE *out, int topic, const char *val);

#endif
