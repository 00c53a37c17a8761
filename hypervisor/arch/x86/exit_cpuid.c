/* CPUID exits: the host's answers, minus VMX, SMX and what Plinth does not emulate, with the
 * CR4 mirrors (OSXSAVE, OSPKE) of the guest's CR4, plus the hypervisor bit and Plinth's leaves. */
#include <plinth/string.h>
#include <plinth_abi.h>
#include <x86/cpu.h>
#include <x86/processor.h>
#include <x86/tsc.h>
#include <x86/vmexit.h>
#include <x86/vmx.h>

/* Leaves 0x40000000-0x4fffffff are reserved for hypervisors (SDM Vol. 2A, CPUID): Plinth
 * answers all of them, with zeros past its own. */
#define PLINTH_CPUID_LEAF_LIMIT 0x4fffffff

/* Plinth's leaves, straight into the guest's registers (over the host's answer). Out of line:
 * exit_cpuid keeps no stack frame for them. */
static __noinline void plinth_leaf(u32 leaf, struct guest_regs *r)
{
	u32 sig[3];

	memcpy(sig, PLINTH_CPUID_SIGNATURE, sizeof(sig));
	r->rax = r->rbx = r->rcx = r->rdx = 0;
	if (leaf == PLINTH_CPUID_LEAF_BASE) {
		r->rax = PLINTH_CPUID_LEAF_MAX;
		r->rbx = sig[0];
		r->rcx = sig[1];
		r->rdx = sig[2];
	} else if (leaf == PLINTH_CPUID_LEAF_BASE + 1) {
		r->rax = PLINTH_ABI_VERSION;
		r->rbx = PLINTH_CPUID_FEATURE_EXIT_STATS | PLINTH_CPUID_FEATURE_TEST_PORT;
	}
}

/* The clock leaves (SDM Vol. 2A, CPUID): 0x15 the TSC/crystal ratio and the crystal in Hz,
 * 0x16 the base, maximum and bus frequencies in MHz. */
#define CPUID_LEAF_TSC_CRYSTAL 0x15
#define CPUID_LEAF_FREQUENCY 0x16

static u32 gcd(u32 a, u32 b)
{
	while (b) {
		u32 t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * A partition has no PIT, HPET or ACPI PM timer to measure its clocks against, so it is told the
 * rates Plinth measured at boot (tsc.c): leaf 0x15 with the local APIC timer's input clock as
 * the crystal and TSC/crystal as the ratio, leaf 0x16 with the TSC rate as the base frequency.
 * Linux 6.1 takes its TSC rate from 0x15 (tsc.c native_calibrate_tsc, which also sets
 * lapic_timer_period from the crystal and marks the rate known, so no refinement against a
 * timer it lacks) and cpu_khz from 0x16 (cpu_khz_from_cpuid). Leaf 0 then reaches 0x16 at
 * least, and leaves between the CPU's last and 0x15 read as zeros (not as the CPU's last leaf,
 * which a CPU returns for leaves past its maximum). Linux computes the TSC rate as
 * crystal_khz * EBX / EAX in 32 bits: the ratio is kept small enough for that.
 */
static __noinline void clock_leaf(u32 leaf, struct guest_regs *r)
{
	static u32 host_max; /* the CPU's last basic leaf, read once (the same on every CPU) */
	u32 tsc_khz = (u32)(tsc_hz() / 1000), crystal_khz = (u32)(tsc_apic_timer_hz() / 1000), num, den, g;

	if (!tsc_khz || !crystal_khz)
		return; /* nothing measured: the CPU's own answers */
	if (!host_max) {
		u32 x;

		cpuid(0, 0, &host_max, &x, &x, &x);
	}
	if (leaf == 0) {
		r->rax = MAX(r->rax, (u64)CPUID_LEAF_FREQUENCY);
	} else if (leaf == CPUID_LEAF_TSC_CRYSTAL) {
		g = gcd(tsc_khz, crystal_khz);
		num = tsc_khz / g;
		den = crystal_khz / g;
		while ((u64)crystal_khz * num > 0xffffffffu && den > 1) {
			num = (num + 1) / 2;
			den /= 2;
		}
		r->rax = den;
		r->rbx = num;
		r->rcx = crystal_khz * 1000;
		r->rdx = 0;
	} else if (leaf == CPUID_LEAF_FREQUENCY) {
		r->rax = r->rbx = tsc_khz / 1000;
		r->rcx = crystal_khz / 1000;
		r->rdx = 0;
	} else if (leaf > host_max) {
		r->rax = r->rbx = r->rcx = r->rdx = 0;
	}
}

/* The host's answer, executed here, straight into the guest's registers (in 64-bit mode CPUID
 * clears their upper halves, as the guest's own would). */
static inline __attribute__((always_inline)) void host_leaf(u32 leaf, u32 sub, struct guest_regs *r)
{
	u64 a, b, c, d;

	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(sub));
	r->rax = a;
	r->rbx = b;
	r->rcx = c;
	r->rdx = d;
}

