/* The table of CPUs and each CPU's own state (stacks, descriptor tables, VMX region). */
#include <plinth/memory.h>
#include <x86/boot_symbols.h>
#include <x86/percpu.h>

struct percpu *cpus[PLINTH_MAX_CPUS];
u32 cpu_count;

static struct percpu boot_cpu;
static u8 boot_ist_stack[IST_STACK_SIZE] __aligned(16);

struct percpu *percpu_boot(void)
{
	boot_cpu.self = &boot_cpu;
	boot_cpu.ist_stack = boot_ist_stack;
	boot_cpu.stack_top = boot_stack_top;
	boot_cpu.online = true;
	cpus[0] = &boot_cpu;
	cpu_count = 1;
	return &boot_cpu;
}

struct percpu *percpu_create(u32 apic_id)
{
	struct percpu *pc = pages_alloc((sizeof(*pc) + PLINTH_PAGE_SIZE - 1) / PLINTH_PAGE_SIZE);

	pc->self = pc;
	pc->apic_id = apic_id;
	pc->stack_top = (u8 *)pages_alloc(PLINTH_CPU_STACK_SIZE / PLINTH_PAGE_SIZE) +
			PLINTH_CPU_STACK_SIZE;
	pc->ist_stack = pages_alloc(IST_STACK_SIZE / PLINTH_PAGE_SIZE);
	return pc;
}
