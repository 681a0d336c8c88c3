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
#include "vmm/aml.h"
#include "vmm/layout.h"
#include "vmm/machine.h"

static void balloon_tick(void *ctx)
{
	balloon_request_stats(ctx);
}

/* Put a virtio device on PCI bus 0 with its INTA# wired as the DSDT's
 * _PRT says; one sentence naming @what when the slot or BAR space is not
 * there. */
static int machine_plug_virtio(struct machine *m, struct virtio_pci *vp,
			       struct virtio_kvm *vk, int slot, const char *what,
			       char *err, size_t errlen)
{
	int r, gsi;

	r = pci_bus_add_device(&m->pci, &vp->pci, slot);
	if (r == -EBUSY)
		return machine_err(err, errlen, r, "-device %s: PCI slot %d is taken.",
				 what, slot);
	if (r < 0)
		return machine_err(err, errlen, r,
				 "-device %s: no free PCI slot or BAR space.", what);
	gsi = aml_pci_intx_gsi(IRQ_PCI_GSI_BASE, vp->pci.slot, 0);
	vp->pci.cfg[PCI_INTERRUPT_LINE] = gsi;
	virtio_kvm_set_intx(vk, gsi, vp->pci.slot);
	return 0;
}

/* The next entry of m->devs: @dev (already allocated) of @type. The
 * entry owns @dev from here on, also when its set-up fails. */
static struct machine_dev *machine_new_dev(struct machine *m, const char *type,
					   const char *id, void *dev,
					   void (*free_fn)(void *))
{
	struct machine_dev *d;

	if (m->ndevs == VMM_MAX_DEVICES) {
		free(dev);              /* not set up yet: nothing to undo */
		return NULL;
	}
	d = &m->devs[m->ndevs++];
	*d = (struct machine_dev){ .type = type, .id = id, .dev = dev,
				   .free = free_fn };
	return d;
}

static void machine_free_plain(void *dev)
{
	free(dev);
}

static void machine_free_blk(void *dev)
{
	blk_exit(dev);
	free(dev);
}

static void machine_free_net(void *dev)
{
	net_exit(dev);
	free(dev);
}

static void machine_report_rng(void *dev)
{
	struct rng *g = dev;

	pr_info("virtio-rng: %" PRIu64 " bytes given to the guest", g->bytes);
}

static void machine_report_net(void *dev)
{
	struct net_dev *n = dev;

	pr_info("%s: %lu frames sent, %lu received, %lu/%lu dropped",
		n->vp.pci.name, n->tx_frames, n->rx_frames, n->tx_dropped,
		n->rx_dropped);
}

static int machine_add_rng(struct machine *m, char *err, size_t errlen)
{
	const struct rng_cfg *rc = &m->cfg->rng;
	struct virtio_pci_backend be;
	struct machine_dev *d;
	struct rng *g = calloc(1, sizeof(*g));
	int r;

	d = g ? machine_new_dev(m, "virtio-rng-pci", rc->id, g, machine_free_plain) : NULL;
	if (!d)
		return machine_err(err, errlen, -ENOMEM, "out of memory.");
	virtio_kvm_init(&d->kvm, &m->kvm, &m->router, rc->ioeventfd,
			rc->irqfd, &be);
	r = rng_init(g, &m->mem, &be);
	if (r == 0)
		r = virtio_kvm_attach(&d->kvm, &g->vp);
	if (r < 0)
		return machine_err(err, errlen, r,
				 "-device virtio-rng-pci: cannot set it up: %s.",
				 strerror(-r));
	d->vp = &g->vp;
	d->report = machine_report_rng;
	r = machine_plug_virtio(m, &g->vp, &d->kvm, rc->slot,
				"virtio-rng-pci", err, errlen);
	if (r == 0)
		pr_info("virtio-rng-pci at 00:%02x.0 (getrandom)", g->vp.pci.slot);
	return r;
}

