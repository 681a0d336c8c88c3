// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "virtio/blk_req.h"

/* Whether [sector, sector + count) lies inside the disk, without wrapping. */
static bool blk_in_range(const struct blk_geometry *g, uint64_t sector,
			 uint64_t count)
{
	return sector <= g->capacity && count <= g->capacity - sector;
}

/* Whether a range starts and ends on a logical block boundary. */
static bool blk_aligned(const struct blk_geometry *g, uint64_t sector,
			uint64_t count)
{
	uint64_t mask = (1ULL << g->lbs_shift) - 1;

	return !(sector & mask) && !(count & mask);
}

/* Cut the data payload out of the chain: skip @skip readable bytes (the
 * header) and, on the writable side, the final status byte. */
static void blk_collect(const struct virtq_chain *c, bool writable,
			size_t skip, struct blk_req *r)
{
	unsigned int first = writable ? c->n_out : 0;
	unsigned int last = writable ? c->n_out + c->n_in : c->n_out;

	r->n_data = 0;
	r->data_len = 0;
	for (unsigned int i = first; i < last; i++) {
		uint8_t *p = c->iov[i].iov_base;
		size_t len = c->iov[i].iov_len;

		if (skip >= len) {
			skip -= len;
			continue;
		}
		p += skip;
		len -= skip;
		skip = 0;
		if (writable && i == last - 1)
			len--;                   /* the status byte */
		if (!len)
			continue;
		r->data[r->n_data++] = (struct iovec){ p, len };
		r->data_len += len;
	}
}

static int blk_parse_segments(const struct blk_geometry *g, struct blk_req *r)
{
	uint8_t buf[sizeof(r->segs)];
	size_t off = 0;

	if (r->data_len == 0 || r->data_len % sizeof(r->segs[0]) ||
	    r->data_len / sizeof(r->segs[0]) > g->max_discard_segs ||
	    r->data_len > sizeof(buf))
		return VIRTIO_BLK_S_IOERR;
	for (unsigned int i = 0; i < r->n_data; i++) {
		memcpy(buf + off, r->data[i].iov_base, r->data[i].iov_len);
		off += r->data[i].iov_len;
	}
	memcpy(r->segs, buf, off);
	r->n_segs = off / sizeof(r->segs[0]);
	for (unsigned int i = 0; i < r->n_segs; i++) {
		const struct virtio_blk_discard_write_zeroes *s = &r->segs[i];

		if (!blk_in_range(g, s->sector, s->num_sectors) ||
		    !blk_aligned(g, s->sector, s->num_sectors))
			return VIRTIO_BLK_S_IOERR;
		/* Only WRITE_ZEROES has a flag (unmap); the rest is reserved. */
		if (s->flags & ~(r->type == VIRTIO_BLK_T_WRITE_ZEROES ?
				 VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0u))
			return VIRTIO_BLK_S_UNSUPP;
	}
	return VIRTIO_BLK_S_OK;
}

int blk_req_parse(const struct virtq_chain *c, const struct blk_geometry *g,
		  struct blk_req *r)
{
	struct virtio_blk_outhdr h;
	const struct iovec *st;

	/* The status byte: the last byte of the last writable buffer. */
	if (c->n_in == 0)
		return -EINVAL;
	st = &c->iov[c->n_out + c->n_in - 1];
	r->status = (uint8_t *)st->iov_base + st->iov_len - 1;
	r->n_data = r->n_segs = 0;
	r->data_len = 0;

	if (virtq_iov_to_buf(c->iov, c->n_out, 0, &h, sizeof(h)) != sizeof(h))
		return VIRTIO_BLK_S_IOERR;   /* header shorter than 16 bytes */
	r->type = h.type;
	r->sector = h.sector;

	switch (h.type) {
	case VIRTIO_BLK_T_IN:
		/* Nothing readable may follow the header of a read. */
		if (c->out_len != sizeof(h))
			return VIRTIO_BLK_S_IOERR;
		blk_collect(c, true, 0, r);
		break;
	case VIRTIO_BLK_T_OUT:
		/* A write's only writable byte is the status. */
		if (c->in_len != 1)
			return VIRTIO_BLK_S_IOERR;
		if (g->read_only)
			return VIRTIO_BLK_S_IOERR;
		blk_collect(c, false, sizeof(h), r);
		break;
	case VIRTIO_BLK_T_FLUSH:
		return c->out_len == sizeof(h) && c->in_len == 1 ?
		       VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
	case VIRTIO_BLK_T_GET_ID:
		blk_collect(c, true, 0, r);
		return r->data_len >= VIRTIO_BLK_ID_BYTES && c->out_len == sizeof(h) ?
		       VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		if (h.type == VIRTIO_BLK_T_DISCARD && !g->discard)
			return VIRTIO_BLK_S_UNSUPP;
		if (g->read_only || c->in_len != 1)
			return VIRTIO_BLK_S_IOERR;
		blk_collect(c, false, sizeof(h), r);
		return blk_parse_segments(g, r);
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
	/* Reads and writes: whole logical blocks, inside the disk, and a
	 * length the used ring can report. */
	if (r->data_len % BLK_SECTOR || r->data_len >= UINT32_MAX ||
	    !blk_in_range(g, r->sector, r->data_len / BLK_SECTOR) ||
	    !blk_aligned(g, r->sector, r->data_len / BLK_SECTOR))
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}
