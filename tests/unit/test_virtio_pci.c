// SPDX-License-Identifier: MIT
/* The virtio-pci transport driven by a simulated driver through BAR0 and
 * config space, with a recording backend and a fake device. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "virtio/virtio_pci.h"

#define RAM (1u << 20)
static uint8_t *ram;
static struct guestmem gm;
static struct virtio_pci vp;
static struct bus pio, mmio;
static struct pci_bus pb;
static uint64_t bar;

static struct {
	int fired[VIRTIO_PCI_MAX_VECTORS];
	int updates, intx_level, kicks[4], resets, activations;
	uint8_t config[8];
	uint64_t notify_addr[4];
} rec;

static void cfg_read(void *dev, unsigned int off, uint8_t *d, unsigned int len)
{
	memcpy(d, rec.config + off, len);
}

static void cfg_write(void *dev, unsigned int off, const uint8_t *d, unsigned int len)
{
	memcpy(rec.config + off, d, len);
}

static struct virtq_chain chain;
static int served_chains;
static int fake_chain(void *dev, unsigned int q, struct virtq *vq,
		      struct virtq_chain *c, const char **why)
{
	served_chains++;
	virtq_push(vq, c->head, 0);
	return 0;
}
/* The fake device serves its queues as real ones do; a kick counts when
 * the transport let it serve (the queue was live). */
static void q_notify(void *dev, unsigned int q)
{
	if (virtio_pci_serve(&vp, q, &chain, fake_chain, dev))
		__atomic_fetch_add(&rec.kicks[q], 1, __ATOMIC_RELAXED);
}
static int reset_busy;   /* the fake device has I/O in flight */
static int dev_reset(void *dev) { rec.resets++; return reset_busy ? -EBUSY : 0; }
static void dev_activate(void *dev) { rec.activations++; }

static const struct virtio_dev_ops ops = {
	.device_id = 5, .class_code = 0x00ff00, .features = 1ULL << 2,
	.num_queues = 3, .max_queue_size = 64, .config_len = 8,
	.config_read = cfg_read, .config_write = cfg_write,
	.queue_notify = q_notify, .reset = dev_reset, .activate = dev_activate,
};

static void fire(void *c, unsigned int v, uint64_t a, uint32_t d) { rec.fired[v]++; }
static void upd(void *c, unsigned int v, uint64_t a, uint32_t d, bool m) { rec.updates++; }
static void intx(void *c, int l) { rec.intx_level = l; }
static void moved(void *c, unsigned int q, uint64_t a) { rec.notify_addr[q] = a; }

static const struct virtio_pci_host be = {
	.msix_fire = fire, .msix_update = upd, .intx = intx, .notify_moved = moved,
};

static uint32_t rd(unsigned int off, unsigned int len)
{
	uint8_t d[8] = { 0 };
	uint32_t v = 0;

	bus_read(&mmio, bar + off, d, len);
	for (unsigned int i = 0; i < len && i < 4; i++)
		v |= (uint32_t)d[i] << (8 * i);
	return v;
}

static void wr(unsigned int off, uint32_t v, unsigned int len)
{
	uint8_t d[4] = { v, v >> 8, v >> 16, v >> 24 };

	bus_write(&mmio, bar + off, d, len);
}

static void cfgw16(unsigned int off, uint16_t v)
{
	uint8_t d[2] = { v, v >> 8 };

	pci_cfg_write(&pb, vp.pci.slot, 0, off, d, 2);
}

