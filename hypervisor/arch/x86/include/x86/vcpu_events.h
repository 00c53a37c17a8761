/* Events for a vCPU (vcpu_events.c): what other CPUs post to it (the guest's INIT, SIPI and
 * NMIs, which vapic.c delivers) and the NMIs Plinth sends to make it look (kicks); injecting a
 * guest NMI when the guest can take it; re-injecting an event whose delivery an exit cut short. */
#ifndef X86_VCPU_EVENTS_H
#define X86_VCPU_EVENTS_H

#include <x86/vcpu.h>

/* A new vCPU's event state, and its virtual local APIC and MTRRs, from this CPU's. */
void vcpu_virtual_state_init(struct vcpu *v);

/* Posts INIT, a SIPI with its vector, or an NMI to t (any vCPU, this CPU's included) and kicks
 * t's CPU unless one is on its way: t takes it at the end of its current or next exit. */
void vcpu_post_init(struct vcpu *t);
void vcpu_post_sipi(struct vcpu *t, u8 vector);
void vcpu_post_nmi(struct vcpu *t);

/* Around each exit's handler (vmexit.c): note an event delivery the exit interrupted; then
 * deliver it again, and whatever was posted. */
void vcpu_events_exit_begin(struct vcpu *v);
void vcpu_events_exit_end(struct vcpu *v);
/* Whether the exit being handled interrupted the delivery of an event (an access by the CPU
 * itself, not by the instruction at RIP). */
bool vcpu_in_event_delivery(const struct vcpu *v);
/* vmentry.S, when it finds requests posted after the exit's handling (an NMI handler on this
 * CPU saw them): takes them before entering the guest. */
void vcpu_events_recheck(void);

#endif
