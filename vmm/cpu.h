/* SPDX-License-Identifier: MIT */
#ifndef VMM_CPU_H
#define VMM_CPU_H

#include <stdint.h>

#include "kvm/guestmem.h"
#include "kvm/kvm.h"
#include "boot/boot.h"

/* Patch a copy of the supported CPUID for vCPU @id of @ncpus. */
void cpu_patch_cpuid(struct kvm_cpuid2 *c, unsigned int id, unsigned int ncpus);
/* CPUID, reset MSRs, FPU, LAPIC LINTs: everything but registers. */
int cpu_setup_vcpu(struct kvm_vcpu *vcpu, const struct kvm_cpuid2 *supported,
		   unsigned int ncpus);
/* GDT and identity page tables in low guest memory. */
int cpu_write_boot_tables(const struct guestmem *gm, enum boot_mode mode);
/* Registers of the boot CPU at the kernel's entry. */
int cpu_setup_boot_regs(struct kvm_vcpu *vcpu, const struct boot_kernel *bk,
			uint64_t boot_info_gpa);

#endif