static void setup(void)
{
	memset(&rec, 0, sizeof(rec));
	served_chains = reset_busy = 0;
	ram = calloc(1, RAM);
	guestmem_init_with_buffer(&gm, ram, RAM);
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	pci_bus_init(&pb, &pio, &mmio, 0xe0000000, 0xc0000000, 0x20000000);
	cr_assert_eq(virtio_pci_init(&vp, &ops, NULL, &gm, &be, "vtest"), 0);
	cr_assert_gt(pci_bus_add_device(&pb, &vp.pci, -1), 0);
	bar = pci_cfg_get32(&vp.pci, PCI_BASE_ADDRESS_0) & ~15u;
	cfgw16(PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	rec.resets = 0;
}

static void teardown(void)
{
	free(ram);
	bus_exit(&pio);
	bus_exit(&mmio);
}

TestSuite(vpci, .init = setup, .fini = teardown);

/* Find a vendor capability of @type by walking the list. */
static int find_cap(uint8_t type)
{
	unsigned int p = vp.pci.cfg[PCI_CAPABILITY_LIST];

	for (int n = 0; p && n < 48; n++) {
		if (vp.pci.cfg[p] == PCI_CAP_ID_VNDR && vp.pci.cfg[p + 3] == type)
			return p;
		p = vp.pci.cfg[p + 1];
	}
	return -1;
}

static void negotiate(uint64_t feat)
{
	wr(0x14, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER, 1);
	wr(0x08, 0, 4);
	wr(0x0c, (uint32_t)feat, 4);
	wr(0x08, 1, 4);
	wr(0x0c, (uint32_t)(feat >> 32), 4);
	wr(0x14, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	   VIRTIO_CONFIG_S_FEATURES_OK, 1);
}

static void setup_queue(unsigned int q, uint64_t base)
{
	wr(0x16, q, 2);
	wr(0x18, 8, 2);
	wr(0x20, base, 4);
	wr(0x24, 0, 4);
	wr(0x28, base + 0x100, 4);
	wr(0x2c, 0, 4);
	wr(0x30, base + 0x200, 4);
	wr(0x34, 0, 4);
	wr(0x1c, 1, 2);
}

#define V1 (1ULL << VIRTIO_F_VERSION_1)
#define OK_STATUS (VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | \
		   VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK)

Test(vpci, ids_and_capabilities)
{
	int common = find_cap(VIRTIO_PCI_CAP_COMMON_CFG);
	int notify = find_cap(VIRTIO_PCI_CAP_NOTIFY_CFG);

	cr_assert_eq(pci_cfg_get16(&vp.pci, PCI_VENDOR_ID), 0x1af4);
	cr_assert_eq(pci_cfg_get16(&vp.pci, PCI_DEVICE_ID), 0x1045);
	cr_assert_eq(vp.pci.cfg[PCI_REVISION_ID], 1);
	cr_assert_eq(pci_cfg_get32(&vp.pci, PCI_CLASS_REVISION) >> 8, 0x00ff00);
	cr_assert_eq(pci_cfg_get16(&vp.pci, PCI_SUBSYSTEM_ID), 5);
	cr_assert_geq(common, 0x40);
	cr_assert_geq(notify, 0x40);
	cr_assert_geq(find_cap(VIRTIO_PCI_CAP_ISR_CFG), 0x40);
	cr_assert_geq(find_cap(VIRTIO_PCI_CAP_DEVICE_CFG), 0x40);
	cr_assert_geq(find_cap(VIRTIO_PCI_CAP_PCI_CFG), 0x40);
	cr_assert_eq(pci_cfg_get32(&vp.pci, notify + 16), VPCI_NOTIFY_MULT);
	cr_assert_eq(vp.pci.cfg[vp.msix_cap], PCI_CAP_ID_MSIX);
	cr_assert_eq(pci_cfg_get16(&vp.pci, vp.msix_cap + 2) & 0x7ff, 3, "4 vectors");
	cr_assert_eq(rd(0x12, 2), 3, "num_queues");
	cr_assert_eq(rec.notify_addr[1], bar + VPCI_NOTIFY_OFF + 4,
		     "one notify address per queue, reported to the backend");
}

Test(vpci, feature_windows)
{
	wr(0x00, 0, 4);
	cr_assert_eq(rd(0x04, 4), (uint32_t)(ops.features | (1u << 28) | (1u << 29)));
	wr(0x00, 1, 4);
	cr_assert_eq(rd(0x04, 4), 1, "VERSION_1 in the second word");
	wr(0x00, 7, 4);
	cr_assert_eq(rd(0x04, 4), 0, "beyond the defined words");
	wr(0x08, 9, 4);
	wr(0x0c, 0xffffffff, 4);
	cr_assert_eq(vp.driver_features, 0, "guest window beyond 64 bits ignored");
}

Test(vpci, features_ok_needs_version_1)
{
	negotiate(1ULL << 2);
	cr_assert_not(rd(0x14, 1) & VIRTIO_CONFIG_S_FEATURES_OK);
}

