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
/* Asks t to switch to its VM's current EPT (vm_mtrr.c) before it enters the guest again. */
void vcpu_post_ept_switch(struct vcpu *t);
/* Asks t to invalidate its VM's EPT mappings before it enters the guest again. */
void vcpu_post_invept(struct vcpu *t);
/* What INIT and SIPI do to this CPU's vCPU v: INIT resets it to wait for a SIPI (the guest
 * state after INIT, halted); a SIPI starts a waiting vCPU in real mode at vector << 8. */
void vcpu_take_init(struct vcpu *v);
void vcpu_take_sipi(struct vcpu *v, u8 vector);

/* Around the handler of an exit that can interrupt event delivery (vmexit.c): note the
 * delivery the exit interrupted; then deliver it again unless the handler injected. */
void vcpu_events_exit_begin(struct vcpu *v);
void vcpu_events_exit_end(struct vcpu *v);
/* Whether the exit being handled interrupted the delivery of an event (an access by the CPU
 * itself, not by the instruction at RIP). */
bool vcpu_in_event_delivery(const struct vcpu *v);
/* vmentry.S, when it finds requests posted (during the exit, or by an NMI handled on this CPU
 * after it): takes them before entering the guest. */
void vcpu_events_recheck(void);

#endif
