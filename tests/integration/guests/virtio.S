/*
 * A tiny virtio-pci driver: finds the balloon on bus 0 through conf1,
 * walks its capabilities, negotiates VERSION_1 through common_cfg, sets up
 * the inflate queue with MSI-X vector 1, inflates one page it touched,
 * kicks, and waits for the used-ring interrupt. Then it checks the used
 * ring and that the page reads back as zero (given back to the host).
 * isa-debug-exit 0x10 (status 0x21) on success, 0x11 on failure.
 */
#include "common.h"
	PVH_NOTE(_start)

#define CONF1_ADDR 0xcf8
#define CONF1_DATA 0xcfc
#define IDT        0x80000
#define DESC       0x40000
#define AVAIL      0x41000
#define USED       0x42000
#define PFNBUF     0x43000
#define PAGE       0x200000
#define VEC_QUEUE  0x41
#define LAPIC      0xfee00000

/* cfg_read: %eax = dword at config offset %ecx of slot in (slot). */
cfg_read:
	mov slot, %eax
	shl $11, %eax
	or $0x80000000, %eax
	or %ecx, %eax
	mov $CONF1_ADDR, %dx
	out %eax, %dx
	mov $CONF1_DATA, %dx
	in %dx, %eax
	ret
/* cfg_write: dword %ebx to config offset %ecx. */
cfg_write:
	mov slot, %eax
	shl $11, %eax
	or $0x80000000, %eax
	or %ecx, %eax
	mov $CONF1_ADDR, %dx
	out %eax, %dx
	mov $CONF1_DATA, %dx
	mov %ebx, %eax
	out %eax, %dx
	ret

_start:
	mov $0x90000, %esp
	mov $hello, %esi
	call puts

	/* 1. Find 1af4:1045 on bus 0. */
	movl $0, slot
1:	xor %ecx, %ecx
	call cfg_read
	cmp $0x10451af4, %eax
	je found
	incl slot
	cmpl $32, slot
	jne 1b
	mov $1, %edi
	jmp fail
found:
	mov $0x10, %ecx            /* BAR0 */
	call cfg_read
	and $0xfffffff0, %eax
	mov %eax, bar

	/* 2. Walk the capability list. */
	mov $0x34, %ecx
	call cfg_read
	and $0xfc, %eax
	mov %eax, %esi             /* current capability */
	mov $48, %edi              /* bound the walk */
cap_loop:
	test %esi, %esi
	jz caps_done
	dec %edi
	jz caps_done
	mov %esi, %ecx
	call cfg_read
	mov %eax, %ebp             /* id | next << 8 | len << 16 | type << 24 */
	cmp $0x11, %al
	jne 2f
	mov %esi, msix_cap
	jmp next_cap
2:	cmp $0x09, %al
	jne next_cap
	lea 8(%esi), %ecx
	call cfg_read              /* offset within the BAR */
	add bar, %eax
	mov %ebp, %ebx
	shr $24, %ebx
	cmp $1, %ebx
	jne 3f
	mov %eax, common
3:	cmp $2, %ebx
	jne 4f
	mov %eax, notify
	lea 16(%esi), %ecx
	call cfg_read
	mov %eax, notify_mult
4:	cmp $3, %ebx
	jne next_cap
	mov %eax, isr
next_cap:
	mov %ebp, %esi
	shr $8, %esi
	and $0xfc, %esi
	jmp cap_loop
caps_done:
	mov $2, %edi
	cmpl $0, common
	je fail
	cmpl $0, notify
	je fail
	cmpl $0, msix_cap
	je fail

	/* 3. Memory decode and bus mastering on. */
	mov $4, %ecx
	mov $0x6, %ebx
	call cfg_write

	/* 4. IDT with our handler, local APIC software-enabled. */
	mov $handler, %eax
	mov $IDT + VEC_QUEUE * 8, %edi
	mov %ax, (%edi)
	movw $0x10, 2(%edi)
	movw $0x8e00, 4(%edi)      /* present, ring 0, 32-bit interrupt gate */
	shr $16, %eax
	mov %ax, 6(%edi)
	lidt idtr
	mov $LAPIC + 0xf0, %eax
	orl $0x1ff, (%eax)

	/* 5. Virtio status: reset, ACKNOWLEDGE | DRIVER, features. */
	mov common, %ebx
	movb $0, 0x14(%ebx)
	movb $3, 0x14(%ebx)
	movl $1, 0x00(%ebx)        /* device_feature_select = 1 */
	mov 0x04(%ebx), %eax
	mov $3, %edi
	test $1, %eax              /* VERSION_1 offered */
	jz fail
	movl $1, 0x08(%ebx)
	movl $1, 0x0c(%ebx)
	movl $0, 0x08(%ebx)
	movl $0, 0x0c(%ebx)
	movb $0xb, 0x14(%ebx)
	mov $4, %edi
	testb $8, 0x14(%ebx)       /* FEATURES_OK stuck */
	jz fail

	/* 6. Queue 0: 8 entries, vector 1, rings. */
	movw $0, 0x16(%ebx)
	movw $8, 0x18(%ebx)
	movw $1, 0x1a(%ebx)
	mov $5, %edi
	cmpw $1, 0x1a(%ebx)
	jne fail
	movl $DESC, 0x20(%ebx)
	movl $0, 0x24(%ebx)
	movl $AVAIL, 0x28(%ebx)
	movl $0, 0x2c(%ebx)
	movl $USED, 0x30(%ebx)
	movl $0, 0x34(%ebx)
	movw $1, 0x1c(%ebx)
	movzwl 0x1e(%ebx), %eax
	imul notify_mult, %eax
	add notify, %eax
	mov %eax, q0_notify

	/* 7. MSI-X: vector 1 -> APIC 0, VEC_QUEUE; unmask; enable. */
	mov $0x18, %ecx            /* table offset / BIR, in the MSI-X cap */
	add msix_cap, %ecx
	sub $0x14, %ecx            /* = msix_cap + 4 */
	call cfg_read
	and $0xfffffff8, %eax
	add bar, %eax
	movl $0xfee00000, 16(%eax)
	movl $0, 20(%eax)
	movl $VEC_QUEUE, 24(%eax)
	movl $0, 28(%eax)
	mov msix_cap, %ecx
	call cfg_read
	or $0x80000000, %eax       /* MSI-X enable */
	mov %eax, %ebx
	mov msix_cap, %ecx
	call cfg_write
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
	mov $ok, %esi
	call puts
	DEBUG_EXIT_WITH(0x10)
	jmp halt

fail:
	mov $failed, %esi
	call puts
	mov %edi, %eax
	add $'0', %al
	call putc
	mov $'\n', %al
	call putc
	DEBUG_EXIT_WITH(0x11)
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
	movl $0, LAPIC + 0xb0      /* EOI */
	mov $0x90000, %esp
	jmp irq_done

DEFINE_PUTS

	.balign 8
idtr:	.word 256 * 8 - 1
	.long IDT
slot:	.long 0
bar:	.long 0
common:	.long 0
notify:	.long 0
notify_mult: .long 0
isr:	.long 0
msix_cap: .long 0
q0_notify: .long 0
got_irq: .long 0
hello:	.asciz "virtio guest: probing\n"
ok:	.asciz "virtio ok: MSI-X interrupt, used ring, page returned\n"
failed:	.asciz "virtio FAILED at step "
