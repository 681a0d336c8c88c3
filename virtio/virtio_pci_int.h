/* SPDX-License-Identifier: MIT */
#ifndef VIRTIO_VIRTIO_PCI_INT_H
#define VIRTIO_VIRTIO_PCI_INT_H

/*
 * Inside the virtio-pci transport only: shared by virtio_pci.c (the
 * register file in BAR0, interrupts, queue service) and virtio_pci_cfg.c
 * (its PCI face: capabilities and config-space hooks). Every function
 * here is called with vp->lock held.
 */
#include "virtio/virtio_pci.h"

#define VIRTIO_PCI_VENDOR     0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040
#define MSIX_CTRL_ENABLE      0x8000
#define MSIX_CTRL_MASKALL     0x4000
#define MSIX_ENTRY_MASKED     0x1

/* Feature bits the transport itself offers for every device. */
#define TRANSPORT_FEATURES ((1ULL << VIRTIO_F_VERSION_1) | \
			    (1ULL << VIRTIO_RING_F_INDIRECT_DESC) | \
			    (1ULL << VIRTIO_RING_F_EVENT_IDX))

bool vp_intx_pending(const struct virtio_pci *vp);
void vp_update_intx_locked(struct virtio_pci *vp);
/* MSI-X vector @vec's route changed (enable, mask, address, data). */
void vp_msix_update(struct virtio_pci *vp, unsigned int vec);
/* Fire the pending vectors that are no longer masked. */
void vp_msix_flush_pending(struct virtio_pci *vp);
void vp_reset_locked(struct virtio_pci *vp);

#endif
