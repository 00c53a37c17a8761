/*
 * Destructive checks (issue 13, findings 7, 11 and one of our own): each ends its VM, so it
 * goes last on the command line and the system test reads Plinth's side. The VM must stop
 * whole: afterwards no vCPU runs guest code (the busy ones print heartbeats and read COM1,
 * which would steal the monitor's input), the report is readable and the monitor answers.
 * - stop_nmi_blocked: the AP spins inside an NMI handler (NMIs blocked, no IRET) when the BSP
 *   stops the VM.
 * - stop_x2apic: the AP spins in x2APIC mode.
 * - stop_bsp_nmi: the BSP spins inside an NMI handler when the AP stops the VM: the monitor
 *   must still start on the BSP.
 * - console_reprogram: the guest changes COM1's divisor, line format and loopback before the
 *   stop: Plinth sets the UART up again for its report and its monitor.
 * - apic_event_delivery: the CPU itself writes the read-only APIC page while delivering an
 *   exception (the stack is there): no instruction to emulate, the VM stops with that reason.
 */
#include "checks.h"
#include "console.h"
#include "hostile.h"
#include "x86.h"

#define COM1 0x3f8
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_DATA_READY BIT(0)
#define HEARTBEAT_TSC 2000000ull
#define APIC_BASE_EXTD_EN (BIT(10) | BIT(11))
#define BEATS_BEFORE_STOP 2
#define BEAT_WAIT_MS 3000

static volatile u32 beats, go;

/* Runs guest code for good: takes what arrives on COM1, and prints a heartbeat now and then. */
static __noreturn void noisy_spin(void)
{
	u64 last = rdtsc();

	for (;;) {
		if (inb(COM1 + UART_LSR) & LSR_DATA_READY)
			(void)inb(COM1);
		if (rdtsc() - last > HEARTBEAT_TSC) {
			last = rdtsc();
			console_printf("guest: info heartbeat %u\n", __atomic_add_fetch(&beats, 1, __ATOMIC_RELEASE));
		}
	}
}

static void spin_in_nmi(bool bsp)
{
	(void)bsp;
	noisy_spin();
}

static void ap_idle(u32 index)
{
	hostile_ap_ready(index);
	for (;;)
		cpu_relax();
}

static void ap_x2apic(u32 index)
{
	wrmsr(MSR_IA32_APIC_BASE, rdmsr(MSR_IA32_APIC_BASE) | APIC_BASE_EXTD_EN);
	hostile_ap_ready(index);
	noisy_spin();
}

/* The AP stops the VM (a write into Plinth's range) once the BSP is busy. */
static void ap_stopper(u32 index)
{
	hostile_ap_ready(index);
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		cpu_relax();
	while (__atomic_load_n(&beats, __ATOMIC_ACQUIRE) < BEATS_BEFORE_STOP)
		cpu_relax();
	check_plinth_write();
	noisy_spin();
}

static void stop_when_beating(void)
{
	check_expect(wait_at_least(&beats, BEATS_BEFORE_STOP, BEAT_WAIT_MS), "the busy CPU printed %u heartbeats", beats);
	check_plinth_write();
}

void check_stop_nmi_blocked(void)
{
	ap_job = ap_idle;
	if (!hostile_start_aps(1))
		return;
	nmi_hook = spin_in_nmi;
	apic_ipi(hostile_ap_apic_id(0), ICR_NMI | ICR_ASSERT);
	stop_when_beating();
}

void check_stop_x2apic(void)
{
	if (!check_expect(cpuid_leaf(1).ecx & BIT(21), "no x2APIC"))
		return;
	ap_job = ap_x2apic;
	if (hostile_start_aps(1))
		stop_when_beating();
}

void check_stop_bsp_nmi(void)
{
	ap_job = ap_stopper;
	if (!hostile_start_aps(1))
		return;
	nmi_hook = spin_in_nmi;
	check_info("the BSP spins in an NMI handler; the AP stops the VM");
	console_drain();
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	apic_ipi(0, ICR_NMI | ICR_ASSERT | ICR_SELF);
	check_expect(false, "the self-NMI did not arrive");
}

void check_console_reprogram(void)
{
	check_info("reprogramming COM1: divisor 12, even parity, loopback; then into Plinth's memory");
	console_drain();
	outb(COM1 + UART_LCR, 0x80);
	outb(COM1, 12);
	outb(COM1 + 1, 0);
	outb(COM1 + UART_LCR, 0x1b);
	outb(COM1 + UART_MCR, 0x1b);
	check_plinth_write();
}

void check_apic_event_delivery(void)
{
	u64 stack = apic_base_address() + 0x800;

	check_info("an exception delivered onto the APIC page (RSP 0x%lx)", stack);
	console_drain();
	asm volatile("mov %0, %%rsp\n\tud2" : : "r"(stack) : "memory");
	check_expect(false, "the exception was delivered");
}
