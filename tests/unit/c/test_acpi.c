// sources: hypervisor/arch/x86/acpi.c hypervisor/arch/x86/acpi_dmar.c hypervisor/arch/x86/acpi_madt.c hypervisor/arch/x86/acpi_parse.c hypervisor/core/format.c
/*
 * acpi_parse and acpi_parse_rsdp_copy: finding the tables. The RSDP (revisions 0 and 2, in
 * memory and as the multiboot2 copy), XSDT preferred over the RSDT, the table list, and what
 * a bad RSDP, root table or entry does: a bad RSDP or root table is fatal; a bad entry or an
 * unrelated table with a bad checksum is skipped with a warning; a bad MADT or DMAR is fatal.
 * The MADT and DMAR contents are tested in test_acpi_madt.c and test_acpi_dmar.c.
 */
#define _GNU_SOURCE
#include <plinth/errno.h>

#include "acpi_build.h"
#include "test.h"

static struct abt t;
static struct acpi_info info;

static u64 q35_madt(void)
{
	ab_q35_madt(&t);
	return ab_finish_place(&t);
}

static u64 q35_dmar(void)
{
	ab_q35_dmar(&t);
	return ab_finish_place(&t);
}

/* Is the table sig at pa with len bytes in the list? */
static bool listed(const char *sig, u64 pa, u32 len)
{
	u32 i;

	for (i = 0; i < info.table_count; i++)
		if (!strcmp(info.tables[i].sig, sig) && info.tables[i].pa == pa &&
		    info.tables[i].length == len)
			return true;
	return false;
}

TEST(q35_rsdp_rev2_xsdt)
{
	u64 tables[3];
	u64 xsdt;
	u8 *rsdp;

	tables[0] = ab_plain("FACP", 244 - AB_HDR);
	tables[1] = q35_madt();
	tables[2] = q35_dmar();
	xsdt = ab_root(true, tables, 3);
	rsdp = ab_rsdp(2, 0, xsdt);

	CHECK_ACPI_CLEAN(&info, acpi_parse(ab_pa(rsdp), &info));
	CHECK_EQ_U64(info.rsdp_revision, 2);
	CHECK_STR(info.oem_id, "BOCHS ");
	CHECK(info.use_xsdt);
	CHECK_EQ_U64(info.root_pa, xsdt);
	REQUIRE_EQ_U64(info.table_count, 3);
	CHECK_STR(info.tables[0].sig, "FACP");
	CHECK_EQ_U64(info.tables[0].pa, tables[0]);
	CHECK_EQ_U64(info.tables[0].length, 244);
	CHECK_EQ_U64(info.tables[0].revision, 1);
	CHECK_STR(info.tables[1].sig, "APIC");
	CHECK_EQ_U64(info.tables[1].revision, 5);
	CHECK_STR(info.tables[2].sig, "DMAR");
	CHECK_EQ_U64(info.tables[2].pa, tables[2]);
	CHECK_EQ_U64(info.tables[2].length, AB_DMAR_STRUCTS + 16 + 8);
	/* Both parsed: a summary here, the details in their own test files. */
	CHECK(info.has_madt);
	CHECK_EQ_U64(info.cpu_count, 2);
	CHECK_EQ_U64(info.ioapic_count, 1);
	CHECK_EQ_U64(info.override_count, 5);
	CHECK(info.has_dmar);
	CHECK_EQ_U64(info.dmar_haw, 39);
	REQUIRE_EQ_U64(info.drhd_count, 1);
	CHECK_EQ_U64(info.drhds[0].reg_base, 0xfed90000);
	CHECK(info.drhds[0].flags & ACPI_DRHD_INCLUDE_PCI_ALL);
	ab_release();
}

TEST(rsdp_rev0_uses_rsdt)
{
	u64 tables[2], rsdt;
	u8 *rsdp;

	tables[0] = ab_plain("FACP", 80);
	tables[1] = q35_madt();
	rsdt = ab_root(false, tables, 2);
	/* 20 bytes just before a guard page: reading the 2.0 fields would fault. */
	rsdp = ab_rsdp(0, rsdt, 0);

	CHECK_ACPI_CLEAN(&info, acpi_parse(ab_pa(rsdp), &info));
	CHECK_EQ_U64(info.rsdp_revision, 0);
	CHECK(!info.use_xsdt);
	CHECK_EQ_U64(info.root_pa, rsdt);
	CHECK_EQ_U64(info.table_count, 2);
	CHECK(listed("FACP", tables[0], AB_HDR + 80));
	CHECK(info.has_madt);
	CHECK(!info.has_dmar);
	ab_release();
}

