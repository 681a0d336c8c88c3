/* SPDX-License-Identifier: MIT */
#ifndef VMM_CPU_RESET_H
#define VMM_CPU_RESET_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm/kvm.h"

/*
 * A vCPU's power-on state, as KVM made it and cpu_setup_vcpu() set it,
 * taken once before the vCPU first runs and put back on a machine reset:
 * registers, FPU/XSAVE, XCR0, the MSRs KVM saves (the PV clock, steal
 * time, async-PF and PV-EOI MSRs among them: left on, KVM would keep
 * writing into the rebooted kernel's memory), the local APIC, the MP state
 * (APs wait for INIT/SIPI again), pending events and debug registers.
 * Nothing here depends on the vendor: KVM says which MSRs exist.
 */
struct cpu_power_on {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	struct kvm_xsave *xsave;        /* NULL: this KVM has no KVM_CAP_XSAVE */
	struct kvm_xcrs xcrs;
	bool has_xcrs;
	struct kvm_lapic_state lapic;
	struct kvm_mp_state mp;
	struct kvm_vcpu_events events;
	struct kvm_debugregs dbg;
	struct kvm_msrs *msrs;          /* values at power-on */
};

/*
 * Of KVM's saved-MSR list, the ones a reset puts back: all but the time
 * stamp counter (it keeps counting, as the kvmclock of the next boot
 * expects; QEMU's zeroing it is not needed by Linux) and the wall-clock
 * MSRs (a write makes KVM write the wall clock into guest memory).
 * Filters @idx in place; returns the new count.
 */
unsigned int cpu_reset_filter_msrs(uint32_t *idx, unsigned int n);
/* Take @vcpu's state; the MSRs in @idx that KVM reads are kept (those it
 * refuses are dropped, logged). 0 or -errno. */
int cpu_power_on_save(struct cpu_power_on *s, struct kvm *kvm,
		      struct kvm_vcpu *vcpu, const uint32_t *idx,
		      unsigned int n);
/* Put it back (on the vCPU's own thread, out of KVM_RUN). 0 or -errno. */
int cpu_power_on_restore(const struct cpu_power_on *s, struct kvm_vcpu *vcpu);
void cpu_power_on_free(struct cpu_power_on *s);

#endif
