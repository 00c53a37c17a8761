// sources: @acpi-parser
/*
 * Plinth's ACPI parser (arch/x86/acpi*.c: RSDP, RSDT/XSDT, MADT, DMAR) on any tables. The
 * input is one flags byte, then tables back to back, each as long as its header's length
 * field says (clipped to the input that is left, at least a header). The harness places each
 * table in low memory right before a guard page (tests/unit/c/acpi_build.h), patches its
 * length field to the bytes placed, balances its checksum (unless flag bit 0), lists the tables
 * in an XSDT (an RSDT with flag bit 1) behind a revision 2 RSDP (revision 0 with bit 2), and
 * lets acpi_parse_rsdp_copy walk them as Plinth does at boot. Promises: one line of error when
 * it fails, every count within its array.
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
	ab_release();
	return 0;
}
