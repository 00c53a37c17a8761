/* Just enough instruction emulation for guest stores to device registers Plinth intercepts
 * (emulate.c): fetch at guest RIP through the guest's own page tables, decode a MOV store. */
#ifndef X86_EMULATE_H
#define X86_EMULATE_H

#include <x86/vcpu.h>

struct store {
	u64 value;
	u32 size;   /* bytes written: 1, 2, 4 or 8 */
	u32 length; /* of the instruction */
};

/* Decodes the instruction at guest RIP as a MOV from a register or an immediate to memory.
 * 0 with *st filled in; -EINVAL (instruction not supported) or -EFAULT (not readable). */
int emulate_decode_store(struct vcpu *v, struct store *st);

/* Guest linear -> guest physical through the guest's page tables; -EFAULT if not mapped. */
int emulate_linear_to_phys(struct vcpu *v, u64 lin, gpa_t *gpa);

#endif
