/*
 * Which partition owns each pin of the host I/O APIC (arch/x86/ioapic_pins.c, pure: unit-tested
 * on the host). Built once at boot from the PCI functions the VMs own, before any VM's tables:
 *  - An owned function's INTx: its interrupt pin register (0x3d: 1..4 for INTA..INTD, 0 none)
 *    and the interrupt line (0x3c) the firmware routed it to. A line of 1..15 is an ISA IRQ,
 *    taken to its GSI through the host MADT's interrupt source overrides (identity without
 *    one); 16..254 is already a GSI (what firmware on I/O APIC systems writes for pins 16 and
 *    up); 0 and 255 mean not routed. The GSI's pin of this I/O APIC becomes the VM's.
 *  - Two VMs whose functions share a pin: the pin stays the first VM's (configuration order),
 *    the later VM's function is refused its INTx (IOAPIC_PINS_SHARED, said in one line by the
 *    caller); the function itself stays that VM's, without an interrupt (it may use MSI).
 *    Functions of one VM may share a pin.
 *  - Pins Plinth emulates or uses (the emulated COM1's, the PIT's) are no VM's.
 *  - The VM that owns the rest of the PCI functions also owns every pin no other VM owns.
 * For a VM's MADT, ioapic_pins_overrides lists the interrupt source overrides it needs: for an
 * ISA IRQ carrying a PCI INTx, level-triggered and active low (PCI 3.0 2.2.6; without it Linux
 * assumes an ISA IRQ is edge-triggered and active high); for the other ISA IRQs on its pins, the
 * host's own override, if any.
 */
#ifndef X86_IOAPIC_PINS_H
#define X86_IOAPIC_PINS_H

#include <x86/acpi.h>
#include <x86/vioapic.h>

#define IOAPIC_PINS_FREE 0xffffu   /* nobody's yet */
#define IOAPIC_PINS_PLINTH 0xfffeu /* emulated or used by Plinth: never a VM's */
#define IOAPIC_PINS_ISA_IRQS 16

/* MPS INTI flags (ACPI 6.5 5.2.12.5): polarity bits 1:0, trigger mode bits 3:2. */
#define INTI_ACTIVE_LOW 0x3
#define INTI_LEVEL 0xc

/* One owned function's interrupt registers, as read at boot. */
struct ioapic_pin_fn {
	u16 bdf, vm;
	u8 int_pin;  /* configuration register 0x3d */
	u8 int_line; /* 0x3c */
};

/* Outcomes of ioapic_pins_claim. */
#define IOAPIC_PINS_OK 0
#define IOAPIC_PINS_NO_INTX 1	/* no interrupt pin: nothing to own */
#define IOAPIC_PINS_NO_LINE 2	/* the firmware routed it nowhere (line 0 or 255) */
#define IOAPIC_PINS_ELSEWHERE 3 /* its GSI is not a pin of this I/O APIC */
#define IOAPIC_PINS_RESERVED 4	/* its pin is one Plinth emulates or uses */
#define IOAPIC_PINS_SHARED 5	/* its pin is an earlier VM's */

struct ioapic_pin_map {
	u32 gsi_base, pins;
	u16 owner[VIOAPIC_MAX_PINS]; /* a VM id, IOAPIC_PINS_FREE or IOAPIC_PINS_PLINTH */
	bool intx[VIOAPIC_MAX_PINS]; /* a PCI INTx is wired to the pin (level, active low) */
};

/* The GSI of ISA IRQ irq after the n overrides, and its INTI flags (0: the bus's default). */
u32 ioapic_pins_isa_gsi(const struct acpi_override *o, u32 n, u8 irq, u16 *flags);
/* Every pin of the I/O APIC at gsi_base with pins entries (1..VIOAPIC_MAX_PINS) free. */
int ioapic_pins_init(struct ioapic_pin_map *m, u32 gsi_base, u32 pins);
/* Pin pin (when it is one of the map's) becomes Plinth's. */
void ioapic_pins_reserve(struct ioapic_pin_map *m, u32 pin);
/* The pin of f's INTx becomes f->vm's: IOAPIC_PINS_OK with *pin set, or why not (the map is
 * then unchanged; *pin is set whenever the GSI is one of the map's pins). */
u32 ioapic_pins_claim(struct ioapic_pin_map *m, const struct ioapic_pin_fn *f, const struct acpi_override *o,
		      u32 n, u32 *pin);
/* Every free pin becomes vm's. */
void ioapic_pins_give_rest(struct ioapic_pin_map *m, u16 vm);
/* The MADT overrides vm needs (see above), into out (at most max): how many were written. */
u32 ioapic_pins_overrides(const struct ioapic_pin_map *m, u16 vm, const struct acpi_override *o, u32 n,
			  struct acpi_override *out, u32 max);
/* "no interrupt pin", "shared with another VM's device", ... for the console. */
const char *ioapic_pins_outcome_name(u32 outcome);

#endif
