// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "util/log.h"
#include "virtio/virtqueue.h"

/* The driver's fields are read once each, through volatile accesses. */
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

void virtq_init(struct virtq *vq, const struct guestmem *gm, uint16_t size)
{
	memset(vq, 0, sizeof(*vq));
	vq->gm = gm;
	vq->size = size;
}

void virtq_reset(struct virtq *vq, uint16_t size)
{
	virtq_init(vq, vq->gm, size);
}

int virtq_enable(struct virtq *vq)
{
	uint64_t n = vq->size;

	if (!n || (n & (n - 1)) || n > VIRTQ_MAX_SIZE)
		return -EINVAL;
	/* Alignment as the spec requires for split rings (2.7). */
	if ((vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3))
		return -EINVAL;
	vq->desc = guestmem_ptr(vq->gm, vq->desc_gpa, 16 * n);
	vq->avail = guestmem_ptr(vq->gm, vq->avail_gpa, 6 + 2 * n);
	vq->used = guestmem_ptr(vq->gm, vq->used_gpa, 6 + 8 * n);
	if (!vq->desc || !vq->avail || !vq->used)
		return -EINVAL;
	vq->last_avail = vq->used_idx = 0;
	vq->signalled_valid = false;
	vq->enabled = true;
	return 0;
}

/* Map one descriptor's buffer into the chain. */
static int virtq_map(struct virtq *vq, struct virtq_chain *c,
		     const struct vring_desc *d, bool *seen_in)
{
	uint64_t addr = d->addr;
	uint32_t len = d->len;
	bool in = d->flags & VRING_DESC_F_WRITE;
	void *p;

	if (!in && *seen_in)
		return -EINVAL;   /* readable after writable */
	*seen_in |= in;
	if (len == 0)
		return 0;
	p = guestmem_ptr(vq->gm, addr, len);
	if (!p)
		return -EINVAL;
	if (c->n_out + c->n_in >= VIRTQ_MAX_SIZE)
		return -EINVAL;
	c->iov[c->n_out + c->n_in] = (struct iovec){ p, len };
	if (in) {
		c->n_in++;
		c->in_len += len;
	} else {
		c->n_out++;
		c->out_len += len;
	}
	return 0;
}

static int virtq_walk_indirect(struct virtq *vq, struct virtq_chain *c,
			       const struct vring_desc *ind, unsigned int *count,
			       bool *seen_in)
{
	const struct vring_desc *table;
	unsigned int n, i = 0;

	if (!vq->indirect || (ind->flags & VRING_DESC_F_NEXT) ||
	    ind->len == 0 || ind->len % sizeof(struct vring_desc))
		return -EINVAL;
	n = ind->len / sizeof(struct vring_desc);
	if (n > vq->size)
		return -EINVAL;
	table = guestmem_ptr(vq->gm, ind->addr, ind->len);
	if (!table)
		return -EINVAL;
	for (;;) {
		struct vring_desc d;

		if (++*count > vq->size)
			return -EINVAL;   /* loop or overlong chain */
		memcpy(&d, &table[i], sizeof(d));   /* one snapshot */
		if (d.flags & VRING_DESC_F_INDIRECT)
			return -EINVAL;   /* no nesting */
		if (virtq_map(vq, c, &d, seen_in) < 0)
			return -EINVAL;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		if (d.next >= n)
			return -EINVAL;
		i = d.next;
	}
}

int virtq_pop(struct virtq *vq, struct virtq_chain *c)
{
	uint16_t avail_idx, head, i;
	unsigned int count = 0;
	bool seen_in = false;

	if (!vq->enabled)
		return 0;
	avail_idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	if (avail_idx == vq->last_avail)
		return 0;
	/* More than a ring's worth outstanding cannot be honest. */
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->size)
		return -EINVAL;
	head = READ_ONCE(vq->avail->ring[vq->last_avail & (vq->size - 1)]);
	if (head >= vq->size)
		return -EINVAL;
	c->head = head;
	c->n_out = c->n_in = 0;
	c->out_len = c->in_len = 0;
	i = head;
	for (;;) {
		struct vring_desc d;

		memcpy(&d, &vq->desc[i], sizeof(d));
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (virtq_walk_indirect(vq, c, &d, &count, &seen_in) < 0)
				return -EINVAL;
			break;
		}
		if (++count > vq->size)
			return -EINVAL;
		if (virtq_map(vq, c, &d, &seen_in) < 0)
			return -EINVAL;
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		if (d.next >= vq->size)
			return -EINVAL;
		i = d.next;
	}
	vq->last_avail++;
	return 1;
}

void virtq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
	struct vring_used_elem *e = &vq->used->ring[vq->used_idx & (vq->size - 1)];

	WRITE_ONCE(e->id, head);
	WRITE_ONCE(e->len, len);
	vq->used_idx++;
	/* The element must be visible before the index that publishes it. */
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
}

bool virtq_should_notify(struct virtq *vq)
{
	uint16_t old, new = vq->used_idx;
	bool valid = vq->signalled_valid;

	/* Our used->idx store must be ordered before reading the driver's
	 * suppression state, or we may miss its request (2.7.10). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	old = vq->signalled_used;
	vq->signalled_used = new;
	vq->signalled_valid = true;
	if (!vq->event_idx)
		return !(READ_ONCE(vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
	if (!valid)
		return true;
	return vring_need_event(READ_ONCE(vq->avail->ring[vq->size]), new, old);
}

void virtq_disable_kicks(struct virtq *vq)
{
	if (!vq->event_idx)
		WRITE_ONCE(vq->used->flags, VRING_USED_F_NO_NOTIFY);
}

void virtq_unpop(struct virtq *vq, uint16_t n)
{
	vq->last_avail -= n;
}

bool virtq_enable_kicks(struct virtq *vq)
{
	if (vq->event_idx) {
		/* avail_event sits right after the used ring's elements. */
		volatile uint16_t *avail_event = (volatile uint16_t *)
			((uint8_t *)vq->used + 4 + 8 * (size_t)vq->size);

		*avail_event = vq->last_avail;
	} else
		WRITE_ONCE(vq->used->flags, 0);
	/* Publish before looking again, or a kick may fall in between. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE) != vq->last_avail;
}

/* Copy between a flat buffer and an iovec list, @skip bytes into it. */
static size_t virtq_iov_copy(const struct iovec *iov, unsigned int n,
			     size_t skip, uint8_t *buf, size_t len, bool to_iov)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len, take;
		uint8_t *p = iov[i].iov_base;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		take = l - skip < len - done ? l - skip : len - done;
		if (to_iov)
			memcpy(p + skip, buf + done, take);
		else
			memcpy(buf + done, p + skip, take);
		done += take;
		skip = 0;
	}
	return done;
}

size_t virtq_iov_to_buf(const struct iovec *iov, unsigned int n, size_t skip,
			void *buf, size_t len)
{
	return virtq_iov_copy(iov, n, skip, buf, len, false);
}

size_t virtq_buf_to_iov(const struct iovec *iov, unsigned int n, size_t skip,
			const void *buf, size_t len)
{
	return virtq_iov_copy(iov, n, skip, (uint8_t *)buf, len, true);
}
