/*
 * Guarded instructions: ones a check expects may raise an exception.
 *
 * Each wrapper puts its instruction's address and the address just after it into the
 * .guard_table section. When an exception hits a guarded instruction, trap_handler() records
 * the vector and error code and resumes after the instruction, as if it had completed; the
 * wrapper returns what was recorded. The check then compares that with what it expected, so
 * a wrong exception (say #UD where #GP(0) was expected) becomes a readable failure instead of
 * a crash. An exception anywhere else is unexpected: trap.c reports it and stops the guest.
 *
 * One CPU at a time: the record is global, and only the boot CPU uses these wrappers.
 */
#ifndef GUEST_GUARDED_H
#define GUEST_GUARDED_H

#include <plinth/types.h>

#define FAULT_NONE (-1)

/* What a guarded instruction raised: vector FAULT_NONE when it completed normally; and the
 * RFLAGS image the exception pushed (0 without one). */
struct fault {
	int vector;
	u64 error_code;
	u64 rflags;
};

/*
 * Emits insn with a .guard_table entry {insn, the address after it}. Labels 661/662 are local
 * to this expansion (the nearest 661b/662b are always our own). For wrappers in other files:
 * guard_arm() before, guard_result() after.
 */
#define GUARDED(insn)                                             \
	"661:\n\t" insn "\n662:\n\t"                              \
	".pushsection .guard_table, \"a\"\n\t"                    \
	".balign 8\n\t.quad 661b, 662b\n\t.popsection\n\t"

void guard_arm(void);
struct fault guard_result(void);

/* Outputs (*value, *ret) are 0 when the instruction faulted. */
struct fault safe_rdmsr(u32 msr, u64 *value);
struct fault safe_wrmsr(u32 msr, u64 value);
struct fault safe_write_cr4(u64 value);
struct fault safe_write_cr0(u64 value);
struct fault safe_xsetbv(u32 xcr, u64 value);
struct fault safe_xgetbv(u32 xcr, u64 *value);
/* Plinth's hypercall ABI (tools/hvabi.py): RAX = number, RBX/RCX/RDX = arguments, RAX = result. */
struct fault safe_vmcall(u64 number, u64 arg1, u64 arg2, u64 arg3, s64 *ret);
struct fault safe_vmxon(u64 region_pa);
struct fault safe_vmread(u64 field, u64 *value);
struct fault safe_vmptrst(u64 *vmcs_pa);

/* For trap_handler(): where to resume after a guarded instruction at rip, or 0 if rip is not
 * guarded; and recording the exception for the wrapper to return. */
u64 guard_resume_address(u64 rip);
void guard_record(u64 vector, u64 error_code, u64 rflags);

#endif