Test(vpci, features_ok_refuses_unoffered)
{
	negotiate(V1 | (1ULL << 40));
	cr_assert_not(rd(0x14, 1) & VIRTIO_CONFIG_S_FEATURES_OK);
	teardown();
	setup();
	negotiate(V1 | (1ULL << 2));
	cr_assert(rd(0x14, 1) & VIRTIO_CONFIG_S_FEATURES_OK);
	/* Features are frozen after FEATURES_OK. */
	wr(0x08, 0, 4);
	wr(0x0c, 0, 4);
	cr_assert(vp.driver_features & (1ULL << 2));
}

Test(vpci, driver_ok_without_features_ok)
{
	wr(0x14, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
	   VIRTIO_CONFIG_S_DRIVER_OK, 1);
	cr_assert(rd(0x14, 1) & VIRTIO_CONFIG_S_NEEDS_RESET);
	cr_assert_not(rd(0x14, 1) & VIRTIO_CONFIG_S_DRIVER_OK);
	cr_assert_eq(rec.activations, 0);
}

Test(vpci, queue_setup_and_kick)
{
	negotiate(V1);
	setup_queue(1, 0x4000);
	cr_assert_eq(rd(0x1c, 2), 1);
	cr_assert_eq(rd(0x1e, 2), 1, "notify off = queue index");
	wr(0x14, OK_STATUS, 1);
	cr_assert_eq(rec.activations, 1);
	cr_assert_eq(rec.kicks[1], 1, "DRIVER_OK looks at every live queue");
	cr_assert_eq(rec.kicks[0], 0, "but not at disabled ones");
	wr(VPCI_NOTIFY_OFF + 4, 1, 2);
	cr_assert_eq(rec.kicks[1], 2, "slow path notify reaches the device");
	/* A kick to a queue that is not enabled does nothing. */
	wr(VPCI_NOTIFY_OFF + 8, 2, 2);
	cr_assert_eq(rec.kicks[2], 0);
	/* Without bus mastering the device must not touch memory. */
	cfgw16(PCI_COMMAND, PCI_COMMAND_MEMORY);
	wr(VPCI_NOTIFY_OFF + 4, 1, 2);
	cr_assert_eq(rec.kicks[1], 2);
}

/*
 * Linux's balloon posts its first stats buffer and kicks before it sets
 * DRIVER_OK; the device may not look then (virtio 1.2, 3.1.1), so it
 * must look at DRIVER_OK or the stats never flow (found on real KVM).
 */
Test(vpci, kick_before_driver_ok_is_served_at_driver_ok)
{
	negotiate(V1);
	setup_queue(0, 0x4000);
	wr(VPCI_NOTIFY_OFF, 0, 2);
	cr_assert_eq(rec.kicks[0], 0, "not before DRIVER_OK");
	wr(0x14, OK_STATUS, 1);
	cr_assert_eq(rec.kicks[0], 1);
}

Test(vpci, queue_size_rules)
{
	wr(0x16, 0, 2);
	cr_assert_eq(rd(0x18, 2), 64, "max size offered");
	wr(0x18, 0, 2);
	cr_assert_eq(rd(0x18, 2), 64, "size 0 refused");
	wr(0x18, 12, 2);
	cr_assert_eq(rd(0x18, 2), 64, "not a power of two");
	wr(0x18, 128, 2);
	cr_assert_eq(rd(0x18, 2), 64, "larger than the maximum");
	wr(0x18, 16, 2);
	cr_assert_eq(rd(0x18, 2), 16);
	wr(0x18, 1, 2);
	cr_assert_eq(rd(0x18, 2), 1);
}

Test(vpci, queue_fields_frozen_after_driver_ok)
{
	negotiate(V1);
	setup_queue(0, 0x4000);
	wr(0x14, OK_STATUS, 1);
	/* The Firecracker bug: size and addresses rewritten while live. */
	wr(0x16, 0, 2);
	wr(0x18, 2, 2);
	wr(0x20, 0xdead0000, 4);
	wr(0x1c, 0, 2);
	cr_assert_eq(rd(0x18, 2), 8);
	cr_assert_eq(rd(0x20, 4), 0x4000);
	cr_assert_eq(rd(0x1c, 2), 1);
	cr_assert_eq(vp.queues[0].vq.size, 8);
	/* Another queue, not enabled before DRIVER_OK, is frozen too. */
	wr(0x16, 2, 2);
	wr(0x20, 0x5000, 4);
	wr(0x1c, 1, 2);
	cr_assert_eq(rd(0x1c, 2), 0);
}

