/*
 * Notification round-trip benchmark guest: N times, offer one buffer on
 * the deflate queue, kick, and wait for the used-ring MSI-X interrupt.
 * N comes from the kernel command line (-append N). The bench script
 * times runs with two values of N and divides the difference.
 */
#include "common.h"
	PVH_NOTE(_start)

#define IDT        0x80000
#define Q          0x40000
#define PFNBUF     0x60000
#define VEC        0x41
#define LAPIC      0xfee00000

_start:
	mov $0x90000, %esp
	/* N from the PVH command line (decimal). */
	mov 24(%ebx), %esi           /* start_info.cmdline_paddr */
	xor %eax, %eax
1:	movzbl (%esi), %ecx
	sub $'0', %ecx
	cmp $9, %ecx
	ja 2f
	imul $10, %eax
	add %ecx, %eax
	inc %esi
	jmp 1b
2:	mov %eax, total

	call virtio_probe
	jc fail
	IDT_GATE(IDT, VEC, handler, 0x8e00)
	mov $LAPIC + 0xf0, %eax
	orl $0x1ff, (%eax)
	call virtio_negotiate
	jc fail
	mov $1, %eax                 /* deflate queue: the device does no work */
	mov $1, %ecx                 /* MSI-X vector 1 */
	mov $Q, %edx
	call virtio_setup_queue
	mov %eax, qnotify
	/* Vector 1 -> VEC on APIC 0, unmasked; MSI-X on; DRIVER_OK. */
	mov $VEC, %eax
	mov $1, %ecx
	call virtio_msix_route
	mov common, %ebx
	movb $0xf, 0x14(%ebx)
	/* Every request is the same 4-byte buffer in descriptor 0. */
	movl $0, PFNBUF
	movl $PFNBUF, Q
	movl $0, Q + 4
	movl $4, Q + 8
	movl $0, Q + 12

next:
	mov $0x90000, %esp
	mov done, %eax
	cmp total, %eax
	jae finished
	movzwl Q + 0x1002, %eax      /* avail.idx */
	mov %eax, %ecx
	and $7, %ecx
	movw $0, Q + 0x1004(, %ecx, 2)
	inc %eax
	mov %ax, Q + 0x1002
	mov qnotify, %eax
	movw $1, (%eax)              /* kick */
wait:
	sti
	hlt
	jmp wait

handler:
	movl $0, LAPIC + 0xb0        /* EOI */
	incl done
	jmp next                     /* no iret: see virtio.S */

finished:
	cli
	mov $msg, %esi
	call puts
	DEBUG_EXIT_WITH(0x10)
halt:
	hlt
	jmp halt
fail:
	DEBUG_EXIT_WITH(0x11)
	jmp halt

DEFINE_PUTS
#include "virtio_lib.h"

	.balign 8
idtr:	.word 256 * 8 - 1
	.long IDT
total:	.long 0
done:	.long 0
qnotify: .long 0
msg:	.asciz "rtt done\n"
