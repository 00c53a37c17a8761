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

#define REL(sym) ((sym) - trampoline_start)
#define ABS(sym) (TRAMPOLINE_BASE + REL(sym))
#define CR0_PE 0x1
#define CR0_PG 0x80000000
#define CR4_PAE 0x20
#define MSR_EFER 0xc0000080
#define EFER_LMA 0x400

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
	or $CR0_PE, %eax
	mov %eax, %cr0
	ljmpl $0x08, $ABS(tramp_pm32)

	.code32
tramp_pm32:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov ABS(trampoline_cr3), %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $MSR_EFER, %ecx
	mov ABS(trampoline_efer), %eax
	and $~EFER_LMA, %eax            /* read-only bit: set by the CPU when paging starts */
	xor %edx, %edx
	wrmsr
	mov %cr0, %eax
	or $CR0_PG, %eax
	mov %eax, %cr0
	ljmpl $0x18, $ABS(tramp_lm64)

	.code64
tramp_lm64:
	mov $0x10, %ax
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
	.quad 0x00cf9a000000ffff        /* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff        /* 0x10: data */
	.quad 0x00af9a000000ffff        /* 0x18: 64-bit code */
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