Test(vpci, queue_select_out_of_range)
{
	wr(0x16, 200, 2);
	cr_assert_eq(rd(0x18, 2), 0, "nonexistent queue has size 0");
	wr(0x18, 8, 2);
	wr(0x1a, 1, 2);
	wr(0x20, 0x4000, 4);
	wr(0x1c, 1, 2);
	cr_assert_eq(rd(0x1a, 2), 0);
	cr_assert_eq(rd(0x1c, 2), 0);
	/* Notify for a queue number past the region: ignored. */
	wr(VPCI_NOTIFY_OFF + 4 * 10, 10, 2);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(rec.kicks[i], 0);
}

Test(vpci, msix_vector_out_of_range_reads_no_vector)
{
	wr(0x10, 3, 2);
	cr_assert_eq(rd(0x10, 2), 3);
	wr(0x10, 4, 2);
	cr_assert_eq(rd(0x10, 2), VIRTIO_MSI_NO_VECTOR);
	wr(0x10, 0x7fff, 2);
	cr_assert_eq(rd(0x10, 2), VIRTIO_MSI_NO_VECTOR);
	wr(0x16, 1, 2);
	wr(0x1a, 9, 2);
	cr_assert_eq(rd(0x1a, 2), VIRTIO_MSI_NO_VECTOR);
	wr(0x1a, 2, 2);
	cr_assert_eq(rd(0x1a, 2), 2);
}

Test(vpci, enable_with_rings_outside_ram)
{
	negotiate(V1);
	wr(0x16, 0, 2);
	wr(0x20, RAM - 16, 4);
	wr(0x28, 0x4100, 4);
	wr(0x30, 0x4200, 4);
	wr(0x1c, 1, 2);
	cr_assert(rd(0x14, 1) & VIRTIO_CONFIG_S_NEEDS_RESET);
	cr_assert_eq(rd(0x1c, 2), 0);
}

Test(vpci, reset_clears_everything)
{
	negotiate(V1);
	setup_queue(0, 0x4000);
	wr(0x10, 1, 2);
	wr(0x14, OK_STATUS, 1);
	wr(0x14, 0, 1);
	cr_assert_eq(rd(0x14, 1), 0);
	cr_assert_eq(rec.resets, 1);
	cr_assert_eq(vp.driver_features, 0);
	wr(0x16, 0, 2);
	cr_assert_eq(rd(0x1c, 2), 0, "queue disabled");
	cr_assert_eq(rd(0x18, 2), 64, "size back to max");
	cr_assert_eq(rd(0x20, 4), 0);
	cr_assert_eq(rd(0x10, 2), VIRTIO_MSI_NO_VECTOR);
}

Test(vpci, wrong_width_and_read_only_writes)
{
	wr(0x12, 99, 2);            /* num_queues is read-only */
	cr_assert_eq(rd(0x12, 2), 3);
	wr(0x15, 9, 1);             /* config_generation is read-only */
	cr_assert_eq(rd(0x15, 1), 0);
	wr(0x16, 1, 4);             /* queue_select written as a dword */
	cr_assert_eq(rd(0x16, 2), 0);
	wr(0x00, 1, 2);             /* feature select as a word */
	cr_assert_eq(rd(0x00, 4), 0);
	cr_assert_eq(rd(0x3c, 4), 0, "past the structure");
}

Test(vpci, device_config_bounds)
{
	wr(VPCI_DEVICE_OFF + 2, 0xabcd, 2);
	cr_assert_eq(rd(VPCI_DEVICE_OFF + 2, 2), 0xabcd);
	cr_assert_eq(rd(VPCI_DEVICE_OFF + 3, 1), 0xab, "odd offset byte");
	wr(VPCI_DEVICE_OFF + 6, 0x11223344, 4);   /* crosses the end */
	cr_assert_eq(rec.config[6], 0);
	cr_assert_eq(rd(VPCI_DEVICE_OFF + 6, 4), 0);
	cr_assert_eq(rd(VPCI_DEVICE_OFF + 100, 4), 0, "past the end");
}

