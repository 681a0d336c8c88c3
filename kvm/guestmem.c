// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm/guestmem.h"

void guestmem_layout(struct guestmem *gm, uint64_t size)
{
	uint64_t low = size < GUESTMEM_HOLE_START ? size : GUESTMEM_HOLE_START;

	gm->size = size;
	gm->nr_regions = 1;
	gm->regions[0] = (struct guestmem_region){ 0, low, 0 };
	if (size > low) {
		gm->regions[1] = (struct guestmem_region){
			GUESTMEM_HIGH_START, size - low, low };
		gm->nr_regions = 2;
	}
}

int guestmem_init(struct guestmem *gm, uint64_t size)
{
	void *p;

	memset(gm, 0, sizeof(*gm));
	gm->memfd = -1;
	guestmem_layout(gm, size);
	gm->memfd = memfd_create("guest-ram", MFD_CLOEXEC);
	if (gm->memfd < 0)
		return -errno;
	if (ftruncate(gm->memfd, size) < 0)
		goto fail;
	/*
	 * MAP_NORESERVE: guest RAM is populated on first touch, so the VMM's
	 * footprint is what the guest uses, not what it was given.
	 */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
		 gm->memfd, 0);
	if (p == MAP_FAILED)
		goto fail;
	gm->host = p;
	/* Guest RAM must not end up in a core dump of the VMM. */
	madvise(p, size, MADV_DONTDUMP);
	return 0;
fail:
	{
		int err = -errno;

		close(gm->memfd);
		gm->memfd = -1;
		return err;
	}
}

void guestmem_init_with_buffer(struct guestmem *gm, void *buf, uint64_t size)
{
	memset(gm, 0, sizeof(*gm));
	gm->memfd = -1;
	guestmem_layout(gm, size);
	gm->host = buf;
}

void guestmem_exit(struct guestmem *gm)
{
	if (gm->memfd >= 0) {
		munmap(gm->host, gm->size);
		close(gm->memfd);
	}
	gm->memfd = -1;
	gm->host = NULL;
}

void *guestmem_ptr(const struct guestmem *gm, uint64_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < gm->nr_regions; i++) {
		const struct guestmem_region *r = &gm->regions[i];

		/* Written so that no expression can wrap. */
		if (gpa < r->gpa || gpa - r->gpa >= r->size)
			continue;
		if (len > r->size - (gpa - r->gpa))
			return NULL;
		return gm->host + r->offset + (gpa - r->gpa);
	}
	return NULL;
}

int guestmem_write(const struct guestmem *gm, uint64_t gpa, const void *src,
		   uint64_t len)
{
	void *p = guestmem_ptr(gm, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}

int guestmem_read(const struct guestmem *gm, uint64_t gpa, void *dst,
		  uint64_t len)
{
	void *p = guestmem_ptr(gm, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

uint64_t guestmem_low_end(const struct guestmem *gm)
{
	return gm->regions[0].size;
}

int guestmem_discard(const struct guestmem *gm, uint64_t gpa, uint64_t len)
{
	uint8_t *p = guestmem_ptr(gm, gpa, len);

	if (!p || (gpa & 4095) || (len & 4095) || !len)
		return -EINVAL;
	if (gm->memfd < 0) {
		memset(p, 0, len);   /* caller-owned buffer (tests) */
		return 0;
	}
	/*
	 * Punching a hole frees the memfd's pages; KVM's MMU notifier drops
	 * the guest's mappings, and the next touch faults in a zero page.
	 */
	if (fallocate(gm->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      p - gm->host, len) < 0)
		return -errno;
	return 0;
}

uint64_t guestmem_gpa_of(const struct guestmem *gm, const void *p)
{
	const uint8_t *b = p;

	for (unsigned int i = 0; i < gm->nr_regions; i++) {
		const struct guestmem_region *r = &gm->regions[i];
		const uint8_t *start = gm->host + r->offset;

		if (b >= start && (uint64_t)(b - start) < r->size)
			return r->gpa + (uint64_t)(b - start);
	}
	return (uint64_t)-1;
}
