/* A VM that owns its CPUs' local APICs (apic_passthrough.c): the xAPIC page becomes the guest's
 * once every vCPU has been started, and the guest's own INIT and SIPI then reach its CPUs as
 * INIT-signal and SIPI exits. */
#ifndef X86_APIC_PASSTHROUGH_H
#define X86_APIC_PASSTHROUGH_H

#include <x86/vcpu.h>

/* v has just been started (vCPU 0 at launch, an AP by its SIPI): when that was the VM's last
 * vCPU and the VM owns its interrupts, its xAPIC page is opened to writes on every vCPU. */
void apic_passthrough_vcpu_started(struct vcpu *v);
/* An INIT exit that Plinth did not send, in a VM whose xAPIC page is open: the guest's INIT.
 * v then waits for its SIPI in the wait-for-SIPI activity state. */
void apic_passthrough_guest_init(struct vcpu *v);

#endif
