// SPDX-License-Identifier: MIT
/*
 * ACPI tables, just what Linux needs to find its CPUs and interrupt
 * routing: RSDP -> XSDT -> { FADT -> DSDT, MADT }. The FADT declares a
 * hardware-reduced platform (no PM timer, no SCI, no fixed events), as
 * Firecracker and Cloud Hypervisor do, with a reset register that points
 * at the i8042's reset command so a plain `reboot` works too.
 */
#include <errno.h>
#include <string.h>

#include "util/util.h"
#include "vmm/bootinfo.h"
#include "vmm/aml.h"
#include "vmm/layout.h"
#include "devices/pci.h"

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
	char signature[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum;
	uint8_t reserved[3];
} __attribute__((packed));

struct acpi_gas {
	uint8_t space_id;       /* 1: system I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_width;   /* 1: byte */
	uint64_t address;
} __attribute__((packed));

struct acpi_fadt {
	struct acpi_header h;
	uint32_t firmware_ctrl, dsdt;
	uint8_t reserved0, pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt, pm1b_evt, pm1a_cnt, pm1b_cnt, pm2_cnt, pm_tmr;
	uint32_t gpe0, gpe1;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_len, gpe1_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl, x_dsdt;
	struct acpi_gas x_pm1a_evt, x_pm1b_evt, x_pm1a_cnt, x_pm1b_cnt;
	struct acpi_gas x_pm2_cnt, x_pm_tmr, x_gpe0, x_gpe1;
	struct acpi_gas sleep_control, sleep_status;
	uint64_t hypervisor_id;
} __attribute__((packed));

#define FADT_F_RESET_REG_SUP     (1u << 10)
#define FADT_F_HW_REDUCED_ACPI   (1u << 20)
#define FADT_BOOT_VGA_NOT_PRESENT (1u << 2)

struct madt_lapic {
	uint8_t type, length, uid, apic_id;
	uint32_t flags;
} __attribute__((packed));

struct madt_ioapic {
	uint8_t type, length, id, reserved;
	uint32_t address, gsi_base;
} __attribute__((packed));

struct madt_iso {
	uint8_t type, length, bus, source;
	uint32_t gsi;
	uint16_t flags;
} __attribute__((packed));

struct madt_lapic_nmi {
	uint8_t type, length, uid;
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_header) == 36, "ACPI header");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT rev 6");

static uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return (uint8_t)-sum;
}

static void acpi_header_init(struct acpi_header *h, const char *sig,
			     uint32_t len, uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, "VMMVMM", 6);
	memcpy(h->oem_table_id, "VMMTABLE", 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, "VMM ", 4);
	h->creator_revision = 1;
}

static void acpi_header_finish(struct acpi_header *h)
{
	h->checksum = 0;
	h->checksum = acpi_checksum(h, h->length);
}

