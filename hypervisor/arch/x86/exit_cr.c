/*
 * Control-register exits (SDM 28.2.1, Table 28-3). Only writes that touch bits Plinth owns
 * exit; Plinth then performs the whole write as the CPU would: the checks first (cr_rules.c:
 * a #GP leaves everything as it was), then the guest's view to the read shadow and the value
 * VMX needs to the hardware, IA-32e mode entered or left, and the PAE PDPTEs loaded from CR3
 * where the CPU loads them (with EPT, VM entry takes them from the VMCS, SDM 27.3.2.4).
 * Setting CR4.VMXE or CR4.SMXE, or a CR4 bit this CPU does not have, is a #GP as on a CPU
 * without VMX and SMX.
 */
#include <x86/cpu.h>
#include <x86/cr_rules.h>
#include <x86/processor.h>
#include <x86/vmcs_guest.h>
#include <x86/vmexit.h>
#include <x86/vmx.h>

#define CR_NUM(q) ((q) & 0xf)
#define CR_ACCESS_TYPE(q) (((q) >> 4) & 3)
#define CR_GPR(q) (((q) >> 8) & 0xf)
#define CR_LMSW_DATA(q) (((q) >> 16) & 0xffff)
#define ACCESS_MOV_TO_CR 0
#define ACCESS_MOV_FROM_CR 1
#define ACCESS_CLTS 2
#define ACCESS_LMSW 3
#define LMSW_BITS 0xf /* LMSW loads CR0[3:0] (PE, MP, EM, TS) */
#define PAE_CR3_MASK 0xffffffe0ULL /* PAE paging: the PDPT is 32-byte aligned below 4 GiB */
#define PDPTES 4

/* The guest's own view of a control register: its bits from the hardware value, the owned
 * ones from the read shadow (SDM 25.6.6). The guest/host masks are the same for every vCPU
 * and never change after vmcs.c wrote them. */
static u64 view(u32 real_field, u64 mask, u32 shadow_field)
{
	return (vmcs_read(real_field) & ~mask) | (vmcs_read(shadow_field) & mask);
}

/* What the checks of a write need. CR3 and the code size are read only where a check uses
 * them: the PDPTE load (CR3), and turning paging off (64-bit code cannot). */
static struct cr_state state(void)
{
	return (struct cr_state){
		.cr0 = view(VMCS_GUEST_CR0, vmcs_guest_cr0_owned(), VMCS_CR0_READ_SHADOW),
		.cr4 = view(VMCS_GUEST_CR4, vmcs_guest_cr4_owned(), VMCS_CR4_READ_SHADOW),
		.efer = vmcs_read(VMCS_GUEST_IA32_EFER),
	};
}

/* The PDPTEs of the PDPT at CR3 into the VMCS, as the CPU loads them; false (#GP) when one
 * is invalid or the table is not the VM's RAM. */
static bool load_pdptes(struct vcpu *v, u64 cr3)
{
	const u64 *pdpt = vm_mem_ptr(v->vm, cr3 & PAE_CR3_MASK, PDPTES * sizeof(u64));
	u64 e[PDPTES];
	u32 i, bits = cpu_phys_bits();

	if (!pdpt)
		return false;
	for (i = 0; i < PDPTES; i++) {
		e[i] = pdpt[i];
		if (!pdpte_valid(e[i], bits))
			return false;
	}
	for (i = 0; i < PDPTES; i++)
		vmcs_write(VMCS_GUEST_PDPTE0 + 2 * i, e[i]);
	return true;
}

/* The CR0 bits the checks of a write look at (cr_rules.c) and the PDPTE load and IA-32e
 * switch depend on. */
#define CR0_CHECKED (X86_CR0_PE | X86_CR0_PG | X86_CR0_CD | X86_CR0_NW | X86_CR0_WP)

/* The common write (TS, NE, MP, EM, AM), done if val is one: it keeps every checked bit,
 * whose values passed the checks when they were set (or are the reset state's), and sets none
 * of bits 63:32. It cannot fault, loads no PDPTEs and switches no mode: only the read shadow
 * and the hardware value change. */
static inline bool set_cr0_plain(u64 val)
{
	u64 owned = vmcs_guest_cr0_owned();

	if (val >> 32 || ((val ^ view(VMCS_GUEST_CR0, owned, VMCS_CR0_READ_SHADOW)) & CR0_CHECKED))
		return false;
	vmcs_write(VMCS_CR0_READ_SHADOW, val);
	vmcs_write(VMCS_GUEST_CR0, vmcs_guest_cr0_real(val));
	return true;
}

static bool set_cr0(struct vcpu *v, u64 val)
{
	struct cr_state s;

	if (set_cr0_plain(val))
		return true;
	s = state();

	if (!(val & X86_CR0_PG) && (s.cr0 & X86_CR0_PG))
		s.code64 = vcpu_long_mode();
	if (cr0_write_faults(&s, val))
		return false;
	if (cr_write_loads_pdptes(&s, val, s.cr4) && !load_pdptes(v, vmcs_read(VMCS_GUEST_CR3)))
		return false;
	vmcs_write(VMCS_CR0_READ_SHADOW, val);
	vmcs_write(VMCS_GUEST_CR0, vmcs_guest_cr0_real(val));
	/* Paging switched while EFER.LME is set: IA-32e mode starts or ends here, which the
	 * hardware would have done had the write not exited. */
	if ((s.cr0 ^ val) & X86_CR0_PG && s.efer & EFER_LME) {
		u64 entry = vmcs_read(VMCS_VM_ENTRY_CONTROLS), efer = s.efer;

		if (val & X86_CR0_PG) {
			efer |= EFER_LMA;
			entry |= ENTRY_IA32E_MODE_GUEST;
		} else {
			efer &= ~EFER_LMA;
			entry &= ~ENTRY_IA32E_MODE_GUEST;
		}
		vmcs_write(VMCS_GUEST_IA32_EFER, efer);
		vmcs_write(VMCS_VM_ENTRY_CONTROLS, entry);
	}
	return true;
}

static bool set_cr4(struct vcpu *v, u64 val)
{
	struct cr_state s = state();
	/* Bits the CPU cannot set in VMX non-root, and VMXE and SMXE, are reserved as far as the
	 * guest knows. */
	u64 allowed = vmx_caps.cr4_fixed1 & ~(u64)(X86_CR4_VMXE | X86_CR4_SMXE);

	s.cr3 = vmcs_read(VMCS_GUEST_CR3);
	if (cr4_write_faults(&s, val, allowed) || (cr_write_loads_pdptes(&s, s.cr0, val) && !load_pdptes(v, s.cr3)))
		return false;
	vmcs_write(VMCS_CR4_READ_SHADOW, val);
	vmcs_write(VMCS_GUEST_CR4, vmcs_guest_cr4_real(val));
	return true;
}

/* MOV to CR3 exits only where the CPU forces CR3-load exiting (no TRUE controls). */
static bool set_cr3(struct vcpu *v, u64 val)
{
	struct cr_state s = state();

	if ((s.cr0 & X86_CR0_PG) && (s.cr4 & X86_CR4_PAE) && !(s.efer & EFER_LMA) && !load_pdptes(v, val))
		return false;
	vmcs_write(VMCS_GUEST_CR3, val);
	return true;
}

static __noinline void cr_access(struct vcpu *v, u64 q)
{
	u64 cr0;
	u32 cr = CR_NUM(q);
	bool ok = true;

	switch (CR_ACCESS_TYPE(q)) {
	case ACCESS_MOV_TO_CR: {
		u64 val = vcpu_gpr(v, CR_GPR(q));

		if (cr == 0)
			ok = set_cr0(v, val);
		else if (cr == 4)
			ok = set_cr4(v, val);
		else if (cr == 3)
			ok = set_cr3(v, val);
		break;
	}
	case ACCESS_MOV_FROM_CR:
		/* Only CR3 can exit here (CR3-store exiting forced on); CR0/CR4 reads never exit. */
		vcpu_set_gpr(v, CR_GPR(q), vmcs_read(VMCS_GUEST_CR3));
		break;
	case ACCESS_CLTS:
		ok = set_cr0(v, state().cr0 & ~X86_CR0_TS);
		break;
	case ACCESS_LMSW:
		/* LMSW loads CR0[3:0] but cannot clear PE (SDM Vol. 2, LMSW). */
		cr0 = state().cr0;
		ok = set_cr0(v, (cr0 & ~(u64)LMSW_BITS) | (CR_LMSW_DATA(q) & LMSW_BITS) | (cr0 & X86_CR0_PE));
		break;
	}
	if (ok)
		vcpu_skip_instruction_fast();
	else
		vcpu_inject_gp();
}

/* MOV to CR0 with a plain value first, with no stack frame (the benchmark's CR0.NE flip and
 * the TS writes of lazy FPU switching are such writes); the rest in cr_access. */
void exit_cr_access(struct vcpu *v)
{
	u64 q = vmcs_read(VMCS_EXIT_QUALIFICATION);

	if (CR_ACCESS_TYPE(q) == ACCESS_MOV_TO_CR && CR_NUM(q) == 0 && set_cr0_plain(vcpu_gpr(v, CR_GPR(q)))) {
		vcpu_skip_instruction_fast();
		return;
	}
	cr_access(v, q);
}
