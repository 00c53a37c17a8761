// sources: hypervisor/core/vrtc.c
/* The emulated RTC: calendar arithmetic against known dates, decoding whatever a host's RTC
 * holds (BCD or binary, 12 or 24 hours, with or without a century byte, lying values), and
 * the registers a partition reads as Linux's mc146818 code reads them. */
#include <plinth/vrtc.h>

#include "test.h"

static const struct {
	u64 seconds;
	u32 year;
	u8 month, day, hour, minute, second, weekday;
} known[] = {
	{ 0, 1970, 1, 1, 0, 0, 0, 4 },
	{ 951782400, 2000, 2, 29, 0, 0, 0, 2 },		/* a leap day of a 400-year */
	{ 1704067200, 2024, 1, 1, 0, 0, 0, 1 },		/* Bochs's time0 in the tests */
	{ 1709251199, 2024, 2, 29, 23, 59, 59, 4 },
	{ 4107542400, 2100, 3, 1, 0, 0, 0, 1 },		/* 2100 is not a leap year */
	{ 253402300799ULL, 9999, 12, 31, 23, 59, 59, 5 },
};

TEST(seconds_and_dates_agree_both_ways)
{
	struct vrtc_time t;
	u64 s;
	u32 i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		vrtc_from_seconds(known[i].seconds, &t);
		CHECK_EQ_U64(t.year, known[i].year);
		CHECK_EQ_U64(t.month, known[i].month);
		CHECK_EQ_U64(t.day, known[i].day);
		CHECK_EQ_U64(t.hour, known[i].hour);
		CHECK_EQ_U64(t.minute, known[i].minute);
		CHECK_EQ_U64(t.second, known[i].second);
		CHECK_EQ_U64(t.weekday, known[i].weekday);
		CHECK(vrtc_to_seconds(&t, &s));
		CHECK_EQ_U64(s, known[i].seconds);
	}
	for (s = 0; s < 200ULL * 366 * 86400; s += 86400 * 13 + 3607) {
		u64 back;

		vrtc_from_seconds(s, &t);
		CHECK(vrtc_to_seconds(&t, &back));
		CHECK_EQ_U64(back, s);
	}
}

TEST(dates_that_are_not_real_are_refused)
{
	struct vrtc_time t = { 2023, 2, 29, 0, 0, 0, 0 };
	u64 s;

	CHECK(!vrtc_to_seconds(&t, &s));
	t = (struct vrtc_time){ 2024, 13, 1, 0, 0, 0, 0 };
	CHECK(!vrtc_to_seconds(&t, &s));
	t = (struct vrtc_time){ 2024, 4, 31, 0, 0, 0, 0 };
	CHECK(!vrtc_to_seconds(&t, &s));
	t = (struct vrtc_time){ 1969, 12, 31, 23, 59, 59, 0 };
	CHECK(!vrtc_to_seconds(&t, &s));
	t = (struct vrtc_time){ 2024, 1, 1, 24, 0, 0, 0 };
	CHECK(!vrtc_to_seconds(&t, &s));
	t = (struct vrtc_time){ 2024, 1, 0, 0, 0, 0, 0 };
	CHECK(!vrtc_to_seconds(&t, &s));
}

/* Host registers 0x00-0x0d: seconds, alarm, minutes, alarm, hours, alarm, weekday, day, month,
 * year, A, B, C, D. */
static void regs_of(u8 *r, u8 sec, u8 min, u8 hour, u8 day, u8 month, u8 year, u8 b)
{
	memset(r, 0, 14);
	r[VRTC_SECONDS] = sec;
	r[VRTC_MINUTES] = min;
	r[VRTC_HOURS] = hour;
	r[VRTC_DAY] = day;
	r[VRTC_MONTH] = month;
	r[VRTC_YEAR] = year;
	r[VRTC_STATUS_B] = b;
	r[VRTC_STATUS_D] = VRTC_D_VALID;
}

TEST(host_registers_decode_in_every_mode)
{
	struct vrtc_time t;
	const char *why = NULL;
	u8 r[14];
	u64 s;

	regs_of(r, 0x59, 0x30, 0x23, 0x31, 0x12, 0x25, VRTC_B_24H); /* BCD, 24 h */
	CHECK(vrtc_decode(r, 0x20, &t, &why));
	CHECK(vrtc_to_seconds(&t, &s));
	CHECK_EQ_U64(s, 1767223859); /* 2025-12-31 23:30:59 */
	regs_of(r, 59, 30, 23, 31, 12, 25, VRTC_B_24H | VRTC_B_BINARY);
	CHECK(vrtc_decode(r, 20, &t, &why));
	CHECK_EQ_U64(t.year, 2025);
	CHECK_EQ_U64(t.hour, 23);
	regs_of(r, 0x00, 0x00, 0x80 | 0x11, 0x01, 0x01, 0x24, 0); /* BCD, 12 h: 11 PM */
	CHECK(vrtc_decode(r, 0, &t, &why));
	CHECK_EQ_U64(t.year, 2024);
	CHECK_EQ_U64(t.hour, 23);
	regs_of(r, 0x00, 0x00, 0x12, 0x01, 0x01, 0x24, 0); /* 12 AM is midnight */
	CHECK(vrtc_decode(r, 0, &t, &why));
	CHECK_EQ_U64(t.hour, 0);
	regs_of(r, 0x00, 0x00, 0x80 | 0x12, 0x01, 0x01, 0x99, 0); /* 12 PM is noon; 99 without a century */
	CHECK(vrtc_decode(r, 0, &t, &why));
	CHECK_EQ_U64(t.hour, 12);
	CHECK_EQ_U64(t.year, 1999);
}

