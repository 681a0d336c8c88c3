// SPDX-License-Identifier: MIT
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/options.h"
#include "vmm/options_help.h"
#include "vmm/options_int.h"

int options_parse_size(const char *s, uint64_t *bytes)
{
	unsigned long long v;
	unsigned int shift = 20;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	case 'b': case 'B': shift = 0; end++; break;
	default:
		return -EINVAL;
	}
	/* QEMU also takes "512MiB"-less forms only; "512MB" is a typo. */
	if (*end)
		return -EINVAL;
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	*bytes = (uint64_t)v << shift;
	return 0;
}

void options_free(struct vm_config *cfg)
{
	for (unsigned int i = 0; i < cfg->ndevices; i++)
		kv_free(&cfg->devices[i]);
	cfg->ndevices = 0;
}

/*
 * -sandbox on|off[,obsolete=deny,elevateprivileges=deny,spawn=deny,
 * resourcecontrol=deny]: QEMU's spelling. Our allow-list always denies
 * what those keys name, so "deny" is accepted and "allow" refused.
 */
static int parse_sandbox(const char *val, struct vm_config *cfg, char *err,
			 size_t len)
{
	static const char *const keys[] = { "obsolete", "elevateprivileges",
					    "spawn", "resourcecontrol", NULL };
	struct kv_opts kv;
	int r = kv_parse(val, &kv, true);

	if (r < 0)
		return opt_err(err, len, "-sandbox: cannot parse '%s'.", val);
	if (!strcmp(kv.driver, "on")) {
		cfg->sandbox = true;
	} else if (!strcmp(kv.driver, "off")) {
		cfg->sandbox = false;
	} else {
		r = opt_err(err, len, "-sandbox: '%s' is not on or off.",
			    kv.driver ? kv.driver : val);
		kv_free(&kv);
		return r;
	}
	for (unsigned int i = 0; i < kv.n && r == 0; i++) {
		bool known = false;

		for (const char *const *k = keys; *k; k++)
			known |= !strcmp(kv.key[i], *k);
		if (!known)
			r = opt_err(err, len, "-sandbox: unknown property '%s'.",
				    kv.key[i]);
		else if (strcmp(kv.val[i], "deny"))
			r = opt_err(err, len,
				    "-sandbox: %s=%s is not supported (vmm's sandbox always denies it).",
				    kv.key[i], kv.val[i]);
	}
	kv_free(&kv);
	return r;
}

/* -name NAME or -name guest=NAME: a name for QMP. The name stays in argv
 * (the parsed copy goes away), so only the plain forms are taken. */
static int parse_name(const char *val, struct vm_config *cfg, char *err,
		      size_t len)
{
	if (!strncmp(val, "guest=", 6))
		val += 6;
	if (!*val || strchr(val, ','))
		return opt_err(err, len,
			       "-name: '%s' is not supported (use -name NAME or -name guest=NAME).",
			       val);
	cfg->name = val;
	return 0;
}


/*
 * -smp [cpus=]N[,maxcpus=,sockets=,dies=,cores=,threads=], computed as
 * QEMU 7.2 does: omitted levels are derived (sockets first, then cores,
 * then threads), maxcpus defaults to the product, cpus to maxcpus; the
 * product must equal maxcpus. The guest sees that layout (CPUID, APIC
 * IDs, MADT: vmm/cpu.c); vmm has no CPU hotplug and describes no dies,
 * so maxcpus > cpus and dies > 1 are refused by name; a bare count
 * (-smp 4) names no topology and gets four cores of one socket.
 */
