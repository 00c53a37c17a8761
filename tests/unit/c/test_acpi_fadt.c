// sources: @acpi-parser
/*
 * The FADT and MCFG as acpi_parse_fadt and acpi_parse_mcfg read them: QEMU's and an ACPI 1.0
 * FADT taken whole; a FADT cut short of its fields (the fields past its length are absent,
 * whatever its revision says); a lying FADT, one refused field at a time with one note naming
 * its offset: PM1a control that wraps past port 0xffff (0xfffe with 255 ports), lies beyond the
 * port space, reaches Plinth's console UART or PCI configuration ports or holds the SMI command
 * port, an SMI command port on Plinth's ports (its commands refused with it, so nothing goes
 * through the APM port), commands with no SMI command port, PSTATE_CNT and CST_CNT in an ACPI
 * 1.0 table; and MCFG allocations, good and lying. Every table ends just before a guard page.
 */
#define _GNU_SOURCE
#include <plinth/errno.h>

#include "acpi_build.h"
#include "test.h"

static struct abt t;
static struct acpi_info info;
static struct acpi_fadt fadt;
static struct acpi_mcfg mcfg;

static const struct acpi_port_range own[] = {
	{ 0x3f8, 8, "the console UART" },
	{ 0xcf8, 8, "the PCI configuration ports" },
};

/* QEMU q35's FADT (revision 3, 244 bytes): SMI_CMD 0xb2, ACPI_ENABLE 0xf1, ACPI_DISABLE 0xf0,
 * PM1a control at 0x604. */
static void q35_fadt(u8 revision, u32 len)
{
	ab_fadt(&t, revision, len);
	ab_set32(&t, AB_FADT_SMI_CMD, 0xb2);
	ab_set8(&t, AB_FADT_ACPI_ENABLE, 0xf1);
	ab_set8(&t, AB_FADT_ACPI_ENABLE + 1, 0xf0);
	ab_set32(&t, AB_FADT_PM1A_CNT_BLK, 0x604);
	ab_set8(&t, AB_FADT_PM1_CNT_LEN, 2);
}

/* Places t as the only table and parses the system, the MCFG, then the FADT. */
static int parse(void)
{
	u64 pa = ab_finish_place(&t);

	CHECK_EQ_INT(acpi_parse(ab_system(&pa, 1), &info), 0);
	CHECK_EQ_INT(acpi_parse_mcfg(&info, &mcfg), t.buf[0] == 'M' ? 0 : -ENOENT);
	return acpi_parse_fadt(&info, own, ARRAY_SIZE(own), &fadt);
}

/* One note, naming the offset and what; the field it refuses. */
#define CHECK_ONE_NOTE(notes, where, what)                          \
	do {                                                        \
		REQUIRE_EQ_U64((notes)->count, 1);                  \
		CHECK_CONTAINS((notes)->lines[0], where);           \
		CHECK_CONTAINS((notes)->lines[0], what);            \
		CHECK(!strchr((notes)->lines[0], '\n'));            \
	} while (0)

TEST(q35_fadt)
{
	q35_fadt(3, 244);
	CHECK_EQ_INT(parse(), 0);
	CHECK(fadt.present);
	CHECK_EQ_U64(fadt.revision, 3);
	CHECK_EQ_U64(fadt.length, 244);
	CHECK_EQ_U64(fadt.notes.count, 0);
	CHECK_EQ_U64(fadt.pm1a_cnt, 0x604);
	CHECK_EQ_U64(fadt.pm1a_cnt_len, 2);
	CHECK_EQ_U64(fadt.smi_cmd, 0xb2);
	CHECK_EQ_U64(fadt.smi_commands[0], 0xf1);
	CHECK_EQ_U64(fadt.smi_commands[1], 0xf0);
	CHECK_EQ_U64(fadt.smi_commands[4], 0);
	ab_release();
}

TEST(acpi_1_fadt_with_every_command)
{
	/* Bochs's FADT is an ACPI 1.0 one: 116 bytes, SMI_CMD 0xb2, PM1a at 0xb004. */
	ab_fadt(&t, 1, 116);
	ab_set32(&t, AB_FADT_SMI_CMD, 0xb2);
	ab_set8(&t, AB_FADT_ACPI_ENABLE, 0xf1);
	ab_set8(&t, AB_FADT_ACPI_ENABLE + 1, 0xf0);
	ab_set8(&t, AB_FADT_ACPI_ENABLE + 2, 0xf2);
	ab_set32(&t, AB_FADT_PM1A_CNT_BLK, 0xb004);
	ab_set8(&t, AB_FADT_PM1_CNT_LEN, 2);
	CHECK_EQ_INT(parse(), 0);
	CHECK_EQ_U64(fadt.notes.count, 0);
	CHECK_EQ_U64(fadt.pm1a_cnt, 0xb004);
	CHECK_EQ_U64(fadt.smi_commands[2], 0xf2);
	ab_release();
}

TEST(no_fadt)
{
	ab_mcfg(&t);
	CHECK_EQ_INT(parse(), -ENOENT);
	CHECK(!fadt.present);
	CHECK_EQ_U64(fadt.pm1a_cnt_len, 0);
	ab_release();
}

TEST(fadt_shorter_than_its_revision)
{
	/* A revision 3 FADT of 60 bytes: SMI_CMD and the first commands are there, PM1a is not. */
	q35_fadt(3, 244);
	t.len = 60;
	CHECK_EQ_INT(parse(), 0);
	CHECK_ONE_NOTE(&fadt.notes, ab_at("FADT", 4), "length 60 is below the 244 bytes of revision 3");
	CHECK_EQ_U64(fadt.smi_cmd, 0xb2);
	CHECK_EQ_U64(fadt.smi_commands[0], 0xf1);
	CHECK_EQ_U64(fadt.pm1a_cnt_len, 0);
	ab_release();

	/* 90 bytes: PM1a and its length are there, CST_CNT (offset 95) is not. */
	q35_fadt(3, 244);
	ab_set8(&t, AB_FADT_CST_CNT, 0xe3);
	t.len = 90;
	CHECK_EQ_INT(parse(), 0);
	CHECK_EQ_U64(fadt.notes.count, 1);
	CHECK_EQ_U64(fadt.pm1a_cnt, 0x604);
	CHECK_EQ_U64(fadt.smi_commands[4], 0);
	ab_release();
}

TEST(fadt_of_a_header_only)
{
	/* 40 bytes: no field at all is there; nothing is read past the table (the guard page). */
	q35_fadt(3, 244);
	t.len = 40;
	CHECK_EQ_INT(parse(), 0);
	CHECK_ONE_NOTE(&fadt.notes, ab_at("FADT", 4), "length 40 is below the 244 bytes");
	CHECK_EQ_U64(fadt.smi_cmd | fadt.pm1a_cnt_len | fadt.smi_commands[0], 0);
	ab_release();
}

TEST(pm1a_that_wraps_the_port_space)
{
	q35_fadt(3, 244);
	ab_set32(&t, AB_FADT_PM1A_CNT_BLK, 0xfffe);
	ab_set8(&t, AB_FADT_PM1_CNT_LEN, 255);
	CHECK_EQ_INT(parse(), 0);
	CHECK_ONE_NOTE(&fadt.notes, ab_at("FADT", 0x40), "PM1a_CNT_BLK 0xfffe with 255 ports runs past port 0xffff; refused");
	CHECK_EQ_U64(fadt.pm1a_cnt_len, 0);
	CHECK_EQ_U64(fadt.pm1a_cnt, 0);
	CHECK_EQ_U64(fadt.smi_cmd, 0xb2); /* the other fields stand */
	ab_release();

	/* 0xffff with the minimum 2 ports wraps too; so does a port above 0xffff. */
	q35_fadt(3, 244);
	ab_set32(&t, AB_FADT_PM1A_CNT_BLK, 0xffff);
	CHECK_EQ_INT(parse(), 0);
	CHECK_ONE_NOTE(&fadt.notes, ab_at("FADT", 0x40), "runs past port 0xffff");
	CHECK_EQ_U64(fadt.pm1a_cnt_len, 0);
	ab_release();
	q35_fadt(3, 244);
	ab_set32(&t, AB_FADT_PM1A_CNT_BLK, 0x10604);
	CHECK_EQ_INT(parse(), 0);
	CHECK_ONE_NOTE(&fadt.notes, ab_at("FADT", 0x40), "PM1a_CNT_BLK 0x10604");
	CHECK_EQ_U64(fadt.pm1a_cnt_len, 0);
	ab_release();

	/* 0xfffe with 2 ports is the last that fits. */
	q35_fadt(3, 244);
	ab_set32(&t, AB_FADT_PM1A_CNT_BLK, 0xfffe);
	CHECK_EQ_INT(parse(), 0);
	CHECK_EQ_U64(fadt.notes.count, 0);
	CHECK_EQ_U64(fadt.pm1a_cnt, 0xfffe);
	ab_release();
}

