/*
 * bench_irq: what a device interrupt costs a partition that owns Bochs's e1000 (issue 16), in
 * TSC ticks from inside the guest (one retired instruction a tick in Bochs).
 *
 * The guest finds the e1000 (8086:100e) on bus 0, its INTx line (config 0x3c, 0x3d) and, from its
 * own MADT, the I/O APIC and the line's GSI; it programs that pin as the MADT says a PCI line is
 * (level, active low), fixed delivery of TRAP_IRQ_VECTOR to its own APIC ID, and unmasks one
 * interrupt cause in the e1000 (IMS; Intel's 8254x developer's manual: ICR at 0xc0 clears on read,
 * ICS at 0xc8 sets causes, IMS at 0xd0 and IMC at 0xd8 set and clear the mask). Then
 * BENCH_IRQ_RUNS times it reads the TSC, writes the cause to ICS, and the handler reads the TSC,
 * reads ICR (the line drops) and writes the local APIC's EOI; the loop reads the TSC again when
 * the handler has run. Lines:
 * - bench irq_entry, irq_trip, irq_eoi: ICS write to the handler's first TSC read, the whole
 *   round trip, and the EOI write alone; bench irq_soft_entry, irq_soft_trip, irq_soft_eoi: the
 *   same with INT TRAP_IRQ_VECTOR in place of the ICS write and a store to memory in place of
 *   the EOI (the guest's own cost, which tools/bench.py subtracts);
 * - bench_irq exits: the VM exits the BENCH_IRQ_RUNS interrupts cost this vCPU, by basic exit
 *   reason (Plinth's EXIT_STATS hypercall before and after, net of the hypercall's own exit).
 * It fails unless every interrupt arrived once, at TRAP_IRQ_VECTOR (the handler runs only for
 * that vector; an interrupt at any other would be an unexpected exception), in service in the
 * local APIC (ISR) as a level-triggered one (TMR), with the cause in ICR.
 */
#include <plinth/format.h>
#include <plinth_abi.h>
#include <vmcs_fields.h>
#include "checks.h"
#include "guest_layout.h"
#include "hostile.h"
#include "trap.h"
#include "x86.h"

#define BENCH_IRQ_RUNS 101
#define E1000_ID 0x100e8086u /* device << 16 | vendor */
#define PCI_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEM BIT(1)
#define PCI_COMMAND_INTX_DISABLE BIT(10)
#define PCI_BAR0 0x10
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d
#define BAR_MEM_MASK 0xfffffff0u
#define E1000_ICR 0xc0
#define E1000_ICS 0xc8
#define E1000_IMS 0xd0
#define E1000_IMC 0xd8
#define E1000_ICR_MDAC BIT(9) /* MDI/O access complete: the device raises it only for MDIC use */

#define MADT_ENTRIES 44
#define MADT_IOAPIC 1
#define MADT_OVERRIDE 2
#define MADT_POLARITY_MASK 0x3
#define MADT_TRIGGER_MASK 0xc
#define MADT_POLARITY_HIGH 0x1
#define MADT_TRIGGER_EDGE 0x4

#define IOREGSEL 0x00
#define IOWIN 0x10
#define IOAPIC_VERSION 0x01
#define IOAPIC_RTE(pin) (0x10 + 2 * (pin))
#define RTE_MASKED BIT(16)
#define RTE_LEVEL BIT(15)
#define RTE_ACTIVE_LOW BIT(13)

#define APIC_EOI 0xb0
#define APIC_ISR(v) (0x100 + ((v) / 32) * 0x10)
#define APIC_TMR(v) (0x180 + ((v) / 32) * 0x10)
#define SPIN_LIMIT 10000000u
#define EXIT_COUNTS (EXIT_REASON_MAX + 1)

struct madt_route {
	u64 ioapic;
	u32 gsi_base, gsi;
	bool level, active_low;
};

static u64 bar;
static volatile u32 entries, last_isr, last_tmr, last_icr;
static volatile u64 entry_tsc, eoi_ticks;
static volatile u32 eoi_sink;
/* The handler's EOI: the local APIC's register, or eoi_sink for the software interrupts. */
static volatile u32 *volatile eoi_reg = &eoi_sink;
static u64 entry_samples[BENCH_IRQ_RUNS], trip_samples[BENCH_IRQ_RUNS], eoi_samples[BENCH_IRQ_RUNS];
static u64 exits_before[EXIT_COUNTS], exits_after[EXIT_COUNTS], exits_again[EXIT_COUNTS];

static u32 mmio_read(u64 addr)
{
	return *(volatile u32 *)addr;
}

static void mmio_write(u64 addr, u32 value)
{
	*(volatile u32 *)addr = value;
}

static u32 ioapic_read(u64 base, u32 reg)
{
	mmio_write(base + IOREGSEL, reg);
	return mmio_read(base + IOWIN);
}

static void ioapic_write(u64 base, u32 reg, u32 value)
{
	mmio_write(base + IOREGSEL, reg);
	mmio_write(base + IOWIN, value);
}

