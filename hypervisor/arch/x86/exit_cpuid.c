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

static void plinth_leaf(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
	*a = *b = *c = *d = 0;
	if (leaf == PLINTH_CPUID_LEAF_BASE) {
		*a = PLINTH_CPUID_LEAF_MAX;
		memcpy(b, PLINTH_CPUID_SIGNATURE, 4);
		memcpy(c, PLINTH_CPUID_SIGNATURE + 4, 4);
		memcpy(d, PLINTH_CPUID_SIGNATURE + 8, 4);
	} else if (leaf == PLINTH_CPUID_LEAF_BASE + 1) {
		*a = PLINTH_ABI_VERSION;
		*b = PLINTH_CPUID_FEATURE_EXIT_STATS | PLINTH_CPUID_FEATURE_TEST_PORT;
	}
}

void exit_cpuid(struct vcpu *v)
{
	struct guest_regs *r = v->regs;
	u32 leaf = (u32)r->rax, sub = (u32)r->rcx, a, b, c, d;

	if (leaf >= PLINTH_CPUID_LEAF_BASE && leaf <= PLINTH_CPUID_LEAF_LIMIT) {
		plinth_leaf(leaf, &a, &b, &c, &d);
	} else {
		/* Executed in VMX root: bits that mirror CR4 show Plinth's CR4, not the guest's. */
		u64 cr4 = vmcs_read(VMCS_GUEST_CR4);

		cpuid(leaf, sub, &a, &b, &c, &d);
		if (leaf == 1)
			c = (c & ~(CPUID_1_ECX_VMX | CPUID_1_ECX_SMX | CPUID_1_ECX_OSXSAVE)) | CPUID_1_ECX_HYPERVISOR |
			    (cr4 & X86_CR4_OSXSAVE ? CPUID_1_ECX_OSXSAVE : 0);
		else if (leaf == 7 && sub == 0)
			c = (c & ~CPUID_7_ECX_OSPKE) | (cr4 & X86_CR4_PKE ? CPUID_7_ECX_OSPKE : 0);
		else if (leaf == 7 && sub == 1)
			c &= ~CPUID_7_1_ECX_MSR_IMM; /* not emulated (tools/exits.py) */
	}
	r->rax = a;
	r->rbx = b;
	r->rcx = c;
	r->rdx = d;
	vcpu_skip_instruction();
}