TEST(pm1a_on_plinths_ports)
{
	q35_fadt(3, 244);
	ab_set32(&t, AB_FADT_PM1A_CNT_BLK, 0x3fe); /* 0x3fe-0x3ff: the UART's last two */
	CHECK_EQ_INT(parse(), 0);
	CHECK_ONE_NOTE(&fadt.notes, ab_at("FADT", 0x40), "0x3fe-0x3ff reaches the console UART (ports 0x3f8-0x3ff); refused");
	CHECK_EQ_U64(fadt.pm1a_cnt_len, 0);
	ab_release();

	q35_fadt(3, 244);
	ab_set32(&t, AB_FADT_PM1A_CNT_BLK, 0xcf0);
	ab_set8(&t, AB_FADT_PM1_CNT_LEN, 9); /* 0xcf0-0xcf8 */
	CHECK_EQ_INT(parse(), 0);
	CHECK_ONE_NOTE(&fadt.notes, ab_at("FADT", 0x40), "reaches the PCI configuration ports");
	ab_release();

	/* Just below the UART: fine. */
	q35_fadt(3, 244);
	ab_set32(&t, AB_FADT_PM1A_CNT_BLK, 0x3f6);
	CHECK_EQ_INT(parse(), 0);
	CHECK_EQ_U64(fadt.notes.count, 0);
	CHECK_EQ_U64(fadt.pm1a_cnt, 0x3f6);
	ab_release();
}

TEST(pm1a_over_the_smi_command_ports)
{
	/* PM1a watched would hide the SMI filter of the port it holds: PM1a is refused. */
	q35_fadt(3, 244);
	ab_set32(&t, AB_FADT_SMI_CMD, 0x605);
	CHECK_EQ_INT(parse(), 0);
	CHECK_ONE_NOTE(&fadt.notes, ab_at("FADT", 0x40), "reaches the SMI command port (ports 0x605-0x605)");
	CHECK_EQ_U64(fadt.pm1a_cnt_len, 0);
	CHECK_EQ_U64(fadt.smi_cmd, 0x605);
	ab_release();

	q35_fadt(3, 244);
	ab_set32(&t, AB_FADT_PM1A_CNT_BLK, 0xb1);
	CHECK_EQ_INT(parse(), 0);
	CHECK_ONE_NOTE(&fadt.notes, ab_at("FADT", 0x40), "reaches the APM control port");
	ab_release();
}

TEST(pm1_cnt_len_below_two)
{
	q35_fadt(3, 244);
	ab_set8(&t, AB_FADT_PM1_CNT_LEN, 1);
	CHECK_EQ_INT(parse(), 0);
	CHECK_ONE_NOTE(&fadt.notes, ab_at("FADT", 0x59), "PM1_CNT_LEN 1 is below 2; 2 is used");
	CHECK_EQ_U64(fadt.pm1a_cnt, 0x604);
	CHECK_EQ_U64(fadt.pm1a_cnt_len, 2);
	ab_release();
}

