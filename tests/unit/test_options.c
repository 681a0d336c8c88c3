// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/options.h"
#include "vmm/options_help.h"

static int parse(struct vm_config *cfg, char *err, const char *const *args)
{
	char *argv[64];
	int argc = 0;

	argv[argc++] = "vmm";
	while (*args)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	return options_parse(argc, argv, cfg, err, 256);
}

#define PARSE(...) parse(&cfg, err, (const char *const[]){ __VA_ARGS__, NULL })

Test(options, size_suffixes)
{
	uint64_t b;

	cr_assert_eq(options_parse_size("512", &b), 0);
	cr_assert_eq(b, 512ULL << 20);
	cr_assert_eq(options_parse_size("512M", &b), 0);
	cr_assert_eq(b, 512ULL << 20);
	cr_assert_eq(options_parse_size("2G", &b), 0);
	cr_assert_eq(b, 2ULL << 30);
	cr_assert_eq(options_parse_size("1g", &b), 0);
	cr_assert_eq(b, 1ULL << 30);
	cr_assert_eq(options_parse_size("65536k", &b), 0);
	cr_assert_eq(b, 64ULL << 20);
	cr_assert_eq(options_parse_size("1T", &b), 0);
	cr_assert_eq(b, 1ULL << 40);
}

Test(options, size_rejects)
{
	uint64_t b;

	cr_assert_lt(options_parse_size("", &b), 0);
	cr_assert_lt(options_parse_size("-1", &b), 0);
	cr_assert_lt(options_parse_size("12X", &b), 0);
	cr_assert_lt(options_parse_size("1GG", &b), 0);
	cr_assert_lt(options_parse_size("M", &b), 0);
	cr_assert_lt(options_parse_size("99999999999999999999", &b), 0);
	cr_assert_lt(options_parse_size("99999999999G", &b), 0);
}

Test(options, defaults)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_eq(PARSE("-kernel", "k"), 0);
	cr_assert_eq(cfg.ram_size, 512ULL << 20);
	cr_assert_eq(cfg.ncpus, 1);
	cr_assert_eq(cfg.serial, SERIAL_STDIO);
	cr_assert_eq(cfg.pvm, TRI_AUTO);
	cr_assert_str_eq(cfg.kernel, "k");
	options_free(&cfg);
}

Test(options, qemu_command_line)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_eq(PARSE("-m", "1G", "-smp", "2", "-kernel", "vmlinux",
			   "-initrd", "rd", "-append", "console=ttyS0",
			   "-nographic", "-enable-kvm", "-no-reboot",
			   "--accel", "kvm", "-M", "microvm", "-cpu", "host"), 0,
		     "%s", err);
	cr_assert_eq(cfg.ram_size, 1ULL << 30);
	cr_assert_eq(cfg.ncpus, 2);
	cr_assert_str_eq(cfg.initrd, "rd");
	cr_assert_str_eq(cfg.append, "console=ttyS0");
	options_free(&cfg);
}

Test(options, memory_bounds)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_lt(PARSE("-m", "0", "-kernel", "k"), 0);
	cr_assert(strstr(err, "-m"), "%s", err);
	options_free(&cfg);
	cr_assert_lt(PARSE("-m", "99999999G", "-kernel", "k"), 0);
	cr_assert(strstr(err, "99999999G"), "%s", err);
	options_free(&cfg);
	cr_assert_lt(PARSE("-m", "lots", "-kernel", "k"), 0);
	options_free(&cfg);
	cr_assert_eq(PARSE("-m", "size=2G", "-kernel", "k"), 0);
	cr_assert_eq(cfg.ram_size, 2ULL << 30);
	options_free(&cfg);
}

