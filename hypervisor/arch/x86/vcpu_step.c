/* What an instruction Plinth completes for the guest owes its flags: RF ends, TF traps. Rare
 * (vcpu.h's RIP advance tests both first) and a leaf: the exit handlers that advance RIP inline
 * call it without calling back into the vCPU's modules. */
#include <x86/processor.h>
#include <x86/vcpu.h>
#include <x86/vmx.h>

void vcpu_complete_flags(u64 rflags)
{
	/* RF ends with the instruction, which a fault Plinth injected may have set (SDM Vol. 3A,
	 * 18.3.1.1). */
	if (rflags & X86_RFLAGS_RF)
		vmcs_write(VMCS_GUEST_RFLAGS, rflags & ~(u64)X86_RFLAGS_RF);
	/* Under TF (not BTF, which traps on branches only) the instruction ends in a single-step
	 * #DB (SDM Vol. 3B, 18.4.3): pending with BS, the CPU delivers it after VM entry, with DR6.BS
	 * set, as a trap on the instruction (SDM 27.7.3; debug exceptions that a MOV SS held back
	 * and the exit saved in the field are delivered with it). An instruction's exit saves the
	 * field clear otherwise (SDM 28.3.4); Bochs 2.7 saves BS there itself, and the OR keeps it
	 * one trap. */
	if ((rflags & X86_RFLAGS_TF) && !(vmcs_read(VMCS_GUEST_IA32_DEBUGCTL) & DEBUGCTL_BTF))
		vmcs_write(VMCS_GUEST_PENDING_DBG_EXCEPTIONS,
			   vmcs_read(VMCS_GUEST_PENDING_DBG_EXCEPTIONS) | PENDING_DBG_BS);
}
