/*
 * VMX capabilities and VMX root operation on each CPU.
 *
 * Capabilities are read from the VMX MSRs on the boot CPU, printed by name, and checked
 * against what Plinth needs; each CPU then sets IA32_FEATURE_CONTROL if the firmware left it
 * unlocked, applies the CR0/CR4 fixed bits and executes VMXON with its own region.
 */
#include <plinth/console.h>
#include <plinth/memory.h>
#include <plinth/panic.h>
#include <x86/cpu.h>
#include <x86/percpu.h>
#include <x86/processor.h>
#include <x86/vmx.h>

struct vmx_caps vmx_caps;

static const char *yes(bool b)
{
	return b ? "yes" : "NO";
}

static void report(void)
{
	struct vmx_caps *c = &vmx_caps;
	u64 e = c->ept_vpid;

	log_info("vmx: revision 0x%x, region %lu bytes, memory type %s, TRUE controls %s, INS/OUTS info %s",
		 VMX_BASIC_REVISION(c->basic), VMX_BASIC_REGION_SIZE(c->basic),
		 VMX_BASIC_MEMTYPE(c->basic) == VMX_MEMTYPE_WB ? "WB" : "UC",
		 yes(c->basic & VMX_BASIC_TRUE_CTLS), yes(c->basic & VMX_BASIC_INS_OUTS_INFO));
	log_info("vmx: EPT %s, VPID %s, unrestricted guest %s, MSR bitmaps %s, I/O bitmaps %s",
		 yes(vmx_has_ept()), yes(vmx_has_vpid()), yes(vmx_has_unrestricted_guest()),
		 yes(vmx_ctl_allows(c->proc, CPU_USE_MSR_BITMAPS)),
		 yes(vmx_ctl_allows(c->proc, CPU_USE_IO_BITMAPS)));
	log_info("vmx: EPT 4-level walk %s, WB %s, UC %s, 2M pages %s, 1G pages %s, A/D bits %s, execute-only %s",
		 yes(e & EPT_CAP_WALK_4), yes(e & EPT_CAP_WB), yes(e & EPT_CAP_UC), yes(e & EPT_CAP_2M),
		 yes(e & EPT_CAP_1G), yes(e & EPT_CAP_AD), yes(e & EPT_CAP_EXEC_ONLY));
	log_info("vmx: INVEPT %s (single-context %s, all-context %s), INVVPID %s (address %s, single-context %s, all-context %s)",
		 yes(e & EPT_CAP_INVEPT), yes(e & EPT_CAP_INVEPT_SINGLE), yes(e & EPT_CAP_INVEPT_ALL),
		 yes(e & VPID_CAP_INVVPID), yes(e & VPID_CAP_INVVPID_ADDR),
		 yes(e & VPID_CAP_INVVPID_SINGLE), yes(e & VPID_CAP_INVVPID_ALL));
	log_info("vmx: activity states HLT %s, shutdown %s, wait-for-SIPI %s; save/load EFER %s, PAT %s",
		 yes(c->misc & VMX_MISC_ACTIVITY_HLT), yes(c->misc & VMX_MISC_ACTIVITY_SHUTDOWN),
		 yes(c->misc & VMX_MISC_ACTIVITY_WAIT_SIPI),
		 yes(vmx_ctl_allows(c->exit, EXIT_SAVE_EFER | EXIT_LOAD_EFER) &&
		     vmx_ctl_allows(c->entry, ENTRY_LOAD_EFER)),
		 yes(vmx_ctl_allows(c->exit, EXIT_SAVE_PAT | EXIT_LOAD_PAT) &&
		     vmx_ctl_allows(c->entry, ENTRY_LOAD_PAT)));
}

static void require(bool have, const char *what)
{
	if (!have)
		panic("CPU cannot run Plinth", "VMX capability missing: %s", what);
}

