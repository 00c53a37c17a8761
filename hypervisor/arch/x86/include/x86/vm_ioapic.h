/*
 * A partition's I/O APIC on VMX (vm_ioapic.c): the model of x86/vioapic.h at the host I/O
 * APIC's address, ID and version, its page absent from the VM's EPT so that every access
 * exits (the EPT violation handler passes it here); and the interrupts of Plinth's device
 * models raised through it. One pin is EMULATED, the one the host wires ISA IRQ 4 to (the
 * emulated COM1); the pins of its PCI functions' INTx (and, for the VM owning the rest of the
 * PCI functions, every pin no other VM owns) are OWNED (x86/ioapic_pins.h); the others NONE.
 * An accepted write of an OWNED entry is programmed into the physical I/O APIC: physical
 * destination mode, one of the VM's APIC IDs, fixed delivery (x86/vioapic.h); when partitions
 * use interrupt remapping (x86/vm_msi.h), in remappable format through an entry of its own. The device's
 * interrupt then reaches the guest's IDT without an exit (no external-interrupt exiting), and
 * its EOI to its local APIC (written through by vapic.c) is broadcast to the I/O APIC, which
 * clears a level-triggered pin's remote IRR. That broadcast (and the version 0x20 EOI
 * register) clears the remote IRR of every entry with the vector: a VM that EOIs a vector
 * another VM's level pin also uses may make that pin deliver again early, which costs the
 * other VM a spurious interrupt, never an interrupt on a CPU not its own.
 *
 * An edge on an emulated pin whose entry is unmasked becomes a fixed IPI with the entry's
 * vector to its destination, one of the VM's CPUs (x86/vioapic.h checked it). Partition
 * vCPUs run with their physical local APIC and without external-interrupt exiting, so the
 * IPI is taken through the guest's IDT: at once in guest mode, on the next VM entry when the
 * CPU is in Plinth (host code runs with interrupts off), and it wakes a guest HLT. The guest
 * ends it with an EOI to its own local APIC, which vapic.c writes through. An emulated pin is
 * edge-triggered whatever the entry says: its remote IRR stays 0, and the I/O APIC's EOI
 * register has nothing to do for it.
 */
#ifndef X86_VM_IOAPIC_H
#define X86_VM_IOAPIC_H

#include <layout.h>
#include <plinth/spinlock.h>
#include <plinth/vm.h>
#include <x86/acpi.h>
#include <x86/vioapic.h>

struct vcpu;
struct vm_acpi_config;

#define VM_IOAPIC_PAGE_SIZE 4096

struct vm_ioapic {
	bool present;
	u32 addr, gsi_base;
	u32 com1_pin;
	struct vioapic model; /* under lock */
	struct spinlock lock;
	u32 apic_ids[PLINTH_MAX_CPUS]; /* the VM's CPUs, for the model */
	u64 com1_sent;	 /* COM1 interrupts sent to the VM */
	u64 com1_masked; /* COM1 edges while its entry was masked (lost, as on an I/O APIC) */
	u32 owned;	 /* OWNED pins (x86/ioapic_pins.h) */
	u64 programmed;	 /* writes of OWNED entries programmed into the physical I/O APIC */
	bool drop_logged, refusal_logged;
};

/* At boot, after the MADT: which host I/O APIC carries ISA IRQ 4 (its GSI after any
 * override), its ID and, read from the chip, its version and size. Without one in the MADT,
 * partitions get an I/O APIC of their own at the usual 0xfec00000 (ID 0, version 0x20, 24 pins). */
void vm_ioapic_host_init(const struct acpi_info *acpi);
/* A partition's I/O APIC after its vCPUs exist (arch_vm_init), and again before a restart:
 * every entry masked. None when the VM's RAM covers the I/O APIC's page (said once). The host's
 * 8259 PICs are masked for good in partition mode (vm_platform.c). */
void vm_ioapic_init(struct vm *vm);
void vm_ioapic_reset(struct vm *vm);
/* What the model asked for after a write (x86/vioapic.h): an OWNED pin's entry programmed into
 * the physical I/O APIC (both halves, masked while it changes) or an EOI forwarded to its EOI
 * register, under the lock of the physical I/O APIC's register window. Called with io->lock held. */
void vm_ioapic_act(struct vm_ioapic *io, const struct vioapic_action *act);
/* The delivery status and remote IRR bits of the physical entry of pin (what a VM reads of its
 * OWNED pins; the rest of the entry is its shadow). */
u32 vm_ioapic_hw_status(u32 pin);
/* The VM's OWNED pins masked in the physical I/O APIC (its vCPUs park: it stopped). */
void vm_ioapic_quiesce(struct vm *vm);
/* Whether partitions' pins can go through interrupt remapping: no partition owns a pin of the
 * host I/O APIC (the pin map is built first if need be: partitions' ownership must be known,
 * arch_pci_owners), or the DMAR names the chip's requester ID. Then, once remapping is on,
 * vm_ioapic_remap_pins sends each accepted entry of an owned pin through a remapping entry of
 * its own (source-id checked, freed when the pin is masked or reprogrammed): compatibility
 * format is blocked from then on. */
bool vm_ioapic_can_remap(void);
void vm_ioapic_remap_pins(void);
/* Whether gpa is in the VM's I/O APIC page (exit_ioapic.c). */
bool vm_ioapic_is_page(const struct vm *vm, gpa_t gpa);
/* The access at gpa that exited (a write or a read): decoded and done, or the VM stopped
 * (exit_ioapic.c). */
void vm_ioapic_mmio(struct vcpu *v, gpa_t gpa, bool write);
/* The monitor's `stats`: a line of the VM's I/O APIC counters. */
void vm_ioapic_print_stats(const struct vm *vm);

/*
 * What the VM's ACPI tables say of its I/O APIC and COM1 (x86/vm_acpi.h): the MADT's I/O APIC
 * entry with the host's ID, address and GSI base, an interrupt source override only when the
 * host wires ISA IRQ 4 elsewhere than its GSI 4 (no IRQ 0 override: a partition has no PIT
 * interrupt), and the DSDT's COM1. Reads only the host's I/O APIC and the VM's memory, so it
 * may be called before or after arch_vm_init. Sets nothing when the VM has no I/O APIC.
 */
void vm_ioapic_acpi(const struct vm *vm, struct vm_acpi_config *c);

#endif
