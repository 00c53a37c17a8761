/* The emulated real-time clock; see plinth/vrtc.h. */
#include <plinth/string.h>
#include <plinth/vrtc.h>

#define SECONDS_PER_DAY 86400ULL
#define DAYS_PER_400_YEARS 146097ULL /* 400 * 365 + 97 leap days */
#define EPOCH_YEAR 1970
#define EPOCH_WEEKDAY 4 /* 1970-01-01 was a Thursday */
#define LAST_YEAR 9999
#define STATUS_A_VALUE 0x26 /* 32.768 kHz time base, 1.024 kHz periodic rate (unused); UIP clear */
#define HOURS_PM BIT(7)	    /* 12-hour mode: the hour's top bit says PM */

static bool leap(u32 y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static u32 month_days(u32 y, u32 m)
{
	static const u8 days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return days[m - 1] + (m == 2 && leap(y));
}

void vrtc_from_seconds(u64 seconds, struct vrtc_time *t)
{
	u64 days = seconds / SECONDS_PER_DAY, rest = seconds % SECONDS_PER_DAY;
	u32 y = EPOCH_YEAR, m = 1;

	t->weekday = (u8)((days + EPOCH_WEEKDAY) % 7);
	/* Whole 400-year cycles first (each is the same number of days), then year by year. */
	y += (u32)(days / DAYS_PER_400_YEARS) * 400;
	days %= DAYS_PER_400_YEARS;
	while (days >= 365u + leap(y)) {
		days -= 365u + leap(y);
		y++;
	}
	while (days >= month_days(y, m)) {
		days -= month_days(y, m);
		m++;
	}
	t->year = y;
	t->month = (u8)m;
	t->day = (u8)(days + 1);
	t->hour = (u8)(rest / 3600);
	t->minute = (u8)(rest / 60 % 60);
	t->second = (u8)(rest % 60);
}

bool vrtc_to_seconds(const struct vrtc_time *t, u64 *seconds)
{
	u64 days = 0;
	u32 y, m;

	if (t->year < EPOCH_YEAR || t->year > LAST_YEAR || t->month < 1 || t->month > 12 || t->day < 1 ||
	    t->day > month_days(t->year, t->month) || t->hour > 23 || t->minute > 59 || t->second > 59)
		return false;
	for (y = EPOCH_YEAR; y < t->year; y++)
		days += 365u + leap(y);
	for (m = 1; m < t->month; m++)
		days += month_days(t->year, m);
	days += t->day - 1u;
	*seconds = days * SECONDS_PER_DAY + t->hour * 3600u + t->minute * 60u + t->second;
	return true;
}

/* A BCD byte's value, or 0xff when a digit is not one. */
static u8 from_bcd(u8 v)
{
	if ((v & 0x0f) > 9 || (v >> 4) > 9)
		return 0xff;
	return (u8)((v >> 4) * 10 + (v & 0x0f));
}

/* A time field as the chip's data mode holds it. */
static u8 field(u8 v, bool binary)
{
	return binary ? v : from_bcd(v);
}

static u8 to_bcd(u32 v)
{
	return (u8)(((v / 10) % 10) << 4 | (v % 10));
}

bool vrtc_decode(const u8 regs[14], u8 century, struct vrtc_time *t, const char **why)
{
	bool binary = regs[VRTC_STATUS_B] & VRTC_B_BINARY, h24 = regs[VRTC_STATUS_B] & VRTC_B_24H;
	u8 hour = regs[VRTC_HOURS], pm = 0, cent;
	u64 unused;

	if (!(regs[VRTC_STATUS_D] & VRTC_D_VALID)) {
		*why = "its battery is flat (register D says the time is not valid)";
		return false;
	}
	if (!h24) {
		pm = hour & HOURS_PM;
		hour &= (u8)~HOURS_PM;
	}
	memset(t, 0, sizeof(*t));
	t->second = field(regs[VRTC_SECONDS], binary);
	t->minute = field(regs[VRTC_MINUTES], binary);
	t->hour = field(hour, binary);
	t->day = field(regs[VRTC_DAY], binary);
	t->month = field(regs[VRTC_MONTH], binary);
	t->year = field(regs[VRTC_YEAR], binary);
	cent = century ? field(century, binary) : 0;
	if (!h24 && t->hour >= 1 && t->hour <= 12)
		t->hour = (u8)(t->hour % 12 + (pm ? 12 : 0));
	else if (!h24)
		t->hour = 0xff;
	if (t->year > 99 || cent > 99) {
		*why = "its year is not two digits";
		return false;
	}
	/* Without a century byte, 70-99 are the 1900s as everywhere else. */
	t->year += century ? cent * 100u : t->year >= 70 ? 1900u : 2000u;
	if (!vrtc_to_seconds(t, &unused)) {
		*why = "its date or time is not a real one";
		return false;
	}
	return true;
}

void vrtc_reset(struct vrtc *r)
{
	memset(r, 0, sizeof(*r));
	r->index = VRTC_STATUS_D;
}

void vrtc_select(struct vrtc *r, u8 value)
{
	r->index = value & 0x7f;
}

u8 vrtc_read(struct vrtc *r, u64 now)
{
	const struct vrtc_time *t = &r->snap;

	if (r->index == VRTC_STATUS_A || r->index == VRTC_SECONDS || !r->have_snap) {
		vrtc_from_seconds(now, &r->snap);
		r->have_snap = true;
	}
	switch (r->index) {
	case VRTC_SECONDS:
		return to_bcd(t->second);
	case VRTC_MINUTES:
		return to_bcd(t->minute);
	case VRTC_HOURS:
		return to_bcd(t->hour);
	case VRTC_WEEKDAY:
		return (u8)(t->weekday + 1);
	case VRTC_DAY:
		return to_bcd(t->day);
	case VRTC_MONTH:
		return to_bcd(t->month);
	case VRTC_YEAR:
		return to_bcd(t->year % 100);
	case VRTC_CENTURY:
		return to_bcd(t->year / 100);
	case VRTC_STATUS_A:
		return STATUS_A_VALUE;
	case VRTC_STATUS_B:
		return VRTC_B_24H;
	case VRTC_STATUS_D:
		return VRTC_D_VALID;
	default: /* status C (no interrupt flags), the alarms, the rest of CMOS */
		return 0;
	}
}
