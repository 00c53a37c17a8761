/* Reading this CPU's MTRR MSRs (SDM Vol. 3A, 12.11.1-12.11.3). */
#include <plinth/arch.h>
#include <x86/cpu.h>
#include <x86/mtrr.h>
#include <x86/processor.h>


static bool has_mtrrs(void)
{
	u32 a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	return d & CPUID_1_EDX_MTRR;
}

void mtrr_read_raw(struct vmtrr *m)
{
	u32 i, vcnt;

	*m = (struct vmtrr){ 0 };
	if (!has_mtrrs())
		return;
	m->cap = rdmsr(MSR_MTRRCAP);
	m->def_type = rdmsr(MSR_MTRR_DEF_TYPE);
	vcnt = MIN(MTRRCAP_VCNT(m->cap), (u32)MTRR_VAR_MAX);
	for (i = 0; i < 2 * vcnt; i++)
		m->var[i] = rdmsr(MSR_MTRR_PHYSBASE0 + i);
	if (!(m->cap & MTRRCAP_FIXED))
		return;
	m->fixed[0] = rdmsr(MSR_MTRR_FIX64K_00000);
	m->fixed[1] = rdmsr(MSR_MTRR_FIX16K_80000);
	m->fixed[2] = rdmsr(MSR_MTRR_FIX16K_A0000);
	for (i = 0; i < 8; i++)
		m->fixed[3 + i] = rdmsr(MSR_MTRR_FIX4K_C0000 + i);
}

void mtrr_read(struct mtrr_state *m)
{
	struct vmtrr r;

	if (!has_mtrrs()) {
		/* No MTRRs: everything behaves as write-back RAM would on such a machine. */
		*m = (struct mtrr_state){ .phys_bits = (u8)cpu_phys_bits(), .enabled = true,
					  .default_type = MTRR_TYPE_WB };
		return;
	}
	mtrr_read_raw(&r);
	mtrr_state_from_msrs(m, r.cap, r.def_type, r.var, r.fixed, (u8)cpu_phys_bits());
}

const char *arch_memory_type_name(u64 addr)
{
	struct mtrr_state m;

	mtrr_read(&m);
	return mtrr_type_name(mtrr_type(&m, addr));
}
