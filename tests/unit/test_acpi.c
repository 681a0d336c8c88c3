// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>

#include "tests/unit/fixture.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/legacy.h"
#include "boot/aml.h"
#include "boot/bootinfo.h"
#include "boot/layout.h"

#define RAM_SIZE (16u << 20)
GUEST_RAM_SUITE(acpi, RAM_SIZE);

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static const uint8_t *table(uint64_t gpa, const char *sig)
{
	const uint8_t *t = ram + gpa;
	uint32_t len;

	cr_assert_eq(memcmp(t, sig, 4), 0, "expected %s", sig);
	memcpy(&len, t + 4, 4);
	cr_assert_eq(sum(t, len), 0, "%s checksum", sig);
	return t;
}

Test(acpi, tables_checksum_and_link)
{
	uint64_t rsdp, xsdt_addr, fadt_addr, madt_addr, dsdt_addr;
	const uint8_t *r, *x, *f;

	cr_assert_eq(acpi_build(&gm, 2, NULL, &rsdp), 0);
	cr_assert_eq(rsdp, LAYOUT_ACPI);
	r = ram + rsdp;
	cr_assert_eq(memcmp(r, "RSD PTR ", 8), 0);
	cr_assert_eq(sum(r, 20), 0);
	cr_assert_eq(sum(r, 36), 0);
	memcpy(&xsdt_addr, r + 24, 8);
	x = table(xsdt_addr, "XSDT");
	memcpy(&fadt_addr, x + 36, 8);
	memcpy(&madt_addr, x + 44, 8);
	f = table(fadt_addr, "FACP");
	memcpy(&dsdt_addr, f + 140, 8);
	table(dsdt_addr, "DSDT");
	table(madt_addr, "APIC");
	memcpy(&madt_addr, x + 52, 8);
	{
		const uint8_t *mc = table(madt_addr, "MCFG");
		uint64_t base;

		memcpy(&base, mc + 44, 8);
		cr_assert_eq(base, LAYOUT_PCI_ECAM);
		cr_assert_eq(mc[54], 0, "start bus");
		cr_assert_eq(mc[55], 0, "end bus");
	}
}

Test(acpi, madt_lists_every_cpu)
{
	uint64_t rsdp, xsdt_addr, madt_addr;
	const uint8_t *m, *p, *end;
	uint32_t len;
	unsigned int cpus = 0, ioapics = 0, isos = 0;

	cr_assert_eq(acpi_build(&gm, 8, NULL, &rsdp), 0);
	memcpy(&xsdt_addr, ram + rsdp + 24, 8);
	memcpy(&madt_addr, ram + xsdt_addr + 44, 8);
	m = table(madt_addr, "APIC");
	memcpy(&len, m + 4, 4);
	end = m + len;
	for (p = m + 44; p < end; p += p[1]) {
		cr_assert_geq(p[1], 2);
		if (p[0] == 0) {
			cr_assert_eq(p[3], cpus, "APIC ids in order");
			cpus++;
		} else if (p[0] == 1) {
			uint32_t addr;

			memcpy(&addr, p + 4, 4);
			cr_assert_eq(addr, LAYOUT_IOAPIC);
			ioapics++;
		} else if (p[0] == 2) {
			uint32_t gsi;

			memcpy(&gsi, p + 4, 4);
			cr_assert_eq(p[3], 0, "only ISA IRQ 0 is overridden");
			cr_assert_eq(gsi, 2, "ISA IRQ 0 -> GSI 2");
			isos++;
		}
	}
	cr_assert_eq(cpus, 8);
	cr_assert_eq(ioapics, 1);
	cr_assert_eq(isos, 1);
}

Test(acpi, refuses_bad_cpu_counts)
{
	uint64_t rsdp;

	cr_assert_lt(acpi_build(&gm, 0, NULL, &rsdp), 0);
	cr_assert_lt(acpi_build(&gm, 1000, NULL, &rsdp), 0);
	cr_assert_eq(acpi_build(&gm, 64, NULL, &rsdp), 0);
}

Test(acpi, dsdt_declares_the_pci_root)
{
	static const uint8_t hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c,
				       0x41, 0xd0, 0x0a, 0x08 };   /* PNP0A08 */
	uint64_t rsdp, xsdt, fadt, dsdt;
	uint32_t len;
	bool found = false;

	cr_assert_eq(acpi_build(&gm, 1, NULL, &rsdp), 0);
	memcpy(&xsdt, ram + rsdp + 24, 8);
	memcpy(&fadt, ram + xsdt + 36, 8);
	memcpy(&dsdt, ram + fadt + 140, 8);
	table(dsdt, "DSDT");
	memcpy(&len, ram + dsdt + 4, 4);
	cr_assert_gt(len, 100);
	cr_assert_not_null(memmem(ram + dsdt, len, "PCI0", 4));
	found = memmem(ram + dsdt, len, hid, sizeof(hid)) != NULL;
	cr_assert(found, "_HID PNP0A08");
	/* The memory window of the root bridge is the BAR window. */
	cr_assert_not_null(memmem(ram + dsdt, len, "\x00\x00\x00\xc0\xff\xff\xff\xdf", 8));
}

