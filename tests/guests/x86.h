/*
 * The guest's own x86 wrappers and register bits (names as in the Intel SDM). The guest is a
 * separate program from Plinth, so it does not share Plinth's arch headers: a change to
 * Plinth's internals must not change what its test guest checks.
 * Instructions that are expected to fault live in guarded.h instead.
 */
#ifndef GUEST_X86_H
#define GUEST_X86_H

#include <plinth/types.h>
#include <x86/cpu.h> /* port I/O, MSRs, control registers, RDTSC: Plinth's own wrappers */

/* Exception vectors (SDM Vol. 3A, table 7-1). */
#define X86_DE 0
#define X86_DB 1
#define X86_NMI 2
#define X86_BP 3
#define X86_UD 6
#define X86_DF 8
#define X86_GP 13
#define X86_PF 14
#define X86_EXCEPTIONS 32

/* RFLAGS.TF (SDM Vol. 1, 3.4.3) and DR6.BS, which a single-step #DB sets (SDM Vol. 3B, 18.2.3). */
#define GUEST_RFLAGS_TF BIT(8)
#define GUEST_DR6_BS BIT(14)

#define X86_CR4_TSD BIT(2)
#define X86_CR4_PAE BIT(5)
#define X86_CR4_VMXE BIT(13)
#define X86_CR4_OSXSAVE BIT(18)

/* CPUID.1 (SDM Vol. 2A, CPUID, table 3-10). */
#define CPUID_1_ECX_VMX BIT(5)
#define CPUID_1_ECX_XSAVE BIT(26)
#define CPUID_1_ECX_HYPERVISOR BIT(31) /* reserved for hypervisors: 0 on bare metal */
#define CPUID_1_EBX_APIC_ID(ebx) ((ebx) >> 24)
#define CPUID_0D_EAX_AVX BIT(2)        /* CPUID.(EAX=0DH,ECX=0):EAX: XCR0 bits supported */

#define MSR_IA32_FEATURE_CONTROL 0x3a
#define FEATURE_CONTROL_LOCK BIT(0)
#define FEATURE_CONTROL_VMX_IN_SMX BIT(1)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX BIT(2)
#define MSR_IA32_APIC_BASE 0x1b
#define APIC_BASE_EXTD BIT(10) /* x2APIC mode */
#define APIC_BASE_EN BIT(11)
#define MSR_IA32_VMX_BASIC 0x480
#define MSR_EFER 0xc0000080
#define EFER_LME BIT(8)
#define EFER_LMA BIT(10)
#define MSR_KERNEL_GS_BASE 0xc0000102

#define XCR0_X87 BIT(0)
#define XCR0_SSE BIT(1)
#define XCR0_AVX BIT(2)

struct cpuid_regs {
	u32 eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid_count(u32 leaf, u32 subleaf)
{
	struct cpuid_regs r;

	asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
		     : "a"(leaf), "c"(subleaf));
	return r;
}

static inline struct cpuid_regs cpuid_leaf(u32 leaf)
{
	return cpuid_count(leaf, 0);
}

static inline void cpu_relax(void)
{
	asm volatile("pause" ::: "memory");
}

static inline __noreturn void halt_forever(void)
{
	for (;;)
		asm volatile("cli; hlt" ::: "memory");
}

#endif
