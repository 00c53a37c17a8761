/*
 * Checks of a hostile guest in a partition (issue 14, test 3):
 * - isolation: on its first start, IPIs of every kind (INIT, SIPI, NMI, fixed) in every
 *   destination form (physical to APIC ids 0-7, xAPIC logical flat and cluster, the broadcast
 *   id, the all and all-but-self shorthands; then again through the x2APIC ICR MSR where there
 *   is an x2APIC), all meant for CPUs that are not this VM's, then a triple fault. Plinth must
 *   drop every one (the other VMs run on) and stop this VM alone. It leaves a mark in its RAM
 *   first: after a restart (Plinth does not clear a restarted VM's RAM) it sees the mark and
 *   passes, so the checks after it show the VM running again.
 * - write_past_ram: writes the byte just past the RAM the command line's ram= word names: an
 *   EPT violation, which stops this VM alone.
 */
#include <plinth/string.h>
#include "checks.h"
#include "hostile.h"
#include "x86.h"

#define MARK_ADDR 0x1ff000 /* below 2 MiB, above the guest image (GUEST_LIMIT) */
#define MARK_VALUE 0x50415254495449ULL /* "PARTITI" */
#define APIC_ICR_LOW 0x300
#define DEST_IDS 8
#define FIXED_VECTOR 0x40
#define APIC_BASE_EXTD_EN (BIT(10) | BIT(11))

static const u32 modes[] = { ICR_INIT | ICR_ASSERT, ICR_STARTUP | 0x07, ICR_NMI, FIXED_VECTOR };
static u32 self_id;
static volatile u32 self_nmis;

/* Whether a form that includes this CPU may be used: an INIT would reset it (as on hardware);
 * its own SIPIs are ignored (it waits for none), NMIs counted, the fixed vector left pending. */
static bool self_ok(u32 mode)
{
	return (mode & (7u << 8)) != ICR_INIT;
}

static void count_nmi(bool bsp)
{
	(void)bsp;
	self_nmis++;
}

/* Every destination form of the xAPIC ICR (dest in bits 63:56) for one delivery mode. This
 * CPU's logical id stays 0: no logical form names it. */
static void xapic_all_forms(u32 mode)
{
	u32 id;

	for (id = 0; id < DEST_IDS; id++)
		if (id != self_id || self_ok(mode))
			apic_ipi(id, mode); /* physical, VM a's APIC id among them */
	if (self_ok(mode)) {
		apic_ipi(0xff, mode);		    /* broadcast */
		apic_ipi(0xff, mode | ICR_LOGICAL); /* logical broadcast */
		apic_ipi(0, mode | (2u << 18));	    /* shorthand: all including self */
	}
	apic_ipi(0x01, mode | ICR_LOGICAL); /* flat: logical id bit 0 (VM a's) */
	apic_ipi(0x0f, mode | ICR_LOGICAL); /* flat: bits 0-3; cluster model: cluster 0, members 0-3 */
	apic_ipi(0x11, mode | ICR_LOGICAL); /* cluster 1, member 0 */
	apic_ipi(0, mode | ICR_ALL_BUT_SELF);
}

static void x2apic_all_forms(u32 mode)
{
	u32 id, members = 0xffff & ~(self_ok(mode) ? 0 : 1u << (self_id & 0xf));

	for (id = 0; id < DEST_IDS; id++)
		if (id != self_id || self_ok(mode))
			wrmsr(MSR_X2APIC_ICR, (u64)id << 32 | mode);
	if (self_ok(mode))
		wrmsr(MSR_X2APIC_ICR, 0xffffffffULL << 32 | mode); /* broadcast */
	wrmsr(MSR_X2APIC_ICR, (u64)members << 32 | mode | ICR_LOGICAL); /* cluster 0 */
	wrmsr(MSR_X2APIC_ICR, 0x00010001ULL << 32 | mode | ICR_LOGICAL); /* cluster 1, member 0 */
	wrmsr(MSR_X2APIC_ICR, (u64)(mode | ICR_ALL_BUT_SELF));
}

void check_isolation(void)
{
	volatile u64 *mark = (volatile u64 *)MARK_ADDR;
	u32 i;

	if (*mark == MARK_VALUE) {
		check_info("isolation: started again after the triple fault (the mark is there)");
		*mark = 0;
		return;
	}
	*mark = MARK_VALUE;
	self_id = CPUID_1_EBX_APIC_ID(cpuid_leaf(1).ebx);
	nmi_hook = count_nmi;
	for (i = 0; i < ARRAY_SIZE(modes); i++)
		xapic_all_forms(modes[i]);
	check_info("isolation: xAPIC IPIs sent");
	if (cpuid_leaf(1).ecx & BIT(21)) {
		wrmsr(MSR_IA32_APIC_BASE, rdmsr(MSR_IA32_APIC_BASE) | APIC_BASE_EXTD_EN);
		for (i = 0; i < ARRAY_SIZE(modes); i++)
			x2apic_all_forms(modes[i]);
		check_info("isolation: x2APIC IPIs sent");
	} else {
		check_info("isolation: no x2APIC");
	}
	check_info("isolation: %u NMIs of its own taken; triple fault next", self_nmis);
	asm volatile("lidt %0; int3" ::"m"((struct { u16 limit; u64 base; } __attribute__((packed))){ 0, 0 }));
	check_expect(false, "the triple fault returned");
}

void check_write_past_ram(void)
{
	u64 end = 0;
	const char *s = guest_cmdline;

	for (; *s; s++)
		if (!memcmp(s, "ram=", 4))
			break;
	if (!check_expect(*s, "no ram=SIZE word on the command line"))
		return;
	for (s += 4; *s >= '0' && *s <= '9'; s++)
		end = end * 10 + (u64)(*s - '0');
	end <<= *s == 'M' ? 20 : *s == 'K' ? 10 : 0;
	check_info("write_past_ram: writing at 0x%lx", end);
	*(volatile u8 *)end = 0x5a;
	check_expect(false, "the write past the VM's RAM at 0x%lx went through", end);
}
