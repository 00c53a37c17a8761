// sources: @acpi-parser
/*
 * Plinth's ACPI parser run on one table from a file, on the host:
 *
 *   acpi_table_file FILE         "acpi: ..." lines, for tests/unit/test_acpi_tables.py, which
 *                                builds the tables (MADT or DMAR) with construct;
 *   acpi_table_file --json FILE  the file must be a DMAR: what the parser made of it as one
 *                                JSON object, for `tools/plinth check-host` (tools/hostc.py
 *                                builds this program into build/host/ and reads the object).
 *
 * The table's bytes are placed right before a guard page, behind an XSDT and a revision 2
 * RSDP, and acpi_parse walks them as Plinth does at boot. A file can be wrong in ways a table
 * in memory cannot (shorter than its header, or than the length the header gives); those are
 * checked here first, so the parser never reads past the bytes it is given. Exit status 0 when
 * the parser ran (whatever it made of the table), 2 for a usage or I/O problem.
 * Not a test_*.c file: the C test glob does not run it on its own. The first line names the
 * sources by group: tools/hostc.py holds the list.
 */
#define _GNU_SOURCE
#define TEST_NO_MAIN
#include <errno.h>
#include <plinth/errno.h>
#include <stdarg.h>

#include "acpi_build.h"

#define SDT_HEADER_LEN 36u
#define FILE_MAX (2u * ACPI_TABLE_MAX_LEN) /* longer than any table Plinth accepts */

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

static void print_lines(int rc)
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

/* s as a JSON string: quotes, backslashes and control bytes escaped. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_scopes(const struct acpi_dmar_scope *s, u32 n)
{
	char buf[96];
	u32 i, h;

	printf("[");
	for (i = 0; i < n; i++) {
		acpi_dmar_scope_format(&s[i], buf, sizeof(buf));
		printf("%s{\"type\": %u, \"enumeration_id\": %u, \"start_bus\": %u, \"path\": [", i ? ", " : "",
		       s[i].type, s[i].enum_id, s[i].start_bus);
		for (h = 0; h < s[i].path_len; h++)
			printf("%s[%u, %u]", h ? ", " : "", s[i].path[h].dev, s[i].path[h].fn);
		printf("], \"text\": ");
		json_str(buf);
		printf("}");
	}
	printf("]");
}

/* One JSON object: rc, error, warning, and the DMAR as the parser kept it. */
static void print_json(int rc)
{
	u32 i;

	printf("{\"rc\": %d, \"error\": ", rc);
	json_str(info.error);
	printf(", \"warning\": ");
	json_str(info.warning);
	printf(", \"has_dmar\": %s, \"host_address_width\": %u, \"flags\": %u, \"drhds\": [",
	       info.has_dmar ? "true" : "false", info.dmar_haw, info.dmar_flags);
	for (i = 0; i < info.drhd_count; i++) {
		const struct acpi_drhd *d = &info.drhds[i];

		printf("%s{\"flags\": %u, \"size\": %u, \"segment\": %u, \"base\": %llu, \"scopes\": ",
		       i ? ", " : "", d->flags, d->size_field, d->segment, (unsigned long long)d->reg_base);
		json_scopes(d->scopes, d->scope_count);
		printf("}");
	}
	printf("], \"rmrrs\": [");
	for (i = 0; i < info.rmrr_count; i++) {
		const struct acpi_rmrr *r = &info.rmrrs[i];

		printf("%s{\"segment\": %u, \"base\": %llu, \"limit\": %llu, \"scopes\": ", i ? ", " : "",
		       r->segment, (unsigned long long)r->base, (unsigned long long)r->limit);
		json_scopes(r->scopes, r->scope_count);
		printf("}");
	}
	printf("], \"atsrs\": %u, \"andds\": %u}\n", info.atsr_count, info.andd_count);
}

/* A problem of the file rather than of the table, worded as the parser words its own. */
static int __attribute__((format(printf, 1, 2))) file_problem(const char *fmt, ...)
{
	va_list ap;

	memset(&info, 0, sizeof(info));
	va_start(ap, fmt);
	vsnprintf(info.error, sizeof(info.error), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* What acpi_parse makes of the table in buf (len bytes from the file). */
static int parse(const u8 *buf, size_t len, bool dmar_only)
{
	u32 length;
	u64 pa;
	int rc;

	if (len < SDT_HEADER_LEN)
		return file_problem("%s offset 0x0: %zu bytes, shorter than the %u-byte table header",
				    dmar_only ? "DMAR" : "table", len, SDT_HEADER_LEN);
	if (dmar_only && memcmp(buf, "DMAR", 4)) {
		char sig[5];
		int i;

		for (i = 0; i < 4; i++)
			sig[i] = buf[i] >= 0x20 && buf[i] < 0x7f ? (char)buf[i] : '?';
		sig[4] = '\0';
		return file_problem("DMAR offset 0x0: signature \"%s\" is not DMAR", sig);
	}
	memcpy(&length, buf + 4, sizeof(length));
	/* A length the parser rejects anyway is left to it; one it accepts must be in the file. */
	if (length >= SDT_HEADER_LEN && length <= ACPI_TABLE_MAX_LEN && length > len)
		return file_problem("%.4s offset 0x4: length %u runs past the %zu bytes of the table",
				    dmar_only ? "DMAR" : (const char *)buf, length, len);
	pa = ab_pa(ab_place_bytes(buf, (u32)len));
	rc = acpi_parse(ab_system(&pa, 1), &info);
	ab_release();
	return rc;
}

int main(int argc, char **argv)
{
	bool json = argc == 3 && !strcmp(argv[1], "--json");
	static u8 buf[FILE_MAX];
	size_t len;
	FILE *f;
	int rc;

	if (!json && argc != 2) {
		fprintf(stderr, "usage: %s [--json] TABLE_FILE\n", argv[0]);
		return 2;
	}
	f = fopen(argv[argc - 1], "rb");
	if (!f) {
		fprintf(stderr, "%s: cannot open %s: %s\n", argv[0], argv[argc - 1], strerror(errno));
		return 2;
	}
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (len == sizeof(buf)) {
		fprintf(stderr, "%s: %s is larger than any ACPI table Plinth reads\n", argv[0], argv[argc - 1]);
		return 2;
	}
	rc = parse(buf, len, json);
	if ((rc != 0) != (info.error[0] != '\0') || (rc && rc != -EINVAL)) {
		fprintf(stderr, "%s: acpi_parse returned %d with error \"%s\"\n", argv[0], rc, info.error);
		return 1;
	}
	if (json)
		print_json(rc);
	else
		print_lines(rc);
	return 0;
}
