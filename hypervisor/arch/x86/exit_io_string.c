/*
 * String I/O to a port that exits (INS, OUTS; SDM Vol. 2, INS/OUTS, and REP): one element per
 * exit, as the CPU itself does it, so a REP with a huge count keeps this CPU in Plinth no
 * longer than one element, and interrupts reach the guest between elements. The element's
 * address is the exit's guest-linear address (SDM 28.2.1: the CPU has applied the segment and
 * the address size); the address size comes from the INS/OUTS exit information where the CPU
 * gives it (IA32_VMX_BASIC bit 54), else from the code segment. The memory is the guest's
 * through its own page tables, with their permissions: a walk that does not allow the access is
 * a #PF, as on hardware. Segment limits are not checked.
 */
#include <plinth/errno.h>
#include <plinth/string.h>
#include <x86/cpu.h>
#include <x86/emulate.h>
#include <x86/exit_io.h>
#include <x86/processor.h>
#include <x86/vmexit.h>
#include <x86/vmx.h>

#define INFO_ADDR_SIZE(info) (((info) >> 7) & 7) /* 0: 16-bit, 1: 32-bit, 2: 64-bit */
#define PF_WRITE BIT(1)
#define PF_USER BIT(2)

static u32 address_size(void)
{
	if (vmx_caps.basic & VMX_BASIC_INS_OUTS_INFO)
		return 2u << INFO_ADDR_SIZE(vmcs_read(VMCS_VM_EXIT_INSTRUCTION_INFO));
	if (vcpu_long_mode())
		return 8;
	return vmcs_read(VMCS_GUEST_CS_ACCESS_RIGHTS) & AR_DB ? 4 : 2;
}

/* Copies size bytes between buf and guest-linear lin, byte by byte (an element may cross a
 * page): 0; -EFAULT when the guest's paging does not allow it (*fault: the byte's linear
 * address); -ENODEV when the byte is not the VM's RAM. */
static int copy_guest(struct vcpu *v, u64 lin, u8 *buf, u32 size, bool write, u64 *fault)
{
	bool user = vcpu_cpl() == 3;
	bool check_write = write && (user || (vmcs_read(VMCS_GUEST_CR0) & X86_CR0_WP));
	u32 i;

	for (i = 0; i < size; i++) {
		gpa_t gpa;
		u8 *p;

		if (emulate_linear_to_phys_access(v, lin + i, check_write, user, &gpa)) {
			*fault = lin + i;
			return -EFAULT;
		}
		p = vm_mem_ptr(v->vm, gpa, 1);
		if (!p)
			return -ENODEV;
		if (write)
			*p = buf[i];
		else
			buf[i] = *p;
	}
	return 0;
}

/* A register moved by an element, within the address size: 32-bit updates zero-extend, 16-bit
 * ones keep the upper bits (SDM Vol. 1, 3.4.1.1). */
static u64 advance(u64 reg, s64 by, u32 asize)
{
	if (asize == 8)
		return reg + (u64)by;
	if (asize == 4)
		return (u32)(reg + (u64)by);
	return (reg & ~0xffffULL) | ((reg + (u64)by) & 0xffff);
}

void exit_io_string(struct vcpu *v, u64 q)
{
	u32 size = IO_QUAL_SIZE(q), asize = address_size(), value = 0, index = q & IO_QUAL_IN ? GPR_RDI : GPR_RSI;
	u64 amask = asize == 8 ? ~0ULL : (1ULL << (8 * asize)) - 1;
	u64 lin = vmcs_read(VMCS_GUEST_LINEAR_ADDRESS), count = 1, fault;
	bool rep = q & IO_QUAL_REP;
	s64 step = vmcs_read(VMCS_GUEST_RFLAGS) & X86_RFLAGS_DF ? -(s64)size : (s64)size;
	u8 buf[4];
	int rc;

	if (rep)
		count = vcpu_gpr(v, GPR_RCX) & amask;
	if (!count) {
		vcpu_skip_instruction();
		return;
	}
	if (q & IO_QUAL_IN) {
		value = exit_io_in(v, IO_QUAL_PORT(q), size);
		memcpy(buf, &value, size);
		rc = copy_guest(v, lin, buf, size, true, &fault);
	} else {
		rc = copy_guest(v, lin, buf, size, false, &fault);
		memcpy(&value, buf, size);
		if (!rc)
			exit_io_out(v, IO_QUAL_PORT(q), size, value);
	}
	if (rc == -EFAULT) {
		/* CR2 is not in the VMCS: the guest's is this CPU's while it runs. */
		write_cr2(fault);
		vcpu_inject_exception(X86_EXC_PF, true,
				      (q & IO_QUAL_IN ? PF_WRITE : 0) | (vcpu_cpl() == 3 ? PF_USER : 0));
		return;
	}
	if (rc) {
		vcpu_stop_vm(v, false, "vCPU %u: string I/O at port 0x%x with its memory operand outside the VM's RAM (guest-linear 0x%lx): not emulated",
			     v->id, IO_QUAL_PORT(q), lin);
		return;
	}
	vcpu_set_gpr(v, index, advance(vcpu_gpr(v, index), step, asize));
	if (rep)
		vcpu_set_gpr(v, GPR_RCX, advance(vcpu_gpr(v, GPR_RCX), -1, asize));
	/* REP goes on from the same instruction until the count is spent. */
	if (!rep || count == 1)
		vcpu_skip_instruction();
}
