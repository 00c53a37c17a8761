// sources: hypervisor/arch/x86/acpi.c hypervisor/arch/x86/acpi_dmar.c hypervisor/arch/x86/acpi_madt.c hypervisor/arch/x86/acpi_parse.c hypervisor/core/format.c
/*
 * Malformed DMARs. Each is fatal (-EINVAL: DMA isolation would rest on it) with one line
 * naming the DMAR, the offset of the structure or device scope at fault, and the problem;
 * what came before the fault stays in struct acpi_info. Every table ends just before a guard
 * page, so a read past its end faults instead of passing unnoticed.
 */
#define _GNU_SOURCE
#include <plinth/errno.h>

#include "acpi_build.h"
#include "test.h"

static struct abt t;
static struct acpi_info info;

static int parse_dmar(void)
{
	u64 dmar = ab_finish_place(&t);

	return acpi_parse(ab_system(&dmar, 1), &info);
}

/* A good unit the bad structure follows: 0x30..0x48; the next structure is at 0x48. */
static void start_good(void)
{
	u32 u;

	ab_dmar(&t, 38, 0);
	u = ab_drhd(&t, 0, 0, 0, 0xfed90000);
	ab_scope(&t, ACPI_SCOPE_PCI_ENDPOINT, 0, 0, 2, 0);
	ab_end(&t, u);
}

/* The good unit survived the fault. */
#define CHECK_KEPT()                                                     \
	do {                                                             \
		CHECK(info.has_dmar);                                    \
		CHECK_EQ_U64(info.drhd_count, 1);                        \
		CHECK_EQ_U64(info.drhds[0].reg_base, 0xfed90000);        \
		CHECK_EQ_U64(info.drhds[0].scope_count, 1);              \
	} while (0)

TEST(shorter_than_fixed_part)
{
	ab_begin(&t, "DMAR", 1);
	ab_u8(&t, 38);
	ab_u8(&t, 0);
	ab_zeros(&t, 9); /* one reserved byte short */
	CHECK_ACPI_REJECTED(&info, parse_dmar(), "DMAR offset 0x4:",
			    "length 47 below the 48-byte fixed part");
	CHECK(info.has_dmar);
	CHECK_EQ_U64(info.drhd_count, 0);
	ab_release();
}

TEST(host_address_width_too_large)
{
	ab_dmar(&t, 64, 0);
	CHECK_ACPI_REJECTED(&info, parse_dmar(), "DMAR offset 0x24:",
			    "host address width field 64 means more than 64 bits");
	ab_dmar(&t, 63, 0);
	CHECK_ACPI_CLEAN(&info, parse_dmar());
	CHECK_EQ_U64(info.dmar_haw, 64);
	ab_release();
}

TEST(truncated_in_the_middle_of_a_drhd)
{
	u32 u;

	/* The table's length ends 20 bytes into a 24-byte DRHD, right at the guard page. */
	start_good();
	u = ab_drhd(&t, ACPI_DRHD_INCLUDE_PCI_ALL, 0, 0, 0xfed91000);
	ab_scope(&t, ACPI_SCOPE_IOAPIC, 0, 0xf0, 0x1f, 0);
	ab_end(&t, u);
	t.len = u + 20;
	CHECK_ACPI_REJECTED(&info, parse_dmar(), "DMAR offset 0x48:",
			    "DRHD (type 0) of 24 bytes runs past the table's end (20 bytes left)");
	CHECK_KEPT();
	ab_release();
}

TEST(structure_header_cut_off)
{
	start_good();
	ab_u16(&t, ACPI_DMAR_RMRR); /* the length field is beyond the table */
	CHECK_ACPI_REJECTED(&info, parse_dmar(), "DMAR offset 0x48:",
			    "structure header cut off by the table's end (2 bytes left)");
	CHECK_KEPT();
	ab_release();
}

TEST(structure_length_below_header)
{
	static const u16 lengths[] = { 0, 1, 3 };
	u32 i;

	for (i = 0; i < ARRAY_SIZE(lengths); i++) {
		start_good();
		ab_u16(&t, ACPI_DMAR_DRHD);
		ab_u16(&t, lengths[i]);
		ab_zeros(&t, 12);
		CHECK_ACPI_REJECTED(&info, parse_dmar(), "DMAR offset 0x48:", "DRHD (type 0) has length");
		CHECK_CONTAINS(info.error, "below its 4-byte header");
		CHECK_KEPT();
	}
	ab_release();
}

