/*
 * NMIs between CPUs, and halting. An NMI reaches CPUs that are halted with interrupts off and
 * CPUs running a guest (NMI exiting is on), so Plinth uses it to stop every CPU (a FATAL
 * report), to wake an AP waiting for the launch, and to kick a VM's vCPUs out of guest mode.
 */
#include <plinth/arch.h>
#include <plinth/vm.h>
#include <x86/apic.h>
#include <x86/cpu.h>
#include <x86/nmi.h>
#include <x86/percpu.h>
#include <x86/processor.h>

static volatile bool cpus_stopping;

void arch_stop_other_cpus(void)
{
	u32 i, self;

	cpus_stopping = true;
	if (!cpu_count)
		return;
	self = this_cpu()->index;
	for (i = 0; i < cpu_count; i++)
		if (cpus[i] && i != self && cpus[i]->online)
			apic_send_ipi(cpus[i]->apic_id, APIC_ICR_NMI);
}

void nmi_halt_if_stopping(void)
{
	if (cpus_stopping)
		arch_halt();
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

void arch_vm_kick(struct vm *vm)
{
	u32 i, self = this_cpu()->index;

	for (i = 0; i < cpu_count; i++)
		if (cpus[i] && i != self && (vm->cpu_mask & BIT(i)) && cpus[i]->vcpu)
			apic_send_ipi(cpus[i]->apic_id, APIC_ICR_NMI);
}
