// SPDX-License-Identifier: MIT
/*
 * The device half of the command line: -drive, -netdev and the
 * properties of -device virtio-balloon-pci / virtio-blk-pci /
 * virtio-net-pci, spelled as QEMU spells them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vmm/options.h"
#include "vmm/options_int.h"

int options_parse_balloon(struct kv_opts *kv, struct vm_config *cfg,
			  char *err, size_t len)
{
	struct balloon_cfg *b = &cfg->balloon;
	unsigned long long v;

	if (b->present)
		return opt_err(err, len,
			       "-device virtio-balloon-pci: only one balloon device is supported.");
	*b = (struct balloon_cfg){ .present = true, .slot = -1,
				   .ioeventfd = true, .irqfd = true };
	cfg->pci_order[cfg->npci].kind = PCI_BALLOON;
	cfg->pci_order[cfg->npci++].index = 0;
	for (unsigned int i = 0; i < kv->n; i++) {
		const char *k = kv->key[i], *val = kv->val[i];
		int r = 0;

		if (!strcmp(k, "id"))
			b->id = val;
		else if (!strcmp(k, "addr"))
			r = opt_parse_pci_addr(val, &b->slot);
		else if (!strcmp(k, "deflate-on-oom"))
			r = opt_parse_bool(val, &b->deflate_on_oom);
		else if (!strcmp(k, "free-page-reporting"))
			r = opt_parse_bool(val, &b->free_page_reporting);
		else if (!strcmp(k, "ioeventfd"))
			r = opt_parse_bool(val, &b->ioeventfd);
		else if (!strcmp(k, "irqfd"))
			r = opt_parse_bool(val, &b->irqfd);
		else if (!strcmp(k, "guest-stats-polling-interval")) {
			r = opt_parse_uint(val, 86400, &v);
			b->stats_interval = (unsigned int)v;
		} else
			return opt_err(err, len,
				       "-device virtio-balloon-pci: unknown property '%s'.", k);
		if (r < 0)
			return opt_err(err, len,
				       "-device virtio-balloon-pci: bad value '%s' for '%s'.",
				       val, k);
	}
	return 0;
}

/* -device virtio-rng-pci: QEMU's rng=/max-bytes=/period= need -object
 * backends vmm does not have; getrandom() is the source. */