int acpi_build(const struct guestmem *gm, unsigned int ncpus, uint64_t *rsdp_gpa)
{
	uint64_t rsdp_at = LAYOUT_ACPI, xsdt_at = rsdp_at + 64;
	uint64_t fadt_at = xsdt_at + 64, dsdt_at = fadt_at + 512;
	uint64_t madt_at = dsdt_at + 1024 + 64, mcfg_at = madt_at + 1024;
	struct aml aml = { 0 };
	struct acpi_header *mcfg;
	size_t madt_len = 44 + ncpus * sizeof(struct madt_lapic) +
			  sizeof(struct madt_ioapic) + 2 * sizeof(struct madt_iso) +
			  sizeof(struct madt_lapic_nmi);
	struct acpi_rsdp *rsdp;
	struct acpi_header *xsdt, *dsdt, *madt;
	struct acpi_fadt *fadt;
	uint64_t entries[3] = { fadt_at, madt_at, mcfg_at };
	uint8_t *p;

	if (ncpus == 0 || ncpus > 255 || madt_at + madt_len > mcfg_at)
		return -EINVAL;
	p = guestmem_ptr(gm, LAYOUT_ACPI, LAYOUT_ACPI_END - LAYOUT_ACPI);
	if (!p)
		return -EFAULT;
	memset(p, 0, LAYOUT_ACPI_END - LAYOUT_ACPI);
	rsdp = guestmem_ptr(gm, rsdp_at, sizeof(*rsdp));
	xsdt = guestmem_ptr(gm, xsdt_at, 36 + sizeof(entries));
	fadt = guestmem_ptr(gm, fadt_at, sizeof(*fadt));
	aml_pci_root(&aml, LAYOUT_PCI_MMIO, LAYOUT_PCI_MMIO_SIZE, IRQ_PCI_INTX);
	if (aml.overflow)
		return -E2BIG;
	dsdt = guestmem_ptr(gm, dsdt_at, 36 + aml.len);
	madt = guestmem_ptr(gm, madt_at, madt_len);

	/* DSDT: the PCI root bridge, so that Linux scans bus 0. */
	acpi_header_init(dsdt, "DSDT", 36 + aml.len, 2);
	memcpy((uint8_t *)dsdt + 36, aml.buf, aml.len);
	acpi_header_finish(dsdt);

	acpi_header_init(&fadt->h, "FACP", sizeof(*fadt), 6);
	fadt->dsdt = (uint32_t)dsdt_at;
	fadt->x_dsdt = dsdt_at;
	fadt->flags = FADT_F_HW_REDUCED_ACPI | FADT_F_RESET_REG_SUP;
	fadt->iapc_boot_arch = FADT_BOOT_VGA_NOT_PRESENT;
	fadt->reset_reg = (struct acpi_gas){ 1, 8, 0, 1, 0x64 };
	fadt->reset_value = 0xfe;
	memcpy(&fadt->hypervisor_id, "VMMVMM\0\0", 8);
	acpi_header_finish(&fadt->h);

	/* MADT: one local APIC per vCPU, the IOAPIC, ISA IRQ 0 -> GSI 2. */
	{
		uint8_t *m = (uint8_t *)madt + 36;
		uint32_t lapic = LAYOUT_LAPIC, flags = 1;   /* PCAT_COMPAT */
		struct madt_ioapic io = { 1, sizeof(io), 0, 0, LAYOUT_IOAPIC, 0 };
		struct madt_iso iso = { 2, sizeof(iso), 0, 0, 2, 0 };
		struct madt_lapic_nmi nmi = { 4, sizeof(nmi), 0xff, 0, 1 };

		acpi_header_init(madt, "APIC", madt_len, 5);
		memcpy(m, &lapic, 4);
		memcpy(m + 4, &flags, 4);
		m += 8;
		for (unsigned int i = 0; i < ncpus; i++) {
			struct madt_lapic l = { 0, sizeof(l), i, i, 1 };

			memcpy(m, &l, sizeof(l));
			m += sizeof(l);
		}
		memcpy(m, &io, sizeof(io));
		m += sizeof(io);
		memcpy(m, &iso, sizeof(iso));
		m += sizeof(iso);
		/* PCI INTx: level-triggered, active high, on its own ISA line. */
		iso.source = IRQ_PCI_INTX;
		iso.gsi = IRQ_PCI_INTX;
		iso.flags = 0x0d;
		memcpy(m, &iso, sizeof(iso));
		m += sizeof(iso);
		memcpy(m, &nmi, sizeof(nmi));
		acpi_header_finish(madt);
	}

	/* MCFG: the ECAM window of PCI segment 0, bus 0. */
	mcfg = guestmem_ptr(gm, mcfg_at, 36 + 8 + 16);
	{
		uint64_t base = LAYOUT_PCI_ECAM;
		uint8_t *e = (uint8_t *)mcfg + 44;

		acpi_header_init(mcfg, "MCFG", 36 + 8 + 16, 1);
		memcpy(e, &base, 8);
		e[8] = e[9] = 0;        /* segment 0 */
		e[10] = 0;              /* start bus */
		e[11] = (PCI_ECAM_SIZE >> 20) - 1;   /* end bus */
		acpi_header_finish(mcfg);
	}

	acpi_header_init(xsdt, "XSDT", 36 + sizeof(entries), 1);
	memcpy((uint8_t *)xsdt + 36, entries, sizeof(entries));
	acpi_header_finish(xsdt);

	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, "VMMVMM", 6);
	rsdp->revision = 2;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = xsdt_at;
	rsdp->checksum = acpi_checksum(rsdp, 20);
	rsdp->extended_checksum = acpi_checksum(rsdp, sizeof(*rsdp));
	*rsdp_gpa = rsdp_at;
	return 0;
}
