/* Local APIC: this CPU's id and inter-processor interrupts, in xAPIC or x2APIC mode (apic.c).
 * Register numbers and ICR fields are in x86/processor.h. */
#ifndef X86_APIC_H
#define X86_APIC_H

#include <plinth/types.h>

/* Finds the xAPIC page (IA32_APIC_BASE). */
void apic_init(void);
u32 apic_id(void);
/* The physical address of this CPU's xAPIC page (IA32_APIC_BASE, normally 0xfee00000). */
hpa_t apic_page(void);
/* Whether this CPU's APIC is in x2APIC mode right now (a guest may have switched it). */
bool apic_x2apic_mode_now(void);
/* The local APIC timer counting down from its maximum, by one per input clock (divide by 1),
 * masked, one-shot: for measuring its rate; apic_timer_stop stops it again. Boot CPU, before
 * any guest runs. */
void apic_timer_count_down(void);
u32 apic_timer_current(void);
void apic_timer_stop(void);
/* Sends an IPI (icr_low: delivery mode, vector, flags) to the APIC id dest; false when the
 * APIC did not accept it in time. */
bool apic_send_ipi(u32 dest, u32 icr_low);

#endif
