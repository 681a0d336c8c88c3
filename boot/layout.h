/* SPDX-License-Identifier: MIT */
#ifndef BOOT_LAYOUT_H
#define BOOT_LAYOUT_H

/*
 * Guest-physical memory map of the machine. Boot structures sit in low RAM
 * that Linux copies out of before it reuses it; ACPI tables sit in the
 * reserved 0xE0000-0xFFFFF window where Linux also scans for the RSDP.
 */
#define LAYOUT_GDT          0x0500ULL
#define LAYOUT_PVH_INFO     0x6000ULL   /* hvm_start_info, memmap, modlist */
#define LAYOUT_ZERO_PAGE    0x7000ULL   /* struct boot_params */
#define LAYOUT_PML4         0x9000ULL
#define LAYOUT_PDPT         0xa000ULL
#define LAYOUT_PD           0xb000ULL   /* 4 pages: identity map of 4 GiB */
#define LAYOUT_CMDLINE      0x20000ULL
#define LAYOUT_CMDLINE_MAX  0x10000ULL
#define LAYOUT_EBDA_START   0xa0000ULL  /* start of the legacy hole */
#define LAYOUT_ACPI         0xe0000ULL
#define LAYOUT_ACPI_END     0x100000ULL
#define LAYOUT_HIGH_MEM     0x100000ULL /* 1 MiB */
#define LAYOUT_KERNEL_MIN   0x1000000ULL /* where a relocatable kernel goes */

/* The 32-bit hole: PCI BARs, the ECAM window, then the chipset. */
#define LAYOUT_PCI_MMIO     0xc0000000ULL
#define LAYOUT_PCI_MMIO_SIZE 0x20000000ULL /* 512 MiB of 32-bit BARs */
#define LAYOUT_PCI_ECAM     0xe0000000ULL  /* bus 0, 1 MiB */
#define LAYOUT_IDENTITY_MAP 0xfeffc000ULL /* KVM's EPT identity page */
#define LAYOUT_TSS          0xfeffd000ULL /* KVM's real-mode TSS, 3 pages */
#define LAYOUT_IOAPIC       0xfec00000ULL
#define LAYOUT_LAPIC        0xfee00000ULL

/* Legacy ISA interrupt lines. */
#define IRQ_COM1 4
/* The power button's Generic Event Device (QMP system_powerdown): an
 * edge on an ISA line nothing else uses, identity-mapped (no override). */
#define IRQ_GED 10
/*
 * PCI INTx (MSI-X off): IO-APIC inputs 16-23, as on a PC, swizzled by
 * slot (aml_pci_intx_gsi()); level-triggered, shared when slots collide.
 */
#define IRQ_PCI_GSI_BASE 16

#endif
