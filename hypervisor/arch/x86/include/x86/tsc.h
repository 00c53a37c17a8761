/* Time from the TSC (tsc.c), calibrated once at boot against the PIT: waits that run while
 * guests own the PIT (which they do: it is passed through) must not touch it. */
#ifndef X86_TSC_H
#define X86_TSC_H

#include <plinth/types.h>

/* Measures the TSC's and the local APIC timer's rates against PIT channel 2; boot CPU, before
 * any guest runs. */
void tsc_calibrate(void);
/* Those rates in Hz; 0 when the measurement saw nothing count. */
u64 tsc_hz(void);
u64 tsc_apic_timer_hz(void);
/* The TSC value us microseconds from now, and whether that time has come. */
u64 tsc_deadline(u32 us);
bool tsc_passed(u64 deadline);
/* Microseconds of TSC ticks (for reports). */
u64 tsc_to_us(u64 ticks);
/* Busy-waits us microseconds. */
void tsc_udelay(u32 us);

#endif
