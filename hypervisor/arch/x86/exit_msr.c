/*
 * MSR exits. The bitmap intercepts only the MSRs that would reveal or break VMX: the feature
 * control MSR (reads as locked with VMX off, writes #GP) and the VMX capability MSRs (#GP, as
 * on a CPU without VMX); and writes of the x2APIC ICR, for INIT and SIPI (vapic.c). MSRs
 * outside the bitmap's ranges always exit; Plinth performs the access itself and passes a #GP
 * on to the guest.
 */
#include <plinth/string.h>
#include <x86/apic.h>
#include <x86/cpu.h>
#include <x86/exit_msr.h>
#include <x86/processor.h>
#include <x86/vapic.h>
#include <x86/vmexit.h>
#include <x86/vmx.h>

/* Bitmap layout (SDM 25.6.9): read-low, read-high, write-low, write-high, 1 KiB each; the
 * write bitmaps lie BITMAP_WRITE bytes after the read ones. */
#define BITMAP_READ_LOW 0
#define BITMAP_READ_HIGH 1024
#define BITMAP_WRITE 2048
#define MSR_HIGH_BASE 0xc0000000u

static void intercept(u8 *bitmap, u32 msr, bool reads)
{
	u32 base = msr >= MSR_HIGH_BASE ? BITMAP_READ_HIGH : BITMAP_READ_LOW;
	u32 bit = msr & 0x1fff;

	if (reads)
		bitmap[base + bit / 8] |= (u8)(1 << (bit % 8));
	bitmap[base + BITMAP_WRITE + bit / 8] |= (u8)(1 << (bit % 8));
}

void exit_msr_bitmap_init(u8 *bitmap)
{
	u32 msr;

	memset(bitmap, 0, 4096);
	intercept(bitmap, MSR_IA32_FEATURE_CONTROL, true);
	for (msr = MSR_IA32_VMX_FIRST; msr < MSR_IA32_VMX_END; msr++)
		intercept(bitmap, msr, true);
	intercept(bitmap, MSR_X2APIC_ICR, false); /* INIT and SIPI go through Plinth (vapic.c) */
}

static bool is_vmx_msr(u32 msr)
{
	return msr >= MSR_IA32_VMX_FIRST && msr < MSR_IA32_VMX_END;
}

void exit_msr_read(struct vcpu *v)
{
	struct guest_regs *r = v->regs;
	u32 msr = (u32)r->rcx;
	u64 val;

	if (msr == MSR_IA32_FEATURE_CONTROL) {
		val = FEATURE_CONTROL_LOCKED; /* locked, VMX off: what a CPU without VMX shows */
	} else if (is_vmx_msr(msr) || !rdmsr_safe(msr, &val)) {
		vcpu_inject_gp();
		return;
	}
	r->rax = (u32)val;
	r->rdx = val >> 32;
	vcpu_skip_instruction();
}

void exit_msr_write(struct vcpu *v)
{
	struct guest_regs *r = v->regs;
	u32 msr = (u32)r->rcx;
	u64 val = (r->rdx << 32) | (u32)r->rax;

	if (msr == MSR_X2APIC_ICR && apic_x2apic_mode_now()) {
		vapic_icr_write(v, val, true);
		vcpu_skip_instruction();
		return;
	}
	/* The feature control MSR is locked; writing a locked one is #GP (SDM Vol. 4, 2.1). */
	if (msr == MSR_IA32_FEATURE_CONTROL || is_vmx_msr(msr) || !wrmsr_safe(msr, val)) {
		vcpu_inject_gp();
		return;
	}
	vcpu_skip_instruction();
}
