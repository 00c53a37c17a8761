/* A virtual CPU on VMX (vcpu.c): the guest registers the exit stub saved, its VMCS and INIT/SIPI
 * state, its exit counters (exit_stats.c reports them), and the services exit handlers use. */
#ifndef X86_VCPU_H
#define X86_VCPU_H

#include <plinth/types.h>
#include <plinth/vm.h>
#include <vmcs_fields.h>
#include <x86/mtrr.h>
#include <x86/percpu.h>
#include <x86/processor.h>
#include <x86/vmx.h>
#include <x86/vmx_insn.h>

/* Guest general registers, in the SDM's register numbering (exit qualifications name
 * registers by these numbers, SDM Table 28-3); the rsp slot is unused (RSP is in the VMCS). */
struct guest_regs {
	u64 rax, rcx, rdx, rbx, rsp_unused, rbp, rsi, rdi;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
};
/* The exit stub's frame sits at the top of each CPU's stack, HOST_RSP at its start (the stack
 * stays 16-byte aligned for the call into C). */
#define GUEST_REGS_FRAME ((sizeof(struct guest_regs) + 15) & ~15UL)

#define GPR_RCX 1
#define GPR_RSP 4
#define GPR_RSI 6
#define GPR_RDI 7

/* What other CPUs post to a vCPU (vcpu_events.c): request bits, and the NMIs Plinth sent to
 * make it exit and look at them (kicks), told apart from NMIs of the platform by counting. */
#define VCPU_REQ_INIT BIT(0)
#define VCPU_REQ_SIPI BIT(1)
#define VCPU_REQ_NMI BIT(2)
#define VCPU_REQ_EPT BIT(3) /* switch to the VM's current EPT (vm_mtrr.c) */
#define VCPU_REQ_INVEPT BIT(4) /* the VM's EPT changed (apic_passthrough.c) */
#define VCPU_REQ_STOP BIT(5)   /* its VM stopped: park (vm_kick.c) */

struct vcpu_events {
	volatile u32 requests __aligned(8);
	/* Set for the boot CPU's vCPU in a partition, which reads the console's input at the end
	 * of its exits (vm_console.c). Beside requests: the lean exit path tests both with one
	 * 8-byte compare (vmentry.S). */
	u32 polls_console;
	volatile u32 kicks_pending;
	volatile u8 sipi_vector;
	volatile bool parked;	/* left guest mode for good: its VM stopped */
	bool nmi_pending;	/* a guest NMI waiting until the guest can take it */
	bool nmi_block_stale;	/* INIT ended the guest's NMI blocking; Bochs still reports it */
	bool init_ignored_logged;
	bool sipi_by_exit;	/* its last start was a SIPI exit (apic_passthrough.c) */
	u32 idt_vectoring;	/* of the exit being handled: the event delivery it interrupted */
	u32 idt_error_code;
	u32 proc_controls;	/* primary processor-based controls (NMI-window exiting toggles) */
};
_Static_assert(__builtin_offsetof(struct vcpu_events, polls_console) ==
		       __builtin_offsetof(struct vcpu_events, requests) + 4,
	       "vmentry.S tests requests and polls_console as one 8-byte word");

/* The local APIC as the guest programs it (vapic.c, apic_base.c): IA32_APIC_BASE as the guest
 * sees it (the base never moves), and the logical destination registers its IPIs are decoded
 * with (xAPIC LDR and DFR; x2APIC derives them from the id). */
struct vapic {
	u64 base_msr;
	u32 ldr, dfr;
	bool x2apic;
	bool refusal_logged;
};

