/* VM exit statistics: vmexit.c counts each exit by basic reason in its vCPU; core asks for
 * them here (the monitor's stats, a stopped VM's report, the EXIT_STATS hypercall). */
#include <plinth/arch.h>
#include <plinth/console.h>
#include <x86/percpu.h>
#include <x86/vcpu.h>
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

		if (!v || v->vm != vm)
			continue;
		printk("  %s vCPU %u (CPU %u): %lu exits\n", vm->name, v->id, i, v->exits_total);
		if (v->ipis_dropped)
			printk("    %-22s %lu\n", "(IPIs dropped)", v->ipis_dropped);
		for (r = 0; r <= EXIT_REASON_MAX; r++)
			if (v->exits[r])
				printk("    %-22s %lu\n", exit_reason_name(r), v->exits[r]);
	}
}

u64 arch_vm_exits(const struct vm *vm, u64 *ipis_dropped)
{
	u64 exits = 0;
	u32 i;

	*ipis_dropped = 0;
	for (i = 0; i < cpu_count; i++) {
		struct vcpu *v = cpus[i] ? cpus[i]->vcpu : NULL;

		if (v && v->vm == vm) {
			exits += v->exits_total;
			*ipis_dropped += v->ipis_dropped;
		}
	}
	return exits;
}
