/*
 * An emulated MC146818 real-time clock (core/vrtc.c): what a partition that does not own the
 * CMOS ports sees at 0x70/0x71. It reads the host's time (taken from the real RTC once at boot,
 * then advanced by the TSC) and cannot set it: writes to its registers are dropped. BCD, 24-hour,
 * no update in progress, periodic/alarm/update interrupts off, the battery good. Other CMOS bytes
 * read 0. Pure: the port glue is in arch (io_legacy.c), the host clock in arch (rtc.c);
 * host-tested.
 *
 * Register numbers and status bits: the MC146818A data sheet ("Address Map", "Register A-D"),
 * as PCs use them, with the century in register 0x32.
 */
#ifndef PLINTH_VRTC_H
#define PLINTH_VRTC_H

#include <plinth/types.h>

#define VRTC_PORT_INDEX 0x70 /* bit 7: the chipset's NMI mask, ignored */
#define VRTC_PORT_DATA 0x71

#define VRTC_SECONDS 0x00
#define VRTC_MINUTES 0x02
#define VRTC_HOURS 0x04
#define VRTC_WEEKDAY 0x06 /* 1 = Sunday */
#define VRTC_DAY 0x07
#define VRTC_MONTH 0x08
#define VRTC_YEAR 0x09
#define VRTC_STATUS_A 0x0a
#define VRTC_STATUS_B 0x0b
#define VRTC_STATUS_C 0x0c
#define VRTC_STATUS_D 0x0d
#define VRTC_CENTURY 0x32

#define VRTC_A_UIP BIT(7)
#define VRTC_B_24H BIT(1)
#define VRTC_B_BINARY BIT(2) /* data mode: binary, else BCD */
#define VRTC_D_VALID BIT(7) /* valid RAM and time: the battery is good */

/* A calendar time, UTC by convention (PCs keep the RTC in whatever the OS chose; Plinth passes
 * the host's through unchanged). */
struct vrtc_time {
	u32 year; /* 1970.. */
	u8 month, day, hour, minute, second;
	u8 weekday; /* 0 = Sunday */
};

struct vrtc {
	u8 index; /* the register port 0x70 selected */
	struct vrtc_time snap; /* the time the last read of status A or the seconds saw */
	bool have_snap;
};

/* Seconds since 1970-01-01 00:00:00 to a calendar time, and back; false for a time that is not
 * a real date (month 13, February 30, ...) or before 1970. */
void vrtc_from_seconds(u64 seconds, struct vrtc_time *t);
bool vrtc_to_seconds(const struct vrtc_time *t, u64 *seconds);

/* The host's RTC registers (0x00-0x0d read as they are, and the century byte, 0 when the
 * machine has none) to a time; false, with why set, when they are not a valid time. */
bool vrtc_decode(const u8 regs[14], u8 century, struct vrtc_time *t, const char **why);

void vrtc_reset(struct vrtc *r);
/* A write to port 0x70. */
void vrtc_select(struct vrtc *r, u8 value);
/* A read of port 0x71 at host time now (seconds since 1970): the selected register. A read of
 * status A or the seconds takes a new snapshot of the time, so a reader that checks UIP, then
 * reads the fields, sees one consistent time as on the chip. */
u8 vrtc_read(struct vrtc *r, u64 now);

#endif
