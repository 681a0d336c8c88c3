// SPDX-License-Identifier: MIT
/* The split-ring walk over a guest memory image the input fills: every
 * chain shape the driver can write. */
#include "tests/fuzz/fuzz.h"
#include "virtio/virtqueue.h"

static uint8_t ram[1 << 16];
static struct virtq_chain chain;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin f = { data, size };
	struct guestmem gm;
	struct virtq vq;
	unsigned int qsize = 1u << (fin_get(&f, 1) % 9);    /* 1..256 */
	unsigned int flags = fin_get(&f, 1);

	memset(ram, 0, sizeof(ram));
	memcpy(ram, f.p, f.n < sizeof(ram) ? f.n : sizeof(ram));
	guestmem_init_with_buffer(&gm, ram, sizeof(ram));
	virtq_init(&vq, &gm, qsize);
	vq.desc_gpa = 0x0;
	vq.avail_gpa = 0x4000;
	vq.used_gpa = 0x6000;
	vq.event_idx = flags & 1;
	vq.indirect = flags & 2;
	if (virtq_enable(&vq) < 0)
		return 0;
	for (unsigned int i = 0; i < 4 * qsize; i++) {
		uint8_t tmp[64];
		int r = virtq_pop(&vq, &chain);

		if (r <= 0)
			break;
		virtq_iov_to_buf(chain.iov, chain.n_out, 0, tmp, sizeof(tmp));
		virtq_buf_to_iov(chain.iov + chain.n_out, chain.n_in, 0, tmp, sizeof(tmp));
		virtq_push(&vq, chain.head, (uint32_t)chain.in_len);
		virtq_should_notify(&vq);
	}
	virtq_enable_kicks(&vq);
	return 0;
}
