/* VM exits: the dispatcher (vmexit.c), which vmentry.S calls. Its table and the handlers'
 * prototypes are generated from tools/exits.py (vmx_exits.h): every exit reason Plinth's
 * controls can produce, with its handler (exit_*.c, vapic.c, vcpu_events.c) or stop policy. */
#ifndef X86_VMEXIT_H
#define X86_VMEXIT_H

#include <vmx_exits.h>
#include <x86/vcpu.h>

/* Before a vCPU's first entry: which CPUID leaves its exits change (cpuid_fixups). */
void exit_cpuid_vcpu_init(struct vcpu *v);
/* A basic reason past the table's: the VM stops. */
__noreturn void vmexit_unknown_reason(struct vcpu *v);
/* The exit reasons with a lean frame, as a bit string for vmentry.S's BT. */
extern const u64 vmexit_lean_reasons[];
/* Called by vmentry.S when VMRESUME itself fails: the VM stops with a report. */
__noreturn void vmexit_resume_failed(struct guest_regs *regs);

typedef void (*exit_handler_t)(struct vcpu *v);
/* The C side of a VM exit by basic reason (at most EXIT_REASON_MAX), for this CPU's vCPU v,
 * called by vmentry.S with v->regs set to the frame, the exit counted in v->exits and
 * v->exit_reason set; it returns to resume the guest. */
extern const exit_handler_t vmexit_dispatch[];

#endif
