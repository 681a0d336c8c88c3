// SPDX-License-Identifier: MIT
/*
 * Just enough AML for the DSDT: the PCI root bridge (PNP0A08/PNP0A03)
 * with its resources and its INTx routing. With ACPI on, Linux finds PCI roots only through
 * the namespace, so without this device no PCI device is enumerated.
 */
#include <string.h>

#include "util/le.h"
#include "vmm/aml.h"

#define AML_NAME_OP    0x08
#define AML_BUFFER_OP  0x11
#define AML_PACKAGE_OP 0x12
#define AML_SCOPE_OP   0x10
#define AML_EXT_OP     0x5b
#define AML_DEVICE_OP  0x82
#define AML_BYTE_PFX   0x0a
#define AML_DWORD_PFX  0x0c
#define AML_ROOT_CHAR  0x5c

static void put(struct aml *a, const void *p, size_t n)
{
	if (a->len + n <= sizeof(a->buf))
		memcpy(a->buf + a->len, p, n);
	else
		a->overflow = true;
	a->len += n;
}

static void put8(struct aml *a, uint8_t b)
{
	put(a, &b, 1);
}

/* PkgLength covering @body bytes plus itself (ACPI 20.2.4). */
static void put_pkglen(struct aml *a, size_t body)
{
	if (body + 1 < 64) {
		put8(a, body + 1);
	} else if (body + 2 < 4096) {
		size_t n = body + 2;

		put8(a, 0x40 | (n & 0xf));
		put8(a, n >> 4);
	} else {
		size_t n = body + 3;

		put8(a, 0x80 | (n & 0xf));
		put8(a, n >> 4);
		put8(a, n >> 12);
	}
}

/* EISA id "PNP0A08" as the 32-bit compressed form. */
static uint32_t eisa_id(const char *s)
{
	uint16_t mfg = ((s[0] - 0x40) << 10) | ((s[1] - 0x40) << 5) | (s[2] - 0x40);
	uint32_t prod = (uint32_t)strtoul_hex4(s + 3);
	uint8_t b[4] = { mfg >> 8, mfg & 0xff, prod >> 8, prod & 0xff };
	uint32_t v;

	memcpy(&v, b, 4);
	return v;
}

static void name_dword(struct aml *a, const char *name, uint32_t v)
{
	put8(a, AML_NAME_OP);
	put(a, name, 4);
	put8(a, AML_DWORD_PFX);
	put(a, &v, 4);
}

static void name_zero(struct aml *a, const char *name)
{
	put8(a, AML_NAME_OP);
	put(a, name, 4);
	put8(a, 0x00);   /* ZeroOp */
}

/* Word Address Space Descriptor (bus numbers or I/O ports). */
static size_t word_space(uint8_t *p, uint8_t type, uint16_t min, uint16_t max)
{
	memset(p, 0, 16);
	p[0] = 0x88;
	put_le16(p + 1, 13);
	p[3] = type;                 /* 1: I/O, 2: bus numbers */
	p[4] = 0x0c;                 /* min and max fixed, producer */
	p[5] = type == 1 ? 0x03 : 0; /* I/O: entire range */
	put_le16(p + 8, min);
	put_le16(p + 10, max);
	put_le16(p + 14, max - min + 1);
	return 16;
}

static size_t dword_memory(uint8_t *p, uint32_t min, uint32_t max)
{
	memset(p, 0, 26);
	p[0] = 0x87;
	put_le16(p + 1, 23);
	p[3] = 0;                    /* memory */
	p[4] = 0x0c;
	p[5] = 0x01;                 /* read-write, non-cacheable */
	put_le32(p + 10, min);
	put_le32(p + 14, max);
	put_le32(p + 22, max - min + 1);
	return 26;
}

/*
 * _PRT: INTA# of every slot on bus 0 to @gsi (we only ever raise INTA).
 * Package (31) { Package (4) { 0xSSSSFFFF, 0, 0, gsi }, ... }
 */
static void name_prt(struct aml *a, uint8_t gsi)
{
	uint8_t e[12 * 31];
	size_t n = 0;

	for (uint32_t slot = 1; slot < 32; slot++) {
		uint32_t adr = slot << 16 | 0xffff;

		e[n++] = AML_PACKAGE_OP;
		e[n++] = 11;               /* PkgLength: itself + 10 */
		e[n++] = 4;                /* elements */
		e[n++] = AML_DWORD_PFX;
		put_le32(e + n, adr);
		n += 4;
		e[n++] = 0x00;             /* pin INTA */
		e[n++] = 0x00;             /* source: a GSI, not a link */
		e[n++] = AML_BYTE_PFX;
		e[n++] = gsi;
	}
	put8(a, AML_NAME_OP);
	put(a, "_PRT", 4);
	put8(a, AML_PACKAGE_OP);
	put_pkglen(a, 1 + n);
	put8(a, 31);
	put(a, e, n);
}

void aml_pci_root(struct aml *a, uint32_t mmio_base, uint32_t mmio_size,
		  uint8_t intx_gsi)
{
	uint8_t crs[128];
	size_t n = 0, dev_body, buf_body;
	struct aml dev = { 0 };

	n += word_space(crs + n, 2, 0, 0);                 /* bus 00 */
	crs[n++] = 0x47;                                   /* conf1 ports */
	crs[n++] = 0x01;
	put_le16(crs + n, 0xcf8);
	put_le16(crs + n + 2, 0xcf8);
	crs[n + 4] = 1;
	crs[n + 5] = 8;
	n += 6;
	n += word_space(crs + n, 1, 0x0000, 0x0cf7);
	n += word_space(crs + n, 1, 0x0d00, 0xffff);
	n += dword_memory(crs + n, mmio_base, mmio_base + mmio_size - 1);
	crs[n++] = 0x79;                                   /* end tag */
	crs[n++] = 0x00;

	/* Device (PCI0) body. */
	name_dword(&dev, "_HID", eisa_id("PNP0A08"));
	name_dword(&dev, "_CID", eisa_id("PNP0A03"));
	name_zero(&dev, "_SEG");
	name_zero(&dev, "_BBN");
	name_zero(&dev, "_UID");
	put8(&dev, AML_NAME_OP);
	put(&dev, "_CRS", 4);
	put8(&dev, AML_BUFFER_OP);
	buf_body = 2 + n;                                  /* BytePrefix size */
	put_pkglen(&dev, buf_body);
	put8(&dev, AML_BYTE_PFX);
	put8(&dev, n);
	put(&dev, crs, n);
	name_prt(&dev, intx_gsi);

	/* Scope (\_SB) { Device (PCI0) { ... } } */
	dev_body = 4 + dev.len;
	{
		struct aml devop = { 0 };

		put8(&devop, AML_EXT_OP);
		put8(&devop, AML_DEVICE_OP);
		put_pkglen(&devop, dev_body);
		put(&devop, "PCI0", 4);
		put(&devop, dev.buf, dev.len);

		put8(a, AML_SCOPE_OP);
		put_pkglen(a, 5 + devop.len);
		put8(a, AML_ROOT_CHAR);
		put(a, "_SB_", 4);
		put(a, devop.buf, devop.len);
		a->overflow |= dev.overflow | devop.overflow;
	}
}
