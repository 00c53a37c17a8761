/* Small services for exit handlers: event injection (SDM 27.6), instruction skipping, the
 * guest's CPL, and reaching guest memory. */
#include <plinth/memory.h>
#include <x86/percpu.h>
#include <x86/vcpu.h>
#include <x86/vmx.h>

#define X86_EXC_UD 6
#define X86_EXC_GP 13
#define AR_DPL(ar) (((ar) >> 5) & 3)
/* What Plinth's own page tables reach: the boot identity map. */
#define HOST_MAPPED_LIMIT (4 * GIB)

struct vcpu *current_vcpu(void)
{
	return this_cpu()->vcpu;
}

void vcpu_inject_exception(u32 vector, bool has_error_code, u32 error_code)
{
	u32 info = vector | INTR_TYPE_HW_EXCEPTION | INTR_INFO_VALID;

	if (has_error_code) {
		info |= INTR_INFO_DELIVER_CODE;
		vmcs_write(VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE, error_code);
	}
	vmcs_write(VMCS_VM_ENTRY_INTR_INFO, info);
}

void vcpu_inject_gp(void)
{
	vcpu_inject_exception(X86_EXC_GP, true, 0);
}

void vcpu_inject_ud(void)
{
	vcpu_inject_exception(X86_EXC_UD, false, 0);
}

void vcpu_skip_instruction(void)
{
	u64 intr = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY_STATE);

	vmcs_write(VMCS_GUEST_RIP, vmcs_read(VMCS_GUEST_RIP) + vmcs_read(VMCS_VM_EXIT_INSTRUCTION_LEN));
	/* An emulated instruction completes: drop the STI/MOV-SS blocking it leaves (rare: only
	 * written when set; this is on every exit's path). RF is never set by an exiting
	 * instruction Plinth emulates, since Plinth injects no debug traps. */
	if (intr & 3)
		vmcs_write(VMCS_GUEST_INTERRUPTIBILITY_STATE, intr & ~3ULL);
}

u32 vcpu_cpl(void)
{
	return AR_DPL(vmcs_read(VMCS_GUEST_SS_ACCESS_RIGHTS));
}

void *vcpu_guest_ptr(struct vcpu *v, gpa_t gpa, u64 size)
{
	struct arch_vm *a = v->vm->arch;
	const struct vm_mem *mem;
	hpa_t hpa, last;
	u64 flags, page, end = gpa + size;

	if (!size || end < gpa || ept_lookup(&a->ept, gpa, &hpa, &flags, &page))
		return NULL;
	/* Each page of the buffer must be mapped RAM, contiguous in host memory. */
	for (gpa_t at = ALIGN_DOWN(gpa, 4096) + 4096; at < end; at += 4096)
		if (ept_lookup(&a->ept, at, &last, &flags, &page) || last != hpa + (at - gpa))
			return NULL;
	mem = vm_mem_find(v->vm, gpa, size);
	if (!mem || mem->kind != VM_MEM_RAM || hpa + size > HOST_MAPPED_LIMIT)
		return NULL;
	return (void *)(uintptr_t)hpa;
}
