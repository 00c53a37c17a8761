/* Exception entry (arch/x86/traps.S -> trap.c) and the frame the stub builds. */
#ifndef X86_TRAP_H
#define X86_TRAP_H

#include <plinth/types.h>
#include <x86/processor.h>

/* The stub stores the general registers below the vector and error code; the CPU pushed
 * rip..ss. Offsets for the stub come from asm-offsets.c, never by hand. */
struct trap_frame {
	u64 rax, rbx, rcx, rdx, rsi, rdi, rbp;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 vector, error_code;
	u64 rip, cs, rflags, rsp, ss;
};

/* Entry points of the stubs, indexed by vector (traps.S). */
extern const u64 trap_stubs[X86_EXCEPTIONS];

void trap_handle(struct trap_frame *tf);

#endif
