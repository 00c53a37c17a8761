/*
 * The TSC as a clock for waits at run time, and the rates partitions are told (CPUID leaves
 * 0x15 and 0x16, exit_cpuid.c), since they have no PIT to measure them with. The PIT is the platform's, passed through to the
 * default VM: a guest may reprogram channel 2 at any moment, and Plinth's own countdown would
 * reprogram it under the guest. So the PIT is used once, at boot, to learn the TSC's rate
 * (a constant-rate TSC; under Bochs it counts instructions, which is what its PIT follows too).
 */
#include <console_proto.h>
#include <plinth/console.h>
#include <x86/apic.h>
#include <x86/cpu.h>
#include <x86/pit.h>
#include <x86/tsc.h>

#define CALIBRATION_US 10000
#define FALLBACK_TICKS_PER_US 1000 /* a 1 GHz guess if the PIT does not count */

static u64 ticks_per_us = FALLBACK_TICKS_PER_US;
static u64 tsc_rate_hz, apic_rate_hz;

void tsc_calibrate(void)
{
	u64 start, ticks;
	u32 apic_start;

	/* The local APIC timer over the same PIT interval: its input clock is what Linux takes
	 * CPUID 0x15's crystal for (lapic_timer_period). */
	apic_timer_count_down();
	apic_start = apic_timer_current();
	start = rdtsc();
	pit_udelay(CALIBRATION_US);
	ticks = rdtsc() - start;
	apic_rate_hz = (u64)(apic_start - apic_timer_current()) * (1000000 / CALIBRATION_US);
	apic_timer_stop();
	tsc_rate_hz = ticks * (1000000 / CALIBRATION_US);
	if (ticks / CALIBRATION_US)
		ticks_per_us = ticks / CALIBRATION_US;
	log_info(CONSOLE_FMT_CLOCK_RATES, tsc_rate_hz / 1000,
		 apic_rate_hz / 1000, CALIBRATION_US);
}

u64 tsc_hz(void)
{
	return tsc_rate_hz;
}

u64 tsc_apic_timer_hz(void)
{
	return apic_rate_hz;
}

u64 tsc_deadline(u32 us)
{
	return rdtsc() + (u64)us * ticks_per_us;
}

bool tsc_passed(u64 deadline)
{
	return (s64)(rdtsc() - deadline) >= 0;
}

u64 tsc_to_us(u64 ticks)
{
	return ticks / ticks_per_us;
}

void tsc_udelay(u32 us)
{
	u64 deadline = tsc_deadline(us);

	while (!tsc_passed(deadline))
		__builtin_ia32_pause();
}
