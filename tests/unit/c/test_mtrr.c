// sources: hypervisor/arch/x86/mtrr.c
/*
 * MTRR memory types from a register snapshot (SDM Vol. 3A, 12.11): the layouts firmware sets
 * up (fixed ranges for the legacy area, variable ranges for RAM, a UC hole, a WT window, a WC
 * framebuffer, 36 and 46 physical address bits), the overlap rules of 12.11.4.1, disabled
 * MTRRs and fixed ranges, and mtrr_run_end, which Plinth uses to split guest memory into EPT
 * mappings of one memory type each. mtrr_run_end is cross-checked page by page against a
 * brute-force walk over the first 64 MiB of several hand-made and random states, and
 * mtrr_type against a second, independent reading of the SDM rules.
 */
#include <x86/mtrr.h>

#include "test.h"

#define UC MTRR_TYPE_UC
#define WC MTRR_TYPE_WC
#define WT MTRR_TYPE_WT
#define WP MTRR_TYPE_WP
#define WB MTRR_TYPE_WB
#define VALID BIT(11) /* IA32_MTRR_PHYSMASKn */
#define PG 0x1000ULL
#define ONE_MIB 0x100000ULL

/* ---- building states as firmware would ---- */

static struct mtrr_state state_new(u8 phys_bits, u8 default_type, bool fixed_enabled)
{
	return (struct mtrr_state){ .enabled = true, .fixed_enabled = fixed_enabled,
				    .default_type = default_type, .phys_bits = phys_bits };
}

/* Variable range i: [base, base + size), size a power of two and base aligned to it, with the
 * mask firmware writes for this CPU's physical address width. */
static void var_set(struct mtrr_state *m, u32 i, u64 base, u64 size, u8 type)
{
	u64 phys = ((1ULL << m->phys_bits) - 1) & ~0xfffULL;

	m->var_base[i] = base | type;
	m->var_mask[i] = (~(size - 1) & phys) | VALID;
	if (m->var_count <= i)
		m->var_count = i + 1;
}

static u64 fixed_all(u8 type)
{
	return 0x0101010101010101ULL * type;
}

/* The legacy area as a BIOS sets it: WB RAM below 0xa0000, UC VGA window, the ROM area WP
 * except option ROM space, which is UC save two WP pages at 0xca000. */
static void fixed_bios(struct mtrr_state *m)
{
	u32 i;

	m->fixed[0] = fixed_all(WB);             /* 0x00000-0x7ffff */
	m->fixed[1] = fixed_all(WB);             /* 0x80000-0x9ffff */
	m->fixed[2] = fixed_all(UC);             /* 0xa0000-0xbffff */
	m->fixed[3] = fixed_all(WP);             /* 0xc0000-0xc7fff: video BIOS */
	m->fixed[4] = 0x0000000005050000ULL;     /* 0xc8000-0xcffff: UC, UC, WP, WP, UC x4 */
	m->fixed[5] = m->fixed[6] = fixed_all(UC);
	for (i = 7; i < MTRR_FIXED_COUNT; i++)
		m->fixed[i] = fixed_all(WP);     /* 0xe0000-0xfffff: system BIOS */
}

/*
 * A PC with 3 GiB of RAM below 4 GiB and 4 GiB above, phys_bits 36, default UC: WB for
 * [0, 2 GiB) and [2, 3 GiB), a UC hole at 1.5 GiB, a WT window at 1 GiB over the WB range, a WC
 * framebuffer at 0xd0000000, WB for [4, 8 GiB); one range whose valid bit is clear.
 */
static struct mtrr_state state_bios(void)
{
	struct mtrr_state m = state_new(36, UC, true);

	fixed_bios(&m);
	var_set(&m, 0, 0, 2 * GIB, WB);
	var_set(&m, 1, 2 * GIB, GIB, WB);
	var_set(&m, 2, 0x60000000, 16 * MIB, UC);
	var_set(&m, 3, 0x40000000, 256 * MIB, WT);
	var_set(&m, 4, 0xd0000000, 256 * MIB, WC);
	var_set(&m, 5, 4 * GIB, 4 * GIB, WB);
	var_set(&m, 6, 0, 4 * GIB, UC);
	m.var_mask[6] &= ~VALID;
	m.var_count = 8; /* the last one all zeros, as after reset */
	return m;
}

/* ---- an independent reading of SDM 12.11.4 and 12.11.4.1 ---- */

