/*
 * Kicking a stopped VM's vCPUs out of guest mode for good, whatever the guest does. (A
 * partition's are kicked with NMIs instead, see below.)
 *
 * The kick is an INIT IPI. In VMX non-root operation INIT always causes a VM exit (SDM 26.2):
 * a guest cannot block it, neither with NMIs blocked, nor in an NMI handler that never IRETs,
 * nor from x2APIC mode. In VMX root operation INIT is blocked (SDM 24.8); Bochs 2.7 then
 * drops it instead of holding it (cpu/event.cc deliver_INIT), and never clears it after an
 * INIT VM exit, so a vCPU that took one exits again on every VM entry. Both are harmless here:
 * a vCPU of a stopped VM never enters again, and one that was in root operation when its kick
 * came parks at the end of that exit (VCPU_REQ_STOP, vmentry.S); the kick is repeated until every
 * vCPU has said it is parked (vm_stop.c), so none can slip back in between.
 */
#include <plinth/arch.h>
#include <plinth/console.h>
#include <x86/apic.h>
#include <x86/cpu.h>
#include <x86/percpu.h>
#include <x86/processor.h>
#include <x86/tsc.h>
#include <x86/vcpu.h>
#include <x86/vm_kick.h>

#define KICK_RETRY_US 200

u32 vm_kick_unparked(struct vm *vm, bool kick)
{
	u32 i, self = this_cpu()->index, left = 0;

	for (i = 0; i < cpu_count; i++) {
		struct vcpu *t = cpus[i] ? cpus[i]->vcpu : NULL;

		if (!t || t->vm != vm || i == self || __atomic_load_n(&t->ev.parked, __ATOMIC_ACQUIRE))
			continue;
		left++;
		if (kick && vm->partition) {
			/* A partition is restarted on the same CPUs: an INIT Bochs keeps would end
			 * every later VM entry there. An NMI kick exits whatever the guest does (its
			 * NMI blocking is virtual); it is repeated until the vCPU has parked. */
			__atomic_add_fetch(&t->ev.kicks_pending, 1, __ATOMIC_RELEASE);
			apic_send_ipi(cpus[i]->apic_id, APIC_ICR_NMI);
		} else if (kick) {
			apic_send_ipi(cpus[i]->apic_id, APIC_ICR_INIT | APIC_ICR_LEVEL_ASSERT);
		}
	}
	return left;
}

u32 arch_vm_kick(struct vm *vm)
{
	u64 start = rdtsc(), deadline = tsc_deadline(VM_KICK_TIMEOUT_US);
	u32 i, rounds = 0, left;

	/* vm->stopped is set: each vCPU (this CPU's too) parks at its next look at its requests,
	 * before the next VM entry (vmentry.S), whether a kick made it exit or it was in an exit
	 * already. Posted without a kick (vcpu_events.c): the kicks follow. */
	for (i = 0; i < cpu_count; i++)
		if (cpus[i] && cpus[i]->vcpu && cpus[i]->vcpu->vm == vm)
			__atomic_fetch_or(&cpus[i]->vcpu->ev.requests, VCPU_REQ_STOP, __ATOMIC_ACQ_REL);
	left = vm_kick_unparked(vm, false);

	/* A round of kicks, then a look until all have parked or it is time for the next. */
	while (left && !tsc_passed(deadline)) {
		u64 retry = tsc_deadline(KICK_RETRY_US);

		vm_kick_unparked(vm, true);
		rounds++;
		while ((left = vm_kick_unparked(vm, false)) && !tsc_passed(retry))
			__builtin_ia32_pause();
	}
	if (rounds)
		log_info("%s: its other vCPUs left guest mode after %u round(s) of INIT kicks, %lu us", vm->name, rounds,
			 tsc_to_us(rdtsc() - start));
	return left;
}