/* The I/O APIC that has the line's GSI, as the VM's MADT says: an override for an ISA line
 * (with its polarity and trigger), else the line itself with a PCI line's defaults. */
static bool madt_route(u8 line, struct madt_route *r)
{
	const u8 *madt = acpi_find_table("APIC"), *e, *end;
	bool found = false;
	u16 flags = 0;

	if (!madt)
		return false;
	r->gsi = line;
	r->level = r->active_low = true;
	end = madt + *(const u32 *)(madt + 4);
	for (e = madt + MADT_ENTRIES; e + 2 <= end && e[1] >= 2; e += e[1])
		if (e[0] == MADT_OVERRIDE && e[3] == line) {
			r->gsi = *(const u32 *)(e + 4);
			flags = *(const u16 *)(e + 8);
		}
	if ((flags & MADT_POLARITY_MASK) == MADT_POLARITY_HIGH)
		r->active_low = false;
	if ((flags & MADT_TRIGGER_MASK) == MADT_TRIGGER_EDGE)
		r->level = false;
	for (e = madt + MADT_ENTRIES; e + 2 <= end && e[1] >= 2 && !found; e += e[1])
		if (e[0] == MADT_IOAPIC) {
			u32 base = *(const u32 *)(e + 8);
			u64 addr = *(const u32 *)(e + 4);
			u32 pins = ((ioapic_read(addr, IOAPIC_VERSION) >> 16) & 0xff) + 1;

			if (r->gsi >= base && r->gsi - base < pins) {
				r->ioapic = addr;
				r->gsi_base = base;
				found = true;
			}
		}
	return found;
}

/* The same work for both kinds of interrupt; the loop looks at what it recorded afterwards. */
static void bench_irq_hook(void)
{
	u64 t;

	entry_tsc = rdtsc();
	entries++;
	last_isr = apic_read(APIC_ISR(TRAP_IRQ_VECTOR));
	last_tmr = apic_read(APIC_TMR(TRAP_IRQ_VECTOR));
	last_icr = mmio_read(bar + E1000_ICR);
	t = rdtsc();
	*eoi_reg = 0;
	eoi_ticks = rdtsc() - t;
}

/* The two loops differ only in the instruction that raises the interrupt. Each waits for the
 * handler (a device interrupt that never comes fails the check instead of hanging it). */
static bool soft_runs(void)
{
	for (u32 i = 0; i < BENCH_IRQ_RUNS; i++) {
		u32 before = entries, n = 0;
		u64 t0 = rdtsc();

		asm volatile("int %0" : : "i"(TRAP_IRQ_VECTOR) : "memory");
		while (entries == before && ++n < SPIN_LIMIT)
			cpu_relax();
		trip_samples[i] = rdtsc() - t0;
		entry_samples[i] = entry_tsc - t0;
		eoi_samples[i] = eoi_ticks;
		if (entries == before)
			return false;
	}
	return true;
}

#define VECTOR_BIT BIT(TRAP_IRQ_VECTOR % 32)

static bool device_irq_runs(void)
{
	u32 isr_missing = 0, tmr_missing = 0, cause_missing = 0;

	for (u32 i = 0; i < BENCH_IRQ_RUNS; i++) {
		u32 before = entries, n = 0;
		u64 t0 = rdtsc();

		mmio_write(bar + E1000_ICS, E1000_ICR_MDAC);
		while (entries == before && ++n < SPIN_LIMIT)
			cpu_relax();
		trip_samples[i] = rdtsc() - t0;
		entry_samples[i] = entry_tsc - t0;
		eoi_samples[i] = eoi_ticks;
		if (!check_expect(entries != before, "interrupt %u of %u never arrived", i + 1, BENCH_IRQ_RUNS))
			return false;
		isr_missing += !(last_isr & VECTOR_BIT);
		tmr_missing += !(last_tmr & VECTOR_BIT);
		cause_missing += !(last_icr & E1000_ICR_MDAC);
	}
	check_expect(!isr_missing, "%u interrupts not in service at vector 0x%x in the local APIC (ISR)", isr_missing,
		     TRAP_IRQ_VECTOR);
	check_expect(!tmr_missing, "%u interrupts not level-triggered in the local APIC (TMR)", tmr_missing);
	check_expect(!cause_missing, "%u interrupts without the cause in ICR", cause_missing);
	return true;
}

static s64 exit_stats(u64 *out)
{
	s64 rax = PLINTH_HC_EXIT_STATS;

	asm volatile("vmcall" : "+a"(rax) : "b"(out), "c"(EXIT_COUNTS * sizeof(u64)) : "rdx", "memory");
	return rax;
}

/* The exits of the device loop by reason: after - before, less what the hypercall itself adds
 * (again - after, with nothing between). */
static void report_exits(void)
{
	char text[256];
	u32 len = 0, r;
	u64 total = 0;

	text[0] = '\0';
	for (r = 0; r < EXIT_COUNTS; r++) {
		u64 n = (exits_after[r] - exits_before[r]) - (exits_again[r] - exits_after[r]);

		if (!n)
			continue;
		total += n;
		if (len + 24 < sizeof(text))
			len += format(text + len, sizeof(text) - len, " %u=%lu", r, n);
	}
	check_info("bench_irq exits %lu for %u interrupts:%s", total, BENCH_IRQ_RUNS, len ? text : " none");
}

