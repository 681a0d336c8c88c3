/*
 * Instructions PVM's emulator gives up on in ring 0, which vmm/pvm.c
 * finishes: fwait (skipped) and int3 (#BP injected after it). The #BP
 * handler proves the exception really arrived. On hardware KVM both run
 * natively with the same outcome: isa-debug-exit 0x10 (status 0x21).
 */
#include "common.h"
	PVH_NOTE(_start)

#define IDT 0x80000

_start:
	mov $0x90000, %esp
	IDT_GATE(IDT, 3, bp_handler, 0x8f00)
	fwait
	int3
after_bp:
	cmpl $1, got_bp
	jne fail
	mov $ok, %esi
	call puts
	DEBUG_EXIT_WITH(0x10)
1:	hlt
	jmp 1b
fail:
	DEBUG_EXIT_WITH(0x11)
	jmp 1b

/* Returns by jumping, not iret (see virtio.S). */
bp_handler:
	movl $1, got_bp
	mov $0x90000, %esp
	jmp after_bp

DEFINE_PUTS

	.balign 8
idtr:	.word 256 * 8 - 1
	.long IDT
got_bp:	.long 0
ok:	.asciz "quirks ok: fwait and int3 completed\n"
