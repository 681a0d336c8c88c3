/*
 * Machine reset, four boots in one run. RAM outlives a reset, as on
 * hardware: the boot count lives at COUNT, away from everything the VMM
 * writes at power-on. Boot 1 leaves a virtio device live (memory decode,
 * bus master, DRIVER|FEATURES_OK, MSI-X on) and KVM's clock MSR on, then
 * resets through the i8042 (0xfe to port 0x64). Boots 2-4 check that all
 * of it is back as at power-on; boot 2 then triple-faults, boot 3 resets
 * through the i8042's output port, boot 4 leaves through isa-debug-exit
 * with code 4 (status 9). With -no-reboot the first reset ends the VMM.
 * A failed check: code 0x11 (status 35), "reboot FAILED at step N".
 */
#include "common.h"
	PVH_NOTE(_start)

#define COUNT     0x50000
#define KVMCLOCK  0x51000
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01

_start:
	mov $0x90000, %esp
	incl COUNT
	mov $hello, %esi
	call puts
	mov COUNT, %eax
	add $'0', %al
	call putc
	mov $'\n', %al
	call putc
	cmpl $1, COUNT
	je first
	call check_power_on
	cmpl $2, COUNT
	je second
	cmpl $3, COUNT
	je third
	mov $9, %edi
	cmpl $4, COUNT
	jne fail
	mov $done, %esi
	call puts
	DEBUG_EXIT_WITH(4)
	jmp halt

first:
	call virtio_probe
	jc fail
	call virtio_negotiate
	jc fail
	mov $0x41, %eax              /* MSI-X entry 0 -> vector 0x41, on */
	xor %ecx, %ecx
	call virtio_msix_route
	call kvm_has_clock2
	jz 1f
	mov $MSR_KVM_SYSTEM_TIME_NEW, %ecx
	mov $KVMCLOCK | 1, %eax
	xor %edx, %edx
	wrmsr
	mov $MSR_KVM_SYSTEM_TIME_NEW, %ecx
	rdmsr
	mov $10, %edi
	test %eax, %eax
	jz fail
	mov $clock_on, %esi
	call puts
1:	I8042_RESET
	jmp halt

second:
	lidt idt_empty
	ud2

third:
	mov $0xd1, %al               /* write the output port ... */
	out %al, $0x64
	mov $0xfe, %al               /* ... bit 0 low: CPU reset */
	out %al, $0x60
	jmp halt

/* Everything boot 1 left behind is as at power-on; %edi names the step. */
check_power_on:
	movl $0, slot
	mov $1, %edi
1:	xor %ecx, %ecx
	call cfg_read
	cmp want_id, %eax
	je 2f
	incl slot
	cmpl $32, slot
	jne 1b
	jmp fail
2:	mov $2, %edi
	mov $4, %ecx                 /* command: no I/O, memory, master */
	call cfg_read
	test $7, %al
	jnz fail
	mov $3, %edi
	mov $0x10, %ecx              /* BAR0 still where the VMM put it */
	call cfg_read
	and $0xfffffff0, %eax
	jz fail
	call virtio_probe            /* decode on again, capabilities */
	mov $4, %edi
	jc fail
	mov $5, %edi
	mov msix_cap, %ecx           /* MSI-X off, function not masked */
	call cfg_read
	test $0xc0000000, %eax
	jnz fail
	mov $6, %edi
	mov common, %ebx             /* device_status 0 */
	cmpb $0, 0x14(%ebx)
	jne fail
	mov $7, %edi
	mov msix_cap, %ecx           /* table entry 0 masked again */
	add $4, %ecx
	call cfg_read
	and $0xfffffff8, %eax
	add bar, %eax
	testl $1, 12(%eax)
	jz fail
	mov $8, %edi
	call kvm_has_clock2
	jz 3f
	mov $MSR_KVM_SYSTEM_TIME_NEW, %ecx
	rdmsr
	or %edx, %eax
	jnz fail
3:	ret

/* ZF clear when KVM's paravirtual clock MSRs exist. */
kvm_has_clock2:
	push %ebx
	mov $0x40000000, %eax
	cpuid
	cmp $0x4b4d564b, %ebx        /* "KVMK" */
	jne 1f
	mov $0x40000001, %eax
	cpuid
	test $8, %eax                /* KVM_FEATURE_CLOCKSOURCE2 */
	pop %ebx
	ret
1:	xor %eax, %eax
	pop %ebx
	ret

fail:
	FAIL_WITH_STEP(failed)
halt:
	cli
	hlt
	jmp halt

DEFINE_PUTS
#include "virtio_lib.h"

	.balign 8
idt_empty:
	.word 0
	.long 0
hello:	.asciz "reboot guest: boot "
clock_on: .asciz "kvmclock on\n"
done:	.asciz "reboot ok: 4 boots\n"
failed:	.asciz "reboot FAILED at step "
