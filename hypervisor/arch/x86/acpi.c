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
#include <plinth/multiboot2.h>
#include <plinth/string.h>
#include <x86/acpi.h>
#include <x86/acpi_parse.h>

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

#define RSDP_V2_LEN ((u32)sizeof(struct rsdp))
#define RSDP_MAX_LEN 256u /* 36 in every revision so far */
#define SDT_LEN ((u32)sizeof(struct sdt_header))

static u8 checksum(const void *p, u32 len)
{
	const u8 *b = p;
	u8 sum = 0;

	while (len--)
		sum += *b++;
	return sum;
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

static void add_table(struct acpi_info *out, const struct sdt_header *h, const char *root,
		      u32 off)
{
	struct acpi_table *e;

	if (!acpi_room(out, out->table_count, ACPI_MAX_TABLES, root, off, "tables"))
		return;
	e = &out->tables[out->table_count++];
	acpi_copy_name(e->sig, h->sig, 4);
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
		acpi_warn(out, "%s offset 0x%x: entry %u points at 0x%lx, %s; skipped", root, off, idx,
		     pa, pa ? "above the 4 GiB Plinth maps" : "a null address");
		return 0;
	}
	if (!sdt_check(h, &bad, why, sizeof(why))) {
		name = needed_table(out, h);
		if (name)
			return acpi_fail(out, "%s offset 0x%x: %s", name, bad, why);
		if (sig_ok(h->sig))
			acpi_warn(out, "%.4s at 0x%lx offset 0x%x: %s; skipped", h->sig, pa, bad, why);
		else
			acpi_warn(out, "%s offset 0x%x: entry %u at 0x%lx: %s; skipped", root, off, idx,
			     pa, why);
		return 0;
	}
	add_table(out, h, root, off);
	if (!memcmp(h->sig, "APIC", 4) && !out->has_madt)
		return acpi_parse_madt((const u8 *)h, h->length, out);
	if (!memcmp(h->sig, "DMAR", 4) && !out->has_dmar)
		return acpi_parse_dmar((const u8 *)h, h->length, out);
	if (!memcmp(h->sig, "APIC", 4) || !memcmp(h->sig, "DMAR", 4))
		acpi_warn(out, "%s offset 0x%x: a second %.4s table at 0x%lx; the first one is used",
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
		return acpi_fail(out, "%s at 0x%lx: above the 4 GiB Plinth maps", name, pa);
	if (!sdt_check(h, &bad, why, sizeof(why)))
		return acpi_fail(out, "%s offset 0x%x: %s", name, bad, why);
	if (memcmp(h->sig, name, 4))
		return acpi_fail(out, "%s offset 0x0: signature \"%.4s\", expected \"%s\"", name, h->sig,
			    name);
	if ((h->length - SDT_LEN) % esize)
		return acpi_fail(out, "%s offset 0x4: length %u is not %u + a multiple of %u", name,
			    h->length, SDT_LEN, esize);
	for (off = SDT_LEN, idx = 0; off < h->length; off += esize, idx++) {
		rc = visit_table(out, name, off, idx, xsdt ? acpi_read_u64(t + off) : acpi_read_u32(t + off));
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
	if (avail < ACPI_RSDP_V1_LEN)
		return acpi_fail(out, "RSDP: %u bytes, fewer than the %u of an ACPI 1.0 RSDP", avail,
			    ACPI_RSDP_V1_LEN);
	if (memcmp(r->sig, "RSD PTR ", 8)) {
		acpi_copy_name(sig, r->sig, 8);
		return acpi_fail(out, "RSDP offset 0x0: signature \"%s\", expected \"RSD PTR \"", sig);
	}
	sum = checksum(p, ACPI_RSDP_V1_LEN);
	if (sum)
		return acpi_fail(out, "RSDP offset 0x8: the first %u bytes sum to 0x%02x, not 0 (bad checksum)",
			    ACPI_RSDP_V1_LEN, sum);
	out->rsdp_revision = r->revision;
	acpi_copy_name(out->oem_id, r->oem_id, sizeof(r->oem_id));
	/* Revision 0 is ACPI 1.0 (RSDT only); 2 and later add the length, XSDT and checksum. */
	if (r->revision >= 2 && avail < RSDP_V2_LEN) {
		/* GRUB's tag 14 may hold the first 20 bytes of a 2.0 RSDP: its RSDT address
		 * is valid, the 2.0 fields were not copied. */
		acpi_warn(out, "RSDP: revision %u but only %u bytes were copied; using the RSDT",
		     r->revision, avail);
	} else if (r->revision >= 2) {
		if (r->length < RSDP_V2_LEN || r->length > max)
			return acpi_fail(out, "RSDP offset 0x14: length %u outside %u..%u bytes", r->length,
				    RSDP_V2_LEN, max);
		sum = checksum(p, r->length);
		if (sum)
			return acpi_fail(out, "RSDP offset 0x20: the %u bytes sum to 0x%02x, not 0 (bad extended checksum)",
				    r->length, sum);
		if (r->xsdt && r->xsdt <= ACPI_PHYS_LIMIT - SDT_LEN)
			return parse_root(r->xsdt, true, out);
		if (r->xsdt)
			acpi_warn(out, "RSDP offset 0x18: XSDT at 0x%lx lies above the 4 GiB Plinth maps; using the RSDT",
			     r->xsdt);
	}
	if (!r->rsdt)
		return acpi_fail(out, "RSDP offset 0x10: RSDT address is 0 and there is no usable XSDT");
	return parse_root(r->rsdt, false, out);
}

int acpi_parse(u64 rsdp_pa, struct acpi_info *out)
{
	if (!rsdp_pa || rsdp_pa > ACPI_PHYS_LIMIT - RSDP_V2_LEN) {
		memset(out, 0, sizeof(*out));
		return acpi_fail(out, "RSDP at 0x%lx: not a readable address below 4 GiB", rsdp_pa);
	}
	return parse_rsdp((const u8 *)(uintptr_t)rsdp_pa, ~0u, out);
}

int acpi_parse_rsdp_copy(const void *rsdp, u32 len, struct acpi_info *out)
{
	if (!rsdp)
		len = 0;
	return parse_rsdp(rsdp, len, out);
}