Test(options, smp_bounds)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_lt(PARSE("-smp", "0", "-kernel", "k"), 0);
	cr_assert(strstr(err, "-smp"), "%s", err);
	options_free(&cfg);
	cr_assert_lt(PARSE("-smp", "1000", "-kernel", "k"), 0);
	options_free(&cfg);
	cr_assert_lt(PARSE("-smp", "65", "-kernel", "k"), 0);
	options_free(&cfg);
	cr_assert_lt(PARSE("-smp", "two", "-kernel", "k"), 0);
	options_free(&cfg);
	cr_assert_eq(PARSE("-smp", "64", "-kernel", "k"), 0);
	cr_assert_eq(cfg.ncpus, 64);
	options_free(&cfg);
	cr_assert_eq(PARSE("-smp", "cpus=4,sockets=1", "-kernel", "k"), 0);
	cr_assert_eq(cfg.ncpus, 4);
	options_free(&cfg);
}

Test(options, unknown_and_missing_value)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_lt(PARSE("-kernel", "k", "-frobnicate"), 0);
	cr_assert(strstr(err, "-frobnicate"), "%s", err);
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel"), 0);
	cr_assert(strstr(err, "needs a value"), "%s", err);
	options_free(&cfg);
	cr_assert_lt(PARSE("-m"), 0);
	options_free(&cfg);
	cr_assert_lt(PARSE("stray"), 0);
	options_free(&cfg);
	cr_assert_lt(PARSE("-m", "1G"), 0);
	cr_assert(strstr(err, "kernel"), "%s", err);
	options_free(&cfg);
}

Test(options, serial_modes)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_eq(PARSE("-serial", "none", "-kernel", "k"), 0);
	cr_assert_eq(cfg.serial, SERIAL_NONE);
	options_free(&cfg);
	cr_assert_eq(PARSE("-serial", "file:/tmp/x", "-kernel", "k"), 0);
	cr_assert_eq(cfg.serial, SERIAL_FILE);
	cr_assert_str_eq(cfg.serial_path, "/tmp/x");
	options_free(&cfg);
	cr_assert_lt(PARSE("-serial", "tcp::4444", "-kernel", "k"), 0);
	options_free(&cfg);
	cr_assert_lt(PARSE("-serial", "file:", "-kernel", "k"), 0);
	options_free(&cfg);
}

Test(options, devices)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_eq(PARSE("-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
			   "-kernel", "k"), 0, "%s", err);
	cr_assert(cfg.debug_exit);
	cr_assert_eq(cfg.debug_exit_port, 0xf4);
	cr_assert_eq(cfg.debug_exit_size, 4);
	options_free(&cfg);
	cr_assert_lt(PARSE("-device", "isa-debug-exit,iosize=9", "-kernel", "k"), 0);
	options_free(&cfg);
	cr_assert_lt(PARSE("-device", "isa-debug-exit,iobase=0xffff,iosize=4",
			   "-kernel", "k"), 0);
	options_free(&cfg);
	cr_assert_lt(PARSE("-device", "sound-blaster", "-kernel", "k"), 0);
	cr_assert(strstr(err, "sound-blaster"), "%s", err);
	options_free(&cfg);
	cr_assert_lt(PARSE("-device", ",", "-kernel", "k"), 0);
	options_free(&cfg);
}

Test(options, pvm_quirks)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_eq(PARSE("-pvm-quirks", "off", "-kernel", "k"), 0);
	cr_assert_eq(cfg.pvm, TRI_OFF);
	options_free(&cfg);
	cr_assert_eq(PARSE("-pvm-quirks", "on", "-kernel", "k"), 0);
	cr_assert_eq(cfg.pvm, TRI_ON);
	options_free(&cfg);
	cr_assert_lt(PARSE("-pvm-quirks", "maybe", "-kernel", "k"), 0);
	options_free(&cfg);
}

Test(options, help_and_version_need_no_kernel)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_eq(PARSE("--help"), 0);
	cr_assert(cfg.help);
	options_free(&cfg);
	cr_assert_eq(PARSE("-h"), 0);
	cr_assert(cfg.help);
	options_free(&cfg);
	cr_assert_eq(PARSE("--version"), 0);
	cr_assert(cfg.version);
	options_free(&cfg);
}

