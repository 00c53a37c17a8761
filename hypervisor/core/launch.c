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
#include <plinth/console_input.h>
#include <plinth/launch.h>
#include <plinth/monitor.h>

/* How long the boot CPU waits for the APs to gather for fault_all_cpus (spin-loop rounds). */
#define FAULT_GATHER_SPINS 100000000u

static struct vm *volatile launched;
/* Partitions: every CPU runs the vCPU of the VM whose mask holds it. */
static volatile bool partitions_launched;
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

/* The built partition whose CPU mask holds cpu, or NULL. */
static struct vm *partition_of_cpu(u32 cpu)
{
	u32 i;

	for (i = 0; cpu < 64 && i < vm_count; i++)
		if (vms[i].partition && vms[i].built && (vms[i].cpu_mask & BIT(cpu)))
			return &vms[i];
	return NULL;
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
	struct vm *vm;

	for (;;) {
		while (!launched && !partitions_launched && !fault_kind)
			arch_cpu_idle();
		if (!fault_kind)
			break;
		fault_with_the_others();
	}
	vm = partitions_launched ? partition_of_cpu(cpu) : launched;
	if (vm && (vm->cpu_mask & BIT(cpu)))
		arch_vcpu_run(vm, vcpu_of(vm, cpu));
	arch_halt();
}

void launch_partitions(u32 ncpus)
{
	struct vm *vm = partition_of_cpu(0);
	u32 i;

	for (i = 0; i < vm_count; i++)
		if (vms[i].built)
			vms[i].starts = 1;
	partitions_launched = true;
	console_input_select(1);
	for (i = 1; i < ncpus; i++)
		arch_cpu_wake(i);
	if (vm)
		arch_vcpu_run(vm, vcpu_of(vm, 0));
	monitor_run();
}

void launch_wait_restart(struct vm *vm, u32 vcpu, u32 start)
{
	/* Woken (arch_cpu_wake) by launch_restart; other wake-ups only loop. */
	while (__atomic_load_n(&vm->starts, __ATOMIC_ACQUIRE) == start || vm->stopped)
		arch_cpu_idle();
	arch_vcpu_run(vm, vcpu);
}

void launch_restart(struct vm *vm)
{
	u32 cpu, self = arch_cpu_index();

	/* The new start first: a CPU that wakes sees it, and then a VM that is not stopped. */
	__atomic_add_fetch(&vm->starts, 1, __ATOMIC_ACQ_REL);
	__atomic_store_n(&vm->stopped, false, __ATOMIC_RELEASE);
	__atomic_store_n(&vm->restarting, false, __ATOMIC_RELEASE);
	for (cpu = 0; cpu < 64; cpu++)
		if ((vm->cpu_mask & BIT(cpu)) && cpu != self)
			arch_cpu_wake(cpu);
	if (vm->cpu_mask & BIT(self))
		arch_vcpu_run(vm, vcpu_of(vm, self));
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
