/*
 * The DSDT's PCI interrupt routing table for the root bridge (vm_acpi_pci.c), a piece of its own
 * after \_SB.PCI0 (ACPI 6.5 6.2.13):
 *   Scope (\_SB.PCI0) { Name (_PRT, Package () {
 *     Package () { 0xDDDDFFFF, pin, Zero, GSI }, ... }) }
 * one entry per owned function's INTx with the GSI of its I/O APIC pin (x86/ioapic_pins.h).
 * Without it Linux falls back to the function's interrupt line as an ISA IRQ, which a
 * partition does not have: it has no 8259, so Linux counts no legacy IRQs and finds "no GSI".
 * A static entry (source Zero) means a level-triggered, active-low GSI.
 */
#include <x86/vm_acpi.h>

#define PRT_ZERO_OP 0x00
#define PRT_NAME_OP 0x08
#define PRT_DWORD_PREFIX 0x0c
#define PRT_SCOPE_OP 0x10
#define PRT_PACKAGE_OP 0x12
#define PRT_DUAL_NAME_PREFIX 0x2e
#define ENTRY_LEN 19 /* PackageOp, PkgLength, count 4, DWord address, DWord pin, Zero, DWord GSI */

static void put(u8 *out, u32 *at, u8 v)
{
	if (out)
		out[*at] = v;
	(*at)++;
}

static void put32(u8 *out, u32 *at, u32 v)
{
	u32 i;

	put(out, at, PRT_DWORD_PREFIX);
	for (i = 0; i < 4; i++)
		put(out, at, (u8)(v >> (8 * i)));
}

static void put_name(u8 *out, u32 *at, const char *seg)
{
	u32 i;

	for (i = 0; i < 4; i++)
		put(out, at, (u8)seg[i]);
}

/* PkgLength (20.2.4) for body bytes after it, in two bytes whatever the size (below 4 KiB). */
static void pkg_length2(u8 *out, u32 *at, u32 body)
{
	u32 len = body + 2;

	put(out, at, (u8)(0x40 | (len & 0xf)));
	put(out, at, (u8)(len >> 4));
}

u32 vm_acpi_prt(const struct vm_acpi_config *c, u8 *out)
{
	u32 at = 0, i, n = c->pci_root ? c->prt_count : 0;
	u32 pkg = 1 + n * ENTRY_LEN, name = 5 + 1 + 2 + pkg, scope = 10 + name;

	if (!n)
		return 0;
	put(out, &at, PRT_SCOPE_OP);
	pkg_length2(out, &at, scope);
	put(out, &at, '\\');
	put(out, &at, PRT_DUAL_NAME_PREFIX);
	put_name(out, &at, "_SB_");
	put_name(out, &at, "PCI0");
	put(out, &at, PRT_NAME_OP);
	put_name(out, &at, "_PRT");
	put(out, &at, PRT_PACKAGE_OP);
	pkg_length2(out, &at, pkg);
	put(out, &at, (u8)n);
	for (i = 0; i < n; i++) {
		put(out, &at, PRT_PACKAGE_OP);
		put(out, &at, ENTRY_LEN - 1); /* a one-byte PkgLength counts itself */
		put(out, &at, 4);
		put32(out, &at, (u32)c->prt[i].dev << 16 | 0xffff);
		put32(out, &at, c->prt[i].pin);
		put(out, &at, PRT_ZERO_OP);
		put32(out, &at, c->prt[i].gsi);
	}
	return at;
}
