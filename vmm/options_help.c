// SPDX-License-Identifier: MIT
/*
 * What QEMU prints for "-device help", "-device DRIVER,help",
 * "-machine help", "-cpu help", "-accel help" and "-netdev help", for
 * what vmm has. Device properties are printed from the tables that
 * parse them (options_dev.c), so the lists cannot claim what the parsers
 * refuse; tests/unit/test_options.c parses every example value too.
 */
#include <stdbool.h>
#include <string.h>

#include "vmm/options_help.h"

static bool is_help(const char *v)
{
	return !strcmp(v, "help") || !strcmp(v, "?");
}

int opt_help_topic(const char *opt, const char *val)
{
	const char *comma = strchr(val, ',');

	if (is_help(val)) {
		if (!strcmp(opt, "device"))
			return OPT_HELP_DEVICES;
		if (!strcmp(opt, "machine") || !strcmp(opt, "M"))
			return OPT_HELP_MACHINES;
		if (!strcmp(opt, "cpu"))
			return OPT_HELP_CPUS;
		if (!strcmp(opt, "accel"))
			return OPT_HELP_ACCELS;
		if (!strcmp(opt, "netdev"))
			return OPT_HELP_NETDEVS;
	}
	/* "-device virtio-blk-pci,help" (anywhere among the properties). */
	if (!strcmp(opt, "device") && comma) {
		for (const char *p = comma; p; p = strchr(p + 1, ','))
			if (!strncmp(p + 1, "help", 4) && (!p[5] || p[5] == ','))
				return OPT_HELP_DEVICE_PROPS;
	}
	return OPT_HELP_NONE;
}

static int help_device_props(FILE *out, const char *val)
{
	size_t n = strcspn(val, ",");
	char name[64];
	const struct opt_dev *d;

	snprintf(name, sizeof(name), "%.*s", (int)n, val);
	d = opt_dev_find(name);
	if (!d) {
		fprintf(stderr, "vmm: -device: '%s' is not a device this VMM has (see -device help).\n",
			name);
		return 1;
	}
	fprintf(out, "%s options:\n", d->name);
	for (const struct opt_prop *p = d->props; p->name; p++)
		fprintf(out, "  %s=<%s> - %s\n", p->name, p->type, p->help);
	return 0;
}

int opt_help_print(FILE *out, int topic, const char *val)
{
	switch (topic) {
	case OPT_HELP_DEVICES:
		for (const struct opt_dev *d = opt_devices; d->name; d++)
			fprintf(out, "name \"%s\", bus %s, desc \"%s\"\n", d->name,
				d->bus, d->desc);
		break;
	case OPT_HELP_DEVICE_PROPS:
		return help_device_props(out, val);
	case OPT_HELP_MACHINES:
		fprintf(out, "Supported machines are:\n"
			"microvm              vmm's one machine (PCI, ACPI, virtio-pci)\n"
			"pc                   the same machine\n"
			"q35                  the same machine\n");
		break;
	case OPT_HELP_CPUS:
		fprintf(out, "Available CPUs:\n"
			"  host   the host's CPUID, as KVM offers it\n"
			"  max    the same\n");
		break;
	case OPT_HELP_ACCELS:
		fprintf(out, "Accelerators supported in vmm:\nkvm\n");
		break;
	case OPT_HELP_NETDEVS:
		fprintf(out, "Available netdev backend types:\nuser\ntap\n");
		break;
	default:
		break;
	}
	return 0;
}

/* QEMU options vmm does not have: named as such, not as unknown. */
bool opt_is_qemu_option(const char *name)
{
	static const char *const qemu[] = {
		"action", "add-fd", "audio", "audiodev", "bios", "blockdev",
		"boot", "cdrom", "compat", "d", "debugcon",
		"dtb", "dump-vmstate", "fda", "fdb", "fsdev", "fw_cfg",
		"g", "gdb", "global", "hda", "hdb", "hdc", "hdd", "icount",
		"incoming", "iscsi", "k", "L", "loadvm", "mem-path",
		"mem-prealloc", "monitor", "msg", "mtdblock", "net",
		"no-acpi", "no-hpet", "numa", "object", "option-rom", "overcommit",
		"parallel", "pflash", "plugin", "prom-env", "qtest", "readconfig",
		"rtc", "run-with", "runas", "s", "sd", "semihosting",
		"semihosting-config", "smbios", "spice",
		"tpmdev", "trace", "usb", "usbdevice", "uuid", "vnc", "watchdog",
		"watchdog-action", "virtfs", "xen-domid", "chroot", "dfilter",
		"seed", "full-screen", "alt-grab", "ctrl-grab", "no-quit",
		"no-fd-bootchk", "win2k-hack", "curses", "echr",
		"singlestep", "preconfig", "enable-sync-profile", NULL,
	};

	for (const char *const *q = qemu; *q; q++)
		if (!strcmp(name, *q))
			return true;
	return false;
}
