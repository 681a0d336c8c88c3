/* Console input: echo every byte received on COM1 upper-cased, until 'q'.
 * Proves host input reaches the UART's receive FIFO and the guest. */
#include "common.h"
	PVH_NOTE(_start)
_start:
	mov $0x90000, %esp
	mov $ready, %esi
	call puts
loop:
	mov $COM1 + 5, %dx
	in %dx, %al
	test $0x01, %al           /* data ready */
	jz loop
	mov $COM1, %dx
	in %dx, %al
	cmp $'a', %al
	jb 1f
	cmp $'z', %al
	ja 1f
	sub $0x20, %al
1:	call putc
	cmp $'Q', %al
	jne loop
	mov $'\n', %al
	call putc
	I8042_RESET
2:	hlt
	jmp 2b

DEFINE_PUTS

ready:	.asciz "echo ready\n"
