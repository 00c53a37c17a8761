/*
 * ap: start the other CPUs with INIT-SIPI-SIPI through the xAPIC, as an OS does (SDM Vol. 3A,
 * 9.4.4.1 "Typical BSP Initialization Sequence"), and have each go real mode -> protected
 * mode -> long mode (trampoline.S, entry.S) -> ap_main(), where it checks in. Under Plinth
 * this proves the INIT and SIPI exits: an AP waits in wait-for-SIPI and must start at the
 * guest's SIPI vector in real mode (unrestricted guest), then run the guest's own mode
 * switches.
 */
#include <plinth/format.h>
#include <plinth/string.h>
#include "checks.h"
#include "hostile.h"
#include "guest_layout.h"
#include "pit.h"
#include "trap.h"
#include "x86.h"

/* xAPIC registers, offsets from the APIC base (SDM Vol. 3A, table 11-1) and ICR fields
 * (11.6.1). */
#define APIC_SVR 0xf0
#define APIC_SVR_ENABLE BIT(8)
#define APIC_SVR_VECTOR 0xff
#define APIC_ICR_LOW 0x300
#define APIC_ICR_HIGH 0x310
#define ICR_DELIVERY_INIT (5u << 8)
#define ICR_DELIVERY_STARTUP (6u << 8)
#define ICR_SEND_PENDING BIT(12)
#define ICR_LEVEL_ASSERT BIT(14)
#define ICR_ALL_EXCLUDING_SELF (3u << 18)

/* Delays of the SDM's sequence; the wait for check-ins is generous for Bochs under Plinth,
 * and ends once an AP has checked in and no other has followed for a little while (each of
 * up to AP_MAX APs gets its INIT and SIPIs from Plinth in turn). */
#define INIT_DELAY_US 10000
#define SIPI_DELAY_US 200
#define CHECKIN_WAIT_MS 2000
#define CHECKIN_POLL_MS 10
#define STRAGGLER_WAIT_MS 50
#define ICR_POLL_LIMIT 1000000

/* What an AP reports; `done` is written last (release), read first (acquire). */
struct ap_checkin {
	u32 done;
	u32 apic_id;
	u64 efer;
};

static struct ap_checkin checkins[AP_MAX];
/* The next free AP slot: entry.S takes one with LOCK XADD per AP that reaches long mode. */
u32 ap_next_index;
static struct {
	u32 hit;
	u64 vector, error_code, rip;
} ap_exception;

extern const char ap_trampoline_start[], ap_trampoline_end[];

/* An AP in 64-bit mode, on its own stack, after entry.S. Never returns. */
void ap_main(u32 index)
{
	struct ap_checkin *me = &checkins[index];

	trap_load_idt();
	me->apic_id = CPUID_1_EBX_APIC_ID(cpuid_leaf(1).ebx);
	me->efer = rdmsr(MSR_EFER);
	__atomic_store_n(&me->done, 1, __ATOMIC_RELEASE);
	if (ap_job)
		ap_job(index); /* a hostile check's work (hostile.h) */
	halt_forever();
}

/* From trap_handler() on an AP: kept for check_ap() to report. */
void ap_record_exception(u64 vector, u64 error_code, u64 rip)
{
	ap_exception.vector = vector;
	ap_exception.error_code = error_code;
	ap_exception.rip = rip;
	__atomic_store_n(&ap_exception.hit, 1, __ATOMIC_RELEASE);
}

static volatile u32 *apic_reg(u64 base, u32 offset)
{
	return (volatile u32 *)(base + offset);
}

/* Sends one IPI; false if the APIC stays busy (delivery status never clears). */
static bool send_ipi(u64 apic, u32 icr_low)
{
	u32 n;

	for (n = 0; n < ICR_POLL_LIMIT && (*apic_reg(apic, APIC_ICR_LOW) & ICR_SEND_PENDING); n++)
		cpu_relax();
	*apic_reg(apic, APIC_ICR_HIGH) = 0; /* destination: unused with a shorthand */
	*apic_reg(apic, APIC_ICR_LOW) = icr_low;
	for (n = 0; n < ICR_POLL_LIMIT && (*apic_reg(apic, APIC_ICR_LOW) & ICR_SEND_PENDING); n++)
		cpu_relax();
	return n < ICR_POLL_LIMIT;
}

static unsigned count_checkins(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < AP_MAX; i++)
		n += __atomic_load_n(&checkins[i].done, __ATOMIC_ACQUIRE);
	return n;
}