static int parse_smp(const char *s, struct vm_config *cfg, char *err,
		     size_t len)
{
	static const char *const keys[] = { "cpus", "maxcpus", "sockets",
					    "dies", "cores", "threads" };
	unsigned long long v[6] = { 0 };   /* 0: not given */
	unsigned long long cpus, maxcpus, sockets, dies, cores, threads;
	struct kv_opts kv;
	int r;

	r = kv_parse(s, &kv, s[0] >= '0' && s[0] <= '9');
	if (r < 0)
		return opt_err(err, len, "-smp: cannot parse '%s'.", s);
	if (kv.driver && (opt_parse_uint(kv.driver, UINT32_MAX, &v[0]) < 0 ||
			  v[0] == 0))
		r = opt_err(err, len,
			    "-smp: '%s' is not a vCPU count from 1 to %d.",
			    kv.driver, VMM_MAX_CPUS);
	for (unsigned int i = 0; i < kv.n && r == 0; i++) {
		unsigned int k = 0;

		while (k < 6 && strcmp(keys[k], kv.key[i]))
			k++;
		if (k == 6)
			r = opt_err(err, len, "-smp: unknown property '%s'.", kv.key[i]);
		else if (opt_parse_uint(kv.val[i], 1u << 16, &v[k]) < 0 || !v[k])
			r = opt_err(err, len, "-smp: bad value '%s' for '%s'.",
				    kv.val[i], kv.key[i]);
	}
	kv_free(&kv);
	if (r < 0)
		return r;
	cpus = v[0]; maxcpus = v[1]; sockets = v[2];
	dies = v[3] ? v[3] : 1;
	cores = v[4]; threads = v[5];
	if (!cpus && !maxcpus && !sockets && !cores && !threads)
		cpus = 1;
	maxcpus = maxcpus ? maxcpus : cpus;
	if (!sockets) {
		cores = cores ? cores : 1;
		threads = threads ? threads : 1;
		sockets = maxcpus ? maxcpus / (dies * cores * threads) : 1;
		sockets = sockets ? sockets : 1;
	} else if (!cores) {
		threads = threads ? threads : 1;
		cores = maxcpus / (sockets * dies * threads);
		cores = cores ? cores : 1;
	} else if (!threads) {
		threads = maxcpus / (sockets * dies * cores);
		threads = threads ? threads : 1;
	}
	maxcpus = maxcpus ? maxcpus : sockets * dies * cores * threads;
	cpus = cpus ? cpus : maxcpus;
	if (sockets * dies * cores * threads != maxcpus)
		return opt_err(err, len,
			       "-smp: sockets (%llu) * dies (%llu) * cores (%llu) * threads (%llu) != maxcpus (%llu).",
			       sockets, dies, cores, threads, maxcpus);
	if (maxcpus < cpus)
		return opt_err(err, len,
			       "-smp: maxcpus (%llu) is less than cpus (%llu).",
			       maxcpus, cpus);
	if (cpus < 1 || cpus > VMM_MAX_CPUS)
		return opt_err(err, len,
			       "-smp: '%llu' is not a vCPU count from 1 to %d.",
			       cpus, VMM_MAX_CPUS);
	if (maxcpus > cpus)
		return opt_err(err, len,
			       "-smp: maxcpus=%llu is more than cpus=%llu: vmm has no CPU hotplug.",
			       maxcpus, cpus);
	/* A bare count leaves the layout to us: all cores of one socket
	 * (QEMU 7.2's pc and q35 prefer cores too). */
	if (!v[2] && !v[3] && !v[4] && !v[5]) {
		sockets = 1;
		cores = cpus;
		threads = 1;
	}
	if (dies > 1)
		return opt_err(err, len,
			       "-smp: dies=%llu cannot be given to the guest (vmm describes sockets, cores and threads).",
			       dies);
	cfg->ncpus = (unsigned int)cpus;
	cfg->sockets = (unsigned int)sockets;
	cfg->cores = (unsigned int)cores;
	cfg->threads = (unsigned int)threads;
	return 0;
}

