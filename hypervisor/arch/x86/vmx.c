/*
 * VMX capabilities and VMX root operation on each CPU.
 *
 * Capabilities are read from the VMX MSRs on the boot CPU, printed by name, and checked
 * against what Plinth needs; each CPU then sets IA32_FEATURE_CONTROL if the firmware left it
 * unlocked, applies the CR0/CR4 fixed bits and executes VMXON with its own region.
 */
#include <console_proto.h>
#include <plinth/console.h>
#include <plinth/memory.h>
#include <plinth/panic.h>
#include <x86/cpu.h>
#include <x86/percpu.h>
#include <x86/processor.h>
#include <x86/vmx.h>
#include <x86/vmx_cap.h>

struct vmx_caps vmx_caps;
struct vmx_controls vmx_controls;

static const char *yes(bool b)
{
	return b ? "yes" : "NO";
}

/* The registers as vmx_cap.c's table indexes them. */
static void cap_regs(u64 *regs)
{
#define CAP_REG(id, member) regs[VMX_CAP_REG_##id] = vmx_caps.member;
	VMX_CAP_REGS(CAP_REG)
#undef CAP_REG
}

static void report(const u64 *regs)
{
	const struct vmx_caps *c = &vmx_caps;
	char line[160];
	u32 i;

	log_info("vmx: revision 0x%lx, region %lu bytes, memory type %s, TRUE controls %s, INS/OUTS info %s",
		 VMX_BASIC_REVISION(c->basic), VMX_BASIC_REGION_SIZE(c->basic),
		 VMX_BASIC_MEMTYPE(c->basic) == VMX_MEMTYPE_WB ? "WB" : "UC",
		 yes(vmx_cap_holds(&vmx_cap_table[VMX_CAP_TRUE_CONTROL_MSRS], regs)),
		 yes(vmx_cap_holds(&vmx_cap_table[VMX_CAP_INS_OUTS_EXIT_INFORMATION], regs)));
	for (i = 0; i < vmx_report_line_count; i++) {
		vmx_cap_report_line(&vmx_report_lines[i], regs, line, sizeof(line));
		log_info("%s", line);
	}
}

/* A control word with a bit forced on whose VM exits have no handler or stop policy in
 * tools/exits.py: Plinth would meet exits it cannot deal with, so it refuses this CPU. */
static void check_known(const char *name, u32 word, u32 known)
{
	if (word & ~known)
		panic("CPU cannot run Plinth", "it forces %s VMX controls 0x%x on, whose VM exits Plinth does not handle",
		      name, word & ~known);
}

static void controls_compute(void)
{
	struct vmx_controls *c = &vmx_controls;

	c->pin = vmx_ctl(vmx_caps.pin, VMX_PIN_WANT | VMX_PIN_OPTIONAL);
	c->proc = vmx_ctl(vmx_caps.proc, VMX_PROC_WANT | VMX_PROC_OPTIONAL);
	c->proc2 = vmx_ctl(vmx_caps.proc2, VMX_PROC2_WANT | VMX_PROC2_OPTIONAL);
	c->exit = vmx_ctl(vmx_caps.exit, VMX_EXIT_WANT | VMX_EXIT_OPTIONAL);
	c->entry = vmx_ctl(vmx_caps.entry, VMX_ENTRY_WANT | VMX_ENTRY_OPTIONAL);
	/* PAT is saved and loaded in both directions or not at all. */
	if (vmx_ctl_allows(vmx_caps.exit, EXIT_SAVE_PAT | EXIT_LOAD_PAT) && vmx_ctl_allows(vmx_caps.entry, ENTRY_LOAD_PAT)) {
		c->exit |= EXIT_SAVE_PAT | EXIT_LOAD_PAT;
		c->entry |= ENTRY_LOAD_PAT;
	}
	check_known("pin-based", c->pin, VMX_PIN_KNOWN);
	check_known("processor-based", c->proc, VMX_PROC_KNOWN);
	check_known("secondary processor-based", c->proc2, VMX_PROC2_KNOWN);
	check_known("VM-exit", c->exit, VMX_EXIT_KNOWN);
	check_known("VM-entry", c->entry, VMX_ENTRY_KNOWN);
	log_info(CONSOLE_FMT_VMX_MSRS, vmx_caps.basic, vmx_caps.misc, vmx_caps.pin, vmx_caps.proc, vmx_caps.proc2,
		 vmx_caps.exit, vmx_caps.entry, vmx_caps.ept_vpid);
	log_info(CONSOLE_FMT_VMX_CONTROLS, c->pin, c->proc, c->proc2, c->exit, c->entry);
}

bool vmx_detect(void)
{
	struct vmx_caps *c = &vmx_caps;
	u64 regs[VMX_CAP_REG_COUNT];
	u32 a, b, cx, d, i;
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
	cap_regs(regs);
	report(regs);

	/* In the table's order, so the first capability missing is the one named. */
	for (i = 0; i < VMX_CAP_COUNT; i++) {
		const struct vmx_cap *cap = &vmx_cap_table[i];

		if (cap->need == VMX_CAP_REQUIRED && vmx_cap_applies(cap, regs) && !vmx_cap_holds(cap, regs))
			panic("CPU cannot run Plinth", "VMX capability missing: %s", cap->name);
	}
	for (i = 0; i < VMX_CAP_COUNT; i++) {
		const struct vmx_cap *cap = &vmx_cap_table[i];

		if (cap->need == VMX_CAP_OPTIONAL && cap->warn && !vmx_cap_holds(cap, regs))
			log_warn("vmx: no %s: %s", cap->name, cap->without);
	}
	controls_compute();
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
	region[0] = (u32)VMX_BASIC_REVISION(vmx_caps.basic);
	pc->vmxon_region = region;
	vmxon((hpa_t)(uintptr_t)region);
	pc->vmx_root = true;
}
