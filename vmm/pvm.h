/* SPDX-License-Identifier: MIT */
#ifndef VMM_PVM_H
#define VMM_PVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvm/guestmem.h"
#include "kvm/kvm.h"

/*
 * Workarounds for PVM, the software hypervisor that provides /dev/kvm on
 * some machines (the kvm_pvm module). Everything PVM-specific in the VMM
 * lives behind this interface and is inert unless pvm_quirks_init()
 * enabled it: on hardware KVM none of it runs.
 *
 * PVM emulates a guest kernel instruction by instruction; its emulator
 * gives up (KVM_EXIT_INTERNAL_ERROR / EMULATION) on some instructions a
 * stock kernel executes, and it hands the host's CPUID through so the
 * kernel cannot be talked out of them by CPUID alone. We
 *  - append kernel arguments that make the kernel avoid most of them and
 *    skip boot work that costs minutes under emulation,
 *  - finish the few remaining instructions ourselves on that exit,
 *  - boot a bzImage by extracting its vmlinux (the decompressor would run
 *    for minutes under emulation).
 */
struct pvm_quirks {
	bool enabled;
	unsigned long handled[8];   /* per-instruction counters, for -v */
};

/* Whether this host's /dev/kvm is PVM. */
bool pvm_detect(void);
/* @want: -1 auto (detect), 0 off, 1 on. Logs once when enabled. */
void pvm_quirks_init(struct pvm_quirks *q, int want);
/* Kernel arguments to append, or NULL when the quirks are off. */
const char *pvm_cmdline_extra(const struct pvm_quirks *q);
/* Whether a bzImage should be booted from its extracted vmlinux. */
bool pvm_prefers_vmlinux(const struct pvm_quirks *q);
/*
 * Handle an emulation failure: finish the instruction at RIP if it is one
 * we know. 0 if the vCPU may run on, -ENOTSUP if not ours to fix.
 */
int pvm_handle_emulation_failure(struct pvm_quirks *q, struct kvm_vcpu *vcpu,
				 const struct guestmem *gm);
/* Decode the instruction in @insn; returns its length and what to do. */
enum pvm_insn { PVM_INSN_UNKNOWN, PVM_INSN_INT3, PVM_INSN_FWAIT,
		PVM_INSN_LDMXCSR, PVM_INSN_CLAC, PVM_INSN_STAC };
enum pvm_insn pvm_decode(const uint8_t *insn, size_t len, unsigned int *ilen);
void pvm_quirks_report(const struct pvm_quirks *q);

#endif
