// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/bus.h"

int bus_init(struct bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	return -pthread_rwlock_init(&bus->lock, NULL);
}

void bus_exit(struct bus *bus)
{
	free(bus->ranges);
	bus->ranges = NULL;
	bus->nr = bus->cap = 0;
	pthread_rwlock_destroy(&bus->lock);
}

/* Index of the first range whose base is > addr. */
static unsigned int bus_upper_bound(const struct bus *bus, uint64_t addr)
{
	unsigned int lo = 0, hi = bus->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (bus->ranges[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int bus_register(struct bus *bus, uint64_t base, uint64_t size,
		 const struct bus_ops *ops, void *opaque, const char *name)
{
	unsigned int pos;
	int err = 0;

	if (size == 0 || base + size - 1 < base)
		return -EINVAL;
	pthread_rwlock_wrlock(&bus->lock);
	pos = bus_upper_bound(bus, base);
	/* The range before must end before us; the one after start after. */
	if (pos > 0) {
		const struct bus_range *prev = &bus->ranges[pos - 1];

		if (base - prev->base < prev->size) {
			err = -EEXIST;
			goto out;
		}
	}
	if (pos < bus->nr && bus->ranges[pos].base - base < size) {
		err = -EEXIST;
		goto out;
	}
	if (bus->nr == bus->cap) {
		unsigned int cap = bus->cap ? bus->cap * 2 : 16;
		struct bus_range *r = realloc(bus->ranges, cap * sizeof(*r));

		if (!r) {
			err = -ENOMEM;
			goto out;
		}
		bus->ranges = r;
		bus->cap = cap;
	}
	memmove(&bus->ranges[pos + 1], &bus->ranges[pos],
		(bus->nr - pos) * sizeof(bus->ranges[0]));
	bus->ranges[pos] = (struct bus_range){ base, size, ops, opaque, name };
	bus->nr++;
out:
	pthread_rwlock_unlock(&bus->lock);
	return err;
}

int bus_unregister(struct bus *bus, uint64_t base)
{
	unsigned int pos;
	int err = -ENOENT;

	pthread_rwlock_wrlock(&bus->lock);
	pos = bus_upper_bound(bus, base);
	if (pos > 0 && bus->ranges[pos - 1].base == base) {
		pos--;
		memmove(&bus->ranges[pos], &bus->ranges[pos + 1],
			(bus->nr - pos - 1) * sizeof(bus->ranges[0]));
		bus->nr--;
		err = 0;
	}
	pthread_rwlock_unlock(&bus->lock);
	return err;
}

/*
 * Find the range holding the whole access. An access straddling two
 * ranges, or the end of one, is treated as unclaimed.
 */
static const struct bus_range *bus_find(const struct bus *bus, uint64_t addr,
					unsigned int len)
{
	unsigned int pos = bus_upper_bound(bus, addr);
	const struct bus_range *r;

	if (pos == 0)
		return NULL;
	r = &bus->ranges[pos - 1];
	if (addr - r->base >= r->size || len > r->size - (addr - r->base))
		return NULL;
	return r;
}

/*
 * Dispatch as kvmtool and cloud-hypervisor do: find the range under the
 * read lock, copy what the handler needs, drop the lock, then call it.
 * A handler may therefore change the bus (a PCI config write through
 * ECAM that moves a BAR takes the write lock), which deadlocked when the
 * handler ran under the read lock. The handler's object stays valid
 * unlocked because devices live as long as the machine: ranges come and
 * go (BAR moves) but what they point at is never freed while vCPUs run.
 * An access racing a BAR move may reach the device at its old address,
 * as on hardware.
 */
static bool bus_lookup(struct bus *bus, uint64_t addr, unsigned int len,
		       struct bus_range *out)
{
	const struct bus_range *r;

	pthread_rwlock_rdlock(&bus->lock);
	r = bus_find(bus, addr, len);
	if (r)
		*out = *r;
	pthread_rwlock_unlock(&bus->lock);
	return r != NULL;
}

bool bus_read(struct bus *bus, uint64_t addr, uint8_t *data, unsigned int len)
{
	struct bus_range r;

	if (!bus_lookup(bus, addr, len, &r)) {
		memset(data, 0xff, len);
		return false;
	}
	if (r.ops->read)
		r.ops->read(r.opaque, addr - r.base, data, len);
	else
		memset(data, 0xff, len);
	return true;
}

bool bus_write(struct bus *bus, uint64_t addr, const uint8_t *data,
	       unsigned int len)
{
	struct bus_range r;

	if (!bus_lookup(bus, addr, len, &r))
		return false;
	if (r.ops->write)
		r.ops->write(r.opaque, addr - r.base, data, len);
	return true;
}
