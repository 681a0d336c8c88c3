// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "devices/pci.h"
#include "util/le.h"
#include "util/log.h"

#define PCI_CONF1_ENABLE 0x80000000u
/* No x86 CPU decodes physical addresses at or above 2^52. */
#define PCI_MAX_PHYS_ADDR (1ULL << 52)

void pci_device_init(struct pci_device *d, const char *name, uint16_t vendor,
		     uint16_t device, uint32_t class_rev, uint16_t sub_vendor,
		     uint16_t sub_device)
{
	memset(d, 0, sizeof(*d));
	d->name = name;
	put_le16(d->cfg + PCI_VENDOR_ID, vendor);
	put_le16(d->cfg + PCI_DEVICE_ID, device);
	put_le32(d->cfg + PCI_CLASS_REVISION, class_rev);
	put_le16(d->cfg + PCI_SUBSYSTEM_VENDOR_ID, sub_vendor);
	put_le16(d->cfg + PCI_SUBSYSTEM_ID, sub_device);
	d->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	/* Command: I/O, memory, bus master, INTx disable are the guest's. */
	put_le16(d->wmask + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
	      PCI_COMMAND_MASTER | PCI_COMMAND_SERR | PCI_COMMAND_PARITY |
	      PCI_COMMAND_INTX_DISABLE);
	put_le16(d->w1c + PCI_STATUS, PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT |
	      PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT |
	      PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY);
	d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	d->wmask[PCI_LATENCY_TIMER] = 0xff;
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
	d->next_cap = 0x40;
}

int pci_device_set_bar(struct pci_device *d, int bar, uint64_t size, bool io,
		       bool is64, const struct bus_ops *ops, void *opaque)
{
	unsigned int off = PCI_BASE_ADDRESS_0 + 4 * bar;
	uint64_t mask;

	if (bar < 0 || bar >= PCI_NUM_BARS || (is64 && bar == 5) ||
	    size < (io ? 4u : 16u) || (size & (size - 1)) || (io && is64))
		return -EINVAL;
	d->bars[bar] = (struct pci_bar){ .size = size, .io = io, .is64 = is64,
					  .ops = ops, .opaque = opaque };
	mask = ~(size - 1);
	put_le32(d->cfg + off, io ? PCI_BASE_ADDRESS_SPACE_IO :
	      (is64 ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0));
	put_le32(d->wmask + off, (uint32_t)mask & (io ? ~3u : ~15u));
	if (is64)
		put_le32(d->wmask + off + 4, (uint32_t)(mask >> 32));
	return 0;
}

int pci_device_add_cap(struct pci_device *d, const uint8_t *data,
		       const uint8_t *wmask, unsigned int len)
{
	unsigned int off = d->next_cap;

	if (len < 2 || off + len > PCI_CFG_SPACE)
		return -ENOSPC;
	memcpy(d->cfg + off, data, len);
	if (wmask)
		memcpy(d->wmask + off, wmask, len);
	/* Link it at the end of the list the guest walks. */
	d->cfg[off + PCI_CAP_LIST_NEXT] = 0;
	d->wmask[off] = d->wmask[off + 1] = 0;
	if (!d->cfg[PCI_CAPABILITY_LIST]) {
		d->cfg[PCI_CAPABILITY_LIST] = off;
	} else {
		unsigned int p = d->cfg[PCI_CAPABILITY_LIST];

		while (d->cfg[p + PCI_CAP_LIST_NEXT])
			p = d->cfg[p + PCI_CAP_LIST_NEXT];
		d->cfg[p + PCI_CAP_LIST_NEXT] = off;
	}
	d->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	d->next_cap = (off + len + 3) & ~3u;
	return off;
}

/* Where BAR @i points now, or 0 if it must not decode. */
static uint64_t pci_bar_decode_addr(const struct pci_device *d, int i)
{
	const struct pci_bar *b = &d->bars[i];
	uint16_t cmd = pci_cfg_get16(d, PCI_COMMAND);
	unsigned int off = PCI_BASE_ADDRESS_0 + 4 * i;
	uint64_t addr;

	if (!b->size)
		return 0;
	if (b->io ? !(cmd & PCI_COMMAND_IO) : !(cmd & PCI_COMMAND_MEMORY))
		return 0;
	addr = pci_cfg_get32(d, off) & (b->io ? ~3u : ~15u);
	if (b->is64)
		addr |= (uint64_t)pci_cfg_get32(d, off + 4) << 32;
	/* Unassigned, mid-sizing or wrapping: leave it off the bus. */
	if (addr == 0 || addr >= PCI_MAX_PHYS_ADDR ||
	    b->size > PCI_MAX_PHYS_ADDR - addr ||
	    (b->io && addr + b->size > 0x10000))
		return 0;
	return addr;
}

