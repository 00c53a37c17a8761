/* VT-d fault records decoded for the console; see x86/vtd_fault.h. */
#include <plinth/format.h>
#include <x86/vtd_fault.h>
#include <x86/vtd_ir.h>

bool vtd_fault_is_ir(u8 reason)
{
	return (reason & 0xf0) == 0x20;
}

/* VT-d appendix A, the DMA remapping reasons of legacy mode. */
static const char *dma_reason_text(u8 reason)
{
	switch (reason) {
	case 0x1:
		return "root entry not present";
	case 0x2:
		return "context entry not present: the device belongs to no domain";
	case 0x3:
		return "invalid context entry";
	case 0x4:
		return "address beyond the domain's address width";
	case 0x5:
		return "write to a page the domain does not map writable";
	case 0x6:
		return "read from a page the domain does not map readable";
	case 0x7:
		return "invalid second-level page-table pointer";
	case 0x8:
		return "invalid root-table pointer";
	case 0x9:
		return "invalid context-table pointer";
	case 0xa:
		return "reserved field set in a root entry";
	case 0xb:
		return "reserved field set in a context entry";
	case 0xc:
		return "reserved field set in a second-level paging entry";
	case 0xd:
		return "translated or translation request blocked by the context entry";
	default:
		return "other reason (see the VT-d specification, appendix A)";
	}
}

const char *vtd_fault_reason_text(u8 reason)
{
	const char *ir = vtd_ir_fault_name(reason);

	if (ir)
		return ir;
	if (vtd_fault_is_ir(reason))
		return "other interrupt-remapping reason (see the VT-d specification, appendix A)";
	return dma_reason_text(reason);
}

int vtd_fault_describe(u32 unit, u64 lo, u64 hi, char *buf, size_t n)
{
	u16 sid = FRCD_SID(hi);
	u8 reason = FRCD_REASON(hi);

	if (vtd_fault_is_ir(reason))
		return format(buf, n, "vtd: fault: unit %u: device %02x:%02x.%u interrupt index %u blocked: reason 0x%x, %s",
			      unit, sid >> 8, (sid >> 3) & 0x1f, sid & 7, VTD_IR_FAULT_INDEX(lo), reason,
			      vtd_fault_reason_text(reason));
	return format(buf, n, "vtd: fault: unit %u: device %02x:%02x.%u %s at 0x%lx blocked: reason 0x%x, %s", unit,
		      sid >> 8, (sid >> 3) & 0x1f, sid & 7, hi & FRCD_T ? "read" : "write", lo & ~(u64)0xfff, reason,
		      vtd_fault_reason_text(reason));
}
