/*
 * VT-d interrupt remapping, the pure part (arch/x86/vtd_ir.c): the interrupt remapping table
 * entry (VT-d specification 9.10), one validated entry per device vector, the MSI address/data
 * formats (5.1.2: compatibility and remappable), the I/O APIC entry in remappable format
 * (5.1.5.1) and the interrupt-remapping fault reasons (7.1, appendix A) for the console. The
 * unit's registers (IRTA, GCMD.IRE/SIRTP/CFI, their GSTS bits: the generated vtd_caps.h from
 * tools/vtdregs.py) and the hardware are vtd_irt.c's; the format choice and the table's entries
 * are vtd_ir_table.c's.
 */
#ifndef X86_VTD_IR_H
#define X86_VTD_IR_H

#include <x86/irq_policy.h>

/* IRTE, low quadword (9.10). */
#define IRTE_P BIT(0)	/* present */
#define IRTE_FPD BIT(1) /* fault processing disable: faults on this entry are not recorded */
#define IRTE_DM BIT(2)	/* destination mode: 1 logical */
#define IRTE_RH BIT(3)	/* redirection hint */
#define IRTE_TM BIT(4)	/* trigger mode: 1 level */
#define IRTE_DLM(lo) (((lo) >> 5) & 7)
#define IRTE_IM BIT(15) /* 1: posted-interrupt format */
#define IRTE_VECTOR(lo) ((u8)((lo) >> 16))
#define IRTE_DST(lo) ((u32)((lo) >> 32))
/* The destination field: an x2APIC ID in bits 63:32, an xAPIC ID in bits 47:40. */
#define IRTE_DST_XAPIC(id) ((u64)((id) & 0xff) << 40)
#define IRTE_DST_X2APIC(id) ((u64)(id) << 32)
/* IRTE, high quadword. */
#define IRTE_SID(hi) ((u16)(hi))
#define IRTE_SQ(hi) (((hi) >> 16) & 3)
#define IRTE_SVT(hi) (((hi) >> 18) & 3)

/* Source-id qualifier (SQ, with SVT 1): which requester ID bits are compared. */
#define VTD_SQ_ALL 0	  /* all 16 */
#define VTD_SQ_IGNORE_2 1 /* not bit 2 */
#define VTD_SQ_IGNORE_2_1 2
#define VTD_SQ_IGNORE_2_0 3 /* not the function number: any function of the device */
/* Source validation type. */
#define VTD_SVT_NONE 0
#define VTD_SVT_SID 1 /* requester ID compared with SID under SQ */
#define VTD_SVT_BUS 2 /* requester's bus within SID[15:8]..SID[7:0] (behind a PCIe-PCI bridge) */

struct vtd_irte {
	u64 lo, hi;
};

/* One interrupt of one device, as Plinth wants it remapped. */
struct vtd_irte_spec {
	u16 sid;     /* requester ID (bus:dev.fn); with bus_range, start bus << 8 | end bus */
	u8 sq;	     /* VTD_SQ_ (ignored with bus_range) */
	bool bus_range;
	u8 vector;
	u32 dest;    /* APIC ID */
	bool x2apic; /* the unit runs in x2APIC mode (IRTA.EIME): 32-bit destinations */
	bool level;
};

/* A present entry for s: physical destination mode, fixed delivery, no redirection hint,
 * source-id verified. -EINVAL when dest is not one of the VM's n APIC IDs or is the broadcast
 * ID, when an xAPIC unit cannot name it (above 254), for a vector below 0x10, an SQ above 3 or
 * a bus range that is reversed; *out is then all zeros (not present). */
int vtd_irte_build(const struct vtd_irte_spec *s, const u32 *apic_ids, u32 n, struct vtd_irte *out);

/* An MSI address/data pair as the device would send it. */
struct msi_info {
	bool remappable; /* address bit 4 */
	/* Remappable format: the entry the unit looks up. */
	u32 index; /* handle, plus the subhandle (data bits 15:0) when SHV */
	bool shv;
	/* Compatibility format. */
	struct irq_target target; /* logical, delivery, dest (8 bits), broadcast 0xff, vector */
	bool rh, level, assert;
};

/* Decodes addr/data (5.1.2): 0, or -EINVAL when addr is not an interrupt address
 * (0xfeexxxxx below 4 GiB) or a reserved bit is set (compatibility: address bits 11:5;
 * remappable: data bits 31:16). */
