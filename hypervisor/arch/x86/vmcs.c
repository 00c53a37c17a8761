/*
 * VMCS set-up (SDM Vol. 3C, ch. 25): controls computed from the capability MSRs, host state of
 * this CPU, and the guest's start states (32-bit flat protected mode, wait-for-SIPI, the real
 * mode state a SIPI starts). Guest-state rules: SDM 27.3.1.
 */
#include <plinth/memory.h>
#include <plinth/string.h>
#include <x86/cpu.h>
#include <x86/percpu.h>
#include <x86/vcpu.h>
#include <x86/vmexit.h>
#include <x86/vmx.h>

#define MSR_IA32_PAT 0x277
#define PAT_POWER_ON 0x0007040600070406ULL
#define X86_CR0_ET BIT(4)
#define X86_CR0_NE BIT(5)
#define X86_CR4_VMXE BIT(13)
#define RFLAGS_RESERVED_1 BIT(1)
#define DR7_POWER_ON 0x400

#define AR_CODE32 0xc09b /* present, code, exec/read, accessed, 32-bit, 4 KiB granular */
#define AR_DATA32 0xc093
#define AR_CODE16 0x009b
#define AR_DATA16 0x0093
#define AR_TSS_BUSY 0x008b
#define AR_UNUSABLE BIT(16)

/* CR0/CR4 bits Plinth owns: those VMX fixes (except PE and PG, free under unrestricted guest),
 * and CR4.VMXE, which the guest must never see set. A guest write to an owned bit exits. */
u64 vmx_cr0_owned(void)
{
	return (vmx_caps.cr0_fixed0 | ~vmx_caps.cr0_fixed1) & ~(X86_CR0_PE | X86_CR0_PG) & 0xffffffffULL;
}

u64 vmx_cr4_owned(void)
{
	return (vmx_caps.cr4_fixed0 | ~vmx_caps.cr4_fixed1 | X86_CR4_VMXE) & 0xffffffffULL;
}

/* The value the hardware needs for what the guest asked for. */
u64 vmx_cr0_real(u64 guest)
{
	u64 fixed0 = vmx_caps.cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG);

	return (guest | fixed0) & vmx_caps.cr0_fixed1;
}

