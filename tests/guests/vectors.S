/*
 * Exception entry stubs for vectors 0-31 and the device interrupt vector TRAP_IRQ_VECTOR: push a dummy error code where the CPU pushes none,
 * push the vector, save the general registers as a struct trap_frame (trap.h) and call
 * trap_handler(frame). trap_handler may change frame->rip (to resume after a guarded
 * instruction, guarded.h); iretq returns there.
 *
 * Stack alignment: the CPU aligns RSP to 16 bytes before pushing its 5 words (SDM Vol. 3A,
 * 7.14.2), so with the error code, the vector and 15 registers (22 words) RSP is 16-byte
 * aligned again at the call, as the ABI wants.
 */
#include "guest_layout.h"

/* Vectors for which the CPU pushes an error code (SDM Vol. 3A, table 7-1). */
#define HAS_ERROR_CODE(n) ((n) == 8 || ((n) >= 10 && (n) <= 14) || (n) == 17 || (n) == 21 || \
			   (n) == 29 || (n) == 30)

	.text
	.code64

	.altmacro
	.macro vector n
	.balign 16
vector_\n:
	.if HAS_ERROR_CODE(\n) == 0
	push $0
	.endif
	push $\n
	jmp trap_common
	.endm

	.set n, 0
	.rept 32
	vector %n
	.set n, n + 1
	.endr

/* The device interrupt vector: no error code either. */
	.balign 16
	.global trap_irq_stub
trap_irq_stub:
	push $0
	push $TRAP_IRQ_VECTOR
	jmp trap_common

trap_common:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	cld
	mov %rsp, %rdi
	call trap_handler
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp                   /* vector and error code */
	iretq

/* The stubs' addresses, for trap.c to build the IDT from. */
	.macro vector_addr n
	.quad vector_\n
	.endm

	.section .rodata
	.balign 8
	.global trap_vectors
trap_vectors:
	.set n, 0
	.rept 32
	vector_addr %n
	.set n, n + 1
	.endr
