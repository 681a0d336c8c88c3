// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <string.h>

#include "devices/pci.h"

static struct bus pio, mmio;
static struct pci_bus pb;
static struct pci_device dev;
static int bar_reads, moves;
static uint64_t last_old, last_new;

static void bar_read(void *o, uint64_t off, uint8_t *d, unsigned int len)
{
	bar_reads++;
	memset(d, 0x42, len);
}

static const struct bus_ops bar_ops = { bar_read, NULL };

static void moved(struct pci_device *d, int bar, uint64_t o, uint64_t n)
{
	moves++;
	last_old = o;
	last_new = n;
}

static void setup(void)
{
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	cr_assert_eq(pci_bus_init(&pb, &pio, &mmio, 0xe0000000, 0xc0000000,
				  0x20000000), 0);
	pci_device_init(&dev, "test", 0x1af4, 0x1045, 0x00ff0001, 0x1af4, 5);
	cr_assert_eq(pci_device_set_bar(&dev, 0, 0x4000, false, false,
					&bar_ops, NULL), 0);
	cr_assert_eq(pci_device_set_bar(&dev, 2, 0x100, true, false,
					&bar_ops, NULL), 0);
	cr_assert_eq(pci_device_set_bar(&dev, 4, 0x100000, false, true,
					&bar_ops, NULL), 0);
	dev.bar_moved = moved;
	bar_reads = moves = 0;
}

static void teardown(void)
{
	pci_bus_exit(&pb);
	bus_exit(&pio);
	bus_exit(&mmio);
}

TestSuite(pci, .init = setup, .fini = teardown);

static uint32_t cfg32(unsigned int slot, unsigned int off)
{
	uint8_t d[4];

	pci_cfg_read(&pb, slot, 0, off, d, 4);
	return d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24;
}

static void wcfg32(unsigned int slot, unsigned int off, uint32_t v)
{
	uint8_t d[4] = { v, v >> 8, v >> 16, v >> 24 };

	pci_cfg_write(&pb, slot, 0, off, d, 4);
}

static void wcfg16(unsigned int slot, unsigned int off, uint16_t v)
{
	uint8_t d[2] = { v, v >> 8 };

	pci_cfg_write(&pb, slot, 0, off, d, 2);
}

static uint32_t io32(uint16_t port)
{
	uint8_t d[4];

	bus_read(&pio, port, d, 4);
	return d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24;
}

static void out32(uint16_t port, uint32_t v)
{
	uint8_t d[4] = { v, v >> 8, v >> 16, v >> 24 };

	bus_write(&pio, port, d, 4);
}

Test(pci, host_bridge_at_00_0)
{
	cr_assert_eq(cfg32(0, PCI_VENDOR_ID), 0x00081b36);
	cr_assert_eq(cfg32(0, PCI_CLASS_REVISION) >> 8, 0x060000);
}

Test(pci, empty_slots_and_functions_read_all_ones)
{
	cr_assert_eq(cfg32(7, PCI_VENDOR_ID), 0xffffffff);
	cr_assert_eq(cfg32(31, 0x40), 0xffffffff);
	{
		uint8_t d[4];

		pci_cfg_read(&pb, 0, 1, 0, d, 4);
		cr_assert_eq(d[0], 0xff, "function 1 absent");
	}
}

Test(pci, conf1_any_width)
{
	uint8_t b[2];

	out32(0xcf8, 0x80000000);
	cr_assert_eq(io32(0xcf8), 0x80000000, "address readback, as Linux probes");
	cr_assert_eq(io32(0xcfc), 0x00081b36);
	bus_read(&pio, 0xcfe, b, 2);
	cr_assert_eq(b[0] | b[1] << 8, 0x0008, "word at 0xcfe");
	bus_read(&pio, 0xcfd, b, 1);
	cr_assert_eq(b[0], 0x1b, "byte at 0xcfd");
	bus_read(&pio, 0xcff, b, 1);
	cr_assert_eq(b[0], 0x00, "byte at 0xcff");
	/* Class register through conf1. */
	out32(0xcf8, 0x80000008);
	cr_assert_eq(io32(0xcfc) >> 8, 0x060000);
	/* Disabled address: all ones. */
	out32(0xcf8, 0x00000000);
	cr_assert_eq(io32(0xcfc), 0xffffffff);
	/* Other buses do not exist. */
	out32(0xcf8, 0x80010000);
	cr_assert_eq(io32(0xcfc), 0xffffffff);
	/* A byte write at 0xcfb does not change the address. */
	out32(0xcf8, 0x80000000);
	b[0] = 1;
	bus_write(&pio, 0xcfb, b, 1);
	cr_assert_eq(io32(0xcf8), 0x80000000);
}

