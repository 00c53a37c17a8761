/* What core's spinlocks and console need of the CPU they run on: its index and a spin-loop
 * pause. Apart from percpu.c, which allocates, so the console stays out of the allocator. */
#include <plinth/arch.h>
#include <x86/percpu.h>

u32 arch_cpu_index(void)
{
	return this_cpu()->index;
}

void arch_cpu_relax(void)
{
	__builtin_ia32_pause(); /* SDM Vol. 2B, PAUSE: spin-wait loops */
}