TEST(lying_host_registers_are_refused_with_a_reason)
{
	struct vrtc_time t;
	const char *why = NULL;
	u8 r[14];

	regs_of(r, 0x5a, 0x30, 0x12, 0x01, 0x01, 0x24, VRTC_B_24H); /* not a BCD digit */
	CHECK(!vrtc_decode(r, 0x20, &t, &why));
	CHECK_CONTAINS(why, "not a real one");
	regs_of(r, 0x00, 0x00, 0x12, 0x30, 0x02, 0x24, VRTC_B_24H); /* February 30 */
	CHECK(!vrtc_decode(r, 0x20, &t, &why));
	regs_of(r, 0x00, 0x00, 0x00, 0x01, 0x01, 0x24, 0); /* hour 0 in 12-hour mode */
	CHECK(!vrtc_decode(r, 0x20, &t, &why));
	regs_of(r, 0, 0, 0, 1, 1, 200, VRTC_B_24H | VRTC_B_BINARY);
	CHECK(!vrtc_decode(r, 20, &t, &why));
	CHECK_CONTAINS(why, "two digits");
	regs_of(r, 0x00, 0x00, 0x12, 0x01, 0x01, 0x24, VRTC_B_24H);
	r[VRTC_STATUS_D] = 0;
	CHECK(!vrtc_decode(r, 0x20, &t, &why));
	CHECK_CONTAINS(why, "battery");
	regs_of(r, 0x00, 0x00, 0x12, 0x01, 0x01, 0x24, VRTC_B_24H);
	CHECK(!vrtc_decode(r, 0x19, &t, &why)); /* 1924: before 1970 */
}

static u8 rd(struct vrtc *r, u8 reg, u64 now)
{
	vrtc_select(r, reg);
	return vrtc_read(r, now);
}

TEST(a_partition_reads_the_time_in_bcd_as_linux_does)
{
	static struct vrtc r;
	u64 now = 1704067200 + 86399; /* 2024-01-01 23:59:59, a Monday */

	vrtc_reset(&r);
	CHECK_EQ_U64(rd(&r, VRTC_STATUS_A, now) & VRTC_A_UIP, 0);
	CHECK_EQ_U64(rd(&r, VRTC_STATUS_B, now), VRTC_B_24H);
	CHECK_EQ_U64(rd(&r, VRTC_STATUS_D, now), VRTC_D_VALID);
	CHECK_EQ_U64(rd(&r, VRTC_STATUS_C, now), 0);
	CHECK_EQ_U64(rd(&r, VRTC_SECONDS, now), 0x59);
	/* The second ticks over between the fields: they still come from one snapshot. */
	CHECK_EQ_U64(rd(&r, VRTC_MINUTES, now + 1), 0x59);
	CHECK_EQ_U64(rd(&r, VRTC_HOURS, now + 1), 0x23);
	CHECK_EQ_U64(rd(&r, VRTC_DAY, now + 1), 0x01);
	CHECK_EQ_U64(rd(&r, VRTC_MONTH, now + 1), 0x01);
	CHECK_EQ_U64(rd(&r, VRTC_YEAR, now + 1), 0x24);
	CHECK_EQ_U64(rd(&r, VRTC_CENTURY, now + 1), 0x20);
	CHECK_EQ_U64(rd(&r, VRTC_WEEKDAY, now + 1), 2);
	/* The next read of the seconds sees the new time. */
	CHECK_EQ_U64(rd(&r, VRTC_SECONDS, now + 1), 0x00);
	CHECK_EQ_U64(rd(&r, VRTC_DAY, now + 1), 0x02);
	/* The NMI-mask bit of the index port is not part of the register number. */
	CHECK_EQ_U64(rd(&r, 0x80 | VRTC_HOURS, now + 1), 0x00);
	/* Alarms and the rest of CMOS read 0. */
	CHECK_EQ_U64(rd(&r, 0x01, now), 0);
	CHECK_EQ_U64(rd(&r, 0x0e, now), 0);
	CHECK_EQ_U64(rd(&r, 0x7f, now), 0);
}

TEST(the_first_read_without_a_snapshot_takes_one)
{
	static struct vrtc r;

	vrtc_reset(&r);
	CHECK_EQ_U64(rd(&r, VRTC_YEAR, 1704067200), 0x24);
	CHECK_EQ_U64(rd(&r, VRTC_MONTH, 1704067200), 0x01);
}
