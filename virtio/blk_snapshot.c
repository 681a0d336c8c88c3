// SPDX-License-Identifier: MIT
/*
 * -snapshot: the guest gets a private copy of the image that vanishes at
 * exit, so the image itself is never written. The copy is an unlinked
 * file in $TMPDIR (else /var/tmp): a reflink where the filesystem offers
 * one (instant, no space), else the image's data extents copied with
 * copy_file_range() and its holes kept as holes. QEMU writes a qcow2
 * overlay instead, which costs nothing at start; a fully written image
 * here costs one copy of its data at start, and the space it takes.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virtio/blk_snapshot.h"

static int snapshot_tmpfile(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (!dir || !*dir)
		dir = "/var/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd < 0 ? -errno : fd;
	/* No O_TMPFILE on this filesystem: a named file, unlinked at once. */
	snprintf(path, sizeof(path), "%s/vmm-snapshot.XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(path);
	return fd;
}

/* [@off, @end) by read and write: copy_file_range() refuses to cross
 * filesystems (EXDEV since Linux 5.19). */
static int snapshot_copy_plain(int src, int dst, off_t off, off_t end)
{
	const size_t chunk = 1 << 20;
	char *buf = malloc(chunk);
	int r = 0;

	if (!buf)
		return -ENOMEM;
	while (off < end && r == 0) {
		size_t want = end - off < (off_t)chunk ? (size_t)(end - off) : chunk;
		ssize_t n = pread(src, buf, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			r = n < 0 ? -errno : -EIO;
		else if (pwrite(dst, buf, n, off) != n)
			r = -EIO;
		else
			off += n;
	}
	free(buf);
	return r;
}

/* The data extents of @src into @dst at the same offsets; holes stay. */
static int snapshot_copy_extents(int src, int dst, off_t size)
{
	off_t data = 0, hole;
	int r;

	while (data < size) {
		data = lseek(src, data, SEEK_DATA);
		if (data < 0)
			return errno == ENXIO ? 0 : -errno;   /* ENXIO: no more data */
		hole = lseek(src, data, SEEK_HOLE);
		if (hole < 0)
			return -errno;
		while (data < hole) {
			loff_t in = data, out = data;
			ssize_t n = copy_file_range(src, &in, dst, &out, hole - data, 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EXDEV || errno == EINVAL ||
				      errno == EOPNOTSUPP || errno == ENOSYS)) {
				if ((r = snapshot_copy_plain(src, dst, data, hole)) < 0)
					return r;
				data = hole;
				break;
			}
			if (n <= 0)
				return n < 0 ? -errno : -EIO;
			data += n;
		}
	}
	return 0;
}

int blk_snapshot_open(int image_fd, off_t size)
{
	int fd = snapshot_tmpfile(), r;

	if (fd < 0)
		return fd;
	if (ftruncate(fd, size) < 0) {
		r = -errno;
		goto fail;
	}
	if (ioctl(fd, FICLONE, image_fd) == 0)
		return fd;
	r = snapshot_copy_extents(image_fd, fd, size);
	if (r == 0)
		return fd;
fail:
	close(fd);
	return r;
}