TEST(structure_smaller_than_fixed_part)
{
	static const struct {
		u16 type, len;
		const char *what;
	} cases[] = {
		{ ACPI_DMAR_DRHD, 12, "DRHD length 12 is smaller than its 16-byte fixed part" },
		{ ACPI_DMAR_RMRR, 20, "RMRR length 20 is smaller than its 24-byte fixed part" },
		{ ACPI_DMAR_ATSR, 6, "ATSR length 6 is smaller than its 8-byte fixed part" },
		{ ACPI_DMAR_RHSA, 16, "RHSA length 16 is smaller than its 20-byte fixed part" },
		{ ACPI_DMAR_ANDD, 7, "ANDD length 7 is smaller than its 8-byte fixed part" },
		{ ACPI_DMAR_SATC, 4, "SATC length 4 is smaller than its 8-byte fixed part" },
	};
	u32 i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		start_good();
		ab_u16(&t, cases[i].type);
		ab_u16(&t, cases[i].len);
		ab_zeros(&t, cases[i].len - 4u);
		CHECK_ACPI_REJECTED(&info, parse_dmar(), "DMAR offset 0x48:", cases[i].what);
		CHECK_KEPT();
		CHECK_EQ_U64(info.rmrr_count + info.atsr_count + info.andd_count, 0);
	}
	ab_release();
}

TEST(scope_length_not_6_plus_2n)
{
	static const u8 lengths[] = { 0, 1, 2, 6, 7, 9, 13 };
	u32 i, u;

	for (i = 0; i < ARRAY_SIZE(lengths); i++) {
		start_good();
		u = ab_drhd(&t, ACPI_DRHD_INCLUDE_PCI_ALL, 0, 0, 0xfed91000);
		ab_u8(&t, ACPI_SCOPE_IOAPIC);
		ab_u8(&t, lengths[i]);
		ab_zeros(&t, 14); /* room enough that only the length itself is wrong */
		ab_end(&t, u);
		CHECK_ACPI_REJECTED(&info, parse_dmar(), "DMAR offset 0x58:",
				    "DRHD device scope length");
		CHECK_CONTAINS(info.error, "is not 6 + 2n bytes with n >= 1");
		CHECK_KEPT();
	}
	ab_release();
}

TEST(scope_runs_past_its_structure)
{
	u32 u;

	/* The RMRR's length stops 2 bytes into its 10-byte scope; the DRHD after it is
	 * readable memory, but not the RMRR's. */
	start_good();
	u = ab_rmrr(&t, 0, 0x7d000000, 0x7d01ffff);
	ab_u8(&t, ACPI_SCOPE_PCI_ENDPOINT);
	ab_u8(&t, 10);
	ab_set16(&t, u + 2, 24 + 2);
	u = ab_drhd(&t, ACPI_DRHD_INCLUDE_PCI_ALL, 0, 0, 0xfed91000);
	ab_end(&t, u);
	CHECK_ACPI_REJECTED(&info, parse_dmar(), "DMAR offset 0x60:",
			    "RMRR device scope of 10 bytes runs past the RMRR's end (2 bytes left)");
	CHECK_KEPT();
	ab_release();
}

TEST(scope_header_cut_off)
{
	u32 u;

	start_good();
	u = ab_atsr(&t, ACPI_DMAR_ATSR, 0, 0);
	ab_u8(&t, ACPI_SCOPE_PCI_SUBHIERARCHY); /* one byte of a scope */
	ab_end(&t, u);
	CHECK_ACPI_REJECTED(&info, parse_dmar(), "DMAR offset 0x50:",
			    "ATSR device scope header cut off by the ATSR's end");
	ab_release();
}

TEST(scope_at_the_table_end)
{
	u32 u;

	/* A DRHD whose last scope ends exactly at the table's end and the guard page. */
	start_good();
	u = ab_drhd(&t, ACPI_DRHD_INCLUDE_PCI_ALL, 0, 0, 0xfed91000);
	ab_scope(&t, ACPI_SCOPE_IOAPIC, 2, 0xf0, 0x1f, 0);
	ab_end(&t, u);
	CHECK_ACPI_CLEAN(&info, parse_dmar());
	CHECK_EQ_U64(info.drhds[1].scopes[0].enum_id, 2);
	ab_release();
}

