/*
 * A tiny virtio-pci driver: finds the balloon on bus 0 through conf1,
 * walks its capabilities, negotiates VERSION_1 through common_cfg, sets up
 * the inflate queue with MSI-X vector 1, inflates one page it touched,
 * kicks, and waits for the used-ring interrupt. Then it checks the used
 * ring and that the page reads back as zero (given back to the host).
 * With "-append intx" it leaves MSI-X off and takes the interrupt as INTx
 * through the IOAPIC input the device's Interrupt Line register names
 * (level), acknowledging it by reading the ISR.
 * isa-debug-exit 0x10 (status 0x21) on success, 0x11 on failure.
 */
#include "common.h"
	PVH_NOTE(_start)

#define IDT        0x80000
#define DESC       0x40000
#define AVAIL      (DESC + 0x1000)
#define USED       (DESC + 0x2000)
#define PFNBUF     0x43000
#define PAGE       0x200000
#define VEC_QUEUE  0x41
#define LAPIC      0xfee00000
#define IOAPIC     0xfec00000

_start:
	mov $0x90000, %esp
	mov 24(%ebx), %eax           /* start_info.cmdline_paddr */
	cmpb $'i', (%eax)            /* "intx" */
	sete intx_mode
	mov $hello, %esi
	call puts
	call virtio_probe
	jc fail
	/* 4. IDT with our handler, local APIC software-enabled. */
	IDT_GATE(IDT, VEC_QUEUE, handler, 0x8e00)
	mov $LAPIC + 0xf0, %eax
	orl $0x1ff, (%eax)

	/* 5. Reset, features. */
	call virtio_negotiate
	jc fail

	/* 6. Queue 0: 8 entries, MSI-X vector 1. */
	xor %eax, %eax
	mov $1, %ecx
	mov $DESC, %edx
	call virtio_setup_queue
	mov %eax, q0_notify
	mov $5, %edi
	mov common, %ebx
	movw $0, 0x16(%ebx)
	cmpw $1, 0x1a(%ebx)
	jne fail

	/* 7. MSI-X: vector 1 -> APIC 0, VEC_QUEUE; unmask; enable. Or INTx:
	 * IOAPIC pin 11 -> VEC_QUEUE, level-triggered, to APIC 0. */
	cmpb $0, intx_mode
	jne 1f
	mov $VEC_QUEUE, %eax
	mov $1, %ecx
	call virtio_msix_route
	jmp 2f
1:	mov $0xff, %al               /* the 8259s stay masked, as Linux */
	out %al, $0x21               /* leaves them: IOAPIC only */
	out %al, $0xa1
	mov $0x3c, %ecx              /* Interrupt Line: the IOAPIC input */
	call cfg_read
	movzbl %al, %eax
	mov $10, %edi
	cmp $16, %eax                /* a PCI line, 16-23, not an ISA IRQ */
	jb fail
	cmp $23, %eax
	ja fail
	lea 0x10(,%eax,2), %edx      /* redirection entry: low, then high */
	mov %edx, IOAPIC
	movl $VEC_QUEUE | 0x8000, IOAPIC + 0x10
	inc %edx
	mov %edx, IOAPIC
	movl $0, IOAPIC + 0x10
2:
	mov common, %ebx
	movb $0xf, 0x14(%ebx)      /* DRIVER_OK */

	/* 8. Touch the page, offer its PFN, kick. */
	movl $0x5a5a5a5a, PAGE
	movl $PAGE >> 12, PFNBUF
	movl $PFNBUF, DESC
	movl $0, DESC + 4
	movl $4, DESC + 8
	movl $0, DESC + 12         /* flags 0, next 0 */
	movw $0, AVAIL + 4         /* ring[0] = head 0 */
	movw $1, AVAIL + 2         /* idx = 1 */
	sti
	mov q0_notify, %eax
	movw $0, (%eax)

	/* 9. Wait for the interrupt (bounded). */
	mov $2000000, %ecx
wait:
	cli
	cmpl $0, got_irq
	jne irq_done
	sti
	hlt
	dec %ecx
	jnz wait
	mov $6, %edi
	jmp fail
irq_done:
	mov $7, %edi
	cmpw $1, USED + 2          /* used.idx */
	jne fail
	cmpl $0, USED + 4          /* used.ring[0].id */
	jne fail
	mov $8, %edi
	cmpl $0, PAGE              /* the page went back to the host */
	jne fail
	mov $9, %edi
	cmpb $0, intx_mode
	je 3f
	cmpl $1, isr_value         /* INTx: the ISR said "queue interrupt" */
	jne fail
3:
	mov $ok, %esi
	call puts
	DEBUG_EXIT_WITH(0x10)
	jmp halt

fail:
	FAIL_WITH_STEP(failed)
halt:
	cli
	hlt
	jmp halt

/*
 * The interrupt handler does not return: PVM's instruction emulator has
 * no protected-mode iret, so it drops the frame and goes on directly.
 */
handler:
	movl $1, got_irq
	/* Reading the ISR acknowledges INTx and lowers the line: before EOI. */
	mov isr, %eax
	movzbl (%eax), %eax
	mov %eax, isr_value
	movl $0, LAPIC + 0xb0      /* EOI */
	mov $0x90000, %esp
	jmp irq_done

DEFINE_PUTS
#include "virtio_lib.h"

	.balign 8
idtr:	.word 256 * 8 - 1
	.long IDT
q0_notify: .long 0
got_irq: .long 0
isr_value: .long 0
intx_mode: .byte 0
hello:	.asciz "virtio guest: probing\n"
ok:	.asciz "virtio ok: interrupt, used ring, page returned\n"
failed:	.asciz "virtio FAILED at step "
