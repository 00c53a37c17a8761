/* Local APIC access for IPIs: MMIO in xAPIC mode, MSRs 0x800+ in x2APIC mode. */
#include <x86/apic.h>
#include <x86/cpu.h>

#define XAPIC_ID 0x20
#define XAPIC_ICR_LOW 0x300
#define XAPIC_ICR_HIGH 0x310
#define X2APIC_MSR_ID 0x802
#define X2APIC_MSR_ICR 0x830
#define ICR_DELIVERY_PENDING BIT(12)
#define ICR_SPINS 1000000

static volatile u32 *xapic;
static bool x2apic;

void apic_init(void)
{
	u64 base = rdmsr(MSR_IA32_APIC_BASE);

	x2apic = base & APIC_BASE_X2APIC;
	/* The 4 GiB identity map covers the xAPIC page (normally 0xfee00000). */
	xapic = (volatile u32 *)(uintptr_t)(base & 0xffffff000ULL);
}

bool apic_x2apic_mode(void)
{
	return x2apic;
}

u32 apic_id(void)
{
	if (x2apic)
		return (u32)rdmsr(X2APIC_MSR_ID);
	return xapic[XAPIC_ID / 4] >> 24;
}

bool apic_send_ipi(u32 dest, u32 icr_low)
{
	int spins = ICR_SPINS;

	if (x2apic) {
		/* x2APIC: one 64-bit write, no delivery-status bit to poll (SDM 11.12.9). */
		wrmsr(X2APIC_MSR_ICR, ((u64)dest << 32) | icr_low);
		return true;
	}
	xapic[XAPIC_ICR_HIGH / 4] = dest << 24;
	xapic[XAPIC_ICR_LOW / 4] = icr_low;
	while ((xapic[XAPIC_ICR_LOW / 4] & ICR_DELIVERY_PENDING) && --spins)
		__builtin_ia32_pause();
	return spins > 0;
}

bool apic_x2apic_mode_now(void)
{
	return rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_X2APIC;
}
