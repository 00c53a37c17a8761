/*
 * The local APIC and the IPIs a guest sends (issue 13, findings 6, 8 and 13). Each check that
 * needs an AP starts it with INIT-SIPI-SIPI and gives it a job (hostile.h).
 * - apic_forms: xAPIC register writes with MOV r/m, MOV imm, MOV moffs (movabs), XCHG (the old
 *   value comes back), MOVNTI and STOS are emulated (Plinth once stopped the VM for all but
 *   MOV 88/89/C6/C7); a 16-bit write is undefined and dropped.
 * - exc_mode: in real mode on an AP, WRMSR to IA32_FEATURE_CONTROL and RDMSR of IA32_VMX_BASIC
 *   get a #GP without error code (Plinth once delivered one, and VM entry failed), string I/O
 *   to the test device works (rm_probe.S).
 * - ipi_logical: NMI, INIT and SIPI in logical destination mode, flat and cluster model, reach
 *   exactly the CPUs whose logical id matches (INIT addressed to the BSP once reset the AP); a
 *   self-NMI is delivered (once sent from VMX root and lost).
 * - ipi_running: INIT-SIPI restart an AP that runs, and one inside an NMI handler that never
 *   returns (once "did not take its INIT within 100 ms").
 * - nmi_storm: every NMI sent after the last one was taken arrives, 200 times, to an AP and to
 *   the BSP itself; a burst of 1000 leaves them working.
 * - x2apic_nmi: an AP in x2APIC mode sends itself NMIs through the x2APIC ICR, each taken, and
 *   one to the BSP. It leaves the AP in x2APIC mode: the last AP check of a boot.
 */
#include <plinth/string.h>
#include "checks.h"
#include "guest_layout.h"
#include "hostile.h"
#include "pit.h"
#include "plinth_abi.h"
#include "x86.h"

#define APIC_BASE_EXTD_EN (BIT(10) | BIT(11))
#define DFR_FLAT 0xffffffffu
#define DFR_CLUSTER 0x0fffffffu
#define LOGICAL_ID(id) ((u32)(id) << 24)
#define NMI_WAIT_MS 100
#define PACED_NMIS 200
#define BURST_NMIS 1000
#define X2APIC_NMIS 50
#define RESTART_WAIT_MS 2000
#define HEARTBEAT_WAIT_MS 20
#define SPIN_LIMIT 20000000u

/* What the AP worker does next (a mailbox the BSP writes), and the counters both see. */
#define CMD_NONE 0
#define CMD_SET_LDR 1	  /* ap_dfr, ap_ldr into this APIC */
#define CMD_X2APIC 2	  /* this APIC to x2APIC mode */
#define CMD_X2APIC_NMIS 3 /* X2APIC_NMIS NMIs to itself through the x2APIC ICR, each waited for */
#define CMD_NMI_TO_BSP 4  /* one NMI to the BSP through the x2APIC ICR */

static volatile u32 ap_cmd, ap_cmd_done, ap_ldr, ap_dfr, heartbeat, ap_nmis, bsp_nmis, nmi_spin, bsp_id;
static volatile u32 x2apic_missed;

extern const char rm_probe_start[], rm_probe_end[];
extern const u16 rm_probe_gp_count, rm_probe_done;
extern const u32 rm_probe_buf;
extern const char ap_trampoline_start[], ap_trampoline_end[];

static void count_nmi(bool bsp)
{
	if (bsp) {
		__atomic_add_fetch(&bsp_nmis, 1, __ATOMIC_RELEASE);
		return;
	}
	__atomic_add_fetch(&ap_nmis, 1, __ATOMIC_RELEASE);
	/* When asked, an NMI handler that never returns: NMIs stay blocked for this CPU. */
	while (nmi_spin)
		__atomic_add_fetch(&heartbeat, 1, __ATOMIC_RELAXED);
}

static void x2apic_self_nmis(void)
{
	for (u32 i = 0; i < X2APIC_NMIS; i++) {
		u32 before = __atomic_load_n(&ap_nmis, __ATOMIC_ACQUIRE), spin = 0;

		wrmsr(MSR_X2APIC_ICR, ICR_NMI | ICR_SELF | ICR_ASSERT);
		while (__atomic_load_n(&ap_nmis, __ATOMIC_ACQUIRE) == before && ++spin < SPIN_LIMIT)
			cpu_relax();
		if (spin == SPIN_LIMIT)
			x2apic_missed++;
	}
}

