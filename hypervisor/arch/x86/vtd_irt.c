/*
 * VT-d interrupt remapping, the hardware part (VT-d specification 5.1, 6.5.2.7, 11.4.4, 11.4.29):
 * one interrupt remapping table shared by every unit, as the root table is; the entries and the
 * choice of format are vtd_ir.c's and vtd_ir_table.c's (pure). Enabling sets the table pointer, invalidates the
 * interrupt entry cache through the queue, turns IRE on and leaves CFI clear, so that a
 * compatibility-format interrupt (the plain MSI any DMA-capable device can write) is blocked:
 * from then on a device reaches a CPU only through an entry Plinth wrote for it.
 *
 * It is turned on by whoever needs it (the DMA self-test; partitions, once their I/O APIC pins
 * and MSIs go through entries), never for the default VM: that VM programs the I/O APIC and
 * its devices' MSIs itself, in compatibility format, and blocking them would silence it.
 */
#include <plinth/console.h>
#include <plinth/errno.h>
#include <plinth/memory.h>
#include <plinth/options.h>
#include <plinth/spinlock.h>
#include <x86/apic.h>
#include <x86/vtd.h>
#include <x86/vtd_ir.h>
#include <x86/vtd_qi.h>
#include <x86/vtd_regs.h>

static u32 mode = VTD_IR_OFF;
static char why[160] = "no usable DMA remapping unit";
static u32 entries;
static struct vtd_irt table;
static int enabled_rc; /* what enabling came to, once the table exists */
/* Entries change from any CPU once partitions' MSIs use them (x86/vm_msi.h): one at a time,
 * with the queued invalidation that goes with each. */
static struct spinlock entry_lock;

static const char *mode_name(void)
{
	return mode == VTD_IR_X2APIC ? "x2APIC (32-bit)" : "xAPIC (8-bit)";
}

void vtd_ir_init(const struct acpi_info *acpi)
{
	struct vtd_ir_platform p = { .dmar_intr_remap = acpi->dmar_flags & ACPI_DMAR_INTR_REMAP,
				     .dmar_x2apic_opt_out = acpi->dmar_flags & ACPI_DMAR_X2APIC_OPT_OUT,
				     .units = vtd_unit_count,
				     .x2apic_now = apic_x2apic_mode_now(),
				     .register_invalidation = boot_options.vtd_register_invalidation };
	u32 i, ncpus = 0;

	for (i = 0; i < vtd_unit_count; i++) {
		p.units_ir += (vtd_units[i].ecap & ECAP_IR) != 0;
		p.units_qi += (vtd_units[i].ecap & ECAP_QI) != 0;
		p.units_eim += (vtd_units[i].ecap & ECAP_EIM) != 0;
	}
	for (i = 0; i < acpi->cpu_count && i < ACPI_MAX_CPUS; i++)
		if (acpi_cpu_usable(&acpi->cpus[i])) {
			p.max_apic_id = MAX(p.max_apic_id, acpi->cpus[i].apic_id);
			ncpus++;
		}
	mode = vtd_ir_choose(&p, why, sizeof(why));
	entries = vtd_irt_entries(ncpus ? ncpus : 1);
	if (mode == VTD_IR_OFF)
		log_info("vtd: no interrupt remapping: %s", why);
	else
		log_info("vtd: interrupt remapping available: %u entries when enabled, %s destinations (%s)",
			 entries, mode_name(), why);
}

bool vtd_ir_available(void)
{
	return mode != VTD_IR_OFF;
}

const char *vtd_ir_unavailable_reason(void)
{
	return why;
}

/* Units that do not snoop their table walks (ECAP.C clear) read the table from memory. */
static void sync_table(void)
{
	u32 i;

	for (i = 0; i < vtd_unit_count; i++) {
		if (!(vtd_units[i].ecap & ECAP_C)) {
			asm volatile("wbinvd" ::: "memory");
			return;
		}
	}
}

static bool invalidate_all_units(bool global, u32 index)
{
	bool ok = true;
	u32 i;

	for (i = 0; i < vtd_unit_count; i++)
		ok &= vtd_qi_invalidate_iec(&vtd_units[i], global, index);
	return ok;
}

/* Table pointer, cache invalidation, IRE with CFI clear (11.4.4: one command at a time, the
 * persistent enables written back with each). */