/* INIT, 10 ms, SIPI, 200 us, SIPI to all CPUs but this one; false with a failure recorded. */
bool start_aps(u64 apic)
{
	const u32 sipi = ICR_ALL_EXCLUDING_SELF | ICR_LEVEL_ASSERT | ICR_DELIVERY_STARTUP | AP_SIPI_VECTOR;

	if (!check_expect(send_ipi(apic, ICR_ALL_EXCLUDING_SELF | ICR_LEVEL_ASSERT | ICR_DELIVERY_INIT),
			  "INIT IPI: ICR delivery status stays pending"))
		return false;
	if (!check_expect(pit_delay_us(INIT_DELAY_US), "PIT channel 2 does not count down"))
		return false;
	for (int i = 0; i < 2; i++) {
		if (!check_expect(send_ipi(apic, sipi), "SIPI %d: ICR delivery status stays pending", i + 1))
			return false;
		pit_delay_us(SIPI_DELAY_US);
	}
	return true;
}

static void report_checkins(u32 bsp_id)
{
	char list[200]; /* AP_MAX entries of "apic id N efer 0x500, " */
	size_t len = 0;

	list[0] = '\0';
	for (unsigned i = 0; i < AP_MAX; i++) {
		const struct ap_checkin *c = &checkins[i];

		if (!__atomic_load_n(&c->done, __ATOMIC_ACQUIRE))
			continue;
		if (len < sizeof(list))
			len += (size_t)format(list + len, sizeof(list) - len, "%sapic id %u efer 0x%lx",
					      len ? ", " : "", c->apic_id, c->efer);
		check_expect(c->efer & EFER_LMA, "AP with APIC id %u: EFER 0x%lx has LMA clear",
			     c->apic_id, c->efer);
		check_expect(c->apic_id != bsp_id, "an AP reports the BSP's APIC id %u", bsp_id);
		for (unsigned j = 0; j < i; j++)
			if (__atomic_load_n(&checkins[j].done, __ATOMIC_ACQUIRE))
				check_expect(checkins[j].apic_id != c->apic_id,
					     "APs %u and %u both report APIC id %u", j, i, c->apic_id);
	}
	check_info("ap: BSP APIC id %u; %u AP(s) checked in: %s", bsp_id, count_checkins(),
		   len ? list : "none");
}

void check_ap(void)
{
	u32 bsp_id = CPUID_1_EBX_APIC_ID(cpuid_leaf(1).ebx);
	unsigned waited_ms = 0;
	u64 apic_base, apic;

	if (!check_expect_no_fault(safe_rdmsr(MSR_IA32_APIC_BASE, &apic_base), "RDMSR IA32_APIC_BASE"))
		return;
	apic = apic_base & ~(u64)0xfff;
	if (!check_expect(apic_base & APIC_BASE_EN, "local APIC disabled (IA32_APIC_BASE 0x%lx)", apic_base) ||
	    !check_expect(!(apic_base & APIC_BASE_EXTD),
			  "local APIC in x2APIC mode, no MMIO (IA32_APIC_BASE 0x%lx)", apic_base) ||
	    !check_expect(apic < 4 * GIB, "APIC base 0x%lx beyond the 4 GiB the guest maps", apic) ||
	    !check_expect(ap_trampoline_in_ram != 0, "0x%x is not available RAM in the memory map",
			  AP_TRAMPOLINE_BASE))
		return;

	/* Again from scratch if run twice: INIT resets the APs of the first run. */
	memset(checkins, 0, sizeof(checkins));
	__atomic_store_n(&ap_next_index, 0, __ATOMIC_RELEASE);
	memcpy((void *)AP_TRAMPOLINE_BASE, ap_trampoline_start,
	       (size_t)(ap_trampoline_end - ap_trampoline_start));
	/* Software-enable the APIC in case the firmware left it disabled (SDM Vol. 3A, 11.4.7.2). */
	*apic_reg(apic, APIC_SVR) = *apic_reg(apic, APIC_SVR) | APIC_SVR_ENABLE | APIC_SVR_VECTOR;

	if (!start_aps(apic))
		return;
	while (!count_checkins() && !__atomic_load_n(&ap_exception.hit, __ATOMIC_ACQUIRE) &&
	       waited_ms < CHECKIN_WAIT_MS) {
		pit_delay_us(CHECKIN_POLL_MS * 1000);
		waited_ms += CHECKIN_POLL_MS;
	}
	for (unsigned seen = 0; count_checkins() > seen;) {
		seen = count_checkins();
		pit_delay_us(STRAGGLER_WAIT_MS * 1000);
	}

	report_checkins(bsp_id);
	if (__atomic_load_n(&ap_exception.hit, __ATOMIC_ACQUIRE))
		check_expect(false, "an AP took %s error code 0x%lx at rip 0x%lx",
			     trap_vector_name(ap_exception.vector), ap_exception.error_code, ap_exception.rip);
	check_expect(count_checkins() > 0,
		     "no AP checked in within %u ms of the SIPIs (%u reached long mode; SIPI vector 0x%02x)",
		     waited_ms, __atomic_load_n(&ap_next_index, __ATOMIC_ACQUIRE), AP_SIPI_VECTOR);
}
