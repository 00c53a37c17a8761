/*
 * Ports of a partition that are not its own and that Plinth does not emulate: absent, as an
 * ISA port nothing decodes (reads float to all ones, writes go nowhere). The legacy platform
 * devices (the DMA controllers, PICs, PIT, keyboard controller, CMOS/RTC, the other serial and
 * parallel ports) are the owns_rest VM's or nobody's; a partition that touches one is told
 * once per device on the console and counted (the monitor's stats), never per access.
 *
 * What an unmodified Linux with the partition's hardware-reduced FADT still touches is made
 * cheap and harmless here:
 * - Port 0x80, the POST code port, is Linux's I/O delay (outb_p): dropped without a count.
 * - System Control Port B (0x61) reads 0x20: no SERR/IOCHK NMI source pending (all ones
 *   would send Linux's unknown-NMI handler to its IOCHK recovery, a two-second wait) and the
 *   PIT's OUT2 high, so a PIT calibration loop that polls it for the end of its count ends at
 *   once and fails (Linux then takes the TSC frequency from CPUID).
 * - The PIC's mask registers read 0xff (every line masked, as Linux's probe for a missing
 *   8259 wants: it then uses its null PIC).
 * - CMOS ports 0x70/0x71 are an emulated, read-only RTC (core/vrtc.c) showing the host's time
 *   (rtc.c): Linux reads its wall clock in a few accesses (with all ones it retried ~80,000
 *   times, the update-in-progress bit never clearing, and started at 1970). Writes to its
 *   registers are dropped and said once; reads of the (write-only) index port and the
 *   extended bank 0x72-0x77 stay absent.
 */
#include <console_proto.h>
#include <plinth/console.h>
#include <plinth/format.h>
#include <x86/exit_io.h>
#include <x86/rtc.h>
#include <x86/vcpu.h>
#include <x86/vm.h>

#define PORT_POST 0x80
#define PORT_SYSCTL_B 0x61
#define SYSCTL_B_ABSENT 0x20 /* OUT2 (bit 5) high; SERR (7), IOCHK (6), gate, speaker clear */

enum group { DMA, PIC, PIT, KBC, CMOS, SERIAL, PARALLEL, OTHER };

static const char *const group_names[IO_LEGACY_GROUPS] = {
	[DMA] = "DMA controller", [PIC] = "PIC",	   [PIT] = "PIT",		  [KBC] = "keyboard controller",
	[CMOS] = "CMOS/RTC",	  [SERIAL] = "serial", [PARALLEL] = "parallel", [OTHER] = "other",
};

static const struct {
	u16 base, count;
	u8 group;
} ranges[] = {
	{ 0x00, 0x20, DMA },   { 0x20, 2, PIC },       { 0x40, 4, PIT },       { 0x60, 1, KBC },
	{ 0x61, 1, PIT },      { 0x64, 1, KBC },       { 0x70, 8, CMOS },      { 0x81, 0x0f, DMA },
	{ 0xa0, 2, PIC },      { 0xc0, 0x20, DMA },    { 0x278, 8, PARALLEL }, { 0x2e8, 8, SERIAL },
	{ 0x2f8, 8, SERIAL },  { 0x378, 8, PARALLEL }, { 0x3e8, 8, SERIAL },   { 0x4d0, 2, PIC }, /* ELCR */
};

static u32 group_of(u16 port)
{
	u32 i;

	for (i = 0; i < ARRAY_SIZE(ranges); i++)
		if (port >= ranges[i].base && port - ranges[i].base < ranges[i].count)
			return ranges[i].group;
	return OTHER;
}

/* Counts the access by its first port's device; the first of each device is said. */
static void count(struct vcpu *v, u16 port, bool write)
{
	struct arch_vm *a = v->vm->arch;
	u32 g = group_of(port);

	__atomic_add_fetch(&a->absent[g], 1, __ATOMIC_RELAXED);
	if (__atomic_fetch_or(&a->absent_said, BIT(g), __ATOMIC_RELAXED) & BIT(g))
		return;
	log_notice(CONSOLE_FMT_PORT_ABSENT, v->vm->name, v->id, write ? "wrote" : "read", port, group_names[g]);
}

static bool rtc_port(u16 port)
{
	return port == VRTC_PORT_INDEX || port == VRTC_PORT_DATA;
}

/* Byte i of an access to port + i: the RTC's, System Control Port B's, or all ones. */
static u8 byte_in(struct vcpu *v, u16 port)
{
	if (port == VRTC_PORT_DATA)
		return vrtc_read(&v->vm->arch->rtc, rtc_now());
	return port == PORT_SYSCTL_B ? SYSCTL_B_ABSENT : 0xff;
}

u32 io_legacy_absent_in(struct vcpu *v, u16 port, u32 size)
{
	u32 value = 0, i;

	if (port == PORT_POST && size == 1)
		return 0xff;
	if (port != VRTC_PORT_DATA) /* the index port is write-only: a read of it is absent */
		count(v, port, false);
	for (i = 0; i < size; i++)
		value |= (u32)byte_in(v, (u16)(port + i)) << (8 * i);
	return value;
}

void io_legacy_absent_out(struct vcpu *v, u16 port, u32 size, u32 value)
{
	struct arch_vm *a = v->vm->arch;
	u32 i;

	if (port == PORT_POST && size == 1)
		return;
	if (!rtc_port(port)) {
		count(v, port, true);
		return;
	}
	for (i = 0; i < size; i++) {
		u16 p = (u16)(port + i);
		u8 b = (u8)(value >> (8 * i));

		if (p == VRTC_PORT_INDEX)
			vrtc_select(&a->rtc, b);
		else if (p == VRTC_PORT_DATA && !__atomic_exchange_n(&a->rtc_write_said, true, __ATOMIC_RELAXED))
			log_notice("%s: vCPU %u wrote 0x%02x to RTC register 0x%02x: dropped (its clock is the host's, read-only)",
				   v->vm->name, v->id, b, a->rtc.index);
	}
}

void io_legacy_print_stats(struct vm *vm)
{
	char line[IO_LEGACY_GROUPS * 48];
	u32 g, n = 0;

	for (g = 0; g < IO_LEGACY_GROUPS; g++)
		if (vm->arch->absent[g] && n < sizeof(line))
			n += (u32)format(line + n, sizeof(line) - n, "%s %s %lu", n ? "," : "", group_names[g],
					 vm->arch->absent[g]);
	if (n)
		printk("  %s: accesses to ports not its own:%s\n", vm->name, line);
}