Test(pci, ecam_reaches_the_same_space)
{
	uint8_t d[4];

	cr_assert_eq(pci_bus_add_device(&pb, &dev, 3), 3);
	bus_read(&mmio, 0xe0000000 + (3 << 15), d, 4);
	cr_assert_eq(d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24,
		     0x10451af4);
	bus_read(&mmio, 0xe0000000 + (3 << 15) + 0x100, d, 4);
	cr_assert_eq(d[0], 0, "no extended capability");
	bus_read(&mmio, 0xe0000000 + (4 << 15), d, 2);
	cr_assert_eq(d[0], 0xff, "empty slot");
}

Test(pci, bar_sizing_and_assignment)
{
	uint32_t bar0, bar2, bar4;

	cr_assert_eq(pci_bus_add_device(&pb, &dev, -1), 1);
	bar0 = cfg32(1, PCI_BASE_ADDRESS_0);
	bar2 = cfg32(1, PCI_BASE_ADDRESS_2);
	bar4 = cfg32(1, PCI_BASE_ADDRESS_4);
	cr_assert_eq(bar0 & 0x3fff, 0, "aligned, memory, 32-bit");
	cr_assert_geq(bar0, 0xc0000000);
	cr_assert_eq(bar2 & 1, 1, "I/O BAR");
	cr_assert_eq(bar4 & 0x6, 0x4, "64-bit BAR");
	cr_assert_eq(bar4 & 0xfffff & ~0xfu, 0, "1 MiB aligned");
	/* Sizing: all ones in, size mask out, then restore. */
	wcfg32(1, PCI_BASE_ADDRESS_0, 0xffffffff);
	cr_assert_eq(cfg32(1, PCI_BASE_ADDRESS_0), 0xffffc000);
	wcfg32(1, PCI_BASE_ADDRESS_0, bar0);
	wcfg32(1, PCI_BASE_ADDRESS_2, 0xffffffff);
	cr_assert_eq(cfg32(1, PCI_BASE_ADDRESS_2), 0xffffff01);
	wcfg32(1, PCI_BASE_ADDRESS_4, 0xffffffff);
	wcfg32(1, PCI_BASE_ADDRESS_5, 0xffffffff);
	cr_assert_eq(cfg32(1, PCI_BASE_ADDRESS_4), 0xfff00004);
	cr_assert_eq(cfg32(1, PCI_BASE_ADDRESS_5), 0xffffffff);
	/* Unused BARs read 0 and stay 0. */
	wcfg32(1, PCI_BASE_ADDRESS_1, 0xffffffff);
	cr_assert_eq(cfg32(1, PCI_BASE_ADDRESS_1), 0);
	cr_assert_eq(cfg32(1, PCI_BASE_ADDRESS_3), 0);
}