static u8 ref_type(const struct mtrr_state *m, u64 a)
{
	u64 phys = m->phys_bits >= 64 ? ~0ULL : (1ULL << m->phys_bits) - 1;
	bool seen[256] = { false };
	u32 i, matches = 0, distinct = 0, reg, byte;

	if (!m->enabled)
		return UC;
	if (m->fixed_enabled && a < ONE_MIB) {
		if (a < 0x80000) {
			reg = 0;
			byte = (u32)(a >> 16);
		} else if (a < 0xc0000) {
			reg = 1 + (u32)((a - 0x80000) >> 17);
			byte = (u32)((a >> 14) & 7);
		} else {
			reg = 3 + (u32)((a - 0xc0000) >> 15);
			byte = (u32)((a >> 12) & 7);
		}
		return (u8)(m->fixed[reg] >> (8 * byte));
	}
	for (i = 0; i < m->var_count; i++) {
		u8 t = (u8)m->var_base[i];

		if (!(m->var_mask[i] & VALID) ||
		    ((a ^ m->var_base[i]) & m->var_mask[i] & phys & ~0xfffULL))
			continue;
		matches++;
		distinct += !seen[t];
		seen[t] = true;
	}
	if (!matches)
		return m->default_type;
	if (seen[UC])
		return UC;
	if (distinct == 1) {
		for (i = 0; !seen[i]; i++)
			;
		return (u8)i;
	}
	if (distinct == 2 && seen[WT] && seen[WB])
		return WT;
	return UC; /* undefined by the SDM; Plinth takes UC */
}

/* ---- checks ---- */

#define CHECK_TYPE(m, addr, want) check_type((m), (addr), (want), __LINE__)
#define CHECK_RUN(m, start, limit, want_end, want_type) \
	check_run((m), (start), (limit), (want_end), (want_type), __LINE__)

static bool check_type(const struct mtrr_state *m, u64 addr, u8 want, int line)
{
	u8 got = mtrr_type(m, addr);

	return test_check(got == want, __FILE__, line, "mtrr_type(0x%llx): got %s (%u), expected %s",
			  (unsigned long long)addr, mtrr_type_name(got), got, mtrr_type_name(want));
}

static bool check_run(const struct mtrr_state *m, u64 start, u64 limit, u64 want_end,
		      u8 want_type, int line)
{
	u8 type = 0xee;
	u64 end = mtrr_run_end(m, start, limit, &type);

	return test_check(end == want_end && type == want_type, __FILE__, line,
			  "mtrr_run_end(0x%llx, limit 0x%llx): got 0x%llx %s (%u), "
			  "expected 0x%llx %s",
			  (unsigned long long)start, (unsigned long long)limit,
			  (unsigned long long)end, mtrr_type_name(type), type,
			  (unsigned long long)want_end, mtrr_type_name(want_type));
}

/* ---- the firmware layout ---- */

TEST(bios_types)
{
	struct mtrr_state m = state_bios();

	CHECK_TYPE(&m, 0, WB);
	CHECK_TYPE(&m, 0x7ffff, WB);
	CHECK_TYPE(&m, 0x80000, WB);
	CHECK_TYPE(&m, 0x9ffff, WB);
	CHECK_TYPE(&m, 0xa0000, UC);
	CHECK_TYPE(&m, 0xbffff, UC);
	CHECK_TYPE(&m, 0xc0000, WP);
	CHECK_TYPE(&m, 0xc7fff, WP);
	CHECK_TYPE(&m, 0xc8000, UC);
	CHECK_TYPE(&m, 0xc9fff, UC);
	CHECK_TYPE(&m, 0xca000, WP);
	CHECK_TYPE(&m, 0xcbfff, WP);
	CHECK_TYPE(&m, 0xcc000, UC);
	CHECK_TYPE(&m, 0xdffff, UC);
	CHECK_TYPE(&m, 0xe0000, WP);
	CHECK_TYPE(&m, 0xfffff, WP);
	CHECK_TYPE(&m, ONE_MIB, WB); /* variable range 0 from here on */
	CHECK_TYPE(&m, 0x3fffffff, WB);
	CHECK_TYPE(&m, 0x40000000, WT); /* WT over WB */
	CHECK_TYPE(&m, 0x4fffffff, WT);
	CHECK_TYPE(&m, 0x50000000, WB);
	CHECK_TYPE(&m, 0x60000000, UC); /* UC hole inside WB */
	CHECK_TYPE(&m, 0x60ffffff, UC);
	CHECK_TYPE(&m, 0x61000000, WB);
	CHECK_TYPE(&m, 0x7fffffff, WB);
	CHECK_TYPE(&m, 0x80000000, WB); /* range 1 */
	CHECK_TYPE(&m, 0xbfffffff, WB);
	CHECK_TYPE(&m, 0xc0000000, UC); /* default; range 6 is not valid */
	CHECK_TYPE(&m, 0xd0000000, WC);
	CHECK_TYPE(&m, 0xdfffffff, WC);
	CHECK_TYPE(&m, 0xe0000000, UC);
	CHECK_TYPE(&m, 0xfee00000, UC);
	CHECK_TYPE(&m, 4 * GIB, WB);
	CHECK_TYPE(&m, 8 * GIB - 1, WB);
	CHECK_TYPE(&m, 8 * GIB, UC);
	CHECK_TYPE(&m, (1ULL << 36) - 1, UC);
}