static void pci_update_bars(struct pci_device *d)
{
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &d->bars[i];
		struct bus *bus = b->io ? d->bus->pio : d->bus->mmio;
		uint64_t want = pci_bar_decode_addr(d, i), old = b->mapped_at;

		if (want == b->mapped_at)
			continue;
		if (b->mapped_at)
			bus_unregister(bus, b->mapped_at);
		b->mapped_at = 0;
		if (want && bus_register(bus, want, b->size, b->ops, b->opaque,
					 d->name) == 0)
			b->mapped_at = want;
		else if (want)
			pr_warn_rl(&d->bus->log_rl, "pci %02x.0 %s: BAR%d at %#llx overlaps another device; not mapped",
				d->slot, d->name, i, (unsigned long long)want);
		if (d->bar_moved && old != b->mapped_at)
			d->bar_moved(d, i, old, b->mapped_at);
	}
}

static struct pci_device *pci_find(struct pci_bus *pb, unsigned int slot,
				   unsigned int fn)
{
	if (slot >= PCI_MAX_SLOTS || fn != 0)
		return NULL;
	return pb->slots[slot];
}

void pci_cfg_read(struct pci_bus *pb, unsigned int slot, unsigned int fn,
		  unsigned int off, uint8_t *data, unsigned int len)
{
	struct pci_device *d;

	pthread_mutex_lock(&pb->lock);
	d = pci_find(pb, slot, fn);
	if (d && d->cfg_reading && off < PCI_CFG_SPACE)
		d->cfg_reading(d, off, len);
	for (unsigned int i = 0; i < len; i++) {
		if (!d)
			data[i] = 0xff;          /* no device: master abort */
		else if (off + i < PCI_CFG_SPACE)
			data[i] = d->cfg[off + i];
		else
			data[i] = 0;             /* no extended capabilities */
	}
	pthread_mutex_unlock(&pb->lock);
}

void pci_cfg_write(struct pci_bus *pb, unsigned int slot, unsigned int fn,
		   unsigned int off, const uint8_t *data, unsigned int len)
{
	struct pci_device *d;

	pthread_mutex_lock(&pb->lock);
	d = pci_find(pb, slot, fn);
	if (!d || off >= PCI_CFG_SPACE) {
		pthread_mutex_unlock(&pb->lock);
		return;
	}
	if (len > PCI_CFG_SPACE - off)
		len = PCI_CFG_SPACE - off;
	for (unsigned int i = 0; i < len; i++) {
		unsigned int o = off + i;
		uint8_t wm = d->wmask[o];

		d->cfg[o] = (d->cfg[o] & ~wm) | (data[i] & wm);
		d->cfg[o] &= ~(data[i] & d->w1c[o]);
	}
	/* Decoding follows the command register and the BARs. */
	if (off < PCI_BASE_ADDRESS_0 + 4 * PCI_NUM_BARS &&
	    off + len > PCI_COMMAND)
		pci_update_bars(d);
	if (d->cfg_written)
		d->cfg_written(d, off, len);
	pthread_mutex_unlock(&pb->lock);
}

/* 0xCF8: the address register; only whole-dword accesses reach it. */
static void conf1_addr_read(void *opaque, uint64_t off, uint8_t *data,
			    unsigned int len)
{
	struct pci_bus *pb = opaque;

	if (off == 0 && len == 4)
		put_le32(data, pb->conf1_addr);
	else
		memset(data, 0xff, len);
}

static void conf1_addr_write(void *opaque, uint64_t off, const uint8_t *data,
			     unsigned int len)
{
	struct pci_bus *pb = opaque;

	if (off == 0 && len == 4)
		pb->conf1_addr = get_le(data, 4);
}

static bool conf1_target(struct pci_bus *pb, uint64_t port_off,
			 unsigned int *slot, unsigned int *fn,
			 unsigned int *reg)
{
	uint32_t a = pb->conf1_addr;

	if (!(a & PCI_CONF1_ENABLE) || ((a >> 16) & 0xff) != 0)
		return false;
	*slot = (a >> 11) & 0x1f;
	*fn = (a >> 8) & 7;
	*reg = (a & 0xfc) + (unsigned int)port_off;
	return true;
}

static void conf1_data_read(void *opaque, uint64_t off, uint8_t *data,
			    unsigned int len)
{
	struct pci_bus *pb = opaque;
	unsigned int slot, fn, reg;

	if (!conf1_target(pb, off, &slot, &fn, &reg)) {
		memset(data, 0xff, len);
		return;
	}
	pci_cfg_read(pb, slot, fn, reg, data, len);
}

static void conf1_data_write(void *opaque, uint64_t off, const uint8_t *data,
			     unsigned int len)
{
	struct pci_bus *pb = opaque;
	unsigned int slot, fn, reg;

	if (conf1_target(pb, off, &slot, &fn, &reg))
		pci_cfg_write(pb, slot, fn, reg, data, len);
}

const struct bus_ops pci_conf1_addr_ops = { conf1_addr_read, conf1_addr_write };
const struct bus_ops pci_conf1_data_ops = { conf1_data_read, conf1_data_write };

