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

/* After a VM exit caused by an NMI, NMIs stay blocked until the next IRET (SDM 28.1; Bochs
 * keeps them blocked across VM entry too). An IRET to the next instruction ends the blocking,
 * so the next kick or stop request can reach this CPU. */
static void unblock_nmis(void)
{
	asm volatile("mov %%rsp, %%rax\n\t"
		     "pushq %0\n\t" /* SS */
		     "pushq %%rax\n\t" /* RSP */
		     "pushfq\n\t"
		     "pushq %1\n\t" /* CS */
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "iretq\n"
		     "1:"
		     :
		     : "i"(SEL_DATA), "i"(SEL_CODE64)
		     : "rax", "memory");
}

void exit_exception_nmi(struct vcpu *v)
{
	u32 info = (u32)vmcs_read(VMCS_VM_EXIT_INTR_INFO);

	if ((info & INTR_TYPE_MASK) != INTR_TYPE_NMI) {
		vcpu_stop_vm(v, true, "exception exit (vector %u) with an empty exception bitmap in vCPU %u at guest rip 0x%lx",
			     info & 0xff, v->id, vmcs_read(VMCS_GUEST_RIP));
		return;
	}
	unblock_nmis();
	nmi_halt_if_stopping();
	if (!nmi_kick_consume(v))
		vcpu_post_nmi(v); /* the platform's NMI: taken at the end of this exit */
}
