// sources: hypervisor/arch/x86/vm_acpi.c hypervisor/arch/x86/vm_acpi_pci.c hypervisor/arch/x86/vm_acpi_prt.c @acpi-parser
/*
 * A partition VM's ACPI tables (arch/x86/vm_acpi.c), read back by Plinth's own ACPI parser:
 * the RSDP leads through the XSDT to exactly the VM's CPUs (and its I/O APIC and overrides only
 * when asked), every table's checksum holds, the FADT says hardware-reduced with the reset and
 * sleep registers at the ports Plinth traps, the DSDT holds \_S5, the MCFG appears only when
 * asked; a config it must refuse and a buffer too small fail without touching the buffer.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>

#include <plinth/errno.h>
#include <x86/vm_acpi.h>

#include "test.h"

#define MAP_LEN (64 * 1024)
#define SLEEP_PORT 0x600

static u8 *low;	     /* MAP_32BIT: guest-physical address == host pointer, for the parser */
static struct acpi_info info;
static struct vm_acpi_layout lay;

static u8 *low_buf(void)
{
	if (!low) {
		low = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
		if (low == MAP_FAILED)
			abort();
	}
	memset(low, 0xcc, MAP_LEN);
	return low;
}

static u32 rd32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static u64 rd64(const u8 *p)
{
	return rd32(p) | (u64)rd32(p + 4) << 32;
}

static u8 sum(const u8 *p, u32 n)
{
	u8 s = 0;

	while (n--)
		s += *p++;
	return s;
}

/* The table at guest-physical pa in a buffer built for gpa. */
static const u8 *at(const u8 *buf, gpa_t gpa, gpa_t pa)
{
	return buf + (pa - gpa);
}

static const u32 two[] = { 0, 1 };

static struct vm_acpi_config base_config(const u32 *ids, u32 n)
{
	return (struct vm_acpi_config){ .apic_ids = ids, .cpu_count = n, .sleep_port = SLEEP_PORT };
}

/* Builds into low memory and parses; returns the build's result. */
static int build_and_parse(const struct vm_acpi_config *c)
{
	u8 *b = low_buf();
	int n = vm_acpi_build(c, b, MAP_LEN, (u64)(uintptr_t)b, &lay);

	memset(&info, 0, sizeof(info));
	if (n > 0 && acpi_parse(lay.rsdp, &info) != 0)
		return -1000;
	return n;
}

TEST(two_cpus_and_nothing_else)
{
	struct vm_acpi_config c = base_config(two, 2);
	int n = build_and_parse(&c);

	REQUIRE(n > 0);
	CHECK_STR(info.error, "");
	CHECK_STR(info.warning, "");
	CHECK_EQ_U64(info.rsdp_revision, 2);
	CHECK_STR(info.oem_id, "PLINTH");
	CHECK(info.use_xsdt);
	REQUIRE_EQ_U64(info.table_count, 2);
	CHECK_STR(info.tables[0].sig, "FACP");
	CHECK_STR(info.tables[1].sig, "APIC");
	CHECK(info.has_madt);
	CHECK_EQ_U64(info.madt_flags, 0); /* no 8259s */
	CHECK_EQ_U64(info.lapic_addr, 0xfee00000);
	REQUIRE_EQ_U64(info.cpu_count, 2);
	CHECK_EQ_U64(info.cpus[0].apic_id, 0);
	CHECK_EQ_U64(info.cpus[1].apic_id, 1);
	CHECK_EQ_U64(info.cpus[1].uid, 1);
	CHECK(info.cpus[0].enabled && info.cpus[1].enabled);
	CHECK(!info.cpus[0].x2apic);
	CHECK_EQ_U64(info.ioapic_count, 0);
	CHECK_EQ_U64(info.override_count, 0);
	CHECK(!info.has_dmar);
	CHECK_EQ_U64(lay.mcfg, 0);
	CHECK_EQ_U64((u64)n, lay.madt + 44 + 2 * 8 - lay.rsdp);
}

TEST(every_table_sums_to_zero)
{
	u32 ids[] = { 2, 7, 300 };
	struct acpi_override iso = { 0, 0, 2, 0 };
	struct vm_acpi_config c = base_config(ids, 3);
	const u8 *b = low, *t;
	gpa_t tables[5];
	u32 i;

	c.ioapic = true;
	c.ioapic_addr = 0xfec00000;
	c.overrides = &iso;
	c.override_count = 1;
	c.mcfg = true;
	c.mcfg_base = 0xb0000000;
	c.mcfg_bus_end = 255;
	REQUIRE(build_and_parse(&c) > 0);
	b = low;
	t = at(b, lay.rsdp, lay.rsdp);
	CHECK_EQ_U64(sum(t, 20), 0);
	CHECK_EQ_U64(sum(t, 36), 0);
	CHECK_EQ_U64(rd32(t + 20), 36);
	CHECK_EQ_U64(rd64(t + 24), lay.xsdt);
	CHECK_EQ_U64(rd32(t + 16), 0); /* no RSDT */
	tables[0] = lay.xsdt, tables[1] = lay.fadt, tables[2] = lay.dsdt, tables[3] = lay.madt;
	tables[4] = lay.mcfg;
	for (i = 0; i < 5; i++) {
		t = at(b, lay.rsdp, tables[i]);
		CHECK_EQ_U64(sum(t, rd32(t + 4)), 0);
		CHECK_EQ_U64(tables[i] % 8, 0);
		CHECK(!memcmp(t + 10, "PLINTH", 6));
	}
	/* The XSDT lists FADT, MADT and MCFG; the DSDT is the FADT's. */
	t = at(b, lay.rsdp, lay.xsdt);
	CHECK_EQ_U64(rd32(t + 4), 36 + 3 * 8);
	CHECK_EQ_U64(rd64(t + 36), lay.fadt);
	CHECK_EQ_U64(rd64(t + 44), lay.madt);
	CHECK_EQ_U64(rd64(t + 52), lay.mcfg);
	CHECK_EQ_U64(info.table_count, 3);
}

TEST(fadt_is_hardware_reduced_with_trapped_ports)
{
	struct vm_acpi_config c = base_config(two, 2);
	const u8 *f, *d;

	REQUIRE(build_and_parse(&c) > 0);
	f = at(low, lay.rsdp, lay.fadt);
	CHECK(!memcmp(f, "FACP", 4));
	CHECK_EQ_U64(rd32(f + 4), 276);
	CHECK_EQ_U64(f[8], 6);
	CHECK_EQ_U64(f[131], 5); /* minor version: ACPI 6.5 */
	CHECK_EQ_U64(rd32(f + 36), 0); /* no FACS */
	CHECK_EQ_U64(rd64(f + 132), 0);
	CHECK_EQ_U64(rd32(f + 40), lay.dsdt);
	CHECK_EQ_U64(rd64(f + 140), lay.dsdt);
	CHECK(rd32(f + 112) & BIT(20));	 /* HW_REDUCED_ACPI */
	CHECK(rd32(f + 112) & BIT(19));	 /* FORCE_APIC_PHYSICAL_DESTINATION_MODE */
	CHECK(rd32(f + 112) & BIT(10));	 /* RESET_REG_SUP */
	CHECK(!(rd32(f + 112) & BIT(8))); /* no PM timer to extend */
	/* No fixed hardware at all: SCI, SMI command, PM1, PM timer, GPE blocks are 0. */
	CHECK_EQ_U64(f[46] | f[47], 0);
	CHECK_EQ_U64(rd32(f + 48), 0);
	CHECK_EQ_U64(rd32(f + 56) | rd32(f + 64) | rd32(f + 76) | rd32(f + 80), 0);
	CHECK_EQ_U64(f[88] | f[89] | f[91] | f[92], 0);
	/* Reset register: one byte, I/O space, port 0xcf9, value 6. */
	CHECK_EQ_U64(f[116], 1);
	CHECK_EQ_U64(f[117], 8);
	CHECK_EQ_U64(rd64(f + 120), VM_ACPI_RESET_PORT);
	CHECK_EQ_U64(f[128], VM_ACPI_RESET_VALUE);
	/* Sleep control and status: the port given and the next. */
	CHECK_EQ_U64(f[244], 1);
	CHECK_EQ_U64(f[247], 1); /* byte access */
	CHECK_EQ_U64(rd64(f + 248), SLEEP_PORT);
	CHECK_EQ_U64(f[256], 1);
	CHECK_EQ_U64(rd64(f + 260), SLEEP_PORT + 1);
	/* IA-PC boot flags: no 8042, no legacy devices, no VGA, no ASPM, no CMOS RTC. */
	CHECK_EQ_U64(f[109] | f[110] << 8, BIT(2) | BIT(4) | BIT(5));
	c.cmos_rtc = true;
	REQUIRE(build_and_parse(&c) > 0);
	f = at(low, lay.rsdp, lay.fadt);
	CHECK_EQ_U64(f[109] | f[110] << 8, BIT(2) | BIT(4));

	/* The DSDT: \_S5 = Package { 5, 0, 0, 0 }, what the sleep port then expects. */
	d = at(low, lay.rsdp, lay.dsdt);
	CHECK(!memcmp(d, "DSDT", 4));
	CHECK_EQ_U64(rd32(d + 4), 36 + 14);
	CHECK(!memcmp(d + 36, "\x08\\_S5_\x12\x07\x04\x0a\x05\x00\x00\x00", 14));
	CHECK_EQ_U64(VM_ACPI_SLP_TYP(VM_ACPI_S5_SLP_TYP << 2 | VM_ACPI_SLP_EN), VM_ACPI_S5_SLP_TYP);
	CHECK(VM_ACPI_SLP_EN == 0x20);
}

/* Decodes a compressed EISA ID (ACPI 6.5, 19.6.44) as it sits in AML: "PNP0501". */
static void eisa_id(const u8 *p, char out[8])
{
	static const char hex[] = "0123456789ABCDEF";
	u16 v = (u16)(p[0] << 8 | p[1]);

	out[0] = (char)('@' + ((v >> 10) & 0x1f));
	out[1] = (char)('@' + ((v >> 5) & 0x1f));
	out[2] = (char)('@' + (v & 0x1f));
	out[3] = hex[p[2] >> 4], out[4] = hex[p[2] & 15], out[5] = hex[p[3] >> 4], out[6] = hex[p[3] & 15];
	out[7] = '\0';
}

TEST(dsdt_declares_com1_when_asked)
{
	struct vm_acpi_config c = base_config(two, 2);
	const u8 *d, *aml, *dev, *crs;
	char id[8];
	u32 len;

	c.com1 = true;
	CHECK_EQ_INT(vm_acpi_build(&c, low_buf(), MAP_LEN, (u64)(uintptr_t)low, NULL), -EINVAL); /* no I/O APIC */
	c.ioapic = true;
	REQUIRE(build_and_parse(&c) > 0);
	d = at(low, lay.rsdp, lay.dsdt);
	len = rd32(d + 4);
	CHECK_EQ_U64(sum(d, len), 0);
	aml = d + 36 + 14; /* after \_S5 */
	/* Scope (\_SB): its one-byte PkgLength runs to the table's end. */
	REQUIRE(aml[0] == 0x10 && !memcmp(aml + 2, "\\_SB_", 5));
	CHECK_EQ_U64(aml + 1 + aml[1], d + len);
	/* Device (COM1), to the end as well. */
	dev = aml + 7;
	REQUIRE(dev[0] == 0x5b && dev[1] == 0x82 && !memcmp(dev + 3, "COM1", 4));
	CHECK_EQ_U64(dev + 2 + dev[2], d + len);
	REQUIRE(!memcmp(dev + 7, "\x08_HID\x0c", 6));
	eisa_id(dev + 13, id);
	CHECK_STR(id, "PNP0501");
	CHECK(!memcmp(dev + 17, "\x08_UID\x01", 6));
	/* _CRS: a buffer whose PkgLength and size agree, holding I/O 0x3f8-0x3ff, IRQ 4, end. */
	crs = dev + 23;
	REQUIRE(!memcmp(crs, "\x08_CRS\x11", 6));
	CHECK_EQ_U64(crs + 6 + crs[6], d + len);
	REQUIRE(crs[7] == 0x0a && crs[8] == d + len - (crs + 9));
	crs += 9;
	CHECK_EQ_U64(crs[0], 0x47); /* I/O port descriptor, 7 bytes */
	CHECK_EQ_U64(crs[1], 1);    /* 16-bit decode */
	CHECK_EQ_U64(crs[2] | crs[3] << 8, 0x3f8);
	CHECK_EQ_U64(crs[4] | crs[5] << 8, 0x3f8);
	CHECK_EQ_U64(crs[7], 8);
	CHECK_EQ_U64(crs[8], 0x22); /* IRQ descriptor, 2 bytes */
	CHECK_EQ_U64(crs[9] | crs[10] << 8, BIT(4));
	CHECK_EQ_U64(crs[11], 0x79); /* end tag */
	CHECK_EQ_U64(crs + 13, d + len);
}

/* Without an I/O APIC: the same device with an I/O descriptor and no IRQ (Linux polls it). */
TEST(dsdt_declares_a_polled_com1_without_an_ioapic)
{
	struct vm_acpi_config c = base_config(two, 2);
	const u8 *d, *aml, *dev, *crs;
	u32 len;

	c.com1_polled = true;
	REQUIRE(build_and_parse(&c) > 0);
	d = at(low, lay.rsdp, lay.dsdt);
	len = rd32(d + 4);
	CHECK_EQ_U64(sum(d, len), 0);
	aml = d + 36 + 14;
	REQUIRE(aml[0] == 0x10 && !memcmp(aml + 2, "\\_SB_", 5));
	CHECK_EQ_U64(aml + 1 + aml[1], d + len);
	dev = aml + 7;
	REQUIRE(dev[0] == 0x5b && dev[1] == 0x82 && !memcmp(dev + 3, "COM1", 4));
	CHECK_EQ_U64(dev + 2 + dev[2], d + len);
	crs = dev + 23;
	REQUIRE(!memcmp(crs, "\x08_CRS\x11", 6));
	CHECK_EQ_U64(crs + 6 + crs[6], d + len);
	REQUIRE(crs[7] == 0x0a && crs[8] == 10);
	CHECK(!memcmp(crs + 9, "\x47\x01\xf8\x03\xf8\x03\x00\x08\x79\x00", 10));
	CHECK_EQ_U64(crs + 19, d + len);
	c.com1 = true;
	c.ioapic = true;
	CHECK_EQ_INT(vm_acpi_build(&c, low_buf(), MAP_LEN, (u64)(uintptr_t)low, NULL), -EINVAL); /* both */
}

TEST(ioapic_and_overrides_only_when_asked)
{
	struct acpi_override iso[] = { { 0, 0, 2, 0 }, { 0, 9, 9, 0xd } };
	struct vm_acpi_config c = base_config(two, 2);
	u32 i;

	c.ioapic = true;
	c.ioapic_id = 8;
	c.ioapic_addr = 0xfec01000;
	c.ioapic_gsi_base = 24;
	REQUIRE(build_and_parse(&c) > 0);
	REQUIRE_EQ_U64(info.ioapic_count, 1);
	CHECK(info.ioapics[0].id == 8 && info.ioapics[0].addr == 0xfec01000 && info.ioapics[0].gsi_base == 24);
	CHECK_EQ_U64(info.override_count, 0);

	c.overrides = iso;
	c.override_count = 2;
	REQUIRE(build_and_parse(&c) > 0);
	REQUIRE_EQ_U64(info.override_count, 2);
	for (i = 0; i < 2; i++) {
		const struct acpi_override *o = &info.overrides[i];

		CHECK(o->bus == iso[i].bus && o->irq == iso[i].irq && o->gsi == iso[i].gsi && o->flags == iso[i].flags);
	}
	CHECK_EQ_U64(info.cpu_count, 2);
}

TEST(mcfg_only_when_asked)
{
	struct vm_acpi_config c = base_config(two, 2);
	const u8 *m;

	REQUIRE(build_and_parse(&c) > 0);
	CHECK_EQ_U64(lay.mcfg, 0);
	c.mcfg = true;
	c.mcfg_base = 0xe0000000;
	c.mcfg_segment = 0;
	c.mcfg_bus_start = 0;
	c.mcfg_bus_end = 3;
	REQUIRE(build_and_parse(&c) > 0);
	REQUIRE_EQ_U64(info.table_count, 3);
	CHECK_STR(info.tables[2].sig, "MCFG");
	m = at(low, lay.rsdp, lay.mcfg);
	CHECK_EQ_U64(rd32(m + 4), 60);
	CHECK_EQ_U64(rd64(m + 36), 0); /* reserved */
	CHECK_EQ_U64(rd64(m + 44), 0xe0000000);
	CHECK_EQ_U64(m[52] | m[53] << 8, 0);
	CHECK_EQ_U64(m[54], 0);
	CHECK_EQ_U64(m[55], 3);
}

TEST(cpus_in_order_with_x2apic_ids_above_254)
{
	u32 ids[] = { 5, 254, 255, 0x10000 };
	struct vm_acpi_config c = base_config(ids, 4);

	REQUIRE(build_and_parse(&c) > 0);
	REQUIRE_EQ_U64(info.cpu_count, 4);
	CHECK_EQ_U64(info.cpus[0].apic_id, 5);
	CHECK(!info.cpus[1].x2apic);
	CHECK_EQ_U64(info.cpus[1].apic_id, 254);
	CHECK(info.cpus[2].x2apic);
	CHECK_EQ_U64(info.cpus[2].apic_id, 255);
	CHECK_EQ_U64(info.cpus[3].apic_id, 0x10000);
	CHECK_EQ_U64(info.cpus[3].uid, 3);
}

TEST(the_most_cpus_fit_and_one_more_is_refused)
{
	static u32 ids[VM_ACPI_MAX_CPUS + 1];
	struct vm_acpi_config c;
	u32 i;

	for (i = 0; i <= VM_ACPI_MAX_CPUS; i++)
		ids[i] = i * 2; /* both xAPIC and x2APIC entries */
	c = base_config(ids, VM_ACPI_MAX_CPUS);
	REQUIRE(build_and_parse(&c) > 0);
	CHECK_EQ_U64(info.cpu_count, VM_ACPI_MAX_CPUS);
	CHECK(!info.truncated);
	CHECK_EQ_U64(info.cpus[VM_ACPI_MAX_CPUS - 1].apic_id, (VM_ACPI_MAX_CPUS - 1) * 2);
	CHECK_EQ_U64(info.cpus[255].uid, 255);
	c.cpu_count++;
	CHECK_EQ_INT(vm_acpi_build(&c, low, MAP_LEN, (u64)(uintptr_t)low, NULL), -EINVAL);
}

TEST(bad_configs_are_refused)
{
	static u8 buf[8192];
	u32 dup[] = { 1, 2, 1 }, bad_id[] = { 0, 0xffffffffu };
	struct acpi_override iso[VM_ACPI_MAX_OVERRIDES + 1] = { { 0, 0, 2, 0 } };
	struct vm_acpi_config c;

#define REFUSED(cfg) CHECK_EQ_INT(vm_acpi_build(&(cfg), buf, sizeof(buf), 0x1000, NULL), -EINVAL)
	c = base_config(two, 0);
	REFUSED(c);
	c = base_config(NULL, 2);
	REFUSED(c);
	c = base_config(dup, 3);
	REFUSED(c);
	c = base_config(bad_id, 2);
	REFUSED(c);
	c = base_config(two, 2);
	c.overrides = iso, c.override_count = 1; /* without an I/O APIC */
	REFUSED(c);
	c.ioapic = true;
	c.overrides = NULL;
	REFUSED(c);
	c.overrides = iso, c.override_count = VM_ACPI_MAX_OVERRIDES + 1;
	REFUSED(c);
	c.override_count = VM_ACPI_MAX_OVERRIDES;
	CHECK(vm_acpi_build(&c, buf, sizeof(buf), 0x1000, NULL) > 0);
	c = base_config(two, 2);
	c.sleep_port = 0;
	REFUSED(c);
	c.sleep_port = 0xffff; /* its status port would wrap to 0 */
	REFUSED(c);
	c = base_config(two, 2);
	c.mcfg = true;
	c.mcfg_bus_start = 4, c.mcfg_bus_end = 3;
	REFUSED(c);
	c.mcfg_bus_start = 0;
	c.mcfg_base = 0xe0080000; /* not 1 MiB aligned */
	REFUSED(c);
	c.mcfg_base = 0xfffffffff0000000ULL, c.mcfg_bus_end = 255; /* the window ends at 2^64 */
	REFUSED(c);
	c.mcfg_bus_end = 254;
	CHECK(vm_acpi_build(&c, buf, sizeof(buf), 0x1000, NULL) > 0);
#undef REFUSED
}

TEST(bad_guest_addresses_are_refused)
{
	static u8 buf[4096];
	struct vm_acpi_config c = base_config(two, 2);

	CHECK_EQ_INT(vm_acpi_build(&c, buf, sizeof(buf), 0x1008, NULL), -EINVAL);
	/* The tables take under 512 bytes: they fit below 2^64 from the last page, not from the
	 * last 256 bytes, whatever the buffer's size. */
	CHECK(vm_acpi_build(&c, buf, sizeof(buf), 0xfffffffffffff000ULL, NULL) > 0);
	CHECK_EQ_INT(vm_acpi_build(&c, buf, sizeof(buf), 0xffffffffffffff00ULL, NULL), -EINVAL);
	CHECK_EQ_INT(vm_acpi_build(&c, buf, sizeof(buf), 0xfffffffffffffff0ULL, NULL), -EINVAL);
}

TEST(too_small_buffers_fail_untouched)
{
	static u8 buf[4096];
	u32 ids[] = { 0, 1, 2, 300 };
	struct vm_acpi_config c = base_config(ids, 4);
	int need;
	u32 size, i;
	bool untouched = true;

	c.mcfg = true;
	c.ioapic = true;
	need = vm_acpi_build(&c, buf, sizeof(buf), 0x9000, NULL);
	REQUIRE(need > 0);
	for (size = 0; size < (u32)need; size++) {
		memset(buf, 0xa5, sizeof(buf));
		CHECK_EQ_INT(vm_acpi_build(&c, buf, size, 0x9000, NULL), -ENOSPC);
		for (i = 0; i < sizeof(buf); i++)
			untouched &= buf[i] == 0xa5;
	}
	CHECK(untouched);
	CHECK_EQ_INT(vm_acpi_build(&c, NULL, 0, 0x9000, NULL), -ENOSPC);
	CHECK_EQ_INT(vm_acpi_build(&c, buf, (u64)need, 0x9000, NULL), need);
}

TEST(output_depends_only_on_the_config)
{
	static u8 a[4096], b[4096];
	struct vm_acpi_config c = base_config(two, 2);
	int n;

	memset(a, 0x00, sizeof(a));
	memset(b, 0xff, sizeof(b));
	n = vm_acpi_build(&c, a, sizeof(a), 0x7000, NULL);
	REQUIRE(n > 0);
	CHECK_EQ_INT(vm_acpi_build(&c, b, sizeof(b), 0x7000, NULL), n);
	CHECK(!memcmp(a, b, (size_t)n));
	CHECK_EQ_U64(b[n], 0xff); /* nothing past what it reports */
}

TEST(tables_above_4g_use_only_64_bit_pointers)
{
	static u8 buf[4096];
	struct vm_acpi_config c = base_config(two, 2);
	gpa_t g = 0x100000000ULL;
	const u8 *f;

	REQUIRE(vm_acpi_build(&c, buf, sizeof(buf), g, &lay) > 0);
	CHECK_EQ_U64(lay.rsdp, g);
	f = at(buf, g, lay.fadt);
	CHECK_EQ_U64(rd32(f + 40), 0);
	CHECK_EQ_U64(rd64(f + 140), lay.dsdt);
	CHECK(lay.dsdt > g);
	CHECK_EQ_U64(sum(f, 276), 0);
}

/* --- the PCI root bridge (vm_acpi_pci.c), read back by a small AML reader of its own ---------- */

/* A PkgLength at p (ACPI 6.5, 20.2.4): the package's length (which counts the PkgLength) and, in
 * *n, the PkgLength's own bytes. */
static u32 pkg_len(const u8 *p, u32 *n)
{
	u32 extra = p[0] >> 6, len = extra ? p[0] & 0xf : p[0] & 0x3f, i;

	for (i = 0; i < extra; i++)
		len |= (u32)p[1 + i] << (4 + 8 * i);
	*n = 1 + extra;
	return len;
}

struct root_seen {
	char hid[8], cid[8];
	int uid, seg, bbn; /* -1: not declared */
	u32 bus_min, bus_max, cfg_ports, io_count, mem_count, other;
	u64 io[2][VM_ACPI_MAX_PCI_WINDOWS], mem[2][VM_ACPI_MAX_PCI_WINDOWS]; /* [0] min, [1] max */
	bool crs_ends_right;
};

/* An integer object of a Name: its value and length. */
static u32 aml_int(const u8 *p, int *v)
{
	if (p[0] == 0x00 || p[0] == 0x01) {
		*v = p[0];
		return 1;
	}
	if (p[0] == 0x0a) {
		*v = p[1];
		return 2;
	}
	*v = -2; /* not an integer this reader expects */
	return 1;
}

/* The resource descriptors of a _CRS buffer [p, end). */
static void read_crs(const u8 *p, const u8 *end, struct root_seen *s)
{
	while (p < end) {
		u32 len;

		if (!(p[0] & 0x80)) { /* small: tag in bits 6-3, length in 2-0 */
			len = p[0] & 7;
			if (p[0] == 0x79) {
				s->crs_ends_right = p + 2 == end;
				return;
			}
			if (p[0] == 0x47 && rd32(p + 2) == 0x0cf80cf8 && p[6] == 1 && p[7] == 8)
				s->cfg_ports++;
			else
				s->other++;
			p += 1 + len;
			continue;
		}
		len = p[1] | p[2] << 8;
		if (p[0] == 0x88 && len == 13 && p[3] == 2) {
			s->bus_min = p[8] | p[9] << 8, s->bus_max = p[10] | p[11] << 8;
		} else if (p[0] == 0x88 && len == 13 && p[3] == 1 && p[5] == 3 &&
			   (u32)(p[10] | p[11] << 8) - (p[8] | p[9] << 8) + 1 == (u32)(p[14] | p[15] << 8)) {
			s->io[0][s->io_count] = p[8] | p[9] << 8;
			s->io[1][s->io_count++] = p[10] | p[11] << 8;
		} else if (p[0] == 0x87 && len == 23 && p[3] == 0 && rd32(p + 22) == rd32(p + 14) - rd32(p + 10) + 1) {
			s->mem[0][s->mem_count] = rd32(p + 10);
			s->mem[1][s->mem_count++] = rd32(p + 14);
		} else if (p[0] == 0x8a && len == 43 && p[3] == 0 && rd64(p + 38) == rd64(p + 22) - rd64(p + 14) + 1) {
			s->mem[0][s->mem_count] = rd64(p + 14);
			s->mem[1][s->mem_count++] = rd64(p + 22);
		} else {
			s->other++;
		}
		if (p[0] != 0x79 && (p[0] & 0x80) && (p[4] & 0x0d) != 0x0c) /* producer, fixed min and max */
			s->other++;
		p += 3 + len;
	}
}

/* Finds Scope (\_SB) { Device (PCI0) } in the DSDT at d and reads its names; false when the
 * scope is not where expected or its lengths do not end at the table's end. */
static bool read_root(const u8 *d, u32 skip, struct root_seen *s)
{
	u32 len = rd32(d + 4), n;
	const u8 *p = d + 36 + skip, *end = d + len, *dev_end;

	memset(s, 0, sizeof(*s));
	s->uid = s->seg = s->bbn = -1;
	if (p[0] != 0x10 || p + 1 + pkg_len(p + 1, &n) != end || memcmp(p + 1 + n, "\\_SB_\x5b\x82", 7))
		return false;
	p += 1 + n + 7;
	dev_end = p + pkg_len(p, &n);
	if (dev_end != end || memcmp(p + n, "PCI0", 4))
		return false;
	p += n + 4;
	while (p < dev_end) {
		if (p[0] != 0x08)
			return false;
		if (!memcmp(p + 1, "_HID", 4) || !memcmp(p + 1, "_CID", 4)) {
			if (p[5] != 0x0c)
				return false;
			eisa_id(p + 6, p[2] == 'H' ? s->hid : s->cid);
			p += 10;
		} else if (!memcmp(p + 1, "_CRS", 4)) {
			const u8 *buf = p + 5, *bend;

			if (buf[0] != 0x11)
				return false;
			bend = buf + 1 + pkg_len(buf + 1, &n);
			if (buf[1 + n] != 0x0b || (u32)(buf[2 + n] | buf[3 + n] << 8) != bend - (buf + 4 + n))
				return false;
			read_crs(buf + 4 + n, bend, s);
			p = bend;
		} else {
			int *v = !memcmp(p + 1, "_UID", 4) ? &s->uid : !memcmp(p + 1, "_SEG", 4) ? &s->seg
										  : &s->bbn;

			if (memcmp(p + 1, "_UID", 4) && memcmp(p + 1, "_SEG", 4) && memcmp(p + 1, "_BBN", 4))
				return false;
			p += 5 + aml_int(p + 5, v);
		}
	}
	return p == dev_end;
}

static const struct pci_range nic_mem[] = { { 0xc0000000, 0xc0020000 }, { 0x800000000ULL, 0x800100000ULL } };
static const struct pci_range nic_io[] = { { 0xc040, 0xc080 } };

static struct vm_acpi_config root_config(void)
{
	struct vm_acpi_config c = base_config(two, 2);

	c.pci_root = true;
	c.pci_mmio = nic_mem, c.pci_mmio_count = 2;
	c.pci_io = nic_io, c.pci_io_count = 1;
	return c;
}

TEST(dsdt_declares_a_pci_root_bridge_with_the_vms_windows)
{
	struct vm_acpi_config c = root_config();
	struct root_seen s;
	const u8 *d;

	REQUIRE(build_and_parse(&c) > 0);
	d = at(low, lay.rsdp, lay.dsdt);
	CHECK_EQ_U64(sum(d, rd32(d + 4)), 0);
	REQUIRE(read_root(d, 14, &s));
	/* Conventional PCI without an MCFG: PNP0A03 alone; segment 0, bus 0, UID 0. */
	CHECK_STR(s.hid, "PNP0A03");
	CHECK_STR(s.cid, "");
	CHECK_EQ_INT(s.uid, 0);
	CHECK_EQ_INT(s.seg, 0);
	CHECK_EQ_INT(s.bbn, 0);
	CHECK(s.crs_ends_right);
	CHECK_EQ_U64(s.bus_min, 0);
	CHECK_EQ_U64(s.bus_max, 0);
	CHECK_EQ_U64(s.cfg_ports, 1);
	CHECK_EQ_U64(s.other, 0);
	REQUIRE(s.io_count == 1 && s.mem_count == 2);
	CHECK_EQ_U64(s.io[0][0], 0xc040);
	CHECK_EQ_U64(s.io[1][0], 0xc07f);
	CHECK_EQ_U64(s.mem[0][0], 0xc0000000);
	CHECK_EQ_U64(s.mem[1][0], 0xc001ffff);
	CHECK_EQ_U64(s.mem[0][1], 0x800000000ULL); /* above 4 GiB: a QWord descriptor */
	CHECK_EQ_U64(s.mem[1][1], 0x8000fffffULL);

	/* Without pci_root, none: the DSDT is \_S5 alone. */
	c = base_config(two, 2);
	REQUIRE(build_and_parse(&c) > 0);
	d = at(low, lay.rsdp, lay.dsdt);
	CHECK_EQ_U64(rd32(d + 4), 36 + 14);
}

TEST(pci_root_with_mcfg_is_pcie_and_follows_com1)
{
	static struct pci_range many[VM_ACPI_MAX_PCI_WINDOWS];
	struct vm_acpi_config c = root_config();
	struct root_seen s;
	const u8 *d, *com1;
	u32 i, n;

	for (i = 0; i < VM_ACPI_MAX_PCI_WINDOWS; i++)
		many[i] = (struct pci_range){ 0xe0000000ULL + i * 0x10000, 0xe0000000ULL + i * 0x10000 + 0x1000 };
	c.pci_mmio = many, c.pci_mmio_count = VM_ACPI_MAX_PCI_WINDOWS;
	c.pci_bus_start = 0, c.pci_bus_end = 3;
	c.mcfg = true, c.mcfg_base = 0xb0000000, c.mcfg_bus_end = 3;
	c.ioapic = c.com1 = true;
	REQUIRE(build_and_parse(&c) > 0);
	d = at(low, lay.rsdp, lay.dsdt);
	/* COM1's scope first (one-byte PkgLength), then the root bridge's, whose PkgLengths and
	 * buffer size take more than one byte here (64 windows). */
	com1 = d + 36 + 14;
	REQUIRE(com1[0] == 0x10);
	REQUIRE(read_root(d, 14 + 1 + pkg_len(com1 + 1, &n), &s));
	CHECK_STR(s.hid, "PNP0A08");
	CHECK_STR(s.cid, "PNP0A03");
	CHECK_EQ_INT(s.seg, 0);
	CHECK_EQ_INT(s.bbn, 0);
	CHECK_EQ_U64(s.bus_max, 3);
	CHECK(s.crs_ends_right);
	CHECK_EQ_U64(s.other, 0);
	REQUIRE(s.mem_count == VM_ACPI_MAX_PCI_WINDOWS);
	for (i = 0; i < VM_ACPI_MAX_PCI_WINDOWS; i++)
		CHECK(s.mem[0][i] == many[i].start && s.mem[1][i] == many[i].end - 1);
	/* A first bus other than 0 is _BBN's (a BytePrefix integer). */
	c.pci_bus_start = 2;
	REQUIRE(build_and_parse(&c) > 0);
	REQUIRE(read_root(d, 14 + 1 + pkg_len(com1 + 1, &n), &s));
	CHECK_EQ_INT(s.bbn, 2);
	CHECK_EQ_U64(s.bus_min, 2);
}

TEST(bad_pci_roots_are_refused)
{
	static const struct pci_range empty[] = { { 0xc0000000, 0xc0000000 } };
	static const struct pci_range high_io[] = { { 0xfff0, 0x10010 } };
	struct vm_acpi_config c;
	u8 *b = low_buf();

	c = root_config(), c.pci_bus_start = 1, c.pci_bus_end = 0;
	CHECK_EQ_INT(vm_acpi_build(&c, b, MAP_LEN, (u64)(uintptr_t)b, NULL), -EINVAL);
	c = root_config(), c.pci_mmio = empty, c.pci_mmio_count = 1;
	CHECK_EQ_INT(vm_acpi_build(&c, b, MAP_LEN, (u64)(uintptr_t)b, NULL), -EINVAL);
	c = root_config(), c.pci_io = high_io;
	CHECK_EQ_INT(vm_acpi_build(&c, b, MAP_LEN, (u64)(uintptr_t)b, NULL), -EINVAL);
	c = root_config(), c.pci_mmio_count = VM_ACPI_MAX_PCI_WINDOWS + 1;
	CHECK_EQ_INT(vm_acpi_build(&c, b, MAP_LEN, (u64)(uintptr_t)b, NULL), -EINVAL);
	c = root_config(), c.pci_io = NULL;
	CHECK_EQ_INT(vm_acpi_build(&c, b, MAP_LEN, (u64)(uintptr_t)b, NULL), -EINVAL);
	c = root_config(), c.pci_root = false; /* windows without a bridge */
	CHECK_EQ_INT(vm_acpi_build(&c, b, MAP_LEN, (u64)(uintptr_t)b, NULL), -EINVAL);
	CHECK_EQ_U64(b[0], 0xcc); /* untouched */
}
