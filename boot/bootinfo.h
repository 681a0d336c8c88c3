/* SPDX-License-Identifier: MIT */
#ifndef BOOT_BOOTINFO_H
#define BOOT_BOOTINFO_H

#include <stdint.h>

#include <asm/bootparam.h>

#include "kvm/guestmem.h"
#include "boot/boot.h"

/* E820 memory map of the machine; returns the number of entries. */
#define E820_MAX 8
unsigned int e820_build(const struct guestmem *gm,
			struct boot_e820_entry *tab, unsigned int max);

/* PVH start_info as xen/arch-x86/hvm/start_info.h lays it out. */
#define XEN_HVM_START_MAGIC 0x336ec578u
struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};
struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};
struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

struct boot_setup {
	uint64_t cmdline_gpa;
	uint64_t initrd_gpa, initrd_size;   /* size 0: none */
	uint64_t rsdp_gpa;
};

/* Write boot_params (zero page) for the 64-bit protocol at @gpa. */
int bootinfo_write_zero_page(const struct guestmem *gm, uint64_t gpa,
			     const struct boot_kernel *bk,
			     const struct boot_setup *bs, uint32_t cmdline_len);
/* Write hvm_start_info, its memory map and module list at @gpa. */
int bootinfo_write_pvh(const struct guestmem *gm, uint64_t gpa,
		       const struct boot_setup *bs);

/* Where the initrd goes: top of low RAM under @max_end, above the kernel. */
int bootinfo_place_initrd(const struct guestmem *gm,
			  const struct boot_kernel *bk, uint64_t size,
			  uint64_t *gpa);

/* ACPI: RSDP, XSDT, FADT, DSDT, MADT for @ncpus whose local APIC IDs are
 * @apic_ids (NULL: 0..ncpus-1). Returns the RSDP address. */
int acpi_build(const struct guestmem *gm, unsigned int ncpus,
	       const uint8_t *apic_ids, uint64_t *rsdp);

#endif