TEST(xsdt_preferred_over_rsdt)
{
	u64 facp = ab_plain("FACP", 80), both[2] = { facp, q35_madt() };
	u64 rsdt = ab_root(false, &facp, 1), xsdt = ab_root(true, both, 2);

	CHECK_ACPI_CLEAN(&info, acpi_parse(ab_pa(ab_rsdp(2, rsdt, xsdt)), &info));
	CHECK(info.use_xsdt);
	CHECK_EQ_U64(info.root_pa, xsdt);
	CHECK_EQ_U64(info.table_count, 2);
	CHECK(info.has_madt); /* only the XSDT lists it */
	ab_release();
}

TEST(rev2_without_xsdt_uses_rsdt)
{
	u64 madt = q35_madt(), rsdt = ab_root(false, &madt, 1);

	CHECK_ACPI_CLEAN(&info, acpi_parse(ab_pa(ab_rsdp(2, rsdt, 0)), &info));
	CHECK(!info.use_xsdt);
	CHECK_EQ_U64(info.root_pa, rsdt);
	CHECK(info.has_madt);
	ab_release();
}

TEST(xsdt_above_4g_falls_back_to_rsdt)
{
	u64 madt = q35_madt(), rsdt = ab_root(false, &madt, 1);
	int rc = acpi_parse(ab_pa(ab_rsdp(2, rsdt, 0x100000000ull)), &info);

	CHECK_ACPI_WARNED(&info, rc, "RSDP offset 0x18:", "above the 4 GiB");
	CHECK_CONTAINS(info.warning, "using the RSDT");
	CHECK(!info.use_xsdt);
	CHECK(info.has_madt);
	ab_release();
}

TEST(multiboot2_copies)
{
	u64 madt = q35_madt();
	u64 rsdt = ab_root(false, &madt, 1), xsdt = ab_root(true, &madt, 1);
	u8 bytes[36], *copy;
	u32 len;

	/* Tag 15: the 36-byte ACPI 2.0 RSDP, in a heap block of exactly that size. */
	len = ab_rsdp_bytes(bytes, 2, rsdt, xsdt);
	copy = malloc(len);
	REQUIRE(copy);
	memcpy(copy, bytes, len);
	CHECK_ACPI_CLEAN(&info, acpi_parse_rsdp_copy(copy, len, &info));
	CHECK(info.use_xsdt);
	CHECK(info.has_madt);
	free(copy);

	/* Tag 14: the 20-byte ACPI 1.0 RSDP. */
	len = ab_rsdp_bytes(bytes, 0, rsdt, 0);
	copy = malloc(len);
	REQUIRE(copy);
	memcpy(copy, bytes, len);
	CHECK_ACPI_CLEAN(&info, acpi_parse_rsdp_copy(copy, len, &info));
	CHECK(!info.use_xsdt);
	CHECK(info.has_madt);
	free(copy);
	ab_release();
}

TEST(rev2_copy_of_20_bytes_uses_rsdt)
{
	u64 madt = q35_madt();
	u64 rsdt = ab_root(false, &madt, 1), xsdt = ab_root(true, &madt, 1);
	u8 bytes[36], *copy = malloc(20);
	int rc;

	/* GRUB's tag 14 on UEFI can carry the first 20 bytes of a revision 2 RSDP: the 2.0
	 * fields are not there to read, the RSDT address is. */
	REQUIRE(copy);
	ab_rsdp_bytes(bytes, 2, rsdt, xsdt);
	memcpy(copy, bytes, 20);
	rc = acpi_parse_rsdp_copy(copy, 20, &info);
	CHECK_ACPI_WARNED(&info, rc, "RSDP:", "revision 2 but only 20 bytes were copied; using the RSDT");
	CHECK(!info.use_xsdt);
	CHECK_EQ_U64(info.root_pa, rsdt);
	CHECK(info.has_madt);
	/* Without an RSDT there is nothing to use. */
	ab_rsdp_bytes(bytes, 2, 0, xsdt);
	memcpy(copy, bytes, 20);
	CHECK_ACPI_REJECTED(&info, acpi_parse_rsdp_copy(copy, 20, &info), "RSDP offset 0x10:",
			    "RSDT address is 0");
	free(copy);
	ab_release();
}

