// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "vmm/cpu_reset.h"

#define MSR_IA32_TSC            0x10
#define MSR_KVM_WALL_CLOCK      0x11
#define MSR_IA32_TSC_ADJUST     0x3b
#define MSR_KVM_WALL_CLOCK_NEW  0x4b564d00

unsigned int cpu_reset_filter_msrs(uint32_t *idx, unsigned int n)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < n; i++) {
		switch (idx[i]) {
		case MSR_IA32_TSC:
		case MSR_IA32_TSC_ADJUST:
		case MSR_KVM_WALL_CLOCK:
		case MSR_KVM_WALL_CLOCK_NEW:
			continue;
		}
		idx[k++] = idx[i];
	}
	return k;
}

static struct kvm_msrs *msrs_alloc(unsigned int n)
{
	struct kvm_msrs *m = calloc(1, sizeof(*m) + n * sizeof(m->entries[0]));

	if (m)
		m->nmsrs = n;
	return m;
}

/*
 * KVM_GET_MSRS / KVM_SET_MSRS stop at the first MSR KVM refuses: do the
 * rest from the one after it, and (on get) leave the refused ones out,
 * so that a reset only puts back what was really read.
 */
static int cpu_msrs_all(struct kvm_vcpu *vcpu, bool set, struct kvm_msrs *m)
{
	struct kvm_msrs *part = msrs_alloc(m->nmsrs);
	unsigned int i = 0, kept = 0;

	if (!part)
		return -ENOMEM;
	while (i < m->nmsrs) {
		unsigned int left = m->nmsrs - i;
		int r;

		part->nmsrs = left;
		memcpy(part->entries, m->entries + i, left * sizeof(m->entries[0]));
		r = kvm_vcpu_msrs(vcpu, set, part);
		if (r < 0) {
			free(part);
			return r;
		}
		if (!set)
			memcpy(m->entries + kept, part->entries,
			       r * sizeof(m->entries[0]));
		kept += r;
		i += r;
		if ((unsigned int)r < left) {
			pr_debug("vCPU %u: KVM %s MSR %#x", vcpu->id,
				 set ? "refuses to set" : "cannot read",
				 m->entries[i].index);
			i++;
		}
	}
	if (!set)
		m->nmsrs = kept;
	free(part);
	return 0;
}

int cpu_power_on_save(struct cpu_power_on *s, struct kvm *kvm,
		      struct kvm_vcpu *vcpu, const uint32_t *idx,
		      unsigned int n)
{
	int r;

	memset(s, 0, sizeof(*s));
	if ((r = kvm_vcpu_ioctl(vcpu, KVM_GET_REGS, &s->regs)) < 0 ||
	    (r = kvm_vcpu_ioctl(vcpu, KVM_GET_SREGS, &s->sregs)) < 0 ||
	    (r = kvm_vcpu_ioctl(vcpu, KVM_GET_FPU, &s->fpu)) < 0 ||
	    (r = kvm_vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s->lapic)) < 0 ||
	    (r = kvm_vcpu_ioctl(vcpu, KVM_GET_MP_STATE, &s->mp)) < 0 ||
	    (r = kvm_vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &s->events)) < 0 ||
	    (r = kvm_vcpu_ioctl(vcpu, KVM_GET_DEBUGREGS, &s->dbg)) < 0)
		goto fail;
	if (kvm_check_extension(kvm, KVM_CAP_XSAVE) > 0) {
		s->xsave = calloc(1, sizeof(*s->xsave));
		if (!s->xsave) {
			r = -ENOMEM;
			goto fail;
		}
		if ((r = kvm_vcpu_ioctl(vcpu, KVM_GET_XSAVE, s->xsave)) < 0)
			goto fail;
	}
	if (kvm_check_extension(kvm, KVM_CAP_XCRS) > 0) {
		if ((r = kvm_vcpu_ioctl(vcpu, KVM_GET_XCRS, &s->xcrs)) < 0)
			goto fail;
		s->has_xcrs = true;
	}
	s->msrs = msrs_alloc(n);
	if (!s->msrs) {
		r = -ENOMEM;
		goto fail;
	}
	for (unsigned int i = 0; i < n; i++)
		s->msrs->entries[i].index = idx[i];
	if ((r = cpu_msrs_all(vcpu, false, s->msrs)) < 0)
		goto fail;
	return 0;
fail:
	cpu_power_on_free(s);
	return r;
}

/* In the order QEMU puts a reset vCPU's state: the MP state before the
 * local APIC, events and debug registers last. */
int cpu_power_on_restore(const struct cpu_power_on *s, struct kvm_vcpu *vcpu)
{
	struct kvm_mp_state mp = s->mp;
	struct kvm_vcpu_events ev = s->events;
	struct kvm_debugregs dbg = s->dbg;
	struct kvm_lapic_state lapic = s->lapic;
	struct kvm_sregs sregs = s->sregs;
	struct kvm_regs regs = s->regs;
	struct kvm_fpu fpu = s->fpu;
	struct kvm_xcrs xcrs = s->xcrs;
	int r;

	if ((r = kvm_vcpu_ioctl(vcpu, KVM_SET_REGS, &regs)) < 0)
		return r;
	if (s->xsave)
		r = kvm_vcpu_ioctl(vcpu, KVM_SET_XSAVE, s->xsave);
	else
		r = kvm_vcpu_ioctl(vcpu, KVM_SET_FPU, &fpu);
	if (r < 0)
		return r;
	if (s->has_xcrs && (r = kvm_vcpu_ioctl(vcpu, KVM_SET_XCRS, &xcrs)) < 0)
		return r;
	if ((r = kvm_vcpu_ioctl(vcpu, KVM_SET_SREGS, &sregs)) < 0)
		return r;
	if (s->msrs->nmsrs) {
		struct kvm_msrs *m = msrs_alloc(s->msrs->nmsrs);

		if (!m)
			return -ENOMEM;
		memcpy(m->entries, s->msrs->entries,
		       m->nmsrs * sizeof(m->entries[0]));
		r = cpu_msrs_all(vcpu, true, m);
		free(m);
		if (r < 0)
			return r;
	}
	if ((r = kvm_vcpu_ioctl(vcpu, KVM_SET_MP_STATE, &mp)) < 0 ||
	    (r = kvm_vcpu_ioctl(vcpu, KVM_SET_LAPIC, &lapic)) < 0 ||
	    (r = kvm_vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &ev)) < 0 ||
	    (r = kvm_vcpu_ioctl(vcpu, KVM_SET_DEBUGREGS, &dbg)) < 0)
		return r;
	return 0;
}

void cpu_power_on_free(struct cpu_power_on *s)
{
	free(s->xsave);
	free(s->msrs);
	s->xsave = NULL;
	s->msrs = NULL;
}