static void ap_worker(u32 index)
{
	hostile_ap_ready(index);
	for (;;) {
		u32 cmd = __atomic_exchange_n(&ap_cmd, CMD_NONE, __ATOMIC_ACQ_REL);

		if (cmd == CMD_SET_LDR) {
			apic_write(APIC_DFR, ap_dfr);
			apic_write(APIC_LDR, ap_ldr);
		} else if (cmd == CMD_X2APIC) {
			wrmsr(MSR_IA32_APIC_BASE, rdmsr(MSR_IA32_APIC_BASE) | APIC_BASE_EXTD_EN);
		} else if (cmd == CMD_X2APIC_NMIS) {
			x2apic_self_nmis();
		} else if (cmd == CMD_NMI_TO_BSP) {
			wrmsr(MSR_X2APIC_ICR, (u64)bsp_id << 32 | ICR_NMI | ICR_ASSERT);
		}
		if (cmd != CMD_NONE)
			__atomic_add_fetch(&ap_cmd_done, 1, __ATOMIC_RELEASE);
		__atomic_add_fetch(&heartbeat, 1, __ATOMIC_RELAXED);
	}
}

static bool ap_do(u32 cmd)
{
	u32 done = __atomic_load_n(&ap_cmd_done, __ATOMIC_ACQUIRE);

	__atomic_store_n(&ap_cmd, cmd, __ATOMIC_RELEASE);
	return check_expect(wait_at_least(&ap_cmd_done, done + 1, RESTART_WAIT_MS), "the AP did not take command %u",
			    cmd);
}

static bool start_worker(void)
{
	bsp_id = CPUID_1_EBX_APIC_ID(cpuid_leaf(1).ebx);
	nmi_spin = 0;
	nmi_hook = count_nmi;
	ap_job = ap_worker;
	return hostile_start_aps(1);
}

/* Sends one NMI and waits until the counter moves: false when it did not within NMI_WAIT_MS. */
static bool nmi_arrives(u32 dest, u32 icr, volatile u32 *counter)
{
	u32 before = __atomic_load_n(counter, __ATOMIC_ACQUIRE);

	apic_ipi(dest, ICR_NMI | ICR_ASSERT | icr);
	return wait_at_least(counter, before + 1, NMI_WAIT_MS);
}

static bool heartbeat_moves(void)
{
	u32 before = __atomic_load_n(&heartbeat, __ATOMIC_ACQUIRE);

	pit_delay_us(HEARTBEAT_WAIT_MS * 1000);
	return __atomic_load_n(&heartbeat, __ATOMIC_ACQUIRE) != before;
}

/* INIT, 10 ms, SIPI twice to dest (icr: destination mode), with the trampoline in place: true
 * when the AP's job starts again. */
static bool restart_ap(u32 dest, u32 icr)
{
	unsigned ready = hostile_aps_ready();

	memcpy((void *)AP_TRAMPOLINE_BASE, ap_trampoline_start, (size_t)(ap_trampoline_end - ap_trampoline_start));
	__atomic_store_n(&ap_next_index, 0, __ATOMIC_RELEASE);
	apic_ipi(dest, ICR_INIT | ICR_ASSERT | icr);
	pit_delay_us(10000);
	apic_ipi(dest, ICR_STARTUP | ICR_ASSERT | icr | AP_SIPI_VECTOR);
	pit_delay_us(200);
	apic_ipi(dest, ICR_STARTUP | ICR_ASSERT | icr | AP_SIPI_VECTOR);
	return hostile_wait_ready(ready + 1, RESTART_WAIT_MS);
}

