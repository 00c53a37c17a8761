// sources: hypervisor/arch/x86/acpi.c hypervisor/arch/x86/acpi_dmar.c hypervisor/arch/x86/acpi_madt.c hypervisor/arch/x86/acpi_parse.c hypervisor/core/format.c
/*
 * The MADT (ACPI 5.2.12) as acpi_parse reads it: local APIC and x2APIC CPUs, IOAPICs,
 * interrupt source overrides, NMI entries, the address override, the limits; and a malformed
 * MADT (an entry of length 0, too short for its type, or running past the table's end) is
 * rejected with its offset, keeping what came before it. Every table ends just before a
 * guard page, so a read past its end faults.
 */
#define _GNU_SOURCE
#include <plinth/errno.h>

#include "acpi_build.h"
#include "test.h"

static struct abt t;
static struct acpi_info info;

/* Finishes the MADT in t, places it behind an XSDT and an RSDP and parses. */
static int parse_madt(void)
{
	u64 madt = ab_finish_place(&t);

	return acpi_parse(ab_system(&madt, 1), &info);
}

/* The same without ab_finish: the length and checksum are what the test wrote. */
static int parse_madt_as_is(void)
{
	u64 madt = ab_place(&t);

	return acpi_parse(ab_system(&madt, 1), &info);
}

#define CHECK_CPU(i, id, uid_, en, oc, x2)                         \
	do {                                                       \
		CHECK_EQ_U64(info.cpus[i].apic_id, id);            \
		CHECK_EQ_U64(info.cpus[i].uid, uid_);              \
		CHECK_EQ_INT(info.cpus[i].enabled, en);            \
		CHECK_EQ_INT(info.cpus[i].online_capable, oc);     \
		CHECK_EQ_INT(info.cpus[i].x2apic, x2);             \
	} while (0)

TEST(q35_madt)
{
	ab_q35_madt(&t);
	CHECK_ACPI_CLEAN(&info, parse_madt());
	REQUIRE(info.has_madt);
	CHECK_EQ_U64(info.lapic_addr, 0xfee00000);
	CHECK(!info.lapic_addr_overridden);
	CHECK_EQ_U64(info.madt_flags, ACPI_MADT_PCAT_COMPAT);

	REQUIRE_EQ_U64(info.cpu_count, 2);
	CHECK_CPU(0, 0, 0, true, false, false);
	CHECK_CPU(1, 1, 1, true, false, false);
	CHECK(acpi_cpu_usable(&info.cpus[1]));

	REQUIRE_EQ_U64(info.ioapic_count, 1);
	CHECK_EQ_U64(info.ioapics[0].id, 0);
	CHECK_EQ_U64(info.ioapics[0].addr, 0xfec00000);
	CHECK_EQ_U64(info.ioapics[0].gsi_base, 0);

	REQUIRE_EQ_U64(info.override_count, 5);
	CHECK_EQ_U64(info.overrides[0].bus, 0);
	CHECK_EQ_U64(info.overrides[0].irq, 0);
	CHECK_EQ_U64(info.overrides[0].gsi, 2);
	CHECK_EQ_U64(info.overrides[0].flags, 0);
	CHECK_EQ_U64(info.overrides[4].irq, 11);
	CHECK_EQ_U64(info.overrides[4].gsi, 11);
	CHECK_EQ_U64(info.overrides[4].flags, 0xd); /* level-triggered, active high */

	REQUIRE_EQ_U64(info.nmi_count, 1);
	CHECK_EQ_U64(info.nmis[0].uid, ACPI_NMI_ALL_CPUS); /* 0xff: every processor */
	CHECK_EQ_U64(info.nmis[0].lint, 1);
	CHECK_EQ_U64(info.nmis[0].flags, 0);
	ab_release();
}

TEST(disabled_and_online_capable_cpus)
{
	ab_madt(&t, 0xfee00000, 0);
	ab_lapic(&t, 0, 0, ACPI_LAPIC_ENABLED);
	ab_lapic(&t, 1, 2, 0);				/* not present: to be ignored */
	ab_lapic(&t, 2, 4, ACPI_LAPIC_ONLINE_CAPABLE);	/* hot-pluggable */
	ab_lapic(&t, 3, 6, ACPI_LAPIC_ENABLED | 0xf0);	/* reserved bits do not matter */
	CHECK_ACPI_CLEAN(&info, parse_madt());
	CHECK_EQ_U64(info.madt_flags, 0);
	REQUIRE_EQ_U64(info.cpu_count, 4);
	CHECK_CPU(0, 0, 0, true, false, false);
	CHECK_CPU(1, 2, 1, false, false, false);
	CHECK(!acpi_cpu_usable(&info.cpus[1]));
	CHECK_CPU(2, 4, 2, false, true, false);
	CHECK(acpi_cpu_usable(&info.cpus[2]));
	CHECK_CPU(3, 6, 3, true, false, false);
	ab_release();
}

