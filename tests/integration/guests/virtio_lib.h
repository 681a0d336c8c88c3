/*
 * Shared pieces of the tiny virtio-pci drivers (GNU as, 32-bit). Include
 * once, after common.h; provides:
 *   cfg_read / cfg_write   conf1 config access for the device in (slot)
 *   virtio_probe           find (want_id), 1af4:1045 by default, walk its
 *                          capabilities, enable
 *                          memory decode and bus mastering; %edi = failing
 *                          step on return with CF set
 *   virtio_negotiate       reset, ACK|DRIVER, VERSION_1, FEATURES_OK
 *   virtio_msix_route      MSI-X entry %ecx -> APIC 0 vector %eax,
 *                          unmasked, and MSI-X enabled
 *   virtio_setup_queue     one 8-entry queue, enabled
 *   virtq_submit0          offer descriptor 0, kick, poll until used
 */
#define CONF1_ADDR 0xcf8
#define CONF1_DATA 0xcfc

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


virtio_probe:
	/* 1. Find 1af4:1045 on bus 0. */
	movl $0, slot
1:	xor %ecx, %ecx
	call cfg_read
	cmp want_id, %eax
	je found
	incl slot
	cmpl $32, slot
	jne 1b
	mov $1, %edi
	stc
	ret
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
	jne 5f
	mov %eax, isr
5:	cmp $4, %ebx
	jne next_cap
	mov %eax, devcfg_addr
next_cap:
	mov %ebp, %esi
	shr $8, %esi
	and $0xfc, %esi
	jmp cap_loop
caps_done:
	mov $2, %edi
	cmpl $0, common
	je probe_fail
	cmpl $0, notify
	je probe_fail
	cmpl $0, msix_cap
	je probe_fail

	/* 3. Memory decode and bus mastering on. */
	mov $4, %ecx
	mov $0x6, %ebx
	call cfg_write

	clc
	ret
probe_fail:
	stc
	ret

virtio_negotiate:
	mov common, %ebx
	movb $0, 0x14(%ebx)
	movb $3, 0x14(%ebx)
	movl $1, 0x00(%ebx)        /* device_feature_select = 1 */
	mov 0x04(%ebx), %eax
	mov $3, %edi
	test $1, %eax              /* VERSION_1 offered */
	jz probe_fail
	movl $1, 0x08(%ebx)
	movl $1, 0x0c(%ebx)
	movl $0, 0x08(%ebx)
	movl $0, 0x0c(%ebx)
	movb $0xb, 0x14(%ebx)
	mov $4, %edi
	testb $8, 0x14(%ebx)       /* FEATURES_OK stuck */
	jz probe_fail
	clc
	ret

virtio_msix_route:
	push %eax
	push %ecx
	mov msix_cap, %ecx
	add $4, %ecx                 /* table offset / BIR */
	call cfg_read
	and $0xfffffff8, %eax
	add bar, %eax
	pop %ecx
	shl $4, %ecx
	add %ecx, %eax               /* the entry */
	pop %ecx                     /* APIC vector */
	movl $0xfee00000, (%eax)
	movl $0, 4(%eax)
	mov %ecx, 8(%eax)
	movl $0, 12(%eax)
	mov msix_cap, %ecx
	call cfg_read
	or $0x80000000, %eax         /* MSI-X enable */
	mov %eax, %ebx
	mov msix_cap, %ecx
	jmp cfg_write

/* Make descriptor 0 of the 8-entry queue at %ebx (as virtio_setup_queue
 * lays it out) available, kick it (write %cx to the notify address in
 * %edx) and poll until the device has used it. */
virtq_submit0:
	push %esi
	movzwl 0x1002(%ebx), %eax
	mov %eax, %esi
	and $7, %esi
	movw $0, 0x1004(%ebx, %esi, 2)
	inc %eax
	mov %ax, 0x1002(%ebx)
	movw %cx, (%edx)
1:	cmpw %ax, 0x2002(%ebx)
	je 2f
	pause
	jmp 1b
2:	pop %esi
	ret

/* Queue %eax: size 8, vector %ecx, rings at %edx (desc), +0x1000, +0x2000;
 * returns its notify address in %eax. */
virtio_setup_queue:
	mov common, %ebx
	mov %ax, 0x16(%ebx)
	movw $8, 0x18(%ebx)
	mov %cx, 0x1a(%ebx)
	mov %edx, 0x20(%ebx)
	movl $0, 0x24(%ebx)
	add $0x1000, %edx
	mov %edx, 0x28(%ebx)
	movl $0, 0x2c(%ebx)
	add $0x1000, %edx
	mov %edx, 0x30(%ebx)
	movl $0, 0x34(%ebx)
	movw $1, 0x1c(%ebx)
	movzwl 0x1e(%ebx), %eax
	imul notify_mult, %eax
	add notify, %eax
	ret

	.balign 4
slot:	.long 0
want_id: .long 0x10451af4      /* virtio-balloon unless told otherwise */
bar:	.long 0
common:	.long 0
notify:	.long 0
notify_mult: .long 0
isr:	.long 0
devcfg_addr: .long 0
msix_cap: .long 0
