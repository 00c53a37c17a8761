/*
 * The guest-state area of the VMCS (SDM Vol. 3C, 25.4; the rules VM entry checks: 27.3.1):
 * the guest's start states (32-bit flat protected mode, wait-for-SIPI, the real-mode state a
 * SIPI starts), the CR0/CR4 bits Plinth owns, and breaking the state on purpose.
 */
#include <plinth/arch.h>
#include <plinth/console.h>
#include <x86/processor.h>
#include <x86/vmcs_guest.h>
#include <x86/vmx.h>

#define AR_CODE32 0xc09b /* present, code, exec/read, accessed, 32-bit, 4 KiB granular */
#define AR_DATA32 0xc093
#define AR_CODE16 0x009b
#define AR_DATA16 0x0093
#define AR_TSS_BUSY 0x008b
#define AR_UNUSABLE BIT(16)

static void segment(u32 sel_field, u16 sel, u64 base, u32 limit, u32 ar)
{
	/* Selector, base, limit and access-rights fields of one register are laid out alike
	 * for ES..TR (SDM Appendix B): index steps of 2 from the selector's. */
	u32 index = (sel_field - VMCS_GUEST_ES_SELECTOR);

	vmcs_write(sel_field, sel);
	vmcs_write(VMCS_GUEST_ES_BASE + index, base);
	vmcs_write(VMCS_GUEST_ES_LIMIT + index, limit);
	vmcs_write(VMCS_GUEST_ES_ACCESS_RIGHTS + index, ar);
}

static void common_guest_state(void)
{
	vmcs_write(VMCS_GUEST_CR3, 0);
	vmcs_write(VMCS_GUEST_CR4, vmcs_guest_cr4_real(0));
	vmcs_write(VMCS_CR4_READ_SHADOW, 0);
	vmcs_write(VMCS_GUEST_DR7, X86_DR7_RESET);
	vmcs_write(VMCS_GUEST_RSP, 0);
	vmcs_write(VMCS_GUEST_RFLAGS, X86_RFLAGS_FIXED);
	segment(VMCS_GUEST_LDTR_SELECTOR, 0, 0, 0, AR_UNUSABLE);
	segment(VMCS_GUEST_TR_SELECTOR, 0, 0, 0xffff, AR_TSS_BUSY);
	vmcs_write(VMCS_GUEST_GDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_GDTR_LIMIT, 0xffff);
	vmcs_write(VMCS_GUEST_IDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_IDTR_LIMIT, 0xffff);
	vmcs_write(VMCS_GUEST_INTERRUPTIBILITY_STATE, 0);
	vmcs_write(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write(VMCS_GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(VMCS_GUEST_IA32_EFER, 0);
	if (vmcs_read(VMCS_VM_ENTRY_CONTROLS) & ENTRY_LOAD_PAT)
		vmcs_write(VMCS_GUEST_IA32_PAT, X86_PAT_RESET);
	vmcs_write(VMCS_GUEST_IA32_SYSENTER_CS, 0);
	vmcs_write(VMCS_GUEST_IA32_SYSENTER_ESP, 0);
	vmcs_write(VMCS_GUEST_IA32_SYSENTER_EIP, 0);
	vmcs_write(VMCS_VM_ENTRY_CONTROLS, vmcs_read(VMCS_VM_ENTRY_CONTROLS) & ~ENTRY_IA32E_MODE_GUEST);
	vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
}

void vmcs_guest_protected32(const struct vm_boot *b)
{
	common_guest_state();
	/* What a boot loader leaves: PE and ET; NE is forced on underneath if VMX needs it. */
	vmcs_write(VMCS_GUEST_CR0, vmcs_guest_cr0_real(X86_CR0_PE | X86_CR0_ET));
	vmcs_write(VMCS_CR0_READ_SHADOW, X86_CR0_PE | X86_CR0_ET);
	segment(VMCS_GUEST_CS_SELECTOR, b->cs, 0, 0xffffffff, AR_CODE32);
	segment(VMCS_GUEST_SS_SELECTOR, b->ds, 0, 0xffffffff, AR_DATA32);
	segment(VMCS_GUEST_DS_SELECTOR, b->ds, 0, 0xffffffff, AR_DATA32);
	segment(VMCS_GUEST_ES_SELECTOR, b->ds, 0, 0xffffffff, AR_DATA32);
	segment(VMCS_GUEST_FS_SELECTOR, b->ds, 0, 0xffffffff, AR_DATA32);
	segment(VMCS_GUEST_GS_SELECTOR, b->ds, 0, 0xffffffff, AR_DATA32);
	if (b->gdt_limit) {
		vmcs_write(VMCS_GUEST_GDTR_BASE, b->gdt_base);
		vmcs_write(VMCS_GUEST_GDTR_LIMIT, b->gdt_limit);
	}
	vmcs_write(VMCS_GUEST_RIP, b->entry);
}

void vmcs_guest_sipi(u8 vector)
{
	u16 sel;

	common_guest_state();
	/* The state after INIT (SDM Table 10-1), CS:IP = vector << 8 : 0. */
	vmcs_write(VMCS_GUEST_CR0, vmcs_guest_cr0_real(X86_CR0_ET));
	vmcs_write(VMCS_CR0_READ_SHADOW, X86_CR0_ET);
	sel = (u16)vector << 8;
	segment(VMCS_GUEST_CS_SELECTOR, sel, (u64)sel << 4, 0xffff, AR_CODE16);
	segment(VMCS_GUEST_SS_SELECTOR, 0, 0, 0xffff, AR_DATA16);
	segment(VMCS_GUEST_DS_SELECTOR, 0, 0, 0xffff, AR_DATA16);
	segment(VMCS_GUEST_ES_SELECTOR, 0, 0, 0xffff, AR_DATA16);
	segment(VMCS_GUEST_FS_SELECTOR, 0, 0, 0xffff, AR_DATA16);
	segment(VMCS_GUEST_GS_SELECTOR, 0, 0, 0xffff, AR_DATA16);
	vmcs_write(VMCS_GUEST_RIP, 0);
}

void vmcs_guest_wait_for_sipi(void)
{
	vmcs_guest_sipi(0);
	/* HLT with interrupts off, not the wait-for-SIPI activity state: Plinth delivers the
	 * guest's SIPIs itself, kicking the vCPU out with an NMI. */
	vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_HLT);
}

void arch_vcpu_fail_next_entry(void)
{
	/* RFLAGS bit 1 must be 1 (SDM 27.3.1.4): the next VM entry fails its guest-state checks. */
	log_info("debug hypercall: clearing guest RFLAGS bit 1 so the next VM entry fails");
	vmcs_write(VMCS_GUEST_RFLAGS, vmcs_read(VMCS_GUEST_RFLAGS) & ~(u64)X86_RFLAGS_FIXED);
}
