/* What the CPU checks on MOV to CR0 and CR4, and when it loads the PAE PDPTEs (cr_rules.c):
 * pure, so host-tested; exit_cr.c applies them to the guest's writes it emulates. */
#ifndef X86_CR_RULES_H
#define X86_CR_RULES_H

#include <plinth/types.h>

/* The guest's control state before the write: its view of CR0 and CR4, EFER, CR3, and whether
 * it runs 64-bit code (IA-32e mode with CS.L). */
struct cr_state {
	u64 cr0, cr4, efer, cr3;
	bool code64;
};

/* Whether MOV to CR0 with val raises #GP (SDM Vol. 2, MOV to CR; Vol. 3A, 2.5, 10.8.5). */
bool cr0_write_faults(const struct cr_state *s, u64 val);
/* Whether MOV to CR4 with val raises #GP; allowed: the CR4 bits the guest may set at all. */
bool cr4_write_faults(const struct cr_state *s, u64 val, u64 allowed);
/* Whether a write taking CR0/CR4 from the state's to cr0/cr4 loads the PDPTEs from CR3: PAE
 * paging follows and PG, CD, NW, PAE, PGE, PSE or SMEP changed (SDM Vol. 3A, 4.4.1). */
bool cr_write_loads_pdptes(const struct cr_state *s, u64 cr0, u64 cr4);
/* Whether a PDPTE may be loaded: not present, or no reserved bit set (SDM Vol. 3A, 4.4.1). */
bool pdpte_valid(u64 pdpte, u32 phys_bits);

#endif
