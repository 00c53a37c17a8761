/* VM-exit handlers, one file per concern; vmexit.c dispatches by basic exit reason. */
#ifndef X86_VMEXIT_H
#define X86_VMEXIT_H

#include <x86/vcpu.h>

typedef void (*exit_handler_t)(struct vcpu *v);

void exit_cpuid(struct vcpu *v);
void exit_vmcall(struct vcpu *v);
void exit_cr_access(struct vcpu *v);
void exit_msr_read(struct vcpu *v);
void exit_msr_write(struct vcpu *v);
void exit_xsetbv(struct vcpu *v);
void exit_io(struct vcpu *v);
void exit_init(struct vcpu *v);
void exit_sipi(struct vcpu *v);

/* Local APIC (vapic.c): guest writes to the xAPIC page and the x2APIC ICR. INIT and SIPI
 * go to vCPUs of the same VM only (a guest cannot reset CPUs it does not own); other IPIs and
 * registers reach the real APIC. */
bool vapic_is_apic_page(gpa_t gpa);
void vapic_mmio_write(struct vcpu *v, gpa_t gpa);
void vapic_icr_write(struct vcpu *v, u64 icr, bool x2apic);
/* Applies an INIT or SIPI another vCPU posted to v; true when the NMI was such a kick. */
bool vapic_process(struct vcpu *v);

/* Bitmap set-up for a new VM (msr.c, io.c). */
void msr_bitmap_init(u8 *bitmap);
void io_bitmap_init(u8 *bitmap_a, u8 *bitmap_b);

/* CR0/CR4 ownership (vmcs.c). */
u64 vmx_cr0_owned(void);
u64 vmx_cr4_owned(void);
u64 vmx_cr0_real(u64 guest);
u64 vmx_cr4_real(u64 guest);

/* The exit reason's name ("CPUID") from the generated table. */
const char *exit_reason_name(u32 basic);

/* A stopped VM's vCPU never re-enters: the boot CPU runs the monitor, the others halt. */
__noreturn void vcpu_park(struct vcpu *v);

/* A guest register by its SDM number (0 = RAX .. 15 = R15; 4 = RSP lives in the VMCS). */
u64 vcpu_gpr(struct vcpu *v, u32 index);
void vcpu_set_gpr(struct vcpu *v, u32 index, u64 value);

#endif