/* Walking the whole 36-bit space run by run, as Plinth does when it builds the EPT, gives each
 * change of type exactly once: adjacent granules and ranges of one type are merged. */
TEST(bios_runs)
{
	static const struct {
		u64 end;
		u8 type;
	} runs[] = {
		{ 0xa0000, WB }, /* 64 KiB and 16 KiB granules merged */
		{ 0xc0000, UC },
		{ 0xc8000, WP },
		{ 0xca000, UC },
		{ 0xcc000, WP },
		{ 0xe0000, UC }, /* across the 0xd0000 register boundary */
		{ ONE_MIB, WP },
		{ 0x40000000, WB },
		{ 0x50000000, WT },
		{ 0x60000000, WB },
		{ 0x61000000, UC },
		{ 0xc0000000, WB }, /* ranges 0 and 1 meet at 2 GiB */
		{ 0xd0000000, UC },
		{ 0xe0000000, WC },
		{ 4 * GIB, UC },
		{ 8 * GIB, WB },
		{ 1ULL << 36, UC },
	};
	struct mtrr_state m = state_bios();
	u64 at = 0;
	u32 i;

	for (i = 0; i < ARRAY_SIZE(runs); i++) {
		if (!CHECK_RUN(&m, at, 1ULL << 36, runs[i].end, runs[i].type))
			break;
		at = runs[i].end;
	}
	/* Starting inside a run, and limits before, at and after the run's end. */
	CHECK_RUN(&m, 0x12345000, 1ULL << 36, 0x40000000, WB);
	CHECK_RUN(&m, 0x12345678, 1ULL << 36, 0x40000000, WB);
	CHECK_RUN(&m, ONE_MIB, 2 * ONE_MIB, 2 * ONE_MIB, WB);
	CHECK_RUN(&m, ONE_MIB, 0x40000000, 0x40000000, WB);
	CHECK_RUN(&m, 0x3ffff000, 0x40001000, 0x40000000, WB);
	CHECK_RUN(&m, 0x61000000, 0x90000000, 0x90000000, WB);
	CHECK_RUN(&m, 0x1000, 0x2000, 0x2000, WB);
	CHECK_RUN(&m, 0xc9000, 0xcb000, 0xca000, UC);
	CHECK_RUN(&m, 0xfffff000, 5 * GIB, 4 * GIB, UC);
	CHECK_RUN(&m, 0x5000, 0x5000, 0x5000, WB); /* empty: the limit */
}

/* SeaBIOS on QEMU: default WB, only [3 GiB, 4 GiB) UC (the PCI hole), WB fixed RAM, UC VGA,
 * WP ROM area. */
