// SPDX-License-Identifier: MIT
/*
 * The AML the DSDT needs (ACPI 6.4, chapter 20): the PCI root bridge with
 * its resources and INTx routing, the ISA devices a hardware-reduced
 * platform must describe for Linux to map their interrupts, and the
 * objects for power-off. With ACPI on, Linux finds PCI roots only through
 * the namespace, so without PCI0 no PCI device is enumerated.
 */
#include <stdlib.h>
#include <string.h>

#include "util/le.h"
#include "boot/aml.h"

#define AML_ZERO_OP    0x00
#define AML_ONE_OP     0x01
#define AML_NAME_OP    0x08
#define AML_BYTE_PFX   0x0a
#define AML_WORD_PFX   0x0b
#define AML_DWORD_PFX  0x0c
#define AML_QWORD_PFX  0x0e
#define AML_SCOPE_OP   0x10
#define AML_BUFFER_OP  0x11
#define AML_PACKAGE_OP 0x12
#define AML_EXT_OP     0x5b
#define AML_DEVICE_OP  0x82
#define AML_ROOT_CHAR  0x5c
#define AML_STRING_PFX 0x0d
#define AML_METHOD_OP  0x14
#define AML_DUAL_NAME  0x2e
#define AML_NOTIFY_OP  0x86

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (!a->overflow && a->len + n <= sizeof(a->buf))
		memcpy(a->buf + a->len, p, n);
	else
		a->overflow = true;
	a->len += n;
}

