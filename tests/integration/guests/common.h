/* Shared pieces of the tiny test guests (GNU as, 32-bit PVH entry). */
#define COM1        0x3f8
#define DEBUG_EXIT  0xf4

/* PVH entry note: the VMM starts us in 32-bit protected mode here. */
#define PVH_NOTE(entry)                         \
	.pushsection .note.Xen, "a";            \
	.balign 4;                              \
	.long 4, 4, 18;                         \
	.asciz "Xen";                           \
	.long entry;                            \
	.popsection

	.code32
	.text
	.globl _start

/* putc: %al to COM1, polled. Clobbers %edx. */
#define DEFINE_PUTS                                  \
putc:	push %eax;                                   \
1:	mov $COM1 + 5, %dx;                          \
	in %dx, %al;                                 \
	test $0x20, %al;                             \
	jz 1b;                                       \
	pop %eax;                                    \
	mov $COM1, %dx;                              \
	out %al, %dx;                                \
	ret;                                         \
/* puts: NUL-terminated string at %esi. */         \
puts:	lodsb;                                       \
	test %al, %al;                               \
	jz 2f;                                       \
	call putc;                                   \
	jmp puts;                                    \
2:	ret

/* Exit through isa-debug-exit with status (code << 1) | 1. */
#define DEBUG_EXIT_WITH(code)                        \
	mov $(code), %al;                            \
	mov $DEBUG_EXIT, %dx;                        \
	out %al, %dx

/* Reset through the i8042. */
#define I8042_RESET                                  \
	mov $0xfe, %al;                              \
	out %al, $0x64

/* Print @msg and the step number in %edi, leave with code 0x11. */
#define FAIL_WITH_STEP(msg)                          \
	mov $msg, %esi;                              \
	call puts;                                   \
	mov %edi, %eax;                              \
	add $'0', %al;                               \
	call putc;                                   \
	mov $'\n', %al;                              \
	call putc;                                   \
	DEBUG_EXIT_WITH(0x11)

/*
 * Point IDT entry @vec (IDT at @idt, 256 entries, loaded from idtr) at
 * @handler with gate @type (0x8e00 interrupt, 0x8f00 trap), ring 0, code
 * selector 0x10 as the VMM's PVH GDT has it; then load the IDT.
 * Clobbers %eax and %edi. The guest defines idtr.
 */
#define IDT_GATE(idt, vec, handler, type)            \
	mov $handler, %eax;                          \
	mov $(idt) + (vec) * 8, %edi;                \
	mov %ax, (%edi);                             \
	movw $0x10, 2(%edi);                         \
	movw $(type), 4(%edi);                       \
	shr $16, %eax;                               \
	mov %ax, 6(%edi);                            \
	lidt idtr
