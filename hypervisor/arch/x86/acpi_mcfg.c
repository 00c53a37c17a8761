/*
 * The MCFG (PCI Firmware 3.0, 4.1.2): configuration space base address allocations, of which
 * Plinth uses one, PCI segment 0's, to find the host bridge's configuration page (bus 0,
 * device 0, function 0), whose writes it filters (pci_filter.c). Pure, like the rest of the
 * parser. Each allocation is checked before it is believed: the base is 1 MiB aligned (one
 * bus's ECAM), the buses are in order, and the range the base and end bus give ends within
 * 52 address bits (no wrap); a second allocation for segment 0 and bus 0 is refused, the
 * first one stands.
 */
#include <plinth/errno.h>
#include <plinth/string.h>
#include <x86/acpi.h>
#include <x86/acpi_parse.h>

#define MCFG_ALLOCATIONS 44	/* after the header and 8 reserved bytes */
#define MCFG_ALLOCATION_SIZE 16 /* base address, segment, start and end bus, 4 reserved */
#define ECAM_BUS_SIZE MIB
#define PHYS_LIMIT (1ull << 52)

static void read_allocation(const u8 *a, u32 off, struct acpi_mcfg *out)
{
	u64 base = acpi_read_u64(a);
	u16 segment = (u16)(a[8] | a[9] << 8);
	u8 start = a[10], end = a[11];

	if (!base || base % ECAM_BUS_SIZE) {
		acpi_note(&out->notes, "MCFG offset 0x%x: segment %u base 0x%lx is not a 1 MiB-aligned address; refused",
			  off, segment, base);
		return;
	}
	if (end < start) {
		acpi_note(&out->notes, "MCFG offset 0x%x: segment %u buses %u-%u are out of order; refused", off,
			  segment, start, end);
		return;
	}
	/* The base is bus 0's, even where the allocation starts at a later bus. */
	if (base >= PHYS_LIMIT || ((u64)end + 1) * ECAM_BUS_SIZE > PHYS_LIMIT - base) {
		acpi_note(&out->notes, "MCFG offset 0x%x: segment %u base 0x%lx with buses up to %u runs past 2^52; refused",
			  off, segment, base, end);
		return;
	}
	if (segment || start)
		return;
	if (out->ecam_base) {
		acpi_note(&out->notes, "MCFG offset 0x%x: a second allocation for segment 0 bus 0 (base 0x%lx); the first (0x%lx) stands",
			  off, base, out->ecam_base);
		return;
	}
	if (base + ECAM_BUS_SIZE > ACPI_PHYS_LIMIT) {
		acpi_note(&out->notes, "MCFG offset 0x%x: segment 0 base 0x%lx lies above the 4 GiB Plinth maps; refused",
			  off, base);
		return;
	}
	out->ecam_base = base;
	out->ecam_bus_end = end;
}

int acpi_parse_mcfg(const struct acpi_info *info, struct acpi_mcfg *out)
{
	u32 len, off;
	const u8 *t = acpi_find_table(info, "MCFG", &len);

	memset(out, 0, sizeof(*out));
	if (!t)
		return -ENOENT;
	out->present = true;
	if (len < MCFG_ALLOCATIONS || (len - MCFG_ALLOCATIONS) % MCFG_ALLOCATION_SIZE)
		acpi_note(&out->notes, "MCFG offset 0x4: length %u is not %u + a multiple of %u; a partial allocation at its end is ignored",
			  len, MCFG_ALLOCATIONS, MCFG_ALLOCATION_SIZE);
	for (off = MCFG_ALLOCATIONS; off + MCFG_ALLOCATION_SIZE <= len; off += MCFG_ALLOCATION_SIZE) {
		out->allocation_count++;
		read_allocation(t + off, off, out);
	}
	return 0;
}
