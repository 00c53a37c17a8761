/*
 * A partition that owns no legacy device reprograms them all (issue 15, test 4):
 * - legacy_ports: the PICs (every mask, the ICW1-4 initialisation, the ELCR), the PIT
 *   (channel 0 in mode 2 at 100 Hz, channel 2 with its gate and speaker bits in port 0x61),
 *   CMOS/RTC (writes the seconds and status B, sets the NMI-disable bit of port 0x70: the RTC
 *   is Plinth's emulated read-only one, so the time and status stay as they were; the index
 *   port and the extended bank 0x72/0x73 are absent), the DMA
 *   controllers and page registers, the keyboard controller (its command byte, and the
 *   output-port write whose data byte would pull the reset line), COM2's scratch register and
 *   the POST port. Every one is absent: it reads all ones of the access's width (port 0x61
 *   reads 0x20, no NMI source and OUT2 high) before and after, and the VM runs on; Plinth's
 *   own devices (the test device, this COM1) still answer. The other VMs see no change.
 * - reset_paths: every way to reset or power off the machine, one per start of the VM: the
 *   reset control register 0xCF9, System Control Port A's fast reset (0x92), the keyboard
 *   controller's reset pulses (0xFE, 0xF0), the ACPI sleep request in the host FADT's PM1a
 *   control (port from pm1a= on the command line) and the partition's own sleep control
 *   register. Each must end this VM alone; the step reached is kept in the VM's RAM (Plinth
 *   does not clear it on a restart), so each start of the VM takes the next one and the last
 *   start passes. A path that leaves the VM running fails the check, except the sleep control
 *   register, which a partition without Plinth's ACPI tables need not have.
 */
#include <plinth/string.h>
#include "checks.h"
#include "console.h"
#include "plinth_abi.h"
#include "x86.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define ELCR1 0x4d0
#define ELCR2 0x4d1
#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT_B 0x61
#define PORT_B_ABSENT 0x20
#define KBC_DATA 0x60
#define KBC_CMD 0x64
#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define CMOS_NMI_DISABLE 0x80
#define CMOS_SECONDS 0x00
#define CMOS_STATUS_B 0x0b
#define CMOS_STATUS_D 0x0d
#define CMOS_EXT_INDEX 0x72
#define CMOS_EXT_DATA 0x73
#define RTC_B_24H 0x02 /* the emulated RTC's status B: BCD, 24-hour, no interrupts */
#define RTC_D_VALID 0x80
#define DMA1_STATUS 0x08
#define DMA1_MASK 0x0a
#define DMA2_MASK 0xd4
#define DMA_PAGE_CH2 0x81
#define COM2_SCR 0x2ff
#define PORT_POST 0x80
#define COST_TRIES 8

#define MARK_ADDR 0x1fe000 /* below 2 MiB, above the guest image; not isolation's page */
#define MARK_MAGIC 0x5245534554000000ull /* "RESET" and the step in the low byte */
#define SLEEP_CONTROL 0x0f00		    /* the partition's hardware-reduced sleep control */
#define SLEEP_EN 0x20
#define PM1_SLP_EN (1u << 13)

static void absent8(u16 port, const char *what)
{
	u8 v = inb(port);

	check_expect(v == 0xff, "%s: port 0x%x reads 0x%02x, not all ones (the device is not this VM's)", what, port, v);
}

static void pics(void)
{
	absent8(PIC1_DATA, "master PIC mask before");
	absent8(PIC2_DATA, "slave PIC mask before");
	/* ICW1 (edge, cascade, ICW4), ICW2 vector base, ICW3 cascade, ICW4 8086 mode. */
	outb(PIC1_CMD, 0x11);
	outb(PIC1_DATA, 0x30);
	outb(PIC1_DATA, 0x04);
	outb(PIC1_DATA, 0x01);
	outb(PIC2_CMD, 0x11);
	outb(PIC2_DATA, 0x38);
	outb(PIC2_DATA, 0x02);
	outb(PIC2_DATA, 0x01);
	outb(PIC1_DATA, 0x00); /* unmask every line */
	outb(PIC2_DATA, 0x00);
	absent8(PIC1_DATA, "master PIC mask after unmasking");
	absent8(PIC2_DATA, "slave PIC mask after unmasking");
	outb(PIC1_CMD, 0x0a); /* OCW3: read the IRR */
	absent8(PIC1_CMD, "master PIC IRR");
	outb(PIC1_CMD, 0x0b); /* OCW3: read the ISR */
	absent8(PIC1_CMD, "master PIC ISR");
	outb(PIC1_CMD, 0x20); /* non-specific EOI */
	outb(ELCR1, 0xf8);
	outb(ELCR2, 0xde);
	absent8(ELCR1, "ELCR 1");
	absent8(ELCR2, "ELCR 2");
}

