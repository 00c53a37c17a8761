/*
 * The local APIC of a VM that owns every CPU (the default VM): its xAPIC page is write-trapped
 * only while the guest starts its APs, then the guest's. EOIs, timer writes and IPIs go to the
 * hardware without an exit, so an idle guest causes none.
 *
 * Why the start-up goes through Plinth first: a guest INIT that reaches a CPU in VMX non-root
 * causes an INIT-signal exit (SDM 26.2), and the SIPI that follows one to a CPU in the
 * wait-for-SIPI activity state a SIPI exit (SDM 26.2, 28.1.2) - on hardware. Bochs 2.7 takes
 * the INIT exit but never clears the INIT it latched (cpu/event.cc clears it only in reset()),
 * so such a CPU exits with INIT on every later VM entry and never runs the guest again. Started
 * through the trapped page, the APs get their INIT and SIPI from Plinth (vcpu_events.c) and
 * never see one from the hardware. After that, a guest INIT is handled as hardware asks (the
 * vCPU waits in wait-for-SIPI, its SIPI exits, exit_sipi), and under Bochs the stale INIT is
 * recognised and reported instead of spinning.
 *
 * What the guest can do with the page that it could not before: send INIT, SIPI, NMI and SMI
 * IPIs and program LVT delivery modes directly. All reach only its own CPUs (it has them all);
 * INIT and SIPI exit as above, NMIs exit (NMI exiting) and are given back to it as virtual
 * NMIs, Plinth's kicks still reach every CPU (the xAPIC ID is read-only, SDM 11.4.6), and an
 * SMI runs the firmware's SMM handler, whose SMRAM is locked (smram.c): no guest code runs in
 * SMM. The x2APIC ICR stays intercepted (exit_msr.c). A partition VM (interrupts_passthrough
 * false, or the boot option ipi_filter) keeps the page write-trapped for good: its IPIs must
 * not leave its CPUs.
 */
#include <plinth/console.h>
#include <x86/apic.h>
#include <x86/apic_passthrough.h>
#include <x86/ept.h>
#include <x86/nmi.h>
#include <x86/percpu.h>
#include <x86/vcpu_events.h>
#include <x86/vm.h>
#include <x86/vmexit.h>
#include <x86/vmx.h>

static bool all_started(struct vm *vm)
{
	u32 i;

	for (i = 0; i < PLINTH_MAX_CPUS && vm->arch->vcpus[i]; i++)
		if (vm->arch->vcpus[i]->sipi_wait)
			return false;
	return true;
}

void apic_passthrough_vcpu_started(struct vcpu *v)
{
	struct arch_vm *a = v->vm->arch;
	u32 i;
	int rc;

	if (!v->vm->interrupts_passthrough || a->apic_page_open || !all_started(v->vm))
		return;
	/* Only the last vCPU to start gets here with all started, and each vCPU starts on its
	 * own CPU: two cannot open the page at once, but a stale second call must not repeat. */
	if (__atomic_exchange_n(&a->apic_page_open, true, __ATOMIC_ACQ_REL))
		return;
	rc = ept_set_access(&a->ept, apic_page(), EPT_READ | EPT_WRITE);
	if (rc) {
		log_warn("%s: cannot open the local APIC page to the guest (error %d): its writes keep exiting",
			 v->vm->name, rc);
		return;
	}
	vmx_invept_single(a->eptp);
	for (i = 0; i < PLINTH_MAX_CPUS && a->vcpus[i]; i++)
		if (a->vcpus[i] != v)
			vcpu_post_invept(a->vcpus[i]);
	log_info("%s: all %u vCPUs started: the local APIC page is the guest's now (EOIs and timer writes no longer exit)",
		 v->vm->name, v->vm->vcpu_count);
}

void apic_passthrough_guest_init(struct vcpu *v)
{
	/* Started by a SIPI exit and not one instruction further: the INIT is the one that came
	 * before the SIPI, still latched (Bochs 2.7), and every VM entry would end in it again. */
	if (v->sipi_cs && vmcs_read(VMCS_GUEST_RIP) == 0 && vmcs_read(VMCS_GUEST_CS_SELECTOR) == v->sipi_cs &&
	    v->ev.sipi_by_exit) {
		vcpu_stop_vm(v, false,
			     "vCPU %u: the INIT the guest sent it before its SIPI is still pending: the CPU would exit with it at every entry (an emulator that keeps a latched INIT: Bochs 2.7); boot with ipi_filter",
			     v->id);
		return;
	}
	v->ev.sipi_by_exit = false;
	vcpu_take_init(v);
	vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_WAIT_FOR_SIPI);
}

void exit_sipi(struct vcpu *v)
{
	/* Bochs 2.7 exits before it unblocks NMIs from the wait-for-SIPI state. */
	nmi_unblock();
	v->ev.sipi_by_exit = true;
	vcpu_take_sipi(v, (u8)vmcs_read(VMCS_EXIT_QUALIFICATION));
}
