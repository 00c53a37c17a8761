/* Checked VMX instructions (vmx_insn.c): a failure is a FATAL report naming the VM-instruction
 * error and the caller. And the names of the generated tables, for reports. */
#ifndef X86_VMX_INSN_H
#define X86_VMX_INSN_H

#include <plinth/types.h>
#include <vmcs_fields.h>

u64 vmcs_read(u32 field);
void vmcs_write(u32 field, u64 value);
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