TEST(copy_too_short)
{
	u8 bytes[36];
	u8 *copy = malloc(36);

	REQUIRE(copy);
	ab_rsdp_bytes(bytes, 2, 0x1000, 0x2000);
	memcpy(copy, bytes, 36);
	CHECK_ACPI_REJECTED(&info, acpi_parse_rsdp_copy(copy, 19, &info), "RSDP",
			    "19 bytes, fewer than the 20");
	CHECK_ACPI_REJECTED(&info, acpi_parse_rsdp_copy(NULL, 36, &info), "RSDP",
			    "0 bytes");
	/* A length field beyond the copy: the extended checksum cannot be computed. */
	bytes[20] = 40;
	bytes[32] = 0;
	bytes[32] = (u8)(0 - ab_sum(bytes, 36)); /* balances 36 bytes, not 40 */
	memcpy(copy, bytes, 36);
	CHECK_ACPI_REJECTED(&info, acpi_parse_rsdp_copy(copy, 36, &info), "RSDP offset 0x14:",
			    "length 40 outside 36..36");
	free(copy);
}

TEST(rsdp_bad_signature)
{
	u8 bytes[36];

	ab_rsdp_bytes(bytes, 2, 0x1000, 0x2000);
	memcpy(bytes, "RSD PTR!", 8);
	CHECK_ACPI_REJECTED(&info, acpi_parse_rsdp_copy(bytes, 36, &info), "RSDP offset 0x0:",
			    "signature \"RSD PTR!\", expected \"RSD PTR \"");
	bytes[0] = 0;
	bytes[1] = 0xff;
	CHECK_ACPI_REJECTED(&info, acpi_parse_rsdp_copy(bytes, 36, &info), "RSDP offset 0x0:",
			    "signature \"??D PTR!\"");
	CHECK(!info.has_madt);
}

TEST(rsdp_bad_checksum)
{
	u8 bytes[36];

	ab_rsdp_bytes(bytes, 0, 0x1000, 0);
	bytes[8]++;
	CHECK_ACPI_REJECTED(&info, acpi_parse_rsdp_copy(bytes, 20, &info), "RSDP offset 0x8:",
			    "the first 20 bytes sum to 0x01, not 0");
	/* Revision 2: a change in the first 20 bytes breaks both sums; the first is named. */
	ab_rsdp_bytes(bytes, 2, 0x1000, 0x2000);
	bytes[16] ^= 0x10;
	CHECK_ACPI_REJECTED(&info, acpi_parse_rsdp_copy(bytes, 36, &info), "RSDP offset 0x8:",
			    "bad checksum");
}

TEST(rsdp_bad_extended_checksum)
{
	u8 bytes[36];

	ab_rsdp_bytes(bytes, 2, 0x1000, 0x2000);
	bytes[24] ^= 0x40; /* the XSDT address: outside the first 20 bytes */
	CHECK_ACPI_REJECTED(&info, acpi_parse_rsdp_copy(bytes, 36, &info), "RSDP offset 0x20:",
			    "bad extended checksum");
	CHECK_EQ_U64(info.rsdp_revision, 2); /* read before the failing check */
}

TEST(rsdp_bad_length_field)
{
	static const u32 lengths[] = { 0, 20, 35, 257, 0xffffffff };
	u8 bytes[36];
	u32 i;
	u8 *rsdp;

	for (i = 0; i < ARRAY_SIZE(lengths); i++) {
		ab_rsdp_bytes(bytes, 2, 0x1000, 0x2000);
		memcpy(bytes + 20, &lengths[i], 4);
		bytes[32] = 0;
		bytes[32] = (u8)(0 - ab_sum(bytes, 36));
		rsdp = ab_place_bytes(bytes, 36);
		CHECK_ACPI_REJECTED(&info, acpi_parse(ab_pa(rsdp), &info), "RSDP offset 0x14:",
				    "outside 36..256 bytes");
	}
	ab_release();
}

