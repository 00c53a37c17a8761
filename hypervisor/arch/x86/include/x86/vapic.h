/* The guest's local APIC (vapic.c): writes to the xAPIC page and the x2APIC ICR exit to
 * Plinth. INIT and SIPI go to vCPUs of the same VM only (a guest cannot reset CPUs it does
 * not own); other IPIs and registers reach the real APIC. */
#ifndef X86_VAPIC_H
#define X86_VAPIC_H

#include <x86/vcpu.h>

bool vapic_is_apic_page(gpa_t gpa);
/* A guest store to the xAPIC page at gpa: decoded and done, or the VM stopped. */
void vapic_mmio_write(struct vcpu *v, gpa_t gpa);
/* A guest ICR write (x2apic: the 64-bit x2APIC format). */
void vapic_icr_write(struct vcpu *v, u64 icr, bool x2apic);
/* Applies an INIT or SIPI another vCPU posted to v; true when the NMI was such a kick. */
bool vapic_process(struct vcpu *v);

#endif
