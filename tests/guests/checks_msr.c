/*
 * msr: the MSRs that would expose or break VMX look like a CPU without VMX (locked
 * IA32_FEATURE_CONTROL with VMX disabled, no VMX capability MSRs), while ordinary MSRs work.
 * On such a CPU WRMSR to a locked IA32_FEATURE_CONTROL and RDMSR of an absent MSR raise
 * #GP(0) (SDM Vol. 4, table 2-2; Vol. 2B, RDMSR/WRMSR).
 */
#include "checks.h"
#include "x86.h"

/* Canonical, and unlike anything a loader leaves there. */
#define KERNEL_GS_BASE_PATTERN 0xffff8000deadb000ull

void check_msr(void)
{
	struct fault f;
	u64 value, saved;

	f = safe_rdmsr(MSR_IA32_FEATURE_CONTROL, &value);
	if (check_expect_no_fault(f, "RDMSR IA32_FEATURE_CONTROL")) {
		check_expect(value & FEATURE_CONTROL_LOCK, "IA32_FEATURE_CONTROL 0x%lx is not locked",
			     value);
		check_expect(!(value & (FEATURE_CONTROL_VMX_IN_SMX | FEATURE_CONTROL_VMX_OUTSIDE_SMX)),
			     "IA32_FEATURE_CONTROL 0x%lx enables VMX", value);
	}
	f = safe_wrmsr(MSR_IA32_FEATURE_CONTROL, value);
	check_expect_fault(f, X86_GP, 0, "WRMSR IA32_FEATURE_CONTROL");

	f = safe_rdmsr(MSR_IA32_VMX_BASIC, &value);
	check_expect_fault(f, X86_GP, 0, "RDMSR IA32_VMX_BASIC");

	f = safe_rdmsr(MSR_EFER, &value);
	if (check_expect_no_fault(f, "RDMSR IA32_EFER"))
		check_expect((value & (EFER_LME | EFER_LMA)) == (EFER_LME | EFER_LMA),
			     "IA32_EFER 0x%lx lacks LME or LMA in long mode", value);

	f = safe_rdmsr(MSR_KERNEL_GS_BASE, &saved);
	if (!check_expect_no_fault(f, "RDMSR IA32_KERNEL_GS_BASE"))
		return;
	f = safe_wrmsr(MSR_KERNEL_GS_BASE, KERNEL_GS_BASE_PATTERN);
	if (check_expect_no_fault(f, "WRMSR IA32_KERNEL_GS_BASE")) {
		f = safe_rdmsr(MSR_KERNEL_GS_BASE, &value);
		if (check_expect_no_fault(f, "RDMSR IA32_KERNEL_GS_BASE"))
			check_expect(value == KERNEL_GS_BASE_PATTERN,
				     "IA32_KERNEL_GS_BASE reads 0x%lx after writing 0x%llx", value,
				     KERNEL_GS_BASE_PATTERN);
	}
	safe_wrmsr(MSR_KERNEL_GS_BASE, saved);
}
