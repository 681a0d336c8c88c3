/*
 * A tiny virtio-blk driver: writes sector 1, flushes, reads it back and
 * compares, asks for the serial, and sends requests the device must
 * refuse (a read past the end, a short header). Completions are polled.
 * isa-debug-exit 0x10 on success, 0x11 (and the step) on failure.
 * -append selects a variant:
 *   ro           the drive is read-only: the write must fail instead
 *   ro-noserial  also skip the serial check (a drive without serial=)
 *   mq           use the last of the device's queues (num-queues >= 2)
 *   4k           4 KiB logical blocks: a 512-byte write is refused, the
 *                round trip uses 4 KiB at sector 8
 *   hold         after the flush print "blk flushed" and stay up (the
 *                durability test kills the VMM there)
 *   full         write 64 KiB blocks until the host's disk is full: the
 *                failing write gets IOERR, and reads still work
 */
#include "common.h"
	PVH_NOTE(_start)

#define Q       0x40000              /* desc, avail +0x1000, used +0x2000 */
#define HDR     0x50000
#define DATA    0x51000
#define RBUF    0x52000
#define IDBUF   0x53000
#define STATUS  0x54000
#define FULLBUF 0x60000              /* 64 KiB */

_start:
	mov $0x90000, %esp
	mov 24(%ebx), %eax           /* cmdline: "ro" for a read-only drive */
	cmpb $'r', (%eax)
	sete ro_mode
	cmpb $'-', 2(%eax)           /* "ro-noserial" */
	sete no_serial
	mov (%eax), %cl
	mov %cl, mode
	movl $0x10421af4, want_id
	call virtio_probe
	jc fail
	call virtio_negotiate
	jc fail
	xor %eax, %eax
	cmpb $'m', mode
	jne 1f
	mov devcfg_addr, %ebx
	movzwl 34(%ebx), %eax        /* num_queues */
	mov $23, %edi
	cmp $2, %eax
	jb fail
	dec %eax                     /* the last queue */
1:	mov $0xffff, %ecx            /* no interrupt: polled */
	mov $Q, %edx
	call virtio_setup_queue
	mov %eax, qnotify
	mov common, %ebx
	movb $0xf, 0x14(%ebx)
	mov devcfg_addr, %ebx
	mov (%ebx), %eax             /* capacity, low 32 bits */
	mov %eax, capacity
	mov $10, %edi
	test %eax, %eax
	jz fail

	cmpb $'f', mode
	je fill_disk

	/* Fill the write buffer with a pattern (4 KiB). */
	mov $DATA, %edi
	mov $1024, %ecx
	mov $0xa55a0001, %eax
1:	mov %eax, (%edi)
	add $4, %edi
	inc %eax
	dec %ecx
	jnz 1b

	cmpb $'4', mode
	jne 2f
	/* 4 KiB blocks: the config says so, and 512 bytes at 1 is refused. */
	mov devcfg_addr, %ebx
	mov $21, %edi
	cmpl $4096, 20(%ebx)         /* blk_size */
	jne fail
	movl $1, HDR
	movl $0, HDR + 4
	movl $1, HDR + 8
	movl $0, HDR + 12
	mov $HDR, %eax
	mov $16, %ebx
	mov $DATA, %ecx
	mov $512, %edx
	mov $0, %esi
	call request3
	mov $22, %edi
	cmpb $1, STATUS
	jne fail
	movl $8, wsector
	movl $4096, wlen
2:
	/* 1. OUT wsector: hdr, data (readable), status. */
	movl $1, HDR                 /* VIRTIO_BLK_T_OUT */
	movl $0, HDR + 4
	mov wsector, %eax
	mov %eax, HDR + 8
	movl $0, HDR + 12
	mov $HDR, %eax
	mov $16, %ebx
	mov $DATA, %ecx
	mov wlen, %edx
	mov $0, %esi                 /* data readable */
	call request3
	mov $11, %edi
	cmpb $0, ro_mode
	jne ro_check
	cmpb $0, STATUS
	jne fail

	/* 2. FLUSH: hdr, status. */
	movl $4, HDR
	movl $0, HDR + 8
	mov $HDR, %eax
	mov $16, %ebx
	call request2
	mov $12, %edi
	cmpb $0, STATUS
	jne fail
	cmpb $'h', mode
	jne read_back
	mov $flushed, %esi
	call puts
	jmp halt
ro_check:
	cmpb $1, STATUS              /* IOERR: the drive is read-only */
	jne fail

read_back:
	/* 3. IN wsector into RBUF (writable). */
	movl $0, HDR
	mov wsector, %eax
	mov %eax, HDR + 8
	mov $HDR, %eax
	mov $16, %ebx
	mov $RBUF, %ecx
	mov wlen, %edx
	mov $2, %esi                 /* data writable */
	call request3
	mov $13, %edi
	cmpb $0, STATUS
	jne fail
	cmpb $0, ro_mode
	jne 3f
	mov $DATA, %esi
	mov $RBUF, %edi
	mov wlen, %ecx
	shr $2, %ecx
	repe cmpsl
	mov $14, %edi
	jne fail
