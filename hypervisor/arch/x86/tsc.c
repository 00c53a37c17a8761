/*
 * The TSC as a clock for waits at run time. The PIT is the platform's, passed through to the
 * default VM: a guest may reprogram channel 2 at any moment, and Plinth's own countdown would
 * reprogram it under the guest. So the PIT is used once, at boot, to learn the TSC's rate
 * (a constant-rate TSC; under Bochs it counts instructions, which is what its PIT follows too).
 */
#include <x86/cpu.h>
#include <x86/pit.h>
#include <x86/tsc.h>

#define CALIBRATION_US 10000
#define FALLBACK_TICKS_PER_US 1000 /* a 1 GHz guess if the PIT does not count */

static u64 ticks_per_us = FALLBACK_TICKS_PER_US;

void tsc_calibrate(void)
{
	u64 start = rdtsc(), ticks;

	pit_udelay(CALIBRATION_US);
	ticks = (rdtsc() - start) / CALIBRATION_US;
	if (ticks)
		ticks_per_us = ticks;
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
