// sources: hypervisor/arch/x86/acpi.c hypervisor/arch/x86/acpi_dmar.c hypervisor/arch/x86/acpi_madt.c hypervisor/arch/x86/acpi_parse.c hypervisor/core/format.c
/*
 * Runs acpi_parse on one table read from the file named by ACPI_TABLE_FILE, for
 * tests/unit/test_acpi_tables.py, which builds the tables with construct. The table's bytes
 * are placed right before a guard page, behind an XSDT and a revision 2 RSDP; what the parser
 * made of them is printed as "acpi: ..." lines for the Python side to compare.
 * Not a test_*.c file: the C test glob does not run it on its own.
 */
#define _GNU_SOURCE
#include <plinth/errno.h>

#include "acpi_build.h"
#include "test.h"

static struct acpi_info info;

static void print_scopes(const char *owner, u32 idx, const struct acpi_dmar_scope *s, u32 n)
{
	char buf[96];
	u32 i;

	for (i = 0; i < n; i++) {
		acpi_dmar_scope_format(&s[i], buf, sizeof(buf));
		printf("acpi: %s %u scope %s\n", owner, idx, buf);
	}
}

static void print_info(int rc)
{
	u32 i;

	printf("acpi: rc %d\n", rc);
	printf("acpi: error %s\n", info.error);
	printf("acpi: warning %s\n", info.warning);
	if (info.has_madt)
		printf("acpi: madt cpus %u ioapics %u overrides %u lapic 0x%llx flags 0x%x\n",
		       info.cpu_count, info.ioapic_count, info.override_count,
		       (unsigned long long)info.lapic_addr, info.madt_flags);
	for (i = 0; i < info.cpu_count; i++)
		printf("acpi: cpu %u apic %u uid %u enabled %d online-capable %d x2apic %d\n", i,
		       info.cpus[i].apic_id, info.cpus[i].uid, info.cpus[i].enabled,
		       info.cpus[i].online_capable, info.cpus[i].x2apic);
	for (i = 0; i < info.ioapic_count; i++)
		printf("acpi: ioapic %u id %u addr 0x%x gsi %u\n", i, info.ioapics[i].id,
		       info.ioapics[i].addr, info.ioapics[i].gsi_base);
	for (i = 0; i < info.override_count; i++)
		printf("acpi: override irq %u gsi %u flags 0x%x\n", info.overrides[i].irq,
		       info.overrides[i].gsi, info.overrides[i].flags);
	if (info.has_dmar)
		printf("acpi: dmar haw %u flags 0x%x drhds %u rmrrs %u atsrs %u\n", info.dmar_haw,
		       info.dmar_flags, info.drhd_count, info.rmrr_count, info.atsr_count);
	for (i = 0; i < info.drhd_count; i++) {
		printf("acpi: drhd %u flags 0x%x segment %u base 0x%llx size 0x%llx\n", i,
		       info.drhds[i].flags, info.drhds[i].segment,
		       (unsigned long long)info.drhds[i].reg_base,
		       (unsigned long long)info.drhds[i].reg_size);
		print_scopes("drhd", i, info.drhds[i].scopes, info.drhds[i].scope_count);
	}
	for (i = 0; i < info.rmrr_count; i++) {
		printf("acpi: rmrr %u segment %u base 0x%llx limit 0x%llx\n", i, info.rmrrs[i].segment,
		       (unsigned long long)info.rmrrs[i].base, (unsigned long long)info.rmrrs[i].limit);
		print_scopes("rmrr", i, info.rmrrs[i].scopes, info.rmrrs[i].scope_count);
	}
}

TEST(parse_table_file)
{
	const char *path = getenv("ACPI_TABLE_FILE");
	static u8 buf[AB_CAP];
	size_t len;
	FILE *f;
	u64 pa;
	int rc;

	REQUIRE(path);
	f = fopen(path, "rb");
	REQUIRE(f);
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	REQUIRE(len > 0 && len < sizeof(buf));
	pa = ab_pa(ab_place_bytes(buf, (u32)len));
	rc = acpi_parse(ab_system(&pa, 1), &info);
	print_info(rc);
	CHECK(rc == 0 || rc == -EINVAL);
	CHECK((rc != 0) == (info.error[0] != '\0'));
	ab_release();
}