bool vmx_detect(void)
{
	struct vmx_caps *c = &vmx_caps;
	u32 a, b, cx, d;
	bool true_ctls;

	cpuid(1, 0, &a, &b, &cx, &d);
	if (!(cx & CPUID_1_ECX_VMX)) {
		log_info("vmx: not available (CPUID.1:ECX.VMX[bit 5] is 0): no guest can run on this CPU");
		return false;
	}

	c->basic = rdmsr(MSR_IA32_VMX_BASIC);
	true_ctls = c->basic & VMX_BASIC_TRUE_CTLS;
	/* With TRUE_* MSRs some default-1 controls may be cleared (Appendix A.2). */
	c->pin = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS);
	c->proc = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS);
	c->exit = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS);
	c->entry = rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS);
	c->misc = rdmsr(MSR_IA32_VMX_MISC);
	c->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	c->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	c->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	c->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	/* These two MSRs exist only when the controls that use them do (Appendix A.3.3, A.10). */
	if (vmx_ctl_allows(c->proc, CPU_ACTIVATE_SECONDARY))
		c->proc2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
	if (vmx_ctl_allows(c->proc2, CPU2_ENABLE_EPT) || vmx_ctl_allows(c->proc2, CPU2_ENABLE_VPID))
		c->ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	report();

	require(VMX_BASIC_REGION_SIZE(c->basic) <= PLINTH_PAGE_SIZE, "VMCS region fits in 4 KiB");
	require(VMX_BASIC_MEMTYPE(c->basic) == VMX_MEMTYPE_WB, "write-back VMCS memory type");
	require(vmx_ctl_allows(c->proc, CPU_ACTIVATE_SECONDARY), "secondary processor-based controls");
	require(vmx_ctl_allows(c->proc, CPU_USE_MSR_BITMAPS), "MSR bitmaps");
	require(vmx_ctl_allows(c->proc, CPU_USE_IO_BITMAPS), "I/O bitmaps");
	require(vmx_has_ept(), "EPT");
	require(vmx_has_unrestricted_guest(), "unrestricted guest");
	require(c->ept_vpid & EPT_CAP_WALK_4, "EPT 4-level page walk");
	require(c->ept_vpid & EPT_CAP_WB, "EPT write-back memory type");
	require(c->ept_vpid & EPT_CAP_INVEPT, "INVEPT");
	require(c->ept_vpid & (EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL), "INVEPT single- or all-context");
	require(c->misc & VMX_MISC_ACTIVITY_WAIT_SIPI, "wait-for-SIPI activity state");
	require(c->misc & VMX_MISC_ACTIVITY_HLT, "HLT activity state");
	require(vmx_ctl_allows(c->exit, EXIT_HOST_ADDR_SPACE_SIZE), "64-bit host (exit control)");
	require(vmx_ctl_allows(c->exit, EXIT_SAVE_EFER | EXIT_LOAD_EFER) &&
			vmx_ctl_allows(c->entry, ENTRY_LOAD_EFER),
		"save/load IA32_EFER on VM exit and entry");
	require(vmx_ctl_allows(c->pin, PIN_NMI_EXITING), "NMI exiting");
	if (vmx_has_vpid())
		require(c->ept_vpid & VPID_CAP_INVVPID && c->ept_vpid & VPID_CAP_INVVPID_SINGLE,
			"INVVPID single-context (VPID is offered)");
	else
		log_warn("vmx: no VPID: every VM exit and entry flushes the TLB");
	return true;
}

static void vmxon(hpa_t region)
{
	u8 fail;

	asm volatile("vmxon %1; setna %0" : "=qm"(fail) : "m"(region) : "cc", "memory");
	if (fail)
		panic("VMXON failed", "CPU %u: VMXON with region 0x%lx set CF or ZF", this_cpu()->index,
		      region);
}

void vmx_cpu_enable(void)
{
	struct percpu *pc = this_cpu();
	u64 fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	u32 *region, a, b, c, d;

	if (!(fc & FEATURE_CONTROL_LOCKED)) {
		fc |= FEATURE_CONTROL_LOCKED | FEATURE_CONTROL_VMX_OUTSIDE_SMX;
		wrmsr(MSR_IA32_FEATURE_CONTROL, fc);
	} else if (!(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
		panic("VMX is disabled by the firmware",
		      "CPU %u: IA32_FEATURE_CONTROL is locked (0x%lx) with VMX outside SMX off; enable VT-x in the firmware setup",
		      pc->index, fc);
	}
	/* SDM 24.8: CR0 and CR4 must respect the fixed bits while in VMX operation. OSXSAVE lets
	 * Plinth execute XSETBV for its guests (Plinth itself never uses extended state). */
	cpuid(1, 0, &a, &b, &c, &d);
	write_cr0((read_cr0() | vmx_caps.cr0_fixed0) & vmx_caps.cr0_fixed1);
	write_cr4((read_cr4() | vmx_caps.cr4_fixed0 | X86_CR4_VMXE | (c & CPUID_1_ECX_XSAVE ? X86_CR4_OSXSAVE : 0)) &
		  vmx_caps.cr4_fixed1);

	region = page_alloc();
	region[0] = VMX_BASIC_REVISION(vmx_caps.basic);
	pc->vmxon_region = region;
	vmxon((hpa_t)(uintptr_t)region);
	pc->vmx_root = true;
}
