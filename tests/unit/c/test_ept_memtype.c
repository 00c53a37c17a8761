// sources: hypervisor/arch/x86/mtrr.c hypervisor/arch/x86/ept_memtype.c
/*
 * EPT memory types of a VM's memory (ept_memtype_run) from the firmware's MTRRs by host
 * address and the guest's view by guest-physical address: without a guest view the firmware's
 * types (by host address, for RAM placed elsewhere than its guest address); with one, guest RAM
 * takes the guest's types (UC, WC, WT, WP, WB), run ends at both views' boundaries, MMIO keeps
 * the firmware's type except UC made WC, never WB or WT; a disabled guest view types RAM UC.
 * And mtrr_state_from_msrs reads register values as the CPU does (VCNT ranges, fixed ranges only
 * when enabled and present). Every run is cross-checked page by page against the rules.
 */
#include <string.h>
#include <x86/ept_memtype.h>

#include "test.h"

#define UC MTRR_TYPE_UC
#define WC MTRR_TYPE_WC
#define WT MTRR_TYPE_WT
#define WP MTRR_TYPE_WP
#define WB MTRR_TYPE_WB
#define PG 0x1000ULL
#define DEF_E (1ULL << 11)
#define DEF_FE (1ULL << 10)
#define VALID (1ULL << 11)
#define BITS 36

struct view {
	u64 cap, def;
	u64 var[32];
	u64 fixed[MTRR_FIXED_COUNT];
};

static void view_range(struct view *v, u32 i, u64 base, u64 size, u8 type)
{
	v->var[2 * i] = base | type;
	v->var[2 * i + 1] = (~(size - 1) & (((1ULL << BITS) - 1) & ~0xfffULL)) | VALID;
}

static struct mtrr_state state(const struct view *v)
{
	struct mtrr_state s;

	mtrr_state_from_msrs(&s, v->cap, v->def, v->var, v->fixed, BITS);
	return s;
}

/* Bochs's firmware: WB by default, 3-4 GiB UC. */
static struct mtrr_state bochs_firmware(void)
{
	struct view v = { .cap = 0x508, .def = DEF_E | WB };

	view_range(&v, 0, 0xc0000000, 1ULL << 30, UC);
	return state(&v);
}

/* The run from at, and its type. */
#define CHECK_RUN(fw, guest, m, at, end, want_end, want_type)                                       \
	do {                                                                                        \
		u8 type_ = 0xee;                                                                    \
		u64 run_ = ept_memtype_run(fw, guest, m, at, end, &type_);                          \
		CHECK_EQ_U64(run_, want_end);                                                       \
		CHECK_EQ_U64(type_, want_type);                                                     \
	} while (0)

TEST(firmware_types_by_host_address)
{
	struct mtrr_state fw = bochs_firmware();
	/* RAM at guest 0 placed at host 3 GiB - 4 MiB: its first 4 MiB are host WB, the rest
	 * lies in the firmware's UC range from host 3 GiB. */
	struct vm_mem ram = { 0, 0xbfc00000, 8 * MIB, VM_MEM_RAM };

	CHECK_RUN(&fw, NULL, &ram, 0, 8 * MIB, 4 * MIB, WB);
	CHECK_RUN(&fw, NULL, &ram, 4 * MIB, 8 * MIB, 8 * MIB, UC);
}

