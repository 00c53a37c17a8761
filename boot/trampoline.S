/*
 * Application processor start-up: real mode -> protected mode -> long mode -> ap_entry().
 *
 * smp.c copies this code to TRAMPOLINE_BASE (below 1 MiB; the SIPI vector is its page number)
 * and fills in the data at its end for each AP: the boot page tables' CR3, the EFER value,
 * the AP's stack and the 64-bit entry point. A SIPI starts the AP at CS = vector << 8, IP = 0
 * (SDM Vol. 3A, 8.4.4). Labels are used as offsets from trampoline_start and rebased onto
 * TRAMPOLINE_BASE, since the code runs at a different address than it is linked at.
 */
#include "layout.h"
#include <x86/processor.h>

#define REL(sym) ((sym) - trampoline_start)
#define ABS(sym) (TRAMPOLINE_BASE + REL(sym))
/* Its own GDT: Plinth's 64-bit code and data selectors, and 32-bit code to get there. */
#define TRAMPOLINE_SEL_CODE32 0x18

	.section .rodata
	.balign 16
	.global trampoline_start, trampoline_end
	.global trampoline_cr3, trampoline_efer, trampoline_stack, trampoline_entry
	.code16
trampoline_start:
	cli
	cld
	mov %cs, %ax
	mov %ax, %ds
	lgdtl REL(tramp_gdtr)
	mov %cr0, %eax
	or $X86_CR0_PE, %eax
	mov %eax, %cr0
	ljmpl $TRAMPOLINE_SEL_CODE32, $ABS(tramp_pm32)

	.code32
tramp_pm32:
	mov $SEL_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov ABS(trampoline_cr3), %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $X86_CR4_PAE, %eax
	mov %eax, %cr4
	mov $MSR_EFER, %ecx
	mov ABS(trampoline_efer), %eax
	and $~EFER_LMA, %eax            /* read-only bit: set by the CPU when paging starts */
	xor %edx, %edx
	wrmsr
	mov %cr0, %eax
	or $X86_CR0_PG, %eax
	mov %eax, %cr0
	ljmpl $SEL_CODE64, $ABS(tramp_lm64)

	.code64
tramp_lm64:
	mov $SEL_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov ABS(trampoline_stack), %rsp
	xor %ebp, %ebp
	mov ABS(trampoline_entry), %rax
	jmp *%rax

	.balign 8
tramp_gdt:
	.quad 0
	.quad GDT_DESC_CODE64           /* SEL_CODE64 */
	.quad GDT_DESC_DATA             /* SEL_DATA */
	.quad GDT_DESC_CODE32           /* TRAMPOLINE_SEL_CODE32 */
tramp_gdt_end:
tramp_gdtr:
	.word tramp_gdt_end - tramp_gdt - 1
	.long ABS(tramp_gdt)
	.balign 8
trampoline_cr3:
	.long 0
trampoline_efer:
	.long 0
trampoline_stack:
	.quad 0
trampoline_entry:
	.quad 0
trampoline_end:
