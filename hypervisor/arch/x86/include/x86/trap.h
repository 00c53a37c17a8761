/* Exception entry (arch/x86/traps.S -> trap.c) and the frame the stub builds. */
#ifndef X86_TRAP_H
#define X86_TRAP_H

#include <plinth/types.h>

/* The stub stores the general registers below the vector and error code; the CPU pushed
 * rip..ss. Offsets for the stub come from asm-offsets.c, never by hand. */
struct trap_frame {
	u64 rax, rbx, rcx, rdx, rsi, rdi, rbp;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 vector, error_code;
	u64 rip, cs, rflags, rsp, ss;
};

#define TRAP_EXCEPTIONS 32
#define X86_EXC_DE 0
#define X86_EXC_NMI 2
#define X86_EXC_UD 6
#define X86_EXC_DF 8
#define X86_EXC_TS 10
#define X86_EXC_NP 11
#define X86_EXC_SS 12
#define X86_EXC_GP 13
#define X86_EXC_PF 14
#define X86_EXC_MC 18

/* Entry points of the stubs, indexed by vector (traps.S). */
extern const u64 trap_stubs[TRAP_EXCEPTIONS];

void trap_handle(struct trap_frame *tf);

#endif
