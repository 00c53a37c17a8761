/*
 * Leaving long mode for a moment (checks_hostile_cr.c): a GDT of the lab's own (the guest's
 * four entries, then a 32-bit code segment with a base, two 32-bit TSSs), compatibility mode,
 * legacy 32-bit protected mode with paging off and an IDT of its own, and back.
 *
 * u32 lab_run(u32 test): runs lab_tests[test] in legacy 32-bit mode and returns what it
 * returned. An exception there is recorded in lab_fault (vector) and lab_fault_code and
 * resumes at lab_resume, which each test sets before what may fault.
 * u32 lab_cpuid_wrap(u32 leaf): CPUID at EIP 0xFFFFFFFE of a 32-bit code segment whose base
 * puts it in guest RAM (lab_wrap_code, filled in by C); EIP wraps to 0, where a far jump
 * comes back; returns EAX, and EBX/ECX/EDX in lab_wrap_regs.
 */
#include "guest_layout.h"
#include <x86/processor.h>

#define LAB_CODE32_BASED 0x20
#define LAB_TSS_A 0x28
#define LAB_TSS_B 0x30
#define LAB_GDT_ENTRIES 7
#define LAB_CR0_NE 0x20 /* CR0.NE: VMX owns it, so flipping it makes a CR0 write exit */

	.text
	.code64
	.global lab_run
lab_run:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, lab_saved_rsp(%rip)
	sgdt lab_saved_gdt(%rip)
	sidt lab_saved_idt(%rip)
	lgdt lab_gdt_desc(%rip)
	mov %edi, lab_test(%rip)
	ljmpl *lab_to32(%rip)

	.code32
lab32_entry:
	mov $GDT_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	/* Paging off ends IA-32e mode (LMA), then LME off: legacy protected mode. */
	mov %cr0, %eax
	and $~X86_CR0_PG, %eax
	mov %eax, %cr0
	mov $MSR_EFER, %ecx
	rdmsr
	and $~EFER_LME, %eax
	wrmsr
	lidt lab_idt_desc
	mov %esp, lab_esp32
	movl $lab32_unexpected, lab_resume
	mov lab_test, %eax
	call *lab_tests(,%eax,4)
lab32_back:
	mov %eax, lab_result
	mov lab_esp32, %esp
	/* Long mode again: PAE, the guest's page tables, LME, paging. */
	mov %cr4, %eax
	or $X86_CR4_PAE, %eax
	mov %eax, %cr4
	mov $pml4, %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	wrmsr
	mov %cr0, %eax
	or $X86_CR0_PG, %eax
	mov %eax, %cr0
	ljmp $GDT_CODE64, $lab64_back

lab32_unexpected:
	mov $0xffffffff, %eax
	jmp lab32_back

	.code64
lab64_back:
	mov $GDT_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov lab_saved_rsp(%rip), %rsp
	lgdt lab_saved_gdt(%rip)
	lidt lab_saved_idt(%rip)
	mov lab_result(%rip), %eax
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

	.global lab_cpuid_wrap
lab_cpuid_wrap:
	push %rbx
	sgdt lab_saved_gdt(%rip)
	lgdt lab_gdt_desc(%rip)
	mov %edi, %eax
	xor %ecx, %ecx
	ljmpl *lab_wrap_entry(%rip)
	.global lab_wrap_back
lab_wrap_back:
	mov %ebx, lab_wrap_regs(%rip)
	mov %ecx, lab_wrap_regs+4(%rip)
	mov %edx, lab_wrap_regs+8(%rip)
	mov %eax, %ebx
	lgdt lab_saved_gdt(%rip)
	mov %ebx, %eax
	pop %rbx
	ret

/* 32-bit exception stubs: vector (and a 0 where the CPU pushes no error code) on the stack. */
#define HAS_ERROR_CODE(n) ((n) == 8 || ((n) >= 10 && (n) <= 14) || (n) == 17)
	.code32
	.altmacro
	.macro lab_vector n
	.balign 16
lab_vector_\n:
	.if HAS_ERROR_CODE(\n) == 0
	push $0
	.endif
	push $\n
	jmp lab_trap
	.endm
	.set n, 0
	.rept 32
	lab_vector %n
	.set n, n + 1
	.endr

lab_trap:
	popl lab_fault
	popl lab_fault_code
	push %eax
	mov lab_resume, %eax
	mov %eax, 4(%esp)           /* the return EIP */
	pop %eax
	iret

/* --- The tests, in legacy 32-bit protected mode with paging off. They return in EAX. --- */

/* CR0.PG with EFER.LME and CR4.PAE clear, through a CR0 write that exits (NE flipped from what
 * the guest has): #GP(0) (SDM Vol. 2, MOV to CR0). Returns the vector << 16 | error code, and
 * bit 31 if paging ended up on. */
