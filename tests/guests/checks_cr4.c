/*
 * cr4: Plinth owns CR4.VMXE (it must stay 1 in VMX operation, SDM Vol. 3C, 24.8, so the real
 * bit is 1 under Plinth). The guest must see it clear through the read shadow and get
 * #GP(0) when setting it, as on a CPU without VMX (SDM Vol. 3A, 2.5: setting a reserved CR4
 * bit raises #GP(0)); other bits must still be the guest's to change.
 */
#include "checks.h"
#include "x86.h"

/* Sets bit in CR4, reads it back, clears it, reads back; restores the original CR4. */
static void toggle_cr4_bit(u64 bit, const char *name)
{
	u64 cr4 = read_cr4();
	struct fault f;

	f = safe_write_cr4(cr4 | bit);
	if (check_expect_no_fault(f, name))
		check_expect(read_cr4() & bit, "CR4.%s reads 0 after setting it (CR4 0x%lx)", name,
			     read_cr4());
	f = safe_write_cr4(cr4 & ~bit);
	if (check_expect_no_fault(f, name))
		check_expect(!(read_cr4() & bit), "CR4.%s reads 1 after clearing it (CR4 0x%lx)", name,
			     read_cr4());
	write_cr4(cr4);
}

void check_cr4(void)
{
	u64 cr4 = read_cr4();
	struct fault f;

	check_expect(!(cr4 & X86_CR4_VMXE), "CR4.VMXE reads 1 (CR4 0x%lx)", cr4);
	f = safe_write_cr4(cr4 | X86_CR4_VMXE);
	check_expect_fault(f, X86_GP, 0, "mov to CR4 with VMXE");
	check_expect(!(read_cr4() & X86_CR4_VMXE), "CR4.VMXE reads 1 after the refused write (CR4 0x%lx)",
		     read_cr4());
	if (f.vector == FAULT_NONE) /* do not leave VMXE set if the write went through */
		safe_write_cr4(cr4);

	/* TSD only restricts RDTSC at CPL > 0, and every CPU since the Pentium has it. */
	toggle_cr4_bit(X86_CR4_TSD, "TSD");
	/* OSXSAVE is a bit Plinth may well watch too, because of XSETBV. */
	if (cpuid_leaf(1).ecx & CPUID_1_ECX_XSAVE)
		toggle_cr4_bit(X86_CR4_OSXSAVE, "OSXSAVE");
}
