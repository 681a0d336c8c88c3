/* Triple fault: an empty IDT turns the first exception into a shutdown. */
#include "common.h"
	PVH_NOTE(_start)
_start:
	mov $0x90000, %esp
	mov $msg, %esi
	call puts
	lidt idt_empty
	ud2
1:	jmp 1b

DEFINE_PUTS

	.balign 8
idt_empty:
	.word 0
	.long 0
msg:	.asciz "guest: about to triple fault\n"