void check_apic_forms(void)
{
	u64 tpr = apic_base_address() + APIC_TPR;
	volatile u32 *reg = (volatile u32 *)tpr;
	u32 old = 0x40;
	void *p = (void *)tpr;

	*reg = 0x10;
	check_expect(*reg == 0x10, "MOV r32: TPR 0x%x", *reg);
	asm volatile("movl $0x20, (%0)" : : "r"(tpr) : "memory");
	check_expect(*reg == 0x20, "MOV imm32: TPR 0x%x", *reg);
	if (tpr == 0xfee00080) {
		asm volatile("movabs %%eax, 0xfee00080" : : "a"(0x30) : "memory");
		check_expect(*reg == 0x30, "MOV moffs (movabs): TPR 0x%x", *reg);
	} else {
		check_info("apic_forms: APIC not at 0xfee00000, movabs skipped");
		*reg = 0x30;
	}
	asm volatile("xchgl %0, (%1)" : "+r"(old) : "r"(tpr) : "memory");
	check_expect(*reg == 0x40 && old == 0x30, "XCHG: TPR 0x%x, old value 0x%x", *reg, old);
	asm volatile("movnti %0, (%1)" : : "r"(0x50), "r"(tpr) : "memory");
	check_expect(*reg == 0x50, "MOVNTI: TPR 0x%x", *reg);
	asm volatile("cld; stosl" : "+D"(p) : "a"(0x60) : "memory");
	check_expect(*reg == 0x60 && p == (void *)(tpr + 4), "STOS: TPR 0x%x, RDI advanced by %ld", *reg,
		     (long)((u64)p - tpr));
	asm volatile("movw %w0, (%1)" : : "r"(0x70), "r"(tpr) : "memory");
	check_expect(*reg == 0x60, "a 16-bit write changed TPR to 0x%x", *reg);
	*reg = 0;
}

/* Where a field of the real-mode probe lies once it is copied to the trampoline page. */
static volatile void *probe_field(const void *field)
{
	return (volatile void *)(u64)(AP_TRAMPOLINE_BASE + ((const char *)field - rm_probe_start));
}

void check_exc_mode(void)
{
	const volatile u16 *done = probe_field(&rm_probe_done), *gps = probe_field(&rm_probe_gp_count);
	const volatile u32 *buf = probe_field(&rm_probe_buf);
	unsigned waited = 0;

	memcpy((void *)AP_TRAMPOLINE_BASE, rm_probe_start, (size_t)(rm_probe_end - rm_probe_start));
	apic_write(APIC_SVR, apic_read(APIC_SVR) | APIC_SVR_ENABLE | 0xff);
	if (!start_aps(apic_base_address()))
		return;
	while (!*done && waited++ < RESTART_WAIT_MS)
		pit_delay_us(1000);
	check_expect(*done, "the real-mode probe did not finish within %u ms (#GP taken %u times)", RESTART_WAIT_MS,
		     *gps);
	check_expect(*gps == 2, "real mode: %u #GP for WRMSR IA32_FEATURE_CONTROL and RDMSR IA32_VMX_BASIC, expected 2",
		     *gps);
	/* INSB reads the one port each time: the ID register's low byte, four times. */
	check_expect(*buf == (PLINTH_TEST_PORT_ID_VALUE & 0xff) * 0x01010101u,
		     "real mode: REP INSB from the test device read 0x%x", *buf);
}

void check_ipi_logical(void)
{
	u32 ap_id;

	if (!start_worker())
		return;
	ap_id = hostile_ap_apic_id(0);
	apic_write(APIC_DFR, DFR_FLAT);
	apic_write(APIC_LDR, LOGICAL_ID(0x01));
	ap_dfr = DFR_FLAT;
	ap_ldr = LOGICAL_ID(0x02);
	if (!ap_do(CMD_SET_LDR))
		return;
	check_expect(nmi_arrives(0x02, ICR_LOGICAL, &ap_nmis), "NMI to logical 0x02 did not reach the AP");
	check_expect(bsp_nmis == 0, "NMI to logical 0x02 reached the BSP");
	check_expect(nmi_arrives(0x01, ICR_LOGICAL, &bsp_nmis), "NMI to logical 0x01 (the BSP itself) did not arrive");
	check_expect(nmi_arrives(ap_id, 0, &ap_nmis), "NMI to the AP's APIC id %u did not arrive", ap_id);
	check_expect(nmi_arrives(0, ICR_SELF, &bsp_nmis), "a self-NMI (shorthand) did not arrive");
	apic_ipi(0x04, ICR_INIT | ICR_ASSERT | ICR_LOGICAL);
	check_expect(heartbeat_moves(), "INIT to logical 0x04 (nobody) stopped the AP");
	check_expect(restart_ap(0x02, ICR_LOGICAL), "INIT-SIPI to logical 0x02 did not restart the AP");
	ap_dfr = DFR_CLUSTER;
	ap_ldr = LOGICAL_ID(0x12);
	apic_write(APIC_DFR, DFR_CLUSTER);
	apic_write(APIC_LDR, LOGICAL_ID(0x11));
	if (!ap_do(CMD_SET_LDR))
		return;
	check_expect(nmi_arrives(0x12, ICR_LOGICAL, &ap_nmis), "NMI to cluster 1 member 2 did not reach the AP");
	check_expect(nmi_arrives(0x11, ICR_LOGICAL, &bsp_nmis), "NMI to cluster 1 member 1 did not reach the BSP");
	check_expect(nmi_arrives(0x13, ICR_LOGICAL, &ap_nmis), "NMI to cluster 1 members 1, 2 missed the AP");
	apic_write(APIC_DFR, DFR_FLAT);
	apic_write(APIC_LDR, 0);
	check_info("ipi_logical: NMIs taken by the BSP %u, by the AP %u", bsp_nmis, ap_nmis);
}

