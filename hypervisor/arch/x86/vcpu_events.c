/*
 * Events for a vCPU. Other CPUs post requests (INIT, SIPI, NMI: the guest's IPIs, decoded by
 * vapic.c; an EPT switch, vm_mtrr.c) into the vCPU and kick its CPU with an NMI, which makes it exit however the guest
 * runs: its NMI blocking is virtual (pin-based "virtual NMIs", SDM 25.3), so physical NMIs
 * always exit. The target takes what was posted before its next VM entry: vmentry.S tests the
 * request word once, and only a posted request costs more than that. A kick that reaches
 * the CPU between exits is counted off in Plinth's NMI handler; if it came after the exit's
 * last look at the requests, the handler sends vmentry.S back to that look (nmi.c), so no
 * request waits for the guest's next exit. An NMI that is no kick is the platform's, and the
 * guest's.
 *
 * Guest NMIs are injected when the guest can take them, else NMI-window exiting waits for
 * that (SDM 26.7.6), and its exit injects them: a pending NMI always has the window on; at most one waits, as on hardware, where NMIs arriving while one is
 * pending are merged. An event whose delivery a VM exit interrupted (IDT-vectoring information,
 * SDM 28.2.4) is delivered again at the next VM entry, before anything else (SDM 27.6).
 */
#include <plinth/console.h>
#include <plinth/string.h>
#include <x86/apic.h>
#include <x86/apic_passthrough.h>
#include <x86/cpu.h>
#include <x86/processor.h>
#include <x86/vapic.h>
#include <x86/vcpu_events.h>
#include <x86/vmentry.h>
#include <x86/vmcs_guest.h>
#include <x86/vmexit.h>
#include <x86/vm_mtrr.h>
#include <x86/vmtrr.h>
#include <x86/vm.h>
#include <x86/vmx.h>

void vcpu_virtual_state_init(struct vcpu *v)
{
	struct percpu *pc = this_cpu();

	pc->entry_window[0][0] = (u64)(uintptr_t)vmx_resume_window;
	pc->entry_window[0][1] = (u64)(uintptr_t)vmx_resume_insn;
	pc->entry_window[0][2] = (u64)(uintptr_t)vmx_resume_again;
	pc->entry_window[1][0] = (u64)(uintptr_t)vmx_launch_window;
	pc->entry_window[1][1] = (u64)(uintptr_t)vmx_launch_insn;
	pc->entry_window[1][2] = (u64)(uintptr_t)vmx_launch_window;
	pc->entry_window[2][0] = (u64)(uintptr_t)vmx_resume_lean_window;
	pc->entry_window[2][1] = (u64)(uintptr_t)vmx_resume_lean_insn;
	pc->entry_window[2][2] = (u64)(uintptr_t)vmx_resume_lean_again;
	v->regs = &v->launch_regs; /* requests taken before the first entry change these */
	v->ev.proc_controls = (u32)vmcs_read(VMCS_CPU_BASED_VM_EXEC_CONTROL);
	vapic_vcpu_init(v);
	vmtrr_init(v);
}

static void kick(struct vcpu *t)
{
	if (t == current_vcpu())
		return; /* it looks at its requests at the end of this exit */
	__atomic_add_fetch(&t->ev.kicks_pending, 1, __ATOMIC_RELEASE);
	apic_send_ipi(t->apic_id, APIC_ICR_NMI);
}

static void post(struct vcpu *t, u32 req)
{
	/* Already posted: the kick for it is on its way, or was counted off by a CPU that will
	 * still see the request before it enters the guest. */
	if (!(__atomic_fetch_or(&t->ev.requests, req, __ATOMIC_ACQ_REL) & req))
		kick(t);
}

void vcpu_post_init(struct vcpu *t)
{
	post(t, VCPU_REQ_INIT);
}

void vcpu_post_sipi(struct vcpu *t, u8 vector)
{
	__atomic_store_n(&t->ev.sipi_vector, vector, __ATOMIC_RELEASE);
	post(t, VCPU_REQ_SIPI);
}

void vcpu_post_nmi(struct vcpu *t)
{
	post(t, VCPU_REQ_NMI);
}

void vcpu_post_ept_switch(struct vcpu *t)
{
	post(t, VCPU_REQ_EPT);
}

void vcpu_post_invept(struct vcpu *t)
{
	post(t, VCPU_REQ_INVEPT);
}

static void nmi_window(struct vcpu *v, bool on)
{
	u32 want = on ? v->ev.proc_controls | CPU_NMI_WINDOW_EXITING : v->ev.proc_controls & ~CPU_NMI_WINDOW_EXITING;

	if (want != v->ev.proc_controls) {
		v->ev.proc_controls = want;
		vmcs_write(VMCS_CPU_BASED_VM_EXEC_CONTROL, want);
	}
}

/* INIT: the vCPU waits for a SIPI in the state after INIT (SDM Table 10-1); what was to be
 * delivered to the old context goes. */
void vcpu_take_init(struct vcpu *v)
{
	v->sipi_wait = true;
	v->ev.nmi_pending = false;
	v->ev.nmi_block_stale = true;
	nmi_window(v, false);
	vmcs_write(VMCS_VM_ENTRY_INTR_INFO, 0);
	vmcs_guest_wait_for_sipi();
	memset(v->regs, 0, sizeof(*v->regs));
	if (v->id == 0)
		log_info("%s: vCPU 0 took an INIT: it waits for a SIPI (Plinth does not run the firmware again)",
			 v->vm->name);
}