static void pit(void)
{
	u8 b = inb(PORT_B);
	u16 w;
	u32 l;

	check_expect(b == PORT_B_ABSENT, "port 0x61 reads 0x%02x, not 0x%02x", b, PORT_B_ABSENT);
	outb(PIT_CMD, 0x34); /* channel 0, low then high byte, mode 2 */
	outb(PIT_CH0, 0x9c); /* 11932: 100 Hz */
	outb(PIT_CH0, 0x2e);
	outb(PIT_CMD, 0x00); /* latch channel 0 */
	absent8(PIT_CH0, "PIT channel 0 count, low");
	absent8(PIT_CH0, "PIT channel 0 count, high");
	outb(PIT_CMD, 0xe2); /* read-back: channel 0's status */
	absent8(PIT_CH0, "PIT channel 0 status");
	outb(PORT_B, (u8)(b | 0x03)); /* channel 2's gate and the speaker on */
	outb(PIT_CMD, 0xb6);	      /* channel 2, low then high byte, mode 3 */
	outb(PIT_CH2, 0x34);
	outb(PIT_CH2, 0x12);
	b = inb(PORT_B);
	check_expect(b == PORT_B_ABSENT, "port 0x61 reads 0x%02x after the gate was set, not 0x%02x", b, PORT_B_ABSENT);
	outb(PIT_CMD, 0x80); /* latch channel 2 */
	absent8(PIT_CH2, "PIT channel 2 count");
	w = inw(PIT_CH0);
	l = inl(PIT_CH0);
	check_expect(w == 0xffff && l == 0xffffffffu, "16- and 32-bit reads at 0x40: 0x%x 0x%x", w, l);
}

static void rtc_reads(u8 reg, u8 want, const char *what)
{
	u8 v;

	outb(CMOS_INDEX, reg);
	v = inb(CMOS_DATA);
	check_expect(v == want, "%s: RTC register 0x%02x reads 0x%02x, not 0x%02x", what, reg & 0x7f, v, want);
}

static bool bcd_seconds(u8 v)
{
	return (v & 0x0f) <= 9 && (v >> 4) <= 5;
}

static void cmos(void)
{
	u8 v;

	outb(CMOS_INDEX, CMOS_SECONDS);
	v = inb(CMOS_DATA);
	check_expect(bcd_seconds(v), "RTC seconds read 0x%02x, not BCD seconds", v);
	outb(CMOS_INDEX, CMOS_SECONDS);
	outb(CMOS_DATA, 0x59);
	outb(CMOS_INDEX, CMOS_STATUS_B);
	outb(CMOS_DATA, 0x86); /* SET (updates stopped), binary, 24-hour */
	rtc_reads(CMOS_STATUS_B, RTC_B_24H, "status B after a write");
	outb(CMOS_INDEX, CMOS_SECONDS);
	v = inb(CMOS_DATA);
	check_expect(bcd_seconds(v), "RTC seconds read 0x%02x after a write of binary mode, not BCD seconds", v);
	rtc_reads(CMOS_NMI_DISABLE | CMOS_STATUS_D, RTC_D_VALID, "status D with the NMI-disable bit set");
	absent8(CMOS_INDEX, "CMOS index register");
	outb(CMOS_EXT_INDEX, 0x10);
	outb(CMOS_EXT_DATA, 0x55);
	absent8(CMOS_EXT_DATA, "extended CMOS bank");
}

static void dma_kbc_serial(void)
{
	outb(DMA_PAGE_CH2, 0x12); /* a page register reads back on hardware */
	absent8(DMA_PAGE_CH2, "DMA page register of channel 2");
	outb(DMA1_MASK, 0x06);
	outb(DMA2_MASK, 0x04);
	absent8(DMA1_STATUS, "DMA controller 1 status");
	absent8(KBC_CMD, "keyboard controller status");
	outb(KBC_CMD, 0x20); /* read the command byte */
	absent8(KBC_DATA, "keyboard controller command byte");
	outb(KBC_CMD, 0xd1); /* write the output port: bit 0 clear pulls the reset line */
	outb(KBC_DATA, 0xfe);
	outb(KBC_CMD, 0xad); /* disable the keyboard */
	outb(COM2_SCR, 0x5a);
	absent8(COM2_SCR, "COM2 scratch register");
	outb(PORT_POST, 0x55);
	absent8(PORT_POST, "POST port");
}