Test(vpci, msix_delivery_masking_and_pba)
{
	unsigned int ctrl = vp.msix_cap + PCI_MSIX_FLAGS;
	struct vring_avail *avail = (void *)(ram + 0x4100);

	negotiate(V1);
	setup_queue(0, 0x4000);
	wr(0x16, 0, 2);
	wr(0x1a, 1, 2);
	wr(0x14, OK_STATUS, 1);
	cfgw16(ctrl, 0x8000);          /* MSI-X on; entries still masked */
	wr(VPCI_MSIX_OFF + 16 + 0, 0xfee00000, 4);
	wr(VPCI_MSIX_OFF + 16 + 8, 0x41, 4);
	avail->flags = 0;
	virtq_push(&vp.queues[0].vq, 0, 0);
	virtio_pci_notify_queue(&vp, 0);
	cr_assert_eq(rec.fired[1], 0, "masked");
	cr_assert_eq(rd(VPCI_PBA_OFF, 4), 2, "pending bit");
	wr(VPCI_MSIX_OFF + 16 + 12, 0, 4);   /* unmask */
	cr_assert_eq(rec.fired[1], 1, "delivered on unmask");
	cr_assert_eq(rd(VPCI_PBA_OFF, 4), 0);
	/* Function mask holds everything back too. */
	cfgw16(ctrl, 0xc000);
	virtq_push(&vp.queues[0].vq, 0, 0);
	virtio_pci_notify_queue(&vp, 0);
	cr_assert_eq(rec.fired[1], 1);
	cfgw16(ctrl, 0x8000);
	cr_assert_eq(rec.fired[1], 2);
	cr_assert_gt(rec.updates, 0, "routes rebuilt on table writes");
}

Test(vpci, msix_table_hostile_accesses)
{
	wr(VPCI_MSIX_OFF + 4 * 16, 0x12345678, 4);   /* past the table */
	cr_assert_eq(rd(VPCI_MSIX_OFF + 4 * 16, 4), 0);
	wr(VPCI_MSIX_OFF + 2, 0xffff, 2);            /* unaligned, word */
	cr_assert_eq(vp.msix[0].addr_lo, 0);
	wr(VPCI_MSIX_OFF + 1, 0xff, 1);              /* byte */
	cr_assert_eq(vp.msix[0].addr_lo, 0);
	{
		uint8_t q[8] = { 0, 0, 0xe0, 0xfe, 0, 0, 0, 0 };

		bus_write(&mmio, bar + VPCI_MSIX_OFF + 16, q, 8);   /* qword addr */
		cr_assert_eq(vp.msix[1].addr_lo, 0xfee00000);
		bus_write(&mmio, bar + VPCI_MSIX_OFF + 16 + 8, q, 8); /* qword data+ctrl */
		cr_assert_eq(vp.msix[1].data, 0, "qword over data/ctrl refused");
	}
	wr(VPCI_MSIX_OFF + 12, 0xffffffff, 4);
	cr_assert_eq(vp.msix[0].ctrl, 1, "only the mask bit is writable");
	wr(VPCI_PBA_OFF, 0xffffffff, 4);
	cr_assert_eq(rd(VPCI_PBA_OFF, 4), 0, "PBA is read-only");
}

Test(vpci, intx_and_isr_when_msix_off)
{
	struct vring_avail *avail = (void *)(ram + 0x4100);

	negotiate(V1);
	setup_queue(0, 0x4000);
	wr(0x14, OK_STATUS, 1);
	avail->flags = 0;
	virtq_push(&vp.queues[0].vq, 0, 0);
	virtio_pci_notify_queue(&vp, 0);
	cr_assert_eq(rec.intx_level, 1);
	cr_assert_eq(rd(VPCI_ISR_OFF, 1), 1, "queue interrupt");
	cr_assert_eq(rec.intx_level, 0, "read-to-clear lowers the line");
	cr_assert_eq(rd(VPCI_ISR_OFF, 1), 0);
	virtio_pci_notify_config(&vp);
	cr_assert_eq(rd(VPCI_ISR_OFF, 1), 2, "config interrupt");
	cr_assert_eq(rd(0x15, 1), 1, "config generation bumped");
}

static uint16_t cfgr16(unsigned int off)
{
	uint8_t d[2];

	pci_cfg_read(&pb, vp.pci.slot, 0, off, d, 2);
	return (uint16_t)(d[0] | d[1] << 8);
}

/* The command register's Interrupt Disable holds INTx low while an
 * interrupt stays pending, which the status register still shows. */