int options_parse_rng(struct kv_opts *kv, struct vm_config *cfg,
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
	for (unsigned int i = 0; i < kv->n; i++) {
		const char *k = kv->key[i], *val = kv->val[i];
		int r = 0;

		if (!strcmp(k, "id"))
			g->id = val;
		else if (!strcmp(k, "addr"))
			r = opt_parse_pci_addr(val, &g->slot);
		else if (!strcmp(k, "ioeventfd"))
			r = opt_parse_bool(val, &g->ioeventfd);
		else if (!strcmp(k, "irqfd"))
			r = opt_parse_bool(val, &g->irqfd);
		else
			return opt_err(err, len,
				       "-device virtio-rng-pci: property '%s' is not supported (the source is the host's getrandom()).",
				       k);
		if (r < 0)
			return opt_err(err, len,
				       "-device virtio-rng-pci: bad value '%s' for '%s'.",
				       val, k);
	}
	return 0;
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

int options_parse_drive(const char *s, struct vm_config *cfg,
			char *err, size_t len)
{
	static const char *const caches[] = BLK_CACHE_NAMES;
	static const char *const aios[] = BLK_AIO_NAMES;
	struct kv_opts *kv;
	struct drive_cfg *d;
	struct blk_cfg *b;

	if (cfg->ndrives == VMM_MAX_DRIVES || cfg->ndevices == VMM_MAX_DEVICES)
		return opt_err(err, len, "-drive: more than %d drives.", VMM_MAX_DRIVES);
	kv = &cfg->devices[cfg->ndevices];
	if (kv_parse(s, kv, false) < 0)
		return opt_err(err, len, "-drive: cannot parse '%s'.", s);
	cfg->ndevices++;
	d = &cfg->drives[cfg->ndrives];
	*d = (struct drive_cfg){ .cache = 0 };
	for (unsigned int i = 0; i < kv->n; i++) {
		const char *k = kv->key[i], *v = kv->val[i];
		int r = 0;

		if (!strcmp(k, "file")) {
			d->file = v;
		} else if (!strcmp(k, "id")) {
			d->id = v;
		} else if (!strcmp(k, "if")) {
			if (!strcmp(v, "virtio"))
				d->if_virtio = true;
			else if (strcmp(v, "none"))
				return opt_err(err, len,
					       "-drive: if=%s is not supported (use if=none or if=virtio).", v);
		} else if (!strcmp(k, "format")) {
			if (strcmp(v, "raw"))
				return opt_err(err, len,
					       "-drive: format '%s' is not supported (only raw).", v);
			d->format_raw = true;
		} else if (!strcmp(k, "readonly")) {
			r = opt_parse_bool(v, &d->read_only);
		} else if (!strcmp(k, "cache")) {
			int c = 0;

			while (caches[c] && strcmp(caches[c], v))
				c++;
			if (!caches[c])
				return opt_err(err, len,
					       "-drive: cache=%s is not one of none, writeback, writethrough, unsafe.", v);
			d->cache = (enum blk_cache)c;
		} else if (!strcmp(k, "aio")) {
			int a = 1;      /* "default" is not a value to give */

			while (aios[a] && strcmp(aios[a], v))
				a++;
			if (!aios[a])
				return opt_err(err, len,
					       "-drive: aio=%s is not one of io_uring, threads.", v);
			d->aio = (enum blk_aio)a;
		} else if (!strcmp(k, "snapshot")) {
			r = opt_parse_bool(v, &d->snapshot);
			d->snapshot_given = true;
		} else if (!strcmp(k, "discard")) {
			if (!strcmp(v, "unmap") || !strcmp(v, "on"))
				d->discard = true;
			else if (!strcmp(v, "ignore") || !strcmp(v, "off"))
				d->discard = false;
			else
				r = -EINVAL;
		} else {
			return opt_err(err, len, "-drive: unknown option '%s'.", k);
		}
		if (r < 0)
			return opt_err(err, len, "-drive: bad value '%s' for '%s'.", v, k);
	}
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

int options_parse_blk(struct kv_opts *kv, struct vm_config *cfg,
		      char *err, size_t len)
{
	const char *drive = kv_get(kv, "drive");
	unsigned long long v;
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
	for (unsigned int i = 0; i < kv->n; i++) {
		const char *k = kv->key[i], *val = kv->val[i];

		r = 0;
		if (!strcmp(k, "drive"))
			continue;
		if (!strcmp(k, "id"))
			b->id = val;
		else if (!strcmp(k, "serial"))
			b->serial = val;
		else if (!strcmp(k, "addr"))
			r = opt_parse_pci_addr(val, &b->slot);
		else if (!strcmp(k, "ioeventfd"))
			r = opt_parse_bool(val, &b->ioeventfd);
		else if (!strcmp(k, "irqfd"))
			r = opt_parse_bool(val, &b->irqfd);
		else if (!strcmp(k, "queue-size")) {
			r = opt_parse_uint(val, 1024, &v);
			if (r == 0 && (v < 2 || (v & (v - 1))))
				r = -EINVAL;
			b->queue_size = v;
		} else if (!strcmp(k, "num-queues")) {
			r = opt_parse_uint(val, 64, &v);
			if (r == 0 && (v < 1 || v > 16))
				return opt_err(err, len,
					       "-device virtio-blk-pci: num-queues=%s is not between 1 and 16.", val);
			b->num_queues = v;
		} else if (!strcmp(k, "logical_block_size") ||
			   !strcmp(k, "physical_block_size")) {
			r = opt_parse_uint(val, 4096, &v);
			if (r == 0 && v != 512 && v != 4096)
				return opt_err(err, len,
					       "-device virtio-blk-pci: %s=%s is not 512 or 4096.", k, val);
			if (k[0] == 'l')
				b->logical_block_size = v;
			else
				b->physical_block_size = v;
		} else
			return opt_err(err, len,
				       "-device virtio-blk-pci: unknown property '%s'.", k);
		if (r < 0)
			return opt_err(err, len,
				       "-device virtio-blk-pci: bad value '%s' for '%s'.", val, k);
	}
	return 0;
}

static int netdev_find(const struct vm_config *cfg, const char *id)
{
	for (unsigned int i = 0; i < cfg->nnetdevs; i++)
		if (!strcmp(cfg->netdevs[i].id, id))
			return i;
	return -1;
}

/* -netdev tap,id=ID[,ifname=,fd=,script=no,downscript=no,queues=,vnet_hdr=] */
int options_parse_netdev(const char *s, struct vm_config *cfg,
			 char *err, size_t len)
{
	struct kv_opts *kv;
	struct netdev_cfg *d;
	unsigned long long v;

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
	for (unsigned int i = 0; i < kv->n; i++) {
		const char *k = kv->key[i], *val = kv->val[i];
		int r = 0;

		if (!strcmp(k, "id")) {
			d->id = val;
		} else if (!strcmp(k, "ifname")) {
			d->ifname = val;
		} else if (!strcmp(k, "script") || !strcmp(k, "downscript")) {
			if (strcmp(val, "no"))
				return opt_err(err, len,
					       "-netdev tap: %s=%s: this VMM runs no scripts; give %s=no and set the tap up yourself.",
					       k, val, k);
			if (!strcmp(k, "script"))
				d->script_given = true;
		} else if (!strcmp(k, "queues")) {
			r = opt_parse_uint(val, 64, &v);
			if (r == 0 && (v < 1 || v > 7))
				return opt_err(err, len,
					       "-netdev tap: queues=%s is not between 1 and 7.", val);
			d->queues = v;
		} else if (!strcmp(k, "vnet_hdr")) {
			r = opt_parse_bool(val, &d->vnet_hdr);
		} else if (!strcmp(k, "fd")) {
			r = opt_parse_uint(val, INT32_MAX, &v);
			d->fd = (int)v;
		} else {
			return opt_err(err, len, "-netdev tap: unknown option '%s'.", k);
		}
		if (r < 0)
			return opt_err(err, len, "-netdev tap: bad value '%s' for '%s'.",
				       val, k);
	}
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

int options_parse_net(struct kv_opts *kv, struct vm_config *cfg,
		      char *err, size_t len)
{
	const char *id = kv_get(kv, "netdev");
	unsigned long long v;
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
	for (unsigned int i = 0; i < kv->n; i++) {
		const char *k = kv->key[i], *val = kv->val[i];
		int r = 0;

		if (!strcmp(k, "netdev"))
			continue;
		if (!strcmp(k, "id"))
			n->id = val;
		else if (!strcmp(k, "mac"))
			r = parse_mac(val, n->mac);
		else if (!strcmp(k, "mq"))
			r = opt_parse_bool(val, &n->mq);
		else if (!strcmp(k, "addr"))
			r = opt_parse_pci_addr(val, &n->slot);
		else if (!strcmp(k, "ioeventfd"))
			r = opt_parse_bool(val, &n->ioeventfd);
		else if (!strcmp(k, "irqfd"))
			r = opt_parse_bool(val, &n->irqfd);
		else if (!strcmp(k, "host_mtu")) {
			r = opt_parse_uint(val, 65535, &v);
			if (r == 0 && v < 68)
				r = -EINVAL;
			n->host_mtu = v;
		} else
			return opt_err(err, len,
				       "-device virtio-net-pci: unknown property '%s'.", k);
		if (r < 0)
			return opt_err(err, len,
				       "-device virtio-net-pci: bad value '%s' for '%s'.", val, k);
	}
	return 0;
}
