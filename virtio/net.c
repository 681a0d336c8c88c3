// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <stdio.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "virtio/net.h"
#include "virtio/tap.h"

static bool net_has(const struct net_dev *n, unsigned int bit)
{
	return (n->features >> bit) & 1;
}

static unsigned int net_ctrl_queue(const struct net_dev *n)
{
	return 2 * n->n_pairs;
}

/* One log line per kind of guest mistake (bit @kind), not a flood. */
static void net_log_once(struct net_dev *n, unsigned int kind, const char *what)
{
	if (n->logged & (1u << kind))
		return;
	n->logged |= 1u << kind;
	pr_err("virtio-net %s: %s (dropped; logged once)",
	       n->ifname, what);
}

static void net_config_read(void *dev, unsigned int off, uint8_t *data,
			    unsigned int len)
{
	struct net_dev *n = dev;
	struct virtio_net_config c = { 0 };

	pthread_mutex_lock(&n->lock);
	memcpy(c.mac, n->ctrl.mac, 6);
	c.status = n->status;
	c.max_virtqueue_pairs = n->n_pairs;
	c.mtu = n->opts.mtu;
	pthread_mutex_unlock(&n->lock);
	memcpy(data, (uint8_t *)&c + off, len);
}

static void net_config_write(void *dev, unsigned int off, const uint8_t *data,
			     unsigned int len)
{
	struct net_dev *n = dev;

	/* Drivers without CTRL_MAC_ADDR set the MAC here; nothing else in
	 * the config space is theirs. */
	if (off + len > 6)
		return;
	pthread_mutex_lock(&n->lock);
	memcpy(n->ctrl.mac + off, data, len);
	pthread_mutex_unlock(&n->lock);
}

/* Called with n->lock held. */
static void net_set_polling(struct net_pair *p, bool on)
{
	struct net_dev *n = p->n;

	if (p->polling == on || p->fd < 0)
		return;
	p->polling = on;
	if (n->vp.host.io && p->watch >= 0 &&
	    evloop_set_events(n->vp.host.io, p->watch, on ? EPOLLIN : 0) < 0)
		pr_warn("%s: cannot %s watching the tap", n->ifname,
			on ? "start" : "stop");
}

/* The tap went away (link deleted on the host): link down, stop reading. */
static void net_link_down(struct net_dev *n, struct net_pair *p, int err)
{
	bool was_up = n->status & VIRTIO_NET_S_LINK_UP;

	net_set_polling(p, false);
	close(p->fd);
	p->fd = -1;
	n->status &= ~VIRTIO_NET_S_LINK_UP;
	if (was_up)
		pr_err("virtio-net %s: the tap failed (%s): link down",
		       n->ifname, strerror(err));
}

/* The guest's buffers taken for one frame: p->iov, p->heads, p->caps. */
struct net_rx_bufs {
	unsigned int nchains, niov;
	uint64_t cap;
};

/*
 * Take buffers until the largest frame fits (one chain without
 * MRG_RXBUF: its size is the driver's promise). 0, also when the ring
 * ran dry; -EINVAL when the driver broke a rule, *@taken when the bad
 * chain was popped too.
 */
static int net_rx_take(struct net_dev *n, struct net_pair *p, struct virtq *vq,
		       size_t need, struct net_rx_bufs *b, bool *taken)
{
	bool mrg = net_has(n, VIRTIO_NET_F_MRG_RXBUF);

	*b = (struct net_rx_bufs){ 0 };
	*taken = false;
	while (b->cap < need && b->nchains < VIRTQ_MAX_SIZE) {
		int r = virtq_pop(vq, &p->chain);

		if (r <= 0)
			return r;
		/* (One iovec is kept for the overflow byte.) */
		if (p->chain.n_out || !p->chain.in_len ||
		    b->niov + p->chain.n_in >= VIRTQ_MAX_SIZE) {
			*taken = true;
			return -EINVAL;
		}
		memcpy(&p->iov[b->niov], p->chain.iov,
		       p->chain.n_in * sizeof(struct iovec));
		b->niov += p->chain.n_in;
		p->heads[b->nchains] = p->chain.head;
		p->caps[b->nchains] = p->chain.in_len > UINT32_MAX ?
				      UINT32_MAX : p->chain.in_len;
		b->cap += p->chain.in_len;
		b->nchains++;
		if (!mrg)
			break;
	}
	return 0;
}

