/*
 * Assembly macro for 32-bit start-up code (boot/entry.S, and the test guests, which start
 * the same way): an identity map of the first 4 GiB with 2 MiB pages, from one PML4, one
 * PDPT and four page directories in zeroed memory. Clobbers EAX and ECX.
 * uc_top_gib = 1 makes the last GiB (local APIC, IOAPIC, other MMIO) uncached by the page
 * tables themselves, for code that cannot rely on the MTRRs.
 */
#ifndef X86_IDMAP_H
#define X86_IDMAP_H

#include <x86/processor.h>

#ifdef __ASSEMBLY__

.macro identity_map_4g pml4, pdpt, pd, uc_top_gib
	mov $\pdpt, %eax
	or $(X86_PTE_P | X86_PTE_RW), %eax
	mov %eax, \pml4
	mov $\pd, %eax
	or $(X86_PTE_P | X86_PTE_RW), %eax
	xor %ecx, %ecx
.Lidmap_pdpt\@:
	mov %eax, \pdpt(, %ecx, 8)
	add $0x1000, %eax
	inc %ecx
	cmp $4, %ecx
	jb .Lidmap_pdpt\@
	xor %ecx, %ecx
.Lidmap_pd\@:
	mov %ecx, %eax
	shl $21, %eax
	or $(X86_PTE_P | X86_PTE_RW | X86_PTE_PS), %eax
	.if \uc_top_gib
	cmp $(3 * 512), %ecx
	jb .Lidmap_cached\@
	or $X86_PTE_PCD, %eax
	.endif
.Lidmap_cached\@:
	mov %eax, \pd(, %ecx, 8)
	inc %ecx
	cmp $(4 * 512), %ecx
	jb .Lidmap_pd\@
.endm
#endif

#endif