Test(options, kv_parse_escapes)
{
	struct kv_opts kv;

	cr_assert_eq(kv_parse("drv,a=1,b=x,,y,flag", &kv, true), 0);
	cr_assert_str_eq(kv.driver, "drv");
	cr_assert_str_eq(kv_get(&kv, "a"), "1");
	cr_assert_str_eq(kv_get(&kv, "b"), "x,y");
	cr_assert_str_eq(kv_get(&kv, "flag"), "on");
	cr_assert_null(kv_get(&kv, "c"));
	kv_free(&kv);
	cr_assert_lt(kv_parse("drv,=1", &kv, true), 0);
	cr_assert_lt(kv_parse("", &kv, true), 0, "no driver");
	cr_assert_lt(kv_parse("drv,a=1,", &kv, true), 0, "empty property");
	cr_assert_eq(kv_parse("drv,,x", &kv, true), 0);
	cr_assert_str_eq(kv.driver, "drv,x", "a doubled comma is a literal one");
	kv_free(&kv);
}

Test(options, drive_and_blk_properties)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_eq(PARSE("-kernel", "k", "-drive", "file=d.img,if=none,id=d0,aio=threads,cache=none",
			   "-device", "virtio-blk-pci,drive=d0,num-queues=4,logical_block_size=4096,physical_block_size=4096"), 0,
		     "%s", err);
	cr_assert_eq(cfg.drives[0].aio, 2);
	cr_assert_eq(cfg.blks[0].num_queues, 4);
	cr_assert_eq(cfg.blks[0].logical_block_size, 4096);
	cr_assert_eq(cfg.blks[0].physical_block_size, 4096);
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-drive", "file=d.img,if=virtio,aio=native"), 0);
	cr_assert(strstr(err, "aio=native is not one of io_uring, threads"), "%s", err);
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-drive", "file=d.img,if=none,id=d0",
			   "-device", "virtio-blk-pci,drive=d0,num-queues=0"), 0);
	cr_assert(strstr(err, "num-queues=0 is not between 1 and 16"), "%s", err);
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-drive", "file=d.img,if=none,id=d0",
			   "-device", "virtio-blk-pci,drive=d0,physical_block_size=2048"), 0);
	cr_assert(strstr(err, "physical_block_size=2048 is not 512 or 4096"), "%s", err);
	options_free(&cfg);
}

Test(options, netdev_and_net_device)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_eq(PARSE("-kernel", "k", "-netdev", "tap,id=n0,ifname=tap0,script=no,downscript=no,queues=2",
			   "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:ab:cd:ef,host_mtu=9000,addr=05",
			   "-netdev", "tap,id=n1,vnet_hdr=off", "-device", "virtio-net-pci,netdev=n1"), 0,
		     "%s", err);
	cr_assert_eq(cfg.nnetdevs, 2);
	cr_assert_str_eq(cfg.netdevs[0].ifname, "tap0");
	cr_assert_eq(cfg.netdevs[0].queues, 2);
	cr_assert(cfg.netdevs[0].vnet_hdr);
	cr_assert_not(cfg.netdevs[1].vnet_hdr);
	cr_assert_eq(cfg.nets[0].mac[5], 0xef);
	cr_assert(cfg.nets[0].mq, "queues=2 turns mq on by default");
	cr_assert_eq(cfg.nets[0].host_mtu, 9000);
	cr_assert_eq(cfg.nets[0].slot, 5);
	/* The second NIC's default MAC differs from the first's default. */
	cr_assert_eq(cfg.nets[1].mac[5], 0x57);
	cr_assert_eq(cfg.pci_order[1].kind, PCI_NET);
	options_free(&cfg);
}

