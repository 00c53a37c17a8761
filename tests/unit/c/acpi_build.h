/*
 * Builds ACPI tables for the parser tests: an RSDP, an XSDT or RSDT, and any table (MADT and
 * DMAR have helpers), each with its length and checksum filled in.
 *
 * A table is assembled in a struct abt, then placed with ab_place() into memory the parser
 * can reach by physical address: mmap'd below 2 GiB (MAP_32BIT, so RSDT entries can hold the
 * address) with the table's last byte just before a PROT_NONE page. A read past a table's end
 * faults at once; AddressSanitizer does not watch mmap'd memory, the guard page does.
 * ab_release() unmaps everything placed so far.
 *
 * The including file defines _GNU_SOURCE before any include (MAP_32BIT).
 */
#ifndef PLINTH_TEST_ACPI_BUILD_H
#define PLINTH_TEST_ACPI_BUILD_H

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <x86/acpi.h>

#include "test.h"

#define AB_CAP (64 * 1024)
#define AB_MAPS_MAX 256
#define AB_HDR 36u	    /* system description table header */
#define AB_MADT_ENTRIES 44u /* offset of the first MADT entry */
#define AB_DMAR_STRUCTS 48u /* offset of the first DMAR remapping structure */

struct abt {
	u8 buf[AB_CAP];
	u32 len;
};

static struct {
	void *base;
	size_t size;
} ab_maps[AB_MAPS_MAX];
static unsigned ab_nmaps;

static inline void ab_fail(const char *why)
{
	fprintf(stderr, "acpi_build: %s\n", why);
	abort();
}

/* Copies len bytes to guarded low memory so that they end right before a PROT_NONE page. */
static inline void *ab_place_bytes(const void *p, u32 len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t size = (len + page - 1) / page * page + page;
	u8 *base;

	if (ab_nmaps == AB_MAPS_MAX)
		ab_fail("too many placed tables; call ab_release()");
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
		    -1, 0);
	if (base == MAP_FAILED)
		ab_fail("mmap(MAP_32BIT) failed");
	memset(base, 0xcc, size - page); /* bytes before the table: never part of it */
	if (mprotect(base + size - page, page, PROT_NONE))
		ab_fail("mprotect failed");
	ab_maps[ab_nmaps].base = base;
	ab_maps[ab_nmaps].size = size;
	ab_nmaps++;
	memcpy(base + size - page - len, p, len);
	return base + size - page - len;
}

static inline void ab_release(void)
{
	while (ab_nmaps) {
		ab_nmaps--;
		munmap(ab_maps[ab_nmaps].base, ab_maps[ab_nmaps].size);
	}
}

static inline u64 ab_pa(const void *p)
{
	return (u64)(uintptr_t)p;
}

static inline void ab_put(struct abt *t, const void *p, u32 n)
{
	if (t->len + n > AB_CAP)
		ab_fail("table larger than the builder holds");
	memcpy(t->buf + t->len, p, n);
	t->len += n;
}

static inline void ab_u8(struct abt *t, u8 v)
{
	ab_put(t, &v, 1);
}

static inline void ab_u16(struct abt *t, u16 v)
{
	ab_put(t, &v, 2);
}

static inline void ab_u32(struct abt *t, u32 v)
{
	ab_put(t, &v, 4);
}

static inline void ab_u64(struct abt *t, u64 v)
{
	ab_put(t, &v, 8);
}

static inline void ab_zeros(struct abt *t, u32 n)
{
	while (n--)
		ab_u8(t, 0);
}

static inline void ab_set8(struct abt *t, u32 off, u8 v)
{
	t->buf[off] = v;
}

static inline void ab_set16(struct abt *t, u32 off, u16 v)
{
	memcpy(t->buf + off, &v, 2);
}

static inline void ab_set32(struct abt *t, u32 off, u32 v)
{
	memcpy(t->buf + off, &v, 4);
}

static inline void ab_set64(struct abt *t, u32 off, u64 v)
{
	memcpy(t->buf + off, &v, 8);
}

static inline u8 ab_sum(const u8 *p, u32 n)
{
	u8 s = 0;

	while (n--)
		s += *p++;
	return s;
}

/* Starts a table: the 36-byte header, length and checksum filled by ab_finish(). */
static inline void ab_begin(struct abt *t, const char *sig, u8 revision)
{
	t->len = 0;
	ab_put(t, sig, 4);
	ab_u32(t, 0);
	ab_u8(t, revision);
	ab_u8(t, 0);
	ab_put(t, "PLINTH", 6);
	ab_put(t, "TESTTBL ", 8);
	ab_u32(t, 1);
	ab_put(t, "PLTB", 4);
	ab_u32(t, 0x20240101);
}

