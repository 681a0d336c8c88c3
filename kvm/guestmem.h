/* SPDX-License-Identifier: MIT */
#ifndef KVM_GUESTMEM_H
#define KVM_GUESTMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Guest RAM: one memfd mapped once, exposed to the guest as up to
 * GUESTMEM_MAX_REGIONS guest-physical windows (RAM below the PCI hole and
 * RAM above 4 GiB). guestmem_ptr() is the only place where a guest-physical
 * address becomes a host pointer: it refuses ranges that leave RAM or wrap.
 */
#define GUESTMEM_MAX_REGIONS 2

struct guestmem_region {
	uint64_t gpa;     /* guest-physical start */
	uint64_t size;    /* bytes */
	uint64_t offset;  /* offset into the memfd / host mapping */
};

struct guestmem {
	int memfd;
	uint8_t *host;    /* base of the whole mapping */
	uint64_t size;    /* total RAM bytes */
	unsigned int nr_regions;
	struct guestmem_region regions[GUESTMEM_MAX_REGIONS];
};

/* Start of the 32-bit PCI/MMIO hole; RAM beyond it moves above 4 GiB. */
#define GUESTMEM_HOLE_START 0xC0000000ULL
#define GUESTMEM_HIGH_START 0x100000000ULL

/* Compute the region layout for @size bytes of RAM (no allocation). */
void guestmem_layout(struct guestmem *gm, uint64_t size);
/* Allocate and map the RAM; 0 or -errno. */
int guestmem_init(struct guestmem *gm, uint64_t size);
/* Use caller-owned memory (tests); the layout is computed the same way. */
void guestmem_init_with_buffer(struct guestmem *gm, void *buf, uint64_t size);
void guestmem_exit(struct guestmem *gm);

/* Host pointer for [gpa, gpa+len) if it lies inside one RAM region. */
void *guestmem_ptr(const struct guestmem *gm, uint64_t gpa, uint64_t len);
/* Whether [gpa, gpa+len) is RAM. */
static inline bool guestmem_is_ram(const struct guestmem *gm, uint64_t gpa,
				   uint64_t len)
{
	return guestmem_ptr(gm, gpa, len) != NULL;
}
/* Copy helpers on top of guestmem_ptr(); 0 or -EFAULT. */
int guestmem_write(const struct guestmem *gm, uint64_t gpa, const void *src,
		   uint64_t len);
int guestmem_read(const struct guestmem *gm, uint64_t gpa, void *dst,
		  uint64_t len);
/*
 * Give [gpa, gpa+len) back to the host (balloon inflation, free page
 * reporting): the pages read as zero on the guest's next touch. Page
 * aligned, inside one RAM region; 0 or -EINVAL / -errno.
 */
int guestmem_discard(const struct guestmem *gm, uint64_t gpa, uint64_t len);
/* The guest-physical address of a host pointer inside RAM, or -1. */
uint64_t guestmem_gpa_of(const struct guestmem *gm, const void *p);
/* End of RAM below the hole (the "low" RAM size). */
uint64_t guestmem_low_end(const struct guestmem *gm);

#endif
