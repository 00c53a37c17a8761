/*
 * VM exit stub and first VM entry. On a VM exit the CPU loads HOST_RSP (this CPU's stack top
 * less GUEST_REGS_FRAME: the frame is already there) and HOST_RIP (vmx_exit_stub): we save the
 * guest's general registers in that struct guest_regs, call vmexit_handle() in C and resume.
 * Guest RSP/RIP/RFLAGS live in the VMCS. The TSC read at the exit and again before the entry
 * gives Plinth's time for the exit, summed per exit reason (vcpu.h exit_ticks). Before each VM
 * entry one test of the vCPU's request word says whether anything was posted to it
 * (vcpu_events.c). A VM exit clears RFLAGS but bit 1 (SDM 28.5.3): DF is clear, as C wants.
 */
#include "asm-offsets.h"

	.text
	.code64

.macro load_guest_regs base
	mov GR_RCX(\base), %rcx
	mov GR_RDX(\base), %rdx
	mov GR_RBX(\base), %rbx
	mov GR_RBP(\base), %rbp
	mov GR_RSI(\base), %rsi
	mov GR_R8(\base), %r8
	mov GR_R9(\base), %r9
	mov GR_R10(\base), %r10
	mov GR_R11(\base), %r11
	mov GR_R12(\base), %r12
	mov GR_R13(\base), %r13
	mov GR_R14(\base), %r14
	mov GR_R15(\base), %r15
	mov GR_RAX(\base), %rax
.endm

	.global vmx_exit_stub
vmx_exit_stub:
	mov %rax, GR_RAX(%rsp)
	mov %rdx, GR_RDX(%rsp)
	rdtsc
	mov %eax, %gs:PC_EXIT_TSC
	mov %rcx, GR_RCX(%rsp)
	mov %rbx, GR_RBX(%rsp)
	mov %rbp, GR_RBP(%rsp)
	mov %rsi, GR_RSI(%rsp)
	mov %rdi, GR_RDI(%rsp)
	mov %r8, GR_R8(%rsp)
	mov %r9, GR_R9(%rsp)
	mov %r10, GR_R10(%rsp)
	mov %r11, GR_R11(%rsp)
	mov %r12, GR_R12(%rsp)
	mov %r13, GR_R13(%rsp)
	mov %r14, GR_R14(%rsp)
	mov %r15, GR_R15(%rsp)
	mov %rsp, %rdi
	mov %gs:PC_VCPU, %rsi
	xor %ebp, %ebp                  /* a backtrace from the handler ends here */
	call vmexit_handle
/* Plinth's ticks since the exit (or since the requests were taken) to its reason's sum. The
 * low 32 bits suffice: no exit takes 2^32 ticks (the 32-bit SUB zero-extends into RAX). */
vmx_exit_account:
	rdtsc
	sub %gs:PC_EXIT_TSC, %eax
	mov %gs:PC_VCPU, %rcx
	mov VCPU_EXIT_REASON(%rcx), %edx
	add %rax, VCPU_EXIT_TICKS(%rcx,%rdx,8)
/* From here to the VMRESUME, an NMI handled on this CPU comes back here (nmi.c): what it
 * posted to the vCPU is taken before the guest runs, not at its next exit. */
	.global vmx_resume_window, vmx_resume_insn
vmx_resume_window:
	mov %gs:PC_VCPU, %rax
	cmpl $0, VCPU_REQUESTS(%rax)
	jne 2f
	load_guest_regs %rsp
	mov GR_RDI(%rsp), %rdi
vmx_resume_insn:
	vmresume
	/* Only reached when VMRESUME fails. */
	mov %rsp, %rdi
	call vmexit_resume_failed
2:	rdtsc                           /* the ticks up to here are counted: from here on */
	mov %eax, %gs:PC_EXIT_TSC
	call vcpu_events_recheck
	jmp vmx_exit_account

/* int vmx_launch(struct guest_regs *regs): enters the guest; returns 1 only if VMLAUNCH fails. */
	.global vmx_launch
vmx_launch:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	push %rdi
/* As for VMRESUME above: requests posted before the first entry are taken first. */
	.global vmx_launch_window, vmx_launch_insn
vmx_launch_window:
	mov %gs:PC_VCPU, %rax
	cmpl $0, VCPU_REQUESTS(%rax)
	jne 3f
	mov (%rsp), %rdi
	load_guest_regs %rdi
	mov GR_RDI(%rdi), %rdi
vmx_launch_insn:
	vmlaunch
	pop %rdi
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	mov $1, %eax
	ret
3:	call vcpu_events_recheck
	jmp vmx_launch_window