TEST(seabios_default_wb)
{
	struct mtrr_state m = state_new(40, WB, true);
	u32 i;

	m.fixed[0] = m.fixed[1] = fixed_all(WB);
	m.fixed[2] = fixed_all(UC);
	for (i = 3; i < MTRR_FIXED_COUNT; i++)
		m.fixed[i] = fixed_all(WP);
	var_set(&m, 0, 3 * GIB, GIB, UC);
	m.var_count = 8;
	CHECK_TYPE(&m, 0x9f000, WB);
	CHECK_TYPE(&m, 0xb8000, UC);
	CHECK_TYPE(&m, 0xf0000, WP);
	CHECK_TYPE(&m, ONE_MIB, WB);
	CHECK_TYPE(&m, 3 * GIB - 1, WB);
	CHECK_TYPE(&m, 3 * GIB, UC);
	CHECK_TYPE(&m, 4 * GIB - 1, UC);
	CHECK_TYPE(&m, 4 * GIB, WB);
	CHECK_TYPE(&m, (1ULL << 40) - 1, WB);
	CHECK_RUN(&m, 0xc0000, 1ULL << 40, ONE_MIB, WP);
	CHECK_RUN(&m, ONE_MIB, 1ULL << 40, 3 * GIB, WB);
	CHECK_RUN(&m, 3 * GIB, 1ULL << 40, 4 * GIB, UC);
	CHECK_RUN(&m, 4 * GIB, 1ULL << 40, 1ULL << 40, WB);
	CHECK_RUN(&m, 4 * GIB, 6 * GIB, 6 * GIB, WB);
}

/* A server with 46 address bits: WB [0, 64 GiB) with the UC PCI hole [2, 4 GiB) inside, WB
 * [64, 128 GiB), a WC framebuffer BAR high up at 32 TiB. The masks carry bits 45:12. */
TEST(phys_bits_46)
{
	struct mtrr_state m = state_new(46, UC, true);

	fixed_bios(&m);
	var_set(&m, 0, 0, 64 * GIB, WB);
	var_set(&m, 1, 2 * GIB, 2 * GIB, UC);
	var_set(&m, 2, 64 * GIB, 64 * GIB, WB);
	var_set(&m, 3, 1ULL << 45, 256 * MIB, WC);
	CHECK_EQ_U64(m.var_mask[0], 0x3ff000000800ULL);
	CHECK_TYPE(&m, ONE_MIB, WB);
	CHECK_TYPE(&m, 2 * GIB, UC);
	CHECK_TYPE(&m, 4 * GIB, WB);
	CHECK_TYPE(&m, 64 * GIB, WB);
	CHECK_TYPE(&m, 128 * GIB, UC);
	CHECK_TYPE(&m, 1ULL << 45, WC);
	CHECK_TYPE(&m, (1ULL << 45) + 256 * MIB, UC);
	/* 36-bit masks would alias [0, 64 GiB) every 64 GiB; 46-bit ones do not. */
	CHECK_TYPE(&m, 128 * GIB + ONE_MIB, UC);
	CHECK_TYPE(&m, (1ULL << 44) + ONE_MIB, UC);
	CHECK_RUN(&m, ONE_MIB, 1ULL << 46, 2 * GIB, WB);
	CHECK_RUN(&m, 2 * GIB, 1ULL << 46, 4 * GIB, UC);
	CHECK_RUN(&m, 4 * GIB, 1ULL << 46, 128 * GIB, WB); /* ranges 0 and 2 merged */
	CHECK_RUN(&m, (1ULL << 45) + 4096, 1ULL << 46, (1ULL << 45) + 256 * MIB, WC);
}

/* Masks are taken literally (SDM 12.11.3): a mask written for 36 bits on a 46-bit CPU leaves
 * bits 45:36 out of the match, so the range repeats every 64 GiB; mask bits above phys_bits
 * and base bits outside the mask do not matter. */
TEST(mask_semantics)
{
	struct mtrr_state m = state_new(46, UC, false);

	m.var_base[0] = 0 | WB;
	m.var_mask[0] = 0xf80000000ULL | VALID; /* 2 GiB, 36-bit mask */
	m.var_count = 1;
	CHECK_TYPE(&m, 0, WB);
	CHECK_TYPE(&m, 2 * GIB, UC);
	CHECK_TYPE(&m, 64 * GIB, WB);
	CHECK_TYPE(&m, 64 * GIB + 2 * GIB - 1, WB);
	CHECK_TYPE(&m, 65 * GIB + GIB, UC);
	CHECK_RUN(&m, 0, 1ULL << 46, 2 * GIB, WB);
	CHECK_RUN(&m, 2 * GIB, 1ULL << 46, 64 * GIB, UC);
	CHECK_RUN(&m, 64 * GIB + 5 * PG, 1ULL << 46, 66 * GIB, WB);

	m = state_new(36, UC, false);
	m.var_base[0] = 0x4000000000000ULL | 0x40000 | 2 * GIB | WT; /* stray bits outside mask */
	m.var_mask[0] = 0xffffff80000000ULL | VALID;                /* bits 55:31 */
	m.var_count = 1;
	CHECK_TYPE(&m, 2 * GIB, WT);
	CHECK_TYPE(&m, 4 * GIB - 1, WT);
	CHECK_TYPE(&m, 4 * GIB, UC);
	CHECK_TYPE(&m, 2 * GIB - 1, UC);
	CHECK_RUN(&m, 0, 1ULL << 36, 2 * GIB, UC);
	CHECK_RUN(&m, 2 * GIB, 1ULL << 36, 4 * GIB, WT);

	/* A mask of just the valid bit covers everything. */
	m = state_new(36, UC, false);
	m.var_base[0] = WB;
	m.var_mask[0] = VALID;
	m.var_count = 1;
	CHECK_TYPE(&m, 0, WB);
	CHECK_TYPE(&m, 0xfedcba000ULL, WB);
	CHECK_RUN(&m, 0, 1ULL << 36, 1ULL << 36, WB);
}

