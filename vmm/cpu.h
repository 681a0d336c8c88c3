/* SPDX-License-Identifier: MIT */
#ifndef VMM_CPU_H
#define VMM_CPU_H

#include <stdint.h>

#include "kvm/guestmem.h"
#include "kvm/kvm.h"
#include "boot/boot.h"

/*
 * -smp's layout as the guest sees it: vCPU i is thread i % threads of
 * core (i / threads) % cores of socket i / (threads * cores), and its
 * APIC ID packs the three in fields as wide as each count needs (what
 * CPUID leaves 1, 4, 0xB/0x1F and 0x8000_0008/1E describe, and what the
 * MADT lists). KVM's vCPU id is that APIC ID.
 */
struct cpu_topo {
	unsigned int sockets, cores, threads;
};

unsigned int cpu_topo_count(const struct cpu_topo *t);
unsigned int cpu_topo_apic_id(const struct cpu_topo *t, unsigned int i);
/* Patch a copy of the supported CPUID for the vCPU with APIC ID @apic. */
void cpu_patch_cpuid(struct kvm_cpuid2 *c, unsigned int apic,
		     const struct cpu_topo *t);
/* CPUID, reset MSRs, FPU, LAPIC LINTs: everything but registers. */
int cpu_setup_vcpu(struct kvm_vcpu *vcpu, const struct kvm_cpuid2 *supported,
		   const struct cpu_topo *t);
/* GDT and identity page tables in low guest memory. */
int cpu_write_boot_tables(const struct guestmem *gm, enum boot_mode mode);
/* Registers of the boot CPU at the kernel's entry. */
int cpu_setup_boot_regs(struct kvm_vcpu *vcpu, const struct boot_kernel *bk,
			uint64_t boot_info_gpa);

#endif