static int machine_add_balloon(struct machine *m, char *err, size_t errlen)
{
	const struct balloon_cfg *bc = &m->cfg->balloon;
	struct balloon_opts o = {
		.deflate_on_oom = bc->deflate_on_oom,
		.free_page_reporting = bc->free_page_reporting,
		.stats_interval = bc->stats_interval,
	};
	struct virtio_pci_backend be;
	struct machine_dev *d;
	struct balloon *b = calloc(1, sizeof(*b));
	int r;

	d = b ? machine_new_dev(m, "virtio-balloon-pci", bc->id, b, machine_free_plain) : NULL;
	if (!d)
		return machine_err(err, errlen, -ENOMEM, "out of memory.");
	virtio_kvm_init(&d->kvm, &m->kvm, &m->router, bc->ioeventfd,
			bc->irqfd, &be);
	r = balloon_init(b, &m->mem, &o, &be);
	if (r == 0)
		r = virtio_kvm_attach(&d->kvm, &b->vp);
	if (r < 0)
		return machine_err(err, errlen, r,
				 "-device virtio-balloon-pci: cannot set it up: %s.",
				 strerror(-r));
	d->vp = &b->vp;
	m->balloon = b;
	m->balloon_kvm = &d->kvm;
	r = machine_plug_virtio(m, &b->vp, &d->kvm, bc->slot, "virtio-balloon-pci",
				err, errlen);
	if (r < 0)
		return r;
	d->kvm.tick = balloon_tick;
	d->kvm.tick_ctx = b;
	m->balloon->actual_changed = machine_balloon_actual_changed;
	m->balloon->ctx = m;
	m->stats_interval = bc->stats_interval;
	if (bc->stats_interval)
		virtio_kvm_set_tick(&d->kvm, bc->stats_interval);
	pr_info("virtio-balloon-pci at 00:%02x.0 (ioeventfd %s, irqfd %s)",
		m->balloon->vp.pci.slot, bc->ioeventfd ? "on" : "off",
		bc->irqfd ? "on" : "off");
	return 0;
}

/* virtio-net asks to (not) watch a tap in its device's I/O thread. */
static int machine_net_rx_poll(void *ctx, int watch, bool on)
{
	return virtio_kvm_watch_enable(ctx, watch, on);
}

static int machine_add_net(struct machine *m, unsigned int i, char *err,
			   size_t errlen)
{
	const struct net_cfg *nc = &m->cfg->nets[i];
	const struct netdev_cfg *dc = &m->cfg->netdevs[nc->netdev];
	struct net_opts o = {
		.n_fds = dc->queues, .vnet_hdr = dc->vnet_hdr, .mq = nc->mq,
		.mtu = nc->host_mtu,
	};
	struct virtio_kvm *vk;
	struct virtio_pci_backend be;
	struct machine_dev *d;
	char name[IFNAMSIZ];
	struct net_dev *n;
	int r;

	memcpy(o.mac, nc->mac, 6);
	/* QEMU would run /etc/qemu-ifup here; say that we do not. */
	if (dc->fd < 0 && !dc->script_given)
		pr_warn("-netdev tap,id=%s: no script= given; vmm runs no /etc/qemu-ifup (as script=no): bring the tap up yourself",
			dc->id);
	if (dc->fd >= 0) {
		r = tap_adopt(dc->fd, dc->vnet_hdr, name, err, errlen);
		o.fds[0] = dc->fd;
	} else {
		r = tap_open(dc->ifname, dc->queues, dc->vnet_hdr, o.fds, name,
			     err, errlen);
	}
	if (r < 0)
		return r;
	n = calloc(1, sizeof(*n));
	d = n ? machine_new_dev(m, "virtio-net-pci", nc->id, n, machine_free_net) : NULL;
	if (!d) {
		for (unsigned int q = 0; q < o.n_fds; q++)
			close(o.fds[q]);
		return machine_err(err, errlen, -ENOMEM, "out of memory.");
	}
	vk = &d->kvm;
	virtio_kvm_init(vk, &m->kvm, &m->router, nc->ioeventfd, nc->irqfd,
			&be);
	r = net_init(n, &m->mem, &o, &be);
	snprintf(n->ifname, sizeof(n->ifname), "%s", name);
	if (r == 0)
		r = virtio_kvm_attach(vk, &n->vp);
	for (unsigned int q = 0; r >= 0 && q < o.n_fds; q++) {
		r = virtio_kvm_watch_fd(vk, o.fds[q], net_rx_ready, &n->pairs[q]);
		n->pairs[q].watch = r;
		/* Not until the guest has posted receive buffers. */
		if (r >= 0)
			r = virtio_kvm_watch_enable(vk, r, false);
	}
	n->rx_poll = machine_net_rx_poll;
	n->rx_poll_ctx = vk;
	if (r < 0)
		return machine_err(err, errlen, r,
				 "-device virtio-net-pci: cannot set it up: %s.",
				 strerror(-r));
	d->vp = &n->vp;
	d->report = machine_report_net;
	r = machine_plug_virtio(m, &n->vp, vk, nc->slot, "virtio-net-pci", err, errlen);
	if (r < 0)
		return r;
	pr_info("virtio-net-pci at 00:%02x.0: tap '%s', mac %02x:%02x:%02x:%02x:%02x:%02x, %u queue pair%s%s",
		n->vp.pci.slot, name, o.mac[0], o.mac[1], o.mac[2], o.mac[3],
		o.mac[4], o.mac[5], n->n_pairs, n->n_pairs > 1 ? "s" : "",
		dc->vnet_hdr ? ", offloads" : "");
	return 0;
}