/*
 * One frame from the tap into the @niov buffers taken. A tap hands over
 * what fits and drops the rest of a frame silently; one byte of ours
 * after the guest's buffers tells a frame that did not fit, which the
 * caller then drops whole (as a NIC drops a frame over its MTU), not
 * delivered cut. Returns readv()'s result, header included.
 */
static ssize_t net_rx_read(struct net_dev *n, struct net_pair *p,
			   unsigned int niov)
{
	/* No header from the tap: ours is all zeroes. */
	static const uint8_t zero[NET_HDR_LEN];
	struct iovec sh[VIRTQ_MAX_SIZE + 1];
	size_t skip = NET_HDR_LEN;
	unsigned int m = 0;
	ssize_t len;

	p->iov[niov] = (struct iovec){ &p->overflow, 1 };
	if (n->opts.vnet_hdr)
		return readv(p->fd, p->iov, niov + 1);
	virtq_buf_to_iov(p->iov, niov, 0, zero, sizeof(zero));
	for (unsigned int i = 0; i <= niov; i++) {
		if (skip >= p->iov[i].iov_len) {
			skip -= p->iov[i].iov_len;
			continue;
		}
		sh[m].iov_base = (uint8_t *)p->iov[i].iov_base + skip;
		sh[m++].iov_len = p->iov[i].iov_len - skip;
		skip = 0;
	}
	len = readv(p->fd, sh, m);
	return len > 0 ? len + (ssize_t)NET_HDR_LEN : len;
}

/* A frame of @len bytes is in the buffers: tell the driver how many
 * chains it filled (num_buffers, written before the used entries make
 * it visible), hand those back used and the rest unused. */
static void net_rx_deliver(struct virtq *vq, struct net_pair *p,
			   const struct net_rx_bufs *b, size_t len)
{
	uint64_t cap = 0;
	unsigned int k;
	uint16_t nb;

	for (k = 0; k < b->nchains && cap < len; k++)
		cap += p->caps[k];
	nb = k;
	virtq_buf_to_iov(p->iov, b->niov, offsetof(struct virtio_net_hdr_v1,
		num_buffers), &nb, sizeof(nb));
	for (unsigned int i = 0, left = len; i < k; i++) {
		uint32_t take = left < p->caps[i] ? left : p->caps[i];

		virtq_push(vq, p->heads[i], take);
		left -= take;
	}
	virtq_unpop(vq, b->nchains - k);
}

/*
 * Receive frames on pair @p until the tap is empty or the guest's
 * buffers run out. Returns whether anything was delivered; *@down is
 * set when the link went down, *@bad when the driver broke a rule.
 * Locked.
 */
static bool net_rx_locked(struct net_dev *n, struct net_pair *p, bool *down,
			  const char **bad)
{
	struct virtq *vq = &n->vp.queues[2 * p->idx].vq;
	bool mrg = net_has(n, VIRTIO_NET_F_MRG_RXBUF);
	size_t need = net_rx_need(n->features, n->opts.mtu);
	bool any = false;

	if (p->fd < 0 || !virtio_pci_queue_live(&n->vp, 2 * p->idx) ||
	    p->idx >= n->ctrl.pairs) {
		net_set_polling(p, false);
		return false;
	}
	for (unsigned int budget = 256; budget; budget--) {
		struct net_rx_bufs b;
		bool taken;
		ssize_t len;

		if (net_rx_take(n, p, vq, need, &b, &taken) < 0) {
			virtq_unpop(vq, b.nchains + taken);
			*bad = taken ? "RX chain with readable buffers or too many descriptors" :
				       "malformed RX descriptor chain";
			net_set_polling(p, false);
			return any;
		}
		if (!b.nchains || (mrg && b.cap < need) || b.cap <= NET_HDR_LEN) {
			/* Out of buffers: ask for a kick on the next new one
			 * (before giving back those we hold, so that avail_event
			 * points past them), and stop watching the tap until it
			 * comes, unless buffers came meanwhile. */
			bool more = virtq_enable_kicks(vq);

			virtq_unpop(vq, b.nchains);
			if (more)
				continue;
			net_set_polling(p, false);
			return any;
		}
		len = net_rx_read(n, p, b.niov);
		if (len <= 0) {
			/* A tap never reads 0: end of file means it is gone. */
			int e = len ? errno : EPIPE;

			virtq_unpop(vq, b.nchains);
			if (e == EAGAIN || e == EINTR)
				return any;
			net_link_down(n, p, e);
			*down = true;
			return any;
		}
		if ((size_t)len <= NET_HDR_LEN || (uint64_t)len > b.cap) {
			/* Empty, or larger than the buffers: dropped, and the
			 * buffers stay the guest's. */
			virtq_unpop(vq, b.nchains);
			n->rx_dropped++;
			continue;
		}
		net_rx_deliver(vq, p, &b, len);
		n->rx_frames++;
		any = true;
	}
	return any;
}

