/* Checked VMX instructions (vmx_insn.c): a failure is a FATAL report naming the VM-instruction
 * error and the caller. And the names of the generated tables, for reports. */
#ifndef X86_VMX_INSN_H
#define X86_VMX_INSN_H

#include <plinth/types.h>
#include <vmcs_fields.h>

/* Out of line, for the inline forms below: the FATAL report of a failed VMREAD or VMWRITE,
 * named with the field and the caller. */
__noreturn void vmcs_read_failed(u32 field);
__noreturn void vmcs_write_failed(u32 field, u64 value);

/* Inline: every VM exit reads and writes a few fields, and a call per access would be a good
 * part of the exit's path. CF or ZF set (JBE) is VMfailInvalid or VMfailValid (SDM 31.2). */
static inline u64 vmcs_read(u32 field)
{
	u64 v;

	asm goto("vmread %1, %0\n\tjbe %l[failed]" : "=r"(v) : "r"((u64)field) : "cc" : failed);
	return v;
failed:
	vmcs_read_failed(field);
}

static inline void vmcs_write(u32 field, u64 value)
{
	asm goto("vmwrite %1, %0\n\tjbe %l[failed]" : : "r"((u64)field), "rm"(value) : "cc" : failed);
	return;
failed:
	vmcs_write_failed(field, value);
}
void vmcs_clear(hpa_t vmcs);
void vmcs_load(hpa_t vmcs);
/* Single-context where the CPU has it, all-context otherwise. */
void vmx_invept_single(u64 eptp);
void vmx_invvpid_single(u16 vpid);

/* Prints every VMCS field that reads back, one VMCS_DUMP_LINE_FMT line each. */
void vmcs_dump(void);

/* The VM-instruction error number's name ("VM entry with invalid control field(s)"). */
const char *vmx_error_name(u64 number);
/* A VMCS field's name ("GUEST_RIP"), or NULL. */
const char *vmcs_field_name(u32 encoding);
/* The basic exit reason's name ("CPUID"), "UNKNOWN" for a number not in the table. */
const char *exit_reason_name(u32 basic);

#endif
