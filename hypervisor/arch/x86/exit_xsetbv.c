/*
 * XSETBV exits (XSETBV always exits in VMX non-root). Plinth checks what the CPU would check
 * (SDM Vol. 2, XSETBV; Vol. 1, 13.3) before loading the value on the guest's behalf: a bad
 * value must become a #GP in the guest, not a #GP in Plinth.
 */
#include <x86/cpu.h>
#include <x86/processor.h>
#include <x86/vmexit.h>
#include <x86/vmx.h>

static u64 supported_xcr0(void)
{
	u32 a, b, c, d;

	cpuid(0xd, 0, &a, &b, &c, &d);
	return ((u64)d << 32) | a;
}

static bool xcr0_valid(u64 val)
{
	if (!(val & XCR0_X87) || (val & ~supported_xcr0()))
		return false;
	if ((val & XCR0_AVX) && !(val & XCR0_SSE))
		return false;
	if (!(val & XCR0_BNDREGS) != !(val & XCR0_BNDCSR))
		return false;
	if ((val & XCR0_AVX512) && ((val & XCR0_AVX512) != XCR0_AVX512 || !(val & XCR0_AVX)))
		return false;
	if (!(val & XCR0_TILECFG) != !(val & XCR0_TILEDATA))
		return false;
	return true;
}

void exit_xsetbv(struct vcpu *v)
{
	struct guest_regs *r = v->regs;
	u64 val = (r->rdx << 32) | (u32)r->rax;

	if (!(vmcs_read(VMCS_GUEST_CR4) & X86_CR4_OSXSAVE)) {
		vcpu_inject_ud();
		return;
	}
	if (vcpu_cpl() != 0 || (u32)r->rcx != 0 || !xcr0_valid(val)) {
		vcpu_inject_gp();
		return;
	}
	/* Plinth never uses extended state, so the guest's XCR0 can stay loaded. */
	xsetbv(0, val);
	vcpu_skip_instruction();
}