/* ---- the DSDT as the guest's AML interpreter reads it ------------------ */

static const uint8_t *find_table(const char *sig, uint32_t *len)
{
	uint64_t rsdp, xsdt, fadt, t = 0;

	cr_assert_eq(acpi_build(&gm, 2, NULL, &rsdp), 0);
	memcpy(&xsdt, ram + rsdp + 24, 8);
	memcpy(&fadt, ram + xsdt + 36, 8);
	if (!strcmp(sig, "DSDT"))
		memcpy(&t, ram + fadt + 140, 8);
	else if (!strcmp(sig, "FACP"))
		t = fadt;
	else if (!strcmp(sig, "APIC"))
		memcpy(&t, ram + xsdt + 44, 8);
	memcpy(len, ram + t + 4, 4);
	return table(t, sig);
}

static size_t pkglen(const uint8_t *p, size_t *n)
{
	size_t extra = p[0] >> 6, v = extra ? p[0] & 0xf : p[0] & 0x3f;

	for (size_t i = 0; i < extra; i++)
		v |= (size_t)p[1 + i] << (4 + 8 * i);
	*n = 1 + extra;
	return v;
}

static uint64_t aml_integer(const uint8_t *p, size_t *n)
{
	switch (p[0]) {
	case 0x00: *n = 1; return 0;
	case 0x01: *n = 1; return 1;
	case 0x0a: *n = 2; return p[1];
	case 0x0b: *n = 3; return p[1] | p[2] << 8;
	case 0x0c: *n = 5; return p[1] | p[2] << 8 | p[3] << 16 | (uint64_t)p[4] << 24;
	}
	cr_assert_fail("not an integer: opcode %#x", p[0]);
	return 0;
}

/*
 * The root cause of "PCI INT A: failed to register GSI" (-EBUSY) on real
 * KVM: a _PRT entry naming a GSI means level-triggered, active low (ACPI
 * 6.4, 6.2.13), and the MADT also overrode that line as ISA IRQ 11,
 * active high. Every _PRT GSI must be a PCI line (16-23) that no
 * override names, and every slot's four pins must be routed.
 */
Test(acpi, prt_routes_every_pin_to_a_pci_line_without_override)
{
	uint32_t len, mlen;
	const uint8_t *d = find_table("DSDT", &len), *m = find_table("APIC", &mlen);
	const uint8_t *p = memmem(d, len, "_PRT", 4), *end;
	unsigned int entries, seen = 0, slot_pins[32] = { 0 };
	size_t n;

	cr_assert_not_null(p);
	p += 4;
	cr_assert_eq(*p++, 0x12, "a Package");
	end = p + pkglen(p, &n);
	p += n;
	entries = *p++;
	cr_assert_eq(entries, 31 * 4);
	while (p < end) {
		uint64_t v[4];
		const uint8_t *e;

		cr_assert_eq(*p++, 0x12);
		e = p + pkglen(p, &n);
		p += n;
		cr_assert_eq(*p++, 4);
		for (int i = 0; i < 4; i++) {
			v[i] = aml_integer(p, &n);
			p += n;
		}
		cr_assert_eq(p, e);
		cr_assert_eq(v[0] & 0xffff, 0xffff, "any function");
		cr_assert_eq(v[2], 0, "a GSI, not a link device");
		cr_assert_geq(v[3], 16, "not an ISA IRQ");
		cr_assert_leq(v[3], 23, "an IO-APIC input");
		cr_assert_eq(v[3], aml_pci_intx_gsi(16, v[0] >> 16, v[1]));
		slot_pins[v[0] >> 16] |= 1u << v[1];
		/* No interrupt source override names this GSI. */
		for (const uint8_t *q = m + 44; q < m + mlen; q += q[1]) {
			uint32_t gsi;

			memcpy(&gsi, q + 4, 4);
			cr_assert(q[0] != 2 || gsi != v[3], "override on GSI %u",
				  (unsigned int)v[3]);
		}
		seen++;
	}
	cr_assert_eq(seen, entries);
	for (unsigned int slot = 1; slot < 32; slot++)
		cr_assert_eq(slot_pins[slot], 0xf, "slot %u: all four pins", slot);
}

/*
 * The root cause of a silent user-space console on real KVM: with a
 * hardware-reduced FADT Linux has no legacy PIC, maps an ISA IRQ only
 * for a device the DSDT describes, and without one the UART's IRQ 4 is
 * never mapped (tx:0). COM1 must be there with its ports and IRQ 4.
 */
