/* A virtual CPU on VMX: its VMCS, the guest registers the exit stub saved, and statistics. */
#ifndef X86_VCPU_H
#define X86_VCPU_H

#include <plinth/types.h>
#include <plinth/vm.h>
#include <vmcs_fields.h>
#include <x86/ept.h>

/* Guest general registers, in the SDM's register numbering (exit qualifications name
 * registers by these numbers, SDM Table 28-3); the rsp slot is unused (RSP is in the VMCS). */
struct guest_regs {
	u64 rax, rcx, rdx, rbx, rsp_unused, rbp, rsi, rdi;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
};

struct arch_vm {
	struct ept ept;
	u64 eptp;
	u16 vpid;
	u8 *msr_bitmap;
	u8 *io_bitmap_a, *io_bitmap_b;
	u32 test_port_scratch; /* state of the emulated test device */
};

struct vcpu {
	struct vm *vm;
	u32 id;
	void *vmcs;
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

/* Exit stub and first entry (vmentry.S). vmx_launch returns only when VMLAUNCH fails. */
void vmx_exit_stub(void);
int vmx_launch(struct guest_regs *regs);

/* The C side of a VM exit (vmexit.c); returns to resume the guest. */
void vmexit_handle(struct guest_regs *regs);

/* VMCS set-up for a vCPU (vmcs.c). */
void vmcs_setup(struct vcpu *v);
/* Guest state for 32-bit flat protected mode at entry (boot vCPU) or wait-for-SIPI (APs). */
void vmcs_guest_protected32(const struct vm_boot *boot);
/* A vCPU waiting for a SIPI: the state after INIT, halted (SDM Table 10-1). */
void vmcs_guest_wait_for_sipi(void);
/* Real-mode state at the SIPI vector's page (SDM 10.4.4.1, INIT-SIPI start-up). */
void vmcs_guest_sipi(u8 vector);

/* Event injection (event.c). */
void vcpu_inject_exception(u32 vector, bool has_error_code, u32 error_code);
void vcpu_inject_gp(void);
void vcpu_inject_ud(void);
void vcpu_skip_instruction(void);
/* The guest's current privilege level (from SS.DPL). */
u32 vcpu_cpl(void);
/* Points at guest-physical [gpa, gpa + size) if it is RAM of this VM that Plinth can reach;
 * NULL otherwise (the caller returns -EFAULT to the guest). */
void *vcpu_guest_ptr(struct vcpu *v, gpa_t gpa, u64 size);

/* The vCPU this CPU runs. */
struct vcpu *current_vcpu(void);

#endif
