/*
 * The host's RTC, read once at boot for the partitions' emulated clocks (core/vrtc.c). The chip
 * updates its time registers once a second; for about 2 ms around the update they are not to be
 * read, which the update-in-progress bit of register A announces at least 244 us ahead
 * (MC146818A data sheet). So: wait for UIP clear, read every register, and read again until two
 * reads agree. After that the TSC keeps the time; Plinth never writes the chip.
 *
 * In partition mode the CMOS ports are the owns_rest VM's or nobody's (vm_ports.c): this read
 * happens before any VM runs, and that VM keeps the real chip.
 */
#include <plinth/console.h>
#include <plinth/string.h>
#include <plinth/vrtc.h>
#include <x86/cpu.h>
#include <x86/rtc.h>
#include <x86/tsc.h>

#define UIP_WAIT_US 10000 /* an update takes under 2 ms: 10 ms means a stuck chip */
#define READ_TRIES 5
#define FALLBACK_SECONDS 946684800ULL /* 2000-01-01 00:00:00 */

static u64 base_seconds = FALLBACK_SECONDS, base_tsc;

static u8 cmos_read(u8 reg)
{
	outb(VRTC_PORT_INDEX, reg); /* NMI-mask bit clear, as Linux leaves it */
	return inb(VRTC_PORT_DATA);
}

static bool uip_clear(void)
{
	u64 deadline = tsc_deadline(UIP_WAIT_US);

	while (cmos_read(VRTC_STATUS_A) & VRTC_A_UIP)
		if (tsc_passed(deadline))
			return false;
	return true;
}

static void read_all(u8 regs[14], u8 *century)
{
	u8 i;

	for (i = 0; i < 14; i++)
		regs[i] = cmos_read(i);
	*century = cmos_read(VRTC_CENTURY);
}

void rtc_read_host(void)
{
	u8 a[14], b[14], ca = 0, cb = 0;
	struct vrtc_time t;
	const char *why = "its registers kept changing while read";
	u32 i;
	u64 s;

	base_tsc = rdtsc();
	for (i = 0; i < READ_TRIES; i++) {
		if (!uip_clear()) {
			why = "its update-in-progress bit never cleared";
			break;
		}
		read_all(a, &ca);
		read_all(b, &cb);
		if (!memcmp(a, b, sizeof(a)) && ca == cb) {
			base_tsc = rdtsc();
			/* A century byte that is not one (some machines keep other data at 0x32): none. */
			if (vrtc_decode(a, ca, &t, &why) || vrtc_decode(a, 0, &t, &why))
				goto decoded;
			break;
		}
	}
	log_warn("host RTC: not usable (%s): the partitions' clocks start at 2000-01-01 00:00:00", why);
	return;
decoded:
	vrtc_to_seconds(&t, &s);
	base_seconds = s;
	log_info("host RTC: %04u-%02u-%02u %02u:%02u:%02u (the time the partitions' clocks show, read-only)", t.year,
		 t.month, t.day, t.hour, t.minute, t.second);
}

u64 rtc_now(void)
{
	u64 hz = tsc_hz();

	return base_seconds + (hz ? (rdtsc() - base_tsc) / hz : 0);
}