TEST(x2apic_entries)
{
	ab_madt(&t, 0xfee00000, ACPI_MADT_PCAT_COMPAT);
	ab_lapic(&t, 0, 0, ACPI_LAPIC_ENABLED);
	ab_x2apic(&t, 0x100, ACPI_LAPIC_ENABLED, 0x1000);
	ab_x2apic(&t, 0xfffffffe, ACPI_LAPIC_ENABLED, 0xabcdef01);
	ab_x2apic(&t, 0x102, ACPI_LAPIC_ONLINE_CAPABLE, 7);
	ab_x2apic_nmi(&t, 0xffffffff, 0x5, 1);
	ab_x2apic_nmi(&t, 0x1000, 0, 0);
	CHECK_ACPI_CLEAN(&info, parse_madt());
	REQUIRE_EQ_U64(info.cpu_count, 4);
	CHECK_CPU(0, 0, 0, true, false, false);
	CHECK_CPU(1, 0x100, 0x1000, true, false, true);
	CHECK_CPU(2, 0xfffffffe, 0xabcdef01, true, false, true);
	CHECK_CPU(3, 0x102, 7, false, true, true);
	REQUIRE_EQ_U64(info.nmi_count, 2);
	CHECK_EQ_U64(info.nmis[0].uid, ACPI_NMI_ALL_CPUS);
	CHECK_EQ_U64(info.nmis[0].flags, 5);
	CHECK_EQ_U64(info.nmis[0].lint, 1);
	CHECK_EQ_U64(info.nmis[1].uid, 0x1000);
	CHECK_EQ_U64(info.nmis[1].lint, 0);
	ab_release();
}

TEST(lapic_nmi_for_one_cpu)
{
	ab_madt(&t, 0xfee00000, 0);
	ab_lapic(&t, 0, 0, ACPI_LAPIC_ENABLED);
	ab_lapic_nmi(&t, 0, 0xa, 0);
	CHECK_ACPI_CLEAN(&info, parse_madt());
	REQUIRE_EQ_U64(info.nmi_count, 1);
	CHECK_EQ_U64(info.nmis[0].uid, 0);
	CHECK_EQ_U64(info.nmis[0].flags, 0xa);
	CHECK_EQ_U64(info.nmis[0].lint, 0);
	ab_release();
}

TEST(lapic_address_override)
{
	ab_madt(&t, 0xfee00000, 0);
	ab_lapic(&t, 0, 0, ACPI_LAPIC_ENABLED);
	ab_lapic_override(&t, 0x1fee00000ull);
	CHECK_ACPI_CLEAN(&info, parse_madt());
	CHECK_EQ_U64(info.lapic_addr, 0x1fee00000ull);
	CHECK(info.lapic_addr_overridden);
	ab_release();
}

TEST(several_ioapics)
{
	ab_madt(&t, 0xfee00000, 0);
	ab_ioapic(&t, 8, 0xfec00000, 0);
	ab_ioapic(&t, 9, 0xfec01000, 24);
	ab_ioapic(&t, 10, 0xfec40000, 48);
	CHECK_ACPI_CLEAN(&info, parse_madt());
	REQUIRE_EQ_U64(info.ioapic_count, 3);
	CHECK_EQ_U64(info.ioapics[1].id, 9);
	CHECK_EQ_U64(info.ioapics[1].addr, 0xfec01000);
	CHECK_EQ_U64(info.ioapics[1].gsi_base, 24);
	CHECK_EQ_U64(info.ioapics[2].gsi_base, 48);
	CHECK_EQ_U64(info.cpu_count, 0);
	ab_release();
}

TEST(unknown_and_longer_entries)
{
	u8 gicc[80] = { 0xb, 80 };
	u8 odd[4] = { 0x7f, 4, 0xaa, 0xbb };

	/* Entries of other architectures or newer revisions are stepped over by their
	 * length; a known entry longer than its type needs is read by its known fields. */
	ab_madt(&t, 0xfee00000, 0);
	ab_put(&t, gicc, sizeof(gicc));
	ab_put(&t, odd, sizeof(odd));
	ab_u8(&t, ACPI_MADT_LAPIC);
	ab_u8(&t, 10);
	ab_u8(&t, 3);
	ab_u8(&t, 5);
	ab_u32(&t, ACPI_LAPIC_ENABLED);
	ab_u16(&t, 0xffff);
	ab_lapic(&t, 4, 6, ACPI_LAPIC_ENABLED);
	CHECK_ACPI_CLEAN(&info, parse_madt());
	REQUIRE_EQ_U64(info.cpu_count, 2);
	CHECK_CPU(0, 5, 3, true, false, false);
	CHECK_CPU(1, 6, 4, true, false, false);
	ab_release();
}