struct net_rx_ctx {
	struct net_dev *n;
	struct net_pair *p;
	bool from_kick;
};

/* Under the transport lock (virtio_pci_locked()). */
static void net_rx_cb(void *ctx)
{
	struct net_rx_ctx *x = ctx;
	struct net_dev *n = x->n;
	struct net_pair *p = x->p;
	const char *bad = NULL;
	bool down = false;

	pthread_mutex_lock(&n->lock);
	if (x->from_kick && p->idx < n->ctrl.pairs)
		net_set_polling(p, true);
	net_rx_locked(n, p, &down, &bad);
	pthread_mutex_unlock(&n->lock);
	if (bad)
		virtio_pci_set_needs_reset_locked(&n->vp, bad);
	if (down)
		virtio_pci_notify_config_locked(&n->vp);
}

static void net_rx(struct net_dev *n, struct net_pair *p, bool from_kick)
{
	struct net_rx_ctx x = { n, p, from_kick };

	virtio_pci_locked(&n->vp, net_rx_cb, &x);
}

/* The tap is readable, or failed: watched for input only while the
 * guest has receive buffers, but an error (the tap deleted) is reported
 * either way and must take the link down even with no buffers. */
void net_rx_ready(void *ctx)
{
	struct net_pair *p = ctx;
	struct net_dev *n = p->n;
	bool down = false, polling;

	pthread_mutex_lock(&n->lock);
	polling = p->polling;
	if (!polling && p->fd >= 0) {
		struct pollfd pf = { .fd = p->fd };

		if (poll(&pf, 1, 0) == 1 && (pf.revents & (POLLERR | POLLHUP))) {
			net_link_down(n, p, EBADFD);
			down = true;
		}
	}
	pthread_mutex_unlock(&n->lock);
	if (down)
		virtio_pci_notify_config(&n->vp);
	else if (polling)
		net_rx(n, p, false);
}

static void net_tap_ready(void *ctx, uint32_t events)
{
	net_rx_ready(ctx);
}

/* One TX chain: the checked header and the frame go to the tap in one
 * writev. Under the transport lock (virtio_pci_serve()). */
static int net_tx_chain(void *dev, unsigned int q, struct virtq *vq,
			struct virtq_chain *c, const char **why)
{
	struct net_dev *n = dev;
	struct net_pair *p = &n->pairs[q / 2];
	enum net_tx_verdict v;
	unsigned int niov;
	ssize_t w;

	pthread_mutex_lock(&n->lock);
	v = net_tx_check_hdr(c, n->features, &n->tx_hdr);
	if (v != NET_TX_OK) {
		net_log_once(n, v, net_tx_verdict_str(v));
		n->tx_dropped++;
		virtq_push(vq, c->head, 0);
		pthread_mutex_unlock(&n->lock);
		return 0;
	}
	/* The checked copy of the header, then the frame straight from
	 * guest memory (no header without vnet_hdr). */
	niov = net_tx_iov(c, &n->tx_hdr, n->opts.vnet_hdr, n->tx_iov);
	w = p->fd >= 0 && niov ? writev(p->fd, n->tx_iov, niov) : 0;
	if (w < 0) {
		/* A full tap queue or a downed interface drops the frame, as
		 * a real NIC's wire would. */
		if (errno != EAGAIN && errno != ENOBUFS && errno != EIO)
			net_log_once(n, 16, strerror(errno));
		n->tx_dropped++;
	} else {
		n->tx_frames++;
	}
	virtq_push(vq, c->head, 0);
	pthread_mutex_unlock(&n->lock);
	return 0;
}

