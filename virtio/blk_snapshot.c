// SPDX-License-Identifier: MIT
/*
 * -snapshot: the guest writes to a copy-on-write overlay that vanishes
 * at exit, so the image itself is never written. The overlay is an
 * unlinked sparse file in $TMPDIR (else /var/tmp) as large as the image,
 * made in O(1) as QEMU's qcow2 overlay is; a bitmap says which 64 KiB
 * chunks it holds. Reads take each chunk from the overlay or the image;
 * a write to a chunk not yet there first copies the chunk up (unless it
 * covers all of it). Requests run on the aio=threads workers, one at a
 * time per drive (the map and the copy-ups are consistent under one
 * lock; a throwaway overlay is not where throughput matters).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/virtio_blk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "virtio/blk.h"
#include "virtio/blk_snapshot.h"

#define CHUNK_SHIFT 16
#define CHUNK (1ULL << CHUNK_SHIFT)

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

int blk_snapshot_open(struct blk_snapshot *s, int base_fd, uint64_t size)
{
	uint64_t chunks = (size + CHUNK - 1) >> CHUNK_SHIFT;

	memset(s, 0, sizeof(*s));
	s->base_fd = base_fd;
	s->size = size;
	s->over_fd = snapshot_tmpfile();
	if (s->over_fd < 0)
		return s->over_fd;
	s->map = calloc((chunks + 7) / 8, 1);
	s->buf = aligned_alloc(4096, CHUNK);
	if (!s->map || !s->buf) {
		blk_snapshot_close(s);
		return -ENOMEM;
	}
	/* Sparse: no space is taken until the guest writes. */
	if (ftruncate(s->over_fd, size) < 0) {
		int r = -errno;

		blk_snapshot_close(s);
		return r;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->ready = true;
	return 0;
}

void blk_snapshot_close(struct blk_snapshot *s)
{
	if (s->over_fd >= 0)
		close(s->over_fd);
	s->over_fd = -1;
	free(s->map);
	free(s->buf);
	s->map = NULL;
	s->buf = NULL;
	if (s->ready)
		pthread_mutex_destroy(&s->lock);
	s->ready = false;
}

static bool snap_has(const struct blk_snapshot *s, uint64_t c)
{
	return s->map[c >> 3] & (1u << (c & 7));
}

static void snap_set(struct blk_snapshot *s, uint64_t c)
{
	s->map[c >> 3] |= 1u << (c & 7);
}

static int snap_pread(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, off + done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) {           /* past the image's end: zeroes */
			memset((char *)buf + done, 0, len - done);
			break;
		}
		done += n;
	}
	return 0;
}

/* Chunk @c into the overlay, unless it is there. */
static int snap_copy_up(struct blk_snapshot *s, uint64_t c)
{
	uint64_t off = c << CHUNK_SHIFT;
	size_t len = off + CHUNK > s->size ? s->size - off : CHUNK;
	int r;

	if (snap_has(s, c))
		return 0;
	/* Whole 4 KiB blocks: the image may be open with O_DIRECT. */
	r = snap_pread(s->base_fd, s->buf, (len + 4095) & ~4095ULL, off);
	if (r < 0)
		return r;
	if (pwrite(s->over_fd, s->buf, len, off) != (ssize_t)len)
		return -EIO;
	snap_set(s, c);
	return 0;
}

/* The iovecs of @iov covering [@skip, @skip + @len); their count. */
static unsigned int snap_slice(const struct iovec *iov, unsigned int n,
			       uint64_t skip, uint64_t len, struct iovec *out)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < n && len; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		out[k].iov_base = (uint8_t *)iov[i].iov_base + skip;
		out[k].iov_len = iov[i].iov_len - skip < len ?
				 iov[i].iov_len - skip : len;
		len -= out[k].iov_len;
		skip = 0;
		k++;
	}
	return k;
}

static int snap_rw(int fd, bool write, struct iovec *iov, unsigned int n,
		   uint64_t off, uint64_t len)
{
	int64_t r = blk_rw_all(fd, write, iov, n, off, len, 0);

	return r < 0 ? (int)r : (uint64_t)r == len ? 0 : -EIO;
}

/* A read or write of @f, chunk by chunk. */
static int snap_transfer(struct blk_snapshot *s, struct blk_inflight *f,
			 bool write)
{
	struct iovec part[BLK_SEG_MAX + 2];
	uint64_t pos = 0;

	while (pos < f->len) {
		uint64_t off = f->off + pos, c = off >> CHUNK_SHIFT;
		uint64_t end = (c + 1) << CHUNK_SHIFT, len = end - off;
		unsigned int n;
		int r = 0;

		if (len > f->len - pos)
			len = f->len - pos;
		n = snap_slice(f->iov, f->n_iov, pos, len, part);
		if (write && (off & (CHUNK - 1) || len < CHUNK))
			r = snap_copy_up(s, c);
		if (r == 0)
			r = snap_rw(write || snap_has(s, c) ? s->over_fd : s->base_fd,
				    write, part, n, off, len);
		if (r < 0)
			return r;
		if (write)
			snap_set(s, c);
		pos += len;
	}
	return 0;
}

/* Discard or write-zeroes [@off, @off + @len): zeroes in the overlay. */
static int snap_zero(struct blk_snapshot *s, uint64_t off, uint64_t len,
		     bool unmap)
{
	while (len) {
		uint64_t c = off >> CHUNK_SHIFT, end = (c + 1) << CHUNK_SHIFT;
		uint64_t n = end - off < len ? end - off : len;
		int r = 0;

		if (off & (CHUNK - 1) || n < CHUNK)
			r = snap_copy_up(s, c);
		if (r == 0 && fallocate(s->over_fd, (unmap ? FALLOC_FL_PUNCH_HOLE :
					FALLOC_FL_ZERO_RANGE) | FALLOC_FL_KEEP_SIZE,
					off, n) < 0)
			r = -errno;
		if (r < 0)
			return r;
		snap_set(s, c);
		off += n;
		len -= n;
	}
	return 0;
}

void blk_snapshot_run(void *ctx, struct blk_inflight *f)
{
	struct blk_snapshot *s = ctx;
	int r = 0;

	pthread_mutex_lock(&s->lock);
	switch (f->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		r = snap_transfer(s, f, f->type == VIRTIO_BLK_T_OUT);
		break;
	case VIRTIO_BLK_T_FLUSH:
		break;          /* nothing here outlives the VMM */
	default:
		for (unsigned int i = 0; i < f->n_segs && r == 0; i++) {
			const struct virtio_blk_discard_write_zeroes *g = &f->segs[i];

			r = snap_zero(s, g->sector * BLK_SECTOR,
				      (uint64_t)g->num_sectors * BLK_SECTOR,
				      f->type == VIRTIO_BLK_T_DISCARD ||
				      (g->flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP));
		}
		break;
	}
	pthread_mutex_unlock(&s->lock);
	if (r < 0)
		f->res = r;
	else
		f->res = (f->type == VIRTIO_BLK_T_IN || f->type == VIRTIO_BLK_T_OUT) ?
			 (int)f->len : 0;
}
