/* SPDX-License-Identifier: MIT */
#ifndef VMM_AML_H
#define VMM_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

struct aml {
	uint8_t buf[1024];
	size_t len;
	bool overflow;
};

/* Scope(\_SB) { Device(PCI0) { _HID, _CID, _SEG, _BBN, _UID, _CRS, _PRT } } */
void aml_pci_root(struct aml *a, uint32_t mmio_base, uint32_t mmio_size,
		  uint8_t intx_gsi);

static inline unsigned long strtoul_hex4(const char *s)
{
	char b[5] = { s[0], s[1], s[2], s[3], 0 };

	return strtoul(b, NULL, 16);
}

#endif
