/*
 * A balloon driver for the QMP test: touches a pool of RAM, then follows
 * the device's num_pages for as long as it runs: inflating gives pool
 * pages to the host (256 PFNs per request on the inflate queue),
 * deflating takes them back (deflate queue) and touches them again.
 * After each change it writes "actual". Queue completions and config
 * changes are polled, so it needs no interrupt handler.
 */
#include "common.h"
	PVH_NOTE(_start)

#define INFLATE_Q  0x40000           /* rings: desc, +0x1000, +0x2000 */
#define DEFLATE_Q  0x50000
#define PFNBUF     0x60000
#define POOL_PFN   0x1000            /* pool from 16 MiB ... */
#define POOL_PAGES 0x6000            /* ... for 96 MiB */
#define BATCH      256

_start:
	mov $0x90000, %esp
	call virtio_probe
	jc fail
	call virtio_negotiate
	jc fail
	xor %eax, %eax
	mov $0xffff, %ecx            /* no interrupts: we poll */
	mov $INFLATE_Q, %edx
	call virtio_setup_queue
	mov %eax, inflate_notify
	mov $1, %eax
	mov $0xffff, %ecx
	mov $DEFLATE_Q, %edx
	call virtio_setup_queue
	mov %eax, deflate_notify
	mov common, %ebx
	movb $0xf, 0x14(%ebx)        /* DRIVER_OK */
	mov $9, %edi
	testb $0x40, 0x14(%ebx)
	jnz fail

	/* Touch every page of the pool. */
	mov $POOL_PFN << 12, %eax
	mov $POOL_PAGES, %ecx
1:	movl $0xa5a5a5a5, (%eax)
	add $4096, %eax
	dec %ecx
	jnz 1b
	mov $ready, %esi
	call puts

	/* Follow num_pages (device config offset 0) forever. */
follow:
	mov $2000, %ecx
2:	pause
	dec %ecx
	jnz 2b
	call devcfg
	mov (%ebx), %eax             /* num_pages */
	cmp $POOL_PAGES, %eax
	jbe 3f
	mov $POOL_PAGES, %eax        /* we can give at most the pool */
3:	mov actual, %edx
	cmp %edx, %eax
	je follow
	ja inflate
	/* Deflate: PFNs from the top of what we gave. */
	mov %edx, %ecx
	sub %eax, %ecx               /* pages to take back */
	cmp $BATCH, %ecx
	jbe 4f
	mov $BATCH, %ecx
4:	sub %ecx, actual
	mov actual, %eax
	add $POOL_PFN, %eax          /* first PFN to return */
	mov $DEFLATE_Q, %edx
	mov deflate_notify, %esi
	call send_pfns
	/* The pages are ours again: touch them. */
	mov actual, %eax
	add $POOL_PFN, %eax
	shl $12, %eax
5:	movl $0x5a5a5a5a, (%eax)
	add $4096, %eax
	dec %ecx
	jnz 5b
	jmp report
inflate:
	mov %eax, %ecx
	sub %edx, %ecx               /* pages to give */
	cmp $BATCH, %ecx
	jbe 6f
	mov $BATCH, %ecx
6:	mov %edx, %eax
	add $POOL_PFN, %eax
	add %ecx, actual
	mov $INFLATE_Q, %edx
	mov inflate_notify, %esi
	call send_pfns
report:
	call devcfg
	mov actual, %eax
	mov %eax, 4(%ebx)            /* actual */
	jmp follow

/* %ebx = device config address. */
devcfg:
	mov devcfg_addr, %ebx
	ret

/* Send %ecx PFNs from %eax on the queue at %edx (notify %esi); wait. */
send_pfns:
	push %ecx
	push %eax
	mov $PFNBUF, %edi
7:	mov %eax, (%edi)
	inc %eax
	add $4, %edi
	dec %ecx
	jnz 7b
	pop %eax
	pop %ecx
	/* One descriptor at the slot avail.idx points to. */
	movzwl 0x1002(%edx), %eax    /* avail.idx */
	mov %eax, %edi
	and $7, %edi
	shl $4, %edi
	movl $PFNBUF, (%edx, %edi)
	movl $0, 4(%edx, %edi)
	mov %ecx, %ebp
	shl $2, %ebp
	mov %ebp, 8(%edx, %edi)
	movl $0, 12(%edx, %edi)
	shr $4, %edi
	mov %eax, %ebp
	and $7, %ebp
	mov %di, 0x1004(%edx, %ebp, 2)   /* avail.ring[idx % 8] = slot */
	inc %eax
	mov %ax, 0x1002(%edx)        /* avail.idx++ */
	movw $0, (%esi)              /* kick */
8:	cmpw %ax, 0x2002(%edx)       /* used.idx caught up? */
	je 9f
	pause
	jmp 8b
9:	ret

fail:
	FAIL_WITH_STEP(failed)
halt:
	cli
	hlt
	jmp halt

DEFINE_PUTS
#include "virtio_lib.h"

	.balign 4
actual:	.long 0
inflate_notify: .long 0
deflate_notify: .long 0
ready:	.asciz "balloon guest: pool touched, following num_pages\n"
failed:	.asciz "balloon guest FAILED at step "