void check_bench_irq(void)
{
	u32 fn = 0, dev, id = CPUID_1_EBX_APIC_ID(cpuid_leaf(1).ebx), pin, low;
	u8 line, intx;
	u16 cmd;
	struct madt_route r = { 0 };
	s64 rc[3];
	bool ok;

	for (dev = 0; dev < 32 && !fn; dev++)
		if (pci_cfg_read32(PCI_ADDR(0, dev, 0, PCI_ID)) == E1000_ID)
			fn = PCI_ADDR(0, dev, 0, 0);
	if (!check_expect(fn != 0, "no e1000 (8086:100e) on bus 0"))
		return;
	bar = pci_cfg_read32(fn | PCI_BAR0) & BAR_MEM_MASK;
	line = pci_cfg_read8(fn | PCI_INTERRUPT_LINE);
	intx = pci_cfg_read8(fn | PCI_INTERRUPT_PIN);
	if (!check_expect(bar && intx >= 1 && intx <= 4 && line && line != 0xff,
			  "the e1000 has BAR 0 0x%lx, interrupt pin %u, line %u", bar, intx, line))
		return;
	if (!check_expect(madt_route(line, &r), "no I/O APIC in the MADT has the GSI of line %u", line))
		return;
	pin = r.gsi - r.gsi_base;
	check_info("bench_irq: e1000 00:%02x.0 BAR 0 0x%lx INT%c line %u: GSI %u, I/O APIC 0x%lx pin %u, %s %s; "
		   "vector 0x%x to APIC ID %u",
		   (fn >> 11) & 0x1f, bar, 'A' + intx - 1, line, r.gsi, r.ioapic, pin, r.level ? "level" : "edge",
		   r.active_low ? "active low" : "active high", TRAP_IRQ_VECTOR, id);
	check_expect(r.level, "the MADT makes PCI line %u edge-triggered", line);

	cmd = (u16)pci_cfg_read32(fn | PCI_COMMAND);
	pci_cfg_write16(fn | PCI_COMMAND, (u16)((cmd | PCI_COMMAND_MEM) & ~PCI_COMMAND_INTX_DISABLE));
	mmio_write(bar + E1000_IMC, 0xffffffffu);
	(void)mmio_read(bar + E1000_ICR); /* whatever the reset or the firmware left */
	apic_write(APIC_SVR, apic_read(APIC_SVR) | APIC_SVR_ENABLE | 0xff);
	apic_write(APIC_TPR, 0);
	irq_hook = bench_irq_hook;
	asm volatile("sti" ::: "memory");

	eoi_reg = &eoi_sink;
	ok = soft_runs();
	check_expect(ok, "a software interrupt did not reach the handler");
	bench_report("irq_soft_entry", entry_samples, BENCH_IRQ_RUNS);
	bench_report("irq_soft_trip", trip_samples, BENCH_IRQ_RUNS);
	bench_report("irq_soft_eoi", eoi_samples, BENCH_IRQ_RUNS);

	ioapic_write(r.ioapic, IOAPIC_RTE(pin) + 1, id << 24);
	ioapic_write(r.ioapic, IOAPIC_RTE(pin),
		     TRAP_IRQ_VECTOR | (r.level ? RTE_LEVEL : 0) | (r.active_low ? RTE_ACTIVE_LOW : 0));
	low = ioapic_read(r.ioapic, IOAPIC_RTE(pin));
	check_expect((low & 0xff) == TRAP_IRQ_VECTOR && !(low & RTE_MASKED), "pin %u reads 0x%x after it was programmed",
		     pin, low);
	eoi_reg = (volatile u32 *)(apic_base_address() + APIC_EOI);
	mmio_write(bar + E1000_IMS, E1000_ICR_MDAC);
	entries = 0;
	rc[0] = exit_stats(exits_before);
	ok = device_irq_runs();
	rc[1] = exit_stats(exits_after);
	rc[2] = exit_stats(exits_again);
	mmio_write(bar + E1000_IMC, 0xffffffffu);
	asm volatile("cli" ::: "memory");
	ioapic_write(r.ioapic, IOAPIC_RTE(pin), RTE_MASKED | TRAP_IRQ_VECTOR);
	irq_hook = NULL;
	pci_cfg_write16(fn | PCI_COMMAND, cmd);
	if (!ok)
		return;
	bench_report("irq_entry", entry_samples, BENCH_IRQ_RUNS);
	bench_report("irq_trip", trip_samples, BENCH_IRQ_RUNS);
	bench_report("irq_eoi", eoi_samples, BENCH_IRQ_RUNS);
	if (check_expect(rc[0] > 0 && rc[1] > 0 && rc[2] > 0, "EXIT_STATS returned %ld, %ld, %ld", rc[0], rc[1], rc[2]))
		report_exits();
	check_expect(entries == BENCH_IRQ_RUNS, "%u interrupts for %u ICS writes", entries, BENCH_IRQ_RUNS);
}
