// SPDX-License-Identifier: MIT
/*
 * The device half of the command line: -drive, -netdev and the
 * properties of -device virtio-balloon-pci / virtio-blk-pci /
 * virtio-net-pci, spelled as QEMU spells them.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vmm/options.h"
#include "vmm/options_help.h"
#include "vmm/options_int.h"

#define PROP(field_type, field) offsetof(field_type, field)

/* The properties every virtio device has. */
#define VIRTIO_PCI_PROPS(T, idex, addrex)					\
	{ .name = "id", .type = "str",	\
	  .help = "the device's QOM name (/machine/peripheral/ID)",	\
	  .example = idex, .set = opt_set_str, .off = PROP(T, id) },	\
	{ .name = "addr", .type = "int",	\
	  .help = "PCI slot, e.g. 5 or 05.0",	\
	  .example = addrex, .set = opt_set_pci_addr, .off = PROP(T, slot) },	\
	{ .name = "ioeventfd", .type = "bool",	\
	  .help = "kicks through KVM ioeventfds (default on)",	\
	  .example = "on", .set = opt_set_bool, .off = PROP(T, ioeventfd) },	\
	{ .name = "irqfd", .type = "bool",	\
	  .help = "interrupts through KVM irqfds (default on)",	\
	  .example = "on", .set = opt_set_bool, .off = PROP(T, irqfd) }

static const struct opt_prop opt_balloon_props[] = {
	VIRTIO_PCI_PROPS(struct balloon_cfg, "b0", "5"),
	{ .name = "deflate-on-oom", .type = "bool",
	  .help = "the guest may take pages back when it runs out",
	  .example = "on", .set = opt_set_bool, .off = PROP(struct balloon_cfg, deflate_on_oom) },
	{ .name = "free-page-reporting", .type = "bool",
	  .help = "the guest reports free pages, the host drops them",
	  .example = "on", .set = opt_set_bool, .off = PROP(struct balloon_cfg, free_page_reporting) },
	{ .name = "guest-stats-polling-interval", .type = "int",
	  .help = "seconds between stats requests (0: off)",
	  .example = "2", .set = opt_set_uint, .off = PROP(struct balloon_cfg, stats_interval), .min = 0, .max = 86400 },
	{ 0 },
};

static int options_parse_balloon(struct kv_opts *kv, struct vm_config *cfg,
				 char *err, size_t len)
{
	struct balloon_cfg *b = &cfg->balloon;

	if (b->present)
		return opt_err(err, len,
			       "-device virtio-balloon-pci: only one balloon device is supported.");
	*b = (struct balloon_cfg){ .present = true, .slot = -1,
				   .ioeventfd = true, .irqfd = true };
	cfg->pci_order[cfg->npci].kind = PCI_BALLOON;
	cfg->pci_order[cfg->npci++].index = 0;
	return opt_props_apply(opt_balloon_props, kv, b,
			       "-device virtio-balloon-pci", NULL, err, len);
}

/* QEMU's rng=/max-bytes=/period= need -object backends vmm does not
 * have; getrandom() is the source. */
static const struct opt_prop opt_rng_props[] = {
	VIRTIO_PCI_PROPS(struct rng_cfg, "r0", "6"),
	{ 0 },
};

static int options_parse_rng(struct kv_opts *kv, struct vm_config *cfg,
			     char *err, size_t len)
{
	struct rng_cfg *g = &cfg->rng;

	if (g->present)
		return opt_err(err, len,
			       "-device virtio-rng-pci: only one is supported.");
	*g = (struct rng_cfg){ .present = true, .slot = -1,
			       .ioeventfd = true, .irqfd = true };
	cfg->pci_order[cfg->npci].kind = PCI_RNG;
	cfg->pci_order[cfg->npci++].index = 0;
	return opt_props_apply(opt_rng_props, kv, g, "-device virtio-rng-pci",
			       "the source is the host's getrandom()", err, len);
}

static int drive_find(const struct vm_config *cfg, const char *id)
{
	for (unsigned int i = 0; i < cfg->ndrives; i++)
		if (cfg->drives[i].id && !strcmp(cfg->drives[i].id, id))
			return i;
	return -1;
}

static int add_blk(struct vm_config *cfg, int drive, struct blk_cfg **out,
		   char *err, size_t len)
{
	struct blk_cfg *b;

	if (cfg->nblks == VMM_MAX_DRIVES || cfg->npci == VMM_MAX_DEVICES)
		return opt_err(err, len, "too many virtio-blk devices (at most %d).",
			       VMM_MAX_DRIVES);
	if (cfg->drives[drive].used)
		return opt_err(err, len, "drive '%s' is already used by a device.",
			       cfg->drives[drive].id ? cfg->drives[drive].id : "?");
	cfg->drives[drive].used = true;
	b = &cfg->blks[cfg->nblks];
	*b = (struct blk_cfg){ .drive = drive, .slot = -1, .ioeventfd = true,
			       .irqfd = true };
	cfg->pci_order[cfg->npci].kind = PCI_BLK;
	cfg->pci_order[cfg->npci++].index = cfg->nblks++;
	*out = b;
	return 0;
}

static int drive_set_if(const struct opt_prop *p, void *obj, const char *v,
			char *err, size_t len)
{
	struct drive_cfg *d = obj;

	if (strcmp(v, "virtio") && strcmp(v, "none"))
		return opt_err(err, len, "if=%s is not supported (use if=none or if=virtio).", v);
	d->if_virtio = !strcmp(v, "virtio");
	return 0;
}

static int drive_set_format(const struct opt_prop *p, void *obj, const char *v,
			    char *err, size_t len)
{
	struct drive_cfg *d = obj;

	if (strcmp(v, "raw"))
		return opt_err(err, len, "format '%s' is not supported (only raw).", v);
	d->format_raw = true;
	return 0;
}

/* @names: the enum's spellings, index = value; from @first on. */
static int drive_enum(const char *const *names, int first, const char *v)
{
	for (int i = first; names[i]; i++)
		if (!strcmp(names[i], v))
			return i;
	return -1;
}

static int drive_set_cache(const struct opt_prop *p, void *obj, const char *v,
			   char *err, size_t len)
{
	static const char *const caches[] = BLK_CACHE_NAMES;
	int c = drive_enum(caches, 0, v);

	if (c < 0)
		return opt_err(err, len,
			       "cache=%s is not one of none, writeback, writethrough, unsafe.", v);
	((struct drive_cfg *)obj)->cache = (enum blk_cache)c;
	return 0;
}

static int drive_set_aio(const struct opt_prop *p, void *obj, const char *v,
			 char *err, size_t len)
{
	static const char *const aios[] = BLK_AIO_NAMES;
	int a = drive_enum(aios, 1, v);    /* "default" is not a value to give */

	if (a < 0)
		return opt_err(err, len, "aio=%s is not one of io_uring, threads.", v);
	((struct drive_cfg *)obj)->aio = (enum blk_aio)a;
	return 0;
}

static int drive_set_snapshot(const struct opt_prop *p, void *obj,
			      const char *v, char *err, size_t len)
{
	struct drive_cfg *d = obj;

	d->snapshot_given = true;
	return opt_parse_bool(v, &d->snapshot);
}

static int drive_set_discard(const struct opt_prop *p, void *obj,
			     const char *v, char *err, size_t len)
{
	struct drive_cfg *d = obj;

	if (!strcmp(v, "unmap") || !strcmp(v, "on"))
		d->discard = true;
	else if (!strcmp(v, "ignore") || !strcmp(v, "off"))
		d->discard = false;
	else
		return -EINVAL;
	return 0;
}

