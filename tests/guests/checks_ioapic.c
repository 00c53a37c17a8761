/*
 * ioapic: a guest in a partition takes its emulated COM1's interrupts through its I/O APIC
 * (issue 15), as Linux's 8250 driver would: it reads the I/O APIC's version, programs pin 4
 * (ISA IRQ 4) with its own APIC ID and TRAP_IRQ_VECTOR, enables COM1's receive and
 * THR-empty interrupts and OUT2, and
 * - gets a THR-empty interrupt (enabling it with THR empty raises it);
 * - prints "ioapic: ready for input", halts, and is woken by the receive interrupt of the
 *   character the harness sends it (Ctrl-A N), which the handler reads from RBR;
 * - reads a pin that is not its own (pin 9): masked, and writing it changes nothing (Plinth
 *   drops and counts the write; the harness reads the count from the monitor's `stats`).
 * COM1 is left polled as before (IER 0) and pin 4 masked again.
 *
 * ioapic_hostile: a partition that owns no device (issue 16) reprograms every I/O APIC pin but
 * its COM1's, half by half and whole, with what would steal or forge interrupts: aimed at
 * another CPU (APIC ID 0: the other VM's on the two-CPU test machines) and at its own, unmasked,
 * level and edge, logical broadcast, NMI, INIT and ExtINT delivery, vector 0. Every entry reads
 * masked (0x10000, destination 0) before and after. With the word ioapic_forever on its command
 * line it goes on doing so after the check's line (while another VM uses its own pins).
 */
#include "checks.h"
#include "console.h"
#include "guest_layout.h"
#include "hostile.h"
#include "trap.h"
#include "x86.h"

#define IOAPIC_BASE 0xfec00000u /* the MADT's address on PCs and in Bochs */
#define IOREGSEL 0x00
#define IOWIN 0x10
#define IOAPIC_VERSION 0x01
#define IOAPIC_RTE(pin) (0x10 + 2 * (pin))
#define RTE_MASKED BIT(16)
#define COM1_PIN 4
#define FOREIGN_PIN 9 /* ACPI's SCI on PCs: never a partition's here */

#define COM1 0x3f8
#define UART_RBR 0
#define UART_IER 1
#define UART_IIR 2
#define UART_MCR 4
#define UART_LSR 5
#define IER_RDA 0x01
#define IER_THRE 0x02
#define IIR_NONE 0x01
#define IIR_ID_MASK 0x0f
#define IIR_THRE 0x02
#define IIR_RDA 0x04
#define MCR_DTR_RTS_OUT2 0x0b
#define LSR_DR 0x01
#define APIC_EOI 0xb0
#define SPIN_LIMIT 50000000u

static volatile u32 thre_irqs, rx_irqs, other_irqs;
static volatile u8 rx_char;

static u32 ioapic_read(u32 reg)
{
	*(volatile u32 *)(u64)(IOAPIC_BASE + IOREGSEL) = reg;
	return *(volatile u32 *)(u64)(IOAPIC_BASE + IOWIN);
}

static void ioapic_write(u32 reg, u32 value)
{
	*(volatile u32 *)(u64)(IOAPIC_BASE + IOREGSEL) = reg;
	*(volatile u32 *)(u64)(IOAPIC_BASE + IOWIN) = value;
}

/* What the 8250 driver's handler does: every interrupt IIR identifies, until none. */
static void com1_irq(void)
{
	u8 id;
	u32 n;

	for (n = 0; n < 64 && ((id = inb(COM1 + UART_IIR) & IIR_ID_MASK) != IIR_NONE); n++) {
		if (id == IIR_THRE) {
			thre_irqs++;
		} else if (id == IIR_RDA) {
			while (inb(COM1 + UART_LSR) & LSR_DR)
				rx_char = inb(COM1 + UART_RBR);
			rx_irqs++;
		} else {
			other_irqs++;
			inb(COM1 + UART_LSR);
		}
	}
	apic_write(APIC_EOI, 0);
}

