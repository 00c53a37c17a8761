/* NMIs between CPUs (nmi.c); the arch_* side is declared in plinth/arch.h. */
#ifndef X86_NMI_H
#define X86_NMI_H

#include <plinth/types.h>

/* For NMI handlers (in Plinth and on VM exit): halts this CPU for good when the NMI was a stop
 * request (arch_stop_other_cpus); returns otherwise. */
void nmi_halt_if_stopping(void);

/* The HLT instruction arch_cpu_idle sleeps on (one byte). An NMI that interrupts the CPU just
 * before it resumes past it (trap.c): the wake-up came after the caller's last look at what it
 * waits for, and must not be slept through. */
extern const u8 nmi_idle_hlt[];

#endif
