/* The guest's MTRRs (vmtrr.c): a copy per vCPU that the guest reads and sets; the host's MTRRs
 * stay Plinth's, and EPT carries the memory types of guest memory. */
#ifndef X86_VMTRR_H
#define X86_VMTRR_H

#include <x86/vcpu.h>

/* The vCPU's MTRRs start as the firmware set this CPU's. */
void vmtrr_init(struct vcpu *v);
/* Whether msr is an MTRR MSR (the MSR bitmap sends each here); reads and writes of v's copy,
 * false when the access must #GP (an MSR the CPU lacks, a reserved bit, an undefined type). */
bool vmtrr_is_mtrr(u32 msr);
bool vmtrr_read(struct vcpu *v, u32 msr, u64 *value);
bool vmtrr_write(struct vcpu *v, u32 msr, u64 value);
/* The MTRR MSR numbers, for the bitmap: calls fn for each. */
void vmtrr_for_each_msr(void (*fn)(u8 *bitmap, u32 msr), u8 *bitmap);

#endif