TEST(guest_view_types_its_ram_by_guest_address)
{
	struct mtrr_state fw = bochs_firmware(), g;
	struct view v = { .cap = 0x508, .def = DEF_E | WB };
	struct vm_mem ram = { 0, 0x40000000, 64 * MIB, VM_MEM_RAM };

	view_range(&v, 1, 16 * MIB, 2 * MIB, UC);
	view_range(&v, 2, 32 * MIB, 8 * MIB, WC);
	view_range(&v, 3, 36 * MIB, 1 * MIB, WT); /* inside the WC range: WC with WT is UC */
	g = state(&v);
	CHECK_RUN(&fw, &g, &ram, 0, 64 * MIB, 16 * MIB, WB);
	CHECK_RUN(&fw, &g, &ram, 16 * MIB, 64 * MIB, 18 * MIB, UC);
	CHECK_RUN(&fw, &g, &ram, 18 * MIB, 64 * MIB, 32 * MIB, WB);
	CHECK_RUN(&fw, &g, &ram, 32 * MIB, 64 * MIB, 36 * MIB, WC);
	CHECK_RUN(&fw, &g, &ram, 36 * MIB, 64 * MIB, 37 * MIB, UC);
	CHECK_RUN(&fw, &g, &ram, 37 * MIB, 64 * MIB, 40 * MIB, WC);
	CHECK_RUN(&fw, &g, &ram, 40 * MIB, 64 * MIB, 64 * MIB, WB);
	/* A run stops at the end it is given. */
	CHECK_RUN(&fw, &g, &ram, 17 * MIB, 17 * MIB + PG, 17 * MIB + PG, UC);
}

TEST(run_ends_at_the_firmwares_boundaries_too)
{
	/* RAM at guest 0 on host 3 GiB - 2 MiB: the firmware's UC starts 2 MiB in; the guest
	 * types its RAM WB throughout, so RAM is the guest's WB on both sides, but the run still
	 * ends there (one type per run, whichever view ends first). */
	struct mtrr_state fw = bochs_firmware(), g;
	struct view v = { .cap = 0x508, .def = DEF_E | WB };
	struct vm_mem ram = { 0, 0xbfe00000, 4 * MIB, VM_MEM_RAM };

	g = state(&v);
	CHECK_RUN(&fw, &g, &ram, 0, 4 * MIB, 2 * MIB, WB);
	CHECK_RUN(&fw, &g, &ram, 2 * MIB, 4 * MIB, 4 * MIB, WB);
}

TEST(mmio_keeps_the_firmwares_type_except_uc_made_wc)
{
	struct mtrr_state fw = bochs_firmware(), g;
	struct view v = { .cap = 0x508, .def = DEF_E | WB };
	struct vm_mem mmio = { 0xfe000000, 0xfe000000, 32 * MIB, VM_MEM_MMIO };
	struct vm_mem ram_above = { 0, 0, 16 * MIB, VM_MEM_MMIO }; /* MMIO over host WB RAM */
	u8 types[] = { WB, WT, WP, UC };
	u32 i;

	/* The guest's view without the firmware's UC range: WB everywhere. MMIO stays UC. */
	g = state(&v);
	CHECK_RUN(&fw, &g, &mmio, 0xfe000000, 0x100000000, 0x100000000, UC);
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		view_range(&v, 1, 0xfe000000, 16 * MIB, types[i]);
		g = state(&v);
		/* a run ends where the guest's type does (WB merges with the default) */
		CHECK_RUN(&fw, &g, &mmio, 0xfe000000, 0x100000000, types[i] == WB ? 0x100000000 : 0xff000000, UC);
	}
	view_range(&v, 1, 0xfe000000, 16 * MIB, WC);
	g = state(&v);
	CHECK_RUN(&fw, &g, &mmio, 0xfe000000, 0x100000000, 0xff000000, WC);
	CHECK_RUN(&fw, &g, &mmio, 0xff000000, 0x100000000, 0x100000000, UC);
	/* MMIO where the firmware says WB (a device over RAM types): WC does not apply, UC
	 * neither; the firmware's type stays. */
	view_range(&v, 1, 0, 16 * MIB, UC);
	g = state(&v);
	CHECK_RUN(&fw, &g, &ram_above, 0, 16 * MIB, 16 * MIB, WB);
	view_range(&v, 1, 0, 16 * MIB, WC);
	g = state(&v);
	CHECK_RUN(&fw, &g, &ram_above, 0, 16 * MIB, 16 * MIB, WB);
}