TEST(empty_madt)
{
	ab_madt(&t, 0xfee00000, ACPI_MADT_PCAT_COMPAT);
	CHECK_ACPI_CLEAN(&info, parse_madt());
	CHECK(info.has_madt);
	CHECK_EQ_U64(info.cpu_count, 0);
	CHECK_EQ_U64(info.madt_flags, ACPI_MADT_PCAT_COMPAT);
	ab_release();
}

TEST(duplicate_apic_id_keeps_first)
{
	int rc;

	/* Firmware listing a CPU both as xAPIC and x2APIC: starting it twice would hang. */
	ab_madt(&t, 0xfee00000, 0);
	ab_lapic(&t, 0, 0, ACPI_LAPIC_ENABLED);
	ab_lapic(&t, 1, 1, ACPI_LAPIC_ENABLED);
	ab_x2apic(&t, 1, ACPI_LAPIC_ENABLED, 9);
	ab_lapic(&t, 2, 0xff, 0); /* disabled placeholders may repeat */
	ab_lapic(&t, 3, 0xff, 0);
	rc = parse_madt();
	CHECK_ACPI_WARNED(&info, rc, "MADT offset 0x3c:",
			  "APIC id 0x1 is listed again; the first entry is kept");
	REQUIRE_EQ_U64(info.cpu_count, 4);
	CHECK_CPU(1, 1, 1, true, false, false);
	CHECK_CPU(2, 0xff, 2, false, false, false);
	CHECK_CPU(3, 0xff, 3, false, false, false);
	ab_release();
}

TEST(cpu_limit)
{
	u32 i;
	int rc;

	ab_madt(&t, 0xfee00000, 0);
	for (i = 0; i < ACPI_MAX_CPUS + 10; i++)
		ab_x2apic(&t, i, ACPI_LAPIC_ENABLED, i);
	ab_ioapic(&t, 1, 0xfec00000, 0); /* after the dropped ones: still read */
	rc = parse_madt();
	CHECK_ACPI_WARNED(&info, rc, ab_at("MADT", AB_MADT_ENTRIES + ACPI_MAX_CPUS * 16),
			  "more than 256 CPUs; the rest are ignored");
	CHECK(info.truncated);
	CHECK_EQ_U64(info.cpu_count, ACPI_MAX_CPUS);
	CHECK_EQ_U64(info.cpus[255].apic_id, 255);
	CHECK_EQ_U64(info.ioapic_count, 1);
	ab_release();
}

TEST(ioapic_and_override_limits)
{
	u32 i;
	int rc;

	ab_madt(&t, 0xfee00000, 0);
	for (i = 0; i < ACPI_MAX_IOAPICS + 1; i++)
		ab_ioapic(&t, (u8)i, 0xfec00000 + i * 0x1000, i * 24);
	for (i = 0; i < ACPI_MAX_OVERRIDES + 1; i++)
		ab_iso(&t, 0, (u8)i, i, 0);
	for (i = 0; i < ACPI_MAX_NMIS + 1; i++)
		ab_lapic_nmi(&t, (u8)i, 0, 1);
	rc = parse_madt();
	CHECK_ACPI_WARNED(&info, rc, ab_at("MADT", AB_MADT_ENTRIES + ACPI_MAX_IOAPICS * 12),
			  "more than 16 IOAPICs");
	CHECK(info.truncated);
	CHECK_EQ_U64(info.ioapic_count, ACPI_MAX_IOAPICS);
	CHECK_EQ_U64(info.ioapics[15].gsi_base, 15 * 24);
	CHECK_EQ_U64(info.override_count, ACPI_MAX_OVERRIDES);
	CHECK_EQ_U64(info.overrides[31].irq, 31);
	CHECK_EQ_U64(info.nmi_count, ACPI_MAX_NMIS);
	ab_release();
}

/* Bad tables */

TEST(entry_length_zero)
{
	ab_madt(&t, 0xfee00000, 0);
	ab_lapic(&t, 0, 0, ACPI_LAPIC_ENABLED);
	ab_u8(&t, ACPI_MADT_LAPIC);
	ab_u8(&t, 0); /* would loop forever if taken as a step */
	ab_zeros(&t, 6);
	ab_lapic(&t, 1, 1, ACPI_LAPIC_ENABLED);
	CHECK_ACPI_REJECTED(&info, parse_madt(), "MADT offset 0x34:",
			    "local APIC entry (type 0) has length 0, below its 8 bytes");
	CHECK_EQ_U64(info.cpu_count, 1); /* what came before is kept */
	ab_release();
}

