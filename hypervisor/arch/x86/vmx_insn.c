/* Checked VMX instructions. VMfailValid leaves the error number in VM_INSTRUCTION_ERROR;
 * VMfailInvalid (no current VMCS) leaves none. Either way the caller is named. */
#include <plinth/console.h>
#include <plinth/panic.h>
#include <x86/vmx.h>
#include <x86/vmx_insn.h>

/* The generated tables (vmcs_fields.h) as number -> name, for reports. */
struct vmx_name {
	u32 number;
	const char *name;
};

#define VMX_ERROR_ENTRY(n, text) { n, text },
static const struct vmx_name vmx_errors[] = { VMX_ERROR_LIST(VMX_ERROR_ENTRY) };
#define VMCS_FIELD_ENTRY(name, encoding, width) { encoding, #name },
static const struct vmx_name vmcs_fields[] = { VMCS_FIELD_LIST(VMCS_FIELD_ENTRY) };
#define EXIT_REASON_ENTRY(n, name) { n, name },
static const struct vmx_name exit_reasons[] = { EXIT_REASON_LIST(EXIT_REASON_ENTRY) };

static const char *name_of(const struct vmx_name *table, size_t count, u64 number, const char *unknown)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (table[i].number == number)
			return table[i].name;
	return unknown;
}

const char *exit_reason_name(u32 basic)
{
	return name_of(exit_reasons, ARRAY_SIZE(exit_reasons), basic, "UNKNOWN");
}

const char *vmx_error_name(u64 number)
{
	return name_of(vmx_errors, ARRAY_SIZE(vmx_errors), number, "unknown VM-instruction error");
}

const char *vmcs_field_name(u32 encoding)
{
	return name_of(vmcs_fields, ARRAY_SIZE(vmcs_fields), encoding, NULL);
}

/* rflags after a VMX instruction: CF = VMfailInvalid, ZF = VMfailValid (SDM 31.2). */
static __noreturn void vmx_failed(const char *insn, u64 operand, bool zf, void *caller)
{
	u64 err = 0;
	u8 fail;

	if (!zf)
		panic("VMX instruction failed", "%s 0x%lx: VMfailInvalid (no current VMCS), called from %p",
		      insn, operand, caller);
	asm volatile("vmread %2, %0; setna %1" : "=r"(err), "=qm"(fail) : "r"((u64)VMCS_VM_INSTRUCTION_ERROR) : "cc");
	panic("VMX instruction failed", "%s 0x%lx: VM-instruction error %lu (%s), called from %p", insn,
	      operand, err, vmx_error_name(err), caller);
}

#define VMX_CHECK(insn, operand, cf, zf)                                                    \
	do {                                                                                \
		if ((cf) || (zf))                                                           \
			vmx_failed(insn, operand, zf, __builtin_return_address(0));         \
	} while (0)

/* VMfailInvalid: there is no current VMCS (VMPTRST stores all ones). */
static bool vmx_fail_invalid(void)
{
	u64 current = 0;

	asm volatile("vmptrst %0" : "=m"(current) : : "memory");
	return current == ~0ULL;
}

/* The inline forms saw the failure; the instruction again tells VMfailInvalid from VMfailValid
 * (it changes nothing when it fails). */
void vmcs_read_failed(u32 field)
{
	const char *name = vmcs_field_name(field);
	u64 v = 0;
	u8 zf;

	asm volatile("vmread %2, %0; setz %1" : "=r"(v), "=qm"(zf) : "r"((u64)field) : "cc");
	log_warn("vmread of %s (0x%x) failed", name ? name : "an unknown field", field);
	vmx_failed("VMREAD", field, zf, __builtin_return_address(0));
}

void vmcs_write_failed(u32 field, u64 value)
{
	const char *name = vmcs_field_name(field);

	log_warn("vmwrite of 0x%lx to %s (0x%x) failed", value, name ? name : "an unknown field", field);
	vmx_failed("VMWRITE", field, !vmx_fail_invalid(), __builtin_return_address(0));
}

void vmcs_clear(hpa_t vmcs)
{
	u8 cf, zf;

	asm volatile("vmclear %2; setc %0; setz %1" : "=qm"(cf), "=qm"(zf) : "m"(vmcs) : "cc", "memory");
	VMX_CHECK("VMCLEAR", vmcs, cf, zf);
}

void vmcs_load(hpa_t vmcs)
{
	u8 cf, zf;

	asm volatile("vmptrld %2; setc %0; setz %1" : "=qm"(cf), "=qm"(zf) : "m"(vmcs) : "cc", "memory");
	VMX_CHECK("VMPTRLD", vmcs, cf, zf);
}

/* INVEPT and INVVPID types (SDM Vol. 3C, 31.3). */
#define INVEPT_SINGLE_CONTEXT 1
#define INVEPT_ALL_CONTEXT 2
#define INVVPID_SINGLE_CONTEXT 1

void vmx_invept_single(u64 eptp)
{
	struct {
		u64 eptp, reserved;
	} desc = { eptp, 0 };
	u64 type = (vmx_caps.ept_vpid & EPT_CAP_INVEPT_SINGLE) ? INVEPT_SINGLE_CONTEXT : INVEPT_ALL_CONTEXT;
	u8 cf, zf;

	asm volatile("invept %2, %3; setc %0; setz %1" : "=qm"(cf), "=qm"(zf) : "m"(desc), "r"(type) : "cc", "memory");
	VMX_CHECK("INVEPT", eptp, cf, zf);
}

void vmx_invvpid_single(u16 vpid)
{
	struct {
		u64 vpid, address;
	} desc = { vpid, 0 };
	u8 cf, zf;

	asm volatile("invvpid %2, %3; setc %0; setz %1" : "=qm"(cf), "=qm"(zf) : "m"(desc), "r"((u64)INVVPID_SINGLE_CONTEXT) : "cc", "memory");
	VMX_CHECK("INVVPID", vpid, cf, zf);
}

void vmcs_dump(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vmcs_fields); i++) {
		u64 v;
		u8 fail;

		/* Fields this CPU does not implement fail to read: skip them silently. */
		asm volatile("vmread %2, %0; setna %1" : "=r"(v), "=qm"(fail) : "r"((u64)vmcs_fields[i].number) : "cc");
		if (!fail)
			printk(VMCS_DUMP_LINE_FMT " %s\n", vmcs_fields[i].number, v, vmcs_fields[i].name);
	}
}
