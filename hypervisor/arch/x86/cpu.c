/* Stopping CPUs. */
#include <plinth/arch.h>
#include <x86/cpu.h>

void arch_stop_other_cpus(void)
{
	/* Only the boot CPU runs so far; once APs are started this sends them an NMI. */
}

void arch_halt(void)
{
	cli();
	for (;;)
		asm volatile("hlt");
}
