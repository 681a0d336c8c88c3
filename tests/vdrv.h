/* SPDX-License-Identifier: MIT */
#ifndef TESTS_VDRV_H
#define TESTS_VDRV_H

/*
 * The guest driver's side of virtio-pci, in-process: the unit tests and
 * the device-level benchmark harnesses put a device on a PCI bus of
 * their own and bring it up through BAR0 as Linux's virtio_pci does.
 */
#include <stdint.h>

#include "devices/pci.h"
#include "virtio/virtio_pci.h"

struct vdrv {
	struct bus pio, mmio;
	struct pci_bus pb;
	struct virtio_pci *vp;
	uint64_t bar;
};

static inline void vdrv_init(struct vdrv *d)
{
	bus_init(&d->pio, "pio");
	bus_init(&d->mmio, "mmio");
	pci_bus_init(&d->pb, &d->pio, &d->mmio, 0xe0000000, 0xc0000000, 0x20000000);
}

/* Plug @vp in, find its BAR0, turn on memory decode and bus mastering. */
static inline void vdrv_plug(struct vdrv *d, struct virtio_pci *vp)
{
	uint8_t cmd[2] = { PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 0 };

	d->vp = vp;
	pci_bus_add_device(&d->pb, &vp->pci, -1);
	d->bar = pci_cfg_get32(&vp->pci, PCI_BASE_ADDRESS_0) & ~15u;
	pci_cfg_write(&d->pb, vp->pci.slot, 0, PCI_COMMAND, cmd, 2);
}

static inline void vdrv_wr(struct vdrv *d, unsigned int off, uint32_t v,
			   unsigned int len)
{
	uint8_t b[4] = { v, v >> 8, v >> 16, v >> 24 };

	bus_write(&d->mmio, d->bar + off, b, len);
}

static inline uint32_t vdrv_rd(struct vdrv *d, unsigned int off, unsigned int len)
{
	uint8_t b[4] = { 0 };

	bus_read(&d->mmio, d->bar + off, b, len);
	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

/* MSI-X on, every vector unmasked, config changes on vector 0. */
static inline void vdrv_msix_on(struct vdrv *d)
{
	uint8_t msix[2] = { 0, 0x80 };

	pci_cfg_write(&d->pb, d->vp->pci.slot, 0, d->vp->msix_cap + 2, msix, 2);
	for (unsigned int v = 0; v < d->vp->nvectors; v++)
		vdrv_wr(d, VPCI_MSIX_OFF + 16 * v + 12, 0, 4);
	vdrv_wr(d, 0x10, 0, 2);
}

/* ACKNOWLEDGE | DRIVER, @features (low word) + VERSION_1, FEATURES_OK. */
static inline void vdrv_negotiate(struct vdrv *d, uint32_t features)
{
	vdrv_wr(d, 0x14, 3, 1);
	vdrv_wr(d, 0x08, 0, 4);
	vdrv_wr(d, 0x0c, features, 4);
	vdrv_wr(d, 0x08, 1, 4);
	vdrv_wr(d, 0x0c, 1, 4);
	vdrv_wr(d, 0x14, 0xb, 1);
}

/* Queue @q: @size entries, rings at @desc/@avail/@used, MSI-X @vector. */
static inline void vdrv_queue(struct vdrv *d, unsigned int q, uint16_t size,
			      uint64_t desc, uint64_t avail, uint64_t used,
			      uint16_t vector)
{
	vdrv_wr(d, 0x16, q, 2);
	vdrv_wr(d, 0x18, size, 2);
	vdrv_wr(d, 0x1a, vector, 2);
	vdrv_wr(d, 0x20, desc, 4);
	vdrv_wr(d, 0x24, desc >> 32, 4);
	vdrv_wr(d, 0x28, avail, 4);
	vdrv_wr(d, 0x2c, avail >> 32, 4);
	vdrv_wr(d, 0x30, used, 4);
	vdrv_wr(d, 0x34, used >> 32, 4);
	vdrv_wr(d, 0x1c, 1, 2);
}

static inline void vdrv_driver_ok(struct vdrv *d)
{
	vdrv_wr(d, 0x14, 0xf, 1);
}

static inline void vdrv_exit(struct vdrv *d)
{
	bus_exit(&d->pio);
	bus_exit(&d->mmio);
}

#endif
