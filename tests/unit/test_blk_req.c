// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "virtio/blk_req.h"

static struct virtq_chain c;
static struct blk_req r;
static uint8_t hdr[32], data[4096], st[4];
static struct blk_geometry g = { .capacity = 2048, .discard = true,
				 .max_discard_segs = 4 };

/* Build a chain: readable buffers first, then writable ones. */
static void chain(unsigned int nout, unsigned int nin, ...)
{
	va_list ap;

	memset(&c, 0, sizeof(c));
	va_start(ap, nin);
	for (unsigned int i = 0; i < nout + nin; i++) {
		void *p = va_arg(ap, void *);
		size_t l = va_arg(ap, size_t);

		c.iov[i] = (struct iovec){ p, l };
		if (i < nout)
			c.out_len += l;
		else
			c.in_len += l;
	}
	c.n_out = nout;
	c.n_in = nin;
	va_end(ap);
}

static void header(uint32_t type, uint64_t sector)
{
	struct virtio_blk_outhdr h = { .type = type, .sector = sector };

	memcpy(hdr, &h, sizeof(h));
}

#define Z(x) ((size_t)(x))

Test(blk_req, read_ok)
{
	header(VIRTIO_BLK_T_IN, 8);
	chain(1, 2, hdr, Z(16), data, Z(1024), st, Z(1));
	cr_assert_eq(blk_req_parse(&c, &g, &r), VIRTIO_BLK_S_OK);
	cr_assert_eq(r.sector, 8);
	cr_assert_eq(r.data_len, 1024);
	cr_assert_eq(r.status, st);
}

Test(blk_req, data_and_status_in_one_buffer)
{
	header(VIRTIO_BLK_T_IN, 0);
	chain(1, 1, hdr, Z(16), data, Z(513));
	cr_assert_eq(blk_req_parse(&c, &g, &r), VIRTIO_BLK_S_OK);
	cr_assert_eq(r.data_len, 512);
	cr_assert_eq(r.status, data + 512);
}

Test(blk_req, header_split_across_buffers)
{
	header(VIRTIO_BLK_T_OUT, 3);
	chain(3, 1, hdr, Z(4), hdr + 4, Z(12), data, Z(512), st, Z(1));
	cr_assert_eq(blk_req_parse(&c, &g, &r), VIRTIO_BLK_S_OK);
	cr_assert_eq(r.sector, 3);
	cr_assert_eq(r.n_data, 1);
	cr_assert_eq(r.data[0].iov_base, data);
}

Test(blk_req, short_header)
{
	header(VIRTIO_BLK_T_IN, 0);
	chain(1, 1, hdr, Z(15), st, Z(1));
	cr_assert_eq(blk_req_parse(&c, &g, &r), VIRTIO_BLK_S_IOERR);
}

Test(blk_req, no_status_byte)
{
	header(VIRTIO_BLK_T_FLUSH, 0);
	chain(1, 0, hdr, Z(16));
	cr_assert_eq(blk_req_parse(&c, &g, &r), -EINVAL, "status missing or read-only");
}

Test(blk_req, past_capacity_and_overflow)
{
	header(VIRTIO_BLK_T_IN, 2047);
	chain(1, 2, hdr, Z(16), data, Z(1024), st, Z(1));
	cr_assert_eq(blk_req_parse(&c, &g, &r), VIRTIO_BLK_S_IOERR);
	header(VIRTIO_BLK_T_IN, 2046);
	cr_assert_eq(blk_req_parse(&c, &g, &r), VIRTIO_BLK_S_OK, "last two sectors");
	header(VIRTIO_BLK_T_OUT, UINT64_MAX - 1);
	chain(1, 1, hdr, Z(16), st, Z(1));
	c.iov[1] = (struct iovec){ data, 1024 };
	c.iov[2] = (struct iovec){ st, 1 };
	c.n_out = 2;
	c.out_len = 16 + 1024;
	cr_assert_eq(blk_req_parse(&c, &g, &r), VIRTIO_BLK_S_IOERR, "sector arithmetic wraps");
}

Test(blk_req, partial_sector)
{
	header(VIRTIO_BLK_T_IN, 0);
	chain(1, 2, hdr, Z(16), data, Z(100), st, Z(1));
	cr_assert_eq(blk_req_parse(&c, &g, &r), VIRTIO_BLK_S_IOERR);
}

Test(blk_req, wrong_directions)
{
	header(VIRTIO_BLK_T_IN, 0);     /* read with readable data */
	chain(2, 1, hdr, Z(16), data, Z(512), st, Z(1));
	cr_assert_eq(blk_req_parse(&c, &g, &r), VIRTIO_BLK_S_IOERR);
	header(VIRTIO_BLK_T_OUT, 0);    /* write with writable data */
	chain(1, 2, hdr, Z(16), data, Z(512), st, Z(1));
	cr_assert_eq(blk_req_parse(&c, &g, &r), VIRTIO_BLK_S_IOERR);
}

Test(blk_req, read_only_drive)
{
	struct blk_geometry ro = g;

	ro.read_only = true;
	header(VIRTIO_BLK_T_OUT, 0);
	chain(2, 1, hdr, Z(16), data, Z(512), st, Z(1));
	cr_assert_eq(blk_req_parse(&c, &ro, &r), VIRTIO_BLK_S_IOERR);
	header(VIRTIO_BLK_T_IN, 0);
	chain(1, 2, hdr, Z(16), data, Z(512), st, Z(1));
	cr_assert_eq(blk_req_parse(&c, &ro, &r), VIRTIO_BLK_S_OK, "reads still work");
}

Test(blk_req, get_id_length)
{
	header(VIRTIO_BLK_T_GET_ID, 0);
	chain(1, 2, hdr, Z(16), data, Z(19), st, Z(1));
	cr_assert_eq(blk_req_parse(&c, &g, &r), VIRTIO_BLK_S_IOERR, "shorter than 20");
	chain(1, 2, hdr, Z(16), data, Z(20), st, Z(1));
	cr_assert_eq(blk_req_parse(&c, &g, &r), VIRTIO_BLK_S_OK);
}

Test(blk_req, unknown_type)
{
	header(VIRTIO_BLK_T_SCSI_CMD, 0);
	chain(1, 1, hdr, Z(16), st, Z(1));
	cr_assert_eq(blk_req_parse(&c, &g, &r), VIRTIO_BLK_S_UNSUPP);
	header(0x7777, 0);
	cr_assert_eq(blk_req_parse(&c, &g, &r), VIRTIO_BLK_S_UNSUPP);
}

static void segs(unsigned int n, uint64_t sector, uint32_t count, uint32_t flags)
{
	struct virtio_blk_discard_write_zeroes s = {
		.sector = sector, .num_sectors = count, .flags = flags };

	for (unsigned int i = 0; i < n; i++)
		memcpy(data + i * sizeof(s), &s, sizeof(s));
}

Test(blk_req, discard_segments)
{
	header(VIRTIO_BLK_T_DISCARD, 0);
	segs(2, 100, 8, 0);
	chain(2, 1, hdr, Z(16), data, Z(32), st, Z(1));
	cr_assert_eq(blk_req_parse(&c, &g, &r), VIRTIO_BLK_S_OK);
	cr_assert_eq(r.n_segs, 2);
	cr_assert_eq(r.segs[1].sector, 100);
	segs(1, 2040, 9, 0);
	chain(2, 1, hdr, Z(16), data, Z(16), st, Z(1));
	cr_assert_eq(blk_req_parse(&c, &g, &r), VIRTIO_BLK_S_IOERR, "range out of bounds");
	segs(1, UINT64_MAX - 2, 9, 0);
	cr_assert_eq(blk_req_parse(&c, &g, &r), VIRTIO_BLK_S_IOERR, "range wraps");
	segs(5, 0, 1, 0);
	chain(2, 1, hdr, Z(16), data, Z(80), st, Z(1));
	cr_assert_eq(blk_req_parse(&c, &g, &r), VIRTIO_BLK_S_IOERR, "too many segments");
	chain(2, 1, hdr, Z(16), data, Z(20), st, Z(1));
	cr_assert_eq(blk_req_parse(&c, &g, &r), VIRTIO_BLK_S_IOERR, "not whole segments");
	segs(1, 0, 1, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	chain(2, 1, hdr, Z(16), data, Z(16), st, Z(1));
	cr_assert_eq(blk_req_parse(&c, &g, &r), VIRTIO_BLK_S_UNSUPP, "unmap flag on discard");
	header(VIRTIO_BLK_T_WRITE_ZEROES, 0);
	cr_assert_eq(blk_req_parse(&c, &g, &r), VIRTIO_BLK_S_OK, "unmap flag on write zeroes");
}

Test(blk_req, discard_ignored_or_read_only)
{
	struct blk_geometry ng = g;

	ng.discard = false;
	header(VIRTIO_BLK_T_DISCARD, 0);
	segs(1, 0, 1, 0);
	chain(2, 1, hdr, Z(16), data, Z(16), st, Z(1));
	cr_assert_eq(blk_req_parse(&c, &ng, &r), VIRTIO_BLK_S_UNSUPP);
	ng = g;
	ng.read_only = true;
	cr_assert_eq(blk_req_parse(&c, &ng, &r), VIRTIO_BLK_S_IOERR);
}

Test(blk_req, flush_shape)
{
	header(VIRTIO_BLK_T_FLUSH, 0);
	chain(1, 1, hdr, Z(16), st, Z(1));
	cr_assert_eq(blk_req_parse(&c, &g, &r), VIRTIO_BLK_S_OK);
	chain(2, 1, hdr, Z(16), data, Z(512), st, Z(1));
	cr_assert_eq(blk_req_parse(&c, &g, &r), VIRTIO_BLK_S_IOERR);
}

/* 4 KiB logical blocks: start and length must both be whole blocks. */
Test(blk_req, logical_block_alignment)
{
	struct blk_geometry g4 = g;
	struct virtio_blk_discard_write_zeroes s = { .sector = 4, .num_sectors = 8 };

	g4.lbs_shift = 3;
	header(VIRTIO_BLK_T_IN, 8);
	chain(1, 2, hdr, Z(16), data, Z(4096), st, Z(1));
	cr_assert_eq(blk_req_parse(&c, &g4, &r), VIRTIO_BLK_S_OK);
	header(VIRTIO_BLK_T_IN, 9);
	cr_assert_eq(blk_req_parse(&c, &g4, &r), VIRTIO_BLK_S_IOERR);
	header(VIRTIO_BLK_T_OUT, 8);
	chain(1, 1, hdr, Z(16), data, Z(512), st, Z(1));
	cr_assert_eq(blk_req_parse(&c, &g4, &r), VIRTIO_BLK_S_IOERR);
	header(VIRTIO_BLK_T_DISCARD, 0);
	memcpy(data, &s, sizeof(s));
	chain(2, 1, hdr, Z(16), data, Z(sizeof(s)), st, Z(1));
	cr_assert_eq(blk_req_parse(&c, &g4, &r), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(blk_req_parse(&c, &g, &r), VIRTIO_BLK_S_OK);
}
