/*
 * VM-exit dispatch: a table indexed by basic exit reason. Exits Plinth does not expect are a
 * FATAL report with the VMCS dumped (tools/plinth decode names the fields). Failed VM entries
 * and VMRESUME failures end the same way. The two exits that need no state of their own are
 * handled here.
 */
#include <plinth/panic.h>
#include <vmcs_fields.h>
#include <x86/vapic.h>
#include <x86/vmexit.h>
#include <x86/vmx.h>

void vmexit_resume_failed(struct guest_regs *regs)
{
	struct vcpu *v = current_vcpu();
	u64 err = vmcs_read(VMCS_VM_INSTRUCTION_ERROR);

	v->regs = regs;
	panic_start("VMRESUME failed", "VM-instruction error %lu (%s)", err, vmx_error_name(err));
	vcpu_dump(v);
	panic_finish();
}

static void exit_vmx_instruction(struct vcpu *v)
{
	(void)v;
	/* VMX is hidden from guests (CPUID.1:ECX.VMX = 0): its instructions are undefined. */
	vcpu_inject_ud();
}

static void exit_triple_fault(struct vcpu *v)
{
	vm_stop(v->vm, "triple fault in vCPU %u at guest rip 0x%lx (cr0 0x%lx, idtr limit 0x%lx)", v->id,
		vmcs_read(VMCS_GUEST_RIP), vmcs_read(VMCS_CR0_READ_SHADOW),
		vmcs_read(VMCS_GUEST_IDTR_LIMIT));
}

static const exit_handler_t handlers[EXIT_REASON_MAX + 1] = {
	[EXIT_REASON_EXCEPTION_NMI] = exit_exception_nmi,
	[EXIT_REASON_TRIPLE_FAULT] = exit_triple_fault,
	[EXIT_REASON_INIT_SIGNAL] = exit_init,
	[EXIT_REASON_SIPI] = exit_sipi,
	[EXIT_REASON_CPUID] = exit_cpuid,
	[EXIT_REASON_VMCALL] = exit_vmcall,
	[EXIT_REASON_VMCLEAR] = exit_vmx_instruction,
	[EXIT_REASON_VMLAUNCH] = exit_vmx_instruction,
	[EXIT_REASON_VMPTRLD] = exit_vmx_instruction,
	[EXIT_REASON_VMPTRST] = exit_vmx_instruction,
	[EXIT_REASON_VMREAD] = exit_vmx_instruction,
	[EXIT_REASON_VMRESUME] = exit_vmx_instruction,
	[EXIT_REASON_VMWRITE] = exit_vmx_instruction,
	[EXIT_REASON_VMXOFF] = exit_vmx_instruction,
	[EXIT_REASON_VMXON] = exit_vmx_instruction,
	[EXIT_REASON_INVEPT] = exit_vmx_instruction,
	[EXIT_REASON_INVVPID] = exit_vmx_instruction,
	[EXIT_REASON_VMFUNC] = exit_vmx_instruction,
	[EXIT_REASON_CR_ACCESS] = exit_cr_access,
	[EXIT_REASON_IO_INSTRUCTION] = exit_io,
	[EXIT_REASON_MSR_READ] = exit_msr_read,
	[EXIT_REASON_MSR_WRITE] = exit_msr_write,
	[EXIT_REASON_EPT_VIOLATION] = exit_ept_violation,
	[EXIT_REASON_XSETBV] = exit_xsetbv,
};

void vmexit_handle(struct guest_regs *regs)
{
	struct vcpu *v = current_vcpu();
	u32 reason = (u32)vmcs_read(VMCS_VM_EXIT_REASON);
	u32 basic = EXIT_REASON_BASIC(reason);

	v->regs = regs;
	if (reason & EXIT_REASON_ENTRY_FAILURE)
		vcpu_fatal_exit(v, "VM entry failed", reason);
	if (basic <= EXIT_REASON_MAX)
		v->exits[basic]++;
	v->exits_total++;
	if (basic > EXIT_REASON_MAX || !handlers[basic])
		vcpu_fatal_exit(v, "unexpected VM exit", reason);
	handlers[basic](v);
	if (v->vm->stopped)
		vcpu_park(v);
	/* An INIT or SIPI may have been posted while this CPU was in Plinth (its kick lost). */
	if (v->pending_init || v->pending_sipi >= 0)
		vapic_process(v);
}