static void put8(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void put_name(struct aml *a, const char *name)
{
	aml_bytes(a, name, 4);
}

/* PkgLength covering @body bytes plus itself (20.2.4). */
static void put_pkglen(struct aml *a, size_t body)
{
	if (body + 1 < 64) {
		put8(a, body + 1);
	} else if (body + 2 < (1u << 12)) {
		size_t n = body + 2;

		put8(a, 0x40 | (n & 0xf));
		put8(a, n >> 4);
	} else if (body + 3 < (1u << 20)) {
		size_t n = body + 3;

		put8(a, 0x80 | (n & 0xf));
		put8(a, n >> 4);
		put8(a, n >> 12);
	} else {
		a->overflow = true;
	}
}

/* Everything @from holds, and its overflow, goes into @to. */
static void put_aml(struct aml *to, const struct aml *from)
{
	if (from->overflow)
		to->overflow = true;
	aml_bytes(to, from->buf, from->len);
}

void aml_int(struct aml *a, uint64_t v)
{
	uint8_t b[8];

	if (v <= 1) {
		put8(a, v ? AML_ONE_OP : AML_ZERO_OP);
		return;
	}
	for (unsigned int i = 0; i < 8; i++)
		b[i] = v >> (8 * i);
	if (v <= 0xff) {
		put8(a, AML_BYTE_PFX);
		aml_bytes(a, b, 1);
	} else if (v <= 0xffff) {
		put8(a, AML_WORD_PFX);
		aml_bytes(a, b, 2);
	} else if (v <= 0xffffffff) {
		put8(a, AML_DWORD_PFX);
		aml_bytes(a, b, 4);
	} else {
		put8(a, AML_QWORD_PFX);
		aml_bytes(a, b, 8);
	}
}

void aml_name_int(struct aml *a, const char *name, uint64_t v)
{
	put8(a, AML_NAME_OP);
	put_name(a, name);
	aml_int(a, v);
}

/* "PNP0A08" in its compressed 32-bit form (19.6.36, EISAID). */
static uint32_t eisa_id(const char *s)
{
	uint16_t mfg = ((s[0] - 0x40) << 10) | ((s[1] - 0x40) << 5) | (s[2] - 0x40);
	char hex[5] = { s[3], s[4], s[5], s[6], 0 };
	uint32_t prod = (uint32_t)strtoul(hex, NULL, 16);
	uint8_t b[4] = { mfg >> 8, mfg & 0xff, prod >> 8, prod & 0xff };

	return get_le(b, 4);
}

void aml_name_eisaid(struct aml *a, const char *name, const char *id)
{
	uint8_t b[4];

	put8(a, AML_NAME_OP);
	put_name(a, name);
	put8(a, AML_DWORD_PFX);
	put_le32(b, eisa_id(id));
	aml_bytes(a, b, 4);
}

void aml_name_package(struct aml *a, const char *name, const uint64_t *v,
		      unsigned int n)
{
	struct aml body = { 0 };

	put8(&body, n);
	for (unsigned int i = 0; i < n; i++)
		aml_int(&body, v[i]);
	put8(a, AML_NAME_OP);
	put_name(a, name);
	put8(a, AML_PACKAGE_OP);
	put_pkglen(a, body.len);
	put_aml(a, &body);
}

void aml_name_resources(struct aml *a, const char *name, const struct aml *res)
{
	struct aml body = { 0 };
	static const uint8_t end_tag[2] = { 0x79, 0x00 };

	/* Buffer (size) { descriptors, end tag with checksum 0 } */
	aml_int(&body, res->len + sizeof(end_tag));
	put_aml(&body, res);
	aml_bytes(&body, end_tag, sizeof(end_tag));
	put8(a, AML_NAME_OP);
	put_name(a, name);
	put8(a, AML_BUFFER_OP);
	put_pkglen(a, body.len);
	put_aml(a, &body);
}

void aml_device(struct aml *a, const char *name, const struct aml *body)
{
	put8(a, AML_EXT_OP);
	put8(a, AML_DEVICE_OP);
	put_pkglen(a, 4 + body->len);
	put_name(a, name);
	put_aml(a, body);
}

void aml_scope_root(struct aml *a, const char *name, const struct aml *body)
{
	put8(a, AML_SCOPE_OP);
	put_pkglen(a, 5 + body->len);
	put8(a, AML_ROOT_CHAR);
	put_name(a, name);
	put_aml(a, body);
}

void aml_res_io(struct aml *r, uint16_t base, uint8_t len)
{
	uint8_t d[8] = { 0x47, 0x01 /* 16-bit decode */ };

	put_le16(d + 2, base);
	put_le16(d + 4, base);
	d[6] = 1;          /* alignment */
	d[7] = len;
	aml_bytes(r, d, sizeof(d));
}

void aml_res_irq(struct aml *r, uint8_t irq)
{
	uint8_t d[3] = { 0x22 };

	put_le16(d + 1, irq < 16 ? 1u << irq : 0);
	aml_bytes(r, d, sizeof(d));
}

/* Word Address Space Descriptor (6.4.3.5.3): bus numbers or I/O ports. */
static void res_word_space(struct aml *r, uint8_t type, uint16_t min,
			   uint16_t max)
{
	uint8_t d[16] = { 0x88 };

	put_le16(d + 1, 13);
	d[3] = type;                 /* 1: I/O, 2: bus numbers */
	d[4] = 0x0c;                 /* min and max fixed, producer */
	d[5] = type == 1 ? 0x03 : 0; /* I/O: entire range */
	put_le16(d + 8, min);
	put_le16(d + 10, max);
	put_le16(d + 14, max - min + 1);
	aml_bytes(r, d, sizeof(d));
}

void aml_res_bus_numbers(struct aml *r, uint8_t min, uint8_t max)
{
	res_word_space(r, 2, min, max);
}

void aml_res_io_window(struct aml *r, uint16_t min, uint16_t max)
{
	res_word_space(r, 1, min, max);
}

/* DWord Address Space Descriptor (6.4.3.5.2), memory. */
void aml_res_mem_window(struct aml *r, uint32_t min, uint32_t max)
{
	uint8_t d[26] = { 0x87 };

	put_le16(d + 1, 23);
	d[3] = 0;                    /* memory */
	d[4] = 0x0c;                 /* min and max fixed, producer */
	d[5] = 0x01;                 /* read-write, non-cacheable */
	put_le32(d + 10, min);
	put_le32(d + 14, max);
	put_le32(d + 22, max - min + 1);
	aml_bytes(r, d, sizeof(d));
}

/*
 * _PRT: Package () { Package () { 0xSSSSFFFF, pin, Zero, gsi }, ... }.
 * A zero source means the fourth field is a GSI (6.2.13), which Linux
 * then programs level-triggered, active low.
 */
static void name_prt(struct aml *a, uint8_t gsi_base)
{
	struct aml body = { 0 };
	unsigned int n = 0;

	put8(&body, 0);    /* element count, patched below */
	for (unsigned int slot = 1; slot < 32; slot++) {
		for (unsigned int pin = 0; pin < 4; pin++) {
			struct aml e = { 0 };

			put8(&e, 4);
			aml_int(&e, (uint64_t)slot << 16 | 0xffff);
			aml_int(&e, pin);
			aml_int(&e, 0);
			aml_int(&e, aml_pci_intx_gsi(gsi_base, slot, pin));
			put8(&body, AML_PACKAGE_OP);
			put_pkglen(&body, e.len);
			put_aml(&body, &e);
			n++;
		}
	}
	body.buf[0] = n;   /* 124 entries: fits the byte */
	put8(a, AML_NAME_OP);
	put_name(a, "_PRT");
	put8(a, AML_PACKAGE_OP);
	put_pkglen(a, body.len);
	put_aml(a, &body);
}

void aml_pci_root(struct aml *a, uint32_t mmio_base, uint32_t mmio_size,
		  uint8_t gsi_base)
{
	struct aml crs = { 0 }, dev = { 0 };

	aml_res_bus_numbers(&crs, 0, 0);
	aml_res_io(&crs, 0xcf8, 8);                   /* conf1 ports */
	aml_res_io_window(&crs, 0x0000, 0x0cf7);
	aml_res_io_window(&crs, 0x0d00, 0xffff);
	aml_res_mem_window(&crs, mmio_base, mmio_base + mmio_size - 1);

	aml_name_eisaid(&dev, "_HID", "PNP0A08");
	aml_name_eisaid(&dev, "_CID", "PNP0A03");
	aml_name_int(&dev, "_SEG", 0);
	aml_name_int(&dev, "_BBN", 0);
	aml_name_int(&dev, "_UID", 0);
	aml_name_resources(&dev, "_CRS", &crs);
	name_prt(&dev, gsi_base);
	aml_device(a, "PCI0", &dev);
}

void aml_isa_device(struct aml *a, const char *name, const char *hid,
		    unsigned int uid, uint16_t port, uint8_t len, uint8_t irq)
{
	struct aml crs = { 0 }, dev = { 0 };

	aml_res_io(&crs, port, len);
	if (irq)
		aml_res_irq(&crs, irq);
	aml_name_eisaid(&dev, "_HID", hid);
	aml_name_int(&dev, "_UID", uid);
	aml_name_resources(&dev, "_CRS", &crs);
	aml_device(a, name, &dev);
}

void aml_name_string(struct aml *a, const char *name, const char *str)
{
	put8(a, AML_NAME_OP);
	put_name(a, name);
	put8(a, AML_STRING_PFX);
	aml_bytes(a, str, strlen(str) + 1);
}

void aml_res_interrupt_edge(struct aml *r, uint32_t gsi)
{
	uint8_t d[9] = {
		0x89, 6, 0,     /* Extended Interrupt Descriptor, 6 bytes */
		0x03,           /* consumer, edge, active high, exclusive */
		1,              /* one interrupt */
	};

	put_le32(d + 5, gsi);
	aml_bytes(r, d, sizeof(d));
}

/*
 * The power button of a hardware-reduced platform (ACPI 6.4, 5.6.9): a
 * Generic Event Device whose edge-triggered interrupt runs _EVT, which
 * notifies the PNP0C0C button (0x80: pressed). Linux's evged calls _EVT,
 * the button driver turns the notification into KEY_POWER, and whatever
 * the guest runs (acpid, systemd-logind) shuts down. QEMU's microvm does
 * the same.
 */
void aml_power_button(struct aml *a, uint32_t gsi)
{
	static const uint8_t notify[] = {
		AML_NOTIFY_OP, AML_ROOT_CHAR, AML_DUAL_NAME,
		'_', 'S', 'B', '_', 'P', 'W', 'R', 'B',
		AML_BYTE_PFX, 0x80,
	};
	struct aml btn = { 0 }, ged = { 0 }, crs = { 0 };

	aml_name_eisaid(&btn, "_HID", "PNP0C0C");
	aml_name_int(&btn, "_UID", 0);
	aml_device(a, "PWRB", &btn);

	aml_name_string(&ged, "_HID", "ACPI0013");
	aml_name_int(&ged, "_UID", 0);
	aml_res_interrupt_edge(&crs, gsi);
	aml_name_resources(&ged, "_CRS", &crs);
	/* Method (_EVT, 1, NotSerialized) { Notify (\_SB.PWRB, 0x80) } */
	put8(&ged, AML_METHOD_OP);
	put_pkglen(&ged, 4 + 1 + sizeof(notify));
	put_name(&ged, "_EVT");
	put8(&ged, 1);
	aml_bytes(&ged, notify, sizeof(notify));
	aml_device(a, "GED_", &ged);
}