Test(options, netdev_refusals)
{
	static const struct { const char *nd, *dev, *msg; } cases[] = {
		{ "socket,id=n0", NULL, "type 'socket' is not supported (tap or user)" },
		{ "user", NULL, "-netdev user: id= is missing" },
		{ "user,id=n0,hostfwd=tcp::99999-:22", NULL, "hostfwd=tcp::99999-:22 is not [tcp|udp]" },
		{ "user,id=n0,hostfwd=tcp::22", NULL, "is not [tcp|udp]" },
		{ "user,id=n0,smb=/tmp", NULL, "-netdev user: unknown property 'smb'" },
		{ "user,id=n0,host=10.0.3.2", NULL, "host= is outside net=" },
		{ "user,id=n0,net=10.0.2.1/24", NULL, "bad value '10.0.2.1/24' for 'net'" },
		{ "user,id=n0,ipv4=off", NULL, "ipv4=off is not supported" },
		{ "tap,ifname=t", NULL, "id= is missing" },
		{ "tap,id=n0,script=/etc/qemu-ifup", NULL, "runs no scripts" },
		{ "tap,id=n0,queues=8", NULL, "queues=8 is not between 1 and 7" },
		{ "tap,id=n0,fd=3,queues=2", NULL, "fd= takes one open tap" },
		{ "tap,id=n0,colour=red", NULL, "unknown property 'colour'" },
		{ "tap,id=n0", "virtio-net-pci,netdev=n1", "no -netdev with id 'n1'" },
		{ "tap,id=n0", "virtio-net-pci", "netdev= is missing" },
		{ "tap,id=n0", "virtio-net-pci,netdev=n0,mac=01:02:03:04:05:06", "bad value '01:02:03:04:05:06' for 'mac'" },
		{ "tap,id=n0", "virtio-net-pci,netdev=n0,mac=52:54:00:12:34", "bad value" },
		{ "tap,id=n0", "virtio-net-pci,netdev=n0,host_mtu=10", "host_mtu=10 is not between 68 and 65535" },
		{ "tap,id=n0", "virtio-net-pci,netdev=n0,speed=10", "unknown property 'speed'" },
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vm_config cfg;
		char err[256] = "";
		int r = cases[i].dev ?
			PARSE("-kernel", "k", "-netdev", cases[i].nd, "-device", cases[i].dev) :
			PARSE("-kernel", "k", "-netdev", cases[i].nd);

		cr_assert_lt(r, 0, "case %u accepted", i);
		cr_assert(strstr(err, cases[i].msg), "case %u: '%s'", i, err);
		options_free(&cfg);
	}
}

/* -sandbox as QEMU spells it: on|off, and its deny-only keys. */
Test(options, sandbox)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_eq(PARSE("-kernel", "k"), 0);
	cr_assert_eq(cfg.sandbox, VMM_SANDBOX_DEFAULT);
	options_free(&cfg);
	cr_assert_eq(PARSE("-kernel", "k", "-sandbox", "off"), 0);
	cr_assert(!cfg.sandbox);
	options_free(&cfg);
	cr_assert_eq(PARSE("-kernel", "k", "-sandbox",
			   "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"), 0);
	cr_assert(cfg.sandbox);
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-sandbox", "maybe"), 0);
	cr_assert_str_eq(err, "-sandbox: 'maybe' is not on or off.");
	cr_assert_lt(PARSE("-kernel", "k", "-sandbox", "on,spawn=allow"), 0);
	cr_assert_str_eq(err, "-sandbox: spawn=allow is not supported (vmm's sandbox always denies it).");
	cr_assert_lt(PARSE("-kernel", "k", "-sandbox", "on,bogus=1"), 0);
	cr_assert_str_eq(err, "-sandbox: unknown property 'bogus'.");
}

/* -smp topology computed and checked as QEMU does, and kept for the
 * guest; what vmm cannot give it (dies, hotplug) is refused by name. */
