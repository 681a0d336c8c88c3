// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <time.h>

#include "util/le.h"
#include "util/log.h"
#include "virtio/virtio_pci.h"
#include "virtio/virtio_pci_int.h"


bool virtio_pci_feature(const struct virtio_pci *vp, unsigned int bit)
{
	return bit < 64 && (vp->driver_features >> bit) & 1;
}

static uint16_t msix_ctrl(const struct virtio_pci *vp)
{
	return pci_cfg_get16(&vp->pci, vp->msix_cap + PCI_MSIX_FLAGS);
}

bool virtio_pci_msix_enabled(const struct virtio_pci *vp)
{
	return msix_ctrl(vp) & MSIX_CTRL_ENABLE;
}

static bool msix_masked(const struct virtio_pci *vp, unsigned int vec)
{
	return (msix_ctrl(vp) & MSIX_CTRL_MASKALL) ||
	       (vp->msix[vec].ctrl & MSIX_ENTRY_MASKED);
}

static uint64_t msix_addr(const struct virtio_pci *vp, unsigned int vec)
{
	return (uint64_t)vp->msix[vec].addr_hi << 32 | vp->msix[vec].addr_lo;
}

/* An INTx interrupt is pending: an ISR bit is set and MSI-X is off. */
bool vp_intx_pending(const struct virtio_pci *vp)
{
	return vp->isr && !virtio_pci_msix_enabled(vp);
}

/*
 * INTx follows the ISR: asserted while an interrupt is pending and the
 * command register's Interrupt Disable is clear (PCI 3.0, 6.2.2). Locked.
 */
void vp_update_intx_locked(struct virtio_pci *vp)
{
	bool level = vp_intx_pending(vp) &&
		     !(pci_cfg_get16(&vp->pci, PCI_COMMAND) &
		       PCI_COMMAND_INTX_DISABLE);

	if (level == vp->intx_level)
		return;
	vp->intx_level = level;
	if (vp->host.intx)
		vp->host.intx(vp->host.ctx, level);
}

/* Raise @vec (MSI-X) or the INTx line with ISR bit @isr_bit. Locked. */
static void vp_interrupt(struct virtio_pci *vp, uint16_t vec, uint8_t isr_bit)
{
	if (!virtio_pci_msix_enabled(vp)) {
		vp->isr |= isr_bit;
		vp_update_intx_locked(vp);
		return;
	}
	if (vec == VIRTIO_MSI_NO_VECTOR || vec >= vp->nvectors)
		return;
	if (msix_masked(vp, vec)) {
		vp->pba |= 1u << vec;
		return;
	}
	if (vp->host.msix_fire)
		vp->host.msix_fire(vp->host.ctx, vec, msix_addr(vp, vec),
				 vp->msix[vec].data);
}

/* Deliver what became deliverable after an unmask. Locked. */
void vp_msix_flush_pending(struct virtio_pci *vp)
{
	for (unsigned int v = 0; v < vp->nvectors; v++) {
		if (!(vp->pba & (1u << v)) || msix_masked(vp, v) ||
		    !virtio_pci_msix_enabled(vp))
			continue;
		vp->pba &= ~(1u << v);
		if (vp->host.msix_fire)
			vp->host.msix_fire(vp->host.ctx, v, msix_addr(vp, v),
					 vp->msix[v].data);
	}
}

void vp_msix_update(struct virtio_pci *vp, unsigned int vec)
{
	if (vp->host.msix_update)
		vp->host.msix_update(vp->host.ctx, vec, msix_addr(vp, vec),
				   vp->msix[vec].data,
				   msix_masked(vp, vec) || !virtio_pci_msix_enabled(vp));
}

static void vp_needs_reset_locked(struct virtio_pci *vp, const char *why);