static int parse_mem(const char *s, struct vm_config *cfg, char *err,
		     size_t len)
{
	uint64_t b;
	const char *v = s;
	int r;

	if (!strncmp(s, "size=", 5))
		v = s + 5;
	r = options_parse_size(v, &b);
	if (r == -ERANGE || (r == 0 && b > VMM_MAX_RAM))
		return opt_err(err, len,
			       "-m: '%s' is more RAM than this VMM supports (at most 1T).",
			       s);
	if (r < 0)
		return opt_err(err, len,
			       "-m: '%s' is not a memory size (try 512M or 2G).", s);
	if (b < VMM_MIN_RAM)
		return opt_err(err, len,
			       "-m: '%s' is too little RAM (at least 16M).", s);
	if (b % 4096)
		return opt_err(err, len,
			       "-m: '%s' is not a whole number of 4 KiB pages.", s);
	cfg->ram_size = b;
	return 0;
}

static int parse_serial(const char *s, struct vm_config *cfg, char *err,
			size_t len)
{
	/* One UART: a second -serial would be COM2, which vmm lacks. */
	if (cfg->serial_given++)
		return opt_err(err, len,
			       "-serial given twice: vmm has one serial port (COM1).");
	if (!strncmp(s, "mon:", 4))
		return opt_err(err, len,
			       "-serial %s: vmm has no human monitor to multiplex onto the console; use -serial %s (Ctrl-A x quits) and -qmp for control.",
			       s, s + 4);
	if (!strcmp(s, "stdio")) {
		cfg->serial = SERIAL_STDIO;
	} else if (!strcmp(s, "none") || !strcmp(s, "null")) {
		cfg->serial = SERIAL_NONE;
	} else if (!strncmp(s, "file:", 5) && s[5]) {
		cfg->serial = SERIAL_FILE;
		cfg->serial_path = s + 5;
	} else {
		return opt_err(err, len,
			       "-serial: '%s' is not supported (use stdio, file:PATH or none).",
			       s);
	}
	return 0;
}



/* A property vmm accepts on -machine/-accel/-cpu, with the one value
 * that describes what it always does. */
struct fixed_prop {
	const char *key;
	const char *const *values;   /* accepted spellings */
};

static const char *const on_vals[] = { "on", "true", "yes", NULL };
static const char *const off_vals[] = { "off", "false", "no", NULL };
static const char *const kvm_vals[] = { "kvm", NULL };
static const char *const machine_types[] = { "pc", "q35", "microvm", NULL };

static const struct fixed_prop machine_props[] = {
	{ "type", machine_types }, { "accel", kvm_vals },
	{ "kernel-irqchip", on_vals }, { "kernel_irqchip", on_vals },
	{ "acpi", on_vals }, { "pcie", on_vals }, { "usb", off_vals },
	{ "vmport", off_vals }, { "smm", off_vals }, { "graphics", off_vals },
	{ "hpet", off_vals }, { "nvdimm", off_vals }, { "sata", off_vals },
	{ "dump-guest-core", off_vals }, { NULL, NULL },
};
static const struct fixed_prop accel_props[] = {
	{ "kernel-irqchip", on_vals }, { NULL, NULL },
};
static const struct fixed_prop no_props[] = { { NULL, NULL } };

static bool in_list(const char *v, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(v, *list))
			return true;
	return false;
}

/*
 * -machine/-accel/-cpu/-display/-vga: the driver must be one of @ok and
 * every property one vmm honours with the value it always has; anything
 * else is refused by name (never dropped silently).
 */
