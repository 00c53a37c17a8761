// sources: hypervisor/arch/x86/vtd_ir.c hypervisor/arch/x86/vtd_ir_table.c hypervisor/arch/x86/irq_policy.c hypervisor/core/format.c
/*
 * The interrupt remapping table's logic (arch/x86/vtd_ir_table.c): which format the units use, from
 * the DMAR flags, the units' ECAP and the CPUs' APIC mode, and when remapping stays off (each
 * with its reason); the table's size for a number of CPUs and its IRTA.S encoding; entries
 * placed in the first free slot, high quadword before the present bit, removed, reused, and
 * a full table refused.
 */
#include <string.h>
#include <plinth/errno.h>
#include <x86/vtd_ir.h>

#include "test.h"

static struct vtd_ir_platform good(void)
{
	return (struct vtd_ir_platform){ .dmar_intr_remap = true, .units = 2, .units_ir = 2, .units_qi = 2,
					 .units_eim = 2, .max_apic_id = 3 };
}

TEST(xapic_cpus_get_the_xapic_format)
{
	struct vtd_ir_platform p = good();
	char why[160];

	CHECK_EQ_U64(vtd_ir_choose(&p, why, sizeof(why)), VTD_IR_XAPIC);
	CHECK_STR(why, "the CPUs run xAPIC: 8-bit destinations");
}

TEST(x2apic_cpus_get_eim_unless_the_firmware_opts_out)
{
	struct vtd_ir_platform p = good();
	char why[160];

	p.x2apic_now = true;
	CHECK_EQ_U64(vtd_ir_choose(&p, why, sizeof(why)), VTD_IR_X2APIC);
	CHECK_CONTAINS(why, "32-bit destinations (EIME)");
	/* The opt-out is honoured while every APIC ID fits 8 bits. */
	p.dmar_x2apic_opt_out = true;
	CHECK_EQ_U64(vtd_ir_choose(&p, why, sizeof(why)), VTD_IR_XAPIC);
	CHECK_CONTAINS(why, "X2APIC_OPT_OUT");
	/* One unit without EIM: 8-bit destinations as well. */
	p.dmar_x2apic_opt_out = false;
	p.units_eim = 1;
	CHECK_EQ_U64(vtd_ir_choose(&p, why, sizeof(why)), VTD_IR_XAPIC);
	CHECK_CONTAINS(why, "a unit lacks EIM");
}

TEST(wide_apic_ids_need_eim)
{
	struct vtd_ir_platform p = good();
	char why[160];

	p.x2apic_now = true;
	p.max_apic_id = 255; /* the xAPIC broadcast ID: no 8-bit destination names it */
	p.dmar_x2apic_opt_out = true;
	CHECK_EQ_U64(vtd_ir_choose(&p, why, sizeof(why)), VTD_IR_X2APIC);
	CHECK_CONTAINS(why, "APIC IDs above 254");
	p.units_eim = 1;
	CHECK_EQ_U64(vtd_ir_choose(&p, why, sizeof(why)), VTD_IR_OFF);
	CHECK_STR(why, "APIC ID 255 needs 32-bit destinations, which 1 of 2 units lack (ECAP.EIM)");
}

TEST(reasons_to_stay_off)
{
	struct vtd_ir_platform p = good();
	char why[160];

	p.dmar_intr_remap = false;
	CHECK_EQ_U64(vtd_ir_choose(&p, why, sizeof(why)), VTD_IR_OFF);
	CHECK_STR(why, "the DMAR does not announce it (flag INTR_REMAP clear)");
	p = good();
	p.units_ir = 1;
	CHECK_EQ_U64(vtd_ir_choose(&p, why, sizeof(why)), VTD_IR_OFF);
	CHECK_STR(why, "1 of 2 units lack it (ECAP.IR)");
	p = good();
	p.units = p.units_ir = 0;
	CHECK_EQ_U64(vtd_ir_choose(&p, why, sizeof(why)), VTD_IR_OFF);
	CHECK_STR(why, "no remapping unit");
	p = good();
	p.units_qi = 0;
	CHECK_EQ_U64(vtd_ir_choose(&p, why, sizeof(why)), VTD_IR_OFF);
	CHECK_CONTAINS(why, "2 of 2 units lack queued invalidation");
	p = good();
	p.register_invalidation = true;
	CHECK_EQ_U64(vtd_ir_choose(&p, why, sizeof(why)), VTD_IR_OFF);
	CHECK_CONTAINS(why, "vtd_register_invalidation");
}