Test(pci, decode_follows_command_register_and_moves)
{
	uint8_t d[4];
	uint32_t bar0;

	pci_bus_add_device(&pb, &dev, 2);
	bar0 = cfg32(2, PCI_BASE_ADDRESS_0);
	bus_read(&mmio, bar0, d, 4);
	cr_assert_eq(bar_reads, 0, "memory decode off at reset");
	cr_assert_eq(d[0], 0xff);
	wcfg16(2, PCI_COMMAND, PCI_COMMAND_MEMORY);
	bus_read(&mmio, bar0 + 8, d, 4);
	cr_assert_eq(bar_reads, 1);
	cr_assert_eq(d[0], 0x42);
	cr_assert_eq(moves, 2, "BAR0 and BAR4 mapped");
	/* The guest moves BAR0: the old address goes dark, the new works. */
	wcfg32(2, PCI_BASE_ADDRESS_0, 0xd0000000);
	cr_assert_eq(last_old, bar0);
	cr_assert_eq(last_new, 0xd0000000);
	bus_read(&mmio, bar0, d, 4);
	cr_assert_eq(bar_reads, 1);
	bus_read(&mmio, 0xd0000000 + 0x3ffc, d, 4);
	cr_assert_eq(bar_reads, 2);
	/* I/O decode separately. */
	wcfg16(2, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	bus_read(&pio, cfg32(2, PCI_BASE_ADDRESS_2) & ~3u, d, 1);
	cr_assert_eq(bar_reads, 3);
	/* Decode off again unmaps everything. */
	wcfg16(2, PCI_COMMAND, 0);
	bus_read(&mmio, 0xd0000000, d, 4);
	cr_assert_eq(bar_reads, 3);
}

Test(pci, bar_to_absurd_address_is_not_mapped)
{
	uint8_t d[4];

	pci_bus_add_device(&pb, &dev, 2);
	wcfg16(2, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	/* I/O BAR past port 0xffff. */
	wcfg32(2, PCI_BASE_ADDRESS_2, 0xffffff01);
	bus_read(&pio, 0xff00, d, 1);
	cr_assert_eq(bar_reads, 0);
	/* 64-bit BAR at the top of the address space would wrap. */
	wcfg32(2, PCI_BASE_ADDRESS_4, 0xfff00004);
	wcfg32(2, PCI_BASE_ADDRESS_5, 0xffffffff);
	bus_read(&mmio, 0xfffffffffff00000ULL, d, 4);
	cr_assert_eq(bar_reads, 0);
	/* Onto the ECAM window: refused (overlap), ECAM still works. */
	wcfg32(2, PCI_BASE_ADDRESS_0, 0xe0000000);
	bus_read(&mmio, 0xe0000000, d, 4);
	cr_assert_eq(d[0], 0x36, "ECAM still answers");
}

Test(pci, read_only_registers_and_w1c)
{
	pci_bus_add_device(&pb, &dev, 2);
	wcfg32(2, PCI_VENDOR_ID, 0x12345678);
	cr_assert_eq(cfg32(2, PCI_VENDOR_ID), 0x10451af4);
	wcfg32(2, PCI_CLASS_REVISION, 0);
	cr_assert_eq(cfg32(2, PCI_CLASS_REVISION), 0x00ff0001);
	/* Interrupt line is the guest's; interrupt pin is not. */
	wcfg16(2, PCI_INTERRUPT_LINE, 0xffff);
	cr_assert_eq(cfg32(2, PCI_INTERRUPT_LINE) & 0xffff, 0x00ff);
	/* Status error bits clear when written with 1. */
	dev.cfg[PCI_STATUS + 1] |= PCI_STATUS_REC_MASTER_ABORT >> 8;
	wcfg16(2, PCI_STATUS, PCI_STATUS_REC_MASTER_ABORT);
	cr_assert_eq(dev.cfg[PCI_STATUS + 1] & (PCI_STATUS_REC_MASTER_ABORT >> 8), 0);
	/* Reserved registers read 0 and ignore writes. */
	wcfg32(2, 0xf0, 0xffffffff);
	cr_assert_eq(cfg32(2, 0xf0), 0);
	/* Writes past the end of config space go nowhere. */
	wcfg32(2, 0xffe, 0xffffffff);
	cr_assert_eq(cfg32(2, 0xffc), 0);
}

Test(pci, capability_list_walk)
{
	uint8_t a[8] = { PCI_CAP_ID_VNDR, 0, 8, 1, 2, 3, 4, 5 };
	uint8_t b[12] = { PCI_CAP_ID_MSIX, 0, 0, 0 };
	uint8_t bw[12] = { 0, 0, 0, 0xc0 };
	unsigned int p, n = 0;
	int oa, ob;

	oa = pci_device_add_cap(&dev, a, NULL, sizeof(a));
	ob = pci_device_add_cap(&dev, b, bw, sizeof(b));
	cr_assert_eq(oa, 0x40);
	cr_assert_eq(ob, 0x48);
	pci_bus_add_device(&pb, &dev, 2);
	cr_assert(cfg32(2, PCI_COMMAND) >> 16 & PCI_STATUS_CAP_LIST);
	for (p = cfg32(2, PCI_CAPABILITY_LIST) & 0xff; p; n++) {
		uint32_t h = cfg32(2, p);

		cr_assert_lt(n, 3, "list terminates");
		cr_assert(p == (unsigned)oa || p == (unsigned)ob);
		p = (h >> 8) & 0xff;
	}
	cr_assert_eq(n, 2);
	/* Only the masked bits of a capability are writable. */
	wcfg32(2, ob, 0xffffffff);
	cr_assert_eq(cfg32(2, ob), (0xc0u << 24) | PCI_CAP_ID_MSIX);
	/* Capability space runs out cleanly. */
	{
		uint8_t big[200] = { PCI_CAP_ID_VNDR };

		cr_assert_lt(pci_device_add_cap(&dev, big, NULL, sizeof(big)), 0);
	}
}

Test(pci, slots)
{
	struct pci_device d2;

	pci_device_init(&d2, "d2", 1, 2, 0, 0, 0);
	cr_assert_eq(pci_bus_add_device(&pb, &dev, 5), 5);
	cr_assert_lt(pci_bus_add_device(&pb, &d2, 5), 0, "slot taken");
	cr_assert_lt(pci_bus_add_device(&pb, &d2, 0), 0, "host bridge slot");
	cr_assert_lt(pci_bus_add_device(&pb, &d2, 32), 0);
	cr_assert_eq(pci_bus_add_device(&pb, &d2, -1), 1);
}

Test(pci, bad_bar_declarations)
{
	cr_assert_lt(pci_device_set_bar(&dev, 6, 0x1000, false, false, &bar_ops, NULL), 0);
	cr_assert_lt(pci_device_set_bar(&dev, 5, 0x1000, false, true, &bar_ops, NULL), 0);
	cr_assert_lt(pci_device_set_bar(&dev, 1, 0x1001, false, false, &bar_ops, NULL), 0);
	cr_assert_lt(pci_device_set_bar(&dev, 1, 0, false, false, &bar_ops, NULL), 0);
}

/*
 * A config write through ECAM (an MMIO access) that turns decoding on
 * and so maps BARs onto the MMIO bus, and one through conf1 (a PIO
 * access) mapping an I/O BAR onto the PIO bus: before, the handler ran
 * under the bus's read lock and the remap waited for its write lock
 * forever (the suite's timeout ends a hang). FreeBSD and Windows use
 * ECAM for everything.
 */
Test(pci, bar_remap_from_inside_a_bus_access, .timeout = 10)
{
	uint8_t cmd[2] = { PCI_COMMAND_MEMORY | PCI_COMMAND_IO, 0 }, d[4];
	uint32_t bar0;

	cr_assert_eq(pci_bus_add_device(&pb, &dev, 2), 2);
	bar0 = cfg32(2, PCI_BASE_ADDRESS_0) & ~15u;
	bus_write(&mmio, 0xe0000000 + (2 << 15) + PCI_COMMAND, cmd, 2);
	cr_assert_geq(moves, 1, "BARs mapped from the ECAM write");
	bus_read(&mmio, bar0, d, 4);
	cr_assert_eq(d[0], 0x42, "BAR0 decodes");
	/* Off and on again through conf1. */
	out32(0xcf8, 0x80000000 | 2 << 11 | PCI_COMMAND);
	bus_write(&pio, 0xcfc, (uint8_t[2]){ 0, 0 }, 2);
	bus_write(&pio, 0xcfc, cmd, 2);
	bus_read(&pio, cfg32(2, PCI_BASE_ADDRESS_2) & ~3u, d, 1);
	cr_assert_eq(d[0], 0x42, "the I/O BAR decodes");
}

static int reset_hooks;
static void reset_hook(struct pci_device *d) { reset_hooks++; }

/* A machine reset: config space as plugged (the guest's BAR move, decode
 * and bus mastering undone, the mapping gone), then the device's hook. */
Test(pci, bus_reset_restores_config_as_plugged)
{
	uint8_t d[4];
	uint32_t bar0;

	dev.reset = reset_hook;
	reset_hooks = 0;
	pci_bus_add_device(&pb, &dev, 2);
	bar0 = cfg32(2, PCI_BASE_ADDRESS_0);
	wcfg16(2, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	wcfg32(2, PCI_BASE_ADDRESS_0, 0xd0000000);
	wcfg16(2, PCI_INTERRUPT_LINE, 11);
	cr_assert_eq(last_new, 0xd0000000);
	moves = 0;
	pci_bus_reset(&pb);
	cr_assert_eq(moves, 2, "BAR0 and BAR4 unmapped");
	cr_assert_eq(reset_hooks, 1);
	cr_assert_eq(cfg32(2, PCI_COMMAND) & 0xffff, 0);
	cr_assert_eq(cfg32(2, PCI_BASE_ADDRESS_0), bar0, "firmware's address again");
	cr_assert_eq(cfg32(2, PCI_INTERRUPT_LINE) & 0xff, 0);
	cr_assert_eq(last_new, 0, "unmapped: decode is off");
	bus_read(&mmio, 0xd0000000, d, 4);
	cr_assert_eq(bar_reads, 0);
	cr_assert_eq(cfg32(0, PCI_VENDOR_ID), 0x00081b36, "host bridge untouched");
}
