/* The guest-state area of the current VMCS (vmcs_guest.c). */
#ifndef X86_VMCS_GUEST_H
#define X86_VMCS_GUEST_H

#include <plinth/vm.h>
#include <x86/processor.h>
#include <x86/vmx.h>

/* Guest state for 32-bit flat protected mode at the boot image's entry (the boot vCPU). */
void vmcs_guest_protected32(const struct vm_boot *boot);
/* A vCPU waiting for a SIPI: the state after INIT, halted (SDM Table 10-1). */
void vmcs_guest_wait_for_sipi(void);
/* Real-mode state at the SIPI vector's page (SDM 10.4.4.1, INIT-SIPI start-up). */
void vmcs_guest_sipi(u8 vector);

/* CR0/CR4 bits Plinth owns: those VMX fixes (except PE and PG, free under unrestricted guest),
 * and CR4.VMXE and CR4.SMXE, which the guest must never see set (VMX and SMX are hidden). A
 * guest write to an owned bit exits. Inline: the CR exits compute them on every write. */
static inline u64 vmcs_guest_cr0_owned(void)
{
	return (vmx_caps.cr0_fixed0 | ~vmx_caps.cr0_fixed1) & ~(X86_CR0_PE | X86_CR0_PG) & 0xffffffffULL;
}

static inline u64 vmcs_guest_cr4_owned(void)
{
	return (vmx_caps.cr4_fixed0 | ~vmx_caps.cr4_fixed1 | X86_CR4_VMXE | X86_CR4_SMXE) & 0xffffffffULL;
}

/* The value the hardware needs for what the guest asked for. */
static inline u64 vmcs_guest_cr0_real(u64 guest)
{
	u64 fixed0 = vmx_caps.cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG);

	return (guest | fixed0) & vmx_caps.cr0_fixed1;
}

static inline u64 vmcs_guest_cr4_real(u64 guest)
{
	return (guest | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1;
}

#endif