static bool wait_count(volatile u32 *count)
{
	u32 n;

	for (n = 0; n < SPIN_LIMIT && !*count; n++)
		cpu_relax();
	return *count != 0;
}

static void foreign_pin(void)
{
	u32 low = ioapic_read(IOAPIC_RTE(FOREIGN_PIN)), high = ioapic_read(IOAPIC_RTE(FOREIGN_PIN) + 1);
	u32 id = CPUID_1_EBX_APIC_ID(cpuid_leaf(1).ebx);

	check_expect(low == RTE_MASKED && high == 0, "pin %u reads 0x%08x%08x, not masked", FOREIGN_PIN, high, low);
	ioapic_write(IOAPIC_RTE(FOREIGN_PIN) + 1, id << 24);
	ioapic_write(IOAPIC_RTE(FOREIGN_PIN), TRAP_IRQ_VECTOR);
	low = ioapic_read(IOAPIC_RTE(FOREIGN_PIN));
	high = ioapic_read(IOAPIC_RTE(FOREIGN_PIN) + 1);
	check_expect(low == RTE_MASKED && high == 0, "pin %u reads 0x%08x%08x after the VM wrote it", FOREIGN_PIN,
		     high, low);
}

void check_ioapic(void)
{
	u32 version = ioapic_read(IOAPIC_VERSION), id = CPUID_1_EBX_APIC_ID(cpuid_leaf(1).ebx), low, high;
	u32 pins = ((version >> 16) & 0xff) + 1;

	check_info("ioapic: version 0x%02x, %u pins", version & 0xff, pins);
	if (!check_expect(version != 0xffffffffu && pins > COM1_PIN, "the I/O APIC's version register reads 0x%x",
			  version))
		return;
	low = ioapic_read(IOAPIC_RTE(COM1_PIN));
	check_expect(low & RTE_MASKED, "pin 4 starts unmasked (0x%x)", low);
	foreign_pin();

	apic_write(APIC_SVR, apic_read(APIC_SVR) | APIC_SVR_ENABLE | 0xff);
	irq_hook = com1_irq;
	/* Fixed, physical, edge, active high: what the MADT's ISA default means. */
	ioapic_write(IOAPIC_RTE(COM1_PIN) + 1, id << 24);
	ioapic_write(IOAPIC_RTE(COM1_PIN), TRAP_IRQ_VECTOR);
	low = ioapic_read(IOAPIC_RTE(COM1_PIN));
	high = ioapic_read(IOAPIC_RTE(COM1_PIN) + 1);
	check_expect(low == TRAP_IRQ_VECTOR && high == id << 24, "pin 4 reads 0x%08x%08x after it was programmed",
		     high, low);

	outb(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
	outb(COM1 + UART_IER, IER_RDA | IER_THRE);
	asm volatile("sti" ::: "memory");
	check_expect(wait_count(&thre_irqs), "no THR-empty interrupt");
	asm volatile("cli" ::: "memory");
	outb(COM1 + UART_IER, IER_RDA); /* printing raises no interrupt now */
	console_printf("guest: ioapic: ready for input\n");
	/* Halted until the receive interrupt wakes the CPU: the harness sends one character. */
	while (!rx_irqs)
		asm volatile("sti; hlt; cli" ::: "memory");
	check_info("ioapic: received '%c' in the interrupt handler; %u THR-empty interrupts", rx_char, thre_irqs);
	check_expect(rx_char >= 0x20 && rx_char < 0x7f, "read 0x%02x, not the character sent", rx_char);
	check_expect(!other_irqs, "%u interrupts of another kind", other_irqs);

	outb(COM1 + UART_IER, 0);
	ioapic_write(IOAPIC_RTE(COM1_PIN), RTE_MASKED | TRAP_IRQ_VECTOR);
	irq_hook = NULL;
}

#define RTE_LEVEL BIT(15)
#define RTE_LOGICAL BIT(11)
#define RTE_DELIVERY(m) ((u32)(m) << 8)
#define DELIVERY_NMI 4
#define DELIVERY_INIT 5
#define DELIVERY_EXTINT 7
#define HOSTILE_VECTOR 0x40
#define OTHER_CPU 0
#define HOSTILE_WRITES 21 /* entries per pin in a round: 3 destinations x 7 low halves */

static bool cmdline_has(const char *word)
{
	const char *c = guest_cmdline;
	u32 i;

	for (; *c; c++) {
		for (i = 0; word[i] && c[i] == word[i]; i++)
			;
		if (!word[i] && (c == guest_cmdline || c[-1] == ' ') && (!c[i] || c[i] == ' '))
			return true;
	}
	return false;
}

/* Every pin but COM1's written with each hostile entry; the pins that did not read masked. */
static u32 hostile_round(u32 pins, u32 self, bool report)
{
	static const u32 lows[] = {
		HOSTILE_VECTOR,
		HOSTILE_VECTOR | RTE_LEVEL,
		HOSTILE_VECTOR | RTE_LOGICAL,
		HOSTILE_VECTOR | RTE_DELIVERY(DELIVERY_NMI),
		HOSTILE_VECTOR | RTE_DELIVERY(DELIVERY_INIT),
		RTE_DELIVERY(DELIVERY_EXTINT),
		0,
	};
	const u32 highs[HOSTILE_WRITES / ARRAY_SIZE(lows)] = { OTHER_CPU << 24, self << 24, 0xffu << 24 };
	u32 pin, i, k, low, high, bad = 0;

	for (pin = 0; pin < pins; pin++) {
		if (pin == COM1_PIN)
			continue;
		for (k = 0; k < ARRAY_SIZE(highs); k++)
			for (i = 0; i < ARRAY_SIZE(lows); i++) {
				ioapic_write(IOAPIC_RTE(pin) + 1, highs[k]);
				ioapic_write(IOAPIC_RTE(pin), lows[i]);
			}
		low = ioapic_read(IOAPIC_RTE(pin));
		high = ioapic_read(IOAPIC_RTE(pin) + 1);
		if (low != RTE_MASKED || high != 0) {
			bad++;
			if (report)
				check_expect(false, "pin %u reads 0x%08x%08x after the hostile writes", pin, high, low);
		}
	}
	return bad;
}

void check_ioapic_hostile(void)
{
	u32 version = ioapic_read(IOAPIC_VERSION), self = CPUID_1_EBX_APIC_ID(cpuid_leaf(1).ebx);
	u32 pins = ((version >> 16) & 0xff) + 1, pin, low, high, unmasked = 0, rounds = 1;

	if (!check_expect(version != 0xffffffffu && pins > COM1_PIN, "the I/O APIC's version register reads 0x%x",
			  version))
		return;
	for (pin = 0; pin < pins; pin++) {
		low = ioapic_read(IOAPIC_RTE(pin));
		high = ioapic_read(IOAPIC_RTE(pin) + 1);
		if (pin != COM1_PIN && (low != RTE_MASKED || high != 0))
			unmasked++;
	}
	check_expect(!unmasked, "%u pins not its own read other than masked before any write", unmasked);
	check_expect(!hostile_round(pins, self, true), "a pin not its own took a hostile entry");
	check_info("ioapic_hostile: %u pins written %u times each, all read masked", pins - 1, HOSTILE_WRITES);
	if (!cmdline_has("ioapic_forever"))
		return;
	console_printf("guest: ioapic_hostile: going on\n");
	for (;;) {
		if (hostile_round(pins, self, false)) {
			console_printf("guest: ioapic_hostile: FAILED in round %u: a pin took a hostile entry\n", rounds);
			return;
		}
		if (!(++rounds % 20))
			console_printf("guest: ioapic_hostile: %u rounds\n", rounds);
	}
}
