// SPDX-License-Identifier: MIT
/* The virtio-pci register file and PCI config space (conf1 and ECAM),
 * driven by (offset, width, value) sequences with resets and kicks, in
 * front of a device that answers every chain. */
#include "tests/fuzz/fuzz.h"

static uint8_t *ram;
static struct virtio_pci vp;
static struct virtq_chain chain;

static int answer(void *dev, unsigned int q, struct virtq *vq,
		  struct virtq_chain *c, const char **why)
{
	virtq_push(vq, c->head, 0);
	return 0;
}

static void kick(void *dev, unsigned int q)
{
	virtio_pci_serve(&vp, q, &chain, answer, dev);
}

static void cfg_read(void *dev, unsigned int off, uint8_t *d, unsigned int len)
{
	memset(d, 0x5a, len);
}

static const struct virtio_dev_ops ops = {
	.device_id = 5, .class_code = 0x00ff00, .num_queues = 3,
	.max_queue_size = 16, .config_len = 8, .config_read = cfg_read,
	.queue_notify = kick,
};

static void fire(void *c, unsigned int v, uint64_t a, uint32_t d) { }
static const struct virtio_pci_host be = { .msix_fire = fire };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin f = { data, size };
	struct guestmem gm;
	struct vdrv d;

	if (!ram)
		ram = calloc(1, FUZZ_RAM);
	memset(ram, 0, FUZZ_RAM);
	guestmem_init_with_buffer(&gm, ram, FUZZ_RAM);
	vdrv_init(&d);
	if (virtio_pci_init(&vp, &ops, NULL, &gm, &be, "fuzz") == 0) {
		vdrv_plug(&d, &vp);
		fuzz_guest(&f, &d, ram, ops.num_queues, kick, NULL, NULL, NULL);
	}
	pci_bus_exit(&d.pb);
	vdrv_exit(&d);
	return 0;
}