static const struct opt_prop drive_props[] = {
	{ .name = "file", .type = "str",
	  .help = "the raw image or block device",
	  .example = "disk.img", .set = opt_set_str, .off = PROP(struct drive_cfg, file) },
	{ .name = "id", .type = "str",
	  .help = "the name a -device virtio-blk-pci,drive= refers to",
	  .example = "d0", .set = opt_set_str, .off = PROP(struct drive_cfg, id) },
	{ .name = "if", .type = "str",
	  .help = "none (a -device shows it) or virtio (a disk of its own)",
	  .example = "none", .set = drive_set_if },
	{ .name = "format", .type = "str",
	  .help = "raw, the only one (required for an image that looks like another format)",
	  .example = "raw", .set = drive_set_format },
	{ .name = "readonly", .type = "bool",
	  .help = "the guest cannot write it",
	  .example = "on", .set = opt_set_bool, .off = PROP(struct drive_cfg, read_only) },
	{ .name = "cache", .type = "str",
	  .help = "none, writeback (default), writethrough or unsafe",
	  .example = "none", .set = drive_set_cache },
	{ .name = "aio", .type = "str",
	  .help = "io_uring (default) or threads",
	  .example = "threads", .set = drive_set_aio },
	{ .name = "snapshot", .type = "bool",
	  .help = "guest writes go to a throwaway copy",
	  .example = "on", .set = drive_set_snapshot },
	{ .name = "discard", .type = "str",
	  .help = "unmap (trim reaches the image) or ignore",
	  .example = "unmap", .set = drive_set_discard },
	{ 0 },
};

int options_parse_drive(const char *s, struct vm_config *cfg,
			char *err, size_t len)
{
	struct kv_opts *kv;
	struct drive_cfg *d;
	struct blk_cfg *b;
	int r;

	if (cfg->ndrives == VMM_MAX_DRIVES || cfg->ndevices == VMM_MAX_DEVICES)
		return opt_err(err, len, "-drive: more than %d drives.", VMM_MAX_DRIVES);
	kv = &cfg->devices[cfg->ndevices];
	if (kv_parse(s, kv, false) < 0)
		return opt_err(err, len, "-drive: cannot parse '%s'.", s);
	cfg->ndevices++;
	d = &cfg->drives[cfg->ndrives];
	*d = (struct drive_cfg){ .cache = 0 };
	r = opt_props_apply(drive_props, kv, d, "-drive", NULL, err, len);
	if (r < 0)
		return r;
	if (!d->file || !*d->file)
		return opt_err(err, len, "-drive: no file= given.");
	if (d->id && drive_find(cfg, d->id) >= 0)
		return opt_err(err, len, "-drive: id '%s' is used twice.", d->id);
	cfg->ndrives++;
	if (d->if_virtio)
		return add_blk(cfg, cfg->ndrives - 1, &b, err, len);
	if (!d->id)
		return opt_err(err, len, "-drive: if=none needs an id=.");
	return 0;
}

static int blk_set_queue_size(const struct opt_prop *p, void *obj,
			      const char *v, char *err, size_t len)
{
	unsigned long long n;

	if (opt_parse_uint(v, 1024, &n) < 0 || n < 2 || (n & (n - 1)))
		return -EINVAL;
	((struct blk_cfg *)obj)->queue_size = n;
	return 0;
}

static int blk_set_block_size(const struct opt_prop *p, void *obj,
			      const char *v, char *err, size_t len)
{
	unsigned long long n;

	if (opt_parse_uint(v, 4096, &n) < 0)
		return -EINVAL;
	if (n != 512 && n != 4096)
		return opt_err(err, len, "%s=%s is not 512 or 4096.", p->name, v);
	*(unsigned int *)((char *)obj + p->off) = n;
	return 0;
}

static const struct opt_prop opt_blk_props[] = {
	{ .name = "drive", .type = "str",
	  .help = "the -drive id= this disk shows (required)",
	  .example = "d0", .set = opt_set_none },
	VIRTIO_PCI_PROPS(struct blk_cfg, "vd0", "7"),
	{ .name = "serial", .type = "str",
	  .help = "the disk's serial number (up to 20 bytes)",
	  .example = "abc", .set = opt_set_str, .off = PROP(struct blk_cfg, serial) },
	{ .name = "num-queues", .type = "int",
	  .help = "request queues, 1..16 (default 1)",
	  .example = "2", .set = opt_set_uint, .off = PROP(struct blk_cfg, num_queues), .min = 1, .max = 16 },
	{ .name = "queue-size", .type = "int",
	  .help = "descriptors per queue, a power of two up to 1024 (default 256)",
	  .example = "128", .set = blk_set_queue_size },
	{ .name = "logical_block_size", .type = "int",
	  .help = "512 or 4096 (default 512)",
	  .example = "4096", .set = blk_set_block_size, .off = PROP(struct blk_cfg, logical_block_size) },
	{ .name = "physical_block_size", .type = "int",
	  .help = "512 or 4096 (default: the logical size)",
	  .example = "4096", .set = blk_set_block_size, .off = PROP(struct blk_cfg, physical_block_size) },
	{ 0 },
};

static int options_parse_blk(struct kv_opts *kv, struct vm_config *cfg,
			     char *err, size_t len)
{
	const char *drive = kv_get(kv, "drive");
	struct blk_cfg *b;
	int d, r;

	if (!drive)
		return opt_err(err, len, "-device virtio-blk-pci: drive= is missing.");
	d = drive_find(cfg, drive);
	if (d < 0)
		return opt_err(err, len,
			       "-device virtio-blk-pci: no -drive with id '%s' (give -drive before -device).",
			       drive);
	r = add_blk(cfg, d, &b, err, len);
	if (r < 0)
		return r;
	return opt_props_apply(opt_blk_props, kv, b, "-device virtio-blk-pci",
			       NULL, err, len);
}

static int netdev_find(const struct vm_config *cfg, const char *id)
{
	for (unsigned int i = 0; i < cfg->nnetdevs; i++)
		if (!strcmp(cfg->netdevs[i].id, id))
			return i;
	return -1;
}

static int tap_set_script(const struct opt_prop *p, void *obj, const char *v,
			  char *err, size_t len)
{
	if (strcmp(v, "no"))
		return opt_err(err, len,
			       "%s=%s: this VMM runs no scripts; give %s=no and set the tap up yourself.",
			       p->name, v, p->name);
	if (!strcmp(p->name, "script"))
		((struct netdev_cfg *)obj)->script_given = true;
	return 0;
}

static int tap_set_fd(const struct opt_prop *p, void *obj, const char *v,
		      char *err, size_t len)
{
	unsigned long long n;

	if (opt_parse_uint(v, INT32_MAX, &n) < 0)
		return -EINVAL;
	((struct netdev_cfg *)obj)->fd = (int)n;
	return 0;
}

static const struct opt_prop tap_props[] = {
	{ .name = "id", .type = "str",
	  .help = "the name a -device virtio-net-pci,netdev= refers to",
	  .example = "n0", .set = opt_set_str, .off = PROP(struct netdev_cfg, id) },
	{ .name = "ifname", .type = "str",
	  .help = "the tap to open (created if it does not exist)",
	  .example = "tap0", .set = opt_set_str, .off = PROP(struct netdev_cfg, ifname) },
	{ .name = "fd", .type = "int",
	  .help = "an open tap, inherited",
	  .example = "3", .set = tap_set_fd },
	{ .name = "script", .type = "str",
	  .help = "no (vmm runs no scripts)",
	  .example = "no", .set = tap_set_script },
	{ .name = "downscript", .type = "str",
	  .help = "no (vmm runs no scripts)",
	  .example = "no", .set = tap_set_script },
	{ .name = "queues", .type = "int",
	  .help = "queue pairs, 1..7 (default 1)",
	  .example = "2", .set = opt_set_uint, .off = PROP(struct netdev_cfg, queues), .min = 1, .max = 7 },
	{ .name = "vnet_hdr", .type = "bool",
	  .help = "offloads through the tap's virtio-net header (default on)",
	  .example = "on", .set = opt_set_bool, .off = PROP(struct netdev_cfg, vnet_hdr) },
	{ 0 },
};

/* -netdev tap,id=ID[,ifname=,fd=,script=no,downscript=no,queues=,vnet_hdr=] */
int options_parse_netdev(const char *s, struct vm_config *cfg,
			 char *err, size_t len)
{
	struct kv_opts *kv;
	struct netdev_cfg *d;
	int r;

	if (cfg->nnetdevs == VMM_MAX_NETDEVS || cfg->ndevices == VMM_MAX_DEVICES)
		return opt_err(err, len, "-netdev: more than %d network backends.",
			       VMM_MAX_NETDEVS);
	kv = &cfg->devices[cfg->ndevices];
	if (kv_parse(s, kv, true) < 0)
		return opt_err(err, len, "-netdev: cannot parse '%s'.", s);
	cfg->ndevices++;
	if (strcmp(kv->driver, "tap"))
		return opt_err(err, len,
			       "-netdev: type '%s' is not supported (only tap).", kv->driver);
	d = &cfg->netdevs[cfg->nnetdevs];
	*d = (struct netdev_cfg){ .fd = -1, .queues = 1, .vnet_hdr = true };
	r = opt_props_apply(tap_props, kv, d, "-netdev tap", NULL, err, len);
	if (r < 0)
		return r;
	if (!d->id || !*d->id)
		return opt_err(err, len, "-netdev tap: id= is missing.");
	if (netdev_find(cfg, d->id) >= 0)
		return opt_err(err, len, "-netdev: id '%s' is used twice.", d->id);
	if (d->fd >= 0 && (d->ifname || d->queues > 1))
		return opt_err(err, len,
			       "-netdev tap: fd= takes one open tap; it excludes ifname= and queues=.");
	cfg->nnetdevs++;
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = b[i];
	/* A multicast address cannot be a NIC's own. */
	return mac[0] & 1 ? -EINVAL : 0;
}

static int net_set_mac(const struct opt_prop *p, void *obj, const char *v,
		       char *err, size_t len)
{
	return parse_mac(v, ((struct net_cfg *)obj)->mac);
}

static const struct opt_prop opt_net_props[] = {
	{ .name = "netdev", .type = "str",
	  .help = "the -netdev id= behind this card (required)",
	  .example = "n0", .set = opt_set_none },
	VIRTIO_PCI_PROPS(struct net_cfg, "nic0", "8"),
	{ .name = "mac", .type = "str",
	  .help = "the MAC address (default 52:54:00:12:34:56, :57... per card)",
	  .example = "52:54:00:aa:bb:cc", .set = net_set_mac },
	{ .name = "mq", .type = "bool",
	  .help = "one queue pair per -netdev queues= (default off)",
	  .example = "on", .set = opt_set_bool, .off = PROP(struct net_cfg, mq) },
	{ .name = "host_mtu", .type = "int",
	  .help = "the MTU the guest is told to use",
	  .example = "1400", .set = opt_set_uint, .off = PROP(struct net_cfg, host_mtu), .min = 68, .max = 65535 },
	{ 0 },
};

