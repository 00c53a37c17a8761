/* Intel VT-d DMA remapping (vtd.c, vtd_fault.c): one second-level domain per VM, built from
 * the VM's memory description, so devices reach that VM's RAM and nothing else. */
#ifndef X86_VTD_H
#define X86_VTD_H

#include <plinth/types.h>
#include <plinth/vm.h>
#include <x86/acpi.h>

/* PCI requester id: bus << 8 | device << 3 | function. */
#define VTD_SID(bus, dev, fn) ((u16)(((bus) << 8) | ((dev) << 3) | (fn)))

struct vtd_domain;

/* Finds, checks (x86/vtd_check.h, against the memory map in bi), decodes and prints every DMA
 * remapping unit of the DMAR; a unit or RMRR that fails the checks is refused with one line.
 * False when no unit is left or the table is unusable. Does not enable translation yet. */
bool vtd_init(const struct acpi_info *acpi, const struct boot_info *bi);
/* Whether vtd_init found units: guests then run behind DMA isolation. */
bool vtd_present(void);
/* Pages of VT-d DMA tables (root, context, second-level) Plinth holds, for the footprint. */
u32 vtd_table_pages(void);

/* A domain mapping the VM's RAM (identity, read/write) and nothing else: Plinth's range and
 * device memory are absent. RMRR ranges are added for the devices they name. */
struct vtd_domain *vtd_domain_for_vm(struct vm *vm);
/* Maps [iova, iova + size) -> hpa read/write in the domain (page aligned). */
int vtd_domain_map(struct vtd_domain *d, u64 iova, hpa_t hpa, u64 size);
/* Points the device's context entry at the domain (every unit; invalidates caches). -ENOMEM
 * when the pool has no page for the bus's context table. */
int vtd_attach(u16 sid, struct vtd_domain *d);
/* Turns translation on in every unit (root table, invalidation, write-buffer flush, TE).
 * From then on a device without a context entry cannot DMA at all. */
int vtd_enable(void);

/* Interrupt remapping (vtd_irt.c). Called after vtd_init found units: decides from the DMAR, the units and
 * the CPUs whether and in which format the units can remap interrupts (x86/vtd_ir.h
 * vtd_ir_choose) and says so in one line. Nothing is enabled yet. */
void vtd_ir_init(const struct acpi_info *acpi);
/* Whether interrupt remapping can be enabled; if not, why (one phrase). */
bool vtd_ir_available(void);
const char *vtd_ir_unavailable_reason(void);
/* Allocates the remapping table (sized for the CPUs: x86/vtd_ir.h vtd_irt_entries), points
 * every unit at it, invalidates their interrupt entry caches and enables remapping with
 * compatibility-format interrupts blocked. 0 (also when already on), -ENODEV without
 * interrupt remapping, -ENOMEM, -EBUSY when a unit does not answer (reported). */
int vtd_ir_enable(void);
/* A present entry sending vector to the APIC ID dest, one of the VM's n apic_ids, for
 * requests from the requester sid only (SVT 1, SQ 0: all 16 bits compared), invalidated in
 * every unit: its index for the device's MSI address (x86/vtd_ir.h msi_remappable). -EINVAL
 * when the policy refuses it (x86/irq_policy.h), -ENOSPC when the table is full, -ENODEV
 * before vtd_ir_enable. */
int vtd_ir_remap(u16 sid, u8 vector, u32 dest, const u32 *apic_ids, u32 n);
/* The same with the trigger mode: level for an I/O APIC pin programmed level-triggered (its
 * remappable entry and the IRTE agree on it, VT-d 5.1.5.1). */
int vtd_ir_remap_level(u16 sid, u8 vector, u32 dest, bool level, const u32 *apic_ids, u32 n);
/* Clears entry index and invalidates it in every unit: the device's interrupts through it
 * are blocked once this returns 0 (-EINVAL for an entry not present, -EBUSY when a unit did
 * not answer). vtd_ir_remap and this take one lock: any CPU may call them (partitions' MSI
 * routing), the queued invalidations they submit are then one at a time. */
int vtd_ir_unmap(u32 index);
/* Pages of the remapping table, for the footprint. */
u32 vtd_ir_table_pages(void);

/* Reads and clears every unit's fault records; prints each new fault once, decoded (source
 * bus:dev.fn, address, read or write, reason), and a count when one repeats. Returns the
 * number of fault records read. Never stops Plinth. */
u32 vtd_poll_faults(void);
/* Whether a fault for this source and page was seen since boot (for the DMA self-test). */
bool vtd_fault_seen(u16 sid, u64 addr, bool write);
/* The reason of the latest new interrupt-remapping fault recorded for this source and interrupt
 * index since boot, or 0 when there was none (for the DMA self-test). */
u8 vtd_ir_fault_seen(u16 sid, u32 index);

#endif