TEST(smi_command_port_on_plinths_ports)
{
	/* The SMI command port on the UART: refused, and its commands with it, so that no value
	 * written to the APM port (always filtered) goes through. */
	q35_fadt(3, 244);
	ab_set32(&t, AB_FADT_SMI_CMD, 0x3f8);
	CHECK_EQ_INT(parse(), 0);
	REQUIRE_EQ_U64(fadt.notes.count, 3);
	CHECK_CONTAINS(fadt.notes.lines[0], ab_at("FADT", 0x30));
	CHECK_CONTAINS(fadt.notes.lines[0], "SMI_CMD 0x3f8-0x3f8 reaches the console UART");
	CHECK_CONTAINS(fadt.notes.lines[1], ab_at("FADT", 0x34));
	CHECK_CONTAINS(fadt.notes.lines[1], "ACPI_ENABLE 0xf1 without a usable SMI command port; refused");
	CHECK_CONTAINS(fadt.notes.lines[2], "ACPI_DISABLE 0xf0");
	CHECK_EQ_U64(fadt.smi_cmd, 0);
	CHECK_EQ_U64(fadt.smi_commands[0], 0);
	CHECK_EQ_U64(fadt.smi_commands[1], 0);
	CHECK_EQ_U64(fadt.pm1a_cnt, 0x604); /* PM1a stands */
	ab_release();

	q35_fadt(3, 244);
	ab_set32(&t, AB_FADT_SMI_CMD, 0x100b2);
	CHECK_EQ_INT(parse(), 0);
	CHECK_CONTAINS(fadt.notes.lines[0], "SMI_CMD 0x100b2 with 1 port runs past port 0xffff; refused");
	CHECK_EQ_U64(fadt.smi_commands[0], 0);
	ab_release();
}

TEST(commands_without_an_smi_command_port)
{
	q35_fadt(3, 244);
	ab_set32(&t, AB_FADT_SMI_CMD, 0);
	ab_set8(&t, AB_FADT_CST_CNT, 0xe3);
	CHECK_EQ_INT(parse(), 0);
	REQUIRE_EQ_U64(fadt.notes.count, 3);
	CHECK_CONTAINS(fadt.notes.lines[0], "ACPI_ENABLE 0xf1 without an SMI command port; refused");
	CHECK_CONTAINS(fadt.notes.lines[2], ab_at("FADT", 0x5f));
	CHECK_CONTAINS(fadt.notes.lines[2], "CST_CNT 0xe3");
	CHECK_EQ_U64(fadt.smi_commands[0] | fadt.smi_commands[1] | fadt.smi_commands[4], 0);
	ab_release();
}

TEST(revision_1_reserves_pstate_and_cst)
{
	ab_fadt(&t, 1, 116);
	ab_set32(&t, AB_FADT_SMI_CMD, 0xb2);
	ab_set8(&t, AB_FADT_ACPI_ENABLE + 3, 0x80);
	ab_set8(&t, AB_FADT_CST_CNT, 0x85);
	CHECK_EQ_INT(parse(), 0);
	REQUIRE_EQ_U64(fadt.notes.count, 2);
	CHECK_CONTAINS(fadt.notes.lines[0], ab_at("FADT", 0x37));
	CHECK_CONTAINS(fadt.notes.lines[0], "revision 1 reserves the field; not an SMI command");
	CHECK_CONTAINS(fadt.notes.lines[1], ab_at("FADT", 0x5f));
	CHECK_EQ_U64(fadt.smi_commands[3] | fadt.smi_commands[4], 0);
	ab_release();

	/* From revision 2 they are commands. */
	ab_fadt(&t, 3, 244);
	ab_set32(&t, AB_FADT_SMI_CMD, 0xb2);
	ab_set8(&t, AB_FADT_ACPI_ENABLE + 3, 0x80);
	ab_set8(&t, AB_FADT_CST_CNT, 0x85);
	CHECK_EQ_INT(parse(), 0);
	CHECK_EQ_U64(fadt.notes.count, 0);
	CHECK_EQ_U64(fadt.smi_commands[3], 0x80);
	CHECK_EQ_U64(fadt.smi_commands[4], 0x85);
	ab_release();
}

TEST(every_field_refused_at_once)
{
	/* A short revision 1 table whose every field is refused: one note each (the length, the
	 * SMI command port, three commands, two reserved bytes). */
	ab_fadt(&t, 1, 100);
	ab_set32(&t, AB_FADT_SMI_CMD, 0xcfc);
	memset(t.buf + AB_FADT_ACPI_ENABLE, 0x11, 4);
	ab_set8(&t, AB_FADT_CST_CNT, 0x22);
	CHECK_EQ_INT(parse(), 0);
	CHECK_EQ_U64(fadt.notes.count, 7);
	CHECK_EQ_U64(fadt.notes.dropped, 0);
	CHECK_EQ_U64(fadt.smi_cmd | fadt.pm1a_cnt_len, 0);
	ab_release();
}

/* MCFG */

