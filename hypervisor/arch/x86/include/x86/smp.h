/* Starting the application processors (smp.c, boot/trampoline.S). */
#ifndef X86_SMP_H
#define X86_SMP_H

#include <plinth/types.h>

/* Starts each listed APIC id other than the boot CPU's with INIT-SIPI-SIPI, one at a time;
 * each enters VMX root operation when vmx_enable_aps is set, reports, and waits in
 * launch_ap_wait(). A CPU that does not come up is reported and skipped. Returns the number
 * of CPUs online, the boot CPU included. */
u32 smp_start_aps(const u32 *apic_ids, u32 count, bool vmx_enable_aps);

#endif
