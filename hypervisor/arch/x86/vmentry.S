/*
 * VM exit stub and first VM entry. On a VM exit the CPU loads HOST_RSP (the top of this CPU's
 * stack) and HOST_RIP (vmx_exit_stub): we save the guest's general registers in a struct
 * guest_regs there, call vmexit_handle() in C and resume. Guest RSP/RIP/RFLAGS live in the VMCS.
 * Before each VM entry it looks at the vCPU's requests once more (vcpu_events.c).
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
	sub $GR_FRAME, %rsp
	mov %rax, GR_RAX(%rsp)
	mov %rcx, GR_RCX(%rsp)
	mov %rdx, GR_RDX(%rsp)
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
	xor %ebp, %ebp                  /* a backtrace from the handler ends here */
	cld
	call vmexit_handle
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
2:	call vcpu_events_recheck
	jmp vmx_resume_window

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
