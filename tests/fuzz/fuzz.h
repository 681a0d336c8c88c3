/* SPDX-License-Identifier: MIT */
#ifndef TESTS_FUZZ_H
#define TESTS_FUZZ_H

/*
 * Shared by the libFuzzer targets: reading the input as a stream of
 * small integers, and a guest that drives a virtio-pci device through
 * (offset, width, value) register accesses, config space through conf1
 * and ECAM, kicks, resets, writes to its own memory and the device's I/O
 * callbacks, all chosen by the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/vdrv.h"

struct fin {
	const uint8_t *p;
	size_t n;
};

static inline uint64_t fin_get(struct fin *f, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes && f->n; i++, f->p++, f->n--)
		v |= (uint64_t)*f->p << (8 * i);
	return v;
}

#define FUZZ_RAM   (1u << 20)
#define FUZZ_RINGS 0x10000      /* queue q's rings at + q * 0x1000 */

/* Negotiate @features and set up @nq queues of 16, then DRIVER_OK. */
static inline void fuzz_bring_up(struct vdrv *d, unsigned int nq, uint32_t features)
{
	vdrv_msix_on(d);
	vdrv_negotiate(d, features);
	for (unsigned int q = 0; q < nq; q++)
		vdrv_queue(d, q, 16, FUZZ_RINGS + q * 0x1000,
			   FUZZ_RINGS + q * 0x1000 + 0x100,
			   FUZZ_RINGS + q * 0x1000 + 0x200, q + 1);
	vdrv_driver_ok(d);
}

/*
 * Run the input as guest actions against the device @d drives, whose
 * queue handler is @kick and whose other callback (completions, a tap,
 * a timer) is @poll.
 */
static inline void fuzz_guest(struct fin *f, struct vdrv *d, uint8_t *ram,
			      unsigned int nq, void (*kick)(void *, unsigned int),
			      void *dev, void (*poll)(void *), void *pctx)
{
	static const unsigned int widths[4] = { 1, 2, 4, 8 };

	while (f->n) {
		unsigned int op = fin_get(f, 1) % 10;
		uint32_t off = fin_get(f, 2);
		unsigned int w = widths[fin_get(f, 1) & 3];
		uint64_t v = fin_get(f, 8);
		uint8_t b[8];

		memcpy(b, &v, 8);
		switch (op) {
		case 0:
			bus_write(&d->mmio, d->bar + (off & 0x7fff), b, w);
			break;
		case 1:
			bus_read(&d->mmio, d->bar + (off & 0x7fff), b, w);
			break;
		case 2:   /* conf1: address then data, any width */
			v = 0x80000000u | d->vp->pci.slot << 11 | (off & 0xfc);
			memcpy(b, &v, 4);
			bus_write(&d->pio, 0xcf8, b, 4);
			bus_write(&d->pio, 0xcfc + (off >> 8 & 3), b + 4,
				  w > 4 ? 4 : w);
			break;
		case 3:   /* ECAM */
			bus_write(&d->mmio, 0xe0000000 + (d->vp->pci.slot << 15) +
				  (off & 0xfff), b, w > 4 ? 4 : w);
			break;
		case 4:
			bus_read(&d->mmio, 0xe0000000 + (d->vp->pci.slot << 15) +
				 (off & 0xfff), b, w > 4 ? 4 : w);
			break;
		case 5:
			kick(dev, off % (nq + 1));
			break;
		case 6: { /* the guest writes its own memory */
			uint32_t at = FUZZ_RINGS + (off % (FUZZ_RAM - FUZZ_RINGS - 8));

			memcpy(ram + at, b, w);
			break;
		}
		case 7:
			if (poll)
				poll(pctx);
			break;
		case 8:
			vdrv_wr(d, 0x14, 0, 1);
			break;
		case 9:
			fuzz_bring_up(d, nq, (uint32_t)v);
			break;
		}
	}
}

#endif
