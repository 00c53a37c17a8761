/*
 * Real-mode probe for the exc_mode check (checks_hostile_apic.c): copied to AP_TRAMPOLINE_BASE
 * and started on an AP by INIT-SIPI-SIPI, it does in real mode (unrestricted guest) what makes
 * Plinth inject a #GP or emulate string I/O: WRMSR to IA32_FEATURE_CONTROL, RDMSR of
 * IA32_VMX_BASIC, REP INSB from the test device. Real mode pushes no error
 * code (SDM Vol. 3A, 21.1.4): a VM entry that delivered one would fail. Its #GP handler (an IVT
 * of its own, through LIDT) counts and skips the 2-byte instruction; results lie in the page.
 */
#include "guest_layout.h"
#include "plinth_abi.h"

#define RM_FEATURE_CONTROL 0x3a
#define RM_VMX_BASIC 0x480 /* Plinth refuses it: VMX is hidden */

	.section .rodata
	.global rm_probe_start, rm_probe_end, rm_probe_gp_count, rm_probe_done, rm_probe_buf
	.code16
rm_probe_start:
	cli
	cld
	mov %cs, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $0xff0, %sp
	lidtl rm_idtr - rm_probe_start
	mov $RM_FEATURE_CONTROL, %ecx
	xor %eax, %eax
	xor %edx, %edx
	wrmsr
	mov $RM_VMX_BASIC, %ecx
	rdmsr
	mov $rm_probe_buf - rm_probe_start, %di
	mov $PLINTH_TEST_PORT_ID, %dx
	mov $4, %cx
	rep insb
	movw $1, rm_probe_done - rm_probe_start
1:	cli
	hlt
	jmp 1b

rm_gp:
	incw %cs:rm_probe_gp_count - rm_probe_start
	push %bp
	mov %sp, %bp
	addw $2, 2(%bp)                 /* the return IP: past WRMSR or RDMSR */
	pop %bp
	iret

	.balign 4
rm_idtr:
	.word 0x3ff
	.long AP_TRAMPOLINE_BASE + rm_ivt - rm_probe_start
rm_probe_gp_count:
	.word 0
rm_probe_done:
	.word 0
rm_probe_buf:
	.long 0
	.balign 4
rm_ivt:
	.fill 13, 4, 0
	.word rm_gp - rm_probe_start, AP_TRAMPOLINE_BASE >> 4
	.fill 18, 4, 0
rm_probe_end:
