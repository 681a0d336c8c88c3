// SPDX-License-Identifier: MIT
/* virtio-rng: random bytes for the guest, from getrandom(). */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <linux/virtio_ids.h>

#include "virtio/rng.h"

/* Fill the writable part of one chain. Under the transport lock (see
 * virtio_pci_serve()); readable buffers carry nothing for us and are
 * skipped, as the spec gives them no meaning. */
static int rng_chain(void *dev, unsigned int q, struct virtq *vq,
		     struct virtq_chain *c, const char **why)
{
	struct rng *r = dev;
	const struct iovec *in = c->iov + c->n_out;
	size_t want = c->in_len < RNG_MAX_REQUEST ? c->in_len : RNG_MAX_REQUEST;
	size_t done = 0;

	while (done < want) {
		size_t n = want - done < sizeof(r->buf) ? want - done : sizeof(r->buf);
		ssize_t got = getrandom(r->buf, n, 0);

		if (got <= 0) {
			if (got < 0 && errno == EINTR)
				continue;
			break;   /* hand over what we have; the driver asks again */
		}
		virtq_buf_to_iov(in, c->n_in, done, r->buf, got);
		done += got;
	}
	explicit_bzero(r->buf, sizeof(r->buf));
	r->bytes += done;
	virtq_push(vq, c->head, (uint32_t)done);
	return 0;
}

void rng_queue_notify(void *dev, unsigned int q)
{
	struct rng *r = dev;

	virtio_pci_serve(&r->vp, q, &r->chain, rng_chain, r);
}

static int rng_reset(void *dev)
{
	return 0;   /* nothing in flight: requests are answered at once */
}

int rng_init(struct rng *r, const struct guestmem *gm,
	     const struct virtio_pci_host *host)
{
	memset(r, 0, sizeof(*r));
	r->ops = (struct virtio_dev_ops){
		.device_id = VIRTIO_ID_RNG,
		.class_code = 0x00ff00,
		.num_queues = 1,
		.max_queue_size = RNG_QUEUE_SIZE,
		.queue_notify = rng_queue_notify,
		.reset = rng_reset,
	};
	return virtio_pci_init(&r->vp, &r->ops, r, gm, host, "virtio-rng");
}
