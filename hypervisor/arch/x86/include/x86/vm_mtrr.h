/* The guest's MTRR view carried into its VM's EPT memory types (vm_mtrr.c). */
#ifndef X86_VM_MTRR_H
#define X86_VM_MTRR_H

#include <x86/vcpu.h>

/* After a write to v's MTRRs that succeeded: applies v's view to the VM's EPT when it is
 * enabled and types memory differently from what the EPT carries. */
void vm_mtrr_changed(struct vcpu *v);
/* A switch request (vcpu_events.c): v (this CPU's) moves to the VM's current EPT; the last
 * vCPU to leave the old one frees it. */
void vm_mtrr_switch(struct vcpu *v);

#endif
