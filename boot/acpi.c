// SPDX-License-Identifier: MIT
/*
 * ACPI tables, just what Linux needs to find its CPUs, devices and
 * interrupt routing: RSDP -> XSDT -> { FADT -> DSDT, MADT, MCFG }, laid
 * out one after the other in the 0xE0000-0xFFFFF window.
 */
#include <errno.h>
#include <string.h>

#include "util/util.h"
#include "boot/bootinfo.h"
#include "boot/aml.h"
#include "boot/layout.h"
#include "devices/legacy.h"
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

/* Hands out table space in the ACPI window, 16-byte aligned. */
struct acpi_alloc {
	const struct guestmem *gm;
	uint64_t next;
};

static void *acpi_alloc(struct acpi_alloc *al, size_t len, uint64_t *gpa)
{
	uint64_t at = ALIGN_UP(al->next, 16);

	if (len > LAYOUT_ACPI_END - at)
		return NULL;
	al->next = at + len;
	*gpa = at;
	return guestmem_ptr(al->gm, at, len);
}

/*
 * DSDT: the PCI root bridge, the ISA devices whose interrupts Linux must
 * map (a hardware-reduced platform has no legacy PIC, so Linux maps an
 * ISA IRQ only for a device described here: without COM1 the UART's
 * interrupt never reaches the guest), the power button and its Generic
 * Event Device (system_powerdown), and \_S5 for power-off.
 */
static int acpi_build_dsdt(struct acpi_alloc *al, uint64_t *gpa)
{
	static const uint64_t s5[] = { ACPI_SLP_TYP_S5, 0, 0, 0 };
	struct aml sb = { 0 }, body = { 0 };
	struct acpi_header *h;

	aml_pci_root(&sb, LAYOUT_PCI_MMIO, LAYOUT_PCI_MMIO_SIZE, IRQ_PCI_GSI_BASE);
	aml_isa_device(&sb, "COM1", "PNP0501", 1, 0x3f8, 8, IRQ_COM1);
	/* No IRQ: the RTC raises none; rtc_cmos then runs without alarms. */
	aml_isa_device(&sb, "RTC_", "PNP0B00", 0, CMOS_PORT, 2, 0);
	aml_power_button(&sb, IRQ_GED);
	aml_scope_root(&body, "_SB_", &sb);
	aml_name_package(&body, "_S5_", s5, ARRAY_SIZE(s5));
	if (body.overflow)
		return -E2BIG;
	h = acpi_alloc(al, sizeof(*h) + body.len, gpa);
	if (!h)
		return -E2BIG;
	acpi_header_init(h, "DSDT", sizeof(*h) + body.len, 2);
	memcpy(h + 1, body.buf, body.len);
	acpi_header_finish(h);
	return 0;
}

/*
 * FADT: hardware-reduced (no PM timer, no SCI, no fixed events), as
 * Firecracker and Cloud Hypervisor do, with a reset register at the
 * i8042 (a plain `reboot` works) and the sleep control and status
 * registers that power-off needs on such a platform.
 */
static int acpi_build_fadt(struct acpi_alloc *al, uint64_t dsdt, uint64_t *gpa)
{
	struct acpi_fadt *f = acpi_alloc(al, sizeof(*f), gpa);

	if (!f)
		return -E2BIG;
	acpi_header_init(&f->h, "FACP", sizeof(*f), 6);
	f->dsdt = (uint32_t)dsdt;
	f->x_dsdt = dsdt;
	f->flags = FADT_F_HW_REDUCED_ACPI | FADT_F_RESET_REG_SUP;
	f->iapc_boot_arch = FADT_BOOT_VGA_NOT_PRESENT;
	f->reset_reg = (struct acpi_gas){ 1, 8, 0, 1, I8042_CMD_PORT };
	f->reset_value = 0xfe;
	f->sleep_control = (struct acpi_gas){ 1, 8, 0, 1, ACPI_SLEEP_PORT };
	f->sleep_status = (struct acpi_gas){ 1, 8, 0, 1, ACPI_SLEEP_PORT + 1 };
	memcpy(&f->hypervisor_id, "VMMVMM\0\0", 8);
	acpi_header_finish(&f->h);
	return 0;
}

