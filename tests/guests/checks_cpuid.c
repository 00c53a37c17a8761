/*
 * cpuid: what Plinth's CPUID exit handler shows the guest (DESIGN.md "CPU virtualisation"):
 * the hypervisor bit set, VMX hidden, and Plinth's leaves at 0x40000000.
 */
#include <plinth/string.h>
#include "checks.h"
#include "plinth_abi.h"
#include "x86.h"

#define ROUNDTRIP_RUNS 16

/* Fewest TSC ticks for one CPUID, over a few runs (the first ones warm caches). Under Bochs
 * the TSC counts instructions, so this is the exit path's instruction count. */
static u64 cpuid_roundtrip_tsc(void)
{
	u64 best = ~0ull;

	for (int i = 0; i < ROUNDTRIP_RUNS; i++) {
		u64 t0 = rdtsc();
		cpuid_leaf(PLINTH_CPUID_LEAF_BASE);
		u64 t1 = rdtsc();

		best = MIN(best, t1 - t0);
	}
	return best;
}

void check_cpuid(void)
{
	struct cpuid_regs r = cpuid_leaf(1);
	char signature[13];

	check_expect(r.ecx & CPUID_1_ECX_HYPERVISOR,
		     "CPUID.1:ECX.hypervisor[bit 31] is 0 (ECX 0x%x)", r.ecx);
	check_expect(!(r.ecx & CPUID_1_ECX_VMX), "CPUID.1:ECX.VMX[bit 5] is 1 (ECX 0x%x)", r.ecx);

	r = cpuid_leaf(PLINTH_CPUID_LEAF_BASE);
	memcpy(signature, &r.ebx, 4);
	memcpy(signature + 4, &r.ecx, 4);
	memcpy(signature + 8, &r.edx, 4);
	signature[12] = '\0';
	check_expect(r.eax >= PLINTH_CPUID_LEAF_MAX, "CPUID.0x%x:EAX (max leaf) is 0x%x, below 0x%x",
		     PLINTH_CPUID_LEAF_BASE, r.eax, PLINTH_CPUID_LEAF_MAX);
	/* Printed as hex too: a bare-metal CPU may return non-printable bytes here. */
	check_expect(!memcmp(signature, PLINTH_CPUID_SIGNATURE, 12),
		     "CPUID.0x%x signature is EBX 0x%x ECX 0x%x EDX 0x%x, not \"%s\"",
		     PLINTH_CPUID_LEAF_BASE, r.ebx, r.ecx, r.edx, PLINTH_CPUID_SIGNATURE);

	r = cpuid_leaf(PLINTH_CPUID_LEAF_BASE + 1);
	check_expect(r.eax == PLINTH_ABI_VERSION, "CPUID.0x%x:EAX (ABI version) is 0x%x, not 0x%x",
		     PLINTH_CPUID_LEAF_BASE + 1, r.eax, PLINTH_ABI_VERSION);

	check_info("cpuid_roundtrip_tsc=%lu", cpuid_roundtrip_tsc());
}