/* The leaves of v's cpuid_fixups and Plinth's own, out of line. For the first, the host's
 * answer and what Plinth changes in it: the bits that mirror CR4 (executed in VMX root, they
 * show Plinth's CR4, not the guest's), the ones Plinth hides or adds, and a partition's clock
 * leaves. */
static __noinline void special_leaf(struct guest_regs *r)
{
	u32 leaf = (u32)r->rax, sub = (u32)r->rcx;

	if (leaf > CPUID_LEAF_FREQUENCY) {
		plinth_leaf(leaf, r);
		return;
	}
	host_leaf(leaf, sub, r);
	switch (leaf) {
	case 1:
		r->rcx = (r->rcx & ~(u64)(CPUID_1_ECX_VMX | CPUID_1_ECX_SMX | CPUID_1_ECX_OSXSAVE)) |
			 CPUID_1_ECX_HYPERVISOR |
			 (vmcs_read(VMCS_GUEST_CR4) & X86_CR4_OSXSAVE ? CPUID_1_ECX_OSXSAVE : 0);
		break;
	case 7:
		if (sub == 0)
			r->rcx = (r->rcx & ~(u64)CPUID_7_ECX_OSPKE) |
				 (vmcs_read(VMCS_GUEST_CR4) & X86_CR4_PKE ? CPUID_7_ECX_OSPKE : 0);
		else if (sub == 1)
			r->rcx &= ~(u64)CPUID_7_1_ECX_MSR_IMM; /* not emulated (tools/exits.py) */
		break;
	default:
		clock_leaf(leaf, r); /* a partition's (and leaf 0, which must reach them) */
		break;
	}
}

void exit_cpuid_vcpu_init(struct vcpu *v)
{
	u32 max, x, leaf;

	v->cpuid_fixups = BIT(1) | BIT(7);
	if (!v->vm->partition)
		return;
	cpuid(0, 0, &max, &x, &x, &x);
	/* clock_leaf's: leaf 0, the clock leaves, and the ones past the CPU's last up to them. */
	v->cpuid_fixups |= BIT(0) | BIT(CPUID_LEAF_TSC_CRYSTAL) | BIT(CPUID_LEAF_FREQUENCY);
	for (leaf = max + 1; leaf < CPUID_LEAF_FREQUENCY; leaf++)
		if (leaf != 1 && leaf != 7)
			v->cpuid_fixups |= BIT(leaf);
}

/* The host's answer, or for a leaf of v's cpuid_fixups and Plinth's leaves special_leaf's: one
 * test on the path of every other leaf, decided before the CPUID so that nothing lives across
 * it. */
void exit_cpuid(struct vcpu *v)
{
	struct guest_regs *r = v->regs;
	u32 leaf = (u32)r->rax, sub = (u32)r->rcx;
	bool special = leaf <= CPUID_LEAF_FREQUENCY
			       ? v->cpuid_fixups >> leaf & 1
			       : leaf - PLINTH_CPUID_LEAF_BASE <= PLINTH_CPUID_LEAF_LIMIT - PLINTH_CPUID_LEAF_BASE;

	if (__builtin_expect(special, 0))
		special_leaf(r); /* which reads the leaf again: nothing to keep here */
	else
		host_leaf(leaf, sub, r);
	vcpu_skip_instruction_fast();
}
