// SPDX-License-Identifier: MIT
/* virtio-blk through its transport on a real (temporary) image with
 * io_uring: requests, completions and resets in any order. */
#include <stdio.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"
#include "virtio/blk.h"

static uint8_t *ram;
static struct blk_dev b;
static char img[64];

static void complete(void *ctx)
{
	blk_complete(ctx);
}

static void fire(void *c, unsigned int v, uint64_t a, uint32_t d) { }
static const struct virtio_pci_host be = { .msix_fire = fire };

static void remove_img(void)
{
	unlink(img);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	FILE *fp;

	snprintf(img, sizeof(img), "/tmp/vmm-fuzz-blk.%d", getpid());
	fp = fopen(img, "w");
	if (fp) {
		if (ftruncate(fileno(fp), 1 << 20) < 0)
			perror(img);
		fclose(fp);
	}
	atexit(remove_img);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin f = { data, size };
	struct blk_opts o = { .path = img, .discard = true,
			      .num_queues = 1 + (fin_get(&f, 1) & 1),
			      .aio = (fin_get(&f, 1) & 1) ? BLK_AIO_THREADS : BLK_AIO_IO_URING };
	struct guestmem gm;
	struct vdrv d;
	char err[256];

	if (!ram)
		ram = calloc(1, FUZZ_RAM);
	memset(ram, 0, FUZZ_RAM);
	guestmem_init_with_buffer(&gm, ram, FUZZ_RAM);
	vdrv_init(&d);
	if (blk_init(&b, &gm, &o, &be, err, sizeof(err)) == 0) {
		vdrv_plug(&d, &b.vp);
		fuzz_guest(&f, &d, ram, b.ops.num_queues, b.ops.queue_notify, &b,
			   complete, &b);
	}
	blk_exit(&b);
	pci_bus_exit(&d.pb);
	vdrv_exit(&d);
	return 0;
}