/* TSC ticks of one IN from port (an exit each), the fastest of a few. */
static u64 in_cost(u16 port)
{
	u64 best = ~0ull;
	u32 i;

	for (i = 0; i < COST_TRIES; i++) {
		u64 t0 = rdtsc();

		(void)inb(port);
		best = MIN(best, rdtsc() - t0);
	}
	return best;
}

static u64 post_cost(void)
{
	u64 best = ~0ull;
	u32 i;

	for (i = 0; i < COST_TRIES; i++) {
		u64 t0 = rdtsc();

		outb(PORT_POST, 0);
		best = MIN(best, rdtsc() - t0);
	}
	return best;
}

void check_legacy_ports(void)
{
	pics();
	pit();
	cmos();
	dma_kbc_serial();
	check_expect(inl(PLINTH_TEST_PORT_ID) == PLINTH_TEST_PORT_ID_VALUE, "the test device stopped answering");
	check_info("legacy_ports: an IN costs %lu TSC ticks from an absent port (0x21), %lu from the test device; "
		   "an OUT to port 0x80 %lu",
		   in_cost(PIC1_DATA), in_cost(PLINTH_TEST_PORT_ID), post_cost());
}

/* The value of word key= on the command line as a number (0x for hex), or 0. */
static u32 cmdline_number(const char *key)
{
	const char *s = guest_cmdline;
	size_t klen = strlen(key);
	u32 n = 0, base = 10;

	while (*s && memcmp(s, key, klen))
		s++;
	if (!*s)
		return 0;
	s += klen;
	if (s[0] == '0' && s[1] == 'x') {
		base = 16;
		s += 2;
	}
	for (;; s++) {
		u32 d = *s >= '0' && *s <= '9' ? (u32)(*s - '0') : *s >= 'a' && *s <= 'f' ? (u32)(*s - 'a' + 10) : 99;

		if (d >= base)
			return n;
		n = n * base + d;
	}
}

static void cf9_reset(void)
{
	outb(0xcf9, 0x02); /* arm a hard reset: nothing yet */
	outb(0xcf9, 0x06); /* then RST */
}

static void fast_reset(void)
{
	outb(0x92, (u8)(inb(0x92) | 0x01));
}

static void kbc_pulse_reset(void)
{
	outb(KBC_CMD, 0xfe);
}

static void kbc_pulse_all(void)
{
	outb(KBC_CMD, 0xf0);
}

static void pm1a_sleep(void)
{
	u32 port = cmdline_number("pm1a=");

	check_info("reset_paths: ACPI sleep request to PM1a control port 0x%x", port);
	if (check_expect(port != 0, "no pm1a=PORT word on the command line"))
		outw((u16)port, (u16)PM1_SLP_EN); /* SLP_TYP 0, \_S5 on Bochs and QEMU */
}

static void sleep_control(void)
{
	outb(SLEEP_CONTROL, SLEEP_EN);
}

static const struct {
	const char *what;
	void (*pulse)(void);
	bool must_end;
} steps[] = {
	{ "reset control 0xcf9 = 0x06", cf9_reset, true },
	{ "fast reset, port 0x92 bit 0", fast_reset, true },
	{ "keyboard controller pulse 0xfe", kbc_pulse_reset, true },
	{ "keyboard controller pulse 0xf0", kbc_pulse_all, true },
	{ "ACPI sleep, PM1a SLP_EN", pm1a_sleep, true },
	{ "sleep control 0x0f00 SLP_EN", sleep_control, false },
};

void check_reset_paths(void)
{
	volatile u64 *mark = (volatile u64 *)MARK_ADDR;
	u32 step = (*mark & ~0xffull) == MARK_MAGIC ? (u32)(*mark & 0xff) : 0;

	for (; step < ARRAY_SIZE(steps); step++) {
		*mark = MARK_MAGIC | (step + 1);
		check_info("reset_paths: step %u of %u: %s", step + 1, (u32)ARRAY_SIZE(steps), steps[step].what);
		console_drain();
		steps[step].pulse();
		if (steps[step].must_end)
			check_expect(false, "%s left the VM running", steps[step].what);
		else
			check_info("reset_paths: %s left the VM running (the port is absent here)", steps[step].what);
	}
	*mark = 0;
	check_info("reset_paths: every path taken");
}
