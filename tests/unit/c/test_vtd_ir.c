// sources: hypervisor/arch/x86/vtd_ir.c hypervisor/arch/x86/irq_policy.c
/*
 * VT-d interrupt remapping's pure part (arch/x86/vtd_ir.c) against the bit positions of the
 * VT-d specification, spelled out here rather than taken from the code: an entry built for a
 * device vector in xAPIC and x2APIC form, refused for a destination outside the VM; MSI
 * address/data decoded in both formats, with reserved bits and non-interrupt addresses
 * refused; remappable MSI and I/O APIC entries round-trip their index; fault reasons named.
 */
#include <plinth/errno.h>
#include <x86/vtd_ir.h>

#include "test.h"

static const u32 ids[] = { 1, 6, 300 };

static struct vtd_irte_spec spec(u32 dest, bool x2apic)
{
	return (struct vtd_irte_spec){ .sid = 0x0018, .sq = VTD_SQ_ALL, .vector = 0x45, .dest = dest, .x2apic = x2apic };
}

TEST(xapic_entry_layout)
{
	struct vtd_irte_spec s = spec(6, false);
	struct vtd_irte e;

	REQUIRE(vtd_irte_build(&s, ids, 3, &e) == 0);
	/* Low: P (0), FPD 0 (1), DM physical (2), RH 0 (3), TM edge (4), DLM fixed (7:5),
	 * IM remapped (15), vector 23:16, xAPIC destination 47:40. */
	CHECK_EQ_U64(e.lo, 0x1ULL | 0x45ULL << 16 | 6ULL << 40);
	/* High: SID 15:0, SQ 17:16, SVT 19:18 = 01 (verify requester id). */
	CHECK_EQ_U64(e.hi, 0x0018ULL | 1ULL << 18);
	CHECK(e.lo & IRTE_P);
	CHECK(!(e.lo & (IRTE_FPD | IRTE_DM | IRTE_RH | IRTE_TM | IRTE_IM)));
	CHECK_EQ_U64(IRTE_DLM(e.lo), IRQ_DELIVERY_FIXED);
	CHECK_EQ_U64(IRTE_VECTOR(e.lo), 0x45);
	CHECK_EQ_U64(IRTE_DST(e.lo), 6 << 8);
	CHECK_EQ_U64(IRTE_SID(e.hi), 0x18);
	CHECK_EQ_U64(IRTE_SQ(e.hi), VTD_SQ_ALL);
	CHECK_EQ_U64(IRTE_SVT(e.hi), VTD_SVT_SID);
	s.level = true;
	s.sq = VTD_SQ_IGNORE_2_0;
	REQUIRE(vtd_irte_build(&s, ids, 3, &e) == 0);
	CHECK_EQ_U64(e.lo, 0x1ULL | 1ULL << 4 | 0x45ULL << 16 | 6ULL << 40);
	CHECK_EQ_U64(e.hi, 0x0018ULL | 3ULL << 16 | 1ULL << 18);
}

TEST(every_source_qualifier)
{
	static const u8 sq[] = { VTD_SQ_ALL, VTD_SQ_IGNORE_2, VTD_SQ_IGNORE_2_1, VTD_SQ_IGNORE_2_0 };
	struct vtd_irte_spec s = spec(1, false);
	struct vtd_irte e;
	u32 i;

	/* SQ is bits 17:16, 0 to 3 in the specification's order; the source is always verified. */
	for (i = 0; i < ARRAY_SIZE(sq); i++) {
		s.sq = sq[i];
		REQUIRE(vtd_irte_build(&s, ids, 3, &e) == 0);
		CHECK_EQ_U64((e.hi >> 16) & 3, i);
		CHECK(IRTE_SVT(e.hi) != VTD_SVT_NONE);
	}
}

TEST(x2apic_entry_layout)
{
	struct vtd_irte_spec s = spec(300, true);
	struct vtd_irte e;

	REQUIRE(vtd_irte_build(&s, ids, 3, &e) == 0);
	CHECK_EQ_U64(e.lo, 0x1ULL | 0x45ULL << 16 | 300ULL << 32);
	CHECK_EQ_U64(IRTE_DST(e.lo), 300);
	s.dest = 1;
	REQUIRE(vtd_irte_build(&s, ids, 3, &e) == 0);
	CHECK_EQ_U64(IRTE_DST(e.lo), 1); /* an x2APIC ID in the low bits, not 15:8 */
	CHECK_EQ_U64(IRTE_DST_XAPIC(1), 1ULL << 40);
	CHECK_EQ_U64(IRTE_DST_X2APIC(1), 1ULL << 32);
}