struct vcpu {
	struct vm *vm;
	u32 id;
	u32 cpu;    /* the physical CPU it runs on (Plinth's index) */
	void *vmcs; /* its VMCS region, allocated with the vCPU */
	struct guest_regs *regs; /* valid during an exit: the frame the exit stub built */
	struct guest_regs launch_regs;
	u64 exits[EXIT_REASON_MAX + 1];
	/* TSC ticks in Plinth per exit reason, from the exit stub's RDTSC to the one before VM
	 * entry (vmentry.S): how much of the guest's time its exits cost. */
	u64 exit_ticks[EXIT_REASON_MAX + 1];
	u32 exit_reason; /* basic reason of the exit being handled, for exit_ticks */
	u32 cpuid_fixups; /* the leaves up to 0x16 whose host answer Plinth changes (exit_cpuid.c) */
	u64 launch_tsc;	 /* TSC at its first VM entry: its time since, against exit_ticks */
	/* INIT/SIPI as the guest sends them: through Plinth (vapic.c), the vCPU waits for a SIPI
	 * halted, in software; once its VM owns the xAPIC page, in the wait-for-SIPI activity
	 * state, where the guest's SIPI exits (apic_passthrough.c). Set for APs from creation. */
	volatile bool sipi_wait;
	u16 sipi_cs; /* CS selector the last SIPI started it with */
	struct vcpu_events ev;
	struct vapic apic;
	struct vmtrr mtrr;
	u32 ept_gen; /* the VM's EPT switch its VMCS points at (vm_mtrr.c) */
	u32 icr_high;		    /* last xAPIC ICR high word the guest wrote */
	u32 apic_id;		    /* of the CPU running this vCPU */
	u64 ipis_dropped;	    /* IPIs (or their part) to CPUs outside a partition */
	bool ipi_drop_logged;
	u32 start; /* the VM's start (struct vm starts) it runs in */
	bool restart_on_park; /* it stopped its VM for the guest's reset request: it restarts it */
};

/* Pool pages a vCPU holds beside its VMCS page. */
#define VCPU_PAGES ((sizeof(struct vcpu) + PLINTH_PAGE_SIZE - 1) / PLINTH_PAGE_SIZE)

/* A vCPU of vm for CPU cpu, with its VMCS region, while the VM is built (vm.c): the CPUs that
 * launch a VM at once then share no allocator on their way to VM entry, and a pool too small
 * fails that VM alone. NULL when the pool is exhausted. */
struct vcpu *vcpu_create(struct vm *vm, u32 id, u32 cpu);
void vcpu_destroy(struct vcpu *v);

/* The vCPU this CPU runs. */
static inline struct vcpu *current_vcpu(void)
{
	return this_cpu()->vcpu;
}

/* Whether the exit being handled has a lean frame: RBP and R12-R15 not in it (vmexit.c). */
bool vmexit_frame_lean(const struct vcpu *v);
__noreturn void vcpu_gpr_lean_failed(const struct vcpu *v, u32 index);
#define GPR_CALLEE_SAVED (BIT(5) | BIT(12) | BIT(13) | BIT(14) | BIT(15)) /* RBP, R12-R15 */
static inline void vcpu_gpr_check(const struct vcpu *v, u32 index)
{
	if (__builtin_expect((GPR_CALLEE_SAVED >> index & 1) && vmexit_frame_lean(v), 0))
		vcpu_gpr_lean_failed(v, index);
}

/* A guest register by its SDM number (0 = RAX .. 15 = R15; GPR_RSP lives in the VMCS). */
static inline u64 vcpu_gpr(struct vcpu *v, u32 index)
{
	vcpu_gpr_check(v, index);
	if (index == GPR_RSP)
		return vmcs_read(VMCS_GUEST_RSP);
	return ((u64 *)v->regs)[index];
}

static inline void vcpu_set_gpr(struct vcpu *v, u32 index, u64 value)
{
	vcpu_gpr_check(v, index);
	if (index == GPR_RSP)
		vmcs_write(VMCS_GUEST_RSP, value);
	else
		((u64 *)v->regs)[index] = value;
}

/* Event injection at the next VM entry (SDM 27.6): as the CPU delivers the exception in the
 * guest's mode (no error code in real mode, RF set in the RFLAGS image of a fault). */