TEST(rsdp_address_unusable)
{
	CHECK_ACPI_REJECTED(&info, acpi_parse(0, &info), "RSDP at 0x0:", "not a readable address");
	CHECK_ACPI_REJECTED(&info, acpi_parse(0xfffffff0ull, &info), "RSDP at 0xfffffff0:",
			    "below 4 GiB");
	CHECK_ACPI_REJECTED(&info, acpi_parse(0x100000000ull, &info), "RSDP", "below 4 GiB");
}

TEST(no_root_table)
{
	CHECK_ACPI_REJECTED(&info, acpi_parse(ab_pa(ab_rsdp(0, 0, 0)), &info), "RSDP offset 0x10:",
			    "RSDT address is 0");
	CHECK_ACPI_REJECTED(&info, acpi_parse(ab_pa(ab_rsdp(2, 0, 0)), &info), "RSDP offset 0x10:",
			    "no usable XSDT");
	ab_release();
}

/* Places the root table built in t (finished, then edited by the caller) behind an RSDP. */
static int parse_with_root(bool xsdt)
{
	u64 root = ab_place(&t);

	return acpi_parse(ab_pa(ab_rsdp(2, xsdt ? 0 : root, xsdt ? root : 0)), &info);
}

TEST(xsdt_length_below_header)
{
	static const u32 lengths[] = { 0, 4, 35 };
	u32 i;

	for (i = 0; i < ARRAY_SIZE(lengths); i++) {
		ab_begin(&t, "XSDT", 1);
		ab_set32(&t, 4, lengths[i]);
		ab_fix_checksum(&t);
		CHECK_ACPI_REJECTED(&info, parse_with_root(true), "XSDT offset 0x4:",
				    "outside 36..1048576 bytes");
		CHECK(info.use_xsdt);
	}
	ab_release();
}

TEST(root_length_above_limit)
{
	ab_begin(&t, "RSDT", 1);
	ab_u32(&t, 0x1000);
	ab_finish(&t);
	ab_set32(&t, 4, ACPI_TABLE_MAX_LEN + 4);
	CHECK_ACPI_REJECTED(&info, parse_with_root(false), "RSDT offset 0x4:",
			    "length 1048580 outside");
	ab_release();
}

TEST(root_bad_checksum)
{
	u64 madt = q35_madt();

	ab_begin(&t, "XSDT", 1);
	ab_u64(&t, madt);
	ab_finish(&t);
	t.buf[9] ^= 1;
	CHECK_ACPI_REJECTED(&info, parse_with_root(true), "XSDT offset 0x9:", "bad checksum");
	CHECK(!info.has_madt);
	ab_release();
}

TEST(root_wrong_signature)
{
	u64 madt = q35_madt();

	/* The RSDP's XSDT address leads to an RSDT. */
	ab_begin(&t, "RSDT", 1);
	ab_u32(&t, (u32)madt);
	ab_finish(&t);
	CHECK_ACPI_REJECTED(&info, parse_with_root(true), "XSDT offset 0x0:",
			    "signature \"RSDT\", expected \"XSDT\"");
	/* Garbage where the RSDT should be. */
	memset(t.buf, 0, 64);
	t.len = 64;
	CHECK_ACPI_REJECTED(&info, parse_with_root(false), "RSDT offset 0x0:",
			    "signature bytes 00 00 00 00 are not a table name");
	ab_release();
}

TEST(root_partial_entry)
{
	u64 madt = q35_madt();

	ab_begin(&t, "XSDT", 1);
	ab_u64(&t, madt);
	ab_u32(&t, 0); /* half an entry */
	ab_finish(&t);
	CHECK_ACPI_REJECTED(&info, parse_with_root(true), "XSDT offset 0x4:",
			    "length 48 is not 36 + a multiple of 8");
	ab_begin(&t, "RSDT", 1);
	ab_u32(&t, (u32)madt);
	ab_u16(&t, 0);
	ab_finish(&t);
	CHECK_ACPI_REJECTED(&info, parse_with_root(false), "RSDT offset 0x4:",
			    "length 42 is not 36 + a multiple of 4");
	ab_release();
}

