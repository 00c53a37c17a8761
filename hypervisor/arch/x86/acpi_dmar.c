/* DMAR (Intel VT-d specification, chapter 8): DMA remapping units, their device scopes, reserved
 * memory regions, ATS and namespace devices. Part of the ACPI parser (acpi.c has the rules
 * for what is fatal). */
#include <plinth/errno.h>
#include <plinth/format.h>
#include <plinth/string.h>
#include <x86/acpi.h>
#include <x86/acpi_parse.h>


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

#define RHSA_LEN 20u
#define PAGE_4K (4 * KIB)

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
			return acpi_fail(out, "DMAR offset 0x%x: %s device scope header cut off by the %s's end",
				    off, owner, owner);
		if (s->length < sizeof(*s) + 2 || (s->length - sizeof(*s)) % 2)
			return acpi_fail(out, "DMAR offset 0x%x: %s device scope length %u is not 6 + 2n bytes with n >= 1",
				    off, owner, s->length);
		if (s->length > end - off)
			return acpi_fail(out, "DMAR offset 0x%x: %s device scope of %u bytes runs past the %s's end (%u bytes left)",
				    off, owner, s->length, owner, end - off);
		hops = (s->length - sizeof(*s)) / 2;
		for (i = 0; i < hops; i++)
			if (s->path[i].dev > 31 || s->path[i].fn > 7)
				return acpi_fail(out, "DMAR offset 0x%x: %s device scope path entry %u is %02x.%x, beyond device 31 function 7",
					    off, owner, i, s->path[i].dev, s->path[i].fn);
		if (hops > ACPI_DMAR_PATH_MAX)
			acpi_warn(out, "DMAR offset 0x%x: %s device scope path of %u hops; only %u are kept",
			     off, owner, hops, ACPI_DMAR_PATH_MAX);
		if (dst && acpi_room(out, *count, ACPI_DMAR_MAX_SCOPES, "DMAR", off,
				"device scopes in one structure"))
			add_scope(&dst[(*count)++], s, hops);
		off += s->length;
	}
	return 0;
}

static int dmar_too_short(struct acpi_info *out, u32 off, u16 type, u32 len, u32 fixed)
{
	return acpi_fail(out, "DMAR offset 0x%x: %s length %u is smaller than its %u-byte fixed part",
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
		return acpi_fail(out, "DMAR offset 0x%x: DRHD register base 0x%lx is not a non-zero 4 KiB-aligned address",
			    off, h->base);
	/* VT-d 8.3: the INCLUDE_PCI_ALL unit of a segment comes after the segment's other
	 * units, so matching a device against the units in order finds its own unit first. */
	for (i = 0; i < out->drhd_count; i++)
		if ((out->drhds[i].flags & ACPI_DRHD_INCLUDE_PCI_ALL) &&
		    out->drhds[i].segment == h->segment)
			acpi_warn(out, "DMAR offset 0x%x: DRHD for segment %u follows that segment's INCLUDE_PCI_ALL unit, which must come last",
			     off, h->segment);
	if (acpi_room(out, out->drhd_count, ACPI_DMAR_MAX_DRHDS, "DMAR", off, "DRHDs")) {
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
		return acpi_fail(out, "DMAR offset 0x%x: RMRR limit 0x%lx lies below its base 0x%lx",
			    off, r->limit, r->base);
	/* VT-d 8.4: the base is 4 KiB-aligned and limit + 1 a multiple of 4 KiB. */
	if (!IS_ALIGNED(r->base, PAGE_4K) || !IS_ALIGNED(r->limit + 1, PAGE_4K))
		return acpi_fail(out, "DMAR offset 0x%x: RMRR 0x%lx-0x%lx is not 4 KiB-aligned (base and limit + 1 must be)",
			    off, r->base, r->limit);
	if (len == sizeof(*r))
		acpi_warn(out, "DMAR offset 0x%x: RMRR 0x%lx-0x%lx names no device", off, r->base, r->limit);
	if (acpi_room(out, out->rmrr_count, ACPI_DMAR_MAX_RMRRS, "DMAR", off, "RMRRs")) {
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
	    acpi_room(out, out->atsr_count, ACPI_DMAR_MAX_ATSRS, "DMAR", off, "ATSRs")) {
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
	if (!acpi_room(out, out->andd_count, ACPI_DMAR_MAX_ANDDS, "DMAR", off, "ANDDs"))
		return 0;
	m = &out->andds[out->andd_count++];
	m->dev_num = a->dev_num;
	/* The name is NUL-terminated ASCII; a missing NUL is bounded by the length. */
	n = strnlen(a->name, MIN(len - sizeof(*a), ACPI_ANDD_NAME_LEN - 1));
	acpi_copy_name(m->name, a->name, n);
	return 0;
}

int acpi_parse_dmar(const u8 *t, u32 len, struct acpi_info *out)
{
	const struct dmar *d = (const void *)t;
	u32 off, slen;
	int rc = 0;

	out->has_dmar = true;
	if (len < sizeof(*d))
		return acpi_fail(out, "DMAR offset 0x4: length %u below the %zu-byte fixed part", len,
			    sizeof(*d));
	/* VT-d 8.1: the field holds the width minus one; a DMA address has at most 64 bits. */
	if (d->haw > 63)
		return acpi_fail(out, "DMAR offset 0x24: host address width field %u means more than 64 bits",
			    d->haw);
	out->dmar_haw = d->haw + 1;
	out->dmar_flags = d->flags;
	for (off = sizeof(*d); off < len && !rc; off += slen) {
		const struct dmar_struct *s = (const void *)(t + off);

		if (len - off < sizeof(*s))
			return acpi_fail(out, "DMAR offset 0x%x: structure header cut off by the table's end (%u bytes left)",
				    off, len - off);
		slen = s->length;
		if (slen < sizeof(*s))
			return acpi_fail(out, "DMAR offset 0x%x: %s (type %u) has length %u, below its 4-byte header",
				    off, acpi_dmar_type_name(s->type), s->type, slen);
		if (slen > len - off)
			return acpi_fail(out, "DMAR offset 0x%x: %s (type %u) of %u bytes runs past the table's end (%u bytes left)",
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

bool acpi_dmar_ioapic_sid(const struct acpi_info *acpi, u8 id, u16 *sid)
{
	u32 i, j;

	for (i = 0; i < acpi->drhd_count && i < ACPI_DMAR_MAX_DRHDS; i++)
		for (j = 0; j < acpi->drhds[i].scope_count && j < ACPI_DMAR_MAX_SCOPES; j++) {
			const struct acpi_dmar_scope *sc = &acpi->drhds[i].scopes[j];

			if (sc->type == ACPI_SCOPE_IOAPIC && sc->enum_id == id && sc->resolved) {
				*sid = (u16)(sc->bus << 8 | (sc->dev & 0x1f) << 3 | (sc->fn & 7));
				return true;
			}
		}
	return false;
}
