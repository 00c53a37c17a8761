/*
 * VM-exit dispatch: a table indexed by basic exit reason, generated from tools/exits.py, which
 * lists every exit Plinth's VMX controls can produce with its handler or its stop policy. A
 * guest never brings Plinth down through an exit: what Plinth does not emulate (a task switch,
 * a failed VM entry, an exit it did not expect) stops that guest's VM with a decoded report
 * and the VMCS dumped (tools/plinth decode names the fields).
 */
#include <plinth/console.h>
#include <plinth/panic.h>
#include <vmcs_fields.h>
#include <x86/cpu.h>
#include <x86/vcpu_events.h>
#include <x86/vmexit.h>
#include <x86/vmx.h>

static void exit_stop(struct vcpu *v);
static __noreturn void exit_unexpected(struct vcpu *v);
static void exit_in_delivery(struct vcpu *v);

/* Exits that can interrupt the delivery of an event (SDM 28.2.4), whose IDT-vectoring
 * information can be valid. Every other exit happens at an instruction boundary: its handler
 * needs no redelivery, and the exit no VMREAD of that field. */
#define MAY_INTERRUPT_DELIVERY(r)                                                                     \
	((r) == EXIT_REASON_EXCEPTION_NMI || (r) == EXIT_REASON_EXTERNAL_INTERRUPT ||                   \
	 (r) == EXIT_REASON_TRIPLE_FAULT || (r) == EXIT_REASON_INIT_SIGNAL || (r) == EXIT_REASON_TASK_SWITCH || \
	 (r) == EXIT_REASON_EPT_VIOLATION || (r) == EXIT_REASON_EPT_MISCONFIG || (r) == EXIT_REASON_APIC_ACCESS || \
	 (r) == EXIT_REASON_PML_FULL || (r) == EXIT_REASON_SPP_EVENT)

/* Each reason's handler or stop. */
static const exit_handler_t handlers[EXIT_REASON_MAX + 1] = {
#define HANDLER(reason, fn) [EXIT_REASON_##reason] = fn,
	VMX_EXIT_HANDLERS(HANDLER)
#undef HANDLER
#define STOP(reason, why) [EXIT_REASON_##reason] = exit_stop,
	VMX_EXIT_STOPS(STOP)
#undef STOP
};

/* What vmentry.S calls for each basic reason, once it has counted the exit in v->exits and set
 * v->exit_reason: every entry set (the reasons no control produces stop the VM), and the exits
 * that can interrupt a delivery through exit_in_delivery, so that the common path tests
 * neither. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
const exit_handler_t vmexit_dispatch[EXIT_REASON_MAX + 1] = {
	[0 ... EXIT_REASON_MAX] = exit_unexpected,
#define HANDLER(reason, fn) \
	[EXIT_REASON_##reason] = MAY_INTERRUPT_DELIVERY(EXIT_REASON_##reason) ? exit_in_delivery : fn,
	VMX_EXIT_HANDLERS(HANDLER)
#undef HANDLER
#define STOP(reason, why) \
	[EXIT_REASON_##reason] = MAY_INTERRUPT_DELIVERY(EXIT_REASON_##reason) ? exit_in_delivery : exit_stop,
	VMX_EXIT_STOPS(STOP)
#undef STOP
};
#pragma GCC diagnostic pop

static const char *const stop_policies[EXIT_REASON_MAX + 1] = {
#define POLICY(reason, why) [EXIT_REASON_##reason] = why,
	VMX_EXIT_STOPS(POLICY)
#undef POLICY
};

/* What the VM's report says about the exit that stops it. */
static void stop_on_exit(struct vcpu *v, const char *policy)
{
	u32 basic = EXIT_REASON_BASIC((u32)vmcs_read(VMCS_VM_EXIT_REASON));

	vcpu_stop_vm(v, true, "exit reason %u %s in vCPU %u at guest rip 0x%lx, qualification 0x%lx: %s", basic,
		     exit_reason_name(basic), v->id, vmcs_read(VMCS_GUEST_RIP), vmcs_read(VMCS_EXIT_QUALIFICATION),
		     policy);
}

