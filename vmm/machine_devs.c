// SPDX-License-Identifier: MIT
/*
 * The virtio devices the command line asked for, each set up and put on
 * the machine's list (struct machine_dev): its transport on PCI bus 0,
 * its I/O thread with the KVM fast paths, and how it is reported and
 * freed. machine.c starts, stops and frees whatever is on the list.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "virtio/tap.h"
#include "boot/aml.h"
#include "boot/layout.h"
#include "vmm/machine.h"

/* Put a virtio device on PCI bus 0 with its INTA# wired as the DSDT's
 * _PRT says; one sentence naming @what when the slot or BAR space is not
 * there. */
static int machine_plug_virtio(struct machine *m, struct machine_dev *d,
			       int slot, char *err, size_t errlen)
{
	struct virtio_pci *vp = d->vp;
	int r, gsi;

	r = pci_bus_add_device(&m->pci, &vp->pci, slot);
	if (r == -EBUSY)
		return machine_err(err, errlen, r, "-device %s: PCI slot %d is taken.",
				 d->type, slot);
	if (r < 0)
		return machine_err(err, errlen, r,
				 "-device %s: no free PCI slot or BAR space.", d->type);
	gsi = aml_pci_intx_gsi(IRQ_PCI_GSI_BASE, vp->pci.slot, 0);
	vp->pci.cfg[PCI_INTERRUPT_LINE] = gsi;
	virtio_iothread_set_intx(&d->io, gsi, vp->pci.slot);
	return 0;
}

static void machine_free_plain(void *dev)
{
	free(dev);
}

/*
 * One virtio device as the command line gave it: what to allocate, how
 * to build it on the host side it is given (its interrupts, kicks and
 * I/O loop, on which it registers its own fds and timers), and how to
 * report and free it. @init returns 0, or -errno with one sentence in
 * @why (or none: strerror is used); machine_add_dev() names the option.
 */
struct dev_spec {
	const char *type, *id;
	const char *opt;                  /* the option errors name */
	int slot;
	bool ioeventfd, irqfd;
	size_t size;
	int (*init)(struct machine *m, void *dev, const void *arg,
		    const struct virtio_pci_host *host, struct virtio_pci **vp,
		    char *why, size_t whylen);
	const void *arg;
	/* Optional: threads of its own beside its I/O thread (started after
	 * it, stopped after it), one line of figures, and undo + free. */
	int (*start)(void *dev, const struct sandbox *sb);
	void (*stop)(void *dev);
	void (*report)(void *dev);
	void (*free)(void *dev);
};

static int machine_add_dev(struct machine *m, const struct dev_spec *s,
			   struct machine_dev **out, char *err, size_t errlen)
{
	struct virtio_pci_host host;
	struct machine_dev *d;
	char why[256] = "";
	void *dev;
	int r;

	if (m->ndevs == VMM_MAX_DEVICES || !(dev = calloc(1, s->size)))
		return machine_err(err, errlen, -ENOMEM, "%s: out of memory.",
				   s->opt);
	d = &m->devs[m->ndevs++];
	/* Freed plainly until its init ran: then its own free undoes it. */
	*d = (struct machine_dev){ .type = s->type, .id = s->id, .dev = dev,
				   .free = machine_free_plain };
	r = virtio_iothread_init(&d->io, &m->kvm, &m->router, s->ioeventfd,
				 s->irqfd, &host);
	if (r == 0) {
		d->free = s->free;
		r = s->init(m, dev, s->arg, &host, &d->vp, why, sizeof(why));
	}
	if (r == 0)
		r = virtio_iothread_attach(&d->io, d->vp);
	if (r < 0) {
		/* A sentence that names its own option (a -netdev's error
		 * found while building the card) is not prefixed again. */
		machine_err(err, errlen, r, "%s%s%s", why[0] == '-' ? "" : s->opt,
			    why[0] == '-' ? "" : ": ", why[0] ? why : "cannot set it up");
		if (!why[0])
			snprintf(err + strlen(err), errlen - strlen(err), ": %s.",
				 strerror(-r));
		return r;
	}
	d->start = s->start;
	d->stop = s->stop;
	d->report = s->report;
	*out = d;
	return machine_plug_virtio(m, d, s->slot, err, errlen);
}

static int rng_dev_init(struct machine *m, void *dev, const void *arg,
			const struct virtio_pci_host *host,
			struct virtio_pci **vp, char *why, size_t whylen)
{
	struct rng *g = dev;

	*vp = &g->vp;
	return rng_init(g, &m->mem, host);
}

static void rng_dev_report(void *dev)
{
	struct rng *g = dev;

	pr_info("virtio-rng: %" PRIu64 " bytes given to the guest", g->bytes);
}

