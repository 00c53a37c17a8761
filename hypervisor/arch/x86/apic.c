/* Local APIC access for IPIs: MMIO in xAPIC mode, MSRs 0x800+ in x2APIC mode, whichever this
 * CPU's APIC is in at the time. */
#include <x86/apic.h>
#include <x86/cpu.h>
#include <x86/processor.h>

#define ICR_SPINS 1000000
/* Spurious-interrupt vector register and interrupt request register (SDM Vol. 3A, 11.9 and
 * 11.8.4): eight 32-bit IRR words, 16 bytes apart (x2APIC: one MSR each). */
#define XAPIC_SVR 0xf0
#define APIC_SVR_ENABLE BIT(8)
#define XAPIC_IRR 0x200

static volatile u32 *xapic;

void apic_init(void)
{
	/* The 4 GiB identity map covers the xAPIC page (normally 0xfee00000), which no guest can
	 * move (apic_base.c). */
	xapic = (volatile u32 *)(uintptr_t)apic_page();
}

hpa_t apic_page(void)
{
	return rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_ADDR_MASK;
}

u32 apic_id(void)
{
	if (apic_x2apic_mode_now())
		return (u32)rdmsr(MSR_X2APIC_ID);
	return xapic[XAPIC_ID / 4] >> 24;
}

/* A register by its xAPIC offset, in the mode the APIC is in now. */
static u32 reg_read(u32 offset)
{
	if (apic_x2apic_mode_now())
		return (u32)rdmsr(MSR_X2APIC_BASE + offset / 16);
	return xapic[offset / 4];
}

static void reg_write(u32 offset, u32 value)
{
	if (apic_x2apic_mode_now())
		wrmsr(MSR_X2APIC_BASE + offset / 16, value);
	else
		xapic[offset / 4] = value;
}

void apic_timer_count_down(void)
{
	reg_write(XAPIC_LVT_TIMER, APIC_LVT_MASKED); /* one-shot, masked: it interrupts nobody */
	reg_write(XAPIC_TIMER_DIVIDE, APIC_TIMER_DIVIDE_1);
	reg_write(XAPIC_TIMER_INITIAL, 0xffffffffu);
}

u32 apic_timer_current(void)
{
	return reg_read(XAPIC_TIMER_CURRENT);
}

void apic_timer_stop(void)
{
	reg_write(XAPIC_TIMER_INITIAL, 0);
}

bool apic_send_ipi(u32 dest, u32 icr_low)
{
	int spins = ICR_SPINS;

	/* The mode is this CPU's now: a guest may have switched its APIC to x2APIC. */
	if (apic_x2apic_mode_now()) {
		/* x2APIC: one 64-bit write, no delivery-status bit to poll (SDM 11.12.9). */
		wrmsr(MSR_X2APIC_ICR, ((u64)dest << 32) | icr_low);
		return true;
	}
	xapic[XAPIC_ICR_HIGH / 4] = dest << 24;
	xapic[XAPIC_ICR_LOW / 4] = icr_low;
	while ((xapic[XAPIC_ICR_LOW / 4] & APIC_ICR_PENDING) && --spins)
		__builtin_ia32_pause();
	return spins > 0;
}

bool apic_x2apic_mode_now(void)
{
	return rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_X2APIC;
}

bool apic_irr_pending(u8 vector)
{
	return reg_read(XAPIC_IRR + (vector / 32u) * 16) & BIT(vector % 32u);
}

bool apic_software_enable(void)
{
	u32 svr = reg_read(XAPIC_SVR);

	if (svr & APIC_SVR_ENABLE)
		return true;
	reg_write(XAPIC_SVR, svr | APIC_SVR_ENABLE);
	return false;
}
