/* Guarded instructions; see guarded.h for the mechanism. */
#include "guarded.h"

struct guard_entry {
	u64 insn, resume;
};

/* guest.ld collects the entries between these. */
extern const struct guard_entry __guard_table_start[], __guard_table_end[];

/* Written by the exception handler behind the compiler's back, hence volatile. */
static volatile struct fault last;

void guard_arm(void)
{
	last.vector = FAULT_NONE;
	last.error_code = 0;
	last.rflags = 0;
}

struct fault guard_result(void)
{
	return (struct fault){ .vector = last.vector, .error_code = last.error_code, .rflags = last.rflags };
}



u64 guard_resume_address(u64 rip)
{
	for (const struct guard_entry *e = __guard_table_start; e < __guard_table_end; e++)
		if (e->insn == rip)
			return e->resume;
	return 0;
}

void guard_record(u64 vector, u64 error_code, u64 rflags)
{
	last.vector = (int)vector;
	last.error_code = error_code;
	last.rflags = rflags;
}

struct fault safe_rdmsr(u32 msr, u64 *value)
{
	u32 lo = 0, hi = 0;

	guard_arm();
	asm volatile(GUARDED("rdmsr") : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
	*value = ((u64)hi << 32) | lo;
	return guard_result();
}

struct fault safe_wrmsr(u32 msr, u64 value)
{
	guard_arm();
	asm volatile(GUARDED("wrmsr")
		     : : "c"(msr), "a"((u32)value), "d"((u32)(value >> 32)) : "memory");
	return guard_result();
}

struct fault safe_write_cr4(u64 value)
{
	guard_arm();
	asm volatile(GUARDED("mov %0, %%cr4") : : "r"(value) : "memory");
	return guard_result();
}

struct fault safe_write_cr0(u64 value)
{
	guard_arm();
	asm volatile(GUARDED("mov %0, %%cr0") : : "r"(value) : "memory");
	return guard_result();
}

struct fault safe_xsetbv(u32 xcr, u64 value)
{
	guard_arm();
	asm volatile(GUARDED("xsetbv")
		     : : "c"(xcr), "a"((u32)value), "d"((u32)(value >> 32)) : "memory");
	return guard_result();
}

struct fault safe_xgetbv(u32 xcr, u64 *value)
{
	u32 lo = 0, hi = 0;

	guard_arm();
	asm volatile(GUARDED("xgetbv") : "+a"(lo), "+d"(hi) : "c"(xcr) : "memory");
	*value = ((u64)hi << 32) | lo;
	return guard_result();
}

struct fault safe_vmcall(u64 number, u64 arg1, u64 arg2, u64 arg3, s64 *ret)
{
	u64 rax = number;

	guard_arm();
	asm volatile(GUARDED("vmcall") : "+a"(rax) : "b"(arg1), "c"(arg2), "d"(arg3) : "memory");
	struct fault f = guard_result();
	*ret = f.vector == FAULT_NONE ? (s64)rax : 0;
	return f;
}

struct fault safe_vmxon(u64 region_pa)
{
	guard_arm();
	asm volatile(GUARDED("vmxon %0") : : "m"(region_pa) : "memory", "cc");
	return guard_result();
}

struct fault safe_vmread(u64 field, u64 *value)
{
	u64 v = 0;

	guard_arm();
	asm volatile(GUARDED("vmread %1, %0") : "+r"(v) : "r"(field) : "memory", "cc");
	*value = v;
	return guard_result();
}

struct fault safe_vmptrst(u64 *vmcs_pa)
{
	guard_arm();
	asm volatile(GUARDED("vmptrst %0") : "=m"(*vmcs_pa) : : "memory");
	struct fault f = guard_result();
	if (f.vector != FAULT_NONE)
		*vmcs_pa = 0;
	return f;
}