Test(options, smp_topology)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_eq(PARSE("-kernel", "k", "-smp", "sockets=1,cores=4"), 0);
	cr_assert_eq(cfg.ncpus, 4);
	options_free(&cfg);
	cr_assert_eq(PARSE("-kernel", "k", "-smp", "4,cores=4,threads=1"), 0);
	cr_assert_eq(cfg.ncpus, 4);
	options_free(&cfg);
	cr_assert_eq(PARSE("-kernel", "k", "-smp", "cpus=3,maxcpus=3"), 0);
	cr_assert_eq(cfg.ncpus, 3);
	options_free(&cfg);
	/* It was 1 vCPU, then refused: now the guest gets 2 x 2. */
	cr_assert_eq(PARSE("-kernel", "k", "-smp", "sockets=2,cores=2"), 0, "%s", err);
	cr_assert_eq(cfg.ncpus, 4);
	cr_assert_eq(cfg.sockets, 2);
	cr_assert_eq(cfg.cores, 2);
	cr_assert_eq(cfg.threads, 1);
	options_free(&cfg);
	cr_assert_eq(PARSE("-kernel", "k", "-smp", "4,sockets=2,threads=2"), 0, "%s", err);
	cr_assert_eq(cfg.cores, 1);
	cr_assert_eq(cfg.threads, 2);
	options_free(&cfg);
	cr_assert_eq(PARSE("-kernel", "k", "-smp", "6"), 0);
	cr_assert(cfg.sockets == 1 && cfg.cores == 6 && cfg.threads == 1,
		  "a bare count: cores of one socket");
	options_free(&cfg);
	/* It was accepted. */
	cr_assert_lt(PARSE("-kernel", "k", "-smp", "4,sockets=1,cores=2,threads=1"), 0);
	cr_assert_str_eq(err, "-smp: sockets (1) * dies (1) * cores (2) * threads (1) != maxcpus (4).");
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-smp", "4,dies=2"), 0);
	cr_assert(strstr(err, "dies=2 cannot be given to the guest"), "%s", err);
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-smp", "2,maxcpus=4"), 0);
	cr_assert(strstr(err, "no CPU hotplug"), "%s", err);
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-smp", "4,maxcpus=2"), 0);
	cr_assert(strstr(err, "less than cpus"), "%s", err);
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-smp", "2,cores=0"), 0);
	options_free(&cfg);
}

/* Properties after the first comma are parsed, never dropped. */
Test(options, machine_accel_cpu_properties)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_eq(PARSE("-kernel", "k", "-machine", "q35,accel=kvm,usb=off",
			   "-accel", "kvm,kernel-irqchip=on", "-cpu", "host"), 0);
	options_free(&cfg);
	cr_assert_eq(PARSE("-kernel", "k", "-M", "type=microvm,acpi=on,pcie=on"), 0);
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-machine", "q35,bogus=1"), 0);
	cr_assert_str_eq(err, "-machine: property 'bogus' is not supported.");
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-machine", "q35,usb=on"), 0);
	cr_assert_str_eq(err, "-machine: usb=on is not supported (vmm's is usb=off).");
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-accel", "kvm,bogus=1"), 0);
	cr_assert_str_eq(err, "-accel: property 'bogus' is not supported.");
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-accel", "tcg"), 0);
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-cpu", "host,-avx"), 0);
	cr_assert_str_eq(err, "-cpu: CPU feature flags ('-avx') are not supported: the guest sees the host's CPUID.");
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-cpu", "host,bogus=on"), 0);
	cr_assert_str_eq(err, "-cpu: property 'bogus' is not supported.");
	options_free(&cfg);
}

/* A second -serial or -qmp, or the monitor multiplexer, is refused. */
Test(options, serial_and_qmp_once)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_lt(PARSE("-kernel", "k", "-serial", "stdio", "-serial", "none"), 0);
	cr_assert_str_eq(err, "-serial given twice: vmm has one serial port (COM1).");
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-serial", "mon:stdio"), 0);
	cr_assert(strstr(err, "no human monitor"), "%s", err);
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-qmp", "unix:/tmp/a,server=on,wait=off",
			   "-qmp", "unix:/tmp/b,server=on,wait=off"), 0);
	cr_assert(strstr(err, "-qmp given twice"), "%s", err);
	options_free(&cfg);
}

