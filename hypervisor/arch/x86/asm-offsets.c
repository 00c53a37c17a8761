/* Struct offsets for assembly. Compiled to assembly only; SConstruct turns the "->SYM value"
 * markers into build/generated/asm-offsets.h (tools/gen.py). */
#include <stddef.h>
#include <x86/trap.h>

#define DEFINE(sym, val) asm volatile("\n.ascii \"->" #sym " %c0\"" : : "i"(val))
#define OFFSET(sym, type, member) DEFINE(sym, offsetof(type, member))

void asm_offsets(void);

void asm_offsets(void)
{
	OFFSET(TF_RAX, struct trap_frame, rax);
	OFFSET(TF_RBX, struct trap_frame, rbx);
	OFFSET(TF_RCX, struct trap_frame, rcx);
	OFFSET(TF_RDX, struct trap_frame, rdx);
	OFFSET(TF_RSI, struct trap_frame, rsi);
	OFFSET(TF_RDI, struct trap_frame, rdi);
	OFFSET(TF_RBP, struct trap_frame, rbp);
	OFFSET(TF_R8, struct trap_frame, r8);
	OFFSET(TF_R9, struct trap_frame, r9);
	OFFSET(TF_R10, struct trap_frame, r10);
	OFFSET(TF_R11, struct trap_frame, r11);
	OFFSET(TF_R12, struct trap_frame, r12);
	OFFSET(TF_R13, struct trap_frame, r13);
	OFFSET(TF_R14, struct trap_frame, r14);
	OFFSET(TF_R15, struct trap_frame, r15);
	OFFSET(TF_VECTOR, struct trap_frame, vector);
	OFFSET(TF_RIP, struct trap_frame, rip);
	DEFINE(TF_SIZE, sizeof(struct trap_frame));
}
