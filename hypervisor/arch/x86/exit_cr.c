/*
 * Control-register exits (SDM 28.2.1, Table 28-3). Only writes that touch bits Plinth owns
 * exit: the guest's view goes to the read shadow, the hardware gets the value VMX needs.
 * Setting CR4.VMXE, or a CR4 bit this CPU does not have, is a #GP as on a CPU without VMX.
 */
#include <x86/processor.h>
#include <x86/vmcs_guest.h>
#include <x86/vmexit.h>
#include <x86/vmx.h>

#define CR_NUM(q) ((q) & 0xf)
#define CR_ACCESS_TYPE(q) (((q) >> 4) & 3)
#define CR_GPR(q) (((q) >> 8) & 0xf)
#define CR_LMSW_DATA(q) (((q) >> 16) & 0xffff)
#define ACCESS_MOV_TO_CR 0
#define ACCESS_MOV_FROM_CR 1
#define ACCESS_CLTS 2
#define ACCESS_LMSW 3
#define LMSW_BITS 0xf /* LMSW loads CR0[3:0] (PE, MP, EM, TS) */

static bool set_cr0(u64 val)
{
	u64 old = vmcs_read(VMCS_CR0_READ_SHADOW);
	u64 efer = vmcs_read(VMCS_GUEST_IA32_EFER);

	/* Reserved bits, or PG without PE, are #GP (SDM Vol. 3A, 2.5). */
	if (val >> 32 || ((val & X86_CR0_PG) && !(val & X86_CR0_PE)))
		return false;
	vmcs_write(VMCS_CR0_READ_SHADOW, val);
	vmcs_write(VMCS_GUEST_CR0, vmcs_guest_cr0_real(val));
	/* Paging switched while EFER.LME is set: IA-32e mode starts or ends here, which the
	 * hardware would have done had the write not exited. */
	if ((old ^ val) & X86_CR0_PG && efer & EFER_LME) {
		u64 entry = vmcs_read(VMCS_VM_ENTRY_CONTROLS);

		if (val & X86_CR0_PG) {
			efer |= EFER_LMA;
			entry |= ENTRY_IA32E_MODE_GUEST;
		} else {
			efer &= ~EFER_LMA;
			entry &= ~ENTRY_IA32E_MODE_GUEST;
		}
		vmcs_write(VMCS_GUEST_IA32_EFER, efer);
		vmcs_write(VMCS_VM_ENTRY_CONTROLS, entry);
	}
	return true;
}

static bool set_cr4(u64 val)
{
	/* Bits the CPU cannot set in VMX non-root, and VMXE, are reserved as far as the guest
	 * knows. */
	if ((val & ~vmx_caps.cr4_fixed1) || (val & X86_CR4_VMXE))
		return false;
	vmcs_write(VMCS_CR4_READ_SHADOW, val);
	vmcs_write(VMCS_GUEST_CR4, vmcs_guest_cr4_real(val));
	return true;
}

void exit_cr_access(struct vcpu *v)
{
	u64 q = vmcs_read(VMCS_EXIT_QUALIFICATION);
	u32 cr = CR_NUM(q);
	bool ok = true;

	switch (CR_ACCESS_TYPE(q)) {
	case ACCESS_MOV_TO_CR: {
		u64 val = vcpu_gpr(v, CR_GPR(q));

		if (cr == 0)
			ok = set_cr0(val);
		else if (cr == 4)
			ok = set_cr4(val);
		else if (cr == 3)
			vmcs_write(VMCS_GUEST_CR3, val); /* only if the CPU forces CR3-load exiting */
		break;
	}
	case ACCESS_MOV_FROM_CR:
		/* Only CR3 can exit here (CR3-store exiting forced on); CR0/CR4 reads never exit. */
		vcpu_set_gpr(v, CR_GPR(q), vmcs_read(VMCS_GUEST_CR3));
		break;
	case ACCESS_CLTS:
		ok = set_cr0(vmcs_read(VMCS_CR0_READ_SHADOW) & ~X86_CR0_TS);
		break;
	case ACCESS_LMSW:
		/* LMSW loads CR0[3:0] but cannot clear PE (SDM Vol. 2, LMSW). */
		ok = set_cr0((vmcs_read(VMCS_CR0_READ_SHADOW) & ~(u64)(LMSW_BITS & ~X86_CR0_PE)) |
			     (CR_LMSW_DATA(q) & LMSW_BITS) | (vmcs_read(VMCS_CR0_READ_SHADOW) & X86_CR0_PE));
		break;
	}
	if (ok)
		vcpu_skip_instruction();
	else
		vcpu_inject_gp();
}
