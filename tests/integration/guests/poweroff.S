/* Powers off as Linux does on a hardware-reduced ACPI platform: SLP_TYP
 * of \_S5 with SLP_EN into the FADT's sleep control register. */
#include "common.h"
	PVH_NOTE(_start)
_start:
	mov $0x90000, %esp
	mov $msg, %esi
	call puts
	mov $0x600, %dx           /* ACPI_SLEEP_PORT */
	mov $(5 << 2 | 1 << 5), %al
	out %al, %dx
	mov $after, %esi          /* -no-shutdown: never runs again */
	call puts
1:	hlt
	jmp 1b

DEFINE_PUTS

msg:	.asciz "guest: powering off\n"
after:	.asciz "guest: still running after power-off\n"
