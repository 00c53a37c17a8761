/* Reading this CPU's MTRR MSRs (SDM Vol. 3A, 12.11.1-12.11.3). */
#include <plinth/arch.h>
#include <x86/cpu.h>
#include <x86/mtrr.h>
#include <x86/processor.h>


void mtrr_read(struct mtrr_state *m)
{
	u32 a, b, c, d, i;
	u64 cap, def;

	*m = (struct mtrr_state){ .phys_bits = (u8)cpu_phys_bits() };
	cpuid(1, 0, &a, &b, &c, &d);
	if (!(d & CPUID_1_EDX_MTRR)) {
		/* No MTRRs: everything behaves as write-back RAM would on such a machine. */
		m->enabled = true;
		m->default_type = MTRR_TYPE_WB;
		return;
	}
	cap = rdmsr(MSR_MTRRCAP);
	def = rdmsr(MSR_MTRR_DEF_TYPE);
	m->enabled = def & MTRR_DEF_TYPE_ENABLE;
	m->default_type = (u8)def;
	m->fixed_enabled = (cap & MTRRCAP_FIXED) && (def & MTRR_DEF_TYPE_FIXED_ENABLE);
	m->var_count = MIN((u32)(cap & 0xff), (u32)MTRR_VAR_MAX);
	for (i = 0; i < m->var_count; i++) {
		m->var_base[i] = rdmsr(MSR_MTRR_PHYSBASE0 + 2 * i);
		m->var_mask[i] = rdmsr(MSR_MTRR_PHYSBASE0 + 2 * i + 1);
	}
	if (m->fixed_enabled) {
		m->fixed[0] = rdmsr(MSR_MTRR_FIX64K_00000);
		m->fixed[1] = rdmsr(MSR_MTRR_FIX16K_80000);
		m->fixed[2] = rdmsr(MSR_MTRR_FIX16K_A0000);
		for (i = 0; i < 8; i++)
			m->fixed[3 + i] = rdmsr(MSR_MTRR_FIX4K_C0000 + i);
	}
}

const char *arch_memory_type_name(u64 addr)
{
	struct mtrr_state m;

	mtrr_read(&m);
	return mtrr_type_name(mtrr_type(&m, addr));
}
