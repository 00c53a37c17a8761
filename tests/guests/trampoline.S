/*
 * AP start-up trampoline: real mode -> protected mode, then entry.S's ap_start32.
 *
 * checks_ap.c copies [ap_trampoline_start, ap_trampoline_end) to AP_TRAMPOLINE_BASE and sends
 * INIT-SIPI-SIPI with vector AP_SIPI_VECTOR; the AP starts here in real mode with
 * CS = vector << 8, IP = 0 (SDM Vol. 3A, 9.4.4.1 "Typical BSP Initialization Sequence", and
 * 11.6.1 for the SIPI). Only this part has to live below 1 MiB: once protection is on, the
 * far jump lands in the guest image, which is linked where it runs. So the code is
 * position-independent apart from offsets relative to ap_trampoline_start (DS = CS).
 */
#include "guest_layout.h"
#include <x86/processor.h>

	.section .rodata
	.balign 16
	.global ap_trampoline_start, ap_trampoline_end
	.code16
ap_trampoline_start:
	cli
	cld
	mov %cs, %ax
	mov %ax, %ds
	lgdtl tramp_gdt_desc - ap_trampoline_start  /* 32-bit base: the GDT is above 1 MiB */
	mov %cr0, %eax
	or $X86_CR0_PE, %eax
	mov %eax, %cr0
	ljmpl $GDT_CODE32, $ap_start32

	.balign 8
tramp_gdt_desc:
	.word GDT_ENTRIES * 8 - 1
	.long gdt
ap_trampoline_end:
