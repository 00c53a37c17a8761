/*
 * VM exit stub and first VM entry. On a VM exit the CPU loads HOST_RSP (this CPU's stack top
 * less GUEST_REGS_FRAME: the frame is already there) and HOST_RIP (vmx_exit_stub): we save the
 * guest's general registers in that struct guest_regs, count the exit, call its handler
 * in C (vmexit_dispatch) and resume.
 * Guest RSP/RIP/RFLAGS live in the VMCS. A VM exit clears RFLAGS but bit 1 (SDM 28.5.3): DF
 * is clear, as C wants.
 *
 * Two frames. The common exits (vmexit_lean_reasons, vmexit.c) have handlers that use only
 * RAX, RBX, RCX, RDX, RSI, RDI and R8-R11: the stub saves and restores just those, and the
 * guest's RBP and R12-R15 stay in the CPU, which the C code keeps as the SysV ABI has it
 * (callee-saved). Every other exit gets the whole frame; so does a lean one that goes on to
 * take requests (they may reset every register: INIT), the stub saving the five first. (In a
 * lean exit RBP is the guest's, so a backtrace from its handler can end in a stray frame:
 * trap.c follows only frames inside Plinth.)
 *
 * The TSC read at the exit and again before the entry gives Plinth's time for the exit, summed
 * per exit reason (vcpu.h exit_ticks). Before each VM entry one test of the vCPU's request
 * word says whether anything was posted to it (vcpu_events.c); the console poll of a
 * partition's boot vCPU is one test of a flag (vm_console.c). A lean exit tests both with one
 * 8-byte compare (they are neighbours) and takes either on the full path.
 */
#include "asm-offsets.h"

	.text
	.code64

.macro save_lean
	mov %rcx, GR_RCX(%rsp)
	mov %rbx, GR_RBX(%rsp)
	mov %rsi, GR_RSI(%rsp)
	mov %rdi, GR_RDI(%rsp)
	mov %r8, GR_R8(%rsp)
	mov %r9, GR_R9(%rsp)
	mov %r10, GR_R10(%rsp)
	mov %r11, GR_R11(%rsp)
.endm

.macro save_callee_saved
	mov %rbp, GR_RBP(%rsp)
	mov %r12, GR_R12(%rsp)
	mov %r13, GR_R13(%rsp)
	mov %r14, GR_R14(%rsp)
	mov %r15, GR_R15(%rsp)
.endm

.macro load_callee_saved base
	mov GR_RBP(\base), %rbp
	mov GR_R12(\base), %r12
	mov GR_R13(\base), %r13
	mov GR_R14(\base), %r14
	mov GR_R15(\base), %r15
.endm

/* All but RDI, which holds the base until the last (and RBP, R12-R15). */
.macro load_lean base
	mov GR_RCX(\base), %rcx
	mov GR_RDX(\base), %rdx
	mov GR_RBX(\base), %rbx
	mov GR_RSI(\base), %rsi
	mov GR_R8(\base), %r8
	mov GR_R9(\base), %r9
	mov GR_R10(\base), %r10
	mov GR_R11(\base), %r11
	mov GR_RAX(\base), %rax
.endm

/* After the handler: Plinth's ticks since the exit (or since the requests were taken) to its
 * reason's sum. The low 32 bits suffice: no exit takes 2^32 ticks (the 32-bit SUB zero-extends
 * into RAX). RCX: the vCPU; RBX: the basic reason, from the exit on (C keeps RBX). */
.macro ticks
	rdtsc
	sub %gs:PC_EXIT_TSC, %eax
	add %rax, VCPU_EXIT_TICKS(%rcx,%rbx,8)
.endm

/* The exit counted by reason and handled: the dispatch table, vmexit.c. RDI: the vCPU. */
.macro dispatch
	incq VCPU_EXITS(%rdi,%rbx,8)
	mov %ebx, VCPU_EXIT_REASON(%rdi)
	call *vmexit_dispatch(,%rbx,8)
.endm

/* The same after the console poll where the vCPU has one. */
.macro account
	mov %gs:PC_VCPU, %rcx
	cmpl $0, VCPU_POLLS_CONSOLE(%rcx)
	jne 5f
4:	ticks
.endm

.macro console_poll
5:	call vm_console_poll
	mov %gs:PC_VCPU, %rcx
	jmp 4b
.endm

	.global vmx_exit_stub
vmx_exit_stub:
	mov %rax, GR_RAX(%rsp)
	mov %rdx, GR_RDX(%rsp)
	rdtsc
	mov %eax, %gs:PC_EXIT_TSC
	save_lean
	mov $FIELD_VM_EXIT_REASON, %eax
	vmread %rax, %rax
	jbe vmx_exit_reason_failed
	movzwl %ax, %ebx                /* the basic reason, kept in RBX to the entry */
	mov %gs:PC_VCPU, %rdi
	mov %rsp, VCPU_REGS(%rdi)       /* v->regs: the frame, for the handlers */
	bt %rbx, vmexit_lean_reasons(%rip) /* a bit for every 16-bit reason */
	jnc vmx_exit_full
	dispatch
	mov %gs:PC_VCPU, %rcx
	ticks
/* From here to the VMRESUME, an NMI handled on this CPU sends it to _again (nmi.c): what
 * it posted to the vCPU is taken before the guest runs, not at its next exit. RCX holds the
 * vCPU. One compare covers the requests and the console poll. */
	.global vmx_resume_lean_window, vmx_resume_lean_insn, vmx_resume_lean_again
vmx_resume_lean_window:
	cmpq $0, VCPU_REQUESTS(%rcx)
	jne 2f
	load_lean %rsp
	mov GR_RDI(%rsp), %rdi
vmx_resume_lean_insn:
	vmresume
	save_callee_saved               /* only reached when VMRESUME fails */
	jmp vmx_resume_failed
2:	save_callee_saved               /* still the guest's: the C code kept them */
	rdtsc                           /* the full path's poll, ticks and requests: from here on */
	mov %eax, %gs:PC_EXIT_TSC
	jmp vmx_exit_account
vmx_resume_lean_again:
	mov %gs:PC_VCPU, %rcx
	jmp vmx_resume_lean_window

vmx_exit_full:
	cmp $EXIT_REASONS, %ebx
	jae vmx_exit_unknown
	save_callee_saved
	xor %ebp, %ebp                  /* a backtrace from the handler ends here */
	dispatch
vmx_exit_account:
	account
	.global vmx_resume_window, vmx_resume_insn, vmx_resume_again
vmx_resume_window:
	cmpl $0, VCPU_REQUESTS(%rcx)
	jne vmx_take_requests
	load_callee_saved %rsp
	load_lean %rsp
	mov GR_RDI(%rsp), %rdi
vmx_resume_insn:
	vmresume
vmx_resume_failed:
	mov %rsp, %rdi
	call vmexit_resume_failed
vmx_take_requests:
	rdtsc                           /* the ticks up to here are counted: from here on */
	mov %eax, %gs:PC_EXIT_TSC
	call vcpu_events_recheck
	jmp vmx_exit_account
	console_poll
vmx_resume_again:
	mov %gs:PC_VCPU, %rcx
	jmp vmx_resume_window

vmx_exit_unknown:
	save_callee_saved
	call vmexit_unknown_reason
vmx_exit_reason_failed:
	mov $FIELD_VM_EXIT_REASON, %edi
	call vmcs_read_failed

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
/* As for VMRESUME above (an NMI restarts at the window): requests posted before the first
 * entry are taken first. */
	.global vmx_launch_window, vmx_launch_insn
vmx_launch_window:
	mov %gs:PC_VCPU, %rax
	cmpl $0, VCPU_REQUESTS(%rax)
	jne 3f
	mov (%rsp), %rdi
	load_callee_saved %rdi
	load_lean %rdi
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
