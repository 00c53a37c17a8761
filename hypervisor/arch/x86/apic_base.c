/*
 * IA32_APIC_BASE as the guest sees it (SDM Vol. 3A, 11.4.4, 11.12.5). The base address never
 * moves: an APIC moved into the guest's RAM would take ICR writes without an exit, one moved
 * onto Plinth's range would turn Plinth's own memory accesses into APIC accesses. A global
 * disable is refused too: a disabled APIC takes no IPIs, Plinth's kicks included, and Bochs
 * cannot enable one again. Both are a #GP, as reserved bits and invalid mode transitions are
 * on hardware; the one change that goes through is xAPIC -> x2APIC, made on the real APIC.
 * The BSP flag stays the CPU's.
 */
#include <x86/cpu.h>
#include <x86/processor.h>
#include <x86/vapic.h>

#define APIC_BASE_BSP BIT(8)
#define CPUID_1_ECX_X2APIC BIT(21)

static u64 address_mask(void)
{
	return ((1ULL << cpu_phys_bits()) - 1) & ~0xfffULL;
}

u64 vapic_base_read(struct vcpu *v)
{
	return v->apic.base_msr;
}

bool vapic_base_write(struct vcpu *v, u64 value)
{
	u64 cur = v->apic.base_msr, changed = value ^ cur;
	u32 a, b, c, d;

	value = (value & ~APIC_BASE_BSP) | (cur & APIC_BASE_BSP);
	if (value & ~(address_mask() | APIC_BASE_BSP | APIC_BASE_X2APIC | APIC_BASE_ENABLE))
		return false; /* reserved bits */
	if ((changed & APIC_BASE_ADDR_MASK) || !(value & APIC_BASE_ENABLE))
		return false; /* refused: the APIC stays where it is, enabled */
	if (!(changed & APIC_BASE_X2APIC))
		return true;
	/* x2APIC -> xAPIC needs a disable in between (SDM Figure 11-27); x2APIC needs CPUID. */
	cpuid(1, 0, &a, &b, &c, &d);
	if (!(value & APIC_BASE_X2APIC) || !(c & CPUID_1_ECX_X2APIC))
		return false;
	wrmsr(MSR_IA32_APIC_BASE, rdmsr(MSR_IA32_APIC_BASE) | APIC_BASE_X2APIC);
	v->apic.base_msr = value;
	v->apic.x2apic = true;
	return true;
}
