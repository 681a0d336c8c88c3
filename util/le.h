/* SPDX-License-Identifier: MIT */
#ifndef UTIL_LE_H
#define UTIL_LE_H

#include <stdint.h>

/* Little-endian fields in byte arrays (config spaces, ACPI, AML). */
static inline void put_le(uint8_t *p, uint32_t v, unsigned int len)
{
	for (unsigned int i = 0; i < len; i++)
		p[i] = i < 4 ? v >> (8 * i) : 0;
}

/* At most the low 4 bytes: a guest's 8-byte access to a 32-bit register
 * must not shift a uint32_t by 32 or more (undefined behaviour). */
static inline uint32_t get_le(const uint8_t *p, unsigned int len)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < len && i < 4; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static inline void put_le16(uint8_t *p, uint16_t v) { put_le(p, v, 2); }
static inline void put_le32(uint8_t *p, uint32_t v) { put_le(p, v, 4); }

#endif
