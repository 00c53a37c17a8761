/*
 * Which interrupts a partition VM may aim (arch/x86/irq_policy.c): one rule for the I/O APIC
 * entries it programs (x86/vioapic.h), the MSIs its devices send without interrupt remapping
 * and the remapping entries Plinth builds for them (x86/vtd_ir.h). The delivery mode codes are
 * the same in all three formats (SDM 10.11.2, 82093AA 3.2.4, VT-d 9.10).
 *
 * Accepted: physical destination mode, a destination that is one of the VM's APIC IDs (never
 * the broadcast ID), fixed or lowest-priority delivery, a vector of 0x10 or above.
 *  - Logical mode is refused: its destination is a set of CPUs defined by each guest CPU's LDR
 *    (and DFR), which Plinth does not track, so it could name any CPU. The VM's FADT sets
 *    FORCE_APIC_PHYSICAL_DESTINATION_MODE (x86/vm_acpi.h) so that Linux uses physical mode.
 *  - Lowest priority names one CPU in physical mode; it is programmed as fixed.
 *  - SMI, NMI and INIT reach what Plinth and the firmware keep for themselves (Plinth kicks
 *    and wakes CPUs with INIT and NMI), ExtINT needs the 8259 that partitions do not have,
 *    and modes 3 and 6 are reserved.
 *  - Vectors 0-15 are illegal (SDM 10.5.2).
 */
#ifndef X86_IRQ_POLICY_H
#define X86_IRQ_POLICY_H

#include <plinth/types.h>

/* Delivery modes (I/O APIC entry bits 10:8, MSI data bits 10:8, IRTE bits 7:5). */
#define IRQ_DELIVERY_FIXED 0
#define IRQ_DELIVERY_LOWEST 1
#define IRQ_DELIVERY_SMI 2
#define IRQ_DELIVERY_NMI 4
#define IRQ_DELIVERY_INIT 5
#define IRQ_DELIVERY_EXTINT 7

#define IRQ_XAPIC_BROADCAST 0xffu
#define IRQ_XAPIC_ID_MAX 254u /* the largest APIC ID an 8-bit destination names alone */
#define IRQ_X2APIC_BROADCAST 0xffffffffu
#define IRQ_VECTOR_MIN 0x10

/* Reasons (0: accepted). */
#define IRQ_OK 0
#define IRQ_REFUSE_LOGICAL 1
#define IRQ_REFUSE_DEST 2
#define IRQ_REFUSE_DELIVERY 3
#define IRQ_REFUSE_VECTOR 4
#define IRQ_REFUSE_ADDRESS 5 /* MSI: not a compatibility-format interrupt address and data */
#define IRQ_REFUSE_VECTOR_FF 6 /* MSI: vector 0xff (a device's messages stay in 0x10-0xfe) */
#define IRQ_REFUSE_NO_ENTRY 7 /* MSI: no interrupt remapping entry could be had for it */

/* One interrupt as the three formats describe it. */
struct irq_target {
	bool logical;
	u32 delivery;	/* IRQ_DELIVERY_ */
	u32 dest;	/* APIC ID (8 bits in xAPIC formats) */
	u32 broadcast; /* the format's broadcast ID: IRQ_XAPIC_BROADCAST or IRQ_X2APIC_BROADCAST */
	u8 vector;
};

/* IRQ_OK when the VM with these n APIC IDs may send t, else the IRQ_REFUSE_ reason. */
u32 irq_policy_check(const struct irq_target *t, const u32 *apic_ids, u32 n);
/* Whether id is one of the n APIC IDs. */
bool irq_policy_vm_cpu(const u32 *apic_ids, u32 n, u32 id);
/* "logical destination", "destination outside the VM", ... for the console. */
const char *irq_refusal_name(u32 reason);

#endif
