/* NMIs between CPUs (nmi.c); the arch_* side is declared in plinth/arch.h. */
#ifndef X86_NMI_H
#define X86_NMI_H

/* For NMI handlers (in Plinth and on VM exit): halts this CPU for good when the NMI was a stop
 * request (arch_stop_other_cpus); returns otherwise. */
void nmi_halt_if_stopping(void);

#endif
