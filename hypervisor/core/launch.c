/*
 * The launch rendezvous: application processors wait here until a VM is launched, then each
 * CPU of the VM runs its vCPU and the others halt. The architecture gives the mechanism
 * (sleeping, waking a CPU, running a vCPU); which CPU runs which vCPU is decided here.
 */
#include <plinth/arch.h>
#include <plinth/launch.h>

static struct vm *volatile launched;

/* vCPU n runs on the n-th CPU of the VM's mask (struct vm): its number is the count of the
 * mask's CPUs below this one. */
static u32 vcpu_of(const struct vm *vm, u32 cpu)
{
	u64 below = vm->cpu_mask & (BIT(cpu) - 1);
	u32 n = 0;

	for (; below; below &= below - 1)
		n++;
	return n;
}

void launch_ap_wait(u32 cpu)
{
	while (!launched)
		arch_cpu_idle();
	if (launched->cpu_mask & BIT(cpu))
		arch_vcpu_run(launched, vcpu_of(launched, cpu));
	arch_halt();
}

void launch_vm(struct vm *vm, u32 ncpus)
{
	u32 cpu;

	launched = vm;
	for (cpu = 1; cpu < ncpus; cpu++)
		arch_cpu_wake(cpu);
	/* The boot CPU is the first of every VM's mask so far (the default VM has them all). */
	arch_vcpu_run(vm, vcpu_of(vm, 0));
}