int msi_decode(u64 addr, u32 data, struct msi_info *out);
/* IRQ_OK when a compatibility-format MSI from a VM with these APIC IDs may be let through
 * (no remapping: the pair goes to the device as written), else the IRQ_REFUSE_ reason; a
 * remappable one is IRQ_REFUSE_DEST without a table to check it against. */
u32 msi_check(const struct msi_info *m, const u32 *apic_ids, u32 n);
/* The MSI address and data that make a device use remapping entry index (handle only,
 * SHV 0: one vector per entry). index < 65536. */
void msi_remappable(u32 index, u32 *addr, u32 *data);
/* The I/O APIC entry in remappable format (5.1.5.1) that sends a compatibility-format entry
 * rte (vioapic's, checked) through remapping entry index < 65536: rte's vector (which must
 * equal the IRTE's for the EOI to find the entry), polarity, trigger mode and mask kept. */
u64 ioapic_rte_remappable(u32 index, u64 rte);

/* How the units remap interrupts (the DMAR, the units, the CPUs' APIC mode). */
#define VTD_IR_OFF 0
#define VTD_IR_XAPIC 1	/* IRTA.EIME 0: 8-bit destinations (bits 47:40) */
#define VTD_IR_X2APIC 2 /* IRTA.EIME 1: 32-bit destinations; compatibility format always blocked */

struct vtd_ir_platform {
	bool dmar_intr_remap;	 /* DMAR flag INTR_REMAP */
	bool dmar_x2apic_opt_out; /* DMAR flag X2APIC_OPT_OUT */
	u32 units, units_ir, units_qi, units_eim; /* units, and how many have ECAP.IR, .QI, .EIM */
	bool x2apic_now;	 /* the CPUs' APICs are in x2APIC mode */
	u32 max_apic_id;
	bool register_invalidation; /* boot option vtd_register_invalidation */
};

/* VTD_IR_ for p, with why (one phrase) filled in either way:
 *  - off without the DMAR's INTR_REMAP, without ECAP.IR or QI on every unit (the interrupt
 *    entry cache is invalidated only through the queue, VT-d 6.5.2.7, so register-based
 *    invalidation rules it out too), or when an x2APIC-only CPU (APIC ID above 254) needs EIM
 *    that a unit lacks;
 *  - x2APIC format when the CPUs run x2APIC and every unit has EIM, unless the firmware opts
 *    out and every APIC ID fits 8 bits (an 8-bit destination reaches an x2APIC CPU below 255
 *    too, so the opt-out can be honoured);
 *  - xAPIC format otherwise. Plinth never switches the CPUs' APIC mode itself. */
u32 vtd_ir_choose(const struct vtd_ir_platform *p, char *why, size_t n);

/* Entries of the remapping table for ncpus CPUs: one per vector a guest may aim at each CPU
 * (224, from 0x20), as a power of two from 256 (one 4 KiB page) to 65536 (the 16-bit index). */
u32 vtd_irt_entries(u32 ncpus);
/* IRTA.S for a table of entries (a power of two >= 2): 2^(S + 1) entries. */
u32 vtd_irt_size_field(u32 entries);

/* The remapping table in memory (the unit reads it; Plinth writes it). */
struct vtd_irt {
	volatile struct vtd_irte *e;
	u32 size, used;
};

/* Puts a present entry in the first free slot: the high quadword first, then the low one
 * with P, so the unit never sees a half-written present entry. Its index, or -ENOSPC. The
 * caller invalidates the unit's interrupt entry cache for it. */
int vtd_irt_add(struct vtd_irt *t, const struct vtd_irte *entry);
/* Clears entry index (P first); -EINVAL for an index out of range or not present. The caller
 * invalidates the cache before it relies on the entry being gone. */
int vtd_irt_remove(struct vtd_irt *t, u32 index);

/* The interrupt index of an interrupt-remapping fault: bits 63:48 of the fault recording
 * register's low quadword. */
#define VTD_IR_FAULT_INDEX(frcd_lo) ((u16)((frcd_lo) >> 48))
/* Fault reasons 0x20-0x27 are interrupt remapping's. */
bool vtd_ir_fault(u8 reason);
/* What an interrupt-remapping fault reason means, one phrase for the console; NULL for a
 * reason that is not one of them. */
const char *vtd_ir_fault_name(u8 reason);

#endif
