/* VMX (vmx.c): capability MSRs, execution controls, VMX root operation (SDM Vol. 3C, ch. 24-26
 * and Appendix A). VMCS field encodings come from the generated vmcs_fields.h, the checked VMX
 * instructions from x86/vmx_insn.h. */
#ifndef X86_VMX_H
#define X86_VMX_H

#include <plinth/types.h>
#include <vmcs_fields.h>
#include <x86/vmx_insn.h>

#define MSR_IA32_FEATURE_CONTROL 0x3a
#define FEATURE_CONTROL_LOCKED BIT(0)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX BIT(2)

#define MSR_IA32_VMX_BASIC 0x480
#define MSR_IA32_VMX_PINBASED_CTLS 0x481
#define MSR_IA32_VMX_PROCBASED_CTLS 0x482
#define MSR_IA32_VMX_EXIT_CTLS 0x483
#define MSR_IA32_VMX_ENTRY_CTLS 0x484
#define MSR_IA32_VMX_MISC 0x485
#define MSR_IA32_VMX_CR0_FIXED0 0x486
#define MSR_IA32_VMX_CR0_FIXED1 0x487
#define MSR_IA32_VMX_CR4_FIXED0 0x488
#define MSR_IA32_VMX_CR4_FIXED1 0x489
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP 0x48c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS 0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS 0x490
#define MSR_IA32_VMX_LAST 0x492

/* IA32_VMX_BASIC (Appendix A.1). */
#define VMX_BASIC_REVISION(b) ((u32)(b) & 0x7fffffff)
#define VMX_BASIC_REGION_SIZE(b) (((b) >> 32) & 0x1fff)
#define VMX_BASIC_MEMTYPE(b) (((b) >> 50) & 0xf)
#define VMX_BASIC_INS_OUTS_INFO BIT(54)
#define VMX_BASIC_TRUE_CTLS BIT(55)
#define VMX_MEMTYPE_WB 6

/* IA32_VMX_MISC (Appendix A.6): supported activity states. */
#define VMX_MISC_ACTIVITY_HLT BIT(6)
#define VMX_MISC_ACTIVITY_SHUTDOWN BIT(7)
#define VMX_MISC_ACTIVITY_WAIT_SIPI BIT(8)

/* IA32_VMX_EPT_VPID_CAP (Appendix A.10). */
#define EPT_CAP_EXEC_ONLY BIT(0)
#define EPT_CAP_WALK_4 BIT(6)
#define EPT_CAP_WALK_5 BIT(7)
#define EPT_CAP_UC BIT(8)
#define EPT_CAP_WB BIT(14)
#define EPT_CAP_2M BIT(16)
#define EPT_CAP_1G BIT(17)
#define EPT_CAP_INVEPT BIT(20)
#define EPT_CAP_AD BIT(21)
#define EPT_CAP_INVEPT_SINGLE BIT(25)
#define EPT_CAP_INVEPT_ALL BIT(26)
#define VPID_CAP_INVVPID BIT(32)
#define VPID_CAP_INVVPID_ADDR BIT(40)
#define VPID_CAP_INVVPID_SINGLE BIT(41)
#define VPID_CAP_INVVPID_ALL BIT(42)
#define VPID_CAP_INVVPID_SINGLE_GLOBALS BIT(43)

/* Pin-based controls (SDM 25.6.1). */
#define PIN_EXTERNAL_INTERRUPT_EXITING BIT(0)
#define PIN_NMI_EXITING BIT(3)
#define PIN_VIRTUAL_NMIS BIT(5)
#define PIN_PREEMPTION_TIMER BIT(6)

/* Primary processor-based controls (SDM 25.6.2). */
#define CPU_HLT_EXITING BIT(7)
#define CPU_UNCOND_IO_EXITING BIT(24)
#define CPU_USE_IO_BITMAPS BIT(25)
#define CPU_USE_MSR_BITMAPS BIT(28)
#define CPU_ACTIVATE_SECONDARY BIT(31)

/* Secondary processor-based controls. */
#define CPU2_ENABLE_EPT BIT(1)
#define CPU2_ENABLE_RDTSCP BIT(3)
#define CPU2_ENABLE_VPID BIT(5)
#define CPU2_UNRESTRICTED_GUEST BIT(7)
#define CPU2_ENABLE_INVPCID BIT(12)
#define CPU2_ENABLE_XSAVES BIT(20)

/* VM-exit controls (SDM 25.7.1). */
#define EXIT_SAVE_DEBUG_CONTROLS BIT(2)
#define EXIT_HOST_ADDR_SPACE_SIZE BIT(9)
#define EXIT_ACK_INTR_ON_EXIT BIT(15)
#define EXIT_SAVE_PAT BIT(18)
#define EXIT_LOAD_PAT BIT(19)
#define EXIT_SAVE_EFER BIT(20)
#define EXIT_LOAD_EFER BIT(21)

/* VM-entry controls (SDM 25.8.1). */
#define ENTRY_LOAD_DEBUG_CONTROLS BIT(2)
#define ENTRY_IA32E_MODE_GUEST BIT(9)
#define ENTRY_LOAD_PAT BIT(14)
#define ENTRY_LOAD_EFER BIT(15)

/* Guest activity states (SDM 25.4.2). */
#define ACTIVITY_ACTIVE 0
#define ACTIVITY_HLT 1

/* Event injection / interruption information (SDM 25.8.3). */
#define INTR_INFO_VALID BIT(31)
#define INTR_TYPE_MASK (7u << 8)
#define INTR_INFO_DELIVER_CODE BIT(11)
#define INTR_TYPE_NMI (2u << 8)
#define INTR_TYPE_HW_EXCEPTION (3u << 8)

/* Basic exit reason: bits 15:0; bit 31 marks a failed VM entry (SDM 25.9.1). */
#define EXIT_REASON_BASIC(r) ((r) & 0xffff)
#define EXIT_REASON_ENTRY_FAILURE BIT(31)

/* Capabilities read once on the boot CPU; every CPU is checked against them. */
struct vmx_caps {
	u64 basic, misc, ept_vpid;
	u64 pin, proc, proc2, exit, entry; /* low 32: allowed-0 settings, high 32: allowed-1 */
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
};

extern struct vmx_caps vmx_caps;

/* A control word: the wanted bits forced by the allowed-0/allowed-1 settings. */
static inline u32 vmx_ctl(u64 msr, u32 want)
{
	return (want | (u32)msr) & (u32)(msr >> 32);
}

static inline bool vmx_ctl_allows(u64 msr, u32 bits)
{
	return ((msr >> 32) & bits) == bits;
}

static inline bool vmx_has_ept(void)
{
	return vmx_ctl_allows(vmx_caps.proc2, CPU2_ENABLE_EPT);
}

static inline bool vmx_has_vpid(void)
{
	return vmx_ctl_allows(vmx_caps.proc2, CPU2_ENABLE_VPID);
}

static inline bool vmx_has_unrestricted_guest(void)
{
	return vmx_ctl_allows(vmx_caps.proc2, CPU2_UNRESTRICTED_GUEST);
}

/* Reads the capability MSRs, prints them by name, and panics naming the first capability
 * Plinth needs that this CPU lacks. False (after one line) when the CPU has no VMX at all.
 * Boot CPU only. */
bool vmx_detect(void);

/* Enables VMX on this CPU (feature control, CR0/CR4 fixed bits, VMXON). Panics on failure. */
void vmx_cpu_enable(void);

#endif
