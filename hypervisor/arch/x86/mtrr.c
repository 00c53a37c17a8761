/*
 * MTRR memory-type look-up (SDM Vol. 3A, 12.11.4): fixed ranges below 1 MiB when enabled,
 * then the variable ranges with the overlap rules (UC wins; WT wins over WB; any other
 * overlap is undefined and taken as UC), then the default type.
 */
#include <x86/mtrr.h>
#include <x86/processor.h>

#define ONE_MIB 0x100000ULL

/* Fixed-range MTRR i covers 8 granules of this size starting at this base. */
static void fixed_layout(u32 i, u64 *base, u64 *granule)
{
	if (i == 0) {
		*base = 0;
		*granule = 0x10000;
	} else if (i < 3) {
		*base = 0x80000 + (i - 1) * 0x20000;
		*granule = 0x4000;
	} else {
		*base = 0xc0000 + (i - 3) * 0x8000;
		*granule = 0x1000;
	}
}

static u64 phys_mask(const struct mtrr_state *m)
{
	return (m->phys_bits >= 64 ? ~0ULL : (1ULL << m->phys_bits) - 1) & ~0xfffULL;
}

u8 mtrr_type(const struct mtrr_state *m, u64 addr)
{
	u64 mask = phys_mask(m);
	int found = -1;
	u32 i;

	if (!m->enabled)
		return MTRR_TYPE_UC;
	if (addr < ONE_MIB && m->fixed_enabled) {
		for (i = 0; i < MTRR_FIXED_COUNT; i++) {
			u64 base, granule;

			fixed_layout(i, &base, &granule);
			if (addr >= base && addr < base + 8 * granule)
				return (u8)(m->fixed[i] >> (8 * ((addr - base) / granule)));
		}
	}
	for (i = 0; i < m->var_count; i++) {
		u64 vmask = m->var_mask[i] & mask;
		u8 t = (u8)m->var_base[i];

		if (!(m->var_mask[i] & MTRR_VALID) || (addr & vmask) != (m->var_base[i] & vmask))
			continue;
		if (found < 0 || found == t)
			found = t;
		else if (t == MTRR_TYPE_UC || found == MTRR_TYPE_UC)
			found = MTRR_TYPE_UC;
		else if ((t == MTRR_TYPE_WT && found == MTRR_TYPE_WB) ||
			 (t == MTRR_TYPE_WB && found == MTRR_TYPE_WT))
			found = MTRR_TYPE_WT;
		else
			found = MTRR_TYPE_UC;
	}
	return found >= 0 ? (u8)found : m->default_type;
}

/* The lowest address above addr where some MTRR's coverage may change. */
static u64 next_boundary(const struct mtrr_state *m, u64 addr)
{
	u64 mask = phys_mask(m), best = ~0ULL;
	u32 i;

	if (addr < ONE_MIB && m->fixed_enabled) {
		for (i = 0; i < MTRR_FIXED_COUNT; i++) {
			u64 base, granule;

			fixed_layout(i, &base, &granule);
			if (addr >= base && addr < base + 8 * granule)
				return base + ((addr - base) / granule + 1) * granule;
		}
	}
	for (i = 0; i < m->var_count; i++) {
		u64 vmask = m->var_mask[i] & mask, size, base, cand;

		if (!(m->var_mask[i] & MTRR_VALID) || !vmask)
			continue;
		/* The range repeats with the period of its lowest mask bit; for the usual contiguous
		 * masks that is one range [base, base + size). */
		size = vmask & -vmask;
		base = m->var_base[i] & vmask;
		if (vmask == (mask & ~(size - 1))) {
			/* Contiguous: only its two edges are boundaries. */
			if (base > addr)
				best = MIN(best, base);
			else if (base + size > addr)
				best = MIN(best, base + size);
			continue;
		}
		cand = ALIGN_DOWN(addr, size) + size;
		if ((addr & vmask) == base && cand > addr)
			best = MIN(best, cand); /* inside: coverage ends at the block's end */
		else if (base > addr)
			best = MIN(best, base);
		else if (cand > addr)
			best = MIN(best, cand);
	}
	if (addr < ONE_MIB && m->fixed_enabled)
		best = MIN(best, ONE_MIB);
	return best;
}

u64 mtrr_run_end(const struct mtrr_state *m, u64 start, u64 limit, u8 *type)
{
	u64 at = start;

	*type = mtrr_type(m, start);
	while (at < limit) {
		u64 next = next_boundary(m, at);

		if (next <= at || next >= limit)
			return limit;
		if (mtrr_type(m, next) != *type)
			return next;
		at = next;
	}
	return limit;
}

const char *mtrr_type_name(u8 type)
{
	switch (type) {
	case MTRR_TYPE_UC:
		return "UC";
	case MTRR_TYPE_WC:
		return "WC";
	case MTRR_TYPE_WT:
		return "WT";
	case MTRR_TYPE_WP:
		return "WP";
	case MTRR_TYPE_WB:
		return "WB";
	default:
		return "??";
	}
}

static bool type_valid(u8 type, u64 cap)
{
	return type == MTRR_TYPE_UC || type == MTRR_TYPE_WT || type == MTRR_TYPE_WP || type == MTRR_TYPE_WB ||
	       (type == MTRR_TYPE_WC && (cap & MTRRCAP_WC));
}

static bool is_fixed(u32 msr)
{
	return msr == MSR_MTRR_FIX64K_00000 || msr == MSR_MTRR_FIX16K_80000 || msr == MSR_MTRR_FIX16K_A0000 ||
	       (msr >= MSR_MTRR_FIX4K_C0000 && msr < MSR_MTRR_FIX4K_C0000 + 8);
}

bool mtrr_msr_exists(u32 msr, u64 cap)
{
	if (msr == MSR_MTRRCAP || msr == MSR_MTRR_DEF_TYPE)
		return true;
	if (is_fixed(msr))
		return cap & MTRRCAP_FIXED;
	return msr >= MSR_MTRR_PHYSBASE0 && msr < MSR_MTRR_PHYSBASE0 + 2 * MIN(MTRRCAP_VCNT(cap), (u32)MTRR_VAR_MAX);
}

bool mtrr_write_valid(u32 msr, u64 value, u64 cap, u8 phys_bits)
{
	u64 addr = (phys_bits >= 64 ? ~0ULL : (1ULL << phys_bits) - 1) & ~0xfffULL;
	u32 i;

	if (!mtrr_msr_exists(msr, cap) || msr == MSR_MTRRCAP)
		return false; /* IA32_MTRRCAP is read-only */
	if (msr == MSR_MTRR_DEF_TYPE)
		return !(value & ~(0xffULL | MTRR_DEF_TYPE_FIXED_ENABLE | MTRR_DEF_TYPE_ENABLE)) &&
		       type_valid((u8)value, cap);
	if (is_fixed(msr)) {
		for (i = 0; i < 8; i++)
			if (!type_valid((u8)(value >> (8 * i)), cap))
				return false;
		return true;
	}
	if ((msr - MSR_MTRR_PHYSBASE0) & 1)
		return !(value & ~(addr | MTRR_VALID));
	return !(value & ~(addr | 0xffULL)) && type_valid((u8)value, cap);
}