TEST(bus_range_entry)
{
	struct vtd_irte_spec s = spec(1, false);
	struct vtd_irte e;

	s.bus_range = true;
	s.sid = 0x0305; /* buses 3..5 behind a PCIe-to-PCI bridge */
	s.sq = 3;	/* ignored */
	REQUIRE(vtd_irte_build(&s, ids, 3, &e) == 0);
	CHECK_EQ_U64(e.hi, 0x0305ULL | 2ULL << 18);
	CHECK_EQ_U64(IRTE_SVT(e.hi), VTD_SVT_BUS);
	s.sid = 0x0503;
	CHECK_EQ_INT(vtd_irte_build(&s, ids, 3, &e), -EINVAL);
	s.sid = 0x0404;
	CHECK_EQ_INT(vtd_irte_build(&s, ids, 3, &e), 0);
}

TEST(entries_aimed_outside_the_vm_are_refused)
{
	struct vtd_irte_spec s;
	struct vtd_irte e;
	u32 d;

	for (d = 0; d < 1024; d++) {
		bool ours = d == 1 || d == 6 || d == 300;

		s = spec(d, true);
		CHECK_EQ_INT(vtd_irte_build(&s, ids, 3, &e), ours ? 0 : -EINVAL);
		s = spec(d, false);
		CHECK_EQ_INT(vtd_irte_build(&s, ids, 3, &e), ours && d <= 254 ? 0 : -EINVAL);
	}
	s = spec(0xffffffffu, true);
	CHECK_EQ_INT(vtd_irte_build(&s, (const u32[]){ 0xffffffffu }, 1, &e), -EINVAL); /* broadcast */
	s = spec(0xff, false);
	CHECK_EQ_INT(vtd_irte_build(&s, (const u32[]){ 0xff }, 1, &e), -EINVAL);
	s = spec(1, false);
	s.vector = 0x0f;
	CHECK_EQ_INT(vtd_irte_build(&s, ids, 3, &e), -EINVAL);
	CHECK_EQ_U64(e.lo | e.hi, 0); /* a refused entry is not present */
	s.vector = 0x10;
	CHECK_EQ_INT(vtd_irte_build(&s, ids, 3, &e), 0);
	s.sq = 4;
	CHECK_EQ_INT(vtd_irte_build(&s, ids, 3, &e), -EINVAL);
	CHECK_EQ_INT(vtd_irte_build(&s, ids, 0, &e), -EINVAL);
}

TEST(compatibility_msi_decode)
{
	struct msi_info m;

	/* Linux without remapping: 0xfee00000 | dest << 12, data = vector (fixed, edge). */
	REQUIRE(msi_decode(0xfee06000, 0x0041, &m) == 0);
	CHECK(!m.remappable);
	CHECK_EQ_U64(m.target.dest, 6);
	CHECK(!m.target.logical);
	CHECK_EQ_U64(m.target.delivery, IRQ_DELIVERY_FIXED);
	CHECK_EQ_U64(m.target.vector, 0x41);
	CHECK(!m.rh && !m.level);
	CHECK_EQ_U64(msi_check(&m, ids, 3), IRQ_OK);
	REQUIRE(msi_decode(0xfeeff00cULL, 0xc441, &m) == 0); /* RH, DM, NMI, level, assert */
	CHECK_EQ_U64(m.target.dest, 0xff);
	CHECK(m.target.logical && m.rh && m.level && m.assert);
	CHECK_EQ_U64(m.target.delivery, IRQ_DELIVERY_NMI);
	CHECK_EQ_U64(msi_check(&m, ids, 3), IRQ_REFUSE_LOGICAL);
	REQUIRE(msi_decode(0xfee00000, 0x0041, &m) == 0);
	CHECK_EQ_U64(msi_check(&m, ids, 3), IRQ_REFUSE_DEST); /* CPU 0 is another VM's */
	REQUIRE(msi_decode(0xfee01000, 0x0441, &m) == 0);
	CHECK_EQ_U64(msi_check(&m, ids, 3), IRQ_REFUSE_DELIVERY);
	REQUIRE(msi_decode(0xfee01000, 0x0141, &m) == 0);
	CHECK_EQ_U64(msi_check(&m, ids, 3), IRQ_OK); /* lowest priority, one CPU */
	REQUIRE(msi_decode(0xfee01000, 0x0005, &m) == 0);
	CHECK_EQ_U64(msi_check(&m, ids, 3), IRQ_REFUSE_VECTOR);
	REQUIRE(msi_decode(0xfeeff000, 0x0041, &m) == 0);
	CHECK_EQ_U64(msi_check(&m, (const u32[]){ 0xff }, 1), IRQ_REFUSE_DEST); /* broadcast */
}

