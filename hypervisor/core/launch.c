/*
 * The launch rendezvous: application processors wait here until a VM is launched, then each
 * CPU of the VM runs its vCPU and the others halt. The architecture gives the mechanism
 * (sleeping, waking a CPU, running a vCPU); which CPU runs which vCPU is decided here.
 *
 * Nothing is allocated on the way out of the rendezvous: every CPU leaves it at once, and a
 * VM's vCPUs were built with the VM (arch_vm_init).
 */
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/launch.h>

/* How long the boot CPU waits for the APs to gather for fault_all_cpus (spin-loop rounds). */
#define FAULT_GATHER_SPINS 100000000u

static struct vm *volatile launched;
/* fault_all_cpus: the kind, the APs that are ready to raise it, and the start signal. */
static const char *volatile fault_kind;
static u32 fault_ready;
static volatile bool fault_go;

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

/* Returns only when the kind is unknown, once the boot CPU has called the fault off. */
static void fault_with_the_others(void)
{
	__atomic_fetch_add(&fault_ready, 1, __ATOMIC_RELEASE);
	while (!fault_go)
		arch_cpu_relax();
	arch_trigger_fault(fault_kind);
	while (fault_kind)
		arch_cpu_relax();
}

void launch_ap_wait(u32 cpu)
{
	for (;;) {
		while (!launched && !fault_kind)
			arch_cpu_idle();
		if (!fault_kind)
			break;
		fault_with_the_others();
	}
	if (launched->cpu_mask & BIT(cpu))
		arch_vcpu_run(launched, vcpu_of(launched, cpu));
	arch_halt();
}

void launch_fault_all(const char *kind, u32 ncpus)
{
	u32 cpu, spins;

	log_notice("fault=%s fault_all_cpus: all %u CPUs raise it at the same moment", kind, ncpus);
	fault_kind = kind;
	for (cpu = 1; cpu < ncpus; cpu++)
		arch_cpu_wake(cpu);
	for (spins = 0; __atomic_load_n(&fault_ready, __ATOMIC_ACQUIRE) < ncpus - 1 && spins < FAULT_GATHER_SPINS;
	     spins++)
		arch_cpu_relax();
	fault_go = true;
	arch_trigger_fault(kind);
	fault_kind = NULL; /* unknown: back to waiting for the launch */
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
