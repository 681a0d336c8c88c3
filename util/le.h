/* SPDX-License-Identifier: MIT */
#ifndef UTIL_LE_H
#define UTIL_LE_H

#include <stdint.h>

/* Little-endian fields in byte arrays (config spaces, ACPI, AML). */
static inline void put_le(uint8_t *p, uint32_t v, unsigned int len)
{
	for (unsigned int i = 0; i < len; i++)
		p[i] = v >> (8 * i);
}

static inline uint32_t get_le(const uint8_t *p, unsigned int len)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < len; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static inline void put_le16(uint8_t *p, uint16_t v) { put_le(p, v, 2); }
static inline void put_le32(uint8_t *p, uint32_t v) { put_le(p, v, 4); }

#endif