static int parse_fixed(const char *opt, const char *v, const char *const *ok,
		       const struct fixed_prop *props, char *err, size_t len)
{
	struct kv_opts kv;
	const char *drv;
	int r = 0;

	const char *eq = strchr(v, '='), *comma = strchr(v, ',');

	/* "q35,..." names the driver first; "type=q35,..." does not. */
	if (kv_parse(v, &kv, !eq || (comma && comma < eq)) < 0)
		return opt_err(err, len, "-%s: cannot parse '%s'.", opt, v);
	drv = kv.driver && *kv.driver ? kv.driver : kv_get(&kv, "type");
	if (!drv || !in_list(drv, ok))
		r = opt_err(err, len, "-%s: '%s' is not supported here (%s%s%s%s%s).",
			    opt, drv ? drv : v, ok[0], ok[1] ? ", " : "",
			    ok[1] ? ok[1] : "", ok[1] && ok[2] ? ", " : "",
			    ok[1] && ok[2] ? ok[2] : "");
	for (unsigned int i = 0; i < kv.n && r == 0; i++) {
		const struct fixed_prop *p = props;
		const char *k = kv.key[i];

		while (p->key && strcmp(p->key, k))
			p++;
		if (k[0] == '+' || k[0] == '-')
			r = opt_err(err, len,
				    "-%s: CPU feature flags ('%s') are not supported: the guest sees the host's CPUID.",
				    opt, k);
		else if (!p->key)
			r = opt_err(err, len, "-%s: property '%s' is not supported.",
				    opt, k);
		else if (!in_list(kv.val[i], p->values))
			r = opt_err(err, len,
				    "-%s: %s=%s is not supported (vmm's is %s=%s).",
				    opt, k, kv.val[i], k, p->values[0]);
	}
	kv_free(&kv);
	return r;
}

/* -device id= names one device, as QEMU insists ("Duplicate ID"): QMP's
 * qom paths and query-pci would otherwise name two things alike. */
static int check_device_ids(const struct vm_config *cfg, char *err, size_t len)
{
	const char *ids[VMM_MAX_DEVICES + 2];
	unsigned int n = 0;

	if (cfg->balloon.present && cfg->balloon.id)
		ids[n++] = cfg->balloon.id;
	if (cfg->rng.present && cfg->rng.id)
		ids[n++] = cfg->rng.id;
	for (unsigned int i = 0; i < cfg->nblks && n < VMM_MAX_DEVICES; i++)
		if (cfg->blks[i].id)
			ids[n++] = cfg->blks[i].id;
	for (unsigned int i = 0; i < cfg->nnets && n < VMM_MAX_DEVICES; i++)
		if (cfg->nets[i].id)
			ids[n++] = cfg->nets[i].id;
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int j = 0; j < i; j++)
			if (!strcmp(ids[i], ids[j]))
				return opt_err(err, len,
					       "-device: Duplicate ID '%s' for device.",
					       ids[i]);
	return 0;
}

/*
 * Every option vmm takes: its --help line and what parsing it does
 * (store the value, set a flag, or call its parser; OPT_ALWAYS: what
 * vmm always does, e.g. -nographic, -enable-kvm).
 */
enum opt_kind { OPT_PARSE, OPT_STR, OPT_FLAG, OPT_ALWAYS };

#define CFG(field) offsetof(struct vm_config, field)

struct opt_desc {
	const char *name;
	const char *arg;    /* NULL: takes no value */
	const char *help;
	enum opt_kind kind;
	size_t off;         /* OPT_STR: a const char *; OPT_FLAG: a bool */
	int (*parse)(const char *val, struct vm_config *cfg, char *err,
		     size_t len);
};

static int parse_accel(const char *val, struct vm_config *cfg, char *err,
		       size_t len)
{
	return parse_fixed("accel", val, kvm_vals, accel_props, err, len);
}

static int parse_machine(const char *val, struct vm_config *cfg, char *err,
			 size_t len)
{
	return parse_fixed("machine", val, machine_types, machine_props, err, len);
}

static int parse_cpu(const char *val, struct vm_config *cfg, char *err,
		     size_t len)
{
	static const char *const cpu_ok[] = { "host", "max", NULL };

	return parse_fixed("cpu", val, cpu_ok, no_props, err, len);
}

static const char *const none_ok[] = { "none", NULL };

static int parse_display(const char *val, struct vm_config *cfg, char *err,
			 size_t len)
{
	return parse_fixed("display", val, none_ok, no_props, err, len);
}

static int parse_vga(const char *val, struct vm_config *cfg, char *err,
		     size_t len)
{
	return parse_fixed("vga", val, none_ok, no_props, err, len);
}

