/*
 * VMCS set-up (SDM Vol. 3C, ch. 25): the control words vmx.c computed from the capability MSRs
 * and tools/exits.py, and the host state of this CPU. The guest's state is vmcs_guest.c's.
 */
#include <x86/cpu.h>
#include <x86/desc.h>
#include <x86/percpu.h>
#include <x86/processor.h>
#include <x86/vm.h>
#include <x86/vmcs.h>
#include <x86/vmcs_guest.h>
#include <x86/vmentry.h>
#include <x86/vmx.h>

static void controls(struct vcpu *v)
{
	struct arch_vm *a = v->vm->arch;
	const struct vmx_controls *c = &vmx_controls;

	vmcs_write(VMCS_PIN_BASED_VM_EXEC_CONTROL, c->pin);
	vmcs_write(VMCS_CPU_BASED_VM_EXEC_CONTROL, c->proc);
	vmcs_write(VMCS_SECONDARY_VM_EXEC_CONTROL, c->proc2);
	vmcs_write(VMCS_VM_EXIT_CONTROLS, c->exit);
	vmcs_write(VMCS_VM_ENTRY_CONTROLS, c->entry);
	/* XSAVES and XRSTORS exit only for the bits of this bitmap: none (tools/exits.py). The
	 * field exists only with the control. */
	if (c->proc2 & CPU2_ENABLE_XSAVES)
		vmcs_write(VMCS_XSS_EXITING_BITMAP, 0);
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
	vmcs_write(VMCS_CR0_GUEST_HOST_MASK, vmcs_guest_cr0_owned());
	vmcs_write(VMCS_CR4_GUEST_HOST_MASK, vmcs_guest_cr4_owned());
	vmcs_write(VMCS_VMCS_LINK_POINTER, ~0ULL);
}

static void host_state(void)
{
	struct percpu *pc = this_cpu();

	vmcs_write(VMCS_HOST_CR0, read_cr0());
	vmcs_write(VMCS_HOST_CR3, read_cr3());
	vmcs_write(VMCS_HOST_CR4, read_cr4());
	vmcs_write(VMCS_HOST_RSP, (u64)(uintptr_t)pc->stack_top - GUEST_REGS_FRAME);
	vmcs_write(VMCS_HOST_RIP, (u64)(uintptr_t)vmx_exit_stub);
	vmcs_write(VMCS_HOST_CS_SELECTOR, SEL_CODE64);
	vmcs_write(VMCS_HOST_SS_SELECTOR, SEL_DATA);
	vmcs_write(VMCS_HOST_DS_SELECTOR, SEL_DATA);
	vmcs_write(VMCS_HOST_ES_SELECTOR, SEL_DATA);
	vmcs_write(VMCS_HOST_FS_SELECTOR, 0);
	vmcs_write(VMCS_HOST_GS_SELECTOR, 0);
	vmcs_write(VMCS_HOST_TR_SELECTOR, SEL_TSS);
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

void vmcs_setup(struct vcpu *v)
{
	u32 *region = v->vmcs;

	region[0] = (u32)VMX_BASIC_REVISION(vmx_caps.basic);
	vmcs_clear((hpa_t)(uintptr_t)region);
	vmcs_load((hpa_t)(uintptr_t)region);
	controls(v);
	host_state();
}