/* ECAM: bus 0 only, offset = device << 15 | function << 12 | register. */
static void ecam_read(void *opaque, uint64_t off, uint8_t *data,
		      unsigned int len)
{
	pci_cfg_read(opaque, (off >> 15) & 0x1f, (off >> 12) & 7, off & 0xfff,
		     data, len);
}

static void ecam_write(void *opaque, uint64_t off, const uint8_t *data,
		       unsigned int len)
{
	pci_cfg_write(opaque, (off >> 15) & 0x1f, (off >> 12) & 7, off & 0xfff,
		      data, len);
}

const struct bus_ops pci_ecam_ops = { ecam_read, ecam_write };

int pci_bus_init(struct pci_bus *pb, struct bus *pio, struct bus *mmio,
		 uint64_t ecam_base, uint64_t mmio_base, uint64_t mmio_size)
{
	int r;

	memset(pb, 0, sizeof(*pb));
	pthread_mutex_init(&pb->lock, NULL);
	ratelimit_init(&pb->log_rl);
	pb->pio = pio;
	pb->mmio = mmio;
	pb->ecam_base = ecam_base;
	pb->mmio_next = mmio_base;
	pb->mmio_end = mmio_base + mmio_size;
	pb->io_next = 0xc000;     /* above the legacy ISA ports */
	pb->io_end = 0x10000;
	/* Red Hat's generic PCIe host bridge id, as QEMU's gpex uses. */
	pci_device_init(&pb->host_bridge, "host-bridge", 0x1b36, 0x0008,
			0x0600u << 16, 0x1af4, 0x1100);  /* host bridge */
	if ((r = pci_bus_add_device(pb, &pb->host_bridge, 0)) < 0 ||
	    (r = bus_register(pio, 0xcf8, 4, &pci_conf1_addr_ops, pb,
			      "pci-conf1")) < 0 ||
	    (r = bus_register(pio, 0xcfc, 4, &pci_conf1_data_ops, pb,
			      "pci-conf1-data")) < 0 ||
	    (r = bus_register(mmio, ecam_base, PCI_ECAM_SIZE, &pci_ecam_ops, pb,
			      "pci-ecam")) < 0)
		return r;
	return 0;
}

void pci_bus_exit(struct pci_bus *pb)
{
	pthread_mutex_destroy(&pb->lock);
}

int pci_bus_add_device(struct pci_bus *pb, struct pci_device *d, int slot)
{
	if (slot < 0) {
		for (slot = 1; slot < PCI_MAX_SLOTS && pb->slots[slot]; slot++)
			;
	}
	if (slot >= PCI_MAX_SLOTS)
		return -ENOSPC;
	if (pb->slots[slot])
		return -EBUSY;
	/* Firmware's job: give every BAR a naturally aligned address. */
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &d->bars[i];
		unsigned int off = PCI_BASE_ADDRESS_0 + 4 * i;
		uint64_t a;

		if (!b->size)
			continue;
		if (b->io) {
			a = (pb->io_next + b->size - 1) & ~(b->size - 1);
			if (a + b->size > pb->io_end)
				return -ENOSPC;
			pb->io_next = a + b->size;
		} else {
			a = (pb->mmio_next + b->size - 1) & ~(b->size - 1);
			if (a + b->size > pb->mmio_end)
				return -ENOSPC;
			pb->mmio_next = a + b->size;
		}
		put_le32(d->cfg + off, (pci_cfg_get32(d, off) & (b->io ? 3u : 15u)) |
		      (uint32_t)a);
		if (b->is64)
			put_le32(d->cfg + off + 4, (uint32_t)(a >> 32));
	}
	d->bus = pb;
	d->slot = slot;
	memcpy(d->cfg_power_on, d->cfg, PCI_CFG_SPACE);
	pb->slots[slot] = d;
	return slot;
}

void pci_bus_reset(struct pci_bus *pb)
{
	pthread_mutex_lock(&pb->lock);
	pb->conf1_addr = 0;
	for (unsigned int i = 0; i < PCI_MAX_SLOTS; i++) {
		struct pci_device *d = pb->slots[i];

		if (!d)
			continue;
		memcpy(d->cfg, d->cfg_power_on, PCI_CFG_SPACE);
		pci_update_bars(d);
		if (d->reset)
			d->reset(d);
	}
	pthread_mutex_unlock(&pb->lock);
}

void pci_bus_for_each(struct pci_bus *pb,
		      void (*fn)(const struct pci_device *d, void *ctx),
		      void *ctx)
{
	pthread_mutex_lock(&pb->lock);
	fn(&pb->host_bridge, ctx);
	for (unsigned int i = 0; i < PCI_MAX_SLOTS; i++)
		if (pb->slots[i] && pb->slots[i] != &pb->host_bridge)
			fn(pb->slots[i], ctx);
	pthread_mutex_unlock(&pb->lock);
}
