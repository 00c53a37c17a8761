/* The VM exit stub and the first VM entry (vmentry.S). */
#ifndef X86_VMENTRY_H
#define X86_VMENTRY_H

#include <x86/vcpu.h>

/* HOST_RIP: saves the guest registers, calls vmexit_handle(), resumes the guest. */
void vmx_exit_stub(void);
/* Enters the guest with regs loaded; returns (1) only when VMLAUNCH fails. */
int vmx_launch(struct guest_regs *regs);

#endif
