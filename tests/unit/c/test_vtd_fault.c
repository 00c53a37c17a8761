// sources: hypervisor/arch/x86/vtd_fault.c hypervisor/arch/x86/vtd_fault_text.c hypervisor/arch/x86/vtd_ir.c hypervisor/arch/x86/irq_policy.c hypervisor/core/format.c
/*
 * Fault polling (arch/x86/vtd_fault.c) against a unit's registers laid out in memory as VT-d
 * 11.4.9 and 11.4.14 give them: an interrupt-remapping fault is printed once, decoded by
 * interrupt index, and found again by the self-test's lookup; the record is cleared (F written
 * back); the same fault recorded again is counted as a repeat (one "repeated" line per poll
 * that saw more, never the decode again);
 * DMA and interrupt faults of one device are kept apart; past the table of distinct faults
 * nothing more is printed (rate limit); an overflow is said once per poll that sees it.
 */
#include <stdarg.h>
#include <string.h>
#include <plinth/console.h>
#include <plinth/format.h>
#include <x86/vtd.h>
#include <x86/vtd_regs.h>

#include "test.h"

struct vtd_unit vtd_units[1];
u32 vtd_unit_count = 1;

static u64 regs[0x400 / 8] __attribute__((aligned(4096)));
static char lines[64][192];
static unsigned line_count;

static void capture(const char *prefix, const char *fmt, va_list ap)
{
	char text[160];

	vformat(text, sizeof(text), fmt, ap);
	if (line_count < 64)
		format(lines[line_count++], sizeof(lines[0]), "%s%s", prefix, text);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	capture("", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	capture("warning: ", fmt, ap);
	va_end(ap);
}

#define FRO 0x220
/* One fault recording register at FRO: CAP.FRO (bits 33:24) in 16-byte units, CAP.NFR
 * (47:40) counting from one. */
static void unit_with_one_record(void)
{
	memset(regs, 0, sizeof(regs));
	vtd_units[0] = (struct vtd_unit){ .base = (u64)(uintptr_t)regs, .cap = (u64)(FRO / 16) << 24 };
	line_count = 0;
}

static void fsts(u32 v)
{
	memcpy((char *)regs + VTD_FSTS, &v, sizeof(v));
}

/* A pending record: FSTS.PPF (bit 1), FRI 0; F (bit 127), reason (103:96), SID (79:64). */
static void record(u64 lo, u8 reason, u16 sid)
{
	fsts(FSTS_PPF);
	regs[FRO / 8] = lo;
	regs[FRO / 8 + 1] = 1ULL << 63 | (u64)reason << 32 | sid;
}

TEST(interrupt_fault_printed_once_then_counted)
{
	unit_with_one_record();
	record(5ULL << 48, 0x22, 0x0018);
	CHECK_EQ_U64(vtd_poll_faults(), 1);
	REQUIRE(line_count == 1);
	CHECK_STR(lines[0], "vtd: fault: unit 0: device 00:03.0 interrupt index 5 blocked: reason 0x22, "
			    "remapping entry not present");
	CHECK_EQ_U64(vtd_ir_fault_seen(0x0018, 5), 0x22);
	CHECK_EQ_U64(vtd_ir_fault_seen(0x0018, 4), 0);
	CHECK_EQ_U64(vtd_ir_fault_seen(0x0010, 5), 0);
	CHECK(!vtd_fault_seen(0x0018, 5ULL << 48, true)); /* not taken for a DMA fault */
	/* Plinth cleared the record (F written back: here the whole upper word, which memory
	 * keeps); the unit records the same fault twice more. */
	CHECK_EQ_U64(regs[FRO / 8 + 1] >> 32, 0x80000000);
	record(5ULL << 48, 0x22, 0x0018);
	CHECK_EQ_U64(vtd_poll_faults(), 1);
	record(5ULL << 48, 0x22, 0x0018);
	CHECK_EQ_U64(vtd_poll_faults(), 1);
	REQUIRE(line_count == 3);
	CHECK_STR(lines[1], "vtd: fault: device 00:03.0 interrupt index 5 repeated: 2 times in all");
	CHECK_STR(lines[2], "vtd: fault: device 00:03.0 interrupt index 5 repeated: 3 times in all");
	/* No record pending: nothing read, nothing printed. */
	fsts(0);
	CHECK_EQ_U64(vtd_poll_faults(), 0);
	CHECK_EQ_U64(line_count, 3);
}

TEST(dma_and_interrupt_faults_of_one_device_apart)
{
	unit_with_one_record();
	record(0x7000, 0x5, 0x0020);
	vtd_poll_faults();
	record(0x7ULL << 48, 0x26, 0x0020);
	vtd_poll_faults();
	REQUIRE(line_count == 2);
	CHECK_STR(lines[0], "vtd: fault: unit 0: device 00:04.0 write at 0x7000 blocked: reason 0x5, "
			    "write to a page the domain does not map writable");
	CHECK_CONTAINS(lines[1], "device 00:04.0 interrupt index 7 blocked: reason 0x26, source-id verification failed");
	CHECK(vtd_fault_seen(0x0020, 0x7000, true));
	CHECK_EQ_U64(vtd_ir_fault_seen(0x0020, 7), 0x26);
	/* The latest reason for an index is the one found. */
	record(0x7ULL << 48, 0x22, 0x0020);
	vtd_poll_faults();
	CHECK_EQ_U64(vtd_ir_fault_seen(0x0020, 7), 0x22);
}

TEST(distinct_faults_beyond_the_table_are_not_printed)
{
	u32 i, printed;

	unit_with_one_record();
	/* Earlier tests used some of the 32 slots; fill the rest and go well past them. */
	for (i = 0; i < 64; i++) {
		record((u64)(0x100 + i) << 48, 0x22, 0x0100);
		vtd_poll_faults();
	}
	printed = line_count;
	CHECK(printed < 32);
	record((u64)0x1ff << 48, 0x22, 0x0100);
	CHECK_EQ_U64(vtd_poll_faults(), 1); /* still read and cleared */
	CHECK_EQ_U64(line_count, printed);
	CHECK_EQ_U64(vtd_ir_fault_seen(0x0100, 0x1ff), 0);
}

TEST(overflow_said)
{
	unit_with_one_record();
	fsts(FSTS_PFO);
	CHECK_EQ_U64(vtd_poll_faults(), 0);
	REQUIRE(line_count == 1);
	CHECK_STR(lines[0], "warning: vtd: unit 0: fault records overflowed; later faults were lost");
}
