/* A virtual CPU on VMX (vcpu.c): the guest registers the exit stub saved, its VMCS and INIT/SIPI
 * state, its exit counters (exit_stats.c reports them), and the services exit handlers use. */
#ifndef X86_VCPU_H
#define X86_VCPU_H

#include <plinth/types.h>
#include <plinth/vm.h>
#include <vmcs_fields.h>
#include <x86/percpu.h>

/* Guest general registers, in the SDM's register numbering (exit qualifications name
 * registers by these numbers, SDM Table 28-3); the rsp slot is unused (RSP is in the VMCS). */
struct guest_regs {
	u64 rax, rcx, rdx, rbx, rsp_unused, rbp, rsi, rdi;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
};

#define GPR_RSP 4

struct vcpu {
	struct vm *vm;
	u32 id;
	u32 cpu;    /* the physical CPU it runs on (Plinth's index) */
	void *vmcs; /* its VMCS region, allocated with the vCPU */
	struct guest_regs *regs; /* valid during an exit: the frame the exit stub built */
	struct guest_regs launch_regs;
	u64 exits[EXIT_REASON_MAX + 1];
	u64 exits_total;
	/* INIT/SIPI as the guest sends them (vapic.c): the vCPU waits for a SIPI halted, in
	 * software, because a SIPI VM exit cannot be relied on (Bochs 2.7 loses the vCPU). */
	volatile bool sipi_wait;
	volatile bool pending_init;
	volatile int pending_sipi; /* vector, or -1 */
	volatile bool kicked;	    /* an NMI from Plinth is on its way: not the guest's */
	u32 icr_high;		    /* last xAPIC ICR high word the guest wrote */
	u32 apic_id;		    /* of the CPU running this vCPU */
};

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

/* A guest register by its SDM number (0 = RAX .. 15 = R15; GPR_RSP lives in the VMCS). */
u64 vcpu_gpr(struct vcpu *v, u32 index);
void vcpu_set_gpr(struct vcpu *v, u32 index, u64 value);

/* Event injection at the next VM entry (SDM 27.6). */
void vcpu_inject_exception(u32 vector, bool has_error_code, u32 error_code);
void vcpu_inject_gp(void);
void vcpu_inject_ud(void);
/* Completes an instruction Plinth emulated: RIP past it, its STI/MOV-SS blocking gone. */
void vcpu_skip_instruction(void);
/* The guest's current privilege level (from SS.DPL). */
u32 vcpu_cpl(void);

/* For FATAL reports on a VM exit: the guest's registers and the VMCS; and the whole report,
 * "<what> (exit reason N NAME, qualification, guest rip)" with that dump. */
void vcpu_dump(struct vcpu *v);
__noreturn void vcpu_fatal_exit(struct vcpu *v, const char *what, u32 reason);

/* A stopped VM's vCPU never re-enters: the boot CPU runs the monitor, the others halt. */
__noreturn void vcpu_park(struct vcpu *v);

#endif
