/*
 * ACPI table parser: RSDP -> XSDT or RSDT -> MADT and DMAR (ACPI 6.5 chapter 5; Intel VT-d
 * specification chapter 8). Tables are read through pointers equal to their physical
 * addresses; nothing here touches hardware or the console.
 *
 * Firmware tables are input like any other: every length is checked against what holds it
 * before a byte behind it is read. What stops the parse and what does not:
 *  - a bad RSDP or root table: no other table can be found, so -EINVAL;
 *  - a bad MADT or DMAR (header, checksum, an entry too short or running past its table, an
 *    RMRR that is not a 4 KiB-aligned range): -EINVAL, because CPU start-up and DMA isolation
 *    would rest on it;
 *  - any other table with a bad header or checksum, or a root table entry pointing at
 *    nothing readable: left out with a warning, since Plinth does not need it;
 *  - more entries of a kind than struct acpi_info holds: the first ones are kept, with a
 *    warning and out->truncated.
 */
#include <plinth/errno.h>
#include <plinth/format.h>
#include <plinth/string.h>
#include <x86/acpi.h>

struct rsdp {
	char sig[8];
	u8 checksum; /* over the first 20 bytes */
	char oem_id[6];
	u8 revision;
	u32 rsdt;
	/* ACPI 2.0+ (revision >= 2) */
	u32 length;
	u64 xsdt;
	u8 ext_checksum; /* over length bytes */
	u8 reserved[3];
} __packed;

struct sdt_header {
	char sig[4];
	u32 length;
	u8 revision;
	u8 checksum;
	char oem_id[6];
	char oem_table_id[8];
	u32 oem_revision;
	u32 creator_id;
	u32 creator_revision;
} __packed;

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

struct dmar {
	struct sdt_header hdr;
	u8 haw; /* host address width minus one */
	u8 flags;
	u8 reserved[10];
} __packed;

struct dmar_struct {
	u16 type, length;
} __packed;

struct dmar_drhd {
	u16 type, length;
	u8 flags, size;
	u16 segment;
	u64 base;
} __packed;

struct dmar_rmrr {
	u16 type, length;
	u16 reserved, segment;
	u64 base, limit;
} __packed;

/* ATSR and SATC share this fixed part. */
struct dmar_atsr {
	u16 type, length;
	u8 flags, reserved;
	u16 segment;
} __packed;

struct dmar_andd {
	u16 type, length;
	u8 reserved[3];
	u8 dev_num;
	char name[];
} __packed;

struct dmar_scope {
	u8 type, length;
	u16 reserved;
	u8 enum_id, start_bus;
	struct acpi_pci_hop path[];
} __packed;

#define RSDP_V1_LEN 20u
#define RSDP_V2_LEN ((u32)sizeof(struct rsdp))
#define RSDP_MAX_LEN 256u /* 36 in every revision so far */
#define SDT_LEN ((u32)sizeof(struct sdt_header))
#define RHSA_LEN 20u
#define PAGE_4K (4 * KIB)

static int __printf(2, 3) fail(struct acpi_info *out, const char *fmt, ...)
{
	va_list ap;

	if (!out->error[0]) {
		va_start(ap, fmt);
		vformat(out->error, sizeof(out->error), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static void __printf(2, 3) warn(struct acpi_info *out, const char *fmt, ...)
{
	va_list ap;

	if (!out->warning[0]) {
		va_start(ap, fmt);
		vformat(out->warning, sizeof(out->warning), fmt, ap);
		va_end(ap);
	}
}

/* Room for one more of a kind? The first overflow is noted in the warning. */
static bool room(struct acpi_info *out, u32 count, u32 max, const char *table, u32 off,
		 const char *what)
{
	if (count < max)
		return true;
	warn(out, "%s offset 0x%x: more than %u %s; the rest are ignored", table, off, max, what);
	out->truncated = true;
	return false;
}

static u8 checksum(const void *p, u32 len)
{
	const u8 *b = p;
	u8 sum = 0;

	while (len--)
		sum += *b++;
	return sum;
}

/* Copies an n-byte name field as a C string, with '?' for bytes that do not print. */
static void copy_name(char *dst, const char *src, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[n] = '\0';
}

/* ACPI signatures are four printable ASCII characters; anything else is not a table. */
static bool sig_ok(const char *sig)
{
	u32 i;

	for (i = 0; i < 4; i++)
		if (sig[i] <= 0x20 || sig[i] >= 0x7f)
			return false;
	return true;
}

static u64 read_u64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static u32 read_u32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* The header at pa, or NULL when pa is 0 or the header would lie above the identity map. */
static const struct sdt_header *sdt_at(u64 pa)
{
	if (!pa || pa > ACPI_PHYS_LIMIT - SDT_LEN)
		return NULL;
	return (const struct sdt_header *)(uintptr_t)pa;
}

/*
 * Checks a table header and its checksum (ACPI 5.2.6). On a problem returns false with the
 * offset of the field at fault in *off and the reason in why.
 */
static bool sdt_check(const struct sdt_header *h, u32 *off, char *why, size_t size)
{
	u64 pa = (uintptr_t)h;
	u8 sum;

	*off = 0;
	if (!sig_ok(h->sig)) {
		format(why, size, "signature bytes %02x %02x %02x %02x are not a table name",
		       (u8)h->sig[0], (u8)h->sig[1], (u8)h->sig[2], (u8)h->sig[3]);
		return false;
	}
	*off = 4;
	if (h->length < SDT_LEN || h->length > ACPI_TABLE_MAX_LEN) {
		format(why, size, "length %u outside %u..%u bytes", h->length, SDT_LEN,
		       ACPI_TABLE_MAX_LEN);
		return false;
	}
	if (pa + h->length > ACPI_PHYS_LIMIT) {
		format(why, size, "%u bytes at 0x%lx run past 4 GiB", h->length, pa);
		return false;
	}
	*off = 9;
	sum = checksum(h, h->length);
	if (sum) {
		format(why, size, "the %u bytes sum to 0x%02x, not 0 (bad checksum)", h->length, sum);
		return false;
	}
	return true;
}

/* MADT (ACPI 5.2.12) */

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
			warn(out, "MADT offset 0x%x: APIC id 0x%x is listed again; the first entry is kept",
			     off, apic_id);
			return;
		}
	}
	if (!room(out, out->cpu_count, ACPI_MAX_CPUS, "MADT", off, "CPUs"))
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

	if (!room(out, out->nmi_count, ACPI_MAX_NMIS, "MADT", off, "local APIC NMI entries"))
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
		if (!room(out, out->ioapic_count, ACPI_MAX_IOAPICS, "MADT", off, "IOAPICs"))
			break;
		out->ioapics[out->ioapic_count].id = io->id;
		out->ioapics[out->ioapic_count].addr = io->addr;
		out->ioapics[out->ioapic_count].gsi_base = io->gsi_base;
		out->ioapic_count++;
		break;
	case ACPI_MADT_ISO:
		if (!room(out, out->override_count, ACPI_MAX_OVERRIDES, "MADT", off,
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

static int parse_madt(const u8 *t, u32 len, struct acpi_info *out)
{
	const struct madt *m = (const void *)t;
	u32 off, elen;

	out->has_madt = true;
	if (len < sizeof(*m))
		return fail(out, "MADT offset 0x4: length %u below the %zu-byte fixed part", len,
			    sizeof(*m));
	out->lapic_addr = m->lapic_addr;
	out->madt_flags = m->flags;
	for (off = sizeof(*m); off < len; off += elen) {
		u8 type = t[off];

		if (len - off < 2)
			return fail(out, "MADT offset 0x%x: entry header cut off by the table's end (%u byte left)",
				    off, len - off);
		elen = t[off + 1];
		if (elen < madt_min_len(type))
			return fail(out, "MADT offset 0x%x: %s entry (type %u) has length %u, below its %u bytes",
				    off, acpi_madt_type_name(type), type, elen, madt_min_len(type));
		if (elen > len - off)
			return fail(out, "MADT offset 0x%x: %s entry (type %u) of %u bytes runs past the table's end (%u bytes left)",
				    off, acpi_madt_type_name(type), type, elen, len - off);
		madt_entry(t + off, off, out);
	}
	return 0;
}

/* DMAR (VT-d chapter 8) */

static void add_scope(struct acpi_dmar_scope *sc, const struct dmar_scope *s, u32 hops)
{
	u32 i;

	sc->type = s->type;
	sc->enum_id = s->enum_id;
	sc->start_bus = s->start_bus;
	sc->path_len = (u8)MIN(hops, ACPI_DMAR_PATH_MAX);
	sc->path_truncated = hops > ACPI_DMAR_PATH_MAX;
	for (i = 0; i < sc->path_len; i++)
		sc->path[i] = s->path[i];
	/* One hop: the device sits on the start bus. Deeper: bridges' secondary buses decide. */
	sc->resolved = hops == 1;
	if (sc->resolved) {
		sc->bus = s->start_bus;
		sc->dev = s->path[0].dev;
		sc->fn = s->path[0].fn;
	}
}

/*
 * Device scope entries in [off, end) of the structure named owner (VT-d 8.3.1: type, length
 * 6 + 2n, flags, reserved, enumeration id, start bus, n (device, function) hops). Stored in
 * dst when dst is not NULL.
 */
static int parse_scopes(const u8 *t, u32 off, u32 end, const char *owner,
			struct acpi_dmar_scope *dst, u32 *count, struct acpi_info *out)
{
	while (off < end) {
		const struct dmar_scope *s = (const void *)(t + off);
		u32 i, hops;

		if (end - off < 2)
			return fail(out, "DMAR offset 0x%x: %s device scope header cut off by the %s's end",
				    off, owner, owner);
		if (s->length < sizeof(*s) + 2 || (s->length - sizeof(*s)) % 2)
			return fail(out, "DMAR offset 0x%x: %s device scope length %u is not 6 + 2n bytes with n >= 1",
				    off, owner, s->length);
		if (s->length > end - off)
			return fail(out, "DMAR offset 0x%x: %s device scope of %u bytes runs past the %s's end (%u bytes left)",
				    off, owner, s->length, owner, end - off);
		hops = (s->length - sizeof(*s)) / 2;
		for (i = 0; i < hops; i++)
			if (s->path[i].dev > 31 || s->path[i].fn > 7)
				return fail(out, "DMAR offset 0x%x: %s device scope path entry %u is %02x.%x, beyond device 31 function 7",
					    off, owner, i, s->path[i].dev, s->path[i].fn);
		if (hops > ACPI_DMAR_PATH_MAX)
			warn(out, "DMAR offset 0x%x: %s device scope path of %u hops; only %u are kept",
			     off, owner, hops, ACPI_DMAR_PATH_MAX);
		if (dst && room(out, *count, ACPI_DMAR_MAX_SCOPES, "DMAR", off,
				"device scopes in one structure"))
			add_scope(&dst[(*count)++], s, hops);
		off += s->length;
	}
	return 0;
}

static int dmar_too_short(struct acpi_info *out, u32 off, u16 type, u32 len, u32 fixed)
{
	return fail(out, "DMAR offset 0x%x: %s length %u is smaller than its %u-byte fixed part",
		    off, acpi_dmar_type_name(type), len, fixed);
}

static int parse_drhd(const u8 *t, u32 off, u32 len, struct acpi_info *out)
{
	const struct dmar_drhd *h = (const void *)(t + off);
	struct acpi_drhd *u = NULL;
	u32 i;

	if (len < sizeof(*h))
		return dmar_too_short(out, off, h->type, len, sizeof(*h));
	if (!h->base || !IS_ALIGNED(h->base, PAGE_4K))
		return fail(out, "DMAR offset 0x%x: DRHD register base 0x%lx is not a non-zero 4 KiB-aligned address",
			    off, h->base);
	/* VT-d 8.3: the INCLUDE_PCI_ALL unit of a segment comes after the segment's other
	 * units, so matching a device against the units in order finds its own unit first. */
	for (i = 0; i < out->drhd_count; i++)
		if ((out->drhds[i].flags & ACPI_DRHD_INCLUDE_PCI_ALL) &&
		    out->drhds[i].segment == h->segment)
			warn(out, "DMAR offset 0x%x: DRHD for segment %u follows that segment's INCLUDE_PCI_ALL unit, which must come last",
			     off, h->segment);
	if (room(out, out->drhd_count, ACPI_DMAR_MAX_DRHDS, "DMAR", off, "DRHDs")) {
		u = &out->drhds[out->drhd_count];
		u->flags = h->flags;
		u->size_field = h->size;
		u->segment = h->segment;
		u->reg_base = h->base;
		u->reg_size = PAGE_4K << (h->size & 0xf);
		u->scope_count = 0;
	}
	if (parse_scopes(t, off + sizeof(*h), off + len, "DRHD", u ? u->scopes : NULL,
			 u ? &u->scope_count : NULL, out))
		return -EINVAL;
	out->drhd_count += u != NULL; /* counted once its scopes are known good */
	return 0;
}

static int parse_rmrr(const u8 *t, u32 off, u32 len, struct acpi_info *out)
{
	const struct dmar_rmrr *r = (const void *)(t + off);
	struct acpi_rmrr *m = NULL;

	if (len < sizeof(*r))
		return dmar_too_short(out, off, r->type, len, sizeof(*r));
	if (r->limit < r->base)
		return fail(out, "DMAR offset 0x%x: RMRR limit 0x%lx lies below its base 0x%lx",
			    off, r->limit, r->base);
	/* VT-d 8.4: the base is 4 KiB-aligned and limit + 1 a multiple of 4 KiB. */
	if (!IS_ALIGNED(r->base, PAGE_4K) || !IS_ALIGNED(r->limit + 1, PAGE_4K))
		return fail(out, "DMAR offset 0x%x: RMRR 0x%lx-0x%lx is not 4 KiB-aligned (base and limit + 1 must be)",
			    off, r->base, r->limit);
	if (len == sizeof(*r))
		warn(out, "DMAR offset 0x%x: RMRR 0x%lx-0x%lx names no device", off, r->base, r->limit);
	if (room(out, out->rmrr_count, ACPI_DMAR_MAX_RMRRS, "DMAR", off, "RMRRs")) {
		m = &out->rmrrs[out->rmrr_count];
		m->segment = r->segment;
		m->base = r->base;
		m->limit = r->limit;
		m->scope_count = 0;
	}
	if (parse_scopes(t, off + sizeof(*r), off + len, "RMRR", m ? m->scopes : NULL,
			 m ? &m->scope_count : NULL, out))
		return -EINVAL;
	out->rmrr_count += m != NULL;
	return 0;
}

/* ATSR and SATC: flags, segment, scopes; only ATSRs are kept. */
static int parse_atsr(const u8 *t, u32 off, u32 len, struct acpi_info *out)
{
	const struct dmar_atsr *a = (const void *)(t + off);
	struct acpi_atsr *m = NULL;

	if (len < sizeof(*a))
		return dmar_too_short(out, off, a->type, len, sizeof(*a));
	if (a->type == ACPI_DMAR_ATSR &&
	    room(out, out->atsr_count, ACPI_DMAR_MAX_ATSRS, "DMAR", off, "ATSRs")) {
		m = &out->atsrs[out->atsr_count];
		m->flags = a->flags;
		m->segment = a->segment;
		m->scope_count = 0;
	}
	if (parse_scopes(t, off + sizeof(*a), off + len, acpi_dmar_type_name(a->type),
			 m ? m->scopes : NULL, m ? &m->scope_count : NULL, out))
		return -EINVAL;
	out->atsr_count += m != NULL;
	return 0;
}

static int parse_andd(const u8 *t, u32 off, u32 len, struct acpi_info *out)
{
	const struct dmar_andd *a = (const void *)(t + off);
	struct acpi_andd *m;
	u32 n;

	if (len < sizeof(*a))
		return dmar_too_short(out, off, a->type, len, sizeof(*a));
	if (!room(out, out->andd_count, ACPI_DMAR_MAX_ANDDS, "DMAR", off, "ANDDs"))
		return 0;
	m = &out->andds[out->andd_count++];
	m->dev_num = a->dev_num;
	/* The name is NUL-terminated ASCII; a missing NUL is bounded by the length. */
	n = strnlen(a->name, MIN(len - sizeof(*a), ACPI_ANDD_NAME_LEN - 1));
	copy_name(m->name, a->name, n);
	return 0;
}

static int parse_dmar(const u8 *t, u32 len, struct acpi_info *out)
{
	const struct dmar *d = (const void *)t;
	u32 off, slen;
	int rc = 0;

	out->has_dmar = true;
	if (len < sizeof(*d))
		return fail(out, "DMAR offset 0x4: length %u below the %zu-byte fixed part", len,
			    sizeof(*d));
	/* VT-d 8.1: the field holds the width minus one; a DMA address has at most 64 bits. */
	if (d->haw > 63)
		return fail(out, "DMAR offset 0x24: host address width field %u means more than 64 bits",
			    d->haw);
	out->dmar_haw = d->haw + 1;
	out->dmar_flags = d->flags;
	for (off = sizeof(*d); off < len && !rc; off += slen) {
		const struct dmar_struct *s = (const void *)(t + off);

		if (len - off < sizeof(*s))
			return fail(out, "DMAR offset 0x%x: structure header cut off by the table's end (%u bytes left)",
				    off, len - off);
		slen = s->length;
		if (slen < sizeof(*s))
			return fail(out, "DMAR offset 0x%x: %s (type %u) has length %u, below its 4-byte header",
				    off, acpi_dmar_type_name(s->type), s->type, slen);
		if (slen > len - off)
			return fail(out, "DMAR offset 0x%x: %s (type %u) of %u bytes runs past the table's end (%u bytes left)",
				    off, acpi_dmar_type_name(s->type), s->type, slen, len - off);
		switch (s->type) {
		case ACPI_DMAR_DRHD:
			rc = parse_drhd(t, off, slen, out);
			break;
		case ACPI_DMAR_RMRR:
			rc = parse_rmrr(t, off, slen, out);
			break;
		case ACPI_DMAR_ATSR:
		case ACPI_DMAR_SATC:
			rc = parse_atsr(t, off, slen, out);
			break;
		case ACPI_DMAR_RHSA:
			if (slen < RHSA_LEN)
				rc = dmar_too_short(out, off, s->type, slen, RHSA_LEN);
			break;
		case ACPI_DMAR_ANDD:
			rc = parse_andd(t, off, slen, out);
			break;
		default:
			break; /* newer structure types: skipped by their length */
		}
	}
	return rc;
}

/* Root table and RSDP */

static void add_table(struct acpi_info *out, const struct sdt_header *h, const char *root,
		      u32 off)
{
	struct acpi_table *e;

	if (!room(out, out->table_count, ACPI_MAX_TABLES, root, off, "tables"))
		return;
	e = &out->tables[out->table_count++];
	copy_name(e->sig, h->sig, 4);
	e->revision = h->revision;
	e->length = h->length;
	e->pa = (uintptr_t)h;
}

/* The name a table goes by when its problems are fatal, else NULL. */
static const char *needed_table(const struct acpi_info *out, const struct sdt_header *h)
{
	if (!memcmp(h->sig, "APIC", 4) && !out->has_madt)
		return "MADT";
	if (!memcmp(h->sig, "DMAR", 4) && !out->has_dmar)
		return "DMAR";
	return NULL;
}

/* Entry idx of the root table, at offset off in it, points at pa. */
static int visit_table(struct acpi_info *out, const char *root, u32 off, u32 idx, u64 pa)
{
	const struct sdt_header *h = sdt_at(pa);
	const char *name;
	char why[96];
	u32 bad;

	if (!h) {
		warn(out, "%s offset 0x%x: entry %u points at 0x%lx, %s; skipped", root, off, idx,
		     pa, pa ? "above the 4 GiB Plinth maps" : "a null address");
		return 0;
	}
	if (!sdt_check(h, &bad, why, sizeof(why))) {
		name = needed_table(out, h);
		if (name)
			return fail(out, "%s offset 0x%x: %s", name, bad, why);
		if (sig_ok(h->sig))
			warn(out, "%.4s at 0x%lx offset 0x%x: %s; skipped", h->sig, pa, bad, why);
		else
			warn(out, "%s offset 0x%x: entry %u at 0x%lx: %s; skipped", root, off, idx,
			     pa, why);
		return 0;
	}
	add_table(out, h, root, off);
	if (!memcmp(h->sig, "APIC", 4) && !out->has_madt)
		return parse_madt((const u8 *)h, h->length, out);
	if (!memcmp(h->sig, "DMAR", 4) && !out->has_dmar)
		return parse_dmar((const u8 *)h, h->length, out);
	if (!memcmp(h->sig, "APIC", 4) || !memcmp(h->sig, "DMAR", 4))
		warn(out, "%s offset 0x%x: a second %.4s table at 0x%lx; the first one is used",
		     root, off, h->sig, pa);
	return 0;
}

/* ACPI 5.2.7 and 5.2.8: a header, then 32-bit (RSDT) or 64-bit (XSDT) table addresses. */
static int parse_root(u64 pa, bool xsdt, struct acpi_info *out)
{
	const char *name = xsdt ? "XSDT" : "RSDT";
	u32 esize = xsdt ? 8 : 4, off, idx, bad;
	const struct sdt_header *h = sdt_at(pa);
	const u8 *t = (const u8 *)h;
	char why[96];
	int rc;

	out->use_xsdt = xsdt;
	out->root_pa = pa;
	if (!h)
		return fail(out, "%s at 0x%lx: above the 4 GiB Plinth maps", name, pa);
	if (!sdt_check(h, &bad, why, sizeof(why)))
		return fail(out, "%s offset 0x%x: %s", name, bad, why);
	if (memcmp(h->sig, name, 4))
		return fail(out, "%s offset 0x0: signature \"%.4s\", expected \"%s\"", name, h->sig,
			    name);
	if ((h->length - SDT_LEN) % esize)
		return fail(out, "%s offset 0x4: length %u is not %u + a multiple of %u", name,
			    h->length, SDT_LEN, esize);
	for (off = SDT_LEN, idx = 0; off < h->length; off += esize, idx++) {
		rc = visit_table(out, name, off, idx, xsdt ? read_u64(t + off) : read_u32(t + off));
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * ACPI 5.2.5.3. avail is how many bytes may be read at p: the size of a copy, or ~0u for the
 * RSDP in memory, where only what the revision and length promise is read.
 */
static int parse_rsdp(const u8 *p, u32 avail, struct acpi_info *out)
{
	const struct rsdp *r = (const void *)p;
	u32 max = MIN(avail, RSDP_MAX_LEN);
	char sig[9];
	u8 sum;

	memset(out, 0, sizeof(*out));
	if (avail < RSDP_V1_LEN)
		return fail(out, "RSDP: %u bytes, fewer than the %u of an ACPI 1.0 RSDP", avail,
			    RSDP_V1_LEN);
	if (memcmp(r->sig, "RSD PTR ", 8)) {
		copy_name(sig, r->sig, 8);
		return fail(out, "RSDP offset 0x0: signature \"%s\", expected \"RSD PTR \"", sig);
	}
	sum = checksum(p, RSDP_V1_LEN);
	if (sum)
		return fail(out, "RSDP offset 0x8: the first %u bytes sum to 0x%02x, not 0 (bad checksum)",
			    RSDP_V1_LEN, sum);
	out->rsdp_revision = r->revision;
	copy_name(out->oem_id, r->oem_id, sizeof(r->oem_id));
	/* Revision 0 is ACPI 1.0 (RSDT only); 2 and later add the length, XSDT and checksum. */
	if (r->revision >= 2 && avail < RSDP_V2_LEN) {
		/* GRUB's tag 14 may hold the first 20 bytes of a 2.0 RSDP: its RSDT address
		 * is valid, the 2.0 fields were not copied. */
		warn(out, "RSDP: revision %u but only %u bytes were copied; using the RSDT",
		     r->revision, avail);
	} else if (r->revision >= 2) {
		if (r->length < RSDP_V2_LEN || r->length > max)
			return fail(out, "RSDP offset 0x14: length %u outside %u..%u bytes", r->length,
				    RSDP_V2_LEN, max);
		sum = checksum(p, r->length);
		if (sum)
			return fail(out, "RSDP offset 0x20: the %u bytes sum to 0x%02x, not 0 (bad extended checksum)",
				    r->length, sum);
		if (r->xsdt && r->xsdt <= ACPI_PHYS_LIMIT - SDT_LEN)
			return parse_root(r->xsdt, true, out);
		if (r->xsdt)
			warn(out, "RSDP offset 0x18: XSDT at 0x%lx lies above the 4 GiB Plinth maps; using the RSDT",
			     r->xsdt);
	}
	if (!r->rsdt)
		return fail(out, "RSDP offset 0x10: RSDT address is 0 and there is no usable XSDT");
	return parse_root(r->rsdt, false, out);
}

int acpi_parse(u64 rsdp_pa, struct acpi_info *out)
{
	if (!rsdp_pa || rsdp_pa > ACPI_PHYS_LIMIT - RSDP_V2_LEN) {
		memset(out, 0, sizeof(*out));
		return fail(out, "RSDP at 0x%lx: not a readable address below 4 GiB", rsdp_pa);
	}
	return parse_rsdp((const u8 *)(uintptr_t)rsdp_pa, ~0u, out);
}

int acpi_parse_rsdp_copy(const void *rsdp, u32 len, struct acpi_info *out)
{
	if (!rsdp)
		len = 0;
	return parse_rsdp(rsdp, len, out);
}

const char *acpi_dmar_scope_type_name(u8 type)
{
	switch (type) {
	case ACPI_SCOPE_PCI_ENDPOINT:
		return "endpoint";
	case ACPI_SCOPE_PCI_SUBHIERARCHY:
		return "bridge";
	case ACPI_SCOPE_IOAPIC:
		return "ioapic";
	case ACPI_SCOPE_HPET:
		return "hpet";
	case ACPI_SCOPE_ACPI_NAMESPACE:
		return "acpi-device";
	default:
		return "unknown";
	}
}

const char *acpi_dmar_type_name(u16 type)
{
	static const char *const names[] = { "DRHD", "RMRR", "ATSR", "RHSA", "ANDD", "SATC" };

	return type < ARRAY_SIZE(names) ? names[type] : "unknown structure";
}

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

int acpi_dmar_scope_format(const struct acpi_dmar_scope *s, char *buf, size_t size)
{
	const char *name = acpi_dmar_scope_type_name(s->type);
	bool has_id = s->type >= ACPI_SCOPE_IOAPIC && s->type <= ACPI_SCOPE_ACPI_NAMESPACE;
	size_t n;
	u32 i;

	if (s->resolved)
		return has_id ? format(buf, size, "%s %u at %02x:%02x.%x", name, s->enum_id, s->bus,
				       s->dev, s->fn) :
				format(buf, size, "%s %02x:%02x.%x", name, s->bus, s->dev, s->fn);
	n = has_id ? format(buf, size, "%s %u at %02x:[", name, s->enum_id, s->start_bus) :
		     format(buf, size, "%s %02x:[", name, s->start_bus);
	for (i = 0; i < s->path_len; i++)
		n += format(buf + MIN(n, size), size - MIN(n, size), "%s%02x.%x", i ? "/" : "",
			    s->path[i].dev, s->path[i].fn);
	n += format(buf + MIN(n, size), size - MIN(n, size), "%s]", s->path_truncated ? "/..." : "");
	return (int)n;
}
