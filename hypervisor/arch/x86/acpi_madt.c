/* MADT (ACPI 6.5, 5.2.12): the CPUs, IOAPICs, interrupt overrides and NMI wiring. Part of the
 * ACPI parser (acpi.c has the rules for what is fatal). */
#include <plinth/errno.h>
#include <plinth/string.h>
#include <x86/acpi.h>
#include <x86/acpi_parse.h>

struct madt {
	struct sdt_header hdr;
	u32 lapic_addr;
	u32 flags;
} __packed;

struct madt_lapic {
	u8 type, length, uid, apic_id;
	u32 flags;
} __packed;

struct madt_ioapic {
	u8 type, length, id, reserved;
	u32 addr, gsi_base;
} __packed;

struct madt_iso {
	u8 type, length, bus, source;
	u32 gsi;
	u16 flags;
} __packed;

struct madt_lapic_nmi {
	u8 type, length, uid;
	u16 flags;
	u8 lint;
} __packed;

struct madt_lapic_override {
	u8 type, length;
	u16 reserved;
	u64 addr;
} __packed;

struct madt_x2apic {
	u8 type, length;
	u16 reserved;
	u32 apic_id, flags, uid;
} __packed;

struct madt_x2apic_nmi {
	u8 type, length;
	u16 flags;
	u32 uid;
	u8 lint, reserved[3];
} __packed;

static u32 madt_min_len(u8 type)
{
	switch (type) {
	case ACPI_MADT_LAPIC:
		return sizeof(struct madt_lapic);
	case ACPI_MADT_IOAPIC:
		return sizeof(struct madt_ioapic);
	case ACPI_MADT_ISO:
		return sizeof(struct madt_iso);
	case ACPI_MADT_LAPIC_NMI:
		return sizeof(struct madt_lapic_nmi);
	case ACPI_MADT_LAPIC_OVERRIDE:
		return sizeof(struct madt_lapic_override);
	case ACPI_MADT_X2APIC:
		return sizeof(struct madt_x2apic);
	case ACPI_MADT_X2APIC_NMI:
		return sizeof(struct madt_x2apic_nmi);
	default:
		return 2; /* type and length */
	}
}

static void add_cpu(struct acpi_info *out, u32 off, u32 apic_id, u32 uid, u32 flags, bool x2apic)
{
	struct acpi_cpu *c;
	u32 i;

	/* Starting one CPU twice would be fatal later; firmware that lists a CPU in both a
	 * type 0 and a type 9 entry gets the first one. */
	for (i = 0; (flags & ACPI_LAPIC_ENABLED) && i < out->cpu_count; i++) {
		if (out->cpus[i].enabled && out->cpus[i].apic_id == apic_id) {
			acpi_warn(out, "MADT offset 0x%x: APIC id 0x%x is listed again; the first entry is kept",
			     off, apic_id);
			return;
		}
	}
	if (!acpi_room(out, out->cpu_count, ACPI_MAX_CPUS, "MADT", off, "CPUs"))
		return;
	c = &out->cpus[out->cpu_count++];
	c->apic_id = apic_id;
	c->uid = uid;
	c->enabled = flags & ACPI_LAPIC_ENABLED;
	c->online_capable = flags & ACPI_LAPIC_ONLINE_CAPABLE;
	c->x2apic = x2apic;
}

static void add_nmi(struct acpi_info *out, u32 off, u32 uid, u16 flags, u8 lint)
{
	struct acpi_nmi *n;

	if (!acpi_room(out, out->nmi_count, ACPI_MAX_NMIS, "MADT", off, "local APIC NMI entries"))
		return;
	n = &out->nmis[out->nmi_count++];
	n->uid = uid;
	n->flags = flags;
	n->lint = lint;
}

/* One entry whose length was checked against madt_min_len() and the table's end. */
static void madt_entry(const u8 *p, u32 off, struct acpi_info *out)
{
	const struct madt_lapic *lapic = (const void *)p;
	const struct madt_ioapic *io = (const void *)p;
	const struct madt_iso *iso = (const void *)p;
	const struct madt_lapic_nmi *nmi = (const void *)p;
	const struct madt_lapic_override *ovr = (const void *)p;
	const struct madt_x2apic *x2 = (const void *)p;
	const struct madt_x2apic_nmi *x2nmi = (const void *)p;

	switch (p[0]) {
	case ACPI_MADT_LAPIC:
		add_cpu(out, off, lapic->apic_id, lapic->uid, lapic->flags, false);
		break;
	case ACPI_MADT_X2APIC:
		add_cpu(out, off, x2->apic_id, x2->uid, x2->flags, true);
		break;
	case ACPI_MADT_IOAPIC:
		if (!acpi_room(out, out->ioapic_count, ACPI_MAX_IOAPICS, "MADT", off, "IOAPICs"))
			break;
		out->ioapics[out->ioapic_count].id = io->id;
		out->ioapics[out->ioapic_count].addr = io->addr;
		out->ioapics[out->ioapic_count].gsi_base = io->gsi_base;
		out->ioapic_count++;
		break;
	case ACPI_MADT_ISO:
		if (!acpi_room(out, out->override_count, ACPI_MAX_OVERRIDES, "MADT", off,
			  "interrupt source overrides"))
			break;
		out->overrides[out->override_count].bus = iso->bus;
		out->overrides[out->override_count].irq = iso->source;
		out->overrides[out->override_count].gsi = iso->gsi;
		out->overrides[out->override_count].flags = iso->flags;
		out->override_count++;
		break;
	case ACPI_MADT_LAPIC_NMI:
		/* 0xff in the 8-bit UID means every processor (ACPI 5.2.12.7). */
		add_nmi(out, off, nmi->uid == 0xff ? ACPI_NMI_ALL_CPUS : nmi->uid, nmi->flags,
			nmi->lint);
		break;
	case ACPI_MADT_X2APIC_NMI:
		add_nmi(out, off, x2nmi->uid, x2nmi->flags, x2nmi->lint);
		break;
	case ACPI_MADT_LAPIC_OVERRIDE:
		/* The 64-bit address replaces the header's 32-bit one (ACPI 5.2.12.8). */
		out->lapic_addr = ovr->addr;
		out->lapic_addr_overridden = true;
		break;
	default:
		break; /* SAPIC, GIC and others: not on this platform */
	}
}

int acpi_parse_madt(const u8 *t, u32 len, struct acpi_info *out)
{
	const struct madt *m = (const void *)t;
	u32 off, elen;

	out->has_madt = true;
	if (len < sizeof(*m))
		return acpi_fail(out, "MADT offset 0x4: length %u below the %zu-byte fixed part", len,
			    sizeof(*m));
	out->lapic_addr = m->lapic_addr;
	out->madt_flags = m->flags;
	for (off = sizeof(*m); off < len; off += elen) {
		u8 type = t[off];

		if (len - off < 2)
			return acpi_fail(out, "MADT offset 0x%x: entry header cut off by the table's end (%u byte left)",
				    off, len - off);
		elen = t[off + 1];
		if (elen < madt_min_len(type))
			return acpi_fail(out, "MADT offset 0x%x: %s entry (type %u) has length %u, below its %u bytes",
				    off, acpi_madt_type_name(type), type, elen, madt_min_len(type));
		if (elen > len - off)
			return acpi_fail(out, "MADT offset 0x%x: %s entry (type %u) of %u bytes runs past the table's end (%u bytes left)",
				    off, acpi_madt_type_name(type), type, elen, len - off);
		madt_entry(t + off, off, out);
	}
	return 0;
}

/* DMAR (VT-d chapter 8) */


const char *acpi_madt_type_name(u8 type)
{
	switch (type) {
	case ACPI_MADT_LAPIC:
		return "local APIC";
	case ACPI_MADT_IOAPIC:
		return "IOAPIC";
	case ACPI_MADT_ISO:
		return "interrupt source override";
	case ACPI_MADT_LAPIC_NMI:
		return "local APIC NMI";
	case ACPI_MADT_LAPIC_OVERRIDE:
		return "local APIC address override";
	case ACPI_MADT_X2APIC:
		return "local x2APIC";
	case ACPI_MADT_X2APIC_NMI:
		return "local x2APIC NMI";
	default:
		return "unknown";
	}
}

