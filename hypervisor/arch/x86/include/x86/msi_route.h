/*
 * Where one MSI vector of a partition's device goes (arch/x86/msi_route.c), pure: the check of
 * the message address/data pair the guest programs (into an MSI capability or an MSI-X table
 * entry), and the steps that take the device from what it holds now to what Plinth wants.
 *
 * The guest's pair is kept as written (its reads return it); the device holds one of
 *  - nothing live: the vector masked on the device (an MSI-X entry's mask bit; an MSI
 *    capability's enable bit, since few functions have per-vector masking);
 *  - without interrupt remapping, the guest's own pair, once it passed the check;
 *  - with remapping, the remappable-format pair (VT-d 5.1.2.2) of an entry Plinth built from
 *    the guest's vector and destination for the function's requester ID (x86/vtd.h
 *    vtd_ir_remap: source-id verified), handle only (SHV 0: one entry per vector).
 * A change goes: mask on the device, free the old entry, build the new one, write the pair,
 * unmask - so the device never sends through a half-written pair or a freed entry. A pair
 * that is refused, or an entry that cannot be had, leaves the vector masked on the device.
 */
#ifndef X86_MSI_ROUTE_H
#define X86_MSI_ROUTE_H

#include <x86/irq_policy.h>

#define MSI_VECTOR_MAX 0xfe

/* IRQ_OK when the compatibility-format pair addr/data from a VM with these n APIC IDs may
 * reach a CPU, else why not (IRQ_REFUSE_): an address that is not 0xfeexxxxx below 4 GiB, has
 * reserved bits set or is remappable-format (the guest sees no remapping), data bits 31:16
 * set; then irq_policy_check (physical destination among the VM's CPUs, fixed or
 * lowest-priority delivery, vector 0x10 or above; a redirection hint with a physical
 * destination names that one CPU); and vector 0xff. */
u32 msi_route_check(u64 addr, u32 data, const u32 *apic_ids, u32 n);

/* What Plinth wants the device to hold for the guest's pair. */
struct msi_goal {
	bool live;     /* the guest unmasked it and the pair was accepted */
	u32 refusal;   /* IRQ_OK, or why an unmasked pair was refused */
	u8 vector;
	u32 dest;      /* APIC ID */
	u64 addr;      /* the guest's pair (sent as it is without remapping) */
	u32 data;
};

/* The goal for the guest's pair and mask. */
void msi_route_goal(u64 addr, u32 data, bool masked, const u32 *apic_ids, u32 n, struct msi_goal *g);

/* What the device holds now (what Plinth last did). Zero: masked, no entry. */
struct msi_route {
	bool live;     /* unmasked on the device */
	bool remapped; /* through remapping entry irte */
	u32 irte;
	u8 vector;     /* what the live pair sends */
	u32 dest;
	u64 dev_addr;  /* the pair on the device */
	u32 dev_data;
};

/* The device and the remapping table, for msi_route_apply (the hardware side; fakes in tests). */
struct msi_route_ops {
	void (*mask)(void *ctx);
	void (*unmask)(void *ctx);
	void (*write)(void *ctx, u64 addr, u32 data);
	int (*remap)(void *ctx, u8 vector, u32 dest); /* an entry's index, or -errno */
	void (*unmap)(void *ctx, u32 index);
};

/* Takes the device from r to g in the order above (nothing when it already holds g; with
 * remapping, a live vector with the same vector and destination keeps its entry) and records
 * the result in r. remapping: whether entries are used. IRQ_OK, g's refusal, or
 * IRQ_REFUSE_NO_ENTRY when remap failed (the vector then stays masked). */
u32 msi_route_apply(struct msi_route *r, const struct msi_goal *g, bool remapping, const struct msi_route_ops *ops,
		    void *ctx);

/* Masks, writes r's pair and unmasks on the device again when r is live: the guest rewrote what the
 * device may have lost (a function reset clears its table and MSI enable; Linux then restores
 * the same values, which msi_route_apply would find already held). */
void msi_route_refresh(const struct msi_route *r, const struct msi_route_ops *ops, void *ctx);

/* Masks the vector and frees its entry (VM stop, restart, a device reset): r becomes zero. */
void msi_route_clear(struct msi_route *r, const struct msi_route_ops *ops, void *ctx);

#endif
