/* The start-up benchmark guest: one line to the serial port, then leave.
 * QEMU leaves through isa-debug-exit (status 1 for code 0); without that
 * device the write is dropped and the i8042 reset ends the VMM (status 0). */
#include "common.h"
	PVH_NOTE(_start)
_start:
	mov $0x90000, %esp
	mov $msg, %esi
	call puts
	DEBUG_EXIT_WITH(0)
	I8042_RESET
1:	hlt
	jmp 1b

DEFINE_PUTS

msg:	.asciz "guest: hello, resetting\n"
