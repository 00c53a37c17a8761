/* Exception entry stubs: push a uniform vector/error-code pair, save the general registers
 * into a struct trap_frame and call trap_handle() in C. */
#include "asm-offsets.h"
#include <x86/processor.h>

	.text
	.code64

/* Vectors where the CPU pushes an error code (SDM Vol. 3A, 6.13). */
#define HAS_ERROR_CODE(v) ((v) == X86_EXC_DF || ((v) >= X86_EXC_TS && (v) <= X86_EXC_PF) || (v) == X86_EXC_AC || \
			   (v) == X86_EXC_CP || (v) == X86_EXC_VC || (v) == X86_EXC_SX)

	.altmacro
.macro trap_stub vec
	.balign 16
trap_stub_\vec:
	.if !HAS_ERROR_CODE(\vec)
	pushq $0
	.endif
	pushq $\vec
	jmp trap_common
.endm

.set vec, 0
.rept X86_EXCEPTIONS
	trap_stub %vec
	.set vec, vec + 1
.endr

trap_common:
	sub $TF_VECTOR, %rsp
	mov %rax, TF_RAX(%rsp)
	mov %rbx, TF_RBX(%rsp)
	mov %rcx, TF_RCX(%rsp)
	mov %rdx, TF_RDX(%rsp)
	mov %rsi, TF_RSI(%rsp)
	mov %rdi, TF_RDI(%rsp)
	mov %rbp, TF_RBP(%rsp)
	mov %r8, TF_R8(%rsp)
	mov %r9, TF_R9(%rsp)
	mov %r10, TF_R10(%rsp)
	mov %r11, TF_R11(%rsp)
	mov %r12, TF_R12(%rsp)
	mov %r13, TF_R13(%rsp)
	mov %r14, TF_R14(%rsp)
	mov %r15, TF_R15(%rsp)
	mov %rsp, %rdi
	cld
	call trap_handle
	mov TF_RAX(%rsp), %rax
	mov TF_RBX(%rsp), %rbx
	mov TF_RCX(%rsp), %rcx
	mov TF_RDX(%rsp), %rdx
	mov TF_RSI(%rsp), %rsi
	mov TF_RDI(%rsp), %rdi
	mov TF_RBP(%rsp), %rbp
	mov TF_R8(%rsp), %r8
	mov TF_R9(%rsp), %r9
	mov TF_R10(%rsp), %r10
	mov TF_R11(%rsp), %r11
	mov TF_R12(%rsp), %r12
	mov TF_R13(%rsp), %r13
	mov TF_R14(%rsp), %r14
	mov TF_R15(%rsp), %r15
	add $TF_RIP, %rsp
	iretq

	.section .rodata
	.balign 8
	.global trap_stubs
trap_stubs:
.macro trap_stub_addr vec
	.quad trap_stub_\vec
.endm
.set vec, 0
.rept X86_EXCEPTIONS
	trap_stub_addr %vec
	.set vec, vec + 1
.endr