Test(options, name_and_pidfile)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_eq(PARSE("-kernel", "k", "-name", "vm0", "-pidfile", "/run/x.pid"), 0);
	cr_assert_str_eq(cfg.name, "vm0");
	cr_assert_str_eq(cfg.pidfile, "/run/x.pid");
	options_free(&cfg);
	cr_assert_eq(PARSE("-kernel", "k", "-name", "guest=vm1"), 0);
	cr_assert_str_eq(cfg.name, "vm1");
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-name", "guest=vm1,debug-threads=on"), 0);
	cr_assert(strstr(err, "-name"), "%s", err);
	options_free(&cfg);
}

/* A QEMU option vmm lacks is named as QEMU's, not as unknown. */
Test(options, qemu_options_vmm_lacks)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_lt(PARSE("-kernel", "k", "-vnc", ":0"), 0);
	cr_assert_str_eq(err, "QEMU's -vnc is not supported by vmm (see --help).");
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "--incoming"), 0);
	cr_assert_str_eq(err, "QEMU's -incoming is not supported by vmm (see --help).");
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-frobnicate"), 0);
	cr_assert_str_eq(err, "unknown option '-frobnicate' (see --help).");
	options_free(&cfg);
}

Test(options, start_paused)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_eq(PARSE("-kernel", "k"), 0);
	cr_assert(!cfg.start_paused);
	options_free(&cfg);
	cr_assert_eq(PARSE("-kernel", "k", "-S"), 0);
	cr_assert(cfg.start_paused);
	options_free(&cfg);
}

/* One id, one device (QEMU: "Duplicate ID"); distinct ids are kept. */
Test(options, device_ids_unique)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_lt(PARSE("-kernel", "k", "-device", "virtio-balloon-pci,id=x",
			   "-device", "virtio-rng-pci,id=x"), 0);
	cr_assert(strstr(err, "Duplicate ID 'x'"), "%s", err);
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-drive", "file=/dev/null,if=none,id=d0,format=raw",
			   "-device", "virtio-blk-pci,drive=d0,id=n",
			   "-netdev", "tap,id=t0", "-device", "virtio-net-pci,netdev=t0,id=n"), 0);
	cr_assert(strstr(err, "Duplicate ID 'n'"), "%s", err);
	options_free(&cfg);
	cr_assert_eq(PARSE("-kernel", "k", "-device", "virtio-balloon-pci,id=b",
			   "-device", "virtio-rng-pci,id=r", "-drive",
			   "file=/dev/null,if=none,id=d0,format=raw",
			   "-device", "virtio-blk-pci,drive=d0,id=blk"), 0, "%s", err);
	cr_assert_str_eq(cfg.balloon.id, "b");
	cr_assert_str_eq(cfg.rng.id, "r");
	cr_assert_str_eq(cfg.blks[0].id, "blk");
	options_free(&cfg);
}

/* -nodefaults drops the default serial port (QEMU's stdio), not one the
 * command line asks for; -no-user-config is what vmm always does;
 * -daemonize cannot keep the console on stdio. */
Test(options, nodefaults_and_daemonize)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_eq(PARSE("-kernel", "k", "-nodefaults", "-no-user-config"), 0, "%s", err);
	cr_assert_eq(cfg.serial, SERIAL_NONE);
	options_free(&cfg);
	cr_assert_eq(PARSE("-kernel", "k", "-nodefaults", "-serial", "stdio"), 0, "%s", err);
	cr_assert_eq(cfg.serial, SERIAL_STDIO);
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-daemonize"), 0);
	cr_assert(strstr(err, "-daemonize"), "%s", err);
	options_free(&cfg);
	cr_assert_eq(PARSE("-kernel", "k", "-daemonize", "-serial", "file:/tmp/x"), 0, "%s", err);
	cr_assert(cfg.daemonize);
	options_free(&cfg);
	cr_assert_eq(PARSE("-kernel", "k", "-daemonize", "-nodefaults"), 0, "%s", err);
	options_free(&cfg);
}

/* Every property "-device DRIVER,help" lists is one the parser takes,
 * with the example value the list gives. */
