/* Stopping CPUs: a FATAL report halts every CPU with an NMI, which also reaches CPUs that are
 * running a guest (NMI exiting is on) or halted with interrupts off. */
#include <plinth/arch.h>
#include <x86/apic.h>
#include <x86/cpu.h>
#include <x86/percpu.h>

volatile bool cpus_stopping;

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

void arch_halt(void)
{
	cli();
	for (;;)
		asm volatile("hlt");
}
