/* The guest-state area of the current VMCS (vmcs_guest.c). */
#ifndef X86_VMCS_GUEST_H
#define X86_VMCS_GUEST_H

#include <plinth/vm.h>

/* Guest state for 32-bit flat protected mode at the boot image's entry (the boot vCPU). */
void vmcs_guest_protected32(const struct vm_boot *boot);
/* A vCPU waiting for a SIPI: the state after INIT, halted (SDM Table 10-1). */
void vmcs_guest_wait_for_sipi(void);
/* Real-mode state at the SIPI vector's page (SDM 10.4.4.1, INIT-SIPI start-up). */
void vmcs_guest_sipi(u8 vector);

/* CR0/CR4 bits Plinth owns (a guest write to one exits), and the value the hardware needs
 * for what the guest asked for. */
u64 vmcs_guest_cr0_owned(void);
u64 vmcs_guest_cr4_owned(void);
u64 vmcs_guest_cr0_real(u64 guest);
u64 vmcs_guest_cr4_real(u64 guest);

#endif
