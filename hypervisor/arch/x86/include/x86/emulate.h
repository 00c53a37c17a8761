/* Just enough instruction emulation for guest stores to device registers Plinth intercepts
 * (emulate.c): fetch at guest RIP through the guest's own page tables, decode a store, and
 * complete it (the register XCHG loads, the RDI that STOS moves, the new RIP). */
#ifndef X86_EMULATE_H
#define X86_EMULATE_H

#include <x86/vcpu.h>

#define STORE_MOV 0  /* MOV, MOVNTI: nothing but the store */
#define STORE_XCHG 1 /* XCHG: the register gets the old memory value */
#define STORE_STOS 2 /* STOS: RDI moves by the size */

struct store {
	u64 value;
	u32 size;   /* bytes written: 1, 2, 4 or 8 */
	u32 length; /* of the instruction */
	u32 kind;   /* STORE_* */
	u32 reg;    /* XCHG: the register operand (SDM numbering) */
	u32 addr_size; /* STOS: address size in bytes (RDI, EDI or DI) */
};

/* Decodes the instruction at guest RIP as a store: MOV r/m,r (88, 89), MOV r/m,imm (C6, C7),
 * MOV moffs,AL/eAX (A2, A3), XCHG r/m,r (86, 87), MOVNTI (0F C3), STOS (AA, AB, without REP),
 * with 16-, 32- and 64-bit addressing. 0 with *st filled in; -EINVAL (instruction not
 * supported) or -EFAULT (not readable). */
int emulate_decode_store(struct vcpu *v, struct store *st);
/* Completes a decoded store after the device took it: old is the memory's previous value (for
 * XCHG); RIP moves past the instruction. */
void emulate_complete_store(struct vcpu *v, const struct store *st, u64 old);

struct load {
	u32 size;     /* bytes read from memory: 1, 2, 4 or 8 */
	u32 reg_size; /* bytes written to the register (MOVZX widens) */
	u32 reg;      /* the destination (SDM numbering) */
	u32 length;   /* of the instruction */
	bool rex;     /* a REX prefix: byte registers 4-7 are SPL-DIL, not AH-BH */
};

/* Decodes the instruction at guest RIP as a load from memory into a register: MOV r,r/m (8A,
 * 8B), MOV AL/eAX,moffs (A0, A1), MOVZX (0F B6, 0F B7). 0 with *ld filled in; -EINVAL or
 * -EFAULT as emulate_decode_store. */
int emulate_decode_load(struct vcpu *v, struct load *ld);
/* Completes it with the value the device gave: the register as the size writes it (32-bit
 * zero-extends, narrower keeps the rest), RIP past the instruction. */
void emulate_complete_load(struct vcpu *v, const struct load *ld, u64 value);

/* Guest linear -> guest physical through the guest's page tables; -EFAULT if not mapped, or
 * (the _access form) if the paging structures do not allow a write (write) or a user-mode
 * access (user); the caller folds CR0.WP into write. */
int emulate_linear_to_phys(struct vcpu *v, u64 lin, gpa_t *gpa);
int emulate_linear_to_phys_access(struct vcpu *v, u64 lin, bool write, bool user, gpa_t *gpa);

#endif
