/*
 * VT-d fault reporting (VT-d specification 7.1, 7.3 and 11.4.14): Plinth polls the primary
 * fault recording registers, prints each distinct fault once decoded (vtd_fault_text.c
 * vtd_fault_describe: a DMA fault by address, an interrupt-remapping fault by interrupt index),
 * counts repeats, and clears the records. A device fault never stops Plinth.
 */
#include <plinth/console.h>
#include <x86/vtd.h>
#include <x86/vtd_fault.h>
#include <x86/vtd_ir.h>
#include <x86/vtd_regs.h>

#define SEEN_MAX 32

struct seen_fault {
	u16 sid;
	u8 reason;
	bool write;
	u64 page; /* an interrupt-remapping fault's interrupt index */
	u64 count, reported;
};

static struct seen_fault seen[SEEN_MAX];
static u32 seen_count;
static u64 unrecorded; /* faults beyond the table, or lost to overflow */

static void record(u32 unit, u64 lo, u64 hi)
{
	u16 sid = FRCD_SID(hi);
	u8 reason = FRCD_REASON(hi);
	bool ir = vtd_fault_is_ir(reason);
	bool write = !ir && !(hi & FRCD_T);
	u64 page = ir ? VTD_IR_FAULT_INDEX(lo) : lo & ~0xfffULL;
	char line[192];
	u32 i;

	for (i = 0; i < seen_count; i++) {
		if (seen[i].sid == sid && seen[i].reason == reason && seen[i].write == write && seen[i].page == page) {
			seen[i].count++;
			return;
		}
	}
	if (seen_count == SEEN_MAX) {
		unrecorded++;
		return;
	}
	seen[seen_count++] = (struct seen_fault){ sid, reason, write, page, 1, 1 };
	vtd_fault_describe(unit, lo, hi, line, sizeof(line));
	log_info("%s", line);
}

u32 vtd_poll_faults(void)
{
	u32 n = 0, i, u;

	for (u = 0; u < vtd_unit_count; u++) {
		const struct vtd_unit *unit = &vtd_units[u];
		u32 fsts = vtd_read32(unit, VTD_FSTS), nfr = (u32)CAP_NFR(unit->cap), fro = (u32)CAP_FRO(unit->cap);
		u32 fri = FSTS_FRI(fsts);

		for (i = 0; (fsts & FSTS_PPF) && i < nfr; i++) {
			u32 reg = fro + ((fri + i) % nfr) * 16;
			u64 hi = vtd_read64(unit, reg + 8), lo;

			if (!(hi & FRCD_F))
				break;
			lo = vtd_read64(unit, reg);
			record(u, lo, hi);
			vtd_write32(unit, reg + 12, (u32)(FRCD_F >> 32)); /* write 1 to clear F */
			n++;
		}
		if (fsts & FSTS_PFO) {
			log_warn("vtd: unit %u: fault records overflowed; later faults were lost", u);
			unrecorded++;
			vtd_write32(unit, VTD_FSTS, FSTS_PFO);
		}
	}
	for (i = 0; i < seen_count; i++) {
		if (seen[i].count <= seen[i].reported)
			continue;
		if (vtd_fault_is_ir(seen[i].reason))
			log_info("vtd: fault: device %02x:%02x.%u interrupt index %lu repeated: %lu times in all",
				 seen[i].sid >> 8, (seen[i].sid >> 3) & 0x1f, seen[i].sid & 7, seen[i].page, seen[i].count);
		else
			log_info("vtd: fault: device %02x:%02x.%u %s at 0x%lx repeated: %lu times in all", seen[i].sid >> 8,
				 (seen[i].sid >> 3) & 0x1f, seen[i].sid & 7, seen[i].write ? "write" : "read",
				 seen[i].page, seen[i].count);
		seen[i].reported = seen[i].count;
	}
	return n;
}

bool vtd_fault_seen(u16 sid, u64 addr, bool write)
{
	u32 i;

	for (i = 0; i < seen_count; i++)
		if (!vtd_fault_is_ir(seen[i].reason) && seen[i].sid == sid && seen[i].page == (addr & ~0xfffULL) &&
		    seen[i].write == write)
			return true;
	return false;
}

u8 vtd_ir_fault_seen(u16 sid, u32 index)
{
	u32 i;

	for (i = seen_count; i-- > 0;)
		if (vtd_fault_is_ir(seen[i].reason) && seen[i].sid == sid && seen[i].page == index)
			return seen[i].reason;
	return 0;
}