/* ---- SDM 12.11.4.1: overlapping variable ranges ---- */

/* Two ranges: [16, 32) MiB of type a and [24, 28) MiB of type b, default WB. */
static u8 overlap(u8 a, u8 b)
{
	struct mtrr_state m = state_new(36, WB, true);

	var_set(&m, 0, 16 * MIB, 16 * MIB, a);
	var_set(&m, 1, 24 * MIB, 4 * MIB, b);
	return mtrr_type(&m, 25 * MIB);
}

TEST(overlap_precedence)
{
	struct mtrr_state m = state_new(36, WB, true);

	CHECK_EQ_INT(overlap(WC, WC), WC); /* identical types: that type */
	CHECK_EQ_INT(overlap(WP, WP), WP);
	CHECK_EQ_INT(overlap(UC, UC), UC);
	CHECK_EQ_INT(overlap(UC, WB), UC); /* UC with anything: UC */
	CHECK_EQ_INT(overlap(WB, UC), UC);
	CHECK_EQ_INT(overlap(WT, UC), UC);
	CHECK_EQ_INT(overlap(UC, WC), UC);
	CHECK_EQ_INT(overlap(WP, UC), UC);
	CHECK_EQ_INT(overlap(WT, WB), WT); /* WT with WB: WT */
	CHECK_EQ_INT(overlap(WB, WT), WT);
	CHECK_EQ_INT(overlap(WC, WB), UC); /* undefined by the SDM: Plinth takes UC */
	CHECK_EQ_INT(overlap(WB, WP), UC);
	CHECK_EQ_INT(overlap(WT, WC), UC);
	CHECK_EQ_INT(overlap(WP, WT), UC);

	/* Three ranges, in every order of WB, WT and a third type. */
	var_set(&m, 0, 0, 64 * MIB, WB);
	var_set(&m, 1, 16 * MIB, 16 * MIB, WT);
	var_set(&m, 2, 16 * MIB, 4 * MIB, WB);
	CHECK_TYPE(&m, 17 * MIB, WT);
	var_set(&m, 2, 16 * MIB, 4 * MIB, UC);
	CHECK_TYPE(&m, 17 * MIB, UC);
	CHECK_TYPE(&m, 20 * MIB, WT);
	CHECK_TYPE(&m, 40 * MIB, WB);
	var_set(&m, 0, 16 * MIB, 4 * MIB, UC); /* UC first, then WT, then WB */
	var_set(&m, 2, 0, 64 * MIB, WB);
	CHECK_TYPE(&m, 17 * MIB, UC);
	CHECK_TYPE(&m, 21 * MIB, WT);
	var_set(&m, 0, 16 * MIB, 4 * MIB, WT); /* WT, WT, WB */
	CHECK_TYPE(&m, 17 * MIB, WT);
	var_set(&m, 0, 16 * MIB, 4 * MIB, WC); /* WC, WT, WB: undefined */
	CHECK_TYPE(&m, 17 * MIB, UC);
	CHECK_TYPE(&m, 21 * MIB, WT);

	/* Ranges the count or the valid bit leave out do not take part. */
	m = state_new(36, WB, true);
	var_set(&m, 0, 16 * MIB, 16 * MIB, WT);
	var_set(&m, 1, 16 * MIB, 16 * MIB, UC);
	m.var_count = 1;
	CHECK_TYPE(&m, 17 * MIB, WT);
	m.var_count = 2;
	CHECK_TYPE(&m, 17 * MIB, UC);
	m.var_mask[1] &= ~VALID;
	CHECK_TYPE(&m, 17 * MIB, WT);
	CHECK_TYPE(&m, 32 * MIB, WB);
}