void vcpu_inject_exception(u32 vector, bool has_error_code, u32 error_code);
void vcpu_inject_gp(void);
void vcpu_inject_ud(void);
/* RF and TF when an instruction Plinth emulated completes (vcpu_step.c), out of line: rare. */
void vcpu_complete_flags(u64 rflags);
/* The body of vcpu_skip_instruction_len, inline for the common exits' handlers
 * (vcpu_skip_instruction_fast): a call is a good part of their path. */
static inline __attribute__((always_inline)) void vcpu_advance_rip(u64 len)
{
	u64 intr = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY_STATE);
	u64 rflags = vmcs_read(VMCS_GUEST_RFLAGS);
	u64 rip = vmcs_read(VMCS_GUEST_RIP), next = rip + len;

	/* Outside 64-bit code the instruction pointer is EIP, or IP in 16-bit code: it wraps
	 * (SDM Vol. 1, 3.5: "the EIP register"), and VM entry refuses a RIP above 4 GiB there.
	 * Below 64 KiB nothing can wrap, and the code size is not read. Laid out for 64-bit code
	 * above it (CS.L, then IA32_EFER.LMA, which CS.L needs to mean 64-bit code), straight
	 * through. */
	if (__builtin_expect(next > 0xffffULL, 1)) {
		u64 cs = vmcs_read(VMCS_GUEST_CS_ACCESS_RIGHTS);

		if (__builtin_expect(!(cs & AR_L), 0) ||
		    __builtin_expect(!(vmcs_read(VMCS_GUEST_IA32_EFER) & EFER_LMA), 0))
			next &= cs & AR_DB ? 0xffffffffULL : 0xffffULL;
	}
	vmcs_write(VMCS_GUEST_RIP, next);
	/* The instruction completes: the STI/MOV-SS blocking it leaves ends (SDM Vol. 3A, 6.8.3).
	 * Rare: written only when set, since this is on every exit's path. */
	if (__builtin_expect(intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS), 0))
		vmcs_write(VMCS_GUEST_INTERRUPTIBILITY_STATE,
			   intr & ~(u64)(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
	if (__builtin_expect(rflags & (X86_RFLAGS_RF | X86_RFLAGS_TF), 0))
		vcpu_complete_flags(rflags);
}
/* Completes an instruction Plinth emulated: RIP past it (wrapping as the guest's code size
 * does), its STI/MOV-SS blocking and RF gone, and under TF the single-step trap it owes the
 * guest. The _len form for an instruction Plinth decoded itself. */
void vcpu_skip_instruction_len(u32 len);
static inline void vcpu_skip_instruction(void)
{
	vcpu_skip_instruction_len((u32)vmcs_read(VMCS_VM_EXIT_INSTRUCTION_LEN));
}
static inline void vcpu_skip_instruction_fast(void)
{
	vcpu_advance_rip(vmcs_read(VMCS_VM_EXIT_INSTRUCTION_LEN)); /* a 32-bit field: VMREAD zero-extends it */
}
/* Whether the guest runs 64-bit code now (IA-32e mode and CS.L). */
bool vcpu_long_mode(void);
/* The guest's current privilege level (from SS.DPL). Inline: VMCALL asks on every call. */
static inline u32 vcpu_cpl(void)
{
	return AR_DPL(vmcs_read(VMCS_GUEST_SS_ACCESS_RIGHTS));
}

/* For reports on a VM exit: the guest's registers and the VMCS. */
void vcpu_dump(struct vcpu *v);

/* Stops v's VM with a report (vm_stop) and, when dump, v's registers and VMCS after it. False
 * when another vCPU (or the monitor) stopped it first. */
bool vcpu_stop_vm(struct vcpu *v, bool dump, const char *fmt, ...) __printf(3, 4);
/* A stopped VM's vCPU never re-enters: the boot CPU runs the monitor (once the VM's other
 * vCPUs have left guest mode and its report is out), the others halt. */
__noreturn void vcpu_park(struct vcpu *v);

#endif
