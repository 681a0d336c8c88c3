// SPDX-License-Identifier: MIT
/*
 * The virtio-blk device through its transport: config layout, features,
 * cache modes, both backends (io_uring and the thread pool) on a real
 * temporary image, multi-segment discard and host-side errors.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/vdrv.h"
#include "virtio/blk.h"

#define RAM  (4u << 20)
#define HDR  0x20000
#define DATA 0x30000
#define STAT 0x40000
#define IMG  (1u << 20)

static uint8_t *ram;
static struct guestmem gm;
static struct blk_dev b;
static struct vdrv drv;
static char path[] = "/tmp/vmm-blk-unit-XXXXXX";

static void fire(void *c, unsigned int v, uint64_t a, uint32_t d) { }
static const struct virtio_pci_host be = { .msix_fire = fire };

static void wr(unsigned int off, uint32_t v, unsigned int len)
{
	vdrv_wr(&drv, off, v, len);
}

static uint32_t rd(unsigned int off, unsigned int len)
{
	return vdrv_rd(&drv, off, len);
}

static void bring_up(void)
{
	vdrv_wr(&drv, 0x00, 0, 4);
	vdrv_negotiate(&drv, rd(0x04, 4));    /* every device feature */
	for (unsigned int q = 0; q < b.nq; q++) {
		uint64_t base = 0x10000 + q * 0x1000;

		vdrv_queue(&drv, q, 8, base, base + 0x100, base + 0x200,
			   VIRTIO_MSI_NO_VECTOR);
	}
	vdrv_driver_ok(&drv);
	cr_assert_eq(rd(0x14, 1), 0xf);
}

