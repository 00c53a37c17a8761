/* The guest's local APIC (vapic.c, apic_base.c): writes to the xAPIC page and to the x2APIC
 * ICR and LVT MSRs exit to Plinth; NMI, INIT and SIPI go to vCPUs of the same VM only, SMIs
 * nowhere; IA32_APIC_BASE is the guest's view, never moved. */
#ifndef X86_VAPIC_H
#define X86_VAPIC_H

#include <x86/vcpu.h>

/* The vCPU's APIC state from this CPU's APIC (before the guest runs). */
void vapic_vcpu_init(struct vcpu *v);
bool vapic_is_apic_page(gpa_t gpa);
/* A guest store to the xAPIC page at gpa: decoded and done, or the VM stopped. */
void vapic_mmio_write(struct vcpu *v, gpa_t gpa);
/* A guest ICR write (x2apic: the 64-bit x2APIC format). */
void vapic_icr_write(struct vcpu *v, u64 icr, bool x2apic);
/* LVT entries with a delivery mode (xAPIC offset), and the value written for the guest's:
 * masked when it would raise an SMI or an INIT. */
bool vapic_lvt_has_delivery_mode(u32 off);
u32 vapic_lvt_filter(struct vcpu *v, u32 off, u32 value);

/* IA32_APIC_BASE (apic_base.c): the guest's view; false when a write must #GP. */
u64 vapic_base_read(struct vcpu *v);
bool vapic_base_write(struct vcpu *v, u64 value);

#endif