TEST(unknown_entry_length_zero_or_one)
{
	u8 len;

	for (len = 0; len < 2; len++) {
		ab_madt(&t, 0xfee00000, 0);
		ab_u8(&t, 0x42);
		ab_u8(&t, len);
		ab_zeros(&t, 2);
		CHECK_ACPI_REJECTED(&info, parse_madt(), "MADT offset 0x2c:", "(type 66) has length");
		CHECK_CONTAINS(info.error, "below its 2 bytes");
	}
	ab_release();
}

TEST(entry_too_short_for_its_type)
{
	static const struct {
		u8 type, len;
		const char *what;
	} cases[] = {
		{ ACPI_MADT_LAPIC, 7, "local APIC entry (type 0) has length 7, below its 8 bytes" },
		{ ACPI_MADT_IOAPIC, 8, "IOAPIC entry (type 1) has length 8, below its 12 bytes" },
		{ ACPI_MADT_ISO, 8, "interrupt source override entry (type 2) has length 8, below its 10" },
		{ ACPI_MADT_LAPIC_NMI, 4, "local APIC NMI entry (type 4) has length 4, below its 6" },
		{ ACPI_MADT_LAPIC_OVERRIDE, 8, "address override entry (type 5) has length 8, below its 12" },
		{ ACPI_MADT_X2APIC, 8, "local x2APIC entry (type 9) has length 8, below its 16 bytes" },
		{ ACPI_MADT_X2APIC_NMI, 6, "x2APIC NMI entry (type 10) has length 6, below its 12" },
	};
	u32 i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ab_madt(&t, 0xfee00000, 0);
		ab_ioapic(&t, 0, 0xfec00000, 0);
		ab_u8(&t, cases[i].type);
		ab_u8(&t, cases[i].len);
		ab_zeros(&t, cases[i].len - 2);
		CHECK_ACPI_REJECTED(&info, parse_madt(), "MADT offset 0x38:", cases[i].what);
		CHECK_EQ_U64(info.ioapic_count, 1);
		CHECK(!info.lapic_addr_overridden);
	}
	ab_release();
}

TEST(entry_past_the_end)
{
	/* The last entry says 16 bytes; the table ends 8 bytes into it, at a guard page. */
	ab_madt(&t, 0xfee00000, 0);
	ab_lapic(&t, 0, 0, ACPI_LAPIC_ENABLED);
	ab_u8(&t, ACPI_MADT_X2APIC);
	ab_u8(&t, 16);
	ab_zeros(&t, 6);
	CHECK_ACPI_REJECTED(&info, parse_madt(), "MADT offset 0x34:",
			    "local x2APIC entry (type 9) of 16 bytes runs past the table's end (8 bytes left)");
	CHECK_EQ_U64(info.cpu_count, 1);
	ab_release();
}

TEST(entry_header_cut_off)
{
	/* One byte left after the last entry: its length byte is beyond the table. */
	ab_madt(&t, 0xfee00000, 0);
	ab_lapic(&t, 0, 0, ACPI_LAPIC_ENABLED);
	ab_u8(&t, ACPI_MADT_LAPIC);
	CHECK_ACPI_REJECTED(&info, parse_madt(), "MADT offset 0x34:",
			    "entry header cut off by the table's end (1 byte left)");
	ab_release();
}

TEST(length_field_shorter_than_entries)
{
	/* The header's length stops in the middle of the second entry; the bytes after it
	 * exist but belong to no table. */
	ab_madt(&t, 0xfee00000, 0);
	ab_lapic(&t, 0, 0, ACPI_LAPIC_ENABLED);
	ab_ioapic(&t, 0, 0xfec00000, 0);
	ab_set32(&t, 4, AB_MADT_ENTRIES + 8 + 6);
	ab_fix_checksum(&t);
	CHECK_ACPI_REJECTED(&info, parse_madt_as_is(), "MADT offset 0x34:",
			    "IOAPIC entry (type 1) of 12 bytes runs past the table's end (6 bytes left)");
	CHECK_EQ_U64(info.ioapic_count, 0);
	ab_release();
}

TEST(madt_shorter_than_fixed_part)
{
	ab_begin(&t, "APIC", 5);
	ab_u32(&t, 0xfee00000); /* no flags field */
	CHECK_ACPI_REJECTED(&info, parse_madt(), "MADT offset 0x4:",
			    "length 40 below the 44-byte fixed part");
	CHECK(info.has_madt);
	ab_release();
}
