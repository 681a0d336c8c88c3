/* SPDX-License-Identifier: MIT */
#ifndef DEVICES_BUS_H
#define DEVICES_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * An address space (port I/O or MMIO) mapping ranges to device handlers.
 * Ranges live in an array sorted by base and found by binary search; they
 * never overlap. An access that hits nothing reads as all ones and writes
 * are dropped, like an unclaimed bus cycle on real hardware.
 */
struct bus_ops {
	/* @offset is relative to the start of the range. */
	void (*read)(void *opaque, uint64_t offset, uint8_t *data,
		     unsigned int len);
	void (*write)(void *opaque, uint64_t offset, const uint8_t *data,
		      unsigned int len);
};

struct bus_range {
	uint64_t base;
	uint64_t size;
	const struct bus_ops *ops;
	void *opaque;
	const char *name;
};

struct bus {
	const char *name;
	pthread_rwlock_t lock;
	unsigned int nr, cap;
	struct bus_range *ranges;
};

int bus_init(struct bus *bus, const char *name);
void bus_exit(struct bus *bus);
/* 0, -EEXIST on overlap, -EINVAL on an empty or wrapping range. */
int bus_register(struct bus *bus, uint64_t base, uint64_t size,
		 const struct bus_ops *ops, void *opaque, const char *name);
int bus_unregister(struct bus *bus, uint64_t base);
/* Returns true if a device claimed the access. */
bool bus_read(struct bus *bus, uint64_t addr, uint8_t *data, unsigned int len);
bool bus_write(struct bus *bus, uint64_t addr, const uint8_t *data,
	       unsigned int len);

#endif