/* A queue the device may serve now. Locked. */
static bool vp_queue_live(const struct virtio_pci *vp, unsigned int q)
{
	return q < vp->ops->num_queues && vp->queues[q].vq.enabled &&
	       (vp->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(vp->status & VIRTIO_CONFIG_S_NEEDS_RESET) && !vp->reset_pending &&
	       (pci_cfg_get16(&vp->pci, PCI_COMMAND) & PCI_COMMAND_MASTER);
}

bool virtio_pci_queue_live(const struct virtio_pci *vp, unsigned int q)
{
	return vp_queue_live(vp, q);
}

/* Queue @q's interrupt, if it may be raised and the driver wants it.
 * The ring is read only while the queue is enabled (a reset may have
 * taken it away). Locked. */
static void vp_notify_queue_locked(struct virtio_pci *vp, unsigned int q)
{
	if (q < vp->ops->num_queues && vp->queues[q].vq.enabled &&
	    (vp->status & VIRTIO_CONFIG_S_DRIVER_OK) && !vp->reset_pending &&
	    virtq_should_notify(&vp->queues[q].vq))
		vp_interrupt(vp, vp->queues[q].msix_vector, 1);
}

void virtio_pci_notify_queue(struct virtio_pci *vp, unsigned int q)
{
	pthread_mutex_lock(&vp->lock);
	vp_notify_queue_locked(vp, q);
	pthread_mutex_unlock(&vp->lock);
}

static void vp_snapshot_used(struct virtio_pci *vp)
{
	for (unsigned int q = 0; q < vp->ops->num_queues; q++)
		vp->used_snap[q] = vp->queues[q].vq.used_idx;
}

/* Interrupts for the queues answered since vp_snapshot_used(). */
static void vp_notify_answered(struct virtio_pci *vp)
{
	for (unsigned int q = 0; q < vp->ops->num_queues; q++)
		if (vp->queues[q].vq.used_idx != vp->used_snap[q])
			vp_notify_queue_locked(vp, q);
}

bool virtio_pci_serve(struct virtio_pci *vp, unsigned int q,
		      struct virtq_chain *c, virtio_chain_fn fn, void *dev)
{
	const char *why = NULL;
	struct virtq *vq;
	bool live;
	int r = 0;

	pthread_mutex_lock(&vp->lock);
	live = vp_queue_live(vp, q);
	if (!live)
		goto out;
	vp_snapshot_used(vp);
	vq = &vp->queues[q].vq;
	virtq_disable_kicks(vq);
again:
	while ((r = virtq_pop(vq, c)) == 1) {
		r = fn(dev, q, vq, c, &why);
		if (r < 0)
			break;
	}
	if (r == 0 && vp_queue_live(vp, q) && virtq_enable_kicks(vq))
		goto again;
	if (r < 0)
		vp_needs_reset_locked(vp, why ? why : "malformed descriptor chain");
	vp_notify_answered(vp);
out:
	pthread_mutex_unlock(&vp->lock);
	return live;
}

void virtio_pci_locked(struct virtio_pci *vp, void (*fn)(void *ctx), void *ctx)
{
	pthread_mutex_lock(&vp->lock);
	vp_snapshot_used(vp);
	fn(ctx);
	vp_notify_answered(vp);
	pthread_mutex_unlock(&vp->lock);
}

static void vp_config_irq_locked(struct virtio_pci *vp)
{
	vp->config_generation++;
	if (vp->status & VIRTIO_CONFIG_S_DRIVER_OK)
		vp_interrupt(vp, vp->msix_config, 2);
}

void virtio_pci_notify_config(struct virtio_pci *vp)
{
	pthread_mutex_lock(&vp->lock);
	vp_config_irq_locked(vp);
	pthread_mutex_unlock(&vp->lock);
}

static void vp_needs_reset_locked(struct virtio_pci *vp, const char *why)
{
	if (vp->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	pr_err("%s (pci %02x.0): %s; device needs reset", vp->pci.name,
	       vp->pci.slot, why);
	vp->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	vp_config_irq_locked(vp);
}

void virtio_pci_set_needs_reset_locked(struct virtio_pci *vp, const char *why)
{
	vp_needs_reset_locked(vp, why);
}

void virtio_pci_notify_config_locked(struct virtio_pci *vp)
{
	vp_config_irq_locked(vp);
}

void virtio_pci_set_needs_reset(struct virtio_pci *vp, const char *why)
{
	pthread_mutex_lock(&vp->lock);
	vp_needs_reset_locked(vp, why);
	pthread_mutex_unlock(&vp->lock);
}

/*
 * A kick goes to the device, which serves the queue through
 * virtio_pci_serve(): whether the queue is live is decided there, under
 * the lock, for every chain (a check here would be stale by the time the
 * device looked: the reset-versus-kick crash). No bus mastering, no DMA:
 * a kick then does nothing.
 */
void virtio_pci_kick(struct virtio_pci *vp, unsigned int q)
{
	if (q < vp->ops->num_queues && vp->ops->queue_notify)
		vp->ops->queue_notify(vp->dev, q);
}

void vp_reset_locked(struct virtio_pci *vp)
{
	vp->reset_pending = false;
	pthread_cond_broadcast(&vp->reset_cond);
	vp->status = 0;
	vp->driver_features = 0;
	vp->dfselect = vp->gfselect = 0;
	vp->queue_select = 0;
	vp->msix_config = VIRTIO_MSI_NO_VECTOR;
	vp->isr = 0;
	vp_update_intx_locked(vp);
	for (unsigned int i = 0; i < vp->ops->num_queues; i++) {
		struct virtio_pci_queue *q = &vp->queues[i];

		virtq_reset(&q->vq, vp->ops->max_queue_size);
		q->size = vp->ops->max_queue_size;
		q->msix_vector = VIRTIO_MSI_NO_VECTOR;
	}
}

/*
 * The driver wrote 0 to device_status. The device drops its queue state;
 * if host I/O is still in flight for it, the reset completes when that
 * I/O is over (virtio_pci_reset_done_locked): until then the status reads
 * as before, no queue is served and nothing is answered, so once the
 * driver reads 0 nothing will touch the memory it had posted.
 */
static void vp_reset_request_locked(struct virtio_pci *vp)
{
	if (vp->reset_pending)
		return;
	vp->reset_pending = true;
	if (!vp->ops->reset || vp->ops->reset(vp->dev) != -EBUSY)
		vp_reset_locked(vp);
}

void virtio_pci_reset_done_locked(struct virtio_pci *vp)
{
	if (vp->reset_pending)
		vp_reset_locked(vp);
}

/*
 * A machine reset: the same as the driver writing 0, and then wait (the
 * lock released) until the device is done with its in-flight I/O, so that
 * nothing it does afterwards lands in the rebooted guest's memory.
 */
int virtio_pci_reset_sync(struct virtio_pci *vp, unsigned int timeout_ms)
{
	struct timespec until;
	int r = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&vp->lock);
	vp_reset_request_locked(vp);
	while (vp->reset_pending && r == 0)
		r = pthread_cond_timedwait(&vp->reset_cond, &vp->lock, &until);
	r = vp->reset_pending ? -ETIMEDOUT : 0;
	pthread_mutex_unlock(&vp->lock);
	return r;
}

static struct virtio_pci_queue *vp_selected(struct virtio_pci *vp)
{
	return vp->queue_select < vp->ops->num_queues ?
	       &vp->queues[vp->queue_select] : NULL;
}

/* The common configuration structure as the driver would read it now. */
static void common_snapshot(struct virtio_pci *vp, uint8_t *b)
{
	struct virtio_pci_queue *q = vp_selected(vp);

	memset(b, 0, sizeof(struct virtio_pci_common_cfg));
	put_le(b + VIRTIO_PCI_COMMON_DFSELECT, vp->dfselect, 4);
	put_le(b + VIRTIO_PCI_COMMON_DF, vp->dfselect < 2 ?
	       (uint32_t)(vp->device_features >> (32 * vp->dfselect)) : 0, 4);
	put_le(b + VIRTIO_PCI_COMMON_GFSELECT, vp->gfselect, 4);
	put_le(b + VIRTIO_PCI_COMMON_GF, vp->gfselect < 2 ?
	       (uint32_t)(vp->driver_features >> (32 * vp->gfselect)) : 0, 4);
	put_le(b + VIRTIO_PCI_COMMON_MSIX, vp->msix_config, 2);
	put_le(b + VIRTIO_PCI_COMMON_NUMQ, vp->ops->num_queues, 2);
	b[VIRTIO_PCI_COMMON_STATUS] = vp->status;
	b[VIRTIO_PCI_COMMON_CFGGENERATION] = vp->config_generation;
	put_le(b + VIRTIO_PCI_COMMON_Q_SELECT, vp->queue_select, 2);
	if (!q)
		return;   /* a queue that does not exist reads as size 0 */
	put_le(b + VIRTIO_PCI_COMMON_Q_SIZE, q->size, 2);
	put_le(b + VIRTIO_PCI_COMMON_Q_MSIX, q->msix_vector, 2);
	put_le(b + VIRTIO_PCI_COMMON_Q_ENABLE, q->vq.enabled, 2);
	put_le(b + VIRTIO_PCI_COMMON_Q_NOFF, vp->queue_select, 2);
	put_le(b + VIRTIO_PCI_COMMON_Q_DESCLO, (uint32_t)q->vq.desc_gpa, 4);
	put_le(b + VIRTIO_PCI_COMMON_Q_DESCHI, (uint32_t)(q->vq.desc_gpa >> 32), 4);
	put_le(b + VIRTIO_PCI_COMMON_Q_AVAILLO, (uint32_t)q->vq.avail_gpa, 4);
	put_le(b + VIRTIO_PCI_COMMON_Q_AVAILHI, (uint32_t)(q->vq.avail_gpa >> 32), 4);
	put_le(b + VIRTIO_PCI_COMMON_Q_USEDLO, (uint32_t)q->vq.used_gpa, 4);
	put_le(b + VIRTIO_PCI_COMMON_Q_USEDHI, (uint32_t)(q->vq.used_gpa >> 32), 4);
}

static uint16_t vp_checked_vector(struct virtio_pci *vp, uint16_t v)
{
	/* A vector we cannot use reads back as NO_VECTOR (4.1.5.1.2). */
	return v < vp->nvectors ? v : VIRTIO_MSI_NO_VECTOR;
}

static void vp_activate_locked(struct virtio_pci *vp)
{
	for (unsigned int i = 0; i < vp->ops->num_queues; i++) {
		struct virtq *vq = &vp->queues[i].vq;

		vq->event_idx = virtio_pci_feature(vp, VIRTIO_RING_F_EVENT_IDX);
		vq->indirect = virtio_pci_feature(vp, VIRTIO_RING_F_INDIRECT_DESC);
	}
}

static void status_write(struct virtio_pci *vp, uint8_t v, bool *activate)
{
	uint8_t old = vp->status;

	if (v == 0) {
		vp_reset_request_locked(vp);
		return;
	}
	if (vp->reset_pending)
		return;   /* the driver must wait for 0 first */
	/* Bits are only ever added; NEEDS_RESET is the device's to set. */
	v = (v | old) & ~VIRTIO_CONFIG_S_NEEDS_RESET;
	v |= old & VIRTIO_CONFIG_S_NEEDS_RESET;
	if ((v & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
		uint64_t extra = vp->driver_features & ~vp->device_features;

		if (extra || !virtio_pci_feature(vp, VIRTIO_F_VERSION_1)) {
			pr_warn_rl(&vp->log_rl, "%s: driver features %#llx refused (%s)",
				vp->pci.name,
				(unsigned long long)vp->driver_features,
				extra ? "not offered" : "no VERSION_1");
			v &= ~VIRTIO_CONFIG_S_FEATURES_OK;
		}
	}
	if ((v & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK)) {
		if (!(v & VIRTIO_CONFIG_S_FEATURES_OK)) {
			vp->status = v & ~VIRTIO_CONFIG_S_DRIVER_OK;
			vp_needs_reset_locked(vp, "DRIVER_OK without FEATURES_OK");
			return;
		}
		vp_activate_locked(vp);
		*activate = true;
	}
	vp->status = v;
}

static void queue_enable(struct virtio_pci *vp, struct virtio_pci_queue *q)
{
	if (q->vq.enabled)
		return;
	/* Enabling before the ring addresses were written is refused. */
	if (!q->vq.desc_gpa || !q->vq.avail_gpa || !q->vq.used_gpa) {
		pr_warn_rl(&vp->log_rl, "%s: queue %u enabled before its addresses were set: ignored",
			vp->pci.name, vp->queue_select);
		return;
	}
	q->vq.size = q->size;
	if (virtq_enable(&q->vq) < 0)
		vp_needs_reset_locked(vp, "queue enabled with rings outside RAM or misaligned");
}

/* A common_cfg register and the one width it is accessed with. */
#define CC(off, len) ((off) | (len) << 8)

static void common_write(struct virtio_pci *vp, unsigned int off,
			 const uint8_t *data, unsigned int len, bool *activate)
{
	struct virtio_pci_queue *q = vp_selected(vp);
	uint32_t v = get_le(data, len);
	bool live = vp->status & VIRTIO_CONFIG_S_DRIVER_OK;
	/* Queue fields are frozen once the queue or the device is live. */
	bool q_writable = q && !q->vq.enabled && !live;
	uint64_t *addr = NULL;

	switch (CC(off, len)) {
	case CC(VIRTIO_PCI_COMMON_DFSELECT, 4):
		vp->dfselect = v;
		return;
	case CC(VIRTIO_PCI_COMMON_GFSELECT, 4):
		vp->gfselect = v;
		return;
	case CC(VIRTIO_PCI_COMMON_GF, 4):
		if (vp->gfselect >= 2 || (vp->status & VIRTIO_CONFIG_S_FEATURES_OK))
			return;
		vp->driver_features &= ~(0xffffffffULL << (32 * vp->gfselect));
		vp->driver_features |= (uint64_t)v << (32 * vp->gfselect);
		return;
	case CC(VIRTIO_PCI_COMMON_MSIX, 2):
		vp->msix_config = vp_checked_vector(vp, v);
		return;
	case CC(VIRTIO_PCI_COMMON_STATUS, 1):
		status_write(vp, v, activate);
		return;
	case CC(VIRTIO_PCI_COMMON_Q_SELECT, 2):
		vp->queue_select = v;
		return;
	case CC(VIRTIO_PCI_COMMON_Q_SIZE, 2):
		if (!q_writable)
			return;
		if (v == 0 || (v & (v - 1)) || v > vp->ops->max_queue_size) {
			pr_warn_rl(&vp->log_rl, "%s: queue %u size %u refused (max %u)", vp->pci.name,
				vp->queue_select, v, vp->ops->max_queue_size);
			return;
		}
		q->size = v;
		return;
	case CC(VIRTIO_PCI_COMMON_Q_MSIX, 2):
		if (q)
			q->msix_vector = vp_checked_vector(vp, v);
		return;
	case CC(VIRTIO_PCI_COMMON_Q_ENABLE, 2):
		if (q_writable && v == 1)
			queue_enable(vp, q);
		return;
	case CC(VIRTIO_PCI_COMMON_Q_DESCLO, 4): case CC(VIRTIO_PCI_COMMON_Q_DESCHI, 4):
		if (q_writable)
			addr = &q->vq.desc_gpa;
		break;
	case CC(VIRTIO_PCI_COMMON_Q_AVAILLO, 4): case CC(VIRTIO_PCI_COMMON_Q_AVAILHI, 4):
		if (q_writable)
			addr = &q->vq.avail_gpa;
		break;
	case CC(VIRTIO_PCI_COMMON_Q_USEDLO, 4): case CC(VIRTIO_PCI_COMMON_Q_USEDHI, 4):
		if (q_writable)
			addr = &q->vq.used_gpa;
		break;
	default:
		/* Read-only fields, and accesses of the wrong width. */
		pr_debug("%s: common cfg write %#x/%u ignored", vp->pci.name, off, len);
		return;
	}
	if (!addr)
		return;
	if (off & 4)
		*addr = (*addr & 0xffffffffULL) | (uint64_t)v << 32;
	else
		*addr = (*addr & ~0xffffffffULL) | v;
}

static void msix_table_access(struct virtio_pci *vp, uint64_t off,
			      uint8_t *data, unsigned int len, bool write)
{
	unsigned int vec = off / 16, reg = off % 16;

	/* Aligned dwords, or aligned qwords (the address), inside the table. */
	if (vec >= vp->nvectors || (len != 4 && len != 8) || (off % len) ||
	    (len == 8 && reg >= 8)) {
		if (!write)
			memset(data, 0, len);
		return;
	}
	for (unsigned int i = 0; i < len / 4; i++, reg += 4) {
		uint32_t *f = reg == 0 ? &vp->msix[vec].addr_lo :
			      reg == 4 ? &vp->msix[vec].addr_hi :
			      reg == 8 ? &vp->msix[vec].data : &vp->msix[vec].ctrl;

		if (!write) {
			put_le(data + 4 * i, *f, 4);
			continue;
		}
		*f = get_le(data + 4 * i, 4);
		if (reg == 12)
			*f &= MSIX_ENTRY_MASKED;
	}
	if (write) {
		vp_msix_update(vp, vec);
		vp_msix_flush_pending(vp);
	}
}

static void bar_read(void *opaque, uint64_t off, uint8_t *data,
		     unsigned int len)
{
	struct virtio_pci *vp = opaque;
	uint8_t snap[64];

	memset(data, 0, len);
	pthread_mutex_lock(&vp->lock);
	if (off < VPCI_COMMON_OFF + sizeof(struct virtio_pci_common_cfg)) {
		common_snapshot(vp, snap);
		for (unsigned int i = 0; i < len; i++)
			data[i] = off + i < sizeof(struct virtio_pci_common_cfg) ?
				  snap[off + i] : 0;
	} else if (off >= VPCI_ISR_OFF && off < VPCI_ISR_OFF + 4) {
		/* Reading the ISR acknowledges it and lowers INTx. */
		if (off == VPCI_ISR_OFF) {
			data[0] = vp->isr;
			vp->isr = 0;
			vp_update_intx_locked(vp);
		}
	} else if (off >= VPCI_DEVICE_OFF &&
		   off < VPCI_DEVICE_OFF + vp->ops->config_len) {
		unsigned int o = off - VPCI_DEVICE_OFF;

		if (len <= vp->ops->config_len - o && vp->ops->config_read)
			vp->ops->config_read(vp->dev, o, data, len);
	} else if (off >= VPCI_MSIX_OFF && off < VPCI_MSIX_OFF + 16 * vp->nvectors) {
		msix_table_access(vp, off - VPCI_MSIX_OFF, data, len, false);
	} else if (off >= VPCI_PBA_OFF && off < VPCI_PBA_OFF + 8) {
		uint64_t pba = vp->pba;

		for (unsigned int i = 0; i < len && off - VPCI_PBA_OFF + i < 8; i++)
			data[i] = pba >> (8 * (off - VPCI_PBA_OFF + i));
	}
	pthread_mutex_unlock(&vp->lock);
}

static void bar_write(void *opaque, uint64_t off, const uint8_t *data,
		      unsigned int len)
{
	struct virtio_pci *vp = opaque;
	bool activate = false;
	int kick = -1;

	pthread_mutex_lock(&vp->lock);
	if (off < VPCI_COMMON_OFF + sizeof(struct virtio_pci_common_cfg)) {
		common_write(vp, off, data, len, &activate);
	} else if (off >= VPCI_DEVICE_OFF &&
		   off < VPCI_DEVICE_OFF + vp->ops->config_len) {
		unsigned int o = off - VPCI_DEVICE_OFF;

		if (len <= vp->ops->config_len - o && vp->ops->config_write)
			vp->ops->config_write(vp->dev, o, data, len);
	} else if (off >= VPCI_NOTIFY_OFF &&
		   off < VPCI_NOTIFY_OFF + VPCI_NOTIFY_MULT * vp->ops->num_queues) {
		kick = (off - VPCI_NOTIFY_OFF) / VPCI_NOTIFY_MULT;
		vp->mmio_kicks++;
	} else if (off >= VPCI_MSIX_OFF && off < VPCI_MSIX_OFF + 16 * vp->nvectors) {
		msix_table_access(vp, off - VPCI_MSIX_OFF, (uint8_t *)data, len, true);
	}
	pthread_mutex_unlock(&vp->lock);
	/* Device callbacks run unlocked: they take their own locks. */
	if (activate && vp->ops->activate)
		vp->ops->activate(vp->dev);
	/* A driver may post buffers and kick before DRIVER_OK (Linux's
	 * balloon does, with its first stats buffer); the device could not
	 * look then, so it looks now. */
	for (unsigned int q = 0; activate && q < vp->ops->num_queues; q++)
		virtio_pci_kick(vp, q);
	if (kick >= 0)
		virtio_pci_kick(vp, kick);
}

const struct bus_ops virtio_pci_bar_ops = { bar_read, bar_write };