/* The runs see the overlap rules: a run ends where the combined type changes, not where a
 * range does. */
TEST(overlap_runs)
{
	struct mtrr_state m = state_new(36, UC, true);

	fixed_bios(&m);
	var_set(&m, 0, 0, GIB, WB);
	var_set(&m, 1, 256 * MIB, 256 * MIB, WT);
	var_set(&m, 2, 256 * MIB, 128 * MIB, WT); /* same type, nested */
	var_set(&m, 3, 512 * MIB, 512 * MIB, WB); /* same type as range 0, nested */
	var_set(&m, 4, 768 * MIB, 4 * MIB, UC);
	CHECK_RUN(&m, ONE_MIB, 4 * GIB, 256 * MIB, WB);
	CHECK_RUN(&m, 256 * MIB, 4 * GIB, 512 * MIB, WT);
	CHECK_RUN(&m, 512 * MIB, 4 * GIB, 768 * MIB, WB);
	CHECK_RUN(&m, 768 * MIB, 4 * GIB, 772 * MIB, UC);
	CHECK_RUN(&m, 772 * MIB, 4 * GIB, GIB, WB);
	CHECK_RUN(&m, GIB, 4 * GIB, 4 * GIB, UC);
}

/* ---- enable bits ---- */

TEST(disabled_is_uc_everywhere)
{
	struct mtrr_state m = state_bios();

	m.enabled = false;
	m.default_type = WB;
	CHECK_TYPE(&m, 0, UC);
	CHECK_TYPE(&m, 0x9f000, UC);
	CHECK_TYPE(&m, 0xf0000, UC);
	CHECK_TYPE(&m, ONE_MIB, UC);
	CHECK_TYPE(&m, 0x40000000, UC);
	CHECK_TYPE(&m, 0xd0000000, UC);
	CHECK_TYPE(&m, 4 * GIB, UC);
	CHECK_TYPE(&m, 16 * GIB, UC);
	CHECK_RUN(&m, 0, 1ULL << 36, 1ULL << 36, UC);
	CHECK_RUN(&m, 0x12345000, 8 * GIB, 8 * GIB, UC);
	m.fixed_enabled = false;
	CHECK_TYPE(&m, 0, UC);
	CHECK_RUN(&m, 0, 1ULL << 36, 1ULL << 36, UC);
}

/* With the fixed ranges off, the variable ranges and the default decide below 1 MiB too, and
 * whatever the fixed registers hold is ignored. */
TEST(fixed_disabled_uses_variable_rules_below_1m)
{
	struct mtrr_state m = state_new(36, UC, false);
	u32 i;

	for (i = 0; i < MTRR_FIXED_COUNT; i++)
		m.fixed[i] = fixed_all(WT);
	var_set(&m, 0, 0, GIB, WB);
	var_set(&m, 1, 0x80000, 0x80000, UC);
	var_set(&m, 2, 0xc0000, 0x10000, WP);
	CHECK_TYPE(&m, 0, WB);
	CHECK_TYPE(&m, 0x7ffff, WB);
	CHECK_TYPE(&m, 0x80000, UC);
	CHECK_TYPE(&m, 0xc0000, UC); /* WP and UC overlap: UC */
	CHECK_TYPE(&m, 0xfffff, UC);
	CHECK_TYPE(&m, ONE_MIB, WB);
	CHECK_RUN(&m, 0, GIB, 0x80000, WB);
	CHECK_RUN(&m, 0x80000, GIB, ONE_MIB, UC);
	CHECK_RUN(&m, ONE_MIB, 2 * GIB, GIB, WB);

	/* The same registers with the fixed ranges on: WT up to 1 MiB. */
	m.fixed_enabled = true;
	CHECK_TYPE(&m, 0, WT);
	CHECK_TYPE(&m, 0x80000, WT);
	CHECK_TYPE(&m, 0xfffff, WT);
	CHECK_TYPE(&m, ONE_MIB, WB);
	CHECK_RUN(&m, 0, GIB, ONE_MIB, WT);
}

/* A run that crosses 1 MiB, from the fixed ranges into a variable range of the same type, and
 * fixed ranges that cover what the variable ranges would have said otherwise. */