static int machine_add_blk(struct machine *m, unsigned int i, char *err,
			   size_t errlen)
{
	const struct blk_cfg *bc = &m->cfg->blks[i];
	const struct drive_cfg *dc = &m->cfg->drives[bc->drive];
	struct blk_opts o = {
		.path = dc->file, .read_only = dc->read_only,
		.cache = dc->cache, .discard = dc->discard, .aio = dc->aio,
		.serial = bc->serial, .queue_size = bc->queue_size,
		.num_queues = bc->num_queues,
		.logical_block_size = bc->logical_block_size,
		.physical_block_size = bc->physical_block_size,
		.sandbox = &m->sandbox, .format_raw = dc->format_raw,
		.snapshot = dc->snapshot,
	};
	struct virtio_kvm *vk;
	struct virtio_pci_backend be;
	struct machine_dev *d;
	struct blk_dev *b;
	int r;

	b = calloc(1, sizeof(*b));
	if (b)
		b->fd = b->cq_efd = b->image_fd = -1;
	d = b ? machine_new_dev(m, "virtio-blk-pci", bc->id, b, machine_free_blk) : NULL;
	if (!d)
		return machine_err(err, errlen, -ENOMEM, "out of memory.");
	m->blk[i] = b;
	m->nblk = i + 1;
	vk = &d->kvm;
	virtio_kvm_init(vk, &m->kvm, &m->router, bc->ioeventfd, bc->irqfd,
			&be);
	r = blk_init(b, &m->mem, &o, &be, err, errlen);
	if (r < 0)
		return r;
	r = virtio_kvm_attach(vk, &b->vp);
	if (r == 0)
		r = virtio_kvm_watch_fd(vk, b->cq_efd, blk_complete, b);
	if (r < 0)
		return machine_err(err, errlen, r,
				 "-device virtio-blk-pci: cannot set it up: %s.",
				 strerror(-r));
	d->vp = &b->vp;
	r = machine_plug_virtio(m, &b->vp, vk, bc->slot, "virtio-blk-pci", err, errlen);
	if (r < 0)
		return r;
	pr_info("virtio-blk-pci at 00:%02x.0: '%s', %" PRIu64 " sectors, %u queue%s, %s%s",
		b->vp.pci.slot, dc->file, b->geo.capacity, b->nq,
		b->nq > 1 ? "s" : "", b->use_pool ? "aio=threads" : "io_uring",
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
