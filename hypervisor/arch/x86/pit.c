/* Busy-wait delays from the 8254 PIT's channel 2 (the PC speaker gate): it runs at a fixed
 * 1.193182 MHz on every PC and emulator, so it needs no calibration. */
#include <x86/cpu.h>
#include <x86/pit.h>

#define PIT_HZ 1193182u
#define PIT_CH2_DATA 0x42
#define PIT_COMMAND 0x43
#define PORT_B 0x61
#define PORT_B_GATE2 BIT(0)
#define PORT_B_SPEAKER BIT(1)
#define PORT_B_OUT2 BIT(5)
#define PIT_CH2_MODE0_LOHI 0xb0 /* channel 2, lobyte/hibyte, mode 0 (interrupt on count) */
#define PIT_MAX_COUNT 0xffffu

/* A machine without a working channel 2 must not hang Plinth: give up after this many
 * polls (far more than the longest wait takes on real hardware or in an emulator). */
#define POLL_LIMIT 50000000u

static void wait_ticks(u32 ticks)
{
	u8 b = inb(PORT_B) & ~(PORT_B_GATE2 | PORT_B_SPEAKER);
	u32 polls = POLL_LIMIT;

	outb(PORT_B, b);
	outb(PIT_COMMAND, PIT_CH2_MODE0_LOHI);
	outb(PIT_CH2_DATA, (u8)ticks);
	outb(PIT_CH2_DATA, (u8)(ticks >> 8));
	outb(PORT_B, b | PORT_B_GATE2); /* counting starts on the gate's rising edge */
	while (!(inb(PORT_B) & PORT_B_OUT2) && --polls)
		__builtin_ia32_pause();
	outb(PORT_B, b);
}

void pit_udelay(u32 us)
{
	u64 ticks = ((u64)us * PIT_HZ + 999999) / 1000000;

	while (ticks) {
		u32 chunk = ticks > PIT_MAX_COUNT ? PIT_MAX_COUNT : (u32)ticks;

		wait_ticks(chunk);
		ticks -= chunk;
	}
}
