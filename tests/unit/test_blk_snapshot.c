// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virtio/blk_snapshot.h"

/* The copy has the image's bytes, keeps its holes, is writable, and a
 * write to it leaves the image as it was. */
Test(blk_snapshot, private_copy)
{
	char path[] = "/tmp/vmm-snap-test.XXXXXX", buf[4096];
	int img = mkstemp(path), cp;
	struct stat st;
	const off_t size = 8 << 20;

	cr_assert_geq(img, 0);
	unlink(path);
	cr_assert_eq(ftruncate(img, size), 0);
	memset(buf, 0xa5, sizeof(buf));
	cr_assert_eq(pwrite(img, buf, sizeof(buf), 4 << 20), (ssize_t)sizeof(buf));
	cp = blk_snapshot_open(img, size);
	cr_assert_geq(cp, 0, "%s", strerror(-cp));
	cr_assert_eq(fstat(cp, &st), 0);
	cr_assert_eq(st.st_size, size);
	cr_assert_eq(st.st_nlink, 0, "the copy is unlinked: it vanishes at exit");
	/* Sparse: far less allocated than its size (the hole stayed). */
	cr_assert_lt(st.st_blocks * 512, size / 2);
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(pread(cp, buf, sizeof(buf), 4 << 20), (ssize_t)sizeof(buf));
	cr_assert_eq((uint8_t)buf[0], 0xa5);
	cr_assert_eq((uint8_t)buf[4095], 0xa5);
	memset(buf, 0x5a, sizeof(buf));
	cr_assert_eq(pwrite(cp, buf, sizeof(buf), 4 << 20), (ssize_t)sizeof(buf));
	cr_assert_eq(pwrite(cp, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	cr_assert_eq(pread(img, buf, sizeof(buf), 4 << 20), (ssize_t)sizeof(buf));
	cr_assert_eq((uint8_t)buf[0], 0xa5, "the image was written through the copy");
	cr_assert_eq(pread(img, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	cr_assert_eq(buf[0], 0);
	close(cp);
	close(img);
}
