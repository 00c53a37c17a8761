/*
 * Exception-or-NMI exits. Only NMIs exit (the exception bitmap is empty): one of Plinth's
 * kicks (vcpu_events.c), a stop request, or the platform's NMI, which is the guest's. An
 * exception exit would mean a control Plinth does not set: the VM stops with a report.
 */
#include <x86/nmi.h>
#include <x86/processor.h>
#include <x86/vcpu_events.h>
#include <x86/vmexit.h>
#include <x86/vmx.h>

void exit_exception_nmi(struct vcpu *v)
{
	u32 info = (u32)vmcs_read(VMCS_VM_EXIT_INTR_INFO);

	if ((info & INTR_TYPE_MASK) != INTR_TYPE_NMI) {
		vcpu_stop_vm(v, true, "exception exit (vector %u) with an empty exception bitmap in vCPU %u at guest rip 0x%lx",
			     info & 0xff, v->id, vmcs_read(VMCS_GUEST_RIP));
		return;
	}
	nmi_unblock();
	nmi_halt_if_stopping();
	if (!nmi_kick_consume(v))
		vcpu_post_nmi(v); /* the platform's NMI: taken at the end of this exit */
}
