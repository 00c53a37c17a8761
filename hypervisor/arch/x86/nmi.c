/*
 * NMIs between CPUs, and halting. An NMI reaches CPUs that are halted with interrupts off and
 * CPUs running a guest (NMI exiting is on, the guest's NMI blocking is virtual), so Plinth uses
 * it to stop every CPU (a FATAL report), to wake an AP waiting for the launch, and to kick a
 * vCPU out of guest mode to see what was posted to it (vcpu_events.c).
 */
#include <plinth/arch.h>
#include <plinth/vm.h>
#include <x86/apic.h>
#include <x86/cpu.h>
#include <x86/nmi.h>
#include <x86/percpu.h>
#include <x86/processor.h>
#include <x86/vcpu.h>

static volatile bool cpus_stopping;

void arch_stop_other_cpus(void)
{
	u32 i, self;

	cpus_stopping = true;
	if (!cpu_count)
		return;
	self = this_cpu()->index;
	for (i = 0; i < cpu_count; i++) {
		if (!cpus[i] || i == self || !cpus[i]->online)
			continue;
		apic_send_ipi(cpus[i]->apic_id, APIC_ICR_NMI);
		/* A CPU in guest mode exits on INIT whatever the guest blocks (vm_stop.c); only
		 * CPUs in VMX operation get one: anywhere else INIT resets the CPU. */
		if (cpus[i]->vcpu)
			apic_send_ipi(cpus[i]->apic_id, APIC_ICR_INIT | APIC_ICR_LEVEL_ASSERT);
	}
}

void nmi_halt_if_stopping(void)
{
	if (cpus_stopping)
		arch_halt();
}

bool nmi_kick_consume(struct vcpu *v)
{
	u32 n = __atomic_load_n(&v->ev.kicks_pending, __ATOMIC_ACQUIRE);

	while (n)
		if (__atomic_compare_exchange_n(&v->ev.kicks_pending, &n, n - 1, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return true;
	return false;
}

void nmi_in_root(u64 *rip)
{
	struct percpu *pc = this_cpu();
	struct vcpu *v = pc->vcpu;
	u32 i;

	nmi_halt_if_stopping();
	if (*rip == (u64)(uintptr_t)nmi_idle_hlt)
		(*rip)++; /* about to sleep: the wake-up is this NMI */
	if (!v || !pc->vcpu_entered)
		return;
	/* On a vCPU's CPU between two VM entries: a kick, whose request the CPU takes before it
	 * enters the guest again, or the platform's NMI, which is the guest's: posted to it, as
	 * vcpu_post_nmi would (no kick needed, this CPU looks before it enters). If the CPU was
	 * past its last look at the requests (vmentry.S), it looks again. */
	if (!nmi_kick_consume(v))
		__atomic_fetch_or(&v->ev.requests, VCPU_REQ_NMI, __ATOMIC_ACQ_REL);
	for (i = 0; i < ARRAY_SIZE(pc->entry_window); i++)
		if (*rip >= pc->entry_window[i][0] && *rip <= pc->entry_window[i][1])
			*rip = pc->entry_window[i][2];
}

/* After a VM exit caused by an NMI, NMIs stay blocked until the next IRET (SDM 28.1; Bochs
 * keeps them blocked across VM entry too). An IRET to the next instruction ends the blocking,
 * so the next kick or stop request can reach this CPU. */
void nmi_unblock(void)
{
	asm volatile("mov %%rsp, %%rax\n\t"
		     "pushq %0\n\t" /* SS */
		     "pushq %%rax\n\t" /* RSP */
		     "pushfq\n\t"
		     "pushq %1\n\t" /* CS */
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "iretq\n"
		     "1:"
		     :
		     : "i"(SEL_DATA), "i"(SEL_CODE64)
		     : "rax", "memory");
}

void arch_halt(void)
{
	cli();
	for (;;)
		hlt();
}

__attribute__((noinline)) void arch_cpu_idle(void)
{
	/* Interrupts stay off: only an NMI (arch_cpu_wake) ends the HLT. The label lets the NMI
	 * handler tell an NMI just before it from one that woke it (x86/nmi.h). */
	asm volatile(".globl nmi_idle_hlt\nnmi_idle_hlt: hlt" ::: "memory");
}

void arch_cpu_wake(u32 cpu)
{
	if (cpu < cpu_count && cpus[cpu] && cpus[cpu]->online)
		apic_send_ipi(cpus[cpu]->apic_id, APIC_ICR_NMI);
}