Test(options, device_help_lists_what_parses)
{
	for (const struct opt_dev *d = opt_devices; d->name; d++) {
		for (const struct opt_prop *p = d->props; p->name; p++) {
			struct vm_config cfg;
			char err[256] = "", dev[256];
			const char *req = !strcmp(d->name, "virtio-blk-pci") ? "drive=d0," :
					  !strcmp(d->name, "virtio-net-pci") ? "netdev=n0," : "";

			snprintf(dev, sizeof(dev), "%s,%s%s=%s", d->name,
				 strstr(req, p->name) == req ? "" : req, p->name, p->example);
			cr_expect_eq(PARSE("-kernel", "k", "-drive",
					   "file=/dev/null,if=none,id=d0,format=raw",
					   "-netdev", "tap,id=n0,queues=2", "-device", dev),
				     0, "-device %s: %s", dev, err);
			options_free(&cfg);
		}
	}
}

Test(options, help_topics)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_eq(PARSE("-kernel", "k", "-device", "help"), 0);
	cr_assert_eq(cfg.help_topic, OPT_HELP_DEVICES);
	options_free(&cfg);
	cr_assert_eq(PARSE("-device", "virtio-blk-pci,help"), 0, "no -kernel needed");
	cr_assert_eq(cfg.help_topic, OPT_HELP_DEVICE_PROPS);
	cr_assert_str_eq(cfg.help_arg, "virtio-blk-pci,help");
	options_free(&cfg);
	cr_assert_eq(PARSE("-machine", "help"), 0);
	cr_assert_eq(cfg.help_topic, OPT_HELP_MACHINES);
	options_free(&cfg);
	cr_assert_eq(PARSE("-cpu", "?"), 0);
	cr_assert_eq(cfg.help_topic, OPT_HELP_CPUS);
	options_free(&cfg);
	/* A drive that is merely called "help..." is not a help request. */
	cr_assert_lt(PARSE("-kernel", "k", "-device", "virtio-blk-pci,drive=helper"), 0);
	cr_assert_eq(cfg.help_topic, OPT_HELP_NONE);
	options_free(&cfg);
}

/* QMP's address: -qmp unix/tcp, or -chardev socket + -mon mode=control
 * in either order; anything vmm would not serve is refused by name. */
Test(options, qmp_addresses)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_eq(PARSE("-kernel", "k", "-qmp", "tcp:127.0.0.1:4444,server=on,wait=off"), 0, "%s", err);
	cr_assert(cfg.qmp.set && cfg.qmp.tcp);
	cr_assert_str_eq(cfg.qmp.host, "127.0.0.1");
	cr_assert_str_eq(cfg.qmp.port, "4444");
	options_free(&cfg);
	cr_assert_eq(PARSE("-kernel", "k", "-qmp", "tcp:[::1]:4444,server,nowait"), 0, "%s", err);
	cr_assert_str_eq(cfg.qmp.host, "::1");
	options_free(&cfg);
	cr_assert_eq(PARSE("-kernel", "k", "-qmp", "unix:/tmp/q.sock,server=on,wait=off"), 0, "%s", err);
	cr_assert(cfg.qmp.set && !cfg.qmp.tcp);
	cr_assert_str_eq(cfg.qmp.path, "/tmp/q.sock");
	options_free(&cfg);
	cr_assert_eq(PARSE("-kernel", "k", "-mon", "chardev=m0,mode=control",
			   "-chardev", "socket,id=m0,path=/tmp/m.sock,server=on,wait=off"), 0, "%s", err);
	cr_assert_str_eq(cfg.qmp.path, "/tmp/m.sock");
	options_free(&cfg);
	cr_assert_eq(PARSE("-kernel", "k", "-chardev", "socket,id=m0,host=127.0.0.1,port=5555,server=on,wait=off",
			   "-mon", "chardev=m0,mode=control,pretty=on"), 0, "%s", err);
	cr_assert(cfg.qmp.tcp);
	cr_assert_str_eq(cfg.qmp.port, "5555");
	options_free(&cfg);

	cr_assert_lt(PARSE("-kernel", "k", "-qmp", "tcp:127.0.0.1:4444"), 0);
	cr_assert(strstr(err, "server=on,wait=off"), "%s", err);
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-qmp", "tcp::70000,server=on,wait=off"), 0);
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-mon", "chardev=m0,mode=readline",
			   "-chardev", "socket,id=m0,path=/tmp/m.sock,server=on,wait=off"), 0);
	cr_assert(strstr(err, "no human monitor"), "%s", err);
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-mon", "chardev=nope,mode=control"), 0);
	cr_assert(strstr(err, "'nope' is not defined"), "%s", err);
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-chardev", "socket,id=m0,path=/tmp/m.sock,server=on,wait=off"), 0);
	cr_assert(strstr(err, "not used"), "%s", err);
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-chardev", "stdio,id=c0"), 0);
	cr_assert(strstr(err, "only socket chardevs"), "%s", err);
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-qmp", "unix:/tmp/a,server=on,wait=off",
			   "-chardev", "socket,id=m0,path=/tmp/m.sock,server=on,wait=off",
			   "-mon", "chardev=m0,mode=control"), 0);
	cr_assert(strstr(err, "already given"), "%s", err);
	options_free(&cfg);
}

