/* SPDX-License-Identifier: MIT */
#ifndef BOOT_AML_H
#define BOOT_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A small AML (ACPI Machine Language) writer for the DSDT: named integers,
 * EISA ids, packages, resource templates, devices and scopes. Each object
 * is built into its own struct aml and then wrapped by its parent, so
 * every PkgLength is known when it is written. A buffer that would
 * overflow sets @overflow and keeps counting, so the caller can refuse.
 */
#define AML_MAX 4096

struct aml {
	uint8_t buf[AML_MAX];
	size_t len;
	bool overflow;
};

void aml_bytes(struct aml *a, const void *p, size_t n);
/* An integer as AML encodes it: Zero, One, Byte/Word/DWord/QWordConst. */
void aml_int(struct aml *a, uint64_t v);
/* Name (NAME, integer) */
void aml_name_int(struct aml *a, const char *name, uint64_t v);
/* Name (NAME, EisaId ("PNP0A08")) */
void aml_name_eisaid(struct aml *a, const char *name, const char *id);
/* Name (NAME, Package () { v[0], ... }) */
void aml_name_package(struct aml *a, const char *name, const uint64_t *v,
		      unsigned int n);
/* Name (NAME, ResourceTemplate () { @res }), @res without its end tag. */
void aml_name_resources(struct aml *a, const char *name, const struct aml *res);
/* Name (NAME, "string") */
void aml_name_string(struct aml *a, const char *name, const char *str);
/* Device (NAME) { @body } */
void aml_device(struct aml *a, const char *name, const struct aml *body);
/* Scope (\NAME) { @body } */
void aml_scope_root(struct aml *a, const char *name, const struct aml *body);

/* Resource descriptors (ACPI 6.4, 6.4.2 and 6.4.3). */
void aml_res_io(struct aml *r, uint16_t base, uint8_t len);
/* IRQNoFlags () { irq }: ISA style, edge-triggered, active high. */
void aml_res_irq(struct aml *r, uint8_t irq);
void aml_res_bus_numbers(struct aml *r, uint8_t min, uint8_t max);
void aml_res_io_window(struct aml *r, uint16_t min, uint16_t max);
void aml_res_mem_window(struct aml *r, uint32_t min, uint32_t max);
/* Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { @gsi } */
void aml_res_interrupt_edge(struct aml *r, uint32_t gsi);
/* Device (PWRB), the power button, and Device (GED_), the Generic Event
 * Device whose interrupt @gsi (an edge) presses it. */
void aml_power_button(struct aml *a, uint32_t gsi);

/*
 * Device (PCI0): the PCI root bridge (PNP0A08/PNP0A03) with its windows
 * and its _PRT. INTx pin P of slot S is wired to IO-APIC input
 * @gsi_base + (S + P) % 8: PCI interrupts are level-triggered and active
 * low, which a _PRT entry naming a GSI says by itself, so these inputs
 * must not be ISA IRQs or carry an interrupt source override.
 */
void aml_pci_root(struct aml *a, uint32_t mmio_base, uint32_t mmio_size,
		  uint8_t gsi_base);
/* The GSI that INTx pin @pin (0 = INTA) of @slot is routed to. */
static inline uint8_t aml_pci_intx_gsi(uint8_t gsi_base, unsigned int slot,
				       unsigned int pin)
{
	return gsi_base + (slot + pin) % 8;
}
/* Device (NAME) { _HID @hid, _UID @uid, _CRS { IO (@port, @len), IRQ } }:
 * an ISA device; with a hardware-reduced FADT Linux maps an ISA IRQ
 * only for a device the namespace describes. @irq 0: none. */
void aml_isa_device(struct aml *a, const char *name, const char *hid,
		    unsigned int uid, uint16_t port, uint8_t len, uint8_t irq);

#endif
