// SPDX-License-Identifier: MIT
/*
 * What QEMU prints for "-device help", "-device DRIVER,help",
 * "-machine help", "-cpu help", "-accel help" and "-netdev help", for
 * what vmm has. tests/unit/test_options.c parses every property listed
 * here with its example value, so the lists cannot claim what the
 * parsers refuse.
 */
#include <stdbool.h>
#include <string.h>

#include "vmm/options_help.h"

static const struct opt_help_prop balloon_props[] = {
	{ "id", "str", "the device's QOM name (/machine/peripheral/ID)", "b0" },
	{ "addr", "int", "PCI slot, e.g. 5 or 05.0", "5" },
	{ "deflate-on-oom", "bool", "the guest may take pages back when it runs out", "on" },
	{ "free-page-reporting", "bool", "the guest reports free pages, the host drops them", "on" },
	{ "guest-stats-polling-interval", "int", "seconds between stats requests (0: off)", "2" },
	{ "ioeventfd", "bool", "kicks through KVM ioeventfds (default on)", "on" },
	{ "irqfd", "bool", "interrupts through KVM irqfds (default on)", "on" },
	{ 0 },
};

static const struct opt_help_prop rng_props[] = {
	{ "id", "str", "the device's QOM name", "r0" },
	{ "addr", "int", "PCI slot", "6" },
	{ "ioeventfd", "bool", "kicks through KVM ioeventfds (default on)", "off" },
	{ "irqfd", "bool", "interrupts through KVM irqfds (default on)", "off" },
	{ 0 },
};

static const struct opt_help_prop blk_props[] = {
	{ "drive", "str", "the -drive id= this disk shows (required)", "d0" },
	{ "id", "str", "the device's QOM name", "vd0" },
	{ "serial", "str", "the disk's serial number (up to 20 bytes)", "abc" },
	{ "addr", "int", "PCI slot", "7" },
	{ "num-queues", "int", "request queues, 1..16 (default 1)", "2" },
	{ "queue-size", "int", "descriptors per queue, a power of two up to 1024 (default 256)", "128" },
	{ "logical_block_size", "int", "512 or 4096 (default 512)", "4096" },
	{ "physical_block_size", "int", "512 or 4096 (default: the logical size)", "4096" },
	{ "ioeventfd", "bool", "kicks through KVM ioeventfds (default on)", "on" },
	{ "irqfd", "bool", "interrupts through KVM irqfds (default on)", "on" },
	{ 0 },
};

static const struct opt_help_prop net_props[] = {
	{ "netdev", "str", "the -netdev id= behind this card (required)", "n0" },
	{ "id", "str", "the device's QOM name", "nic0" },
	{ "mac", "str", "the MAC address (default 52:54:00:12:34:56, :57... per card)", "52:54:00:aa:bb:cc" },
	{ "mq", "bool", "one queue pair per -netdev queues= (default off)", "on" },
	{ "host_mtu", "int", "the MTU the guest is told to use", "1400" },
	{ "addr", "int", "PCI slot", "8" },
	{ "ioeventfd", "bool", "kicks through KVM ioeventfds (default on)", "on" },
	{ "irqfd", "bool", "interrupts through KVM irqfds (default on)", "on" },
	{ 0 },
};

static const struct opt_help_prop debug_exit_props[] = {
	{ "iobase", "int", "I/O port (default 0x501)", "0xf4" },
	{ "iosize", "int", "1, 2 or 4 bytes (default 2)", "4" },
	{ 0 },
};

const struct opt_help_dev opt_help_devices[] = {
	{ "virtio-balloon-pci", "PCI", "virtio memory balloon", balloon_props },
	{ "virtio-blk-pci", "PCI", "virtio block device", blk_props },
	{ "virtio-net-pci", "PCI", "virtio network card", net_props },
	{ "virtio-rng-pci", "PCI", "virtio entropy source (the host's getrandom())", rng_props },
	{ "isa-debug-exit", "ISA", "a port whose writes end the VMM (test guests)", debug_exit_props },
	{ 0 },
};

const struct opt_help_dev *opt_help_find(const char *name)
{
	for (const struct opt_help_dev *d = opt_help_devices; d->name; d++)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

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
	const struct opt_help_dev *d;

	snprintf(name, sizeof(name), "%.*s", (int)n, val);
	d = opt_help_find(name);
	if (!d) {
		fprintf(stderr, "vmm: -device: '%s' is not a device this VMM has (see -device help).\n",
			name);
		return 1;
	}
	fprintf(out, "%s options:\n", d->name);
	for (const struct opt_help_prop *p = d->props; p->name; p++)
		fprintf(out, "  %s=<%s> - %s\n", p->name, p->type, p->help);
	return 0;
}

int opt_help_print(FILE *out, int topic, const char *val)
{
	switch (topic) {
	case OPT_HELP_DEVICES:
		for (const struct opt_help_dev *d = opt_help_devices; d->name; d++)
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
		fprintf(out, "Available netdev backend types:\ntap\n");
		break;
	default:
		break;
	}
	return 0;
}