/* -snapshot reaches every drive that does not say snapshot= itself. */
Test(options, snapshot)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_eq(PARSE("-kernel", "k", "-snapshot",
			   "-drive", "file=a,if=virtio,format=raw",
			   "-drive", "file=b,if=virtio,format=raw,snapshot=off"), 0, "%s", err);
	cr_assert(cfg.drives[0].snapshot);
	cr_assert(!cfg.drives[1].snapshot);
	options_free(&cfg);
	cr_assert_eq(PARSE("-kernel", "k", "-drive", "file=a,if=virtio,format=raw,snapshot=on"),
		     0, "%s", err);
	cr_assert(cfg.drives[0].snapshot);
	options_free(&cfg);
}

/* -nic tap,...: a -netdev tap and a virtio-net-pci on it, in one option. */
Test(options, nic_shorthand)
{
	struct vm_config cfg;
	char err[256];

	cr_assert_eq(PARSE("-kernel", "k", "-nic",
			   "tap,ifname=tap7,script=no,downscript=no,model=virtio-net-pci,mac=52:54:00:00:00:07",
			   "-nic", "none"), 0, "%s", err);
	cr_assert_eq(cfg.nnetdevs, 1);
	cr_assert_eq(cfg.nnets, 1);
	cr_assert_str_eq(cfg.netdevs[0].ifname, "tap7");
	cr_assert_eq(cfg.nets[0].netdev, 0);
	cr_assert_eq(cfg.nets[0].mac[5], 7);
	options_free(&cfg);
	cr_assert_eq(PARSE("-kernel", "k", "-nic",
			   "user,hostfwd=tcp::2222-:22,hostfwd=udp:127.0.0.1:5353-:53"),
		     0, "%s", err);
	cr_assert(cfg.netdevs[0].user);
	cr_assert_not(cfg.netdevs[0].vnet_hdr, "no vnet header to slirp");
	cr_assert_eq(cfg.netdevs[0].user_opts.n_fwd, 2);
	cr_assert_eq(cfg.netdevs[0].user_opts.fwd[1].guest_port, 53);
	cr_assert_eq(cfg.nnets, 1);
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-nic", "bridge,br=br0"), 0);
	cr_assert(strstr(err, "only user and tap"), "%s", err);
	options_free(&cfg);
	cr_assert_lt(PARSE("-kernel", "k", "-nic", "tap,model=e1000"), 0);
	cr_assert(strstr(err, "model=e1000"), "%s", err);
	options_free(&cfg);
}

/* --help says what the exit statuses mean (scripts test them). */
Test(options, usage_states_exit_statuses)
{
	char *text = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&text, &size);

	options_usage(m);
	fclose(m);
	cr_assert(strstr(text, "Exit status: 0 when the guest powers off"), "%s", text);
	cr_assert(strstr(text, "(code << 1) | 1"), "%s", text);
	free(text);
}
