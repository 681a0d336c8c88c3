/* Prints a line, checks PIO and MMIO routing, exits with a verdict:
 * isa-debug-exit code 0x10 (VMM status 0x21) when every check passed. */
#include "common.h"
	PVH_NOTE(_start)
_start:
	mov $0x90000, %esp
	mov $hello, %esi
	call puts

	/* PIO to a device: the UART's scratch register keeps what we write. */
	mov $COM1 + 7, %dx
	mov $0x5a, %al
	out %al, %dx
	xor %eax, %eax
	in %dx, %al
	cmp $0x5a, %al
	jne fail
	/* PIO to nothing reads all ones. */
	mov $0x510, %dx
	in %dx, %al
	cmp $0xff, %al
	jne fail
	mov $pio_ok, %esi
	call puts

	/* MMIO to nothing (in the PCI hole) reads all ones, 1/2/4 bytes. */
	mov $0xd0000000, %ebx
	movl $0x12345678, (%ebx)
	mov (%ebx), %eax
	cmp $0xffffffff, %eax
	jne fail
	movzwl 2(%ebx), %eax
	cmp $0xffff, %eax
	jne fail
	movzbl 1(%ebx), %eax
	cmp $0xff, %eax
	jne fail
	mov $mmio_ok, %esi
	call puts

	DEBUG_EXIT_WITH(0x10)
	jmp halt
fail:
	mov $failed, %esi
	call puts
	DEBUG_EXIT_WITH(0x11)
halt:
	cli
	hlt
	jmp halt

DEFINE_PUTS

hello:	.asciz "hello from the test guest\n"
pio_ok:	.asciz "PIO ok\n"
mmio_ok: .asciz "MMIO ok\n"
failed:	.asciz "FAILED\n"