TEST(empty_root_is_fine)
{
	CHECK_ACPI_CLEAN(&info, acpi_parse(ab_system(NULL, 0), &info));
	CHECK_EQ_U64(info.table_count, 0);
	CHECK(!info.has_madt);
	CHECK(!info.has_dmar);
	ab_release();
}

TEST(bad_checksum_table_skipped)
{
	u64 tables[3];
	int rc;

	tables[0] = ab_plain("FACP", 80);
	ab_begin(&t, "SSDT", 2);
	ab_zeros(&t, 64);
	ab_finish(&t);
	t.buf[50] = 0x5a; /* changed after the checksum */
	tables[1] = ab_place(&t);
	tables[2] = q35_madt();

	rc = acpi_parse(ab_system(tables, 3), &info);
	CHECK_ACPI_WARNED(&info, rc, "SSDT at 0x", "offset 0x9: the 100 bytes sum to 0x5a, not 0");
	CHECK_CONTAINS(info.warning, "skipped");
	CHECK_EQ_U64(info.table_count, 2);
	CHECK(listed("FACP", tables[0], AB_HDR + 80));
	CHECK(listed("APIC", tables[2], t.len)); /* t holds the MADT now */
	CHECK(!listed("SSDT", tables[1], 100));
	CHECK(info.has_madt); /* the table after it was still read */
	ab_release();
}

TEST(unrelated_table_bad_length_skipped)
{
	u64 tables[2];
	int rc;

	ab_begin(&t, "HPET", 1);
	ab_zeros(&t, 20);
	ab_finish(&t);
	ab_set32(&t, 4, 20); /* below the header */
	ab_fix_checksum(&t);
	tables[0] = ab_place(&t);
	tables[1] = q35_madt();
	rc = acpi_parse(ab_system(tables, 2), &info);
	CHECK_ACPI_WARNED(&info, rc, "HPET at 0x", "offset 0x4: length 20 outside 36..1048576");
	CHECK_EQ_U64(info.table_count, 1);
	CHECK(info.has_madt);
	ab_release();
}

/*
 * Decision: a root table entry that points at something that is no table (a signature that is
 * not four printable characters), at 0 or above 4 GiB is skipped with a warning. The firmware
 * got one pointer wrong; the other tables are still good, and if the lost one was the MADT or
 * DMAR, has_madt/has_dmar says so.
 */
TEST(entry_pointing_at_garbage_skipped)
{
	static const u8 garbage[64] = { 0x00, 0x13, 0x37, 0xfe, 0xff };
	u64 tables[2];
	int rc;

	tables[0] = q35_madt();
	tables[1] = ab_pa(ab_place_bytes(garbage, sizeof(garbage)));
	rc = acpi_parse(ab_system(tables, 2), &info);
	CHECK_ACPI_WARNED(&info, rc, "XSDT offset 0x2c: entry 1 at 0x",
			  "signature bytes 00 13 37 fe are not a table name; skipped");
	CHECK_EQ_U64(info.table_count, 1);
	CHECK(info.has_madt);
	ab_release();
}

TEST(null_and_high_entries_skipped)
{
	u64 tables[3] = { 0, 0x100000000ull, 0 };
	int rc;

	tables[2] = q35_madt();
	rc = acpi_parse(ab_system(tables, 3), &info);
	CHECK_ACPI_WARNED(&info, rc, "XSDT offset 0x24:", "entry 0 points at 0x0, a null address");
	CHECK_EQ_U64(info.table_count, 1);
	CHECK(info.has_madt);

	tables[0] = tables[2];
	rc = acpi_parse(ab_system(tables, 2), &info);
	CHECK_ACPI_WARNED(&info, rc, "XSDT offset 0x2c:",
			  "entry 1 points at 0x100000000, above the 4 GiB Plinth maps; skipped");
	ab_release();
}

