/*
 * CPU state a guest sees and sets, as on hardware, that must never reach Plinth (issue 13):
 * - apic_base (finding 2): IA32_APIC_BASE cannot move the APIC (into guest RAM, where ICR
 *   writes would not exit, or onto Plinth's range) nor disable it: #GP(0), the value unchanged,
 *   the APIC still where it was; the APIC ID register keeps the CPU's id.
 * - mtrr (finding 3): the MTRRs are the guest's own copy: a variable range over Plinth's range
 *   as write-combining reads back as written, invalid values #GP(0) as on hardware. The range
 *   stays set: the monitor's `mem` shows Plinth's own memory type unchanged (the system test).
 * - invd (finding 4): INVD exits unconditionally and must not stop anything: it returns, and
 *   data written before it is still there.
 * - osxsave, rf (finding 13): CPUID.1:ECX.OSXSAVE (and CPUID.7:ECX.OSPKE) follow the guest's
 *   CR4, not Plinth's; the #GP Plinth injects for WRMSR pushes RFLAGS with RF set, as a fault
 *   the CPU raises itself does.
 */
#include "checks.h"
#include "hostile.h"
#include "layout.h" /* Plinth's PLINTH_LOAD_BASE (tools/layout.py) */
#include "x86.h"

#define APIC_BASE_ENABLE BIT(11)
#define APIC_BASE_RESERVED_9 BIT(9)
#define GUEST_RAM_ADDRESS 0x300000
#define MSR_MTRRCAP 0xfe
#define MSR_MTRR_PHYSBASE0 0x200
#define MSR_MTRR_PHYSMASK0 0x201
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MTRR_TYPE_WC 1
#define MTRR_TYPE_RESERVED 2
#define MTRR_VALID BIT(11)
#define MASK_2M 0xfffe00000ull /* 36 address bits, a 2 MiB range */
#define CPUID_1_ECX_OSXSAVE BIT(27)
#define CPUID_7_ECX_PKU BIT(3)
#define CPUID_7_ECX_OSPKE BIT(4)
#define X86_CR4_PKE BIT(22)
#define RFLAGS_RF BIT(16)
#define NONCANONICAL 0x8000000000000000ull

static void expect_gp(u32 msr, u64 value, const char *what)
{
	check_expect_fault(safe_wrmsr(msr, value), X86_GP, 0, what);
}

void check_apic_base(void)
{
	u64 base, now, apic;
	u32 id = CPUID_1_EBX_APIC_ID(cpuid_leaf(1).ebx);

	if (!check_expect_no_fault(safe_rdmsr(MSR_IA32_APIC_BASE, &base), "RDMSR IA32_APIC_BASE"))
		return;
	apic = base & ~0xfffull;
	expect_gp(MSR_IA32_APIC_BASE, (base & 0xfff) | GUEST_RAM_ADDRESS, "WRMSR IA32_APIC_BASE into guest RAM");
	expect_gp(MSR_IA32_APIC_BASE, (base & 0xfff) | PLINTH_LOAD_BASE, "WRMSR IA32_APIC_BASE onto Plinth's range");
	expect_gp(MSR_IA32_APIC_BASE, base & ~APIC_BASE_ENABLE, "WRMSR IA32_APIC_BASE disabling the APIC");
	expect_gp(MSR_IA32_APIC_BASE, base | APIC_BASE_RESERVED_9, "WRMSR IA32_APIC_BASE with reserved bit 9");
	check_expect_no_fault(safe_wrmsr(MSR_IA32_APIC_BASE, base), "WRMSR IA32_APIC_BASE with its own value");
	check_expect_no_fault(safe_rdmsr(MSR_IA32_APIC_BASE, &now), "RDMSR IA32_APIC_BASE");
	check_expect(now == base, "IA32_APIC_BASE reads 0x%lx after the refused writes, was 0x%lx", now, base);
	check_expect(*(volatile u32 *)(apic + APIC_ID_REG) >> 24 == id, "the APIC at 0x%lx reads id %u, CPUID says %u",
		     apic, *(volatile u32 *)(apic + APIC_ID_REG) >> 24, id);
	*(volatile u32 *)(apic + APIC_ID_REG) = (id + 5) << 24;
	check_expect(*(volatile u32 *)(apic + APIC_ID_REG) >> 24 == id, "writing the APIC ID register changed it to %u",
		     *(volatile u32 *)(apic + APIC_ID_REG) >> 24);
}

