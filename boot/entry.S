/*
 * 32-bit entry from a multiboot2 loader to hv_main() in 64-bit mode.
 *
 * Machine state on entry (multiboot2 specification 3.2): protected mode, paging off, flat
 * segments, EAX = bootloader magic, EBX = physical address of the boot information, no stack.
 * We clear .bss, take a stack, build an identity map of the first 4 GiB with 2 MiB pages,
 * enable PAE + long mode + paging, load a 64-bit GDT and call hv_main(magic, mbi).
 * hv_main checks the magic; here we only stop when the CPU cannot do long mode at all.
 */
#include "layout.h"
#include <x86/idmap.h>
#include <x86/processor.h>

	.section .text.boot, "ax"
	.code32
	.global _start
_start:
	cli
	cld
	mov %eax, boot_magic
	mov %ebx, boot_mbi
	/* Plinth's first instructions: the boot path benchmark counts from this TSC value. */
	rdtsc
	mov %eax, boot_tsc
	mov %edx, boot_tsc + 4

	/* Clear .bss (it holds the boot page tables and stack). */
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	shr $2, %ecx                    /* .bss is 8-byte aligned and sized */
	xor %eax, %eax
	rep stosl
	mov $boot_stack_top, %esp

	/* Long mode present? (CPUID.80000001H:EDX.LM) */
	mov $0x80000000, %eax
	cpuid
	cmp $0x80000001, %eax
	jb no_long_mode
	mov $0x80000001, %eax
	cpuid
	test $CPUID_80000001_EDX_LM, %edx
	jz no_long_mode
	mov %edx, %ebp                  /* keep the feature bits for NX below */

	/* PML4[0] -> PDPT; PDPT[0..3] -> four page directories; 2048 x 2 MiB = 4 GiB. */
	identity_map_4g boot_pml4, boot_pdpt, boot_pd, 0

	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $X86_CR4_PAE, %eax
	mov %eax, %cr4
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	test $CPUID_80000001_EDX_NX, %ebp
	jz 3f
	or $EFER_NXE, %eax
3:	wrmsr
	mov %cr0, %eax
	or $(X86_CR0_PG | X86_CR0_PE), %eax
	mov %eax, %cr0

	lgdt boot_gdtr
	ljmp $SEL_CODE64, $long_mode_entry

/* Without long mode there is no C to report from: say it on COM1 and port 0xE9 and stop. */
no_long_mode:
	mov $msg_no_long_mode, %esi
4:	lodsb
	test %al, %al
	jz 6f
	mov %al, %bl
	mov $(UART_COM1_PORT + UART_LSR), %dx /* wait for the transmit holding register */
5:	in %dx, %al
	test $UART_LSR_THRE, %al
	jz 5b
	mov $UART_COM1_PORT, %dx
	mov %bl, %al
	out %al, %dx
	out %al, $0xe9
	jmp 4b
6:	cli
	hlt
	jmp 6b

	.code64
long_mode_entry:
	mov $SEL_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	xor %eax, %eax
	mov %ax, %fs
	mov %ax, %gs
	mov $boot_stack_top, %rsp
	xor %ebp, %ebp                  /* ends the frame-pointer backtrace */
	mov boot_magic(%rip), %edi
	mov boot_mbi(%rip), %esi
	call hv_main
7:	cli
	hlt
	jmp 7b

	.section .rodata
msg_no_long_mode:
	.asciz "\r\nFATAL: CPU cannot run Plinth (no 64-bit long mode: CPUID.80000001H:EDX.LM is 0)\r\n"

	.section .data
	.balign 8
boot_gdt:                               /* Plinth's GDT without the TSS (desc.c adds it) */
	.quad 0
	.quad GDT_DESC_CODE64           /* SEL_CODE64 */
	.quad GDT_DESC_DATA             /* SEL_DATA */
boot_gdt_end:
boot_gdtr:
	.word boot_gdt_end - boot_gdt - 1
	.long boot_gdt
	.global boot_tsc
	.balign 8
boot_tsc:
	.quad 0
boot_magic:
	.long 0
boot_mbi:
	.long 0

	.section .bss.pagetables, "aw", @nobits
	.balign PLINTH_PAGE_SIZE

boot_pml4:
	.skip PLINTH_PAGE_SIZE
boot_pdpt:
	.skip PLINTH_PAGE_SIZE
boot_pd:
	.skip 4 * PLINTH_PAGE_SIZE
	.balign 16
boot_stack:
	.skip PLINTH_BOOT_STACK_SIZE
	.global boot_stack_top
boot_stack_top:
