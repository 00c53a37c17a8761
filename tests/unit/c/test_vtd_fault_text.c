// sources: hypervisor/arch/x86/vtd_fault_text.c hypervisor/arch/x86/vtd_ir.c hypervisor/arch/x86/irq_policy.c hypervisor/core/format.c
/*
 * Fault records decoded for the console (arch/x86/vtd_fault_text.c), from records laid out as
 * the VT-d specification (11.4.14) gives them, not as the code builds them: a DMA fault by
 * access and page, an interrupt-remapping fault (reasons 20h-2Fh) by its interrupt index in
 * bits 63:48 of the low quadword, each reason by name, unknown ones said to be unknown.
 */
#include <x86/vtd_fault.h>

#include "test.h"

/* High quadword: F (127), T (126: 1 read), reason (103:96), source id (79:64). */
static u64 hi(u8 reason, u16 sid, bool read)
{
	return 1ULL << 63 | (read ? 1ULL << 62 : 0) | (u64)reason << 32 | sid;
}

TEST(dma_fault_line)
{
	char line[192];

	vtd_fault_describe(0, 0xf800123, hi(0x5, 0x0018, false), line, sizeof(line));
	CHECK_STR(line, "vtd: fault: unit 0: device 00:03.0 write at 0xf800000 blocked: reason 0x5, "
			"write to a page the domain does not map writable");
	vtd_fault_describe(1, 0x1000, hi(0x6, 0x0a11, true), line, sizeof(line));
	CHECK_STR(line, "vtd: fault: unit 1: device 0a:02.1 read at 0x1000 blocked: reason 0x6, "
			"read from a page the domain does not map readable");
}

TEST(interrupt_remapping_fault_lines)
{
	char line[192];

	/* Entry 5 not present, from 00:03.0; the T bit and the low bits mean nothing here. */
	vtd_fault_describe(0, 5ULL << 48 | 0xfee000a0, hi(0x22, 0x0018, true), line, sizeof(line));
	CHECK_STR(line, "vtd: fault: unit 0: device 00:03.0 interrupt index 5 blocked: reason 0x22, "
			"remapping entry not present");
	vtd_fault_describe(2, 0xffffULL << 48, hi(0x26, 0x0100, false), line, sizeof(line));
	CHECK_STR(line, "vtd: fault: unit 2: device 01:00.0 interrupt index 65535 blocked: reason 0x26, "
			"source-id verification failed: the entry belongs to another requester");
	vtd_fault_describe(0, 0, hi(0x25, 0x0018, false), line, sizeof(line));
	CHECK_CONTAINS(line, "compatibility-format interrupt blocked");
	vtd_fault_describe(0, 0, hi(0x2a, 0x0018, false), line, sizeof(line));
	CHECK_CONTAINS(line, "interrupt index 0 blocked: reason 0x2a, other interrupt-remapping reason");
}

TEST(which_reasons_are_interrupt_remapping)
{
	CHECK(!vtd_fault_is_ir(0x1f));
	CHECK(vtd_fault_is_ir(0x20));
	CHECK(vtd_fault_is_ir(0x2f));
	CHECK(!vtd_fault_is_ir(0x30)); /* scalable-mode DMA reasons */
	CHECK_CONTAINS(vtd_fault_reason_text(0x7f), "other reason");
	CHECK_CONTAINS(vtd_fault_reason_text(0x21), "beyond the remapping table's size");
}
