// SPDX-License-Identifier: MIT
/* virtio-balloon through its transport: inflate/deflate/stats/reporting
 * buffers from guest memory the input writes. */
#include "tests/fuzz/fuzz.h"
#include "virtio/balloon.h"

static uint8_t *ram;
static struct balloon b;

static void stats(void *ctx)
{
	balloon_request_stats(ctx);
}

static void fire(void *c, unsigned int v, uint64_t a, uint32_t d) { }
static const struct virtio_pci_host be = { .msix_fire = fire };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin f = { data, size };
	struct balloon_opts o = { .deflate_on_oom = true,
				  .free_page_reporting = true };
	struct guestmem gm;
	struct vdrv d;

	if (!ram)
		ram = calloc(1, FUZZ_RAM);
	memset(ram, 0, FUZZ_RAM);
	guestmem_init_with_buffer(&gm, ram, FUZZ_RAM);
	vdrv_init(&d);
	if (balloon_init(&b, &gm, &o, &be) == 0) {
		vdrv_plug(&d, &b.vp);
		fuzz_guest(&f, &d, ram, b.ops.num_queues, balloon_queue_notify, &b,
			   stats, &b);
	}
	pci_bus_exit(&d.pb);
	vdrv_exit(&d);
	return 0;
}