static int parse_pvm(const char *val, struct vm_config *cfg, char *err,
		     size_t len)
{
	if (!strcmp(val, "auto"))
		cfg->pvm = TRI_AUTO;
	else if (!strcmp(val, "on"))
		cfg->pvm = TRI_ON;
	else if (!strcmp(val, "off"))
		cfg->pvm = TRI_OFF;
	else
		return opt_err(err, len, "-pvm-quirks: '%s' is not auto, on or off.", val);
	return 0;
}

static int parse_verbose(const char *val, struct vm_config *cfg, char *err,
			 size_t len)
{
	cfg->verbose++;
	return 0;
}

static const struct opt_desc opt_table[] = {
	{ .name = "m", .arg = "SIZE",
	  .help = "guest RAM, e.g. 512M or 2G (default 512M; bare number = MiB)",
	  .parse = parse_mem },
	{ .name = "smp", .arg = "N",
	  .help = "number of vCPUs, 1..64 (also cpus=N,sockets=,cores=,threads=)",
	  .parse = parse_smp },
	{ .name = "kernel", .arg = "FILE",
	  .help = "kernel: vmlinux ELF (PVH or 64-bit entry) or bzImage",
	  .kind = OPT_STR, .off = CFG(kernel) },
	{ .name = "initrd", .arg = "FILE",
	  .help = "initial ramdisk",
	  .kind = OPT_STR, .off = CFG(initrd) },
	{ .name = "append", .arg = "CMDLINE",
	  .help = "kernel command line",
	  .kind = OPT_STR, .off = CFG(append) },
	{ .name = "serial", .arg = "DEV",
	  .help = "COM1 backend: stdio (default), file:PATH or none",
	  .parse = parse_serial },
	{ .name = "nographic", .arg = NULL,
	  .help = "no display; serial on stdio (our only mode)",
	  .kind = OPT_ALWAYS },
	{ .name = "device", .arg = "DRIVER[,OPTS]",
	  .help = "add a device: virtio-blk-pci, virtio-net-pci, virtio-balloon-pci, virtio-rng-pci, isa-debug-exit (-device help; -device DRIVER,help lists its properties)",
	  .parse = options_parse_device },
	{ .name = "drive", .arg = "file=F,if=none|virtio,id=,format=raw,readonly=,cache=,aio=,discard=",
	  .help = "a raw disk image (with if=virtio, also its virtio-blk device)",
	  .parse = options_parse_drive },
	{ .name = "netdev", .arg = "user,id=ID[,net=,host=,dhcpstart=,dns=,hostfwd=,restrict=,ipv6=,hostname=]",
	  .help = "the user-mode network (libslirp): no root, no tap; hostfwd=[tcp|udp]:[haddr]:hport-[gaddr]:gport",
	  .parse = options_parse_netdev },
	{ .name = "netdev", .arg = "tap,id=ID[,ifname=,fd=,queues=,vnet_hdr=,script=no,downscript=no]",
	  .help = "a tap network backend (created if absent)",
	  .parse = options_parse_netdev },
	{ .name = "nic", .arg = "user|tap,...[,model=virtio-net-pci,mac=]|none",
	  .help = "a -netdev and its virtio-net-pci card in one option",
	  .parse = options_parse_nic },
	{ .name = "qmp", .arg = "unix:PATH|tcp:HOST:PORT,server=on,wait=off",
	  .help = "QMP control socket (QEMU Machine Protocol)",
	  .parse = options_parse_qmp },
	{ .name = "chardev", .arg = "socket,id=ID,path=P|host=H,port=N,server=on,wait=off",
	  .help = "a socket for -mon (QMP)",
	  .parse = options_parse_chardev },
	{ .name = "mon", .arg = "chardev=ID,mode=control",
	  .help = "QMP on that chardev (the same as -qmp)",
	  .parse = options_parse_mon },
	{ .name = "no-reboot", .arg = NULL,
	  .help = "exit (status 0; 1 on a triple fault) when the guest resets, instead of resetting the machine",
	  .kind = OPT_FLAG, .off = CFG(no_reboot) },
	{ .name = "no-shutdown", .arg = NULL,
	  .help = "when the guest powers off, stop it and stay (QMP quit ends vmm)",
	  .kind = OPT_FLAG, .off = CFG(no_shutdown) },
	{ .name = "enable-kvm", .arg = NULL,
	  .help = "use KVM (always the case)",
	  .kind = OPT_ALWAYS },
	{ .name = "accel", .arg = "kvm",
	  .help = "accelerator (only kvm)",
	  .parse = parse_accel },
	{ .name = "machine", .arg = "TYPE",
	  .help = "machine type (accepted: pc, q35, microvm; one machine model)",
	  .parse = parse_machine },
	{ .name = "M", .arg = "TYPE",
	  .help = "same as -machine",
	  .parse = parse_machine },
	{ .name = "cpu", .arg = "host",
	  .help = "CPU model (only host)",
	  .parse = parse_cpu },
	{ .name = "display", .arg = "none",
	  .help = "display backend (only none)",
	  .parse = parse_display },
	{ .name = "vga", .arg = "none",
	  .help = "VGA card (only none)",
	  .parse = parse_vga },
	{ .name = "S", .arg = NULL,
	  .help = "start with the vCPUs paused (QMP cont starts them)",
	  .kind = OPT_FLAG, .off = CFG(start_paused) },
	{ .name = "name", .arg = "NAME",
	  .help = "the VM's name (QMP query-name; also guest=NAME)",
	  .parse = parse_name },
	{ .name = "pidfile", .arg = "FILE",
	  .help = "write the VMM's pid to FILE (removed at exit)",
	  .kind = OPT_STR, .off = CFG(pidfile) },
	{ .name = "snapshot", .arg = NULL,
	  .help = "guest writes go to a throwaway overlay of every image (the files stay untouched)",
	  .kind = OPT_FLAG, .off = CFG(snapshot) },
	{ .name = "D", .arg = "FILE",
	  .help = "log to FILE instead of stderr (appended; command-line errors still go to stderr)",
	  .kind = OPT_STR, .off = CFG(logfile) },
	{ .name = "daemonize", .arg = NULL,
	  .help = "detach once the VM is set up (errors still reach the caller; needs -serial file:/none)",
	  .kind = OPT_FLAG, .off = CFG(daemonize) },
	{ .name = "nodefaults", .arg = NULL,
	  .help = "no default devices: no serial port unless -serial is given",
	  .kind = OPT_FLAG, .off = CFG(nodefaults) },
	{ .name = "no-user-config", .arg = NULL,
	  .help = "read no configuration files (vmm reads none)",
	  .kind = OPT_ALWAYS },
	{ .name = "sandbox", .arg = "on|off",
	  .help = "seccomp allow-list per thread after setup (default on; docs/sandbox.md)",
	  .parse = parse_sandbox },
	{ .name = "pvm-quirks", .arg = "auto|on|off",
	  .help = "workarounds for the PVM software hypervisor (default auto)",
	  .parse = parse_pvm },
	{ .name = "v", .arg = NULL,
	  .help = "verbose: say how the kernel is booted; twice for debug",
	  .parse = parse_verbose },
	{ .name = "help", .arg = NULL,
	  .help = "print this help and exit (also -h)",
	  .kind = OPT_FLAG, .off = CFG(help) },
	{ .name = "version", .arg = NULL,
	  .help = "print the version and exit",
	  .kind = OPT_FLAG, .off = CFG(version) },
};

