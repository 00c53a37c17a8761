/*
 * A stopped VM's vCPUs: the one that stops it reports (with its VMCS where the exit it could
 * not deal with asks for it), each parks for good, and the boot CPU's monitor takes the console
 * once the VM's report is whole. INIT kicks get them out of guest mode (vm_kick.c).
 */
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/format.h>
#include <plinth/launch.h>
#include <plinth/monitor.h>
#include <plinth/partition.h>
#include <x86/apic_passthrough.h>
#include <x86/nmi.h>
#include <x86/percpu.h>
#include <x86/tsc.h>
#include <x86/vcpu.h>
#include <x86/vm.h>
#include <x86/vm_msi.h>
#include <x86/vm_ioapic.h>
#include <x86/vm_kick.h>
#include <x86/vm_pci.h>
#include <x86/vmexit.h>

bool vcpu_stop_vm(struct vcpu *v, bool dump, const char *fmt, ...)
{
	char why[192];
	va_list ap;
	bool stopped;

	va_start(ap, fmt);
	vformat(why, sizeof(why), fmt, ap);
	va_end(ap);
	stopped = vm_stop(v->vm, "%s", why);
	if (stopped && dump)
		vcpu_dump(v);
	return stopped;
}

void vcpu_park(struct vcpu *v)
{
	u64 deadline = tsc_deadline(VM_KICK_TIMEOUT_US);

	/* Out of its vCPU for good (until a restart runs it again): an NMI here now is a wake-up,
	 * not the guest's (nmi.c), so none is posted to the guest's next start. */
	this_cpu()->vcpu_entered = false;
	vm_ioapic_quiesce(v->vm); /* its devices' pins interrupt no parked CPU */
	vm_msi_quiesce(v->vm);	  /* nor their MSIs */
	vm_pci_quiesce(v->vm);	  /* and their DMA reaches nothing */
	__atomic_store_n(&v->ev.parked, true, __ATOMIC_RELEASE);
	/* The guest's own reset request (io_reset.c): this vCPU restarts its VM, on its own CPU,
	 * as the monitor's `restart` would; it returns only when that failed (said why). */
	if (v->restart_on_park) {
		v->restart_on_park = false;
		partition_restart(v->vm);
	}
	/* The boot CPU stays useful: it answers on the console, once the VM's report is whole
	 * (the vCPU that stopped the VM parks after printing it). The others rest. */
	if (this_cpu()->index == 0) {
		while (vm_kick_unparked(v->vm, false) && !tsc_passed(deadline))
			__builtin_ia32_pause();
		monitor_run();
	}
	if (v->vm->partition)
		launch_wait_restart(v->vm, v->id, v->start);
	arch_halt();
}

void exit_init(struct vcpu *v)
{
	/* Plinth's kick (vm_kick.c): the VCPU_REQ_STOP it follows parks the vCPU of a stopped VM;
	 * a FATAL report's stop request halts it here. Once the VM owns its xAPIC page, any other INIT is the guest's
	 * (apic_passthrough.c). Before that, guests' INITs never reach a CPU (vapic.c delivers
	 * them), so any other INIT has no sender Plinth knows of: it is ignored (under Bochs it
	 * repeats). */
	nmi_halt_if_stopping();
	if (v->vm->stopped)
		return;
	if (v->vm->arch->apic_page_open) {
		apic_passthrough_guest_init(v);
		return;
	}
	if (v->ev.init_ignored_logged)
		return;
	v->ev.init_ignored_logged = true;
	log_warn("%s: vCPU %u got an INIT that Plinth did not send; ignored", v->vm->name, v->id);
}
