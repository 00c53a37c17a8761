/* VMCS set-up for a vCPU (vmcs.c): controls from the capability MSRs and host state. */
#ifndef X86_VMCS_H
#define X86_VMCS_H

#include <x86/vcpu.h>

/* A VMCS for v, made current on this CPU, with controls and host state filled in; the guest
 * state is set next (x86/vmcs_guest.h). */
void vmcs_setup(struct vcpu *v);

#endif