static int machine_add_rng(struct machine *m, char *err, size_t errlen)
{
	const struct rng_cfg *rc = &m->cfg->rng;
	const struct dev_spec s = {
		.type = "virtio-rng-pci", .id = rc->id,
		.opt = "-device virtio-rng-pci", .slot = rc->slot,
		.ioeventfd = rc->ioeventfd, .irqfd = rc->irqfd,
		.size = sizeof(struct rng), .init = rng_dev_init,
		.report = rng_dev_report, .free = machine_free_plain,
	};
	struct machine_dev *d;
	int r = machine_add_dev(m, &s, &d, err, errlen);

	if (r < 0)
		return r;
	pr_info("virtio-rng-pci at 00:%02x.0 (getrandom)", d->vp->pci.slot);
	return 0;
}

static int balloon_dev_init(struct machine *m, void *dev, const void *arg,
			    const struct virtio_pci_host *host,
			    struct virtio_pci **vp, char *why, size_t whylen)
{
	const struct balloon_cfg *bc = arg;
	const struct balloon_opts o = {
		.deflate_on_oom = bc->deflate_on_oom,
		.free_page_reporting = bc->free_page_reporting,
		.stats_interval = bc->stats_interval,
	};
	struct balloon *b = dev;
	int r = balloon_init(b, &m->mem, &o, host);

	*vp = &b->vp;
	b->actual_changed = machine_balloon_actual_changed;
	b->ctx = m;
	return r;
}

static int machine_add_balloon(struct machine *m, char *err, size_t errlen)
{
	const struct balloon_cfg *bc = &m->cfg->balloon;
	const struct dev_spec s = {
		.type = "virtio-balloon-pci", .id = bc->id,
		.opt = "-device virtio-balloon-pci", .slot = bc->slot,
		.ioeventfd = bc->ioeventfd, .irqfd = bc->irqfd,
		.size = sizeof(struct balloon), .init = balloon_dev_init,
		.arg = bc, .free = machine_free_plain,
	};
	struct machine_dev *d;
	int r = machine_add_dev(m, &s, &d, err, errlen);

	if (r < 0)
		return r;
	m->balloon = d->dev;
	pr_info("virtio-balloon-pci at 00:%02x.0 (ioeventfd %s, irqfd %s)",
		d->vp->pci.slot, bc->ioeventfd ? "on" : "off",
		bc->irqfd ? "on" : "off");
	return 0;
}

/* A virtio-net card and, for -netdev user, the stack behind it. */
struct net_card {
	struct net_dev n;
	struct net_user user;
	bool has_user;
};

/* The backend first (a -netdev's own errors), then the device around
 * its fds: it owns them from net_init() on. */
static int net_dev_init(struct machine *m, void *dev, const void *arg,
			const struct virtio_pci_host *host,
			struct virtio_pci **vp, char *why, size_t whylen)
{
	const struct net_cfg *nc = arg;
	const struct netdev_cfg *dc = &m->cfg->netdevs[nc->netdev];
	struct net_opts o = {
		.n_fds = dc->queues, .vnet_hdr = dc->vnet_hdr, .mq = nc->mq,
		.mtu = nc->host_mtu,
	};
	struct net_card *card = dev;
	struct net_dev *n = &card->n;
	char name[IFNAMSIZ];
	int r;

	memcpy(o.mac, nc->mac, 6);
	if (dc->user) {
		card->has_user = true;
		r = net_user_open(&card->user, &dc->user_opts, &o.fds[0], why,
				  whylen);
		snprintf(name, sizeof(name), "user");
	} else if (dc->fd >= 0) {
		r = tap_adopt(dc->fd, dc->vnet_hdr, name, why, whylen);
		o.fds[0] = dc->fd;
	} else {
		r = tap_open(dc->ifname, dc->queues, dc->vnet_hdr, o.fds, name,
			     why, whylen);
	}
	if (r < 0) {
		/* The error is the -netdev's, not the device's. */
		char tmp[256];

		snprintf(tmp, sizeof(tmp), "-netdev %s,id=%s: %s",
			 dc->user ? "user" : "tap", dc->id, why);
		snprintf(why, whylen, "%s", tmp);
		return r;
	}
	*vp = &n->vp;
	r = net_init(n, &m->mem, &o, host);
	snprintf(n->ifname, sizeof(n->ifname), "%s", name);
	return r;
}

static int net_dev_start(void *dev, const struct sandbox *sb)
{
	struct net_card *card = dev;

	return card->has_user ? net_user_start(&card->user, sb) : 0;
}

static void net_dev_stop(void *dev)
{
	struct net_card *card = dev;

	if (card->has_user)
		net_user_close(&card->user);
}

static void net_dev_free(void *dev)
{
	struct net_card *card = dev;

	net_dev_stop(card);
	net_exit(&card->n);
	free(card);
}

static void net_dev_report(void *dev)
{
	struct net_card *card = dev;
	struct net_dev *n = &card->n;

	pr_info("%s: %lu frames sent, %lu received, %lu/%lu dropped",
		n->vp.pci.name, n->tx_frames, n->rx_frames, n->tx_dropped,
		n->rx_dropped);
	if (card->has_user)
		pr_info("%s: user network: %lu frames to the guest, %lu from it, %lu dropped",
			n->vp.pci.name, card->user.frames_to_guest,
			card->user.frames_from_guest, card->user.dropped);
}