TEST(scope_path_out_of_range)
{
	static const u8 bad[][2] = { { 32, 0 }, { 0, 8 }, { 0xff, 0xff } };
	u8 path[4] = { 0x1c, 0 };
	u32 i, u;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		start_good();
		u = ab_rmrr(&t, 0, 0x7d000000, 0x7d01ffff);
		path[2] = bad[i][0];
		path[3] = bad[i][1];
		ab_scope_path(&t, ACPI_SCOPE_PCI_ENDPOINT, 0, 0, path, 2);
		ab_end(&t, u);
		CHECK_ACPI_REJECTED(&info, parse_dmar(), "DMAR offset 0x60:",
				    "RMRR device scope path entry 1 is");
		CHECK_CONTAINS(info.error, "beyond device 31 function 7");
		CHECK_KEPT();
	}
	ab_release();
}

TEST(rmrr_limit_below_base)
{
	u32 u;

	start_good();
	u = ab_rmrr(&t, 0, 0x7d000000, 0x7cffffff);
	ab_scope(&t, ACPI_SCOPE_PCI_ENDPOINT, 0, 0, 0x14, 0);
	ab_end(&t, u);
	CHECK_ACPI_REJECTED(&info, parse_dmar(), "DMAR offset 0x48:",
			    "RMRR limit 0x7cffffff lies below its base 0x7d000000");
	CHECK_EQ_U64(info.rmrr_count, 0);
	CHECK_KEPT();
	ab_release();
}

TEST(rmrr_misaligned)
{
	static const u64 ranges[][2] = {
		{ 0x7d000800, 0x7d01ffff }, /* base */
		{ 0x7d000000, 0x7d01fffe }, /* limit + 1 */
		{ 0x7d000000, 0x7d020000 }, /* limit given as an exclusive end */
		{ 0x7d000001, 0x7d000001 },
	};
	u32 i, u;

	for (i = 0; i < ARRAY_SIZE(ranges); i++) {
		start_good();
		u = ab_rmrr(&t, 0, ranges[i][0], ranges[i][1]);
		ab_scope(&t, ACPI_SCOPE_PCI_ENDPOINT, 0, 0, 0x14, 0);
		ab_end(&t, u);
		CHECK_ACPI_REJECTED(&info, parse_dmar(), "DMAR offset 0x48:",
				    "is not 4 KiB-aligned (base and limit + 1 must be)");
		CHECK_EQ_U64(info.rmrr_count, 0);
	}
	ab_release();
}

TEST(drhd_register_base_bad)
{
	static const u64 bases[] = { 0, 0xfed90800, 0xfed90004 };
	u32 i, u;

	for (i = 0; i < ARRAY_SIZE(bases); i++) {
		start_good();
		u = ab_drhd(&t, ACPI_DRHD_INCLUDE_PCI_ALL, 0, 0, bases[i]);
		ab_end(&t, u);
		CHECK_ACPI_REJECTED(&info, parse_dmar(), "DMAR offset 0x48:",
				    "is not a non-zero 4 KiB-aligned address");
		CHECK_KEPT();
	}
	ab_release();
}

TEST(error_after_dropped_units_still_found)
{
	u32 i, u;

	/* Units past the limit are not kept, but their scopes are still checked. */
	ab_dmar(&t, 38, 0);
	for (i = 0; i <= ACPI_DMAR_MAX_DRHDS; i++) {
		u = ab_drhd(&t, 0, 0, 0, 0xfed00000 + i * 0x1000);
		if (i == ACPI_DMAR_MAX_DRHDS) {
			ab_u8(&t, ACPI_SCOPE_PCI_ENDPOINT);
			ab_u8(&t, 7);
			ab_zeros(&t, 6);
		}
		ab_end(&t, u);
	}
	CHECK_ACPI_REJECTED(&info, parse_dmar(), ab_at("DMAR", 0x30 + 16 * 16 + 16),
			    "DRHD device scope length 7");
	CHECK_CONTAINS(info.warning, "more than 16 DRHDs");
	ab_release();
}