static void exit_stop(struct vcpu *v)
{
	stop_on_exit(v, stop_policies[EXIT_REASON_BASIC((u32)vmcs_read(VMCS_VM_EXIT_REASON))]);
}

void vmexit_resume_failed(struct guest_regs *regs)
{
	struct vcpu *v = current_vcpu();
	u64 err = vmcs_read(VMCS_VM_INSTRUCTION_ERROR);

	/* A control field Plinth wrote for this vCPU is wrong: its VM cannot go on, the others
	 * do not depend on it. */
	v->regs = regs;
	vcpu_stop_vm(v, true, "VMRESUME failed in vCPU %u: VM-instruction error %lu (%s), guest rip 0x%lx", v->id,
		     err, vmx_error_name(err), vmcs_read(VMCS_GUEST_RIP));
	vcpu_park(v);
}

void exit_undefined_instruction(struct vcpu *v)
{
	(void)v;
	/* VMX (and SMX) are hidden from guests: their instructions are undefined (SDM Vol. 2,
	 * VMX instructions: #UD outside VMX operation). */
	vcpu_inject_ud();
}

void exit_triple_fault(struct vcpu *v)
{
	vcpu_stop_vm(v, false, "triple fault in vCPU %u at guest rip 0x%lx (cr0 0x%lx, idtr limit 0x%lx)", v->id,
		     vmcs_read(VMCS_GUEST_RIP), vmcs_read(VMCS_CR0_READ_SHADOW), vmcs_read(VMCS_GUEST_IDTR_LIMIT));
}

void exit_invd(struct vcpu *v)
{
	(void)v;
	/* INVD drops modified cache lines without writing them back: Plinth's own data among
	 * them. It becomes WBINVD, which no guest can tell apart (SDM Vol. 2, INVD). */
	wbinvd();
	vcpu_skip_instruction();
}

static __noreturn void exit_unexpected(struct vcpu *v)
{
	stop_on_exit(v, "an exit Plinth's VMX controls should not produce (tools/exits.py)");
	vcpu_park(v);
}

void vmexit_unknown_reason(struct vcpu *v)
{
	exit_unexpected(v);
}

static void exit_in_delivery(struct vcpu *v)
{
	vcpu_events_exit_begin(v);
	handlers[v->exit_reason](v);
	vcpu_events_exit_end(v);
}

/* The exits whose handlers read and write no guest register but RAX, RBX, RCX, RDX, RSI, RDI
 * and R8-R11: vmentry.S saves and restores only those for them (a lean frame). A handler
 * added to this list must keep to that; vcpu_gpr() stops Plinth if one does not. */
#define LEAN(reason, word) (EXIT_REASON_##reason / 64 == (word) ? 1ULL << (EXIT_REASON_##reason % 64) : 0)
#define LEAN_WORD(w)                                                                                      \
	(LEAN(CPUID, w) | LEAN(VMCALL, w) | LEAN(IO_INSTRUCTION, w) | LEAN(MSR_READ, w) | LEAN(MSR_WRITE, w) | \
	 LEAN(XSETBV, w))
/* A bit for each of the 2^16 basic reasons the field can hold (8 KiB, zero past the first
 * two words): vmentry.S tests it before it checks the reason's range, on the full path. */
const u64 vmexit_lean_reasons[(1 << 16) / 64] = { LEAN_WORD(0), LEAN_WORD(1) };
_Static_assert(EXIT_REASON_MAX < 128, "vmexit_lean_reasons sets bits in two words");

bool vmexit_frame_lean(const struct vcpu *v)
{
	return v->regs != &v->launch_regs && v->exit_reason <= EXIT_REASON_MAX &&
	       (vmexit_lean_reasons[v->exit_reason / 64] >> (v->exit_reason % 64) & 1);
}

void vcpu_gpr_lean_failed(const struct vcpu *v, u32 index)
{
	panic("a handler used a register the exit did not save",
	      "exit reason %u (%s) has a lean frame (vmexit_lean_reasons) but its handler used GPR %u", v->exit_reason,
	      exit_reason_name(v->exit_reason), index);
}
