/*
 * Exception-or-NMI exits. Only NMIs exit (the exception bitmap is empty): Plinth's own (a stop
 * request, a posted INIT or SIPI, a kick after the VM stopped) or the guest's, which is passed
 * on. Any other exception exit is a FATAL report.
 */
#include <x86/nmi.h>
#include <x86/processor.h>
#include <x86/vapic.h>
#include <x86/vmexit.h>
#include <x86/vmx.h>

/* After a VM exit caused by an NMI, NMIs stay blocked until the next IRET (SDM 27.5 and
 * 28.1: Bochs keeps them blocked across VM entry too). An IRET to the next instruction ends
 * the blocking, so the next kick can reach this CPU. */
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

	if ((info & INTR_TYPE_MASK) != INTR_TYPE_NMI)
		vcpu_fatal_exit(v, "unexpected exception exit", EXIT_REASON_EXCEPTION_NMI);
	unblock_nmis();
	/* An NMI while the guest ran: Plinth's own (a stop request) or the guest's to deliver. */
	nmi_halt_if_stopping();
	/* Plinth's own NMIs (a stop request, a posted INIT or SIPI) are not the guest's, and a
	 * vCPU that waits for its SIPI has nothing to take one with. */
	if (vapic_process(v) || v->vm->stopped || v->sipi_wait)
		return;
	vmcs_write(VMCS_VM_ENTRY_INTR_INFO, X86_EXC_NMI | INTR_TYPE_NMI | INTR_INFO_VALID);
}