void check_ipi_running(void)
{
	u32 ap_id;

	if (!start_worker())
		return;
	ap_id = hostile_ap_apic_id(0);
	for (int i = 0; i < 3; i++) {
		check_expect(heartbeat_moves(), "round %d: the AP does not run", i);
		check_expect(restart_ap(ap_id, 0), "round %d: INIT-SIPI did not restart the running AP", i);
	}
	nmi_spin = 1;
	check_expect(nmi_arrives(ap_id, 0, &ap_nmis), "NMI to the AP did not arrive");
	check_expect(heartbeat_moves(), "the AP does not spin in its NMI handler");
	check_expect(restart_ap(ap_id, 0), "INIT-SIPI did not restart the AP inside its NMI handler");
	nmi_spin = 0;
}

void check_nmi_storm(void)
{
	u32 ap_id, missed = 0, before;

	if (!start_worker())
		return;
	ap_id = hostile_ap_apic_id(0);
	for (int i = 0; i < PACED_NMIS; i++)
		missed += !nmi_arrives(ap_id, 0, &ap_nmis);
	check_expect(!missed, "%u of %u NMIs sent one after the other did not reach the AP", missed, PACED_NMIS);
	missed = 0;
	for (int i = 0; i < PACED_NMIS; i++)
		missed += !nmi_arrives(0, ICR_SELF, &bsp_nmis);
	check_expect(!missed, "%u of %u self-NMIs did not arrive", missed, PACED_NMIS);
	before = ap_nmis;
	for (int i = 0; i < BURST_NMIS; i++)
		apic_ipi(ap_id, ICR_NMI | ICR_ASSERT);
	pit_delay_us(NMI_WAIT_MS * 1000);
	check_expect(ap_nmis > before, "a burst of %u NMIs: none arrived", BURST_NMIS);
	check_info("nmi_storm: a burst of %u NMIs arrived as %u (NMIs pending together merge)", BURST_NMIS,
		   ap_nmis - before);
	missed = 0;
	for (int i = 0; i < 10; i++)
		missed += !nmi_arrives(ap_id, 0, &ap_nmis);
	check_expect(!missed, "after the burst, %u of 10 NMIs did not arrive", missed);
}

void check_x2apic_nmi(void)
{
	u32 before;

	if (!(cpuid_leaf(1).ecx & BIT(21))) {
		check_info("x2apic_nmi: no x2APIC");
		return;
	}
	if (!start_worker() || !ap_do(CMD_X2APIC))
		return;
	x2apic_missed = 0;
	if (ap_do(CMD_X2APIC_NMIS))
		check_expect(!x2apic_missed, "%u of %u x2APIC self-NMIs did not arrive", x2apic_missed, X2APIC_NMIS);
	before = bsp_nmis;
	if (ap_do(CMD_NMI_TO_BSP))
		check_expect(wait_at_least(&bsp_nmis, before + 1, NMI_WAIT_MS), "the x2APIC AP's NMI to the BSP did not arrive");
}