Test(vpci, intx_disable_masks_the_line_not_the_status)
{
	negotiate(V1);
	setup_queue(0, 0x4000);
	wr(0x14, OK_STATUS, 1);
	cr_assert_not(cfgr16(PCI_STATUS) & PCI_STATUS_INTERRUPT);
	cfgw16(PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
	       PCI_COMMAND_INTX_DISABLE);
	virtio_pci_notify_config(&vp);
	cr_assert_eq(rec.intx_level, 0, "disabled: the line stays low");
	cr_assert(cfgr16(PCI_STATUS) & PCI_STATUS_INTERRUPT, "but it is pending");
	cfgw16(PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	cr_assert_eq(rec.intx_level, 1, "enabled again: the line rises");
	cr_assert_eq(rd(VPCI_ISR_OFF, 1), 2);
	cr_assert_eq(rec.intx_level, 0);
	cr_assert_not(cfgr16(PCI_STATUS) & PCI_STATUS_INTERRUPT);
}

Test(vpci, needs_reset_raises_config_interrupt)
{
	negotiate(V1);
	setup_queue(0, 0x4000);
	wr(0x14, OK_STATUS, 1);
	virtio_pci_set_needs_reset(&vp, "test");
	cr_assert(rd(0x14, 1) & VIRTIO_CONFIG_S_NEEDS_RESET);
	cr_assert_eq(rd(VPCI_ISR_OFF, 1), 2);
	/* The driver cannot clear NEEDS_RESET except by a reset. */
	wr(0x14, OK_STATUS, 1);
	cr_assert(rd(0x14, 1) & VIRTIO_CONFIG_S_NEEDS_RESET);
	rec.kicks[0] = 0;
	wr(VPCI_NOTIFY_OFF, 0, 2);
	cr_assert_eq(rec.kicks[0], 0, "no service while NEEDS_RESET");
	wr(0x14, 0, 1);
	cr_assert_eq(rd(0x14, 1), 0);
}

Test(vpci, bar_move_reroutes_notify)
{
	uint8_t d[4] = { 0, 0, 0, 0xd0 };

	pci_cfg_write(&pb, vp.pci.slot, 0, PCI_BASE_ADDRESS_0, d, 4);
	cr_assert_eq(rec.notify_addr[2], 0xd0000000 + VPCI_NOTIFY_OFF + 8);
	cfgw16(PCI_COMMAND, 0);
	cr_assert_eq(rec.notify_addr[2], 0, "decode off: no notify address");
}

Test(vpci, pci_cfg_access_window)
{
	int cap = find_cap(VIRTIO_PCI_CAP_PCI_CFG);
	uint8_t d[4];

	cr_assert_gt(cap, 0);
	/* Read num_queues (common cfg 0x12, 2 bytes) through the window. */
	d[0] = 0;
	pci_cfg_write(&pb, vp.pci.slot, 0, cap + 4, d, 1);       /* BAR 0 */
	d[0] = 0x12; d[1] = d[2] = d[3] = 0;
	pci_cfg_write(&pb, vp.pci.slot, 0, cap + 8, d, 4);       /* offset */
	d[0] = 2;
	pci_cfg_write(&pb, vp.pci.slot, 0, cap + 12, d, 4);      /* length */
	pci_cfg_read(&pb, vp.pci.slot, 0, cap + 16, d, 4);
	cr_assert_eq(d[0] | d[1] << 8, 3);
	/* Write queue_select = 2 through it. */
	d[0] = 0x16;
	pci_cfg_write(&pb, vp.pci.slot, 0, cap + 8, d, 4);
	d[0] = 2; d[1] = 0;
	pci_cfg_write(&pb, vp.pci.slot, 0, cap + 16, d, 2);
	cr_assert_eq(rd(0x16, 2), 2);
	/* Hostile windows: odd width, misaligned, past the BAR, other BAR. */
	d[0] = 3; d[1] = d[2] = d[3] = 0;
	pci_cfg_write(&pb, vp.pci.slot, 0, cap + 12, d, 4);
	pci_cfg_read(&pb, vp.pci.slot, 0, cap + 16, d, 4);
	d[0] = 4;
	pci_cfg_write(&pb, vp.pci.slot, 0, cap + 12, d, 4);
	d[0] = 0x13;
	pci_cfg_write(&pb, vp.pci.slot, 0, cap + 8, d, 4);
	d[0] = 0xff;
	pci_cfg_write(&pb, vp.pci.slot, 0, cap + 16, d, 4);
	d[0] = 0xfe; d[1] = 0xff; d[2] = 0; d[3] = 0;
	pci_cfg_write(&pb, vp.pci.slot, 0, cap + 8, d, 4);
	pci_cfg_write(&pb, vp.pci.slot, 0, cap + 16, d, 4);
	d[0] = 3;
	pci_cfg_write(&pb, vp.pci.slot, 0, cap + 4, d, 1);
	pci_cfg_write(&pb, vp.pci.slot, 0, cap + 16, d, 4);
	cr_assert_eq(rd(0x16, 2), 2, "nothing went through");
}

Test(vpci, enable_needs_addresses)
{
	negotiate(V1);
	wr(0x16, 0, 2);
	wr(0x1c, 1, 2);
	cr_assert_eq(rd(0x1c, 2), 0, "no addresses yet");
	wr(0x20, 0x4000, 4);
	wr(0x28, 0x4100, 4);
	wr(0x1c, 1, 2);
	cr_assert_eq(rd(0x1c, 2), 0, "used ring still missing");
	wr(0x30, 0x4200, 4);
	wr(0x1c, 1, 2);
	cr_assert_eq(rd(0x1c, 2), 1);
	cr_assert_not(rd(0x14, 1) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/* 8-byte accesses to common_cfg (found by fuzzing: the value was built
 * by shifting a 32-bit integer 32..56 bits, undefined behaviour): the
 * 64-bit queue addresses take two dword writes; a qword is ignored. */
Test(vpci, qword_common_cfg_write_is_ignored)
{
	uint8_t q[8] = { 0x00, 0x50, 0, 0, 0x01, 0, 0, 0 };

	negotiate(V1);
	wr(0x16, 0, 2);
	wr(0x20, 0x4000, 4);
	bus_write(&mmio, bar + 0x20, q, 8);
	cr_assert_eq(rd(0x20, 4), 0x4000);
	cr_assert_eq(rd(0x24, 4), 0);
	bus_write(&mmio, bar + 0x10, q, 8);          /* msix_config + num_queues */
	cr_assert_eq(rd(0x10, 2), VIRTIO_MSI_NO_VECTOR);
}

static void finish_reset(void *ctx)
{
	virtio_pci_reset_done_locked(ctx);
}

/*
 * A reset with host I/O still in flight (virtio-blk with cache=none, a
 * read still landing in guest memory): the driver must not read 0 until
 * it is over, or it would reuse memory the device still writes (21 of
 * 48 rounds before; QEMU: 0). Meanwhile nothing is served.
 */
Test(vpci, reset_with_io_in_flight_completes_when_it_is_over)
{
	negotiate(V1);
	setup_queue(0, 0x4000);
	wr(0x14, OK_STATUS, 1);
	reset_busy = 1;
	wr(0x14, 0, 1);
	cr_assert_eq(rec.resets, 1);
	cr_assert_eq(rd(0x14, 1), OK_STATUS, "not 0 while I/O is in flight");
	rec.kicks[0] = 0;
	wr(VPCI_NOTIFY_OFF, 0, 2);
	cr_assert_eq(rec.kicks[0], 0, "no service during the reset");
	wr(0x14, OK_STATUS, 1);
	cr_assert_eq(rd(0x14, 1), OK_STATUS, "no new status before 0 was read");
	virtio_pci_locked(&vp, finish_reset, &vp);
	cr_assert_eq(rd(0x14, 1), 0, "done once the I/O is");
	cr_assert_eq(rd(0x1c, 2), 0, "queues disabled");
}

/*
 * The reset-versus-kick crash: a vCPU resets the device while another
 * thread (the ioeventfd I/O thread) kicks it. The device must find the
 * queue gone under the transport's lock, never touch a ring that reset
 * took away (SIGSEGV 7 runs of 7 before), and interrupts must not read
 * a disabled ring either.
 */
static bool race_stop;   /* atomic: the other thread polls it */

static void *kicker(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&race_stop, __ATOMIC_RELAXED)) {
		virtio_pci_kick(&vp, 0);
		virtio_pci_notify_queue(&vp, 0);
	}
	return NULL;
}

Test(vpci, reset_racing_kicks_and_interrupts)
{
	struct vring_avail *avail = (void *)(ram + 0x4100);
	pthread_t t;

	cr_assert_eq(pthread_create(&t, NULL, kicker, NULL), 0);
	for (int i = 0; i < 20000; i++) {
		memset(ram + 0x4000, 0, 0x400);   /* fresh rings, as a driver's */
		negotiate(V1);
		setup_queue(0, 0x4000);
		wr(0x14, OK_STATUS, 1);
		avail->ring[avail->idx % 8] = 0;
		/* Published as a driver does, after a write barrier. */
		__atomic_store_n(&avail->idx, avail->idx + 1, __ATOMIC_RELEASE);
		wr(VPCI_NOTIFY_OFF, 0, 2);
		wr(0x14, 0, 1);
		cr_assert_eq(rd(0x14, 1), 0);
	}
	__atomic_store_n(&race_stop, true, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	cr_assert_gt(served_chains, 0);
}

/* The I/O of a fake device that ends on another thread a little later. */
static void *finish_later(void *arg)
{
	(void)arg;
	usleep(50 * 1000);
	virtio_pci_locked(&vp, finish_reset, &vp);
	return NULL;
}

/*
 * A machine reset (vmm/machine_reset.c): the device as a driver's write of
 * 0 would leave it, once its in-flight I/O is over (waited for, not
 * polled), and after pci_bus_reset() the MSI-X table masked, the pending
 * bits and the routes gone, the BAR unmapped until the new boot's driver
 * turns decode on again.
 */
Test(vpci, machine_reset_waits_for_io_then_pci_side_is_power_on, .timeout = 10)
{
	unsigned int ctrl = vp.msix_cap + PCI_MSIX_FLAGS;
	struct vring_avail *avail = (void *)(ram + 0x4100);
	pthread_t t;

	negotiate(V1);
	setup_queue(0, 0x4000);
	wr(0x16, 0, 2);
	wr(0x1a, 1, 2);
	wr(0x14, OK_STATUS, 1);
	cfgw16(ctrl, 0x8000);
	wr(VPCI_MSIX_OFF + 16 + 0, 0xfee00000, 4);
	wr(VPCI_MSIX_OFF + 16 + 8, 0x41, 4);
	avail->flags = 0;
	virtq_push(&vp.queues[0].vq, 0, 0);
	virtio_pci_notify_queue(&vp, 0);
	cr_assert_eq(rd(VPCI_PBA_OFF, 4), 2, "a pending bit to lose");

	reset_busy = 1;
	cr_assert_eq(virtio_pci_reset_sync(&vp, 20), -ETIMEDOUT,
		     "I/O in flight: still pending after the timeout");
	cr_assert_eq(rd(0x14, 1), OK_STATUS);
	pthread_create(&t, NULL, finish_later, NULL);
	cr_assert_eq(virtio_pci_reset_sync(&vp, 5000), 0, "done when the I/O is");
	pthread_join(t, NULL);
	cr_assert_eq(rd(0x14, 1), 0);
	cr_assert_eq(rd(0x1c, 2), 0, "queues disabled");
	reset_busy = 0;
	cr_assert_eq(virtio_pci_reset_sync(&vp, 0), 0, "idle: at once");

	rec.updates = 0;
	pci_bus_reset(&pb);
	cr_assert_eq(pci_cfg_get16(&vp.pci, PCI_COMMAND), 0);
	cr_assert_eq(pci_cfg_get16(&vp.pci, ctrl) & 0xc000, 0, "MSI-X off");
	cr_assert_eq(vp.bar_addr, 0, "BAR0 unmapped");
	cr_assert_eq(rec.notify_addr[0], 0, "ioeventfds follow");
	cfgw16(PCI_COMMAND, PCI_COMMAND_MEMORY);
	cr_assert_eq(rd(VPCI_PBA_OFF, 4), 0, "pending bits gone");
	cr_assert_eq(rd(VPCI_MSIX_OFF + 16 + 0, 4), 0);
	cr_assert_eq(rd(VPCI_MSIX_OFF + 16 + 8, 4), 0);
	cr_assert_eq(rd(VPCI_MSIX_OFF + 16 + 12, 4), 1, "entry masked");
	cr_assert_geq(rec.updates, (int)vp.nvectors, "every route re-sent (off)");
}