void options_usage(FILE *out)
{
	fprintf(out, "usage: vmm [options]   (options take one or two dashes)\n");
	for (size_t i = 0; i < sizeof(opt_table) / sizeof(opt_table[0]); i++) {
		char left[160];

		snprintf(left, sizeof(left), "-%s%s%s", opt_table[i].name,
			 opt_table[i].arg ? " " : "",
			 opt_table[i].arg ? opt_table[i].arg : "");
		/* A long argument gets its own line, the help the next. */
		if (strlen(left) > 26)
			fprintf(out, "  %s\n  %-26s %s\n", left, "", opt_table[i].help);
		else
			fprintf(out, "  %-26s %s\n", left, opt_table[i].help);
	}
	fprintf(out, "Keys while the guest runs: Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A.\n"
		"Exit status: 0 when the guest powers off, resets or panics, on SIGTERM,\n"
		"  QMP quit or Ctrl-A x; 1 with one sentence on stderr when an option, a\n"
		"  file or the set-up is wrong; with isa-debug-exit, (code << 1) | 1.\n"
		"-device help lists the devices, -device DRIVER,help their properties.\n");
}

int options_parse(int argc, char **argv, struct vm_config *cfg, char *err,
		  size_t len)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ram_size = VMM_DEFAULT_RAM;
	cfg->ncpus = cfg->sockets = cfg->cores = cfg->threads = 1;
	cfg->serial = SERIAL_STDIO;
	cfg->pvm = TRI_AUTO;
	cfg->sandbox = VMM_SANDBOX_DEFAULT;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *name, *val = NULL;
		const struct opt_desc *d = NULL;
		int r = 0;

		if (a[0] != '-' || !a[1])
			return opt_err(err, len,
				       "'%s' is not an option (options start with '-'; see --help).",
				       a);
		name = a + 1 + (a[1] == '-');
		if (!strcmp(name, "h")) {
			cfg->help = true;
			continue;
		}
		for (size_t k = 0; k < sizeof(opt_table) / sizeof(opt_table[0]); k++)
			if (!strcmp(name, opt_table[k].name))
				d = &opt_table[k];
		if (!d && opt_is_qemu_option(name))
			return opt_err(err, len, "QEMU's -%s is not supported by vmm (see --help).",
				       name);
		if (!d)
			return opt_err(err, len, "unknown option '%s' (see --help).", a);
		if (d->arg) {
			if (i + 1 >= argc)
				return opt_err(err, len, "option '%s' needs a value (%s).",
					       a, d->arg);
			val = argv[++i];
		}
		/* "-device help", "-cpu help", "-device virtio-blk-pci,help"... */
		if (val && (r = opt_help_topic(name, val)) != OPT_HELP_NONE) {
			cfg->help_topic = r;
			cfg->help_arg = val;
			return 0;
		}
		switch (d->kind) {
		case OPT_PARSE:
			r = d->parse(val, cfg, err, len);
			break;
		case OPT_STR:
			*(const char **)((char *)cfg + d->off) = val;
			break;
		case OPT_FLAG:
			*(bool *)((char *)cfg + d->off) = true;
			break;
		case OPT_ALWAYS:
			break;
		}
		if (r < 0)
			return r;
	}
	if (cfg->help || cfg->version)
		return 0;
	if (!cfg->kernel)
		return opt_err(err, len, "no kernel given: use -kernel FILE.");
	/* -snapshot: drives that did not say snapshot= themselves. */
	for (unsigned int i = 0; i < cfg->ndrives; i++)
		if (!cfg->drives[i].snapshot_given)
			cfg->drives[i].snapshot = cfg->snapshot;
	if (options_resolve_chardevs(cfg, err, len) < 0)
		return -EINVAL;
	/* QEMU's default serial port (stdio) is a default device. */
	if (cfg->nodefaults && !cfg->serial_given)
		cfg->serial = SERIAL_NONE;
	if (cfg->daemonize && cfg->serial == SERIAL_STDIO)
		return opt_err(err, len,
			       "-daemonize: the console cannot stay on stdio once vmm detaches; use -serial file:PATH or -serial none.");
	return check_device_ids(cfg, err, len);
}