lab_t_lme_nopae:
	mov %cr4, %eax
	and $~X86_CR4_PAE, %eax
	mov %eax, %cr4
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	wrmsr
	movl $-1, lab_fault
	movl $1f, lab_resume
	mov %cr0, %eax
	or $X86_CR0_PG, %eax
	xor $LAB_CR0_NE, %eax
	mov %eax, %cr0
1:	mov %cr0, %ebx
	and $X86_CR0_PG, %ebx
	mov $MSR_EFER, %ecx
	rdmsr
	and $~EFER_LME, %eax
	wrmsr
	mov lab_fault, %eax
	shl $16, %eax
	or lab_fault_code, %eax
	or %ebx, %eax
	ret

/* PAE paging on through a CR0 write that exits, with lab_pdpt in CR3 (set up by C: the first
 * GiB identity-mapped, the second GiB's first 2 MiB aliasing physical 0): the CPU would load
 * the PDPTEs, so Plinth must. Reads lab_probe through the alias, paging off again. Returns
 * the value read (and lab_fault set if anything faulted). */
lab_t_pae:
	movl $-1, lab_fault
	movl $1f, lab_resume
	mov $lab_pdpt, %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or $X86_CR0_PG, %eax
	xor $LAB_CR0_NE, %eax
	mov %eax, %cr0
	mov lab_probe_alias, %ebx
	mov (%ebx), %eax
	mov %cr0, %ecx
	and $~X86_CR0_PG, %ecx
	mov %ecx, %cr0
	ret
1:	mov $0, %eax
	ret

/* The same with a PDPTE that sets a reserved bit (lab_pdpt_bad): #GP(0), paging stays off. */
lab_t_bad_pdpte:
	movl $-1, lab_fault
	movl $1f, lab_resume
	mov $lab_pdpt_bad, %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or $X86_CR0_PG, %eax
	xor $LAB_CR0_NE, %eax
	mov %eax, %cr0
	mov %cr0, %ecx
	and $~X86_CR0_PG, %ecx
	mov %ecx, %cr0
1:	mov %cr0, %ebx
	and $X86_CR0_PG, %ebx
	mov lab_fault, %eax
	shl $16, %eax
	or lab_fault_code, %eax
	or %ebx, %eax
	ret

/* A hardware task switch (a far jump to a TSS): every one exits in VMX non-root (SDM 26.4.2)
 * and Plinth does not emulate them, so the VM stops. Does not return under Plinth. */
lab_t_task_switch:
	mov $LAB_TSS_A, %ax
	ltr %ax
	ljmp $LAB_TSS_B, $0
	mov $0, %eax
	ret

	.section .rodata
	.balign 4
lab_tests:
	.long lab_t_lme_nopae, lab_t_pae, lab_t_bad_pdpte, lab_t_task_switch
	.macro lab_vector_addr n
	.long lab_vector_\n
	.endm
	.global lab_vectors
lab_vectors:
	.set n, 0
	.rept 32
	lab_vector_addr %n
	.set n, n + 1
	.endr

	.section .data
	.balign 8
lab_to32:
	.long lab32_entry
	.word GDT_CODE32
	.balign 8
	.global lab_wrap_entry
lab_wrap_entry:
	.long 0xfffffffe
	.word LAB_CODE32_BASED
	.balign 8
	.global lab_gdt
lab_gdt:
	.quad 0
	.quad GDT_DESC_CODE32
	.quad GDT_DESC_DATA
	.quad GDT_DESC_CODE64
	.fill LAB_GDT_ENTRIES - 4, 8, 0   /* filled in by C */
lab_gdt_desc:
	.word LAB_GDT_ENTRIES * 8 - 1
	.quad lab_gdt
	.global lab_idt_desc
lab_idt_desc:
	.word 32 * 8 - 1
	.long lab_idt
	.global lab_resume, lab_fault, lab_fault_code, lab_probe_alias
lab_resume: .long 0
lab_fault: .long 0
lab_fault_code: .long 0
lab_probe_alias: .long 0
lab_test: .long 0
lab_result: .long 0
lab_esp32: .long 0
	.balign 8
lab_saved_rsp: .quad 0
lab_saved_gdt: .skip 10
lab_saved_idt: .skip 10
	.global lab_wrap_regs
	.balign 4
lab_wrap_regs: .skip 12

	.section .bss
	.balign PAGE_SIZE
	.global lab_idt, lab_pdpt, lab_pdpt_bad, lab_pd
lab_idt: .skip 32 * 8
	.balign 32
lab_pdpt: .skip 32
	.balign 32
lab_pdpt_bad: .skip 32
	.balign PAGE_SIZE
lab_pd: .skip 2 * PAGE_SIZE
