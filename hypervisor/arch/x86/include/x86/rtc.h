/* The host's real-time clock (rtc.c): read once at boot, then the time the partitions' emulated
 * RTCs (plinth/vrtc.h) show, advanced by the TSC. */
#ifndef X86_RTC_H
#define X86_RTC_H

#include <plinth/types.h>

/* Reads the host's RTC (boot CPU, before any VM runs, after tsc_calibrate); says what it read,
 * or why the time is not usable (the VMs' clocks then start at 2000-01-01 00:00:00). */
void rtc_read_host(void);
/* The host's time now, seconds since 1970 (as the host's RTC counts them). */
u64 rtc_now(void);

#endif