TEST(run_across_1m)
{
	struct mtrr_state m = state_new(36, UC, true);
	u32 i;

	for (i = 0; i < MTRR_FIXED_COUNT; i++)
		m.fixed[i] = fixed_all(WB);
	var_set(&m, 0, 0, 2 * GIB, WB);
	CHECK_RUN(&m, 0, 4 * GIB, 2 * GIB, WB);
	CHECK_RUN(&m, 0xf8000, 4 * GIB, 2 * GIB, WB);
	CHECK_RUN(&m, 0xff000, 4 * GIB, 2 * GIB, WB);
	CHECK_RUN(&m, 0xff000, ONE_MIB + PG, ONE_MIB + PG, WB);

	/* Variable UC for [0, 1 MiB) under WB fixed ranges, default WB: one run. */
	m = state_new(36, WB, true);
	for (i = 0; i < MTRR_FIXED_COUNT; i++)
		m.fixed[i] = fixed_all(WB);
	var_set(&m, 0, 0, ONE_MIB, UC);
	CHECK_TYPE(&m, 0x5000, WB);
	CHECK_RUN(&m, 0, 4 * GIB, 4 * GIB, WB);

	/* The last fixed page differs: the run from 1 MiB is on its own. */
	m.fixed[10] = fixed_all(WB) & ~(0xffULL << 56);
	CHECK_TYPE(&m, 0xff000, UC);
	CHECK_RUN(&m, 0, 4 * GIB, 0xff000, WB);
	CHECK_RUN(&m, 0xff000, 4 * GIB, ONE_MIB, UC);
	CHECK_RUN(&m, ONE_MIB, 4 * GIB, 4 * GIB, WB);
}

TEST(type_names)
{
	CHECK_STR(mtrr_type_name(UC), "UC");
	CHECK_STR(mtrr_type_name(WC), "WC");
	CHECK_STR(mtrr_type_name(WT), "WT");
	CHECK_STR(mtrr_type_name(WP), "WP");
	CHECK_STR(mtrr_type_name(WB), "WB");
	CHECK_STR(mtrr_type_name(2), "??");
	CHECK_STR(mtrr_type_name(7), "??");
}

/* ---- brute force over the first 64 MiB ---- */

#define SPACE (64 * MIB)
#define NPG (SPACE / PG)

static u64 rng = 0x2545f4914f6cdd1dULL;

