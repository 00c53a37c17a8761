/* The VM exit stub and the first VM entry (vmentry.S). */
#ifndef X86_VMENTRY_H
#define X86_VMENTRY_H

#include <x86/vcpu.h>

/* HOST_RIP: saves the guest registers, calls the exit's handler (vmexit_dispatch), resumes the
 * guest. */
void vmx_exit_stub(void);
/* Enters the guest with regs loaded; returns (1) only when VMLAUNCH fails. */
int vmx_launch(struct guest_regs *regs);

/* The last stretch before VMRESUME and VMLAUNCH, from the final look at the vCPU's requests to
 * the instruction itself: an NMI there restarts it at the _again label, which looks again
 * (nmi.c, through struct percpu). The lean ones follow an exit with a lean frame. */
extern const u8 vmx_resume_window[], vmx_resume_insn[], vmx_resume_again[];
extern const u8 vmx_resume_lean_window[], vmx_resume_lean_insn[], vmx_resume_lean_again[];
extern const u8 vmx_launch_window[], vmx_launch_insn[];

#endif