TEST(madt_bad_checksum_is_fatal)
{
	u64 tables[2];

	ab_q35_madt(&t);
	ab_finish(&t);
	t.buf[9] += 3;
	tables[0] = ab_plain("FACP", 80);
	tables[1] = ab_place(&t);
	CHECK_ACPI_REJECTED(&info, acpi_parse(ab_system(tables, 2), &info), "MADT offset 0x9:",
			    "sum to 0x03, not 0 (bad checksum)");
	CHECK(!info.has_madt);
	ab_release();
}

TEST(dmar_bad_header_is_fatal)
{
	u64 dmar;

	ab_q35_dmar(&t);
	ab_finish(&t);
	ab_set32(&t, 4, 0x7fffffff);
	ab_fix_checksum(&t);
	dmar = ab_place(&t);
	CHECK_ACPI_REJECTED(&info, acpi_parse(ab_system(&dmar, 1), &info), "DMAR offset 0x4:",
			    "length 2147483647 outside 36..1048576 bytes");
	CHECK(!info.has_dmar);
	ab_release();
}

TEST(second_madt_ignored)
{
	u64 tables[2];
	int rc;

	tables[0] = q35_madt();
	ab_madt(&t, 0xfee00000, 0);
	ab_lapic(&t, 0, 7, ACPI_LAPIC_ENABLED);
	tables[1] = ab_finish_place(&t);
	rc = acpi_parse(ab_system(tables, 2), &info);
	CHECK_ACPI_WARNED(&info, rc, "XSDT offset 0x2c:", "a second APIC table at 0x");
	CHECK_EQ_U64(info.cpu_count, 2);
	CHECK_EQ_U64(info.cpus[0].apic_id, 0);
	CHECK_EQ_U64(info.table_count, 2);
	ab_release();
}

TEST(table_list_limit)
{
	u64 tables[ACPI_MAX_TABLES + 6];
	u32 i;
	int rc;

	/* One SSDT placed many times over; the MADT comes after the 64 the list holds. */
	ab_begin(&t, "SSDT", 2);
	ab_zeros(&t, 8);
	ab_finish(&t);
	for (i = 0; i < ARRAY_SIZE(tables) - 1; i++)
		tables[i] = ab_place(&t);
	tables[i] = q35_madt();
	rc = acpi_parse(ab_system(tables, ARRAY_SIZE(tables)), &info);
	CHECK_ACPI_WARNED(&info, rc, "XSDT offset 0x224:", "more than 64 tables; the rest are ignored");
	CHECK(info.truncated);
	CHECK_EQ_U64(info.table_count, ACPI_MAX_TABLES);
	CHECK_EQ_U64(info.tables[63].pa, tables[63]);
	CHECK(info.has_madt); /* parsed although it did not fit in the list */
	ab_release();
}

TEST(unaligned_root_entries)
{
	u64 tables[3];
	u8 *xsdt;

	/* An XSDT at an address that is 4- but not 8-aligned: its 64-bit entries are not
	 * naturally aligned (UBSan checks the reads). */
	tables[0] = ab_plain("FACP", 80);
	tables[1] = q35_madt();
	tables[2] = q35_dmar();
	ab_begin(&t, "XSDT", 1);
	ab_put(&t, tables, sizeof(tables));
	ab_finish(&t);
	xsdt = ab_place_bytes(t.buf, t.len);
	CHECK_EQ_U64(ab_pa(xsdt) % 8, 4);
	CHECK_ACPI_CLEAN(&info, acpi_parse(ab_pa(ab_rsdp(2, 0, ab_pa(xsdt))), &info));
	CHECK_EQ_U64(info.table_count, 3);
	CHECK(info.has_madt && info.has_dmar);
	ab_release();
}

TEST(previous_result_cleared)
{
	u64 madt = q35_madt();

	memset(&info, 0x5a, sizeof(info));
	CHECK_ACPI_CLEAN(&info, acpi_parse(ab_system(&madt, 1), &info));
	CHECK(!info.has_dmar);
	CHECK_EQ_U64(info.drhd_count, 0);
	memset(&info, 0x5a, sizeof(info));
	CHECK_EQ_INT(acpi_parse(0, &info), -EINVAL);
	CHECK_EQ_U64(info.table_count, 0);
	CHECK_STR(info.warning, "");
	ab_release();
}