static u64 rnd(u64 n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

static u8 types_of[NPG];
static u32 next_diff[NPG]; /* first page after p whose type differs, or NPG */

/* mtrr_type agrees with ref_type on every page, and mtrr_run_end from every page (with stride
 * > 1: every stride-th page and the first and last page of every run), up to the end of the
 * space and up to a random limit, ends at the first page of another type. */
static void brute_force(const struct mtrr_state *m, const char *what, u32 stride)
{
	u32 p, bad_type = 0, bad_run = 0;

	for (p = 0; p < NPG; p++) {
		types_of[p] = ref_type(m, p * PG);
		if ((mtrr_type(m, p * PG) != types_of[p] ||
		     mtrr_type(m, p * PG + PG - 1) != types_of[p]) && !bad_type++) {
			CHECK_TYPE(m, p * PG, types_of[p]);
			CHECK_TYPE(m, p * PG + PG - 1, types_of[p]);
			printf("    (%s)\n", what);
		}
	}
	next_diff[NPG - 1] = NPG;
	for (p = NPG - 1; p-- > 0;)
		next_diff[p] = types_of[p + 1] != types_of[p] ? p + 1 : next_diff[p + 1];
	for (p = 0; p < NPG; p++) {
		u64 limit = (p + 1 + rnd(NPG - p)) * PG, start;
		u64 want = (u64)next_diff[p] * PG;
		u8 type;
		u64 end;

		if (p % stride && types_of[p] == types_of[p - 1] && next_diff[p] != p + 1)
			continue;
		end = mtrr_run_end(m, p * PG, SPACE, &type);

		if ((end != want || type != types_of[p]) && !bad_run++) {
			CHECK_RUN(m, p * PG, SPACE, want, types_of[p]);
			printf("    (%s)\n", what);
		}
		start = p * PG + rnd(PG);
		end = mtrr_run_end(m, start, limit, &type);
		if ((end != MIN(want, limit) || type != types_of[p]) && !bad_run++) {
			CHECK_RUN(m, start, limit, MIN(want, limit), types_of[p]);
			printf("    (%s)\n", what);
		}
	}
	CHECK_EQ_INT(bad_type, 0);
	CHECK_EQ_INT(bad_run, 0);
}

/* The first 64 MiB of a small machine: every kind of boundary within reach. */
TEST(brute_force_hand_made_states)
{
	struct mtrr_state m = state_new(36, UC, true);

	fixed_bios(&m);
	var_set(&m, 0, 0, 32 * MIB, WB);
	var_set(&m, 1, 16 * MIB, ONE_MIB, UC);  /* hole */
	var_set(&m, 2, 4 * MIB, 4 * MIB, WT);   /* WT over WB */
	var_set(&m, 3, 40 * MIB, 2 * MIB, WC);  /* framebuffer */
	var_set(&m, 4, 48 * MIB, 8 * MIB, WB);
	var_set(&m, 5, 56 * MIB, 8 * MIB, WB);  /* adjacent, same type */
	var_set(&m, 6, 20 * MIB, PG, UC);        /* one page */
	var_set(&m, 7, 6 * MIB, 64 * 1024, UC);  /* inside the WT window */
	brute_force(&m, "hand-made 1", 1);

	/* Default WB, fixed ranges off, a non-contiguous mask: [32, 32 MiB + 64 KiB) and
	 * [36, 36 MiB + 64 KiB) (bit 22 left out of the mask). */
	m = state_new(36, WB, false);
	var_set(&m, 0, 0x80000, 0x80000, UC);
	var_set(&m, 1, 8 * MIB, 64 * 1024, WP);
	var_set(&m, 2, 32 * MIB, 64 * 1024, WC);
	m.var_mask[2] &= ~BIT(22);
	var_set(&m, 3, 36 * MIB, 8 * MIB, WT); /* overlaps the second WC block: UC */
	brute_force(&m, "hand-made 2", 1);

	/* A catch-all WB range (mask of the valid bit only), undefined overlaps, default WT. */
	m = state_new(36, WT, true);
	fixed_bios(&m);
	m.var_base[0] = WB;
	m.var_mask[0] = VALID;
	m.var_count = 1;
	var_set(&m, 1, 8 * MIB, 8 * MIB, WT);
	var_set(&m, 2, 12 * MIB, 2 * MIB, WC);  /* WB + WT + WC: undefined */
	var_set(&m, 3, 30 * MIB, 2 * MIB, WP);  /* WB + WP: undefined */
	var_set(&m, 4, 63 * MIB, ONE_MIB, WB);
	brute_force(&m, "hand-made 3", 1);

	m = state_bios();
	brute_force(&m, "bios", 1);
	m.fixed_enabled = false;
	brute_force(&m, "bios, fixed off", 1);
	m.enabled = false;
	brute_force(&m, "bios, disabled", 1);
}

/* Random states: random fixed bytes, 2 to 12 variable ranges of random power-of-two sizes in
 * the 64 MiB (some clear of the valid bit, some with a bit missing from the mask), random
 * enable bits. */
TEST(brute_force_random_states)
{
	static const u8 types[] = { UC, WC, WT, WP, WB };
	u32 s, i, j;

	for (s = 0; s < 24; s++) {
		struct mtrr_state m = state_new(rnd(2) ? 36 : 46, types[rnd(5)], rnd(4) != 0);
		char what[32];

		u32 nvar = 2 + (u32)rnd(11);
		u8 t = WB;

		m.enabled = rnd(8) != 0;
		for (i = 0; i < MTRR_FIXED_COUNT; i++) {
			for (j = 0; j < 8; j++) {
				if (rnd(4) == 0) /* runs of one type, as firmware writes */
					t = types[rnd(5)];
				m.fixed[i] |= (u64)t << (8 * j);
			}
		}
		for (i = 0; i < nvar; i++) {
			u64 size = PG << rnd(rnd(4) ? 13 : 15); /* 4 KiB .. 16 MiB, some to 64 MiB */

			var_set(&m, i, size * rnd(SPACE / size), size, types[rnd(5)]);
			if (rnd(8) == 0)
				m.var_mask[i] &= ~VALID;
			if (rnd(8) == 0 && size < 16 * MIB)
				m.var_mask[i] &= ~(size << (1 + rnd(2))); /* a gap in the mask */
		}
		snprintf(what, sizeof(what), "random state %u", s);
		brute_force(&m, what, 16);
	}
}