/* Makes the bytes at offset 9 balance the table's length field (whatever it says). */
static inline void ab_fix_checksum(struct abt *t)
{
	u32 len;

	memcpy(&len, t->buf + 4, 4);
	if (len > t->len)
		len = t->len; /* a lying length: balance what exists */
	t->buf[9] = 0;
	t->buf[9] = (u8)(0 - ab_sum(t->buf, len));
}

/* Sets the length field to the bytes built and the checksum. */
static inline void ab_finish(struct abt *t)
{
	ab_set32(t, 4, t->len);
	ab_fix_checksum(t);
}

static inline u64 ab_place(const struct abt *t)
{
	return ab_pa(ab_place_bytes(t->buf, t->len));
}

static inline u64 ab_finish_place(struct abt *t)
{
	ab_finish(t);
	return ab_place(t);
}

/* A table with a body of n zero bytes (FACP, SSDT, HPET, ...). */
static inline u64 ab_plain(const char *sig, u32 body)
{
	static struct abt t;

	ab_begin(&t, sig, 1);
	ab_zeros(&t, body);
	return ab_finish_place(&t);
}

/* XSDT (64-bit entries) or RSDT (32-bit entries) listing n tables. */
static inline u64 ab_root(bool xsdt, const u64 *pa, u32 n)
{
	static struct abt t;
	u32 i;

	ab_begin(&t, xsdt ? "XSDT" : "RSDT", 1);
	for (i = 0; i < n; i++) {
		if (xsdt)
			ab_u64(&t, pa[i]);
		else if (pa[i] >> 32)
			ab_fail("an RSDT entry needs an address below 4 GiB");
		else
			ab_u32(&t, (u32)pa[i]);
	}
	return ab_finish_place(&t);
}

/* RSDP bytes into buf (20 for revision 0, 36 from revision 2); returns the length. */
static inline u32 ab_rsdp_bytes(u8 *buf, u8 revision, u64 rsdt, u64 xsdt)
{
	u32 len = revision >= 2 ? 36 : 20, r32 = (u32)rsdt;

	memset(buf, 0, len);
	memcpy(buf, "RSD PTR ", 8);
	memcpy(buf + 9, "BOCHS ", 6);
	buf[15] = revision;
	memcpy(buf + 16, &r32, 4);
	buf[8] = (u8)(0 - ab_sum(buf, 20));
	if (revision >= 2) {
		memcpy(buf + 20, &len, 4);
		memcpy(buf + 24, &xsdt, 8);
		buf[32] = (u8)(0 - ab_sum(buf, 36));
	}
	return len;
}

static inline u8 *ab_rsdp(u8 revision, u64 rsdt, u64 xsdt)
{
	u8 buf[36];

	return ab_place_bytes(buf, ab_rsdp_bytes(buf, revision, rsdt, xsdt));
}

/* RSDP revision 2 -> XSDT -> the n tables; returns the RSDP's address. */
static inline u64 ab_system(const u64 *tables, u32 n)
{
	return ab_pa(ab_rsdp(2, 0, ab_root(true, tables, n)));
}

/* MADT (ACPI 5.2.12) */

static inline void ab_madt(struct abt *t, u32 lapic_addr, u32 flags)
{
	ab_begin(t, "APIC", 5);
	ab_u32(t, lapic_addr);
	ab_u32(t, flags);
}

static inline void ab_lapic(struct abt *t, u8 uid, u8 apic_id, u32 flags)
{
	u8 e[4] = { ACPI_MADT_LAPIC, 8, uid, apic_id };

	ab_put(t, e, 4);
	ab_u32(t, flags);
}

static inline void ab_ioapic(struct abt *t, u8 id, u32 addr, u32 gsi_base)
{
	u8 e[4] = { ACPI_MADT_IOAPIC, 12, id, 0 };

	ab_put(t, e, 4);
	ab_u32(t, addr);
	ab_u32(t, gsi_base);
}

static inline void ab_iso(struct abt *t, u8 bus, u8 irq, u32 gsi, u16 flags)
{
	u8 e[4] = { ACPI_MADT_ISO, 10, bus, irq };

	ab_put(t, e, 4);
	ab_u32(t, gsi);
	ab_u16(t, flags);
}

static inline void ab_lapic_nmi(struct abt *t, u8 uid, u16 flags, u8 lint)
{
	u8 e[3] = { ACPI_MADT_LAPIC_NMI, 6, uid };

	ab_put(t, e, 3);
	ab_u16(t, flags);
	ab_u8(t, lint);
}

static inline void ab_lapic_override(struct abt *t, u64 addr)
{
	u8 e[4] = { ACPI_MADT_LAPIC_OVERRIDE, 12, 0, 0 };

	ab_put(t, e, 4);
	ab_u64(t, addr);
}

static inline void ab_x2apic(struct abt *t, u32 apic_id, u32 flags, u32 uid)
{
	u8 e[4] = { ACPI_MADT_X2APIC, 16, 0, 0 };

	ab_put(t, e, 4);
	ab_u32(t, apic_id);
	ab_u32(t, flags);
	ab_u32(t, uid);
}

static inline void ab_x2apic_nmi(struct abt *t, u32 uid, u16 flags, u8 lint)
{
	u8 e[2] = { ACPI_MADT_X2APIC_NMI, 12 };

	ab_put(t, e, 2);
	ab_u16(t, flags);
	ab_u32(t, uid);
	ab_u8(t, lint);
	ab_zeros(t, 3);
}

/* DMAR (VT-d chapter 8): each structure helper returns its offset; ab_end() sets its length
 * once its device scopes are added. */

static inline void ab_dmar(struct abt *t, u8 haw_field, u8 flags)
{
	ab_begin(t, "DMAR", 1);
	ab_u8(t, haw_field);
	ab_u8(t, flags);
	ab_zeros(t, 10);
}

static inline u32 ab_struct(struct abt *t, u16 type)
{
	u32 off = t->len;

	ab_u16(t, type);
	ab_u16(t, 0);
	return off;
}

static inline void ab_end(struct abt *t, u32 off)
{
	ab_set16(t, off + 2, (u16)(t->len - off));
}

static inline u32 ab_drhd(struct abt *t, u8 flags, u8 size, u16 segment, u64 base)
{
	u32 off = ab_struct(t, ACPI_DMAR_DRHD);

	ab_u8(t, flags);
	ab_u8(t, size);
	ab_u16(t, segment);
	ab_u64(t, base);
	return off;
}

static inline u32 ab_rmrr(struct abt *t, u16 segment, u64 base, u64 limit)
{
	u32 off = ab_struct(t, ACPI_DMAR_RMRR);

	ab_u16(t, 0);
	ab_u16(t, segment);
	ab_u64(t, base);
	ab_u64(t, limit);
	return off;
}

/* ATSR or SATC */
static inline u32 ab_atsr(struct abt *t, u16 type, u8 flags, u16 segment)
{
	u32 off = ab_struct(t, type);

	ab_u8(t, flags);
	ab_u8(t, 0);
	ab_u16(t, segment);
	return off;
}

static inline u32 ab_rhsa(struct abt *t, u64 base, u32 domain)
{
	u32 off = ab_struct(t, ACPI_DMAR_RHSA);

	ab_u32(t, 0);
	ab_u64(t, base);
	ab_u32(t, domain);
	ab_end(t, off);
	return off;
}

static inline u32 ab_andd(struct abt *t, u8 dev_num, const char *name)
{
	u32 off = ab_struct(t, ACPI_DMAR_ANDD);

	ab_zeros(t, 3);
	ab_u8(t, dev_num);
	ab_put(t, name, (u32)strlen(name) + 1);
	ab_end(t, off);
	return off;
}

/* FADT (ACPI 5.2.9) of len bytes, all zero past the header; the tests set its fields with
 * ab_set*: SMI_CMD at 48, ACPI_ENABLE.. at 52, PM1a_CNT_BLK at 64, PM1_CNT_LEN at 89,
 * CST_CNT at 95. */
#define AB_FADT_SMI_CMD 48u
#define AB_FADT_ACPI_ENABLE 52u
#define AB_FADT_PM1A_CNT_BLK 64u
#define AB_FADT_PM1_CNT_LEN 89u
#define AB_FADT_CST_CNT 95u

static inline void ab_fadt(struct abt *t, u8 revision, u32 len)
{
	ab_begin(t, "FACP", revision);
	ab_zeros(t, len - AB_HDR);
}

/* MCFG (PCI Firmware 3.0, 4.1.2): the header, 8 reserved bytes, then ab_mcfg_alloc()s. */
static inline void ab_mcfg(struct abt *t)
{
	ab_begin(t, "MCFG", 1);
	ab_zeros(t, 8);
}

static inline void ab_mcfg_alloc(struct abt *t, u64 base, u16 segment, u8 start_bus, u8 end_bus)
{
	ab_u64(t, base);
	ab_u16(t, segment);
	ab_u8(t, start_bus);
	ab_u8(t, end_bus);
	ab_zeros(t, 4);
}

/* A device scope with hops (device, function) pairs in path; returns its offset. */
static inline u32 ab_scope_path(struct abt *t, u8 type, u8 enum_id, u8 bus, const u8 *path,
				u32 hops)
{
	u32 off = t->len;

	ab_u8(t, type);
	ab_u8(t, (u8)(6 + 2 * hops));
	ab_u16(t, 0);
	ab_u8(t, enum_id);
	ab_u8(t, bus);
	ab_put(t, path, 2 * hops);
	return off;
}

static inline u32 ab_scope(struct abt *t, u8 type, u8 enum_id, u8 bus, u8 dev, u8 fn)
{
	u8 path[2] = { dev, fn };

	return ab_scope_path(t, type, enum_id, bus, path, 1);
}

/* -EINVAL with one complete line in info->error that names where and what. */
#define CHECK_ACPI_REJECTED(info, rc, where, what)                                         \
	do {                                                                               \
		CHECK_EQ_INT(rc, -EINVAL);                                                 \
		CHECK(strlen((info)->error) < sizeof((info)->error) - 1); /* not cut */   \
		CHECK(!strchr((info)->error, '\n'));                                       \
		CHECK_CONTAINS((info)->error, where);                                      \
		CHECK_CONTAINS((info)->error, what);                                       \
	} while (0)

/* 0, no error, and a warning that names where and what. */
#define CHECK_ACPI_WARNED(info, rc, where, what)                                           \
	do {                                                                               \
		CHECK_EQ_INT(rc, 0);                                                       \
		CHECK_STR((info)->error, "");                                              \
		CHECK(strlen((info)->warning) < sizeof((info)->warning) - 1);              \
		CHECK_CONTAINS((info)->warning, where);                                    \
		CHECK_CONTAINS((info)->warning, what);                                     \
	} while (0)

#define CHECK_ACPI_CLEAN(info, rc)                                                         \
	do {                                                                               \
		CHECK_EQ_INT(rc, 0);                                                       \
		CHECK_STR((info)->error, "");                                              \
		CHECK_STR((info)->warning, "");                                            \
		CHECK(!(info)->truncated);                                                 \
	} while (0)

/* Fixtures */

/* QEMU q35's MADT for two CPUs: legacy PICs, IOAPIC 0 at 0xfec00000, IRQ 0 on GSI 2, the
 * PCI interrupts level-triggered active-high, LINT1 as NMI on every CPU. */
static inline void ab_q35_madt(struct abt *t)
{
	ab_madt(t, 0xfee00000, ACPI_MADT_PCAT_COMPAT);
	ab_lapic(t, 0, 0, ACPI_LAPIC_ENABLED);
	ab_lapic(t, 1, 1, ACPI_LAPIC_ENABLED);
	ab_ioapic(t, 0, 0xfec00000, 0);
	ab_iso(t, 0, 0, 2, 0);
	ab_iso(t, 0, 5, 5, 0xd);
	ab_iso(t, 0, 9, 9, 0xd);
	ab_iso(t, 0, 10, 10, 0xd);
	ab_iso(t, 0, 11, 11, 0xd);
	ab_lapic_nmi(t, 0xff, 0, 1);
}

/* QEMU's intel-iommu DMAR (aw-bits=39, intremap=on): one INCLUDE_PCI_ALL unit at 0xfed90000
 * with its IOAPIC on the pseudo bus ff, device 0 function 0. */
static inline void ab_q35_dmar(struct abt *t)
{
	u32 u;

	ab_dmar(t, 38, ACPI_DMAR_INTR_REMAP);
	u = ab_drhd(t, ACPI_DRHD_INCLUDE_PCI_ALL, 0, 0, 0xfed90000);
	ab_scope(t, ACPI_SCOPE_IOAPIC, 0, 0xff, 0, 0);
	ab_end(t, u);
}

/* "<table> offset 0x<off>:" as the parser writes it. */
static inline const char *ab_at(const char *table, u32 off)
{
	static char s[4][48];
	static unsigned n;
	char *p = s[n++ % 4];

	snprintf(p, sizeof(s[0]), "%s offset 0x%x:", table, off);
	return p;
}

#endif