3:
	/* 4. GET_ID into IDBUF (20 bytes). */
	movl $8, HDR
	movl $0, HDR + 8
	mov $HDR, %eax
	mov $16, %ebx
	mov $IDBUF, %ecx
	mov $20, %edx
	mov $2, %esi
	call request3
	mov $15, %edi
	cmpb $0, STATUS
	jne fail
	cmpb $0, no_serial
	jne 4f
	mov $IDBUF, %esi
	mov $serial, %edi
	mov $8, %ecx
	repe cmpsb
	mov $16, %edi
	jne fail
4:
	/* 5. IN at sector == capacity: past the end, IOERR. */
	movl $0, HDR
	mov capacity, %eax
	mov %eax, HDR + 8
	mov $HDR, %eax
	mov $16, %ebx
	mov $RBUF, %ecx
	mov $512, %edx
	mov $2, %esi
	call request3
	mov $17, %edi
	cmpb $1, STATUS
	jne fail

	/* 6. A header of 8 bytes: IOERR, and the device lives on. */
	mov $HDR, %eax
	mov $8, %ebx
	call request2
	mov $18, %edi
	cmpb $1, STATUS
	jne fail
	mov common, %ebx
	mov $19, %edi
	testb $0x40, 0x14(%ebx)      /* not NEEDS_RESET */
	jnz fail

	mov $ok, %esi
	call puts
	DEBUG_EXIT_WITH(0x10)
halt:
	cli
	hlt
	jmp halt
fail:
	FAIL_WITH_STEP(failed)
	jmp halt

/* "full": 64 KiB writes from sector 0 on until one fails. */
fill_disk:
	xor %ebp, %ebp               /* sector */
1:	mov $20, %edi
	cmp capacity, %ebp
	jae fail                     /* the whole disk fitted: no full test */
	movl $1, HDR
	movl $0, HDR + 4
	mov %ebp, HDR + 8
	mov $HDR, %eax
	mov $16, %ebx
	mov $FULLBUF, %ecx
	mov $0x10000, %edx
	mov $0, %esi
	call request3
	add $128, %ebp
	cmpb $0, STATUS
	je 1b
	mov $24, %edi
	cmpb $1, STATUS              /* IOERR, nothing else */
	jne fail
	mov common, %ebx
	mov $25, %edi
	testb $0x40, 0x14(%ebx)      /* not NEEDS_RESET */
	jnz fail
	movl $0, HDR                 /* and sector 0 still reads */
	movl $0, HDR + 8
	mov $HDR, %eax
	mov $16, %ebx
	mov $RBUF, %ecx
	mov $512, %edx
	mov $2, %esi
	call request3
	mov $26, %edi
	cmpb $0, STATUS
	jne fail
	mov $fullok, %esi
	call puts
	DEBUG_EXIT_WITH(0x10)
	jmp halt

/* request2: hdr (%eax, %ebx bytes) + status. */
request2:
	movb $0xff, STATUS
	mov %eax, Q
	movl $0, Q + 4
	mov %ebx, Q + 8
	movl $0x00010001, Q + 12     /* flags NEXT, next = 1 */
	movl $STATUS, Q + 16
	movl $0, Q + 20
	movl $1, Q + 24
	movl $2, Q + 28              /* flags WRITE, next 0 */
	jmp submit

/* request3: hdr (%eax, %ebx) + data (%ecx, %edx, flags %esi) + status. */
request3:
	movb $0xff, STATUS
	mov %eax, Q
	movl $0, Q + 4
	mov %ebx, Q + 8
	movl $0x00010001, Q + 12     /* NEXT, next = 1 */
	mov %ecx, Q + 16
	movl $0, Q + 20
	mov %edx, Q + 24
	or $1, %esi                  /* NEXT (+ WRITE if asked) */
	mov %esi, %eax
	or $0x00020000, %eax         /* next = 2 */
	mov %eax, Q + 28
	movl $STATUS, Q + 32
	movl $0, Q + 36
	movl $1, Q + 40
	movl $2, Q + 44              /* WRITE */
	/* fall through */
/* submit head 0, kick, wait until it is used. */
submit:
	mov $Q, %ebx
	mov qnotify, %edx
	xor %ecx, %ecx
	jmp virtq_submit0

DEFINE_PUTS
#include "virtio_lib.h"

	.balign 4
qnotify: .long 0
capacity: .long 0
wsector: .long 1
wlen:	.long 512
ro_mode: .byte 0
no_serial: .byte 0
mode:	.byte 0
serial:	.ascii "vmm-ser1"
ok:	.asciz "blk ok: write, flush, read back, serial, refusals\n"
flushed: .asciz "blk flushed\n"
fullok:	.asciz "blk full ok: the write past the host's space got IOERR, reads go on\n"
failed:	.asciz "blk guest FAILED at step "
