/* Starting the application processors (smp.c, boot/trampoline.S). */
#ifndef X86_SMP_H
#define X86_SMP_H

#include <plinth/types.h>

/* Starts each listed APIC id other than the boot CPU's with INIT-SIPI-SIPI, one at a time;
 * each runs ap_main(). A CPU that does not come up is reported and skipped. Returns the
 * number of CPUs online, the boot CPU included. */
u32 smp_start_aps(const u32 *apic_ids, u32 count);

/* Called on each AP once it runs C on its own stack, with its per-CPU state loaded; sets
 * percpu->online when the CPU is ready (the boot CPU waits for that). */
void ap_main(void);

#endif
