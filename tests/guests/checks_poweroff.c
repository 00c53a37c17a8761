/*
 * poweroff: the guest turns the machine off the ACPI way (ACPI 7.4.2 and 4.8.3.2.1): the FADT's
 * PM1a control block gets SLP_TYP of \_S5 with SLP_EN. Plinth sees the write (it reports an
 * ACPI sleep request and the VM's exits) and lets it through, and the emulator powers off:
 * the normal end of a run. Bochs's and QEMU's \_S5 is SLP_TYP 0, which is what is written;
 * reading it from the DSDT would need an AML interpreter. Name it last: nothing runs after it.
 */
#include <plinth/string.h>
#include "checks.h"
#include "console.h"
#include "x86.h"

#define RSDP_SCAN_START 0xe0000
#define RSDP_SCAN_END 0x100000
#define SDT_HEADER_LEN 36
#define FADT_PM1A_CNT_BLK 64
#define SLP_TYP_S5 0
#define SLP_EN (1u << 13)

static const u8 *find_table(const char *sig)
{
	u64 a;

	for (a = RSDP_SCAN_START; a < RSDP_SCAN_END; a += 16) {
		const u8 *rsdp = (const u8 *)a;
		const u8 *rsdt;
		u32 len, i;

		if (memcmp(rsdp, "RSD PTR ", 8))
			continue;
		rsdt = (const u8 *)(u64)*(const u32 *)(rsdp + 16);
		len = *(const u32 *)(rsdt + 4);
		for (i = SDT_HEADER_LEN; i + 4 <= len; i += 4) {
			const u8 *table = (const u8 *)(u64)*(const u32 *)(rsdt + i);

			if (!memcmp(table, sig, 4))
				return table;
		}
		return NULL;
	}
	return NULL;
}

void check_poweroff(void)
{
	const u8 *fadt = find_table("FACP");
	u32 port;

	if (!check_expect(fadt != NULL, "no FADT reachable from an RSDP in the BIOS area"))
		return;
	port = *(const u32 *)(fadt + FADT_PM1A_CNT_BLK);
	check_info("powering off: SLP_TYP %u | SLP_EN to PM1a control port 0x%x", SLP_TYP_S5, port);
	console_drain();
	outw((u16)port, (u16)(SLP_TYP_S5 << 10 | SLP_EN));
	check_expect(false, "the machine is still on after the ACPI power-off write to port 0x%x", port);
}