/*
 * MADT: one local APIC per vCPU, the IO-APIC, and ISA IRQ 0 -> GSI 2 (the
 * PIT, routed that way in kvm/irq.c). PCI INTx lines are GSIs 16-23,
 * which are not ISA IRQs and take no override: an override would claim
 * a polarity that the _PRT, naming the GSI directly, contradicts (Linux
 * then refuses the line with -EBUSY).
 */
static int acpi_build_madt(struct acpi_alloc *al, unsigned int ncpus,
			   const uint8_t *apic_ids, uint64_t *gpa)
{
	size_t len = sizeof(struct acpi_header) + 8 +
		     ncpus * sizeof(struct madt_lapic) + sizeof(struct madt_ioapic) +
		     sizeof(struct madt_iso) + sizeof(struct madt_lapic_nmi);
	struct acpi_header *h = acpi_alloc(al, len, gpa);
	uint32_t lapic = LAYOUT_LAPIC, flags = 1;   /* PCAT_COMPAT */
	struct madt_ioapic io = { 1, sizeof(io), 0, 0, LAYOUT_IOAPIC, 0 };
	struct madt_iso iso = { 2, sizeof(iso), 0, 0, 2, 0 };
	struct madt_lapic_nmi nmi = { 4, sizeof(nmi), 0xff, 0, 1 };
	uint8_t *m;

	if (!h)
		return -E2BIG;
	acpi_header_init(h, "APIC", len, 5);
	m = (uint8_t *)(h + 1);
	memcpy(m, &lapic, 4);
	memcpy(m + 4, &flags, 4);
	m += 8;
	for (unsigned int i = 0; i < ncpus; i++) {
		struct madt_lapic l = { 0, sizeof(l), i, apic_ids ? apic_ids[i] : i, 1 };

		memcpy(m, &l, sizeof(l));
		m += sizeof(l);
	}
	memcpy(m, &io, sizeof(io));
	m += sizeof(io);
	memcpy(m, &iso, sizeof(iso));
	m += sizeof(iso);
	memcpy(m, &nmi, sizeof(nmi));
	acpi_header_finish(h);
	return 0;
}

/* MCFG: the ECAM window of PCI segment 0, bus 0. */
static int acpi_build_mcfg(struct acpi_alloc *al, uint64_t *gpa)
{
	size_t len = sizeof(struct acpi_header) + 8 + 16;
	struct acpi_header *h = acpi_alloc(al, len, gpa);
	uint64_t base = LAYOUT_PCI_ECAM;
	uint8_t *e;

	if (!h)
		return -E2BIG;
	acpi_header_init(h, "MCFG", len, 1);
	e = (uint8_t *)(h + 1) + 8;
	memcpy(e, &base, 8);
	e[8] = e[9] = 0;                       /* segment 0 */
	e[10] = 0;                             /* start bus */
	e[11] = (PCI_ECAM_SIZE >> 20) - 1;     /* end bus */
	acpi_header_finish(h);
	return 0;
}

int acpi_build(const struct guestmem *gm, unsigned int ncpus,
	       const uint8_t *apic_ids, uint64_t *rsdp_gpa)
{
	struct acpi_alloc al = { gm, LAYOUT_ACPI };
	uint64_t rsdp_at, xsdt_at, dsdt, entries[3];
	struct acpi_header *xsdt;
	struct acpi_rsdp *rsdp;
	uint8_t *p;
	int r;

	if (ncpus == 0 || ncpus > 255)
		return -EINVAL;
	p = guestmem_ptr(gm, LAYOUT_ACPI, LAYOUT_ACPI_END - LAYOUT_ACPI);
	if (!p)
		return -EFAULT;
	memset(p, 0, LAYOUT_ACPI_END - LAYOUT_ACPI);
	rsdp = acpi_alloc(&al, sizeof(*rsdp), &rsdp_at);
	xsdt = acpi_alloc(&al, sizeof(*xsdt) + sizeof(entries), &xsdt_at);
	if (!rsdp || !xsdt)
		return -E2BIG;
	if ((r = acpi_build_dsdt(&al, &dsdt)) < 0 ||
	    (r = acpi_build_fadt(&al, dsdt, &entries[0])) < 0 ||
	    (r = acpi_build_madt(&al, ncpus, apic_ids, &entries[1])) < 0 ||
	    (r = acpi_build_mcfg(&al, &entries[2])) < 0)
		return r;

	acpi_header_init(xsdt, "XSDT", sizeof(*xsdt) + sizeof(entries), 1);
	memcpy(xsdt + 1, entries, sizeof(entries));
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