TEST(q35_mcfg)
{
	ab_mcfg(&t);
	ab_mcfg_alloc(&t, 0xb0000000, 0, 0, 0xff);
	CHECK_EQ_INT(parse(), -ENOENT);
	CHECK(mcfg.present);
	CHECK_EQ_U64(mcfg.allocation_count, 1);
	CHECK_EQ_U64(mcfg.ecam_base, 0xb0000000);
	CHECK_EQ_U64(mcfg.ecam_bus_end, 0xff);
	CHECK_EQ_U64(mcfg.notes.count, 0);
	ab_release();
}

TEST(mcfg_allocations_that_lie)
{
	static const struct {
		u64 base;
		u16 segment;
		u8 start, end;
		const char *what;
	} bad[] = {
		{ 0, 0, 0, 0xff, "base 0x0 is not a 1 MiB-aligned address; refused" },
		{ 0xb0001000, 0, 0, 0xff, "base 0xb0001000 is not a 1 MiB-aligned" },
		{ 0xb0000000, 0, 0x10, 0x0f, "buses 16-15 are out of order; refused" },
		{ 0xfffffffffff00000ull, 0, 0, 0, "runs past 2^52; refused" },
		{ 0xfffffff000000ull, 0, 0, 0xff, "runs past 2^52; refused" },
		{ 0x100000000ull, 0, 0, 0xff, "lies above the 4 GiB Plinth maps; refused" },
	};
	u32 i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ab_mcfg(&t);
		ab_mcfg_alloc(&t, bad[i].base, bad[i].segment, bad[i].start, bad[i].end);
		parse();
		CHECK_ONE_NOTE(&mcfg.notes, ab_at("MCFG", 44), bad[i].what);
		CHECK_EQ_U64(mcfg.ecam_base, 0);
		ab_release();
	}
}

TEST(mcfg_second_segment_0_and_other_segments)
{
	ab_mcfg(&t);
	ab_mcfg_alloc(&t, 0xc0000000, 1, 0, 0xff); /* segment 1: not Plinth's concern */
	ab_mcfg_alloc(&t, 0xb0000000, 0, 1, 0xff); /* segment 0 from bus 1: no host bridge */
	ab_mcfg_alloc(&t, 0xe0000000, 0, 0, 0x3f);
	ab_mcfg_alloc(&t, 0xd0000000, 0, 0, 0x3f);
	parse();
	CHECK_EQ_U64(mcfg.allocation_count, 4);
	CHECK_EQ_U64(mcfg.ecam_base, 0xe0000000);
	CHECK_EQ_U64(mcfg.ecam_bus_end, 0x3f); /* the first allocation's, not the refused second's */
	CHECK_ONE_NOTE(&mcfg.notes, ab_at("MCFG", 92), "a second allocation for segment 0 bus 0 (base 0xd0000000); the first (0xe0000000) stands");
	ab_release();
}

TEST(notes_past_the_limit_are_counted)
{
	u32 i;

	ab_mcfg(&t);
	for (i = 0; i < ACPI_NOTES_MAX + 2; i++)
		ab_mcfg_alloc(&t, 0x1000, 0, 0, 0xff);
	parse();
	CHECK_EQ_U64(mcfg.notes.count, ACPI_NOTES_MAX);
	CHECK_EQ_U64(mcfg.notes.dropped, 2);
	CHECK_CONTAINS(mcfg.notes.lines[ACPI_NOTES_MAX - 1], ab_at("MCFG", 44 + 16 * (ACPI_NOTES_MAX - 1)));
	ab_release();
}

TEST(mcfg_with_a_partial_allocation)
{
	ab_mcfg(&t);
	ab_mcfg_alloc(&t, 0xb0000000, 0, 0, 0xff);
	ab_zeros(&t, 10);
	parse();
	CHECK_ONE_NOTE(&mcfg.notes, ab_at("MCFG", 4), "length 70 is not 44 + a multiple of 16");
	CHECK_EQ_U64(mcfg.allocation_count, 1);
	CHECK_EQ_U64(mcfg.ecam_base, 0xb0000000);
	ab_release();

	ab_mcfg(&t);
	t.len = 40; /* shorter than the allocations' offset */
	parse();
	CHECK_ONE_NOTE(&mcfg.notes, ab_at("MCFG", 4), "length 40");
	CHECK_EQ_U64(mcfg.allocation_count, 0);
	ab_release();
}
