/*
 * The test guest's entry: a multiboot 1 header (a.out kludge, or with GUEST_MB1_ELF none: the
 * loader then reads the ELF program headers), the boot CPU's switch from
 * 32-bit protected mode to 64-bit long mode, and the application processors' 32-bit path
 * from the trampoline (trampoline.S) into the same long mode.
 *
 * Entry state (multiboot 1 specification 3.2; Plinth's multiboot loader follows it):
 *   32-bit protected mode, paging off, CS a flat 32-bit code segment, DS/ES/FS/GS/SS flat
 *   data segments, EFLAGS.IF = 0, EAX = 0x2BADB002, EBX = physical address of the multiboot
 *   information structure. ESP, GDTR and IDTR are undefined, so nothing here touches the
 *   stack before loading our own ESP and GDT; guest_main() loads an IDT first thing.
 *   The information structure and what it points to must lie outside the image up to
 *   bss_end_addr: .bss is cleared here, before guest_main() reads them.
 *
 * We clear .bss, take a stack, load our GDT, identity-map the first 4 GiB with 2 MiB pages,
 * enable PAE, EFER.LME and paging (SDM Vol. 3A, 10.8.5 "Initializing IA-32e Mode") and call
 * guest_main(magic, mbi) in 64-bit mode. An AP arrives at ap_start32 in protected mode with
 * our GDT already loaded and takes the same path into long mode, on the page tables the boot
 * CPU built, then calls ap_main(index) on a stack of its own.
 */
#include "guest_layout.h"
#include "multiboot.h"
#include <x86/idmap.h>
#include <x86/processor.h>

/*
 * Multiboot 1 header (specification 3.1): 4-byte aligned within the first 8 KiB of the image.
 * With the a.out kludge flag the loader copies the file from its start to load_end_addr to
 * load_addr, zeroes up to bss_end_addr and jumps to entry_addr; the ELF headers are ignored,
 * which is what lets the flat binary (objcopy -O binary) boot. guest.ld puts this first.
 * Without the flag (the ELF forms) the loader loads the program headers, as GRUB does.
 */
#ifdef GUEST_MB1_ELF
#define MB1_HEADER_FLAGS (MB1_HEADER_PAGE_ALIGN | MB1_HEADER_MEMORY_INFO)
#else
#define MB1_HEADER_FLAGS (MB1_HEADER_PAGE_ALIGN | MB1_HEADER_MEMORY_INFO | MB1_HEADER_AOUT_KLUDGE)
#endif
	.section .multiboot, "a"
	.balign 4
mb1_header:
	.long MB1_HEADER_MAGIC
	.long MB1_HEADER_FLAGS
	.long -(MB1_HEADER_MAGIC + MB1_HEADER_FLAGS)
#ifndef GUEST_MB1_ELF
	.long mb1_header                /* header_addr: where this header is loaded */
	.long __image_start             /* load_addr: the file's first byte */
	.long __load_end                /* load_end_addr: end of .data = end of the file */
	.long __bss_end                 /* bss_end_addr */
	.long _start                    /* entry_addr */
#endif

	.section .text.entry, "ax"
	.code32
	.global _start
_start:
	cli
	cld
	/* .data, not .bss: it survives the clearing below. */
	mov %eax, boot_magic
	mov %ebx, boot_mbi

	/* The loader zeroes [load_end_addr, bss_end_addr) too; clearing again costs nothing and
	 * covers a loader that does not. */
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb
	mov $bsp_stack_top, %esp

	lgdt gdt_desc
	ljmp $GDT_CODE32, $1f
1:	mov $GDT_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss

	/* 4 GiB identity map; the last GiB holds the local APIC (0xFEE00000) and other MMIO:
	 * uncached by the page tables themselves, whatever the MTRRs say. */
	identity_map_4g pml4, pdpt, pd, 1

	mov $bsp_entry64, %edi
	jmp enter_long_mode

/* Application processors, from the trampoline: protected mode, our GDT, CS = GDT_CODE32. */
	.global ap_start32
ap_start32:
	mov $GDT_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $ap_entry64, %edi
	/* fall through */

/* Paging off, our GDT loaded, page tables built. EDI = where to continue in 64-bit mode. */
enter_long_mode:
	mov $pml4, %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $X86_CR4_PAE, %eax
	mov %eax, %cr4
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	wrmsr
	mov %cr0, %eax
	or $(X86_CR0_PG | X86_CR0_PE), %eax
	mov %eax, %cr0                  /* EFER.LMA becomes 1 here */
	ljmp $GDT_CODE64, $long_mode

	.code64
long_mode:
	mov $GDT_DATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	mov %edi, %edi                  /* the upper halves of registers are undefined here */
	jmp *%rdi

bsp_entry64:
	mov $bsp_stack_top, %rsp
	xor %ebp, %ebp
	mov boot_magic(%rip), %edi
	mov boot_mbi(%rip), %esi
	call guest_main                 /* does not return */
	jmp halt

/* Each AP takes the next free stack slot; one beyond AP_MAX halts without a stack. */
ap_entry64:
	mov $1, %eax
	lock xadd %eax, ap_next_index(%rip)
	cmp $AP_MAX, %eax
	jae halt
	mov %eax, %edi                  /* ap_main(index) */
	inc %eax
	imul $AP_STACK_SIZE, %eax, %eax
	lea ap_stacks(%rip), %rsp
	add %rax, %rsp
	xor %ebp, %ebp
	call ap_main                    /* does not return */
halt:
	cli
	hlt
	jmp halt

	.section .data
	.balign 8
	.global gdt
gdt:
	.quad 0
	.quad GDT_DESC_CODE32           /* GDT_CODE32: flat 32-bit code */
	.quad GDT_DESC_DATA             /* GDT_DATA: flat data */
	.quad GDT_DESC_CODE64           /* GDT_CODE64: 64-bit code (L = 1) */
gdt_end:
	.if gdt_end - gdt != GDT_ENTRIES * 8
	.error "GDT_ENTRIES does not match the GDT"
	.endif
gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt
boot_magic:
	.long 0
boot_mbi:
	.long 0

	.section .bss
	.balign PAGE_SIZE
	.global pml4
pml4:
	.skip PAGE_SIZE
pdpt:
	.skip PAGE_SIZE
pd:
	.skip 4 * PAGE_SIZE
	.balign 16
	.global bsp_stack, bsp_stack_top
bsp_stack:
	.skip BSP_STACK_SIZE
bsp_stack_top:
	.balign 16
ap_stacks:
	.skip AP_MAX * AP_STACK_SIZE