static int options_parse_net(struct kv_opts *kv, struct vm_config *cfg,
			     char *err, size_t len)
{
	const char *id = kv_get(kv, "netdev");
	struct net_cfg *n;
	int d;

	if (!id)
		return opt_err(err, len, "-device virtio-net-pci: netdev= is missing.");
	d = netdev_find(cfg, id);
	if (d < 0)
		return opt_err(err, len,
			       "-device virtio-net-pci: no -netdev with id '%s' (give -netdev before -device).",
			       id);
	if (cfg->netdevs[d].used)
		return opt_err(err, len, "-device virtio-net-pci: netdev '%s' is already used.", id);
	if (cfg->nnets == VMM_MAX_NETDEVS || cfg->npci == VMM_MAX_DEVICES)
		return opt_err(err, len, "too many virtio-net devices.");
	cfg->netdevs[d].used = true;
	n = &cfg->nets[cfg->nnets];
	/* QEMU's default: 52:54:00:12:34:56, then :57... per NIC. */
	*n = (struct net_cfg){ .netdev = d, .slot = -1, .ioeventfd = true,
			       .irqfd = true, .mq = cfg->netdevs[d].queues > 1,
			       .mac = { 0x52, 0x54, 0x00, 0x12, 0x34,
					(uint8_t)(0x56 + cfg->nnets) } };
	cfg->pci_order[cfg->npci].kind = PCI_NET;
	cfg->pci_order[cfg->npci++].index = cfg->nnets++;
	return opt_props_apply(opt_net_props, kv, n, "-device virtio-net-pci",
			       NULL, err, len);
}

static const struct opt_prop opt_debug_exit_props[] = {
	{ .name = "iobase", .type = "int",
	  .help = "I/O port (default 0x501)",
	  .example = "0xf4", .set = opt_set_uint, .off = PROP(struct vm_config, debug_exit_port), .min = 0, .max = 0xffff, .u16 = true },
	{ .name = "iosize", .type = "int",
	  .help = "1, 2 or 4 bytes (default 2)",
	  .example = "4", .set = opt_set_uint, .off = PROP(struct vm_config, debug_exit_size), .min = 1, .max = 4, .u16 = true },
	{ 0 },
};

/* -device isa-debug-exit[,iobase=,iosize=]: a guest's write ends vmm
 * with status (value << 1) | 1, as QEMU's. */
static int options_parse_debug_exit(struct kv_opts *kv, struct vm_config *cfg,
				    char *err, size_t len)
{
	int r;

	cfg->debug_exit = true;
	cfg->debug_exit_port = 0x501;   /* QEMU's default iobase */
	cfg->debug_exit_size = 2;
	r = opt_props_apply(opt_debug_exit_props, kv, cfg,
			    "-device isa-debug-exit", NULL, err, len);
	if (r == 0 && (uint32_t)cfg->debug_exit_port + cfg->debug_exit_size > 0x10000)
		return opt_err(err, len,
			       "-device isa-debug-exit: iobase+iosize is past port 0xffff.");
	return r;
}

/* Every -device vmm has: "-device help" lists them, "-device X,help"
 * prints the table its properties are parsed by. */
const struct opt_dev opt_devices[] = {
	{ .name = "virtio-balloon-pci", .bus = "PCI",
	  .desc = "virtio memory balloon",
	  .props = opt_balloon_props, .parse = options_parse_balloon },
	{ .name = "virtio-blk-pci", .bus = "PCI",
	  .desc = "virtio block device",
	  .props = opt_blk_props, .parse = options_parse_blk },
	{ .name = "virtio-net-pci", .bus = "PCI",
	  .desc = "virtio network card",
	  .props = opt_net_props, .parse = options_parse_net },
	{ .name = "virtio-rng-pci", .bus = "PCI",
	  .desc = "virtio entropy source (the host's getrandom())",
	  .props = opt_rng_props, .parse = options_parse_rng },
	{ .name = "isa-debug-exit", .bus = "ISA",
	  .desc = "a port whose writes end the VMM (test guests)",
	  .props = opt_debug_exit_props, .parse = options_parse_debug_exit },
	{ 0 },
};

const struct opt_dev *opt_dev_find(const char *name)
{
	for (const struct opt_dev *d = opt_devices; d->name; d++)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}
