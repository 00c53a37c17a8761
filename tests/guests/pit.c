/*
 * Delays on the 8254 PIT's channel 2, the way firmware and Linux calibrate without IRQs:
 * mode 0 ("interrupt on terminal count") drives OUT2 low when the count is written and high
 * when it reaches zero; OUT2 reads back in bit 5 of port 0x61 (gate in bit 0). Under Bochs
 * with `clock: sync=none` PIT time follows the instruction count, so a delay is a fixed
 * number of emulated instructions, whatever the host's speed. Plinth passes these ports through
 * to the default VM (DESIGN.md), so there this is the platform's own PIT.
 *
 * A partition that does not own the PIT has none (its ports are absent: channel 2 reads all
 * ones and OUT2 is high at once). There the delay runs on the TSC instead, at the rate CPUID
 * leaf 0x15 or 0x16 gives, else at a guessed TSC_GUESS_MHZ (long enough for INIT and SIPI waits,
 * not a clock).
 */
#include "pit.h"
#include "x86.h"

#define PIT_HZ 1193182u
#define PIT_CHANNEL2 0x42
#define PIT_COMMAND 0x43
#define PIT_CMD_CH2_LOHI_MODE0 0xb0 /* channel 2, low then high byte, mode 0, binary */
#define PORT_B 0x61
#define PORT_B_GATE2 BIT(0)
#define PORT_B_SPEAKER BIT(1)
#define PORT_B_OUT2 BIT(5)

/* At most 50 ms per countdown: the 16-bit counter holds up to 54.9 ms. */
#define CHUNK_US 50000u
/* Far more polls than a 50 ms countdown takes anywhere; only a missing PIT gets here. */
#define POLL_LIMIT 20000000u
#define TSC_GUESS_MHZ 1000u

static u64 tsc_mhz; /* 0: the PIT counts (or not probed yet) */
static bool probed;

/* Whether channel 2 is there: mode 0 drives OUT2 low from the control word until the count
 * (here the longest, 55 ms) runs out; an absent PIT's OUT2 reads high. */
static bool pit_present(void)
{
	outb(PORT_B, (u8)((inb(PORT_B) & ~PORT_B_SPEAKER) | PORT_B_GATE2));
	outb(PIT_COMMAND, PIT_CMD_CH2_LOHI_MODE0);
	outb(PIT_CHANNEL2, 0xff);
	outb(PIT_CHANNEL2, 0xff);
	return !(inb(PORT_B) & PORT_B_OUT2);
}

static u64 cpuid_tsc_mhz(void)
{
	struct cpuid_regs r = cpuid_leaf(0);
	u32 max = r.eax;

	if (max >= 0x15) {
		r = cpuid_leaf(0x15);
		if (r.eax && r.ebx && r.ecx)
			return (u64)r.ecx * r.ebx / r.eax / 1000000u;
	}
	if (max >= 0x16 && (cpuid_leaf(0x16).eax & 0xffff))
		return cpuid_leaf(0x16).eax & 0xffff;
	return 0;
}

static void probe(void)
{
	probed = true;
	if (pit_present())
		return;
	tsc_mhz = cpuid_tsc_mhz();
	if (!tsc_mhz)
		tsc_mhz = TSC_GUESS_MHZ;
}

static bool countdown(u32 ticks)
{
	outb(PORT_B, (u8)((inb(PORT_B) & ~PORT_B_SPEAKER) | PORT_B_GATE2));
	outb(PIT_COMMAND, PIT_CMD_CH2_LOHI_MODE0);
	outb(PIT_CHANNEL2, (u8)ticks);
	outb(PIT_CHANNEL2, (u8)(ticks >> 8));
	for (u32 n = 0; n < POLL_LIMIT; n++)
		if (inb(PORT_B) & PORT_B_OUT2)
			return true;
	return false;
}

bool pit_delay_us(u32 us)
{
	if (!probed)
		probe();
	if (tsc_mhz) {
		u64 end = rdtsc() + (u64)us * tsc_mhz;

		while ((s64)(rdtsc() - end) < 0)
			cpu_relax();
		return true;
	}
	while (us) {
		u32 step = MIN(us, CHUNK_US);

		if (!countdown((u32)((u64)step * PIT_HZ / 1000000u) + 1))
			return false;
		us -= step;
	}
	return true;
}
