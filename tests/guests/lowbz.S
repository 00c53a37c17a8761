/*
 * lowbz: a tiny Linux boot protocol kernel that is not relocatable and wants to run at
 * 0x10000 (pref_address = code32_start), where Plinth once put boot_params, the GDT and the
 * command line. Entered at its 32-bit entry (boot.rst "32-bit boot protocol": protected mode,
 * paging off, ESI = boot_params, CS/DS flat from the loader's GDT), it checks that what the
 * loader handed over lies outside its own image and is what the protocol says, and reports in
 * the test guest's format (tools/hvabi.py): one check line `bzimage_low`, then the summary.
 * 32-bit code only, no C: the check is small and the image stays a few hundred bytes.
 */
#define COM1 0x3f8
#define COM1_LSR (COM1 + 5)
#define LSR_THRE 0x20
#define BP_E820_ENTRIES 0x1e8
#define BP_MAGIC 0x202
#define BP_CODE32_START 0x214
#define BP_CMD_LINE_PTR 0x228
#define BP_SIZE 0x1000
#define HDRS 0x53726448

	.text
	.code32
	.global lowbz_start
lowbz_start:
	cli
	cld
	mov %esi, %ebp                  /* boot_params */
	mov $stack_top, %esp
	mov $msg_start, %esi
	call puts
	mov BP_CMD_LINE_PTR(%ebp), %esi
	test %esi, %esi
	jz 1f
	call puts
1:	mov $msg_nl, %esi
	call puts

	/* Each test jumps to fail with the reason in ESI. */
	mov $why_magic, %esi
	cmpl $HDRS, BP_MAGIC(%ebp)
	jne fail
	mov $why_code32, %esi
	cmpl $lowbz_start, BP_CODE32_START(%ebp)
	jne fail
	mov $why_bp, %esi
	mov %ebp, %eax
	mov $BP_SIZE, %ecx
	call outside_image
	jc fail
	mov $why_cmdline, %esi
	mov BP_CMD_LINE_PTR(%ebp), %eax
	test %eax, %eax
	jz fail
	mov $256, %ecx
	call outside_image
	jc fail
	mov $why_gdt, %esi
	sgdt gdtr
	mov gdtr + 2, %eax
	mov $32, %ecx
	call outside_image
	jc fail
	mov $why_e820, %esi
	cmpb $0, BP_E820_ENTRIES(%ebp)
	je fail
	mov $why_marker, %esi
	cmpl $0x7a62776c, end_marker      /* "lwbz": the last word of the image survived */
	jne fail

	mov $msg_pass, %esi
	call puts
	mov $msg_summary_pass, %esi
	call puts
	jmp halt

fail:
	push %esi
	mov $msg_fail, %esi
	call puts
	pop %esi
	call puts
	mov $msg_nl, %esi
	call puts
	mov $msg_summary_fail, %esi
	call puts
halt:
	hlt
	jmp halt

/* CF set when [EAX, EAX + ECX) overlaps [lowbz_start, image_end). */
outside_image:
	cmp $image_end, %eax
	jae 1f
	add %eax, %ecx
	cmp $lowbz_start, %ecx
	jbe 1f
	stc
	ret
1:	clc
	ret

/* Writes the NUL-terminated string at ESI to COM1, "\n" as "\r\n". */
puts:
	push %eax
	push %edx
2:	lodsb
	test %al, %al
	jz 4f
	cmp $'\n', %al
	jne 3f
	mov $'\r', %al
	call putc
	mov $'\n', %al
3:	call putc
	jmp 2b
4:	pop %edx
	pop %eax
	ret

putc:
	mov %al, %ah
	mov $COM1_LSR, %dx
5:	in %dx, %al
	test $LSR_THRE, %al
	jz 5b
	mov $COM1, %dx
	mov %ah, %al
	out %al, %dx
	ret

	.section .rodata
msg_start:	.asciz "guest: start "
msg_nl:		.asciz "\n"
msg_pass:	.asciz "guest: check bzimage_low: pass\n"
msg_fail:	.asciz "guest: check bzimage_low: fail: "
msg_summary_pass: .asciz "guest: summary: 1 passed, 0 failed\n"
msg_summary_fail: .asciz "guest: summary: 0 passed, 1 failed\n"
why_magic:	.asciz "ESI does not point at boot_params (no HdrS)"
why_code32:	.asciz "code32_start is not the entry point"
why_bp:		.asciz "boot_params lie inside the kernel's image"
why_cmdline:	.asciz "the command line is missing or inside the kernel's image"
why_gdt:	.asciz "the loader's GDT lies inside the kernel's image"
why_e820:	.asciz "no e820 map"
why_marker:	.asciz "the image's last word was overwritten"

	.data
	.balign 4
gdtr:	.skip 8
	.balign 16
stack:	.skip 1024
stack_top:
end_marker:	.ascii "lwbz"
image_end:
