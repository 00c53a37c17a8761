// sources: @acpi-parser
/*
 * The DMAR (Intel VT-d chapter 8) as acpi_parse reads it: remapping units with their device
 * scopes, reserved memory regions, ATS reporting, the name and limit helpers. Malformed
 * DMARs are in test_acpi_dmar_bad.c.
 */
#define _GNU_SOURCE
#include <plinth/errno.h>

#include "acpi_build.h"
#include "test.h"

static struct abt t;
static struct acpi_info info;

static int parse_dmar(void)
{
	u64 dmar = ab_finish_place(&t);

	return acpi_parse(ab_system(&dmar, 1), &info);
}

static const char *scope_str(const struct acpi_dmar_scope *s)
{
	static char buf[64];

	acpi_dmar_scope_format(s, buf, sizeof(buf));
	return buf;
}

#define CHECK_SCOPE(s, type_, id, b, d, f)                        \
	do {                                                      \
		CHECK_EQ_U64((s).type, type_);                    \
		CHECK_EQ_U64((s).enum_id, id);                    \
		CHECK_EQ_U64((s).start_bus, b);                   \
		CHECK((s).resolved);                              \
		CHECK_EQ_U64((s).path_len, 1);                    \
		CHECK_EQ_U64((s).bus, b);                         \
		CHECK_EQ_U64((s).dev, d);                         \
		CHECK_EQ_U64((s).fn, f);                          \
	} while (0)

TEST(q35_intel_iommu)
{
	const struct acpi_drhd *u = &info.drhds[0];

	ab_q35_dmar(&t);
	CHECK_ACPI_CLEAN(&info, parse_dmar());
	REQUIRE(info.has_dmar);
	CHECK_EQ_U64(info.dmar_haw, 39); /* the table says 38: width minus one */
	CHECK_EQ_U64(info.dmar_flags, ACPI_DMAR_INTR_REMAP);
	REQUIRE_EQ_U64(info.drhd_count, 1);
	CHECK_EQ_U64(u->flags, ACPI_DRHD_INCLUDE_PCI_ALL);
	CHECK_EQ_U64(u->segment, 0);
	CHECK_EQ_U64(u->reg_base, 0xfed90000);
	CHECK_EQ_U64(u->size_field, 0);
	CHECK_EQ_U64(u->reg_size, 0x1000);
	REQUIRE_EQ_U64(u->scope_count, 1);
	CHECK_SCOPE(u->scopes[0], ACPI_SCOPE_IOAPIC, 0, 0xff, 0, 0);
	CHECK_STR(scope_str(&u->scopes[0]), "ioapic 0 at ff:00.0");
	CHECK_EQ_U64(info.rmrr_count, 0);
	CHECK_EQ_U64(info.atsr_count, 0);
	ab_release();
}

/* A client platform: a graphics unit, a catch-all unit, two RMRRs, ATSR, RHSA, ANDD, SATC. */
static void client_dmar(void)
{
	u8 bridge[4] = { 0x1c, 0, 0, 0 };
	u32 s;

	ab_dmar(&t, 38, ACPI_DMAR_INTR_REMAP | ACPI_DMAR_X2APIC_OPT_OUT |
				ACPI_DMAR_DMA_CTRL_PLATFORM_OPT_IN);
	s = ab_drhd(&t, 0, 0, 0, 0xfed90000); /* 0x30 */
	ab_scope(&t, ACPI_SCOPE_PCI_ENDPOINT, 0, 0, 2, 0);
	ab_end(&t, s);
	s = ab_drhd(&t, ACPI_DRHD_INCLUDE_PCI_ALL, 1, 0, 0xfed91000); /* 0x48 */
	ab_scope(&t, ACPI_SCOPE_IOAPIC, 0, 0xf0, 0x1f, 0);
	ab_scope(&t, ACPI_SCOPE_HPET, 0, 0, 0x1f, 0);
	ab_scope(&t, ACPI_SCOPE_ACPI_NAMESPACE, 1, 0, 0x15, 0);
	ab_end(&t, s);
	s = ab_rmrr(&t, 0, 0x7d000000, 0x7d01ffff); /* 0x70: the USB controller's */
	ab_scope(&t, ACPI_SCOPE_PCI_ENDPOINT, 0, 0, 0x14, 0);
	ab_end(&t, s);
	s = ab_rmrr(&t, 0, 0x7b800000, 0x7fffffff); /* 0x90: graphics stolen memory */
	ab_scope(&t, ACPI_SCOPE_PCI_ENDPOINT, 0, 0, 2, 0);
	ab_end(&t, s);
	s = ab_atsr(&t, ACPI_DMAR_ATSR, 0, 0); /* 0xb0 */
	ab_scope_path(&t, ACPI_SCOPE_PCI_SUBHIERARCHY, 0, 0, bridge, 1);
	ab_end(&t, s);
	ab_rhsa(&t, 0xfed91000, 0);		/* 0xc0 */
	ab_andd(&t, 1, "\\_SB.PCI0.I2C0");	/* 0xd4 */
	s = ab_atsr(&t, ACPI_DMAR_SATC, 1, 0);	/* 0xeb */
	ab_scope(&t, ACPI_SCOPE_PCI_ENDPOINT, 0, 0, 2, 0);
	ab_end(&t, s);
}

TEST(client_platform)
{
	const struct acpi_drhd *gfx = &info.drhds[0], *all = &info.drhds[1];

	client_dmar();
	CHECK_EQ_U64(t.len, 0xfb);
	CHECK_ACPI_CLEAN(&info, parse_dmar());
	CHECK_EQ_U64(info.dmar_haw, 39);
	CHECK_EQ_U64(info.dmar_flags, 7);
	REQUIRE_EQ_U64(info.drhd_count, 2);

	CHECK_EQ_U64(gfx->flags, 0);
	CHECK_EQ_U64(gfx->reg_base, 0xfed90000);
	REQUIRE_EQ_U64(gfx->scope_count, 1);
	CHECK_SCOPE(gfx->scopes[0], ACPI_SCOPE_PCI_ENDPOINT, 0, 0, 2, 0);
	CHECK_STR(scope_str(&gfx->scopes[0]), "endpoint 00:02.0");

	CHECK_EQ_U64(all->flags, ACPI_DRHD_INCLUDE_PCI_ALL);
	CHECK_EQ_U64(all->reg_base, 0xfed91000);
	CHECK_EQ_U64(all->size_field, 1);
	CHECK_EQ_U64(all->reg_size, 0x2000);
	REQUIRE_EQ_U64(all->scope_count, 3);
	CHECK_SCOPE(all->scopes[0], ACPI_SCOPE_IOAPIC, 0, 0xf0, 0x1f, 0);
	CHECK_STR(scope_str(&all->scopes[0]), "ioapic 0 at f0:1f.0");
	{
		u16 sid = 0;

		/* Interrupt remapping verifies the I/O APIC's entries against this requester ID. */
		CHECK(acpi_dmar_ioapic_sid(&info, 0, &sid));
		CHECK_EQ_U64(sid, 0xf0f8);
		sid = 0x1234;
		CHECK(!acpi_dmar_ioapic_sid(&info, 1, &sid)); /* no scope names I/O APIC 1 */
		CHECK_EQ_U64(sid, 0x1234);
		info.drhds[1].scopes[0].resolved = false; /* behind a bridge: not named directly */
		CHECK(!acpi_dmar_ioapic_sid(&info, 0, &sid));
		info.drhds[1].scopes[0].resolved = true;
	}
	CHECK_SCOPE(all->scopes[1], ACPI_SCOPE_HPET, 0, 0, 0x1f, 0);
	CHECK_STR(scope_str(&all->scopes[1]), "hpet 0 at 00:1f.0");
	CHECK_SCOPE(all->scopes[2], ACPI_SCOPE_ACPI_NAMESPACE, 1, 0, 0x15, 0);
	CHECK_STR(scope_str(&all->scopes[2]), "acpi-device 1 at 00:15.0");

	REQUIRE_EQ_U64(info.rmrr_count, 2);
	CHECK_EQ_U64(info.rmrrs[0].segment, 0);
	CHECK_EQ_U64(info.rmrrs[0].base, 0x7d000000);
	CHECK_EQ_U64(info.rmrrs[0].limit, 0x7d01ffff);
	REQUIRE_EQ_U64(info.rmrrs[0].scope_count, 1);
	CHECK_SCOPE(info.rmrrs[0].scopes[0], ACPI_SCOPE_PCI_ENDPOINT, 0, 0, 0x14, 0);
	CHECK_EQ_U64(info.rmrrs[1].limit, 0x7fffffff);
	CHECK_EQ_U64(info.rmrrs[1].scopes[0].dev, 2);

	REQUIRE_EQ_U64(info.atsr_count, 1); /* the SATC is checked, not kept */
	CHECK_EQ_U64(info.atsrs[0].flags, 0);
	REQUIRE_EQ_U64(info.atsrs[0].scope_count, 1);
	CHECK_SCOPE(info.atsrs[0].scopes[0], ACPI_SCOPE_PCI_SUBHIERARCHY, 0, 0, 0x1c, 0);
	CHECK_STR(scope_str(&info.atsrs[0].scopes[0]), "bridge 00:1c.0");

	REQUIRE_EQ_U64(info.andd_count, 1);
	CHECK_EQ_U64(info.andds[0].dev_num, 1);
	CHECK_STR(info.andds[0].name, "\\_SB.PCI0.I2C0");
	ab_release();
}

TEST(path_through_bridges_kept_raw)
{
	const struct acpi_dmar_scope *s;
	u8 path[6] = { 0x1c, 4, 0, 0, 3, 1 };
	u32 u;

	/* A device two bridges down: its bus is known only from the bridges' configuration. */
	ab_dmar(&t, 45, 0);
	u = ab_drhd(&t, 0, 0, 0, 0xfed90000);
	ab_scope_path(&t, ACPI_SCOPE_PCI_ENDPOINT, 0, 0, path, 3);
	ab_scope_path(&t, ACPI_SCOPE_PCI_SUBHIERARCHY, 0, 0x80, path, 2);
	ab_end(&t, u);
	CHECK_ACPI_CLEAN(&info, parse_dmar());
	CHECK_EQ_U64(info.dmar_haw, 46);
	REQUIRE_EQ_U64(info.drhd_count, 1);
	REQUIRE_EQ_U64(info.drhds[0].scope_count, 2);
	s = &info.drhds[0].scopes[0];
	CHECK(!s->resolved);
	CHECK(!s->path_truncated);
	CHECK_EQ_U64(s->start_bus, 0);
	REQUIRE_EQ_U64(s->path_len, 3);
	CHECK_EQ_U64(s->path[0].dev, 0x1c);
	CHECK_EQ_U64(s->path[0].fn, 4);
	CHECK_EQ_U64(s->path[1].dev, 0);
	CHECK_EQ_U64(s->path[2].dev, 3);
	CHECK_EQ_U64(s->path[2].fn, 1);
	CHECK_STR(scope_str(s), "endpoint 00:[1c.4/00.0/03.1]");
	s = &info.drhds[0].scopes[1];
	CHECK(!s->resolved);
	CHECK_EQ_U64(s->path_len, 2);
	CHECK_STR(scope_str(s), "bridge 80:[1c.4/00.0]");
	ab_release();
}

TEST(path_deeper_than_kept)
{
	const struct acpi_dmar_scope *s;
	u8 path[2 * (ACPI_DMAR_PATH_MAX + 2)];
	u32 u, i;
	int rc;

	for (i = 0; i < ACPI_DMAR_PATH_MAX + 2; i++) {
		path[2 * i] = (u8)i;
		path[2 * i + 1] = 0;
	}
	ab_dmar(&t, 38, 0);
	u = ab_drhd(&t, 0, 0, 0, 0xfed90000);
	ab_scope_path(&t, ACPI_SCOPE_PCI_ENDPOINT, 0, 0, path, ACPI_DMAR_PATH_MAX + 2);
	ab_end(&t, u);
	rc = parse_dmar();
	CHECK_ACPI_WARNED(&info, rc, "DMAR offset 0x40:", "path of 10 hops; only 8 are kept");
	REQUIRE_EQ_U64(info.drhds[0].scope_count, 1);
	s = &info.drhds[0].scopes[0];
	CHECK(s->path_truncated);
	CHECK(!s->resolved);
	CHECK_EQ_U64(s->path_len, ACPI_DMAR_PATH_MAX);
	CHECK_EQ_U64(s->path[7].dev, 7);
	CHECK_STR(scope_str(s), "endpoint 00:[00.0/01.0/02.0/03.0/04.0/05.0/06.0/07.0/...]");
	ab_release();
}

TEST(register_set_size_field)
{
	u32 u;

	ab_dmar(&t, 38, 0);
	u = ab_drhd(&t, 0, 3, 0, 0xfed90000);
	ab_end(&t, u);
	u = ab_drhd(&t, ACPI_DRHD_INCLUDE_PCI_ALL, 0xf2, 1, 0xfed98000); /* bits 7:4 reserved */
	ab_end(&t, u);
	CHECK_ACPI_CLEAN(&info, parse_dmar());
	REQUIRE_EQ_U64(info.drhd_count, 2);
	CHECK_EQ_U64(info.drhds[0].reg_size, 0x8000);
	CHECK_EQ_U64(info.drhds[0].scope_count, 0);
	CHECK_EQ_U64(info.drhds[1].size_field, 0xf2);
	CHECK_EQ_U64(info.drhds[1].reg_size, 0x4000);
	CHECK_EQ_U64(info.drhds[1].segment, 1);
	ab_release();
}

TEST(unknown_structures_skipped)
{
	u32 u;

	ab_dmar(&t, 38, 0);
	u = ab_struct(&t, 6); /* SIDP in VT-d 4.1 */
	ab_zeros(&t, 12);
	ab_end(&t, u);
	u = ab_struct(&t, 0x80);
	ab_end(&t, u); /* a bare 4-byte header */
	u = ab_drhd(&t, ACPI_DRHD_INCLUDE_PCI_ALL, 0, 0, 0xfed90000);
	ab_end(&t, u);
	CHECK_ACPI_CLEAN(&info, parse_dmar());
	CHECK_EQ_U64(info.drhd_count, 1);
	ab_release();
}

TEST(include_pci_all_not_last)
{
	u32 u;
	int rc;

	ab_dmar(&t, 38, 0);
	u = ab_drhd(&t, ACPI_DRHD_INCLUDE_PCI_ALL, 0, 0, 0xfed91000);
	ab_end(&t, u);
	u = ab_drhd(&t, 0, 0, 1, 0xfed92000); /* another segment: fine */
	ab_scope(&t, ACPI_SCOPE_PCI_ENDPOINT, 0, 0, 3, 0);
	ab_end(&t, u);
	u = ab_drhd(&t, 0, 0, 0, 0xfed90000);
	ab_scope(&t, ACPI_SCOPE_PCI_ENDPOINT, 0, 0, 2, 0);
	ab_end(&t, u);
	rc = parse_dmar();
	CHECK_ACPI_WARNED(&info, rc, "DMAR offset 0x58:",
			  "DRHD for segment 0 follows that segment's INCLUDE_PCI_ALL unit");
	CHECK_EQ_U64(info.drhd_count, 3);
	ab_release();
}

TEST(rmrr_without_device)
{
	u32 u;
	int rc;

	ab_dmar(&t, 38, 0);
	u = ab_rmrr(&t, 0, 0x7d000000, 0x7d000fff);
	ab_end(&t, u);
	rc = parse_dmar();
	CHECK_ACPI_WARNED(&info, rc, "DMAR offset 0x30:", "RMRR 0x7d000000-0x7d000fff names no device");
	REQUIRE_EQ_U64(info.rmrr_count, 1);
	CHECK_EQ_U64(info.rmrrs[0].scope_count, 0);
	ab_release();
}

TEST(drhd_limit)
{
	u32 i, u;
	int rc;

	ab_dmar(&t, 38, 0);
	for (i = 0; i < ACPI_DMAR_MAX_DRHDS + 2; i++) {
		u = ab_drhd(&t, 0, 0, 0, 0xfed00000 + i * 0x1000);
		ab_scope(&t, ACPI_SCOPE_PCI_ENDPOINT, 0, 0, (u8)i, 0);
		ab_end(&t, u);
	}
	u = ab_rmrr(&t, 0, 0x7d000000, 0x7d01ffff); /* read although units were dropped */
	ab_scope(&t, ACPI_SCOPE_PCI_ENDPOINT, 0, 0, 0x14, 0);
	ab_end(&t, u);
	rc = parse_dmar();
	CHECK_ACPI_WARNED(&info, rc, ab_at("DMAR", AB_DMAR_STRUCTS + ACPI_DMAR_MAX_DRHDS * 24),
			  "more than 16 DRHDs; the rest are ignored");
	CHECK(info.truncated);
	CHECK_EQ_U64(info.drhd_count, ACPI_DMAR_MAX_DRHDS);
	CHECK_EQ_U64(info.drhds[15].reg_base, 0xfed0f000);
	CHECK_EQ_U64(info.drhds[15].scopes[0].dev, 15);
	CHECK_EQ_U64(info.rmrr_count, 1);
	ab_release();
}

TEST(scope_limit)
{
	u32 i, u;
	int rc;

	ab_dmar(&t, 38, 0);
	u = ab_drhd(&t, 0, 0, 0, 0xfed90000);
	for (i = 0; i < ACPI_DMAR_MAX_SCOPES + 1; i++)
		ab_scope(&t, ACPI_SCOPE_PCI_ENDPOINT, 0, (u8)(i / 32), (u8)(i % 32), 0);
	ab_end(&t, u);
	rc = parse_dmar();
	CHECK_ACPI_WARNED(&info, rc, ab_at("DMAR", 0x40 + ACPI_DMAR_MAX_SCOPES * 8),
			  "more than 32 device scopes in one structure");
	CHECK(info.truncated);
	CHECK_EQ_U64(info.drhds[0].scope_count, ACPI_DMAR_MAX_SCOPES);
	CHECK_EQ_U64(info.drhds[0].scopes[31].dev, 31);
	ab_release();
}

TEST(rmrr_limit)
{
	u32 i, u;
	int rc;

	ab_dmar(&t, 38, 0);
	for (i = 0; i < ACPI_DMAR_MAX_RMRRS + 1; i++) {
		u = ab_rmrr(&t, 0, 0x70000000 + i * 0x10000, 0x70000fff + i * 0x10000);
		ab_scope(&t, ACPI_SCOPE_PCI_ENDPOINT, 0, 0, 0x14, 0);
		ab_end(&t, u);
	}
	rc = parse_dmar();
	CHECK_ACPI_WARNED(&info, rc, "more than 16 RMRRs", "");
	CHECK_EQ_U64(info.rmrr_count, ACPI_DMAR_MAX_RMRRS);
	CHECK_EQ_U64(info.rmrrs[15].base, 0x700f0000);
	ab_release();
}

TEST(andd_name_without_nul)
{
	u32 u;

	ab_dmar(&t, 38, 0);
	u = ab_struct(&t, ACPI_DMAR_ANDD);
	ab_zeros(&t, 3);
	ab_u8(&t, 7);
	ab_put(&t, "\\_SB.UAR1", 9); /* no NUL: the length bounds the name */
	ab_end(&t, u);
	CHECK_ACPI_CLEAN(&info, parse_dmar());
	REQUIRE_EQ_U64(info.andd_count, 1);
	CHECK_EQ_U64(info.andds[0].dev_num, 7);
	CHECK_STR(info.andds[0].name, "\\_SB.UAR1");
	ab_release();
}

TEST(scope_format_bounds)
{
	struct acpi_dmar_scope s = { .type = ACPI_SCOPE_PCI_ENDPOINT, .start_bus = 0x3a,
				     .path_len = 2, .path = { { 1, 0 }, { 0x1f, 7 } } };
	char small[12];

	memset(small, 'x', sizeof(small));
	CHECK_EQ_INT(acpi_dmar_scope_format(&s, small, sizeof(small)),
		     (int)strlen("endpoint 3a:[01.0/1f.7]"));
	CHECK_STR(small, "endpoint 3a");
	s.type = 0x42;
	s.resolved = true;
	s.bus = 1;
	s.dev = 2;
	s.fn = 3;
	CHECK_EQ_INT(acpi_dmar_scope_format(&s, small, sizeof(small)), (int)strlen("unknown 01:02.3"));
	CHECK_STR(small, "unknown 01:");
}

TEST(name_helpers)
{
	CHECK_STR(acpi_dmar_scope_type_name(ACPI_SCOPE_PCI_ENDPOINT), "endpoint");
	CHECK_STR(acpi_dmar_scope_type_name(ACPI_SCOPE_PCI_SUBHIERARCHY), "bridge");
	CHECK_STR(acpi_dmar_scope_type_name(ACPI_SCOPE_IOAPIC), "ioapic");
	CHECK_STR(acpi_dmar_scope_type_name(ACPI_SCOPE_HPET), "hpet");
	CHECK_STR(acpi_dmar_scope_type_name(ACPI_SCOPE_ACPI_NAMESPACE), "acpi-device");
	CHECK_STR(acpi_dmar_scope_type_name(0), "unknown");
	CHECK_STR(acpi_dmar_scope_type_name(6), "unknown");
	CHECK_STR(acpi_dmar_type_name(ACPI_DMAR_DRHD), "DRHD");
	CHECK_STR(acpi_dmar_type_name(ACPI_DMAR_RMRR), "RMRR");
	CHECK_STR(acpi_dmar_type_name(ACPI_DMAR_ATSR), "ATSR");
	CHECK_STR(acpi_dmar_type_name(ACPI_DMAR_RHSA), "RHSA");
	CHECK_STR(acpi_dmar_type_name(ACPI_DMAR_ANDD), "ANDD");
	CHECK_STR(acpi_dmar_type_name(ACPI_DMAR_SATC), "SATC");
	CHECK_STR(acpi_dmar_type_name(6), "unknown structure");
	CHECK_STR(acpi_dmar_type_name(0xffff), "unknown structure");
	CHECK_STR(acpi_madt_type_name(ACPI_MADT_X2APIC), "local x2APIC");
	CHECK_STR(acpi_madt_type_name(3), "unknown");
}