void vcpu_take_sipi(struct vcpu *v, u8 vector)
{
	u32 a, b, c, d;

	/* A SIPI only starts a vCPU that waits for one (SDM 10.4.4). */
	if (!v->sipi_wait)
		return;
	v->sipi_wait = false;
	v->sipi_cs = (u16)vector << 8;
	vmcs_guest_sipi(vector);
	cpuid(1, 0, &a, &b, &c, &d);
	v->regs->rdx = a; /* the processor signature, as after INIT (SDM Table 10-1) */
	log_info("%s: vCPU %u starts at SIPI vector 0x%02x (real mode %04x:0000)", v->vm->name, v->id, vector,
		 vector << 8);
	apic_passthrough_vcpu_started(v);
}

/* Injects the pending guest NMI if the guest can take it now: nothing else is being injected
 * and no virtual-NMI, STI or MOV-SS blocking holds (SDM 27.3.1.5); else waits for the window. */
static void deliver_nmi(struct vcpu *v)
{
	u64 intr;

	if (v->sipi_wait) {
		v->ev.nmi_pending = false; /* a CPU waiting for its SIPI takes no NMI */
		return;
	}
	intr = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY_STATE);
	/* After an INIT the guest has no NMI blocking (the INIT state clears it), but Bochs 2.7
	 * keeps its virtual-NMI blocking until a guest IRET: VM entry only ever sets it from the
	 * interruptibility field (cpu/vmx.cc, VMenterLoadCheckGuestState), and VM exit reports it
	 * back. Until Plinth injects an NMI again, that report is stale. */
	if (v->ev.nmi_block_stale && (intr & INTERRUPTIBILITY_NMI)) {
		intr &= ~(u64)INTERRUPTIBILITY_NMI;
		vmcs_write(VMCS_GUEST_INTERRUPTIBILITY_STATE, intr);
	}
	if ((vmcs_read(VMCS_VM_ENTRY_INTR_INFO) & INTR_INFO_VALID) ||
	    (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS | INTERRUPTIBILITY_NMI))) {
		nmi_window(v, true);
		return;
	}
	vmcs_write(VMCS_VM_ENTRY_INTR_INFO, X86_EXC_NMI | INTR_TYPE_NMI | INTR_INFO_VALID);
	v->ev.nmi_pending = false;
	v->ev.nmi_block_stale = false;
	nmi_window(v, false);
	/* An NMI ends HLT: the guest resumes after it when its handler returns. */
	if (vmcs_read(VMCS_GUEST_ACTIVITY_STATE) == ACTIVITY_HLT)
		vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
}

static void process(struct vcpu *v)
{
	u32 req = __atomic_exchange_n(&v->ev.requests, 0, __ATOMIC_ACQ_REL);

	/* VCPU_REQ_STOP only says to look: a request left from the run before a restart is
	 * stale. */
	if (v->vm->stopped)
		vcpu_park(v);
	if (req & VCPU_REQ_EPT)
		vm_mtrr_switch(v);
	if (req & VCPU_REQ_INVEPT)
		vmx_invept_single(v->vm->arch->eptp);
	if (req & VCPU_REQ_INIT)
		vcpu_take_init(v);
	if (req & VCPU_REQ_SIPI)
		vcpu_take_sipi(v, __atomic_load_n(&v->ev.sipi_vector, __ATOMIC_ACQUIRE));
	if (req & VCPU_REQ_NMI)
		v->ev.nmi_pending = true;
	if (v->ev.nmi_pending)
		deliver_nmi(v);
}

void vcpu_events_exit_begin(struct vcpu *v)
{
	v->ev.idt_vectoring = (u32)vmcs_read(VMCS_IDT_VECTORING_INFO);
	if (v->ev.idt_vectoring & INTR_INFO_DELIVER_CODE)
		v->ev.idt_error_code = (u32)vmcs_read(VMCS_IDT_VECTORING_ERROR_CODE);
}

bool vcpu_in_event_delivery(const struct vcpu *v)
{
	return v->ev.idt_vectoring & INTR_INFO_VALID;
}

/* The interrupted delivery again, unless the handler injected something itself (VM exits
 * clear the injection field's valid bit, SDM 28.2.5). */
static void redeliver(struct vcpu *v)
{
	u32 info = v->ev.idt_vectoring, type = info & INTR_TYPE_MASK;

	if (!(info & INTR_INFO_VALID) || (vmcs_read(VMCS_VM_ENTRY_INTR_INFO) & INTR_INFO_VALID))
		return;
	vmcs_write(VMCS_VM_ENTRY_INTR_INFO, (info & INTR_INFO_VECTOR_TYPE_CODE) | INTR_INFO_VALID);
	if (info & INTR_INFO_DELIVER_CODE)
		vmcs_write(VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE, v->ev.idt_error_code);
	/* Software interrupts and exceptions restart from their instruction's length. */
	if (type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_PRIV_SOFT_EXCEPTION || type == INTR_TYPE_SOFT_EXCEPTION)
		vmcs_write(VMCS_VM_ENTRY_INSTRUCTION_LEN, vmcs_read(VMCS_VM_EXIT_INSTRUCTION_LEN));
}

void vcpu_events_exit_end(struct vcpu *v)
{
	redeliver(v);
}

void vcpu_events_recheck(void)
{
	process(current_vcpu());
}

void exit_nmi_window(struct vcpu *v)
{
	/* The guest can take its NMI now. */
	if (v->ev.nmi_pending)
		deliver_nmi(v);
	else
		nmi_window(v, false);
}