/* Attach the first @pairs tap queues and detach the rest. Locked. */
static void net_apply_pairs(struct net_dev *n)
{
	for (unsigned int i = 0; n->opts.n_fds > 1 && i < n->n_pairs; i++) {
		struct net_pair *p = &n->pairs[i];

		bool detach = i >= n->ctrl.pairs;

		/* The kernel refuses to attach an attached queue (or detach a
		 * detached one): only changes go to the tap. */
		if (p->fd >= 0 && detach != p->detached) {
			if (tap_set_queue(p->fd, !detach) == 0)
				p->detached = detach;
			else if (!detach)
				pr_warn("virtio-net: cannot attach tap queue %u", i);
		}
		net_set_polling(p, i < n->ctrl.pairs &&
				n->vp.queues[2 * i].vq.enabled);
	}
}

/* One control command. Under the transport lock (virtio_pci_serve()). */
static int net_ctrl_chain(void *dev, unsigned int q, struct virtq *vq,
			  struct virtq_chain *c, const char **bad)
{
	struct net_dev *n = dev;
	uint8_t *data = n->ctrl_data;
	struct iovec *last;
	uint8_t hdr[2], st = VIRTIO_NET_ERR;
	const char *why = "control command shorter than its header";

	if (!c->n_in) {
		*bad = "control command without a writable ack byte";
		return -EINVAL;
	}
	last = &c->iov[c->n_out + c->n_in - 1];
	pthread_mutex_lock(&n->lock);
	if (virtq_iov_to_buf(c->iov, c->n_out, 0, hdr, 2) == 2) {
		size_t len = c->out_len - 2;

		why = "control command data too long";
		if (len <= sizeof(n->ctrl_data)) {
			virtq_iov_to_buf(c->iov, c->n_out, 2, data, len);
			st = net_ctrl_run(&n->ctrl, hdr[0], hdr[1], data, len, &why);
		}
	}
	if (st != VIRTIO_NET_OK)
		pr_warn_rl(&n->vp.log_rl, "virtio-net: control class %u command %u refused: %s",
			   hdr[0], hdr[1], why);
	if (n->ctrl.pairs_changed) {
		n->ctrl.pairs_changed = false;
		net_apply_pairs(n);
	}
	((uint8_t *)last->iov_base)[last->iov_len - 1] = st;
	virtq_push(vq, c->head, 1);
	pthread_mutex_unlock(&n->lock);
	return 0;
}

static void net_queue_notify(void *dev, unsigned int q)
{
	struct net_dev *n = dev;

	if (q == net_ctrl_queue(n))
		virtio_pci_serve(&n->vp, q, &n->txc, net_ctrl_chain, n);
	else if (q < net_ctrl_queue(n) && (q & 1))
		virtio_pci_serve(&n->vp, q, &n->txc, net_tx_chain, n);
	else if (q < net_ctrl_queue(n))
		net_rx(n, &n->pairs[q / 2], true);
}

static void net_activate(void *dev)
{
	struct net_dev *n = dev;
	unsigned int off;

	pthread_mutex_lock(&n->lock);
	n->features = n->vp.driver_features;
	n->ctrl.features = n->features;
	n->ctrl.pairs = 1;          /* until VQ_PAIRS_SET, as the spec says */
	off = net_tap_offloads(n->features);
	for (unsigned int i = 0; n->opts.vnet_hdr && i < n->n_pairs; i++)
		if (n->pairs[i].fd >= 0 && tap_set_offload(n->pairs[i].fd, off) < 0)
			pr_warn_rl(&n->vp.log_rl, "virtio-net: the tap refused offloads %#x", off);
	net_apply_pairs(n);
	pthread_mutex_unlock(&n->lock);
}

