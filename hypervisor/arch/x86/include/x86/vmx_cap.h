/* The VMX capability table generated from tools/vmxcaps.py (build/generated/vmx_caps.h), and
 * its evaluation (vmx_cap.c): pure, so the host tests run it against the Python definition. */
#ifndef X86_VMX_CAP_H
#define X86_VMX_CAP_H

#include <plinth/types.h>
#include <vmx_caps.h>

extern const struct vmx_cap vmx_cap_table[VMX_CAP_COUNT];
extern const struct vmx_report_line vmx_report_lines[];
extern const u32 vmx_report_line_count;

/* Whether every test of the capability holds for the register values (indexed by enum
 * vmx_cap_reg). */
bool vmx_cap_holds(const struct vmx_cap *cap, const u64 *regs);
/* False for a conditional requirement whose condition does not hold (not needed then). */
bool vmx_cap_applies(const struct vmx_cap *cap, const u64 *regs);
/* One report line ("vmx: EPT yes, VPID NO, ...") into buf; returns like format(). */
int vmx_cap_report_line(const struct vmx_report_line *line, const u64 *regs, char *buf, size_t size);

#endif
