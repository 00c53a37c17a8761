/* NMIs between CPUs (nmi.c); the arch_* side is declared in plinth/arch.h. */
#ifndef X86_NMI_H
#define X86_NMI_H

#include <plinth/types.h>

struct vcpu;

/* For NMI handlers (in Plinth and on VM exit): halts this CPU for good when the NMI was a stop
 * request (arch_stop_other_cpus); returns otherwise. */
void nmi_halt_if_stopping(void);
/* For Plinth's NMI handler (VMX root), rip the interrupted instruction's: a stop request
 * halts; on a vCPU's CPU an NMI that is no kick is the guest's and gets posted to it, and one
 * that came just before a VM entry sends rip back to look at the requests again. */
void nmi_in_root(u64 *rip);
/* For an NMI that reached v's CPU: true when it was one of Plinth's kicks (counted off). */
bool nmi_kick_consume(struct vcpu *v);

/* The HLT instruction arch_cpu_idle sleeps on (one byte). An NMI that interrupts the CPU just
 * before it resumes past it (trap.c): the wake-up came after the caller's last look at what it
 * waits for, and must not be slept through. */
extern const u8 nmi_idle_hlt[];

#endif
