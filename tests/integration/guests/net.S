/*
 * A tiny virtio-net driver against a real tap in the test's network
 * namespace: posts four receive buffers, sends a TX chain shorter than
 * the virtio-net header (the device must drop it and live on), then an
 * ICMP echo request from 10.77.0.2 to the host end 10.77.0.1, and waits
 * for the kernel's echo reply to land in a receive buffer. Checks the
 * MAC in the config space and the link status. Completions are polled.
 * With "-append hold" it then waits for the link to go down (the test
 * deletes the tap) and reports that. isa-debug-exit 0x10 on success.
 */
#include "common.h"
	PVH_NOTE(_start)

#define RXQ     0x40000              /* desc, avail +0x1000, used +0x2000 */
#define TXQ     0x44000
#define RXBUF   0x60000              /* 4 x 2 KiB */
#define TXBUF   0x58000

_start:
	mov $0x90000, %esp
	mov 24(%ebx), %eax
	cmpb $'h', (%eax)
	sete hold
	movl $0x10411af4, want_id
	call virtio_probe
	jc fail
	call virtio_negotiate        /* VERSION_1 only: 12-byte headers */
	jc fail
	mov devcfg_addr, %ebx
	mov $30, %edi
	cmpl $0x12005452, (%ebx)     /* 52:54:00:12 ... */
	jne fail
	cmpw $0x5634, 4(%ebx)        /* ... 34:56 */
	jne fail
	mov $31, %edi
	testb $1, 6(%ebx)            /* VIRTIO_NET_S_LINK_UP */
	jz fail

	xor %eax, %eax               /* RX queue 0 */
	mov $0xffff, %ecx
	mov $RXQ, %edx
	call virtio_setup_queue
	mov %eax, rxnotify
	mov $1, %eax                 /* TX queue 1 */
	mov $0xffff, %ecx
	mov $TXQ, %edx
	call virtio_setup_queue
	mov %eax, txnotify
	mov common, %ebx
	movb $0xf, 0x14(%ebx)

	/* Four 2 KiB receive buffers, descriptors 0..3, all made available. */
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $4, %eax
	mov %ecx, %edx
	shl $11, %edx
	add $RXBUF, %edx
	mov %edx, RXQ(%eax)
	movl $0, RXQ + 4(%eax)
	movl $2048, RXQ + 8(%eax)
	movl $2, RXQ + 12(%eax)      /* WRITE */
	movw %cx, RXQ + 0x1004(, %ecx, 2)
	inc %ecx
	cmp $4, %ecx
	jne 1b
	movw $4, RXQ + 0x1002
	mov rxnotify, %edx
	movw $0, (%edx)

	/* 1. A TX chain of 8 bytes: shorter than the header, dropped. */
	movl $TXBUF, TXQ
	movl $0, TXQ + 4
	movl $8, TXQ + 8
	movl $0, TXQ + 12
	call tx_submit
	mov common, %ebx
	mov $32, %edi
	testb $0x40, 0x14(%ebx)      /* not NEEDS_RESET */
	jnz fail

	/* 2. The echo request: zero header + the frame below. */
	mov $TXBUF, %edi
	xor %eax, %eax
	mov $3, %ecx
	rep stosl
	mov $frame, %esi
	mov $(frame_end - frame), %ecx
	rep movsb
	movl $(12 + frame_end - frame), TXQ + 8
	call tx_submit

	/* 3. Wait for the echo reply (the kernel may send other frames
	 * first, e.g. IPv6 router solicitations: look at each). */
	xor %ebp, %ebp               /* used entries seen */
	mov $400000000, %esi         /* spin limit */
2:	dec %esi
	mov $33, %edi
	jz fail
	movzwl RXQ + 0x2002, %eax
	cmp %eax, %ebp
	je 2b
	mov %ebp, %ecx
	and $7, %ecx
	mov RXQ + 0x2004(, %ecx, 8), %edx     /* id: the buffer */
	shl $11, %edx
	add $RXBUF, %edx
	inc %ebp
	mov $34, %edi
	cmpw $1, 10(%edx)            /* num_buffers */
	jne fail
	cmpw $0x0008, 12 + 12(%edx)  /* IPv4 */
	jne 3f
	cmpb $1, 12 + 14 + 9(%edx)   /* ICMP */
	jne 3f
	cmpb $0, 12 + 14 + 20(%edx)  /* echo reply */
	jne 3f
	cmpl $0x12005452, 12(%edx)   /* to our MAC */
	jne 3f
	jmp got_reply
3:	cmp $4, %ebp
	jb 2b
	mov $35, %edi                /* four frames, none the reply */
	jmp fail

got_reply:
	mov $ok, %esi
	call puts
	cmpb $0, hold
	je 5f
	/* Wait until the link goes down. */
	mov devcfg_addr, %ebx
4:	testb $1, 6(%ebx)
	jz 6f
	pause
	jmp 4b
6:	mov $down, %esi
	call puts
5:	DEBUG_EXIT_WITH(0x10)
halt:
	cli
	hlt
	jmp halt
fail:
	FAIL_WITH_STEP(failed)
	jmp halt

/* Offer TX descriptor 0, kick, wait until it is used. */
tx_submit:
	mov $TXQ, %ebx
	mov txnotify, %edx
	mov $1, %ecx
	jmp virtq_submit0

DEFINE_PUTS
#include "virtio_lib.h"

	.balign 4
rxnotify: .long 0
txnotify: .long 0
hold:	.byte 0
/* Ethernet 52:54:00:12:34:56 -> 02:00:00:00:00:01, IPv4 10.77.0.2 ->
 * 10.77.0.1, ICMP echo request id 0x1234 seq 1, 56 bytes 00..37
 * (checksums computed when this file was written). */
frame:
	.byte 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56
	.byte 0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0x00, 0x01, 0x00, 0x00, 0x40, 0x01
	.byte 0x66, 0x0c, 0x0a, 0x4d, 0x00, 0x02, 0x0a, 0x4d, 0x00, 0x01, 0x08, 0x00
	.byte 0xee, 0xb7, 0x12, 0x34, 0x00, 0x01, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05
	.byte 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11
	.byte 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d
	.byte 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29
	.byte 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35
	.byte 0x36, 0x37
frame_end:
ok:	.asciz "net ok: short TX chain dropped, echo reply received\n"
down:	.asciz "net link down seen\n"
failed:	.asciz "net guest FAILED at step "