TEST(disabled_guest_view_is_uc)
{
	struct mtrr_state fw = bochs_firmware(), g;
	struct view v = { .cap = 0x508, .def = WB }; /* E clear */
	struct vm_mem ram = { 0, 0, 64 * MIB, VM_MEM_RAM };

	g = state(&v);
	CHECK(!g.enabled);
	CHECK_RUN(&fw, &g, &ram, 0, 64 * MIB, 64 * MIB, UC);
}

TEST(state_from_msrs_reads_as_the_cpu_does)
{
	struct view v = { .cap = 0x502, .def = DEF_E | DEF_FE | WB }; /* 2 ranges, fixed, WC */
	struct mtrr_state s;
	u32 i;

	for (i = 0; i < MTRR_FIXED_COUNT; i++)
		v.fixed[i] = 0x0606060606060606ULL;
	view_range(&v, 0, 0, 1ULL << 30, WB);
	view_range(&v, 2, 0x80000000, 1ULL << 30, UC); /* beyond VCNT: not a range */
	s = state(&v);
	CHECK(s.enabled);
	CHECK(s.fixed_enabled);
	CHECK_EQ_U64(s.default_type, WB);
	CHECK_EQ_U64(s.var_count, 2);
	CHECK_EQ_U64(s.phys_bits, BITS);
	CHECK_EQ_U64(s.var_base[0], WB);
	CHECK_EQ_U64(s.var_mask[2], 0);
	CHECK_EQ_U64(s.fixed[10], 0x0606060606060606ULL);
	CHECK_EQ_U64(mtrr_type(&s, 0x80000000), WB); /* default, the third range ignored */

	v.cap = 0x002; /* no fixed ranges: FE means nothing */
	s = state(&v);
	CHECK(!s.fixed_enabled);
	CHECK_EQ_U64(s.fixed[0], 0);
	v.cap = 0x502;
	v.def = DEF_E | WB; /* FE clear */
	s = state(&v);
	CHECK(!s.fixed_enabled);
	CHECK_EQ_U64(s.fixed[0], 0);
}

/* The rules, page by page, against every run over 64 MiB of RAM and of MMIO with a busy view. */
static u8 rule(u32 kind, u8 fw, u8 guest)
{
	if (kind == VM_MEM_RAM)
		return guest;
	return fw == UC && guest == WC ? WC : fw;
}

TEST(every_run_agrees_with_the_rules_page_by_page)
{
	struct mtrr_state fw, g;
	struct view f = { .cap = 0x508, .def = DEF_E | WB }, v = { .cap = 0x508, .def = DEF_E | UC };
	u32 kinds[] = { VM_MEM_RAM, VM_MEM_MMIO }, k;

	view_range(&f, 0, 8 * MIB, 8 * MIB, UC);
	view_range(&f, 1, 40 * MIB, 4 * MIB, WT);
	view_range(&v, 0, 0, 32 * MIB, WB);
	view_range(&v, 1, 12 * MIB, 2 * MIB, WC);
	view_range(&v, 2, 20 * MIB, 1 * MIB, WP);
	view_range(&v, 3, 33 * MIB, 16 * MIB, WC);
	fw = state(&f);
	g = state(&v);
	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		/* guest 0..64 MiB on host 4 MiB..68 MiB: the views' boundaries fall apart */
		struct vm_mem m = { 0, 4 * MIB, 64 * MIB, kinds[k] };
		u64 at = 0, bad = 0, runs = 0;

		while (at < 64 * MIB) {
			u8 type;
			u64 end = ept_memtype_run(&fw, &g, &m, at, 64 * MIB, &type), p;

			runs++;
			if (end <= at)
				break;
			for (p = at; p < end; p += PG)
				bad += type != rule(kinds[k], mtrr_type(&fw, p + 4 * MIB), mtrr_type(&g, p));
			at = end;
		}
		CHECK_EQ_U64(at, 64 * MIB);
		CHECK_EQ_U64(bad, 0);
		CHECK(runs > 4);
	}
}