void check_mtrr(void)
{
	u64 cap, base0, mask0, def, v;

	if (!check_expect_no_fault(safe_rdmsr(MSR_MTRRCAP, &cap), "RDMSR IA32_MTRRCAP") ||
	    !check_expect((cap & 0xff) >= 1, "IA32_MTRRCAP 0x%lx: no variable ranges", cap))
		return;
	safe_rdmsr(MSR_MTRR_PHYSBASE0, &base0);
	safe_rdmsr(MSR_MTRR_PHYSMASK0, &mask0);
	safe_rdmsr(MSR_MTRR_DEF_TYPE, &def);
	check_info("mtrr: cap 0x%lx, def_type 0x%lx, range 0 0x%lx/0x%lx", cap, def, base0, mask0);
	expect_gp(MSR_MTRR_PHYSBASE0, PLINTH_LOAD_BASE | MTRR_TYPE_RESERVED, "WRMSR PHYSBASE0 with type 2");
	expect_gp(MSR_MTRR_PHYSMASK0, MASK_2M | MTRR_VALID | 1, "WRMSR PHYSMASK0 with reserved bit 0");
	expect_gp(MSR_MTRRCAP, cap, "WRMSR IA32_MTRRCAP");
	expect_gp(MSR_MTRR_DEF_TYPE, def | BIT(9), "WRMSR IA32_MTRR_DEF_TYPE with reserved bit 9");
	/* Plinth's range write-combining, in the guest's copy: the host's MTRRs must not change. */
	check_expect_no_fault(safe_wrmsr(MSR_MTRR_PHYSBASE0, PLINTH_LOAD_BASE | MTRR_TYPE_WC), "WRMSR PHYSBASE0");
	check_expect_no_fault(safe_wrmsr(MSR_MTRR_PHYSMASK0, MASK_2M | MTRR_VALID), "WRMSR PHYSMASK0");
	safe_rdmsr(MSR_MTRR_PHYSBASE0, &v);
	check_expect(v == (PLINTH_LOAD_BASE | MTRR_TYPE_WC), "PHYSBASE0 reads 0x%lx after writing it", v);
	safe_rdmsr(MSR_MTRR_PHYSMASK0, &v);
	check_expect(v == (MASK_2M | MTRR_VALID), "PHYSMASK0 reads 0x%lx after writing it", v);
}

void check_invd(void)
{
	static volatile u64 data[8];
	unsigned bad = 0;

	for (unsigned i = 0; i < 8; i++)
		data[i] = 0x1111111111111111ull * (i + 1);
	asm volatile("invd" ::: "memory");
	for (unsigned i = 0; i < 8; i++)
		bad += data[i] != 0x1111111111111111ull * (i + 1);
	check_expect(!bad, "%u of 8 words written before INVD are lost", bad);
}

static void expect_cpuid_bit(u32 leaf, u32 bit, bool want, const char *what)
{
	bool got = cpuid_count(leaf, 0).ecx & bit;

	check_expect(got == want, "%s is %u with the guest's CR4 bit %u", what, got, want);
}

void check_osxsave(void)
{
	u64 cr4 = read_cr4();

	if (cpuid_leaf(1).ecx & CPUID_1_ECX_XSAVE) {
		write_cr4(cr4 | X86_CR4_OSXSAVE);
		expect_cpuid_bit(1, CPUID_1_ECX_OSXSAVE, true, "CPUID.1:ECX.OSXSAVE");
		write_cr4(cr4 & ~X86_CR4_OSXSAVE);
		expect_cpuid_bit(1, CPUID_1_ECX_OSXSAVE, false, "CPUID.1:ECX.OSXSAVE");
	} else {
		check_info("osxsave: no XSAVE");
	}
	if (cpuid_leaf(0).eax >= 7 && (cpuid_count(7, 0).ecx & CPUID_7_ECX_PKU)) {
		write_cr4(cr4 | X86_CR4_PKE);
		expect_cpuid_bit(7, CPUID_7_ECX_OSPKE, true, "CPUID.7:ECX.OSPKE");
		write_cr4(cr4 & ~X86_CR4_PKE);
		expect_cpuid_bit(7, CPUID_7_ECX_OSPKE, false, "CPUID.7:ECX.OSPKE");
	}
	write_cr4(cr4);
}

static struct fault noncanonical_load(void)
{
	u64 v = 0;

	guard_arm();
	asm volatile(GUARDED("mov (%1), %0") : "+r"(v) : "r"(NONCANONICAL) : "memory");
	return guard_result();
}

void check_rf(void)
{
	struct fault f = safe_wrmsr(MSR_IA32_FEATURE_CONTROL, 0);

	if (check_expect_fault(f, X86_GP, 0, "WRMSR IA32_FEATURE_CONTROL"))
		check_expect(f.rflags & RFLAGS_RF, "the #GP Plinth injected pushed RFLAGS 0x%lx without RF", f.rflags);
	f = noncanonical_load();
	if (check_expect_fault(f, X86_GP, 0, "a non-canonical load"))
		check_expect(f.rflags & RFLAGS_RF, "the CPU's own #GP pushed RFLAGS 0x%lx without RF", f.rflags);
}