static int net_reset(void *dev)
{
	struct net_dev *n = dev;

	pthread_mutex_lock(&n->lock);
	n->features = 0;
	n->ctrl.features = 0;
	n->ctrl.pairs = 1;
	for (unsigned int i = 0; i < n->n_pairs; i++) {
		net_set_polling(&n->pairs[i], false);
		if (n->opts.vnet_hdr && n->pairs[i].fd >= 0)
			tap_set_offload(n->pairs[i].fd, 0);
	}
	pthread_mutex_unlock(&n->lock);
	return 0;
}

int net_init(struct net_dev *n, const struct guestmem *gm,
	     const struct net_opts *o, const struct virtio_pci_host *host)
{
	uint64_t f = (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS) |
		     (1ULL << VIRTIO_NET_F_MRG_RXBUF) | (1ULL << VIRTIO_NET_F_CTRL_VQ) |
		     (1ULL << VIRTIO_NET_F_CTRL_RX) | (1ULL << VIRTIO_NET_F_CTRL_MAC_ADDR);
	int r;

	memset(n, 0, sizeof(*n));
	pthread_mutex_init(&n->lock, NULL);
	n->gm = gm;
	n->opts = *o;
	n->n_pairs = o->mq && o->n_fds > 1 ? o->n_fds : 1;
	if (!o->n_fds || o->n_fds > NET_MAX_PAIRS)
		return -EINVAL;
	n->pairs = calloc(o->n_fds, sizeof(*n->pairs));
	if (!n->pairs)
		return -ENOMEM;
	for (unsigned int i = 0; i < o->n_fds; i++)
		n->pairs[i] = (struct net_pair){ .n = n, .idx = i,
						 .fd = o->fds[i], .watch = -1 };
	memcpy(n->ctrl.mac, o->mac, 6);
	n->ctrl.max_pairs = n->n_pairs;
	n->ctrl.pairs = 1;
	n->status = VIRTIO_NET_S_LINK_UP;
	snprintf(n->ifname, sizeof(n->ifname), "tap");
	if (n->n_pairs > 1)
		f |= 1ULL << VIRTIO_NET_F_MQ;
	if (o->mtu)
		f |= 1ULL << VIRTIO_NET_F_MTU;
	/* Offloads need the tap's virtio-net header to carry them. */
	if (o->vnet_hdr)
		f |= (1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |
		     (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) |
		     (1ULL << VIRTIO_NET_F_HOST_ECN) | (1ULL << VIRTIO_NET_F_HOST_UFO) |
		     (1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) |
		     (1ULL << VIRTIO_NET_F_GUEST_ECN);
	n->ops = (struct virtio_dev_ops){
		.device_id = VIRTIO_ID_NET,
		.class_code = 0x020000,       /* network, Ethernet */
		.features = f,
		.num_queues = 2 * n->n_pairs + 1,
		.max_queue_size = o->queue_size ? o->queue_size : 256,
		.config_len = offsetof(struct virtio_net_config, speed),
		.config_read = net_config_read,
		.config_write = net_config_write,
		.queue_notify = net_queue_notify,
		.activate = net_activate,
		.reset = net_reset,
	};
	r = virtio_pci_init(&n->vp, &n->ops, n, gm, host, "virtio-net");
	/* Each tap is served by the device's own I/O thread; not watched for
	 * input until the guest has posted receive buffers. */
	for (unsigned int i = 0; r == 0 && host && host->io && i < o->n_fds; i++) {
		r = evloop_add_fd(host->io, n->pairs[i].fd, 0, net_tap_ready,
				  &n->pairs[i]);
		n->pairs[i].watch = r;
		r = r < 0 ? r : 0;
	}
	return r;
}

void net_exit(struct net_dev *n)
{
	for (unsigned int i = 0; n->pairs && i < n->opts.n_fds; i++)
		if (n->pairs[i].fd >= 0)
			close(n->pairs[i].fd);
	free(n->pairs);
	n->pairs = NULL;
}
