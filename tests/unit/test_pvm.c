// SPDX-License-Identifier: MIT
#include <criterion/criterion.h>

#include "vmm/pvm.h"

#define DECODE(...) ({                                            \
	static const uint8_t b_[] = { __VA_ARGS__ };              \
	ilen = 0;                                                  \
	pvm_decode(b_, sizeof(b_), &ilen);                         \
})

Test(pvm, decodes_the_instructions_it_finishes)
{
	unsigned int ilen;

	cr_assert_eq(DECODE(0xcc), PVM_INSN_INT3);
	cr_assert_eq(ilen, 1);
	cr_assert_eq(DECODE(0x9b, 0xdb, 0xe3), PVM_INSN_FWAIT);
	cr_assert_eq(ilen, 1);
	cr_assert_eq(DECODE(0x0f, 0x01, 0xca), PVM_INSN_CLAC);
	cr_assert_eq(ilen, 3);
	cr_assert_eq(DECODE(0x0f, 0x01, 0xcb), PVM_INSN_STAC);
	cr_assert_eq(ilen, 3);
}

Test(pvm, ldmxcsr_lengths)
{
	unsigned int ilen;

	/* ldmxcsr (%rax) */
	cr_assert_eq(DECODE(0x0f, 0xae, 0x10), PVM_INSN_LDMXCSR);
	cr_assert_eq(ilen, 3);
	/* ldmxcsr 0x8(%rsp): SIB + disp8 */
	cr_assert_eq(DECODE(0x0f, 0xae, 0x54, 0x24, 0x08), PVM_INSN_LDMXCSR);
	cr_assert_eq(ilen, 5);
	/* ldmxcsr disp32(%rip) */
	cr_assert_eq(DECODE(0x0f, 0xae, 0x15, 1, 2, 3, 4), PVM_INSN_LDMXCSR);
	cr_assert_eq(ilen, 7);
	/* REX.B: ldmxcsr 0x100(%r12) -> SIB + disp32 */
	cr_assert_eq(DECODE(0x41, 0x0f, 0xae, 0x94, 0x24, 0, 1, 0, 0),
		     PVM_INSN_LDMXCSR);
	cr_assert_eq(ilen, 9);
	/* SIB with no base: disp32 */
	cr_assert_eq(DECODE(0x0f, 0xae, 0x14, 0x25, 0, 0, 0, 0),
		     PVM_INSN_LDMXCSR);
	cr_assert_eq(ilen, 8);
}

Test(pvm, refuses_what_it_does_not_know)
{
	unsigned int ilen;

	cr_assert_eq(DECODE(0x0f, 0xae, 0x18), PVM_INSN_UNKNOWN); /* stmxcsr */
	cr_assert_eq(DECODE(0x0f, 0xae, 0xd0), PVM_INSN_UNKNOWN); /* reg form */
	cr_assert_eq(DECODE(0x0f, 0x01, 0xd0), PVM_INSN_UNKNOWN); /* xgetbv */
	cr_assert_eq(DECODE(0x90), PVM_INSN_UNKNOWN);
	/* Truncated: ModRM promises a disp32 that is not there. */
	cr_assert_eq(DECODE(0x0f, 0xae, 0x15, 1), PVM_INSN_UNKNOWN);
	cr_assert_eq(pvm_decode(NULL, 0, &ilen), PVM_INSN_UNKNOWN);
}

Test(pvm, off_means_inert)
{
	struct pvm_quirks q;

	pvm_quirks_init(&q, 0);
	cr_assert_not(q.enabled);
	cr_assert_null(pvm_cmdline_extra(&q));
	cr_assert_not(pvm_prefers_vmlinux(&q));
	cr_assert_eq(pvm_handle_emulation_failure(&q, NULL, NULL) < 0, 1);
	pvm_quirks_init(&q, 1);
	cr_assert(q.enabled);
	cr_assert_not_null(pvm_cmdline_extra(&q));
}
