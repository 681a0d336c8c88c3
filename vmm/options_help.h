/* SPDX-License-Identifier: MIT */
#ifndef VMM_OPTIONS_HELP_H
#define VMM_OPTIONS_HELP_H

#include <stdio.h>

enum {
	OPT_HELP_NONE, OPT_HELP_DEVICES, OPT_HELP_DEVICE_PROPS,
	OPT_HELP_MACHINES, OPT_HELP_CPUS, OPT_HELP_ACCELS, OPT_HELP_NETDEVS,
};

struct opt_help_prop {
	const char *name, *type, *help;
	const char *example;            /* a value the parser accepts */
};

struct opt_help_dev {
	const char *name, *bus, *desc;
	const struct opt_help_prop *props;   /* name NULL ends */
};

extern const struct opt_help_dev opt_help_devices[];   /* name NULL ends */
const struct opt_help_dev *opt_help_find(const char *name);

/* Whether "-@opt @val" asks for help (QEMU's "help" or "?", or a
 * "help" property on -device): OPT_HELP_* */
int opt_help_topic(const char *opt, const char *val);
/* 0, or 1 when the help asked about is for something that does not
 * exist (the exit status). */
int opt_help_print(FILE *out, int topic, const char *val);

#endif