TEST(msi_addresses_that_are_no_interrupts)
{
	struct msi_info m;
	u32 bit;

	CHECK_EQ_INT(msi_decode(0xfed00000, 0x41, &m), -EINVAL);
	CHECK_EQ_INT(msi_decode(0xfef00000, 0x41, &m), -EINVAL);
	CHECK_EQ_INT(msi_decode(0, 0, &m), -EINVAL);
	CHECK_EQ_INT(msi_decode(0x1fee00000ULL, 0x41, &m), -EINVAL); /* above 4 GiB */
	CHECK_EQ_INT(msi_decode(~0ULL, ~0u, &m), -EINVAL);
	/* Compatibility reserved bits 11:5, each. */
	for (bit = 5; bit <= 11; bit++)
		CHECK_EQ_INT(msi_decode(0xfee01000 | 1u << bit, 0x41, &m), -EINVAL);
	CHECK_EQ_INT(msi_decode(0xfee01003, 0x41, &m), 0); /* bits 1:0 are don't-care */
}

TEST(remappable_msi_decode_and_build)
{
	struct msi_info m;
	u32 addr, data, index;

	/* Handle 0x1234, no subhandle. */
	REQUIRE(msi_decode(0xfee00000 | 0x1234 << 5 | 1 << 4, 0, &m) == 0);
	CHECK(m.remappable && !m.shv);
	CHECK_EQ_U64(m.index, 0x1234);
	CHECK_EQ_U64(msi_check(&m, ids, 3), IRQ_REFUSE_DEST);
	/* Handle bit 15 is address bit 2; SHV adds the subhandle from the data. */
	REQUIRE(msi_decode(0xfee00000 | 0x10 << 5 | 1 << 4 | 1 << 3 | 1 << 2, 3, &m) == 0);
	CHECK(m.shv);
	CHECK_EQ_U64(m.index, 0x8010 + 3);
	REQUIRE(msi_decode(0xfee00000 | 0x10 << 5 | 1 << 4, 3, &m) == 0); /* data ignored without SHV */
	CHECK_EQ_U64(m.index, 0x10);
	CHECK_EQ_INT(msi_decode(0xfee00010, 0x10000, &m), -EINVAL);
	/* Every index goes out and comes back. */
	for (index = 0; index < 0x10000; index++) {
		msi_remappable(index, &addr, &data);
		if (msi_decode(addr, data, &m) || m.index != index || !m.remappable || m.shv || data)
			break;
	}
	CHECK_EQ_U64(index, 0x10000);
	msi_remappable(0xffff, &addr, &data);
	CHECK_EQ_U64(addr, 0xfeeffff4u);
}

TEST(ioapic_entry_in_remappable_format)
{
	/* A checked compatibility entry: destination 6, level, active low, vector 0x31. */
	u64 rte = 6ULL << 56 | 1ULL << 15 | 1ULL << 13 | 0x31;

	/* Bit 48 format, handle 14:0 in 63:49, handle 15 in bit 11, delivery bits 10:8 zero. */
	CHECK_EQ_U64(ioapic_rte_remappable(0x8005, rte), 5ULL << 49 | 1ULL << 48 | 1ULL << 15 | 1ULL << 13 | 1ULL << 11 | 0x31);
	CHECK_EQ_U64(ioapic_rte_remappable(0, rte | 1ULL << 16 | 1ULL << 11 | 1ULL << 8),
		     1ULL << 48 | 1ULL << 16 | 1ULL << 15 | 1ULL << 13 | 0x31);
	CHECK_EQ_U64(ioapic_rte_remappable(0x7fff, 0), 0x7fffULL << 49 | 1ULL << 48);
}

TEST(fault_reasons_are_named)
{
	const char *seen[8];
	u32 r, i;

	for (r = 0; r < 0x100; r++) {
		CHECK_EQ_INT(vtd_ir_fault((u8)r), r >= 0x20 && r <= 0x27);
		CHECK_EQ_INT(vtd_ir_fault_name((u8)r) != NULL, r >= 0x20 && r <= 0x27);
	}
	for (r = 0x20; r <= 0x27; r++) {
		seen[r - 0x20] = vtd_ir_fault_name((u8)r);
		for (i = 0x20; i < r; i++)
			CHECK(strcmp(seen[i - 0x20], seen[r - 0x20]) != 0);
	}
	CHECK_CONTAINS(vtd_ir_fault_name(0x22), "not present");
	CHECK_CONTAINS(vtd_ir_fault_name(0x25), "compatibility-format");
	CHECK_CONTAINS(vtd_ir_fault_name(0x26), "source-id");
	CHECK_EQ_U64(VTD_IR_FAULT_INDEX(0x1234000000000000ULL | 0xfff), 0x1234);
}
