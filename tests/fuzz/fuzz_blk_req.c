// SPDX-License-Identifier: MIT
/* virtio-blk request parsing: the input is split into the chain's
 * buffers (readable, then writable) and the drive's geometry. */
#include "tests/fuzz/fuzz.h"
#include "virtio/blk_req.h"

static uint8_t bufs[8][512];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin f = { data, size };
	static struct virtq_chain c;
	struct blk_geometry g = { 0 };
	struct blk_req r;
	unsigned int n;

	g.capacity = fin_get(&f, 8);
	g.read_only = fin_get(&f, 1) & 1;
	g.discard = fin_get(&f, 1) & 1;
	g.lbs_shift = (fin_get(&f, 1) & 1) ? 3 : 0;
	g.max_discard_segs = fin_get(&f, 1) % 40;
	n = fin_get(&f, 1) % 9;
	c.n_out = n ? fin_get(&f, 1) % (n + 1) : 0;
	c.n_in = n - c.n_out;
	c.out_len = c.in_len = 0;
	for (unsigned int i = 0; i < n; i++) {
		size_t len = fin_get(&f, 2) % sizeof(bufs[i]);

		memset(bufs[i], 0, sizeof(bufs[i]));
		for (size_t k = 0; k < len && f.n; k++)
			bufs[i][k] = fin_get(&f, 1);
		c.iov[i] = (struct iovec){ bufs[i], len };
		if (i < c.n_out)
			c.out_len += len;
		else
			c.in_len += len;
	}
	blk_req_parse(&c, &g, &r);
	return 0;
}