Test(acpi, dsdt_describes_com1_with_ports_and_irq4)
{
	static const uint8_t io[] = { 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08 };
	static const uint8_t irq4[] = { 0x22, 0x10, 0x00 };
	static const uint8_t hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c,
				       0x41, 0xd0, 0x05, 0x01 };   /* PNP0501 */
	uint32_t len;
	const uint8_t *d = find_table("DSDT", &len);
	const uint8_t *com1 = memmem(d, len, "COM1", 4);
	size_t rest;

	cr_assert_not_null(com1);
	rest = len - (size_t)(com1 - d);
	cr_assert_not_null(memmem(com1, rest, hid, sizeof(hid)));
	cr_assert_not_null(memmem(com1, rest, io, sizeof(io)));
	cr_assert_not_null(memmem(com1, rest, irq4, sizeof(irq4)));
}

/* Power-off on a hardware-reduced platform: \_S5 plus the FADT's sleep
 * control and status registers (Linux offers poweroff only with all
 * three); SLP_TYP 5 written with SLP_EN to the control port. */
Test(acpi, poweroff_needs_s5_and_sleep_registers)
{
	static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12 };
	uint32_t len, flen;
	const uint8_t *d = find_table("DSDT", &len), *f = find_table("FACP", &flen);
	const uint8_t *p = memmem(d, len, s5, sizeof(s5));
	uint64_t ctl, sts;

	cr_assert_not_null(p);
	cr_assert_eq(p[7], 4, "four elements");
	cr_assert_eq(p[8], 0x0a);
	cr_assert_eq(p[9], ACPI_SLP_TYP_S5);
	cr_assert_eq(flen, 276);
	cr_assert_eq(f[244], 1, "sleep control in I/O space");
	memcpy(&ctl, f + 248, 8);
	memcpy(&sts, f + 260, 8);
	cr_assert_eq(ctl, ACPI_SLEEP_PORT);
	cr_assert_eq(sts, ACPI_SLEEP_PORT + 1);
}

/* The whole DSDT through ACPICA's own disassembler (acpica-tools), the
 * same interpreter core Linux uses: it must parse, and name what we
 * meant it to. */
Test(acpi, dsdt_disassembles_with_acpica)
{
	static char dsl[1 << 17];
	char dir[] = "/tmp/vmm-dsdt.XXXXXX", cmd[256], path[96];
	uint32_t len;
	const uint8_t *d = find_table("DSDT", &len);
	FILE *fp;
	size_t n;

	if (system("command -v iasl >/dev/null 2>&1") != 0)
		cr_skip_test("iasl (acpica-tools) is not installed");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/dsdt.dat", dir);
	fp = fopen(path, "wb");
	cr_assert_not_null(fp);
	cr_assert_eq(fwrite(d, 1, len, fp), len);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "cd %s && iasl -d dsdt.dat >log 2>&1", dir);
	cr_assert_eq(system(cmd), 0, "iasl -d failed");
	snprintf(path, sizeof(path), "%s/dsdt.dsl", dir);
	fp = fopen(path, "r");
	cr_assert_not_null(fp);
	n = fread(dsl, 1, sizeof(dsl) - 1, fp);
	dsl[n] = 0;
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
	cr_assert_not_null(strstr(dsl, "Device (PCI0)"));
	cr_assert_not_null(strstr(dsl, "EisaId (\"PNP0A08\")"));
	cr_assert_not_null(strstr(dsl, "Device (COM1)"));
	cr_assert_not_null(strstr(dsl, "EisaId (\"PNP0501\")"));
	cr_assert_not_null(strstr(dsl, "IRQNoFlags ()\n                    {4}"), "%s", dsl);
	cr_assert_not_null(strstr(dsl, "Name (_S5, Package (0x04)"));
	cr_assert_not_null(strstr(dsl, "Name (_PRT, Package (0x7C)"));
	/* The power button: the GED's edge interrupt runs _EVT, which
	 * notifies PWRB "pressed" (system_powerdown). */
	cr_assert_not_null(strstr(dsl, "Device (PWRB)"));
	cr_assert_not_null(strstr(dsl, "EisaId (\"PNP0C0C\")"));
	cr_assert_not_null(strstr(dsl, "Name (_HID, \"ACPI0013\""), "%s", dsl);
	cr_assert_not_null(strstr(dsl, "Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, )"),
			   "%s", dsl);
	cr_assert_not_null(strstr(dsl, "0x0000000A,"), "%s", dsl);
	cr_assert_not_null(strstr(dsl, "Method (_EVT, 1, NotSerialized)"));
	cr_assert_not_null(strstr(dsl, "Notify (\\_SB.PWRB, 0x80)"), "%s", dsl);
}