static int machine_add_net(struct machine *m, unsigned int i, char *err,
			   size_t errlen)
{
	const struct net_cfg *nc = &m->cfg->nets[i];
	const struct netdev_cfg *dc = &m->cfg->netdevs[nc->netdev];
	const struct dev_spec s = {
		.type = "virtio-net-pci", .id = nc->id,
		.opt = "-device virtio-net-pci", .slot = nc->slot,
		.ioeventfd = nc->ioeventfd, .irqfd = nc->irqfd,
		.size = sizeof(struct net_card), .init = net_dev_init, .arg = nc,
		.start = net_dev_start, .stop = net_dev_stop,
		.report = net_dev_report, .free = net_dev_free,
	};
	struct machine_dev *d;
	struct net_dev *n;
	int r;

	/* QEMU would run /etc/qemu-ifup here; say that we do not. */
	if (!dc->user && dc->fd < 0 && !dc->script_given)
		pr_warn("-netdev tap,id=%s: no script= given; vmm runs no /etc/qemu-ifup (as script=no): bring the tap up yourself",
			dc->id);
	r = machine_add_dev(m, &s, &d, err, errlen);
	if (r < 0)
		return r;
	n = &((struct net_card *)d->dev)->n;
	pr_info("virtio-net-pci at 00:%02x.0: %s '%s', mac %02x:%02x:%02x:%02x:%02x:%02x, %u queue pair%s%s",
		n->vp.pci.slot, dc->user ? "netdev" : "tap",
		dc->user ? "user" : n->ifname, nc->mac[0], nc->mac[1], nc->mac[2],
		nc->mac[3], nc->mac[4], nc->mac[5], n->n_pairs,
		n->n_pairs > 1 ? "s" : "", dc->vnet_hdr ? ", offloads" : "");
	return 0;
}

static int blk_dev_init(struct machine *m, void *dev, const void *arg,
			const struct virtio_pci_host *host,
			struct virtio_pci **vp, char *why, size_t whylen)
{
	const struct blk_cfg *bc = arg;
	const struct drive_cfg *dc = &m->cfg->drives[bc->drive];
	const struct blk_opts o = {
		.path = dc->file, .read_only = dc->read_only,
		.cache = dc->cache, .discard = dc->discard, .aio = dc->aio,
		.serial = bc->serial, .queue_size = bc->queue_size,
		.num_queues = bc->num_queues,
		.logical_block_size = bc->logical_block_size,
		.physical_block_size = bc->physical_block_size,
		.sandbox = &m->sandbox, .format_raw = dc->format_raw,
		.snapshot = dc->snapshot,
	};
	struct blk_dev *b = dev;

	*vp = &b->vp;
	return blk_init(b, &m->mem, &o, host, why, whylen);
}

static void blk_dev_free(void *dev)
{
	blk_exit(dev);
	free(dev);
}

static int machine_add_blk(struct machine *m, unsigned int i, char *err,
			   size_t errlen)
{
	const struct blk_cfg *bc = &m->cfg->blks[i];
	const struct drive_cfg *dc = &m->cfg->drives[bc->drive];
	char opt[64];
	const struct dev_spec s = {
		.type = "virtio-blk-pci", .id = bc->id, .opt = opt,
		.slot = bc->slot, .ioeventfd = bc->ioeventfd, .irqfd = bc->irqfd,
		.size = sizeof(struct blk_dev), .init = blk_dev_init, .arg = bc,
		.free = blk_dev_free,
	};
	struct machine_dev *d;
	struct blk_dev *b;
	int r;

	/* What goes wrong here is the drive's: its file, its options. */
	snprintf(opt, sizeof(opt), "-drive%s%s", dc->id ? " id=" : "",
		 dc->id ? dc->id : "");
	r = machine_add_dev(m, &s, &d, err, errlen);
	if (r < 0)
		return r;
	b = d->dev;
	m->blk[i] = b;
	m->nblk = i + 1;
	pr_info("virtio-blk-pci at 00:%02x.0: '%s', %" PRIu64 " sectors, %u queue%s, %s%s",
		b->vp.pci.slot, dc->file, b->geo.capacity, b->nq,
		b->nq > 1 ? "s" : "", b->engine->name,
		dc->read_only ? ", read-only" : "");
	return 0;
}

/* The virtio devices, in command-line order: that is slot order. */
int machine_add_virtio(struct machine *m, char *err, size_t errlen)
{
	const struct vm_config *cfg = m->cfg;
	int r = 0;

	for (unsigned int i = 0; r == 0 && i < cfg->npci; i++) {
		switch (cfg->pci_order[i].kind) {
		case PCI_NET:
			r = machine_add_net(m, cfg->pci_order[i].index, err, errlen);
			break;
		case PCI_BALLOON:
			r = machine_add_balloon(m, err, errlen);
			break;
		case PCI_RNG:
			r = machine_add_rng(m, err, errlen);
			break;
		default:
			r = machine_add_blk(m, cfg->pci_order[i].index, err, errlen);
			break;
		}
	}
	return r;
}
