/*
 * The guest's MTRRs. With EPT, the memory type of a guest access comes from the EPT entry and
 * the guest's PAT, not from the MTRRs (SDM 29.3.7.2), so the guest's MTRR writes need not
 * reach the hardware, and must not: the MTRRs govern Plinth's own accesses, and a guest that
 * made Plinth's range write-combining there corrupted Plinth. Each vCPU keeps a copy, started
 * from the firmware's values, checked on write as the CPU checks (SDM Vol. 3A, 12.11). Guest
 * memory keeps the firmware's types through EPT (vm.c); the guest's changes to its copy do not
 * rebuild EPT (they are read back as written).
 */
#include <x86/cpu.h>
#include <x86/mtrr.h>
#include <x86/processor.h>
#include <x86/vmtrr.h>

#define FIX4K_COUNT 8

/* The copy's slot for msr: fixed ranges in the order of struct mtrr_state. */
static u64 *slot(struct vmtrr *m, u32 msr)
{
	if (msr == MSR_MTRRCAP)
		return &m->cap;
	if (msr == MSR_MTRR_DEF_TYPE)
		return &m->def_type;
	if (msr == MSR_MTRR_FIX64K_00000)
		return &m->fixed[0];
	if (msr == MSR_MTRR_FIX16K_80000 || msr == MSR_MTRR_FIX16K_A0000)
		return &m->fixed[1 + msr - MSR_MTRR_FIX16K_80000];
	if (msr >= MSR_MTRR_FIX4K_C0000 && msr < MSR_MTRR_FIX4K_C0000 + FIX4K_COUNT)
		return &m->fixed[3 + msr - MSR_MTRR_FIX4K_C0000];
	return &m->var[msr - MSR_MTRR_PHYSBASE0];
}

bool vmtrr_is_mtrr(u32 msr)
{
	return msr == MSR_MTRRCAP || msr == MSR_MTRR_DEF_TYPE ||
	       (msr >= MSR_MTRR_PHYSBASE0 && msr < MSR_MTRR_PHYSBASE0 + 2 * MTRR_VAR_MAX) ||
	       msr == MSR_MTRR_FIX64K_00000 || msr == MSR_MTRR_FIX16K_80000 || msr == MSR_MTRR_FIX16K_A0000 ||
	       (msr >= MSR_MTRR_FIX4K_C0000 && msr < MSR_MTRR_FIX4K_C0000 + FIX4K_COUNT);
}

void vmtrr_for_each_msr(void (*fn)(u8 *bitmap, u32 msr), u8 *bitmap)
{
	u32 msr;

	for (msr = MSR_MTRR_PHYSBASE0; msr < MSR_MTRR_PHYSBASE0 + 2 * MTRR_VAR_MAX; msr++)
		fn(bitmap, msr);
	for (msr = MSR_MTRR_FIX4K_C0000; msr < MSR_MTRR_FIX4K_C0000 + FIX4K_COUNT; msr++)
		fn(bitmap, msr);
	fn(bitmap, MSR_MTRRCAP);
	fn(bitmap, MSR_MTRR_DEF_TYPE);
	fn(bitmap, MSR_MTRR_FIX64K_00000);
	fn(bitmap, MSR_MTRR_FIX16K_80000);
	fn(bitmap, MSR_MTRR_FIX16K_A0000);
}

void vmtrr_init(struct vcpu *v)
{
	struct vmtrr *m = &v->mtrr;
	u32 a, b, c, d, msr;

	cpuid(1, 0, &a, &b, &c, &d);
	if (!(d & CPUID_1_EDX_MTRR))
		return; /* no MTRRs: every MTRR MSR is a #GP (cap stays 0) */
	m->cap = rdmsr(MSR_MTRRCAP);
	for (msr = MSR_MTRRCAP; msr <= MSR_MTRR_DEF_TYPE; msr++)
		if (msr != MSR_MTRRCAP && mtrr_msr_exists(msr, m->cap))
			*slot(m, msr) = rdmsr(msr);
}

bool vmtrr_read(struct vcpu *v, u32 msr, u64 *value)
{
	if (!v->mtrr.cap || !mtrr_msr_exists(msr, v->mtrr.cap))
		return false;
	*value = *slot(&v->mtrr, msr);
	return true;
}

bool vmtrr_write(struct vcpu *v, u32 msr, u64 value)
{
	if (!v->mtrr.cap || !mtrr_write_valid(msr, value, v->mtrr.cap, (u8)cpu_phys_bits()))
		return false;
	*slot(&v->mtrr, msr) = value;
	return true;
}
