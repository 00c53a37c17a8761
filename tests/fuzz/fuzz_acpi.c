// sources: @acpi-parser
/*
 * Plinth's ACPI parser (arch/x86/acpi*.c: RSDP, RSDT/XSDT, MADT, DMAR, FADT, MCFG) on any tables. The
 * input is one flags byte, then tables back to back, each as long as its header's length
 * field says (clipped to the input that is left, at least a header). The harness places each
 * table in low memory right before a guard page (tests/unit/c/acpi_build.h), patches its
 * length field to the bytes placed, balances its checksum (unless flag bit 0), lists the tables
 * in an XSDT (an RSDT with flag bit 1) behind a revision 2 RSDP (revision 0 with bit 2), and
 * lets acpi_parse_rsdp_copy walk them as Plinth does at boot, then reads the FADT and the MCFG
 * among them as platform.c does (with Plinth's ports: a UART at 0x3f8, PCI configuration, the
 * test device). Promises: one line of error when it fails, every count within its array; every
 * note one line; an accepted PM1a range at least 2 ports, within 0..0xffff, clear of Plinth's
 * ports and of the SMI command ports; an accepted SMI command port clear of Plinth's ports, and
 * no SMI command without one; an ECAM base 1 MiB aligned below 4 GiB.
 */
#define _GNU_SOURCE
#define TEST_NO_MAIN
#include <plinth/errno.h>

#include "../unit/c/acpi_build.h"
#include "fuzz.h"

#define TABLES_MAX 8
#define KEEP_CHECKSUMS 0x1
#define USE_RSDT 0x2
#define RSDP_REVISION_0 0x4

static const struct acpi_port_range own[] = {
	{ 0x3f8, 8, "the console UART" },
	{ 0xcf8, 8, "the PCI configuration ports" },
	{ 0xb00, 8, "the test device" },
};

static bool reaches_own(u32 base, u32 count)
{
	u32 i;

	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (base < (u32)own[i].base + own[i].count && own[i].base < base + count)
			return true;
	return false;
}

static void check_notes(const struct acpi_notes *n)
{
	u32 i;

	FUZZ_ASSERT(n->count <= ACPI_NOTES_MAX);
	for (i = 0; i < n->count; i++) {
		FUZZ_ASSERT(strnlen(n->lines[i], ACPI_MSG_LEN) < ACPI_MSG_LEN);
		FUZZ_ASSERT(n->lines[i][0] && !strchr(n->lines[i], '\n'));
	}
}

static void check_fadt(const struct acpi_info *info)
{
	static struct acpi_fadt f;
	u32 i, base, len;

	if (acpi_parse_fadt(info, own, sizeof(own) / sizeof(own[0]), &f)) {
		FUZZ_ASSERT(!f.present);
		return;
	}
	check_notes(&f.notes);
	base = f.pm1a_cnt;
	len = f.pm1a_cnt_len;
	if (len) {
		FUZZ_ASSERT(len >= ACPI_PM1_CNT_MIN_LEN && base + len <= 0x10000 && !reaches_own(base, len));
		FUZZ_ASSERT(!(base <= ACPI_APM_CNT && ACPI_APM_CNT < base + len));
		FUZZ_ASSERT(!f.smi_cmd || !(base <= f.smi_cmd && f.smi_cmd < base + len));
	} else {
		FUZZ_ASSERT(!base);
	}
	if (f.smi_cmd)
		FUZZ_ASSERT(!reaches_own(f.smi_cmd, 1));
	else
		for (i = 0; i < ACPI_FADT_SMI_COMMANDS; i++)
			FUZZ_ASSERT(!f.smi_commands[i]);
}

static void check_mcfg(const struct acpi_info *info)
{
	static struct acpi_mcfg m;

	if (acpi_parse_mcfg(info, &m)) {
		FUZZ_ASSERT(!m.present);
		return;
	}
	check_notes(&m.notes);
	FUZZ_ASSERT(m.ecam_base % (1u << 20) == 0 && m.ecam_base < ACPI_PHYS_LIMIT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct acpi_info info;
	u64 pa[TABLES_MAX];
	u8 rsdp[36], flags;
	u32 n = 0, len, rsdp_len;
	u64 root;

	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	while (size && n < TABLES_MAX) {
		u8 t[AB_CAP];

		len = AB_HDR;
		if (size >= 8)
			memcpy(&len, data + 4, 4);
		len = len < AB_HDR ? AB_HDR : len;
		len = len > size ? (size < AB_HDR ? AB_HDR : (u32)size) : len;
		len = len > AB_CAP ? AB_CAP : len;
		memset(t, 0, len);
		memcpy(t, data, len < size ? len : size);
		memcpy(t + 4, &len, 4);
		if (!(flags & KEEP_CHECKSUMS)) {
			t[9] = 0;
			t[9] = (u8)(0 - ab_sum(t, len));
		}
		pa[n++] = ab_pa(ab_place_bytes(t, len));
		data += len < size ? len : size;
		size -= len < size ? len : size;
	}
	root = ab_root(!(flags & USE_RSDT), pa, n);
	rsdp_len = ab_rsdp_bytes(rsdp, flags & RSDP_REVISION_0 ? 0 : 2, flags & USE_RSDT ? root : 0,
				 flags & USE_RSDT ? 0 : root);
	memset(&info, 0, sizeof(info));
	if (acpi_parse_rsdp_copy(rsdp, rsdp_len, &info))
		FUZZ_ASSERT(info.error[0]);
	FUZZ_ASSERT(strnlen(info.error, sizeof(info.error)) < sizeof(info.error));
	FUZZ_ASSERT(info.table_count <= ACPI_MAX_TABLES && info.cpu_count <= ACPI_MAX_CPUS);
	FUZZ_ASSERT(info.drhd_count <= ACPI_DMAR_MAX_DRHDS && info.rmrr_count <= ACPI_DMAR_MAX_RMRRS);
	/* What acpi_parse listed was checked, even when a later table failed: read on. */
	check_fadt(&info);
	check_mcfg(&info);
	ab_release();
	return 0;
}
