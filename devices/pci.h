/* SPDX-License-Identifier: MIT */
#ifndef DEVICES_PCI_H
#define DEVICES_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/pci_regs.h>

#include "devices/bus.h"
#include "util/ratelimit.h"

/*
 * PCI bus 0: a host bridge at 00:00.0 and one device per slot, reached
 * through the legacy port pair 0xCF8/0xCFC (any width) and through an
 * ECAM window. Configuration space is a byte array plus masks that say
 * which bits the guest may write, so that sizing a BAR, reading reserved
 * registers and writing read-only ones all follow from the data.
 */
#define PCI_MAX_SLOTS    32
#define PCI_CFG_SPACE    256
#define PCI_ECAM_SIZE    (1u << 20)   /* bus 0: 32 devices x 8 fns x 4 KiB */
#define PCI_NUM_BARS     6

struct pci_device;

struct pci_bar {
	uint64_t size;               /* power of two, 0: BAR unused */
	bool io;                     /* I/O space (else memory) */
	bool is64;                   /* 64-bit memory BAR (takes two slots) */
	const struct bus_ops *ops;   /* accesses, offset relative to the BAR */
	void *opaque;
	/* Mapping as the bus currently has it (0: unmapped). */
	uint64_t mapped_at;
};

struct pci_device {
	const char *name;
	uint8_t cfg[PCI_CFG_SPACE];
	uint8_t wmask[PCI_CFG_SPACE];   /* bits the guest may write */
	uint8_t w1c[PCI_CFG_SPACE];     /* bits a guest write of 1 clears */
	uint8_t cfg_power_on[PCI_CFG_SPACE]; /* as plugged: what a reset restores */
	struct pci_bar bars[PCI_NUM_BARS];
	uint8_t next_cap;               /* where the next capability goes */
	struct pci_bus *bus;
	unsigned int slot;
	/* Called before a config read, to refresh bytes computed on demand. */
	void (*cfg_reading)(struct pci_device *d, unsigned int off,
			    unsigned int len);
	/* Called after a config write the device may care about. */
	void (*cfg_written)(struct pci_device *d, unsigned int off,
			    unsigned int len);
	/* Called by pci_bus_reset() once config space is back to power-on
	 * (state the device keeps outside it: MSI-X tables). May be NULL. */
	void (*reset)(struct pci_device *d);
	/* Called when a BAR is mapped or unmapped (e.g. ioeventfds). */
	void (*bar_moved)(struct pci_device *d, int bar, uint64_t old_addr,
			  uint64_t new_addr);
	void *priv;
};

struct pci_bus {
	pthread_mutex_t lock;
	struct bus *pio, *mmio;
	struct pci_device host_bridge;
	struct pci_device *slots[PCI_MAX_SLOTS];
	uint32_t conf1_addr;
	uint64_t ecam_base;
	/* BAR address allocator: 32-bit MMIO window and I/O ports. */
	uint64_t mmio_next, mmio_end;
	uint32_t io_next, io_end;
	struct ratelimit log_rl;     /* BAR overlaps: the guest's doing */
};

int pci_bus_init(struct pci_bus *pb, struct bus *pio, struct bus *mmio,
		 uint64_t ecam_base, uint64_t mmio_base, uint64_t mmio_size);
void pci_bus_exit(struct pci_bus *pb);

/* Fill the header of a type-0 function. */
void pci_device_init(struct pci_device *d, const char *name, uint16_t vendor,
		     uint16_t device, uint32_t class_rev, uint16_t sub_vendor,
		     uint16_t sub_device);
/* Declare BAR @bar; the address is assigned when the device is added. */
int pci_device_set_bar(struct pci_device *d, int bar, uint64_t size, bool io,
		       bool is64, const struct bus_ops *ops, void *opaque);
/* Append a capability (@data[0] = id, @data[1] is filled in); returns its
 * offset, or -ENOSPC. The bytes of @wmask (may be NULL) become writable. */
int pci_device_add_cap(struct pci_device *d, const uint8_t *data,
		       const uint8_t *wmask, unsigned int len);
/* Plug into @slot (-1: the first free one). Assigns BAR addresses. */
int pci_bus_add_device(struct pci_bus *pb, struct pci_device *d, int slot);
/* Machine reset: every function's config space as it was when plugged
 * (command register clear, so no BAR decodes and no bus mastering; the
 * BAR addresses "firmware" gave), then each device's reset hook. */
void pci_bus_reset(struct pci_bus *pb);
/* Call @fn for the host bridge, then every device in slot order, under
 * the bus lock: what it reads of config space (BARs) cannot move under
 * it. @fn must not call back into the bus. */
void pci_bus_for_each(struct pci_bus *pb,
		      void (*fn)(const struct pci_device *d, void *ctx),
		      void *ctx);

/* Config space access as conf1 and ECAM perform it (tests call these). */
void pci_cfg_read(struct pci_bus *pb, unsigned int slot, unsigned int fn,
		  unsigned int off, uint8_t *data, unsigned int len);
void pci_cfg_write(struct pci_bus *pb, unsigned int slot, unsigned int fn,
		   unsigned int off, const uint8_t *data, unsigned int len);

extern const struct bus_ops pci_conf1_addr_ops;   /* 0xcf8, 4 ports */
extern const struct bus_ops pci_conf1_data_ops;   /* 0xcfc, 4 ports */
extern const struct bus_ops pci_ecam_ops;

static inline uint32_t pci_cfg_get32(const struct pci_device *d, unsigned off)
{
	return (uint32_t)d->cfg[off] | (uint32_t)d->cfg[off + 1] << 8 |
	       (uint32_t)d->cfg[off + 2] << 16 | (uint32_t)d->cfg[off + 3] << 24;
}
static inline uint16_t pci_cfg_get16(const struct pci_device *d, unsigned off)
{
	return (uint16_t)(d->cfg[off] | d->cfg[off + 1] << 8);
}

#endif
