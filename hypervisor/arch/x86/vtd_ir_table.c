/* VT-d interrupt remapping: the format the units use and the remapping table's entries (pure);
 * see x86/vtd_ir.h. The hardware side is vtd_irt.c. */
#include <plinth/errno.h>
#include <plinth/format.h>
#include <x86/vtd_ir.h>

u32 vtd_ir_choose(const struct vtd_ir_platform *p, char *why, size_t n)
{
	bool wide_ids = p->max_apic_id > IRQ_XAPIC_ID_MAX;

	if (!p->dmar_intr_remap) {
		format(why, n, "the DMAR does not announce it (flag INTR_REMAP clear)");
		return VTD_IR_OFF;
	}
	if (!p->units) {
		format(why, n, "no remapping unit");
		return VTD_IR_OFF;
	}
	if (p->units_ir < p->units) {
		format(why, n, "%u of %u units lack it (ECAP.IR)", p->units - p->units_ir, p->units);
		return VTD_IR_OFF;
	}
	if (p->units_qi < p->units) {
		format(why, n, "%u of %u units lack queued invalidation, which the interrupt entry cache needs",
		       p->units - p->units_qi, p->units);
		return VTD_IR_OFF;
	}
	if (p->register_invalidation) {
		format(why, n, "vtd_register_invalidation: the interrupt entry cache is invalidated only through the queue");
		return VTD_IR_OFF;
	}
	if (wide_ids && p->units_eim < p->units) {
		format(why, n, "APIC ID %u needs 32-bit destinations, which %u of %u units lack (ECAP.EIM)",
		       p->max_apic_id, p->units - p->units_eim, p->units);
		return VTD_IR_OFF;
	}
	if (wide_ids || (p->x2apic_now && p->units_eim == p->units && !p->dmar_x2apic_opt_out)) {
		format(why, n, "the CPUs run x2APIC%s: 32-bit destinations (EIME)",
		       wide_ids ? " with APIC IDs above 254" : "");
		return VTD_IR_X2APIC;
	}
	if (p->x2apic_now)
		format(why, n, "the CPUs run x2APIC, but %s: 8-bit destinations, which reach every APIC ID below 255",
		       p->dmar_x2apic_opt_out ? "the DMAR opts out of x2APIC (X2APIC_OPT_OUT)" : "a unit lacks EIM");
	else
		format(why, n, "the CPUs run xAPIC: 8-bit destinations");
	return VTD_IR_XAPIC;
}

#define IRT_MIN_ENTRIES 256u /* one page of 16-byte entries */
#define IRT_MAX_ENTRIES 65536u
#define GUEST_VECTORS (256u - 0x20)

u32 vtd_irt_entries(u32 ncpus)
{
	u64 want = (u64)ncpus * GUEST_VECTORS;
	u32 entries = IRT_MIN_ENTRIES;

	while (entries < want && entries < IRT_MAX_ENTRIES)
		entries <<= 1;
	return entries;
}

u32 vtd_irt_size_field(u32 entries)
{
	u32 s = 0;

	while ((2u << s) < entries)
		s++;
	return s;
}

int vtd_irt_add(struct vtd_irt *t, const struct vtd_irte *entry)
{
	u32 i;

	if (!(entry->lo & IRTE_P))
		return -EINVAL;
	for (i = 0; i < t->size; i++) {
		if (t->e[i].lo & IRTE_P)
			continue;
		t->e[i].hi = entry->hi;
		asm volatile("" ::: "memory");
		t->e[i].lo = entry->lo;
		t->used++;
		return (int)i;
	}
	return -ENOSPC;
}

int vtd_irt_remove(struct vtd_irt *t, u32 index)
{
	if (index >= t->size || !(t->e[index].lo & IRTE_P))
		return -EINVAL;
	t->e[index].lo = 0;
	asm volatile("" ::: "memory");
	t->e[index].hi = 0;
	t->used--;
	return 0;
}