TEST(table_size_follows_the_cpus)
{
	CHECK_EQ_U64(vtd_irt_entries(0), 256);
	CHECK_EQ_U64(vtd_irt_entries(1), 256); /* 224 vectors */
	CHECK_EQ_U64(vtd_irt_entries(2), 512);
	CHECK_EQ_U64(vtd_irt_entries(5), 2048); /* 1120 */
	CHECK_EQ_U64(vtd_irt_entries(64), 16384);
	CHECK_EQ_U64(vtd_irt_entries(4096), 65536); /* the index has 16 bits */
	/* IRTA.S: 2^(S + 1) entries (VT-d 11.4.29). */
	CHECK_EQ_U64(vtd_irt_size_field(256), 7);
	CHECK_EQ_U64(vtd_irt_size_field(512), 8);
	CHECK_EQ_U64(vtd_irt_size_field(65536), 15);
}

static struct vtd_irte entries[4];

static struct vtd_irt table(void)
{
	memset(entries, 0, sizeof(entries));
	return (struct vtd_irt){ entries, 4, 0 };
}

TEST(entries_fill_free_slots_and_are_reused)
{
	struct vtd_irt t = table();
	struct vtd_irte e = { IRTE_P | 0x41ULL << 16, 0x18 | 1ULL << 18 }, absent = { 0, 0x18 };

	CHECK_EQ_INT(vtd_irt_add(&t, &absent), -EINVAL); /* only present entries are added */
	CHECK_EQ_INT(vtd_irt_add(&t, &e), 0);
	CHECK_EQ_INT(vtd_irt_add(&t, &e), 1);
	CHECK_EQ_U64(entries[1].lo, e.lo);
	CHECK_EQ_U64(entries[1].hi, e.hi);
	CHECK_EQ_U64(t.used, 2);
	CHECK_EQ_INT(vtd_irt_remove(&t, 0), 0);
	CHECK_EQ_U64(entries[0].lo, 0);
	CHECK_EQ_U64(entries[0].hi, 0);
	CHECK_EQ_INT(vtd_irt_remove(&t, 0), -EINVAL); /* not present any more */
	CHECK_EQ_INT(vtd_irt_remove(&t, 4), -EINVAL); /* beyond the table */
	CHECK_EQ_INT(vtd_irt_add(&t, &e), 0);		/* the freed slot first */
	CHECK_EQ_INT(vtd_irt_add(&t, &e), 2);
	CHECK_EQ_INT(vtd_irt_add(&t, &e), 3);
	CHECK_EQ_INT(vtd_irt_add(&t, &e), -ENOSPC);
	CHECK_EQ_U64(t.used, 4);
}

TEST(an_entry_built_and_placed_round_trips_through_the_msi)
{
	static const u32 ids[] = { 0, 2 };
	struct vtd_irte_spec s = { .sid = 0x0018, .vector = 0xe0, .dest = 2 };
	struct vtd_irt t = table();
	struct vtd_irte e;
	struct msi_info m;
	u32 addr, data;
	int index;

	REQUIRE(vtd_irte_build(&s, ids, 2, &e) == 0);
	REQUIRE(vtd_irt_add(&t, &e) == 0);
	index = vtd_irt_add(&t, &e);
	REQUIRE(index == 1);
	msi_remappable((u32)index, &addr, &data);
	REQUIRE(msi_decode(addr, data, &m) == 0);
	CHECK(m.remappable);
	CHECK_EQ_U64(m.index, 1);
	CHECK_EQ_U64(IRTE_VECTOR(entries[m.index].lo), 0xe0);
	CHECK_EQ_U64(IRTE_DST(entries[m.index].lo), 2 << 8);
	CHECK_EQ_U64(IRTE_SID(entries[m.index].hi), 0x18);
	/* A destination outside the VM builds no entry, so none is placed. */
	s.dest = 1;
	CHECK(vtd_irte_build(&s, ids, 2, &e) == -EINVAL);
	CHECK_EQ_INT(vtd_irt_add(&t, &e), -EINVAL);
}
