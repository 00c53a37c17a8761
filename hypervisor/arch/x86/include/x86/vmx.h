/* VMX (vmx.c): capabilities, execution controls, VMX root operation (SDM Vol. 3C, ch. 24-26
 * and Appendix A). The capability MSRs, their fields (control bits included) and what Plinth
 * requires come from the generated vmx_caps.h (tools/vmxcaps.py), VMCS field encodings from
 * vmcs_fields.h, the checked VMX instructions from x86/vmx_insn.h. */
#ifndef X86_VMX_H
#define X86_VMX_H

#include <plinth/types.h>
#include <vmcs_fields.h>
#include <vmx_caps.h>
#include <vmx_exits.h>
#include <x86/vmx_insn.h>

/* Guest activity states (SDM 25.4.2). */
#define ACTIVITY_ACTIVE 0
#define ACTIVITY_HLT 1
#define ACTIVITY_WAIT_FOR_SIPI 3

/* Event injection / interruption information (SDM 25.8.3). */
#define INTR_INFO_VALID BIT(31)
#define INTR_TYPE_MASK (7u << 8)
#define INTR_INFO_DELIVER_CODE BIT(11)
#define INTR_TYPE_NMI (2u << 8)
#define INTR_TYPE_HW_EXCEPTION (3u << 8)

/* Segment access rights in the guest-state area (SDM 25.4.1). */
#define AR_DPL(ar) (((ar) >> 5) & 3)
#define AR_L BIT(13)  /* CS.L: 64-bit code */
#define AR_DB BIT(14) /* CS.D: 32-bit default operand and address size */

/* Guest interruptibility state (SDM 25.4.2, Table 25-3). */
#define INTERRUPTIBILITY_STI BIT(0)
#define INTERRUPTIBILITY_MOV_SS BIT(1)
#define INTERRUPTIBILITY_NMI BIT(3) /* virtual-NMI blocking, with virtual NMIs */

/* Guest pending debug exceptions (SDM 25.4.2, Table 25-4): BS, a single-step trap. */
#define PENDING_DBG_BS BIT(14)
/* IA32_DEBUGCTL.BTF: TF single-steps on branches only (SDM Vol. 3B, 18.4.1). */
#define DEBUGCTL_BTF BIT(1)

/* IDT-vectoring information (SDM 25.9.3): an event whose delivery the exit interrupted. */
#define INTR_TYPE_SOFT_INTR (4u << 8)
#define INTR_TYPE_PRIV_SOFT_EXCEPTION (5u << 8)
#define INTR_TYPE_SOFT_EXCEPTION (6u << 8)
#define INTR_INFO_VECTOR_TYPE_CODE 0xfff /* vector, type, error-code flag: bits 11:0 */

/* Basic exit reason: bits 15:0 (bit 31 marks a failed VM entry, SDM 25.9.1). */
#define EXIT_REASON_BASIC(r) ((r) & 0xffff)

/* Capabilities read once on the boot CPU; every CPU is checked against them. */
struct vmx_caps {
	u64 basic, misc, ept_vpid;
	u64 pin, proc, proc2, exit, entry; /* low 32: allowed-0 settings, high 32: allowed-1 */
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
};

extern struct vmx_caps vmx_caps;

/* The control words every vCPU starts with (vmx.c, from tools/exits.py): what Plinth wants,
 * forced by the capability MSRs; vmx_detect() refuses a CPU that forces on a control whose
 * exits Plinth does not handle. */
struct vmx_controls {
	u32 pin, proc, proc2, exit, entry;
};

extern struct vmx_controls vmx_controls;

/* A control word: the wanted bits forced by the allowed-0/allowed-1 settings. */
static inline u32 vmx_ctl(u64 msr, u32 want)
{
	return (want | (u32)msr) & (u32)(msr >> 32);
}

static inline bool vmx_ctl_allows(u64 msr, u32 bits)
{
	return ((msr >> 32) & bits) == bits;
}

static inline bool vmx_has_vpid(void)
{
	return vmx_ctl_allows(vmx_caps.proc2, CPU2_ENABLE_VPID);
}

/* Reads the capability MSRs, prints them by name, and panics naming the first capability
 * Plinth needs that this CPU lacks. False (after one line) when the CPU has no VMX at all.
 * Boot CPU only. */
bool vmx_detect(void);

/* Enables VMX on this CPU (feature control, CR0/CR4 fixed bits, VMXON). Panics on failure. */
void vmx_cpu_enable(void);

#endif