u64 vmx_cr4_real(u64 guest)
{
	return (guest | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1;
}

static void controls(struct vcpu *v)
{
	struct arch_vm *a = v->vm->arch;
	u32 proc2 = CPU2_ENABLE_EPT | CPU2_UNRESTRICTED_GUEST;
	u32 exit = EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_SAVE_DEBUG_CONTROLS;
	u32 entry = ENTRY_LOAD_EFER | ENTRY_LOAD_DEBUG_CONTROLS;

	/* Offer the guest what the CPU can virtualise: without these controls RDTSCP, INVPCID
	 * and XSAVES would raise #UD in the guest although CPUID advertises them. */
	if (vmx_has_vpid())
		proc2 |= CPU2_ENABLE_VPID;
	proc2 |= (u32)(vmx_caps.proc2 >> 32) & (CPU2_ENABLE_RDTSCP | CPU2_ENABLE_INVPCID | CPU2_ENABLE_XSAVES);
	if (vmx_ctl_allows(vmx_caps.exit, EXIT_SAVE_PAT | EXIT_LOAD_PAT) &&
	    vmx_ctl_allows(vmx_caps.entry, ENTRY_LOAD_PAT)) {
		exit |= EXIT_SAVE_PAT | EXIT_LOAD_PAT;
		entry |= ENTRY_LOAD_PAT;
	}
	vmcs_write(VMCS_PIN_BASED_VM_EXEC_CONTROL, vmx_ctl(vmx_caps.pin, PIN_NMI_EXITING));
	vmcs_write(VMCS_CPU_BASED_VM_EXEC_CONTROL,
		   vmx_ctl(vmx_caps.proc, CPU_USE_IO_BITMAPS | CPU_USE_MSR_BITMAPS | CPU_ACTIVATE_SECONDARY));
	vmcs_write(VMCS_SECONDARY_VM_EXEC_CONTROL, vmx_ctl(vmx_caps.proc2, proc2));
	vmcs_write(VMCS_VM_EXIT_CONTROLS, vmx_ctl(vmx_caps.exit, exit));
	vmcs_write(VMCS_VM_ENTRY_CONTROLS, vmx_ctl(vmx_caps.entry, entry));
	vmcs_write(VMCS_EXCEPTION_BITMAP, 0);
	vmcs_write(VMCS_CR3_TARGET_COUNT, 0);
	vmcs_write(VMCS_VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VMCS_VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VMCS_VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VMCS_VM_ENTRY_INTR_INFO, 0);
	vmcs_write(VMCS_MSR_BITMAP, (u64)(uintptr_t)a->msr_bitmap);
	vmcs_write(VMCS_IO_BITMAP_A, (u64)(uintptr_t)a->io_bitmap_a);
	vmcs_write(VMCS_IO_BITMAP_B, (u64)(uintptr_t)a->io_bitmap_b);
	vmcs_write(VMCS_EPT_POINTER, a->eptp);
	if (vmx_has_vpid())
		vmcs_write(VMCS_VIRTUAL_PROCESSOR_ID, a->vpid);
	vmcs_write(VMCS_CR0_GUEST_HOST_MASK, vmx_cr0_owned());
	vmcs_write(VMCS_CR4_GUEST_HOST_MASK, vmx_cr4_owned());
	vmcs_write(VMCS_VMCS_LINK_POINTER, ~0ULL);
}

static void host_state(void)
{
	struct percpu *pc = this_cpu();

	vmcs_write(VMCS_HOST_CR0, read_cr0());
	vmcs_write(VMCS_HOST_CR3, read_cr3());
	vmcs_write(VMCS_HOST_CR4, read_cr4());
	vmcs_write(VMCS_HOST_RSP, (u64)(uintptr_t)pc->stack_top);
	vmcs_write(VMCS_HOST_RIP, (u64)(uintptr_t)vmx_exit_stub);
	vmcs_write(VMCS_HOST_CS_SELECTOR, 0x08);
	vmcs_write(VMCS_HOST_SS_SELECTOR, 0x10);
	vmcs_write(VMCS_HOST_DS_SELECTOR, 0x10);
	vmcs_write(VMCS_HOST_ES_SELECTOR, 0x10);
	vmcs_write(VMCS_HOST_FS_SELECTOR, 0);
	vmcs_write(VMCS_HOST_GS_SELECTOR, 0);
	vmcs_write(VMCS_HOST_TR_SELECTOR, 0x18);
	vmcs_write(VMCS_HOST_FS_BASE, 0);
	vmcs_write(VMCS_HOST_GS_BASE, (u64)(uintptr_t)pc);
	vmcs_write(VMCS_HOST_TR_BASE, (u64)(uintptr_t)&pc->tss);
	vmcs_write(VMCS_HOST_GDTR_BASE, (u64)(uintptr_t)pc->gdt);
	vmcs_write(VMCS_HOST_IDTR_BASE, desc_idt_base());
	vmcs_write(VMCS_HOST_IA32_SYSENTER_CS, 0);
	vmcs_write(VMCS_HOST_IA32_SYSENTER_ESP, 0);
	vmcs_write(VMCS_HOST_IA32_SYSENTER_EIP, 0);
	vmcs_write(VMCS_HOST_IA32_EFER, rdmsr(MSR_EFER));
	if (vmcs_read(VMCS_VM_EXIT_CONTROLS) & EXIT_LOAD_PAT)
		vmcs_write(VMCS_HOST_IA32_PAT, rdmsr(MSR_IA32_PAT));
}

static void segment(u32 sel_field, u16 sel, u64 base, u32 limit, u32 ar)
{
	/* Selector, base, limit and access-rights fields of one register are laid out alike
	 * for ES..TR (SDM Appendix B): index steps of 2 from the selector's. */
	u32 index = (sel_field - VMCS_GUEST_ES_SELECTOR);

	vmcs_write(sel_field, sel);
	vmcs_write(VMCS_GUEST_ES_BASE + index, base);
	vmcs_write(VMCS_GUEST_ES_LIMIT + index, limit);
	vmcs_write(VMCS_GUEST_ES_ACCESS_RIGHTS + index, ar);
}

static void common_guest_state(void)
{
	vmcs_write(VMCS_GUEST_CR3, 0);
	vmcs_write(VMCS_GUEST_CR4, vmx_cr4_real(0));
	vmcs_write(VMCS_CR4_READ_SHADOW, 0);
	vmcs_write(VMCS_GUEST_DR7, DR7_POWER_ON);
	vmcs_write(VMCS_GUEST_RSP, 0);
	vmcs_write(VMCS_GUEST_RFLAGS, RFLAGS_RESERVED_1);
	segment(VMCS_GUEST_LDTR_SELECTOR, 0, 0, 0, AR_UNUSABLE);
	segment(VMCS_GUEST_TR_SELECTOR, 0, 0, 0xffff, AR_TSS_BUSY);
	vmcs_write(VMCS_GUEST_GDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_GDTR_LIMIT, 0xffff);
	vmcs_write(VMCS_GUEST_IDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_IDTR_LIMIT, 0xffff);
	vmcs_write(VMCS_GUEST_INTERRUPTIBILITY_STATE, 0);
	vmcs_write(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write(VMCS_GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(VMCS_GUEST_IA32_EFER, 0);
	if (vmcs_read(VMCS_VM_ENTRY_CONTROLS) & ENTRY_LOAD_PAT)
		vmcs_write(VMCS_GUEST_IA32_PAT, PAT_POWER_ON);
	vmcs_write(VMCS_GUEST_IA32_SYSENTER_CS, 0);
	vmcs_write(VMCS_GUEST_IA32_SYSENTER_ESP, 0);
	vmcs_write(VMCS_GUEST_IA32_SYSENTER_EIP, 0);
	vmcs_write(VMCS_VM_ENTRY_CONTROLS, vmcs_read(VMCS_VM_ENTRY_CONTROLS) & ~ENTRY_IA32E_MODE_GUEST);
	vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
}

void vmcs_guest_protected32(const struct vm_boot *b)
{
	common_guest_state();
	/* What a boot loader leaves: PE and ET; NE is forced on underneath if VMX needs it. */
	vmcs_write(VMCS_GUEST_CR0, vmx_cr0_real(X86_CR0_PE | X86_CR0_ET));
	vmcs_write(VMCS_CR0_READ_SHADOW, X86_CR0_PE | X86_CR0_ET);
	segment(VMCS_GUEST_CS_SELECTOR, b->cs, 0, 0xffffffff, AR_CODE32);
	segment(VMCS_GUEST_SS_SELECTOR, b->ds, 0, 0xffffffff, AR_DATA32);
	segment(VMCS_GUEST_DS_SELECTOR, b->ds, 0, 0xffffffff, AR_DATA32);
	segment(VMCS_GUEST_ES_SELECTOR, b->ds, 0, 0xffffffff, AR_DATA32);
	segment(VMCS_GUEST_FS_SELECTOR, b->ds, 0, 0xffffffff, AR_DATA32);
	segment(VMCS_GUEST_GS_SELECTOR, b->ds, 0, 0xffffffff, AR_DATA32);
	if (b->gdt_limit) {
		vmcs_write(VMCS_GUEST_GDTR_BASE, b->gdt_base);
		vmcs_write(VMCS_GUEST_GDTR_LIMIT, b->gdt_limit);
	}
	vmcs_write(VMCS_GUEST_RIP, b->entry);
}

void vmcs_guest_sipi(u8 vector)
{
	u16 sel;

	common_guest_state();
	/* The state after INIT (SDM Table 10-1), CS:IP = vector << 8 : 0. */
	vmcs_write(VMCS_GUEST_CR0, vmx_cr0_real(X86_CR0_ET));
	vmcs_write(VMCS_CR0_READ_SHADOW, X86_CR0_ET);
	sel = (u16)vector << 8;
	segment(VMCS_GUEST_CS_SELECTOR, sel, (u64)sel << 4, 0xffff, AR_CODE16);
	segment(VMCS_GUEST_SS_SELECTOR, 0, 0, 0xffff, AR_DATA16);
	segment(VMCS_GUEST_DS_SELECTOR, 0, 0, 0xffff, AR_DATA16);
	segment(VMCS_GUEST_ES_SELECTOR, 0, 0, 0xffff, AR_DATA16);
	segment(VMCS_GUEST_FS_SELECTOR, 0, 0, 0xffff, AR_DATA16);
	segment(VMCS_GUEST_GS_SELECTOR, 0, 0, 0xffff, AR_DATA16);
	vmcs_write(VMCS_GUEST_RIP, 0);
}

void vmcs_guest_wait_for_sipi(void)
{
	vmcs_guest_sipi(0);
	/* HLT with interrupts off, not the wait-for-SIPI activity state: Plinth delivers the
	 * guest's SIPIs itself, kicking the vCPU out with an NMI. */
	vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_HLT);
}

void vmcs_setup(struct vcpu *v)
{
	u32 *region = page_alloc();

	region[0] = VMX_BASIC_REVISION(vmx_caps.basic);
	v->vmcs = region;
	vmcs_clear((hpa_t)(uintptr_t)region);
	vmcs_load((hpa_t)(uintptr_t)region);
	controls(v);
	host_state();
}
