// SPDX-License-Identifier: MIT
/*
 * The device half of the command line: -drive, -device and the
 * properties of virtio-balloon-pci / virtio-blk-pci / virtio-rng-pci /
 * isa-debug-exit (the network's are in options_net.c), spelled as QEMU
 * spells them.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vmm/options.h"
#include "vmm/options_help.h"
#include "vmm/options_int.h"

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
	  .help = "guest writes go to a throwaway overlay",
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

int options_parse_device(const char *s, struct vm_config *cfg, char *err,
			 size_t len)
{
	const struct opt_dev *d;
	struct kv_opts *kv;

	if (cfg->ndevices == VMM_MAX_DEVICES)
		return opt_err(err, len, "-device: more than %d devices.",
			       VMM_MAX_DEVICES);
	kv = &cfg->devices[cfg->ndevices];
	if (kv_parse(s, kv, true) < 0)
		return opt_err(err, len, "-device: cannot parse '%s'.", s);
	cfg->ndevices++;
	d = opt_dev_find(kv->driver);
	if (!d)
		return opt_err(err, len, "-device: '%s' is not a device this VMM has.",
			       kv->driver);
	return d->parse(kv, cfg, err, len);
}
