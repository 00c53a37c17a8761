/*
 * A partition VM's view of one I/O APIC (arch/x86/vioapic.c): the IOREGSEL/IOWIN register
 * window (82093AA datasheet 3.0-3.2; the EOI register of version 0x20 parts) over a shadow of
 * the ID, version and arbitration registers and of the redirection table. The EPT handler of
 * the I/O APIC's page passes the VM's accesses here; this model says what, if anything, to
 * program into the physical I/O APIC.
 *
 * Each pin is the VM's (OWNED: programmed into the physical I/O APIC), Plinth's device
 * model's (EMULATED: Plinth injects from the entry, e.g. the emulated COM1 on IRQ 4), or not
 * the VM's (NONE: reads as masked, writes are dropped and counted).
 *
 * An entry the VM writes is accepted when it is masked, or when it is unmasked and aims where
 * x86/irq_policy.h lets a VM aim: physical mode, one of the VM's APIC IDs, fixed or lowest
 * priority delivery (programmed as fixed), a vector of 0x10 or above.
 * A refused write changes nothing (shadow and physical entry stay as they were) and is
 * counted. A masked entry is accepted as written into the shadow, but the physical one is
 * made safe all the same: never a foreign destination, never a forbidden mode.
 */
#ifndef X86_VIOAPIC_H
#define X86_VIOAPIC_H

#include <x86/irq_policy.h>

/* IOREGSEL is 8 bits and entry n is registers 0x10 + 2n and 0x11 + 2n. */
#define VIOAPIC_MAX_PINS 120

/* Offsets in the I/O APIC's page. */
#define IOAPIC_REGSEL 0x00
#define IOAPIC_WINDOW 0x10
#define IOAPIC_EOI 0x40

/* Indirect registers. */
#define IOAPIC_REG_ID 0x00
#define IOAPIC_REG_VERSION 0x01
#define IOAPIC_REG_ARB 0x02
#define IOAPIC_REG_RTE(pin) (0x10 + 2 * (pin))

/* Redirection entry fields (82093AA 3.2.4). */
#define IOAPIC_RTE_VECTOR(e) ((u8)(e))
#define IOAPIC_RTE_DELIVERY(e) (((e) >> 8) & 7)
#define IOAPIC_RTE_LOGICAL BIT(11)
#define IOAPIC_RTE_DELIVERY_STATUS BIT(12) /* read-only */
#define IOAPIC_RTE_ACTIVE_LOW BIT(13)
#define IOAPIC_RTE_REMOTE_IRR BIT(14) /* read-only */
#define IOAPIC_RTE_LEVEL BIT(15)
#define IOAPIC_RTE_MASKED BIT(16)
#define IOAPIC_RTE_DEST(e) ((u8)((e) >> 56))

#define VIOAPIC_PIN_NONE 0
#define VIOAPIC_PIN_OWNED 1
#define VIOAPIC_PIN_EMULATED 2

struct vioapic {
	u8 id;	    /* the ID register's bits 27:24 as the VM last wrote them */
	u8 version; /* the physical I/O APIC's, e.g. 0x11 or 0x20 */
	u32 pins;
	u8 regsel;
	u8 kind[VIOAPIC_MAX_PINS];
	u64 rte[VIOAPIC_MAX_PINS]; /* as the VM reads them */
	const u32 *apic_ids;	   /* the VM's CPUs (the caller's array) */
	u32 cpu_count;
	u64 refused;   /* unmasked entries with a destination, mode or vector refused */
	u64 dropped;   /* writes to pins that are not the VM's */
	u32 last_refusal; /* IRQ_REFUSE_ reason of the last refusal */
};

/* What the caller does to the physical I/O APIC after a write. */
#define VIOAPIC_ACT_NONE 0
#define VIOAPIC_ACT_PROGRAM 1 /* write rte to physical entry pin (masked first, as usual) */
#define VIOAPIC_ACT_EOI 2     /* write vector to the physical EOI register */

struct vioapic_action {
	u32 kind;
	u32 pin;
	u64 rte;
	u8 vector;
};

/* An entry decoded, for injecting an emulated pin's interrupt. */
struct vioapic_route {
	u8 vector;
	u32 apic_id;
	bool level, active_low, masked;
};

/* Sets v up with every pin NONE and masked, for an I/O APIC of pins entries (1..MAX) with the
 * VM's cpu_count (>= 1) APIC IDs; -EINVAL otherwise. */
int vioapic_init(struct vioapic *v, u8 id, u8 version, u32 pins, const u32 *apic_ids, u32 cpu_count);
/* Gives pin to the VM (OWNED), to Plinth's device model (EMULATED) or takes it (NONE), with
 * its entry masked again; -EINVAL for a pin or kind that does not exist. */
int vioapic_set_pin(struct vioapic *v, u32 pin, u8 kind);
/* A read of width bytes at offset in the I/O APIC's page: IOREGSEL, IOWIN (dwords only), 0
 * elsewhere. Reading never changes the model. */
u32 vioapic_mmio_read(const struct vioapic *v, u64 offset, u8 width);
/* A write: updates the shadow under the rules above and says in *act what to program. */
void vioapic_mmio_write(struct vioapic *v, u64 offset, u8 width, u32 value, struct vioapic_action *act);
/* Whether an unmasked entry would be accepted: IRQ_OK or an IRQ_REFUSE_ reason. */
u32 vioapic_check_entry(const struct vioapic *v, u64 rte);
/* Whether IOREGSEL selects the low half of an OWNED pin's entry (*pin): the caller then
 * reads its delivery status and remote IRR from the physical I/O APIC. */
bool vioapic_selects_owned_low(const struct vioapic *v, u32 *pin);
/* What the entry of an OWNED or EMULATED pin delivers; -EINVAL for another pin. */
int vioapic_route(const struct vioapic *v, u32 pin, struct vioapic_route *r);

#endif