static int enable_unit(u32 i, struct vtd_unit *u, u64 irta)
{
	u32 keep = vtd_read32(u, VTD_GSTS) & (GSTS_TES | GSTS_QIES);

	if (!u->qi && !vtd_qi_enable(u))
		return -EBUSY;
	keep |= GSTS_QIES;
	vtd_write64(u, VTD_IRTA, irta);
	vtd_write32(u, VTD_GCMD, keep | GCMD_SIRTP);
	if (!vtd_wait_status(u, GSTS_IRTPS, true)) {
		log_warn("vtd: unit %u: the interrupt remapping table pointer was not latched", i);
		return -EBUSY;
	}
	if (!vtd_qi_invalidate_iec(u, true, 0)) {
		log_warn("vtd: unit %u: the interrupt entry cache invalidation did not complete", i);
		return -EBUSY;
	}
	vtd_write32(u, VTD_GCMD, keep | GCMD_IRE); /* CFI clear: compatibility format blocked */
	if (!vtd_wait_status(u, GSTS_IRES, true) || (vtd_read32(u, VTD_GSTS) & GSTS_CFIS)) {
		log_warn("vtd: unit %u: interrupt remapping did not turn on with compatibility format blocked (GSTS 0x%x)",
			 i, vtd_read32(u, VTD_GSTS));
		return -EBUSY;
	}
	log_info("vtd: unit %u: interrupt remapping enabled: %u entries at 0x%lx, %s destinations, compatibility format blocked",
		 i, entries, irta & ~(u64)0xfff, mode_name());
	return 0;
}

int vtd_ir_enable(void)
{
	u64 irta;
	u32 i;
	int rc;

	if (mode == VTD_IR_OFF)
		return -ENODEV;
	if (table.e)
		return enabled_rc;
	table.e = pages_try_alloc((u32)(entries * sizeof(struct vtd_irte) / PMM_PAGE_SIZE));
	if (!table.e) {
		log_warn("vtd: no room for a %u-entry interrupt remapping table: Plinth's page pool is exhausted", entries);
		return -ENOMEM;
	}
	table.size = entries;
	irta = (u64)(uintptr_t)table.e | vtd_irt_size_field(entries) | (mode == VTD_IR_X2APIC ? IRTA_EIME : 0);
	sync_table();
	for (i = 0; i < vtd_unit_count; i++) {
		rc = enable_unit(i, &vtd_units[i], irta);
		if (rc) {
			enabled_rc = rc; /* a unit that did not answer is reported once, not retried */
			return rc;
		}
	}
	return 0;
}

int vtd_ir_remap(u16 sid, u8 vector, u32 dest, const u32 *apic_ids, u32 n)
{
	return vtd_ir_remap_level(sid, vector, dest, false, apic_ids, n);
}

int vtd_ir_remap_level(u16 sid, u8 vector, u32 dest, bool level, const u32 *apic_ids, u32 n)
{
	struct vtd_irte_spec s = { .sid = sid, .sq = VTD_SQ_ALL, .vector = vector, .dest = dest,
				   .x2apic = mode == VTD_IR_X2APIC, .level = level };
	struct vtd_irte e;
	int index;

	if (!table.e || enabled_rc)
		return -ENODEV;
	if (vtd_irte_build(&s, apic_ids, n, &e))
		return -EINVAL;
	spin_lock(&entry_lock);
	index = vtd_irt_add(&table, &e);
	if (index >= 0) {
		sync_table();
		/* A unit with caching mode may hold the not-present entry. */
		if (!invalidate_all_units(false, (u32)index)) {
			vtd_irt_remove(&table, (u32)index);
			index = -EBUSY;
		}
	}
	spin_unlock(&entry_lock);
	return index;
}

int vtd_ir_unmap(u32 index)
{
	int rc = -EINVAL;

	if (!table.e)
		return rc;
	spin_lock(&entry_lock);
	if (!vtd_irt_remove(&table, index)) {
		sync_table();
		rc = invalidate_all_units(false, index) ? 0 : -EBUSY;
	}
	spin_unlock(&entry_lock);
	return rc;
}

u32 vtd_ir_table_pages(void)
{
	return table.e ? (u32)(entries * sizeof(struct vtd_irte) / PMM_PAGE_SIZE) : 0;
}
