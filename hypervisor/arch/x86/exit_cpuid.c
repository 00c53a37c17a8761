/* CPUID exits: the host's answers, minus VMX, SMX and what Plinth does not emulate, with the
 * CR4 mirrors (OSXSAVE, OSPKE) of the guest's CR4, plus the hypervisor bit and Plinth's leaves. */
#include <plinth/string.h>
#include <plinth_abi.h>
#include <x86/cpu.h>
#include <x86/processor.h>
#include <x86/vmexit.h>
#include <x86/vmx.h>

/* Leaves 0x40000000-0x4fffffff are reserved for hypervisors (SDM Vol. 2A, CPUID): Plinth
 * answers all of them, with zeros past its own. */
#define PLINTH_CPUID_LEAF_LIMIT 0x4fffffff

/* Plinth's leaves, straight into the guest's registers. Out of line: exit_cpuid keeps no
 * stack frame for them. */
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
	vcpu_skip_instruction_fast();
}

/* The host's answer, executed here, straight into the guest's registers (in 64-bit mode CPUID
 * clears their upper halves, as the guest's own would), then what Plinth changes in it. Answers
 * of Plinth's own for a host leaf go in the switch, one case per leaf. */
void exit_cpuid(struct vcpu *v)
{
	struct guest_regs *r = v->regs;
	u32 leaf = (u32)r->rax, sub = (u32)r->rcx;
	u64 a, b, c, d;

	if (leaf - PLINTH_CPUID_LEAF_BASE <= PLINTH_CPUID_LEAF_LIMIT - PLINTH_CPUID_LEAF_BASE) {
		plinth_leaf(leaf, r);
		return;
	}
	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(sub));
	/* Executed in VMX root: bits that mirror CR4 show Plinth's CR4, not the guest's (read for
	 * those leaves only). */
	switch (leaf) {
	case 1:
		c = (c & ~(u64)(CPUID_1_ECX_VMX | CPUID_1_ECX_SMX | CPUID_1_ECX_OSXSAVE)) | CPUID_1_ECX_HYPERVISOR |
		    (vmcs_read(VMCS_GUEST_CR4) & X86_CR4_OSXSAVE ? CPUID_1_ECX_OSXSAVE : 0);
		break;
	case 7:
		if (sub == 0)
			c = (c & ~(u64)CPUID_7_ECX_OSPKE) |
			    (vmcs_read(VMCS_GUEST_CR4) & X86_CR4_PKE ? CPUID_7_ECX_OSPKE : 0);
		else if (sub == 1)
			c &= ~(u64)CPUID_7_1_ECX_MSR_IMM; /* not emulated (tools/exits.py) */
		break;
	}
	r->rax = a;
	r->rbx = b;
	r->rcx = c;
	r->rdx = d;
	vcpu_skip_instruction_fast();
}
