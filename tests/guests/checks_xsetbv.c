/*
 * xsetbv: XSETBV always exits (SDM Vol. 3C, 26.1.2), so Plinth must apply the architectural
 * checks itself: #GP(0) for XCR0 without x87, AVX without SSE, a bit the CPU lacks, or an XCR
 * other than 0 (SDM Vol. 2C, XSETBV; Vol. 1, 13.3). A valid value must reach the CPU.
 */
#include "checks.h"
#include "x86.h"

#define BAD_XCR_INDEX 0x55

void check_xsetbv(void)
{
	u64 cr4 = read_cr4(), xcr0_before, value;
	struct fault f;

	if (!(cpuid_leaf(1).ecx & CPUID_1_ECX_XSAVE)) {
		check_info("xsetbv skipped: no XSAVE");
		return;
	}
	f = safe_write_cr4(cr4 | X86_CR4_OSXSAVE); /* XSETBV and XGETBV raise #UD without it */
	if (!check_expect_no_fault(f, "setting CR4.OSXSAVE"))
		return;
	f = safe_xgetbv(0, &xcr0_before);
	check_expect_no_fault(f, "XGETBV(0)");

	f = safe_xsetbv(0, 0);
	check_expect_fault(f, X86_GP, 0, "XSETBV XCR0=0 (no x87)");
	if (cpuid_count(0xd, 0).eax & CPUID_0D_EAX_AVX) {
		f = safe_xsetbv(0, XCR0_X87 | XCR0_AVX);
		check_expect_fault(f, X86_GP, 0, "XSETBV XCR0=0x5 (AVX without SSE)");
	}
	f = safe_xsetbv(BAD_XCR_INDEX, XCR0_X87 | XCR0_SSE);
	check_expect_fault(f, X86_GP, 0, "XSETBV XCR 0x55");

	f = safe_xsetbv(0, XCR0_X87 | XCR0_SSE);
	if (check_expect_no_fault(f, "XSETBV XCR0=0x3")) {
		f = safe_xgetbv(0, &value);
		if (check_expect_no_fault(f, "XGETBV(0)"))
			check_expect(value == (XCR0_X87 | XCR0_SSE), "XGETBV(0) reads 0x%lx after XSETBV 0x3",
				     value);
	}
	/* Put things back as the loader left them (the guest itself uses no x87/SSE state). */
	if (xcr0_before & XCR0_X87)
		safe_xsetbv(0, xcr0_before);
	safe_write_cr4(cr4);
}
