// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>

#include "tests/unit/fixture.h"
#include <stdlib.h>
#include <string.h>

#include "vmm/bootinfo.h"
#include "vmm/layout.h"

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

	cr_assert_eq(acpi_build(&gm, 2, &rsdp), 0);
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

	cr_assert_eq(acpi_build(&gm, 8, &rsdp), 0);
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
			if (p[3] == 0)
				cr_assert_eq(gsi, 2, "ISA IRQ 0 -> GSI 2");
			else
				cr_assert_eq(gsi, p[3], "PCI INTx line identity mapped");
			isos++;
		}
	}
	cr_assert_eq(cpus, 8);
	cr_assert_eq(ioapics, 1);
	cr_assert_eq(isos, 2);
}

Test(acpi, refuses_bad_cpu_counts)
{
	uint64_t rsdp;

	cr_assert_lt(acpi_build(&gm, 0, &rsdp), 0);
	cr_assert_lt(acpi_build(&gm, 1000, &rsdp), 0);
	cr_assert_eq(acpi_build(&gm, 64, &rsdp), 0);
}

Test(acpi, dsdt_declares_the_pci_root)
{
	static const uint8_t hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c,
				       0x41, 0xd0, 0x0a, 0x08 };   /* PNP0A08 */
	uint64_t rsdp, xsdt, fadt, dsdt;
	uint32_t len;
	bool found = false;

	cr_assert_eq(acpi_build(&gm, 1, &rsdp), 0);
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
