/* VM exit statistics: vmexit.c counts each exit by basic reason in its vCPU, vmentry.S sums
 * Plinth's TSC ticks per reason; core asks for them here (the monitor's stats, a stopped VM's
 * report, the EXIT_STATS hypercall). */
#include <plinth/arch.h>
#include <plinth/console.h>
#include <x86/cpu.h>
#include <x86/exit_io.h>
#include <x86/percpu.h>
#include <x86/vcpu.h>
#include <x86/vm.h>
#include <x86/vm_msi.h>
#include <x86/vmx_insn.h>

const u64 *arch_vcpu_exit_counts(u32 *count)
{
	struct vcpu *v = current_vcpu();

	*count = ARRAY_SIZE(v->exits);
	return v->exits;
}

void arch_vm_print_exit_stats(struct vm *vm)
{
	u32 i, r;

	for (i = 0; i < cpu_count; i++) {
		struct vcpu *v = cpus[i] ? cpus[i]->vcpu : NULL;

		u64 total = 0, ticks = 0;

		if (!v || v->vm != vm)
			continue;
		for (r = 0; r <= EXIT_REASON_MAX; r++) {
			total += v->exits[r];
			ticks += v->exit_ticks[r];
		}
		printk("  %s vCPU %u (CPU %u): %lu exits, %lu ticks in Plinth of %lu since its launch\n", vm->name,
		       v->id, i, total, ticks, v->launch_tsc ? rdtsc() - v->launch_tsc : 0);
		if (v->ipis_dropped)
			printk("    %-22s %lu\n", "(IPIs dropped)", v->ipis_dropped);
		for (r = 0; r <= EXIT_REASON_MAX; r++)
			if (v->exits[r])
				printk("    %-22s %lu, %lu ticks\n", exit_reason_name(r), v->exits[r], v->exit_ticks[r]);
	}
	vm_ioapic_print_stats(vm);
	vm_msi_print_stats(vm);
	if (vm->arch)
		io_legacy_print_stats(vm);
}

u64 arch_vm_exits(const struct vm *vm, u64 *ipis_dropped)
{
	u64 exits = 0;
	u32 i, r;

	*ipis_dropped = 0;
	for (i = 0; i < cpu_count; i++) {
		struct vcpu *v = cpus[i] ? cpus[i]->vcpu : NULL;

		if (v && v->vm == vm) {
			for (r = 0; r <= EXIT_REASON_MAX; r++)
				exits += v->exits[r];
			*ipis_dropped += v->ipis_dropped;
		}
	}
	return exits;
}
