/* VM exits: the dispatcher (vmexit.c), which vmentry.S calls, and the handlers its table
 * holds, by basic exit reason. Each handler lives with its concern (exit_*.c, vapic.c). */
#ifndef X86_VMEXIT_H
#define X86_VMEXIT_H

#include <x86/vcpu.h>

/* The C side of a VM exit; returns to resume the guest. */
void vmexit_handle(struct guest_regs *regs);
/* Called by vmentry.S when VMRESUME itself fails: a FATAL report. */
__noreturn void vmexit_resume_failed(struct guest_regs *regs);

typedef void (*exit_handler_t)(struct vcpu *v);

void exit_exception_nmi(struct vcpu *v);   /* exit_nmi.c */
void exit_init(struct vcpu *v);		   /* vapic.c */
void exit_sipi(struct vcpu *v);		   /* vapic.c */
void exit_cpuid(struct vcpu *v);	   /* exit_cpuid.c */
void exit_vmcall(struct vcpu *v);	   /* exit_vmcall.c */
void exit_cr_access(struct vcpu *v);	   /* exit_cr.c */
void exit_io(struct vcpu *v);		   /* exit_io.c */
void exit_msr_read(struct vcpu *v);	   /* exit_msr.c */
void exit_msr_write(struct vcpu *v);	   /* exit_msr.c */
void exit_ept_violation(struct vcpu *v);   /* exit_ept.c */
void exit_xsetbv(struct vcpu *v);	   /* exit_xsetbv.c */

#endif
