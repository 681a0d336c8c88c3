// SPDX-License-Identifier: MIT
/*
 * The virtio-pci transport's PCI face: the vendor capabilities that say
 * where each structure lives in BAR0, MSI-X's capability, the PCI
 * configuration access window, and the hooks the PCI bus calls on
 * config-space accesses and BAR moves.
 */
#include <errno.h>
#include <string.h>

#include "util/le.h"
#include "virtio/virtio_pci_int.h"

/*
 * The PCI configuration access capability: a window in config space onto
 * BAR0 at cap.offset, cap.length bytes wide (1, 2 or 4, aligned). Called
 * with the PCI bus locked; the BAR handlers take the transport lock.
 */
static bool cfg_window(struct virtio_pci *vp, unsigned int off,
		       unsigned int len, uint32_t *bar_off, uint32_t *width)
{
	const uint8_t *c = vp->pci.cfg + vp->cfg_cap;
	unsigned int data = vp->cfg_cap + 16;

	if (off + len <= data || off >= data + 4)
		return false;
	*bar_off = get_le(c + 8, 4);
	*width = get_le(c + 12, 4);
	/* Only BAR0 exists; refuse odd widths, misalignment, overruns. */
	return c[4] == 0 && (*width == 1 || *width == 2 || *width == 4) &&
	       !(*bar_off % *width) && *bar_off <= VPCI_BAR_SIZE - *width;
}

static bool cfg_touches(unsigned int off, unsigned int len, unsigned int reg,
			unsigned int reg_len)
{
	return off < reg + reg_len && reg < off + len;
}

/* Called with the PCI bus locked, so config bytes change only under it. */
static void vp_cfg_reading(struct pci_device *d, unsigned int off,
			   unsigned int len)
{
	struct virtio_pci *vp = d->priv;
	uint32_t bar_off, width;

	/* Interrupt Status shows a pending INTx even while it is disabled
	 * (PCI 3.0, 6.2.3). */
	if (cfg_touches(off, len, PCI_STATUS, 1)) {
		bool pending;

		pthread_mutex_lock(&vp->lock);
		pending = vp_intx_pending(vp);
		pthread_mutex_unlock(&vp->lock);
		if (pending)
			d->cfg[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
		else
			d->cfg[PCI_STATUS] &= ~PCI_STATUS_INTERRUPT;
	}

	if (cfg_window(vp, off, len, &bar_off, &width)) {
		memset(d->cfg + vp->cfg_cap + 16, 0, 4);
		virtio_pci_bar_ops.read(vp, bar_off, d->cfg + vp->cfg_cap + 16, width);
	}
}

/* Config-space writes: MSI-X enable and function mask live there, and
 * the command register's Interrupt Disable gates INTx. */
static void vp_cfg_written(struct pci_device *d, unsigned int off,
			   unsigned int len)
{
	struct virtio_pci *vp = d->priv;
	uint32_t bar_off, width;
	bool msix = cfg_touches(off, len, vp->msix_cap + PCI_MSIX_FLAGS, 2);

	if (cfg_window(vp, off, len, &bar_off, &width))
		virtio_pci_bar_ops.write(vp, bar_off, d->cfg + vp->cfg_cap + 16, width);
	if (!msix && !cfg_touches(off, len, PCI_COMMAND, 2))
		return;
	pthread_mutex_lock(&vp->lock);
	if (msix) {
		for (unsigned int v = 0; v < vp->nvectors; v++)
			vp_msix_update(vp, v);
		vp_msix_flush_pending(vp);
	}
	vp_update_intx_locked(vp);
	pthread_mutex_unlock(&vp->lock);
}

static void vp_bar_moved(struct pci_device *d, int bar, uint64_t old,
			 uint64_t new_addr)
{
	struct virtio_pci *vp = d->priv;

	if (bar != 0)
		return;
	vp->bar_addr = new_addr;
	for (unsigned int q = 0; q < vp->ops->num_queues; q++)
		if (vp->host.notify_moved)
			vp->host.notify_moved(vp->host.ctx, q, new_addr ?
					    new_addr + VPCI_NOTIFY_OFF +
					    q * VPCI_NOTIFY_MULT : 0);
}

/* pci_bus_reset(): config space is back to power-on (MSI-X disabled);
 * the table and the pending bits, kept in BAR0, follow. Bus locked. */
static void vp_pci_reset(struct pci_device *d)
{
	struct virtio_pci *vp = d->priv;

	pthread_mutex_lock(&vp->lock);
	for (unsigned int v = 0; v < vp->nvectors; v++) {
		vp->msix[v] = (struct msix_entry){ .ctrl = MSIX_ENTRY_MASKED };
		vp_msix_update(vp, v);
	}
	vp->pba = 0;
	vp_update_intx_locked(vp);
	pthread_mutex_unlock(&vp->lock);
}

static int add_vendor_cap(struct pci_device *d, uint8_t type, uint32_t off,
			  uint32_t len, const uint8_t *extra, unsigned int elen,
			  const uint8_t *wmask)
{
	uint8_t c[24] = { PCI_CAP_ID_VNDR, 0, (uint8_t)(16 + elen), type, 0 };

	put_le(c + 8, off, 4);
	put_le(c + 12, len, 4);
	if (elen)
		memcpy(c + 16, extra, elen);
	return pci_device_add_cap(d, c, wmask, 16 + elen);
}

int virtio_pci_init(struct virtio_pci *vp, const struct virtio_dev_ops *ops,
		    void *dev, const struct guestmem *gm,
		    const struct virtio_pci_host *host, const char *name)
{
	struct pci_device *d = &vp->pci;
	uint8_t mult[4], msix[12] = { PCI_CAP_ID_MSIX }, msix_w[12] = { 0 };
	uint8_t cfg_w[20];
	int r;

	if (ops->num_queues == 0 || ops->num_queues > VIRTIO_PCI_MAX_QUEUES ||
	    ops->max_queue_size == 0 || ops->max_queue_size > VIRTQ_MAX_SIZE ||
	    (ops->max_queue_size & (ops->max_queue_size - 1)) ||
	    ops->config_len > VPCI_NOTIFY_OFF - VPCI_DEVICE_OFF)
		return -EINVAL;
	memset(vp, 0, sizeof(*vp));
	pthread_mutex_init(&vp->lock, NULL);
	pthread_cond_init(&vp->reset_cond, NULL);
	ratelimit_init(&vp->log_rl);
	vp->ops = ops;
	vp->dev = dev;
	vp->gm = gm;
	if (host)
		vp->host = *host;
	vp->device_features = ops->features | TRANSPORT_FEATURES;
	vp->nvectors = ops->num_queues + 1;
	for (unsigned int i = 0; i < ops->num_queues; i++)
		virtq_init(&vp->queues[i].vq, gm, ops->max_queue_size);

	pci_device_init(d, name, VIRTIO_PCI_VENDOR,
			VIRTIO_PCI_DEVICE_BASE + ops->device_id,
			ops->class_code << 8 | 1 /* revision 1: modern */,
			VIRTIO_PCI_VENDOR, ops->device_id);
	d->cfg[PCI_INTERRUPT_PIN] = 1;   /* INTA# */
	d->priv = vp;
	d->cfg_written = vp_cfg_written;
	d->cfg_reading = vp_cfg_reading;
	d->bar_moved = vp_bar_moved;
	d->reset = vp_pci_reset;
	r = pci_device_set_bar(d, 0, VPCI_BAR_SIZE, false, false,
			       &virtio_pci_bar_ops, vp);
	if (r < 0)
		return r;
	put_le(mult, VPCI_NOTIFY_MULT, 4);
	if ((r = add_vendor_cap(d, VIRTIO_PCI_CAP_COMMON_CFG, VPCI_COMMON_OFF,
				sizeof(struct virtio_pci_common_cfg), NULL, 0, NULL)) < 0 ||
	    (r = add_vendor_cap(d, VIRTIO_PCI_CAP_NOTIFY_CFG, VPCI_NOTIFY_OFF,
				VPCI_NOTIFY_MULT * ops->num_queues, mult, 4, NULL)) < 0 ||
	    (r = add_vendor_cap(d, VIRTIO_PCI_CAP_ISR_CFG, VPCI_ISR_OFF, 1,
				NULL, 0, NULL)) < 0 ||
	    (ops->config_len &&
	     (r = add_vendor_cap(d, VIRTIO_PCI_CAP_DEVICE_CFG, VPCI_DEVICE_OFF,
				 ops->config_len, NULL, 0, NULL)) < 0))
		return r;
	/* The PCI configuration access capability (see cfg_window()). */
	memset(cfg_w, 0, sizeof(cfg_w));
	cfg_w[4] = 0xff;
	memset(cfg_w + 8, 0xff, 12);
	{
		uint8_t zero[4] = { 0 };

		if ((r = add_vendor_cap(d, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, zero, 4,
					cfg_w)) < 0)
			return r;
		vp->cfg_cap = r;
	}
	put_le(msix + 2, vp->nvectors - 1, 2);
	put_le(msix + 4, VPCI_MSIX_OFF | 0 /* BIR 0 */, 4);
	put_le(msix + 8, VPCI_PBA_OFF | 0, 4);
	msix_w[3] = (MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL) >> 8;
	r = pci_device_add_cap(d, msix, msix_w, sizeof(msix));
	if (r < 0)
		return r;
	vp->msix_cap = r;
	for (unsigned int v = 0; v < vp->nvectors; v++)
		vp->msix[v].ctrl = MSIX_ENTRY_MASKED;
	pthread_mutex_lock(&vp->lock);
	vp_reset_locked(vp);
	pthread_mutex_unlock(&vp->lock);
	return 0;
}
