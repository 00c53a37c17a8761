/* Struct offsets for assembly. Compiled to assembly only; SConstruct turns the "->SYM value"
 * markers into build/generated/asm-offsets.h (tools/gen.py). */
#include <stddef.h>
#include <x86/percpu.h>
#include <x86/trap.h>
#include <x86/vcpu.h>

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

	OFFSET(GR_RAX, struct guest_regs, rax);
	OFFSET(GR_RCX, struct guest_regs, rcx);
	OFFSET(GR_RDX, struct guest_regs, rdx);
	OFFSET(GR_RBX, struct guest_regs, rbx);
	OFFSET(GR_RBP, struct guest_regs, rbp);
	OFFSET(GR_RSI, struct guest_regs, rsi);
	OFFSET(GR_RDI, struct guest_regs, rdi);
	OFFSET(GR_R8, struct guest_regs, r8);
	OFFSET(GR_R9, struct guest_regs, r9);
	OFFSET(GR_R10, struct guest_regs, r10);
	OFFSET(GR_R11, struct guest_regs, r11);
	OFFSET(GR_R12, struct guest_regs, r12);
	OFFSET(GR_R13, struct guest_regs, r13);
	OFFSET(GR_R14, struct guest_regs, r14);
	OFFSET(GR_R15, struct guest_regs, r15);
	OFFSET(PC_VCPU, struct percpu, vcpu);
	OFFSET(PC_EXIT_TSC, struct percpu, exit_tsc);
	OFFSET(VCPU_REQUESTS, struct vcpu, ev.requests);
	OFFSET(VCPU_REGS, struct vcpu, regs);
	OFFSET(VCPU_EXITS, struct vcpu, exits);
	OFFSET(VCPU_EXIT_REASON, struct vcpu, exit_reason);
	OFFSET(VCPU_EXIT_TICKS, struct vcpu, exit_ticks);
	OFFSET(VCPU_POLLS_CONSOLE, struct vcpu, ev.polls_console);
	DEFINE(FIELD_VM_EXIT_REASON, VMCS_VM_EXIT_REASON);
	DEFINE(EXIT_REASONS, EXIT_REASON_MAX + 1);
	/* Keep the exit frame a multiple of 16 so C is called with an aligned stack. */
}
