/* VT-d fault records decoded for the console (arch/x86/vtd_fault_text.c, pure): what
 * vtd_fault.c prints for each new fault it reads. */
#ifndef X86_VTD_FAULT_H
#define X86_VTD_FAULT_H

#include <plinth/types.h>

/* A fault recording register's high quadword (VT-d 11.4.14, bits 127:64). */
#define FRCD_T BIT(62) /* 1: read request, 0: write request (DMA faults) */
#define FRCD_REASON(hi) ((u8)((hi) >> 32))
#define FRCD_SID(hi) ((u16)(hi))

/* Whether a fault reason is interrupt remapping's (20h-2Fh, VT-d 7.1.3 and appendix A): its
 * record then names an interrupt index, not an address. */
bool vtd_fault_is_ir(u8 reason);
/* One phrase for any fault reason, DMA or interrupt remapping. */
const char *vtd_fault_reason_text(u8 reason);
/* The console line (without the log prefix) for the fault record lo/hi (FRCD bits 63:0 and
 * 127:64) read from unit: "vtd: fault: unit U: device BB:DD.F ..." with the access and page
 * of a DMA fault or the interrupt index of an interrupt-remapping fault, the reason in hex
 * and by name. Returns what format() returns. */
int vtd_fault_describe(u32 unit, u64 lo, u64 hi, char *buf, size_t n);

#endif
