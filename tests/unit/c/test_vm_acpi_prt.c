// sources: hypervisor/arch/x86/vm_acpi_prt.c
/*
 * The root bridge's _PRT (arch/x86/vm_acpi_prt.c): Scope (\_SB.PCI0) { Name (_PRT, Package ()
 * { Package () { 0x0002FFFF, 0, Zero, 9 } }) } byte for byte as ACPI 6.5 20.2 encodes it (the
 * e1000 at 00:02.0, INTA on GSI 9); nothing without a root bridge or entries; the length asked
 * for without a buffer is the length written.
 */
#include <x86/vm_acpi.h>

#include "test.h"

static const struct vm_acpi_prt_entry e1000[] = { { 2, 0, 9 } };

TEST(one_intx_entry_encodes_as_acpi_says)
{
	static const u8 want[] = {
		0x10, 0x48, 0x02,			/* ScopeOp, PkgLength 40 */
		'\\', 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', /* \_SB.PCI0 */
		0x08, '_', 'P', 'R', 'T',		/* Name (_PRT, */
		0x12, 0x46, 0x01, 0x01,			/* Package (1): PkgLength 22 */
		0x12, 0x12, 0x04,			/* Package (4): PkgLength 18 */
		0x0c, 0xff, 0xff, 0x02, 0x00,		/* 0x0002FFFF */
		0x0c, 0x00, 0x00, 0x00, 0x00,		/* INTA */
		0x00,					/* Zero: a GSI */
		0x0c, 0x09, 0x00, 0x00, 0x00,		/* GSI 9 */
	};
	struct vm_acpi_config c = { .pci_root = true, .prt = e1000, .prt_count = 1 };
	u8 out[64];
	u32 n = vm_acpi_prt(&c, NULL), i;

	REQUIRE_EQ_U64(n, sizeof(want));
	CHECK_EQ_U64(vm_acpi_prt(&c, out), n);
	for (i = 0; i < n; i++)
		CHECK_EQ_U64(out[i], want[i]);
}

TEST(nothing_without_a_root_bridge_or_entries)
{
	struct vm_acpi_config c = { .pci_root = false, .prt = e1000, .prt_count = 1 };

	CHECK_EQ_U64(vm_acpi_prt(&c, NULL), 0);
	c.pci_root = true;
	c.prt_count = 0;
	CHECK_EQ_U64(vm_acpi_prt(&c, NULL), 0);
}
