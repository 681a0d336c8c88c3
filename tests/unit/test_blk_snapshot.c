// SPDX-License-Identifier: MIT
/* -snapshot's copy-on-write overlay against a model: what the guest
 * reads is what it wrote, over the image's bytes; the image never
 * changes; the overlay costs nothing until written. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <linux/virtio_blk.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virtio/blk.h"
#include "virtio/blk_snapshot.h"

#define SIZE (1u << 20)     /* 16 chunks of 64 KiB */

static uint8_t model[SIZE], image0[SIZE];
static struct blk_snapshot snap;
static int img;

static void setup(void)
{
	char path[] = "/tmp/vmm-snap-test.XXXXXX";

	img = mkstemp(path);
	cr_assert_geq(img, 0);
	unlink(path);
	srandom(7);
	for (unsigned int i = 0; i < SIZE; i++)
		image0[i] = (uint8_t)random();
	/* The last chunk is a hole in the image. */
	cr_assert_eq(pwrite(img, image0, SIZE - 65536, 0), SIZE - 65536);
	memset(image0 + SIZE - 65536, 0, 65536);
	cr_assert_eq(ftruncate(img, SIZE), 0);
	memcpy(model, image0, SIZE);
	cr_assert_eq(blk_snapshot_open(&snap, img, SIZE), 0);
}

static void teardown(void)
{
	blk_snapshot_close(&snap);
	close(img);
}

TestSuite(blk_snapshot, .init = setup, .fini = teardown);

/* A request of @type over [@off, @off + @len) through two iovecs. */
static int run(uint32_t type, uint64_t off, uint32_t len, uint8_t *buf)
{
	struct blk_inflight f = { .type = type, .off = off, .len = len };
	uint32_t half = len / 3;

	f.iov = f.iov_small;
	f.iov[0] = (struct iovec){ buf, half };
	f.iov[1] = (struct iovec){ buf + half, len - half };
	f.n_iov = 2;
	blk_snapshot_run(&snap, &f);
	return f.res;
}

static void check_reads_model(void)
{
	static uint8_t got[SIZE];

	cr_assert_eq(run(VIRTIO_BLK_T_IN, 0, SIZE, got), SIZE);
	cr_assert(memcmp(got, model, SIZE) == 0, "the guest reads what it wrote");
}

Test(blk_snapshot, writes_reads_and_the_image_untouched)
{
	static uint8_t buf[SIZE], now[SIZE];
	struct stat st;

	cr_assert_eq(fstat(snap.over_fd, &st), 0);
	cr_assert_eq(st.st_size, SIZE);
	cr_assert_eq(st.st_nlink, 0, "unlinked: it vanishes at exit");
	cr_assert_eq(st.st_blocks, 0, "no space taken at start (O(1))");
	check_reads_model();
	for (unsigned int k = 0; k < 200; k++) {
		uint64_t off = ((uint64_t)random() % (SIZE / 512)) * 512;
		uint32_t len = (1 + random() % 300) * 512;

		if (off + len > SIZE)
			len = SIZE - off;
		for (uint32_t i = 0; i < len; i++)
			buf[i] = (uint8_t)random();
		cr_assert_eq(run(VIRTIO_BLK_T_OUT, off, len, buf), (int)len);
		memcpy(model + off, buf, len);
		if (k % 40 == 0)
			check_reads_model();
	}
	check_reads_model();
	cr_assert_eq(pread(img, now, SIZE, 0), SIZE);
	cr_assert(memcmp(now, image0, SIZE) == 0, "the image is untouched");
}

Test(blk_snapshot, discard_and_write_zeroes_read_back_zero)
{
	struct blk_inflight f = { .type = VIRTIO_BLK_T_DISCARD, .n_segs = 2 };
	static uint8_t buf[4096];

	/* Part of a chunk, then two whole chunks and a bit. */
	f.segs[0] = (struct virtio_blk_discard_write_zeroes){ .sector = 3, .num_sectors = 5 };
	f.segs[1] = (struct virtio_blk_discard_write_zeroes){ .sector = 256, .num_sectors = 300 };
	blk_snapshot_run(&snap, &f);
	cr_assert_eq(f.res, 0);
	memset(model + 3 * 512, 0, 5 * 512);
	memset(model + 256 * 512, 0, 300 * 512);
	f = (struct blk_inflight){ .type = VIRTIO_BLK_T_WRITE_ZEROES, .n_segs = 1 };
	f.segs[0] = (struct virtio_blk_discard_write_zeroes){ .sector = 1000, .num_sectors = 7 };
	blk_snapshot_run(&snap, &f);
	cr_assert_eq(f.res, 0);
	memset(model + 1000 * 512, 0, 7 * 512);
	check_reads_model();
	memset(buf, 0x5a, sizeof(buf));
	cr_assert_eq(run(VIRTIO_BLK_T_OUT, 1000 * 512, 4096, buf), 4096);
	memcpy(model + 1000 * 512, buf, 4096);
	check_reads_model();
	f = (struct blk_inflight){ .type = VIRTIO_BLK_T_FLUSH };
	blk_snapshot_run(&snap, &f);
	cr_assert_eq(f.res, 0, "flush: nothing to make durable");
}

Test(blk_snapshot, no_tmpdir_is_an_error)
{
	struct blk_snapshot s2;

	setenv("TMPDIR", "/nonexistent", 1);
	cr_assert_lt(blk_snapshot_open(&s2, img, SIZE), 0);
	blk_snapshot_close(&s2);
	unsetenv("TMPDIR");
}