static void start(struct blk_opts o)
{
	char err[256] = "";
	int fd;

	strcpy(path, "/tmp/vmm-blk-unit-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, IMG), 0);
	close(fd);
	ram = calloc(1, RAM);
	guestmem_init_with_buffer(&gm, ram, RAM);
	vdrv_init(&drv);
	o.path = path;
	cr_assert_eq(blk_init(&b, &gm, &o, &be, err, sizeof(err)), 0, "%s", err);
	vdrv_plug(&drv, &b.vp);
}

static void teardown(void)
{
	blk_exit(&b);
	unlink(path);
	free(ram);
	vdrv_exit(&drv);
}

TestSuite(blk, .fini = teardown);

static uint16_t used_idx(unsigned int q)
{
	return ((struct vring_used *)(ram + 0x10000 + q * 0x1000 + 0x200))->idx;
}

/* One request (head 0) on queue @q; waits for its answer; the status. */
static uint8_t request(unsigned int q, uint32_t type, uint64_t sector,
		       uint32_t len, bool data_in)
{
	uint64_t base = 0x10000 + q * 0x1000;
	struct vring_desc *d = (void *)(ram + base);
	struct vring_avail *a = (void *)(ram + base + 0x100);
	struct virtio_blk_outhdr h = { .type = type, .sector = sector };
	uint16_t before = used_idx(q);
	unsigned int n = 0;

	memcpy(ram + HDR, &h, sizeof(h));
	ram[STAT] = 0xff;
	d[n++] = (struct vring_desc){ HDR, 16, VRING_DESC_F_NEXT, 1 };
	if (len)
		d[n++] = (struct vring_desc){ DATA, len, VRING_DESC_F_NEXT |
					      (data_in ? VRING_DESC_F_WRITE : 0), 2 };
	d[n - 1].next = n;
	d[n] = (struct vring_desc){ STAT, 1, VRING_DESC_F_WRITE, 0 };
	a->ring[a->idx % 8] = 0;
	a->idx++;
	b.ops.queue_notify(&b, q);
	for (int i = 0; i < 200 && used_idx(q) == before; i++) {
		struct pollfd p = { .fd = b.cq_efd, .events = POLLIN };

		poll(&p, 1, 10);
		blk_complete(&b);
	}
	cr_assert_neq(used_idx(q), before, "no answer");
	return ram[STAT];
}

static uint32_t cfg32(unsigned int off) { return rd(VPCI_DEVICE_OFF + off, 4); }
static uint32_t cfg8(unsigned int off) { return rd(VPCI_DEVICE_OFF + off, 1); }

Test(blk, config_layout_4k_mq)
{
	start((struct blk_opts){ .num_queues = 3, .logical_block_size = 4096,
				 .physical_block_size = 4096, .discard = true });
	wr(0x00, 0, 4);
	cr_assert(rd(0x04, 4) & (1u << VIRTIO_BLK_F_MQ));
	cr_assert(rd(0x04, 4) & (1u << VIRTIO_BLK_F_DISCARD));
	cr_assert_eq(cfg32(0), IMG / 512);                           /* capacity */
	cr_assert_eq(cfg32(offsetof(struct virtio_blk_config, blk_size)), 4096);
	cr_assert_eq(cfg8(offsetof(struct virtio_blk_config, physical_block_exp)), 0);
	cr_assert_eq(rd(VPCI_DEVICE_OFF + offsetof(struct virtio_blk_config, num_queues), 2), 3);
	cr_assert_eq(cfg32(offsetof(struct virtio_blk_config, max_discard_seg)),
		     BLK_MAX_DISCARD_SEGS);
	cr_assert_eq(cfg32(offsetof(struct virtio_blk_config, discard_sector_alignment)), 8);
}

Test(blk, physical_block_exp_and_single_queue)
{
	start((struct blk_opts){ .physical_block_size = 4096, .read_only = true });
	wr(0x00, 0, 4);
	cr_assert_eq(rd(0x04, 4) & (1u << VIRTIO_BLK_F_MQ), 0);
	cr_assert(rd(0x04, 4) & (1u << VIRTIO_BLK_F_RO));
	cr_assert_eq(rd(0x04, 4) & (1u << VIRTIO_BLK_F_WRITE_ZEROES), 0);
	cr_assert_eq(cfg32(offsetof(struct virtio_blk_config, blk_size)), 512);
	cr_assert_eq(cfg8(offsetof(struct virtio_blk_config, physical_block_exp)), 3);
	cr_assert_eq(rd(VPCI_DEVICE_OFF + offsetof(struct virtio_blk_config, num_queues), 2), 1);
}

Test(blk, bad_geometry_refused)
{
	struct blk_dev x;
	char err[256];
	struct blk_opts o = { .path = "/dev/null", .logical_block_size = 4096,
			      .physical_block_size = 512 };

	cr_assert_eq(blk_init(&x, &gm, &o, &be, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "512 or 4096"));
	start((struct blk_opts){ 0 });   /* for the teardown */
}

/* CONFIG_WCE: the driver switches writeback off, and writes become
 * durable before completion (RWF_DSYNC); writethrough starts that way. */
Test(blk, wce_switch_and_writethrough)
{
	unsigned int wce = offsetof(struct virtio_blk_config, wce);

	start((struct blk_opts){ .cache = BLK_CACHE_WRITEBACK });
	bring_up();
	cr_assert_eq(cfg8(wce), 1);
	cr_assert_eq(request(0, VIRTIO_BLK_T_OUT, 0, 512, false), VIRTIO_BLK_S_OK);
	cr_assert_not(b.inflight[0].dsync);
	wr(VPCI_DEVICE_OFF + wce, 0, 1);
	cr_assert_eq(cfg8(wce), 0);
	cr_assert_eq(request(0, VIRTIO_BLK_T_OUT, 0, 512, false), VIRTIO_BLK_S_OK);
	cr_assert(b.inflight[0].dsync);
	/* Other config bytes are the device's. */
	wr(VPCI_DEVICE_OFF, 0x55, 1);
	cr_assert_eq(cfg32(0), IMG / 512);
}

Test(blk, writethrough_and_unsafe)
{
	start((struct blk_opts){ .cache = BLK_CACHE_WRITETHROUGH });
	bring_up();
	cr_assert_eq(cfg8(offsetof(struct virtio_blk_config, wce)), 0);
	cr_assert_eq(request(0, VIRTIO_BLK_T_OUT, 0, 512, false), VIRTIO_BLK_S_OK);
	cr_assert(b.inflight[0].dsync);
	cr_assert_eq(request(0, VIRTIO_BLK_T_FLUSH, 0, 0, false), VIRTIO_BLK_S_OK);
	cr_assert_not(b.inflight[0].nop);
	blk_exit(&b);
	unlink(path);
	free(ram);
	vdrv_exit(&drv);
	start((struct blk_opts){ .cache = BLK_CACHE_UNSAFE });
	bring_up();
	cr_assert_eq(request(0, VIRTIO_BLK_T_FLUSH, 0, 0, false), VIRTIO_BLK_S_OK);
	cr_assert(b.inflight[0].nop);
}

Test(blk, cache_none_opens_o_direct)
{
	start((struct blk_opts){ .cache = BLK_CACHE_NONE });
	cr_assert(fcntl(b.fd, F_GETFL) & O_DIRECT);
}

/* Round trips through each backend and each queue. */
ParameterizedTestParameters(blk, round_trip)
{
	static int aio[] = { BLK_AIO_IO_URING, BLK_AIO_THREADS };

	return cr_make_param_array(int, aio, 2);
}

ParameterizedTest(int *aio, blk, round_trip)
{
	start((struct blk_opts){ .aio = *aio, .num_queues = 2, .discard = true });
	cr_assert_eq(b.engine, *aio == BLK_AIO_THREADS ? &blk_engine_pool : &blk_engine_uring);
	bring_up();
	for (unsigned int q = 0; q < 2; q++) {
		memset(ram + DATA, 0xa0 + q, 8192);
		cr_assert_eq(request(q, VIRTIO_BLK_T_OUT, 16 * q, 8192, false), 0);
		memset(ram + DATA, 0, 8192);
		cr_assert_eq(request(q, VIRTIO_BLK_T_IN, 16 * q, 8192, true), 0);
		cr_assert_eq(ram[DATA], 0xa0 + q);
		cr_assert_eq(ram[DATA + 8191], 0xa0 + q);
		struct vring_used *u = (void *)(ram + 0x10000 + q * 0x1000 + 0x200);

		cr_assert_eq(u->ring[(u->idx - 1) % 8].len, 8193);
	}
	cr_assert_eq(request(1, VIRTIO_BLK_T_FLUSH, 0, 0, false), 0);
	cr_assert_eq(b.n_inflight, 0);
}

/* Two discard segments in one request: both ranges become holes. */
ParameterizedTestParameters(blk, multi_segment_discard)
{
	static int aio[] = { BLK_AIO_IO_URING, BLK_AIO_THREADS };

	return cr_make_param_array(int, aio, 2);
}

ParameterizedTest(int *aio, blk, multi_segment_discard)
{
	struct virtio_blk_discard_write_zeroes s[2] = {
		{ .sector = 0, .num_sectors = 256 },
		{ .sector = 1024, .num_sectors = 256 },
	};
	struct stat before, after;
	int fd;

	start((struct blk_opts){ .aio = *aio, .discard = true });
	bring_up();
	memset(ram + DATA, 0x77, 0x20000);
	cr_assert_eq(request(0, VIRTIO_BLK_T_OUT, 0, 0x20000, false), 0);
	cr_assert_eq(request(0, VIRTIO_BLK_T_OUT, 1024, 0x20000, false), 0);
	cr_assert_eq(request(0, VIRTIO_BLK_T_FLUSH, 0, 0, false), 0);
	cr_assert_eq(stat(path, &before), 0);
	memcpy(ram + DATA, s, sizeof(s));
	cr_assert_eq(request(0, VIRTIO_BLK_T_DISCARD, 0, sizeof(s), false), 0);
	cr_assert_eq(stat(path, &after), 0);
	cr_assert_lt(after.st_blocks, before.st_blocks);
	cr_assert_eq(request(0, VIRTIO_BLK_T_IN, 1024, 512, true), 0);
	cr_assert_eq(ram[DATA], 0);
	fd = open(path, O_RDONLY);
	cr_assert_eq(pread(fd, ram + DATA, 1, 0), 1);
	close(fd);
	cr_assert_eq(ram[DATA], 0);
}

/* The image shrinks under the VMM: a read past the new end is short and
 * must reach the guest as IOERR, not as stale bytes. */
ParameterizedTestParameters(blk, short_read_is_ioerr)
{
	static int aio[] = { BLK_AIO_IO_URING, BLK_AIO_THREADS };

	return cr_make_param_array(int, aio, 2);
}

ParameterizedTest(int *aio, blk, short_read_is_ioerr)
{
	start((struct blk_opts){ .aio = *aio });
	bring_up();
	cr_assert_eq(truncate(path, 4096), 0);
	cr_assert_eq(request(0, VIRTIO_BLK_T_IN, 4, 4096, true), VIRTIO_BLK_S_IOERR);
	cr_assert(b.io_error_logged);
	cr_assert_eq(request(0, VIRTIO_BLK_T_IN, 0, 4096, true), VIRTIO_BLK_S_OK);
}

/* 4 KiB blocks: half a block, or a misaligned start, is refused. */
Test(blk, unaligned_4k_refused)
{
	start((struct blk_opts){ .logical_block_size = 4096 });
	bring_up();
	cr_assert_eq(request(0, VIRTIO_BLK_T_IN, 0, 512, true), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(request(0, VIRTIO_BLK_T_IN, 1, 4096, true), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(request(0, VIRTIO_BLK_T_IN, 8, 4096, true), VIRTIO_BLK_S_OK);
}

/* A notification for a queue the device does not have is ignored. */
Test(blk, notify_beyond_queues_ignored)
{
	start((struct blk_opts){ 0 });
	bring_up();
	b.ops.queue_notify(&b, 5);
	cr_assert_eq(b.n_inflight, 0);
}

/* EVENT_IDX (negotiated here): after draining, avail_event asks for a
 * kick at the next request, or a Linux guest would stop kicking. */
Test(blk, event_idx_rearmed_after_drain)
{
	struct vring_avail *a;
	uint16_t *avail_event;

	start((struct blk_opts){ 0 });
	bring_up();
	a = (void *)(ram + 0x10000 + 0x100);
	avail_event = (uint16_t *)&((struct vring_used *)(ram + 0x10000 + 0x200))->ring[8];
	cr_assert(b.vp.queues[0].vq.event_idx);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(request(0, VIRTIO_BLK_T_IN, 0, 512, true), 0);
		cr_assert_eq(*avail_event, a->idx);
	}
}

/* -drive without format=: the header decides, as QEMU's probe does. */
Test(blk, probe_names_non_raw_formats)
{
	static uint8_t h[512];

	cr_assert_null(blk_probe_format(h, sizeof(h)), "zeros are raw");
	memcpy(h, "QFI\xfb\0\0\0\3", 8);
	cr_assert_str_eq(blk_probe_format(h, sizeof(h)), "qcow2");
	memcpy(h, "QFI\xfb\0\0\0\1", 8);
	cr_assert_str_eq(blk_probe_format(h, sizeof(h)), "qcow");
	memcpy(h, "KDMV", 4);
	cr_assert_str_eq(blk_probe_format(h, sizeof(h)), "vmdk");
	memcpy(h, "vhdxfile", 8);
	cr_assert_str_eq(blk_probe_format(h, sizeof(h)), "vhdx");
	memcpy(h, "LUKS\xba\xbe", 6);
	cr_assert_str_eq(blk_probe_format(h, sizeof(h)), "luks");
	memset(h, 0, sizeof(h));
	h[0x40] = 0x7f; h[0x41] = 0x10; h[0x42] = 0xda; h[0x43] = 0xbe;
	cr_assert_str_eq(blk_probe_format(h, sizeof(h)), "vdi");
	cr_assert_null(blk_probe_format(h, 0x42), "a short file cannot hold it");
	memset(h, 0, sizeof(h));
	memcpy(h, "\xeb\x63\x90", 3);          /* an MBR boot sector is raw */
	h[510] = 0x55; h[511] = 0xaa;
	cr_assert_null(blk_probe_format(h, sizeof(h)));
}
