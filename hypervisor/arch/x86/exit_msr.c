/*
 * MSR exits. The bitmap intercepts the MSRs that would reveal or break VMX (the feature
 * control MSR reads as locked with VMX off and writes #GP; the VMX capability MSRs and the SMM
 * monitor control #GP, as on a CPU without VMX), those whose hardware state is Plinth's
 * (IA32_APIC_BASE, apic_base.c; the MTRRs, vmtrr.c) and writes of the x2APIC ICR and LVT
 * entries (vapic.c). MSRs outside the bitmap's ranges always exit; Plinth performs the access
 * itself and passes a #GP on to the guest.
 */
#include <plinth/string.h>
#include <x86/apic.h>
#include <x86/cpu.h>
#include <x86/exit_msr.h>
#include <x86/processor.h>
#include <x86/vapic.h>
#include <x86/vmexit.h>
#include <x86/vmtrr.h>
#include <x86/vmx.h>

/* Bitmap layout (SDM 25.6.9): read-low, read-high, write-low, write-high, 1 KiB each; the
 * write bitmaps lie BITMAP_WRITE bytes after the read ones. */
#define BITMAP_READ_LOW 0
#define BITMAP_READ_HIGH 1024
#define BITMAP_WRITE 2048
#define MSR_HIGH_BASE 0xc0000000u
#define MSR_IA32_SMM_MONITOR_CTL 0x9b

static void intercept(u8 *bitmap, u32 msr, bool reads)
{
	u32 base = msr >= MSR_HIGH_BASE ? BITMAP_READ_HIGH : BITMAP_READ_LOW;
	u32 bit = msr & 0x1fff;

	if (reads)
		bitmap[base + bit / 8] |= (u8)(1 << (bit % 8));
	bitmap[base + BITMAP_WRITE + bit / 8] |= (u8)(1 << (bit % 8));
}

static void intercept_all(u8 *bitmap, u32 msr)
{
	intercept(bitmap, msr, true);
}

/* The x2APIC LVT registers with a delivery mode, as the xAPIC offset the filter takes. */
static bool x2apic_lvt(u32 msr, u32 *off)
{
	*off = (msr - MSR_X2APIC_BASE) * 16;
	return msr >= MSR_X2APIC_BASE && msr < MSR_X2APIC_BASE + 0x100 && vapic_lvt_has_delivery_mode(*off);
}

void exit_msr_bitmap_init(u8 *bitmap)
{
	u32 msr, off;

	memset(bitmap, 0, 4096);
	intercept(bitmap, MSR_IA32_FEATURE_CONTROL, true);
	intercept(bitmap, MSR_IA32_SMM_MONITOR_CTL, true);
	for (msr = MSR_IA32_VMX_FIRST; msr < MSR_IA32_VMX_END; msr++)
		intercept(bitmap, msr, true);
	intercept(bitmap, MSR_IA32_APIC_BASE, true);
	vmtrr_for_each_msr(intercept_all, bitmap);
	intercept(bitmap, MSR_X2APIC_ICR, false); /* NMI, INIT and SIPI go through Plinth (vapic.c) */
	for (msr = MSR_X2APIC_BASE; msr < MSR_X2APIC_BASE + 0x100; msr++)
		if (x2apic_lvt(msr, &off))
			intercept(bitmap, msr, false);
}

/* MSRs a CPU without VMX lacks. */
static bool is_vmx_msr(u32 msr)
{
	return (msr >= MSR_IA32_VMX_FIRST && msr < MSR_IA32_VMX_END) || msr == MSR_IA32_SMM_MONITOR_CTL;
}

static inline void complete_read(struct guest_regs *r, u64 val)
{
	r->rax = (u32)val;
	r->rdx = val >> 32;
	vcpu_skip_instruction_fast();
}

/* The reads that call out (the APIC base, the MTRRs, the hardware's with its #GP), out of
 * line: a read Plinth answers with a constant keeps no stack frame. */
static __noinline void read_by_call(struct vcpu *v, struct guest_regs *r, u32 msr)
{
	u64 val;
	bool ok = true;

	if (msr == MSR_IA32_APIC_BASE)
		val = vapic_base_read(v);
	else if (vmtrr_is_mtrr(msr))
		ok = vmtrr_read(v, msr, &val);
	else
		ok = !is_vmx_msr(msr) && rdmsr_safe(msr, &val);
	if (ok)
		complete_read(r, val);
	else
		vcpu_inject_gp();
}

void exit_msr_read(struct vcpu *v)
{
	struct guest_regs *r = v->regs;
	u32 msr = (u32)r->rcx;

	if (msr == MSR_IA32_FEATURE_CONTROL)
		complete_read(r, FEATURE_CONTROL_LOCKED); /* locked, VMX off: what a CPU without VMX shows */
	else
		read_by_call(v, r, msr);
}

void exit_msr_write(struct vcpu *v)
{
	struct guest_regs *r = v->regs;
	u32 msr = (u32)r->rcx, off;
	u64 val = (r->rdx << 32) | (u32)r->rax;
	bool ok;

	if (msr == MSR_X2APIC_ICR && apic_x2apic_mode_now()) {
		vapic_icr_write(v, val, true);
		ok = true;
	} else if (x2apic_lvt(msr, &off) && apic_x2apic_mode_now()) {
		ok = wrmsr_safe(msr, (val & ~0xffffffffULL) | vapic_lvt_filter(v, off, (u32)val));
	} else if (msr == MSR_IA32_APIC_BASE) {
		ok = vapic_base_write(v, val);
	} else if (vmtrr_is_mtrr(msr)) {
		ok = vmtrr_write(v, msr, val);
	} else {
		/* The feature control MSR is locked; writing a locked one is #GP (SDM Vol. 4, 2.1). */
		ok = msr != MSR_IA32_FEATURE_CONTROL && !is_vmx_msr(msr) && wrmsr_safe(msr, val);
	}
	if (ok)
		vcpu_skip_instruction_fast();
	else
		vcpu_inject_gp();
}
