/*
 * The checks MOV to CR0 and CR4 make before they change anything (SDM Vol. 2, "MOV—Move
 * to/from Control Registers", Protected Mode Exceptions; Vol. 3A, 2.5 and 10.8.5 for IA-32e
 * mode), and the PAE rule for PDPTE loading (4.4.1). Plinth emulates writes that touch bits
 * it owns; the guest must see the #GP the CPU would raise, and never reach a state that VM
 * entry refuses.
 */
#include <x86/cr_rules.h>
#include <x86/processor.h>

#define PDPTE_RESERVED_LOW 0x1e6ULL /* bits 2:1 and 8:5 */

bool cr0_write_faults(const struct cr_state *s, u64 val)
{
	bool pg = val & X86_CR0_PG, was_pg = s->cr0 & X86_CR0_PG;

	if (val >> 32)
		return true;
	if (pg && !(val & X86_CR0_PE))
		return true;
	if ((val & X86_CR0_NW) && !(val & X86_CR0_CD))
		return true;
	/* Paging on with EFER.LME starts IA-32e mode, which needs PAE. */
	if (pg && !was_pg && (s->efer & EFER_LME) && !(s->cr4 & X86_CR4_PAE))
		return true;
	/* 64-bit code cannot turn paging off: IA-32e mode ends only from compatibility mode. */
	if (!pg && was_pg && s->code64)
		return true;
	/* Shadow stacks rely on write protection. */
	return !(val & X86_CR0_WP) && (s->cr4 & X86_CR4_CET);
}

bool cr4_write_faults(const struct cr_state *s, u64 val, u64 allowed)
{
	bool ia32e = s->efer & EFER_LMA;

	if (val & ~allowed)
		return true;
	if (ia32e && !(val & X86_CR4_PAE))
		return true;
	if ((val & X86_CR4_PCIDE) && !(s->cr4 & X86_CR4_PCIDE) && (!ia32e || (s->cr3 & 0xfff)))
		return true;
	if (ia32e && ((val ^ s->cr4) & X86_CR4_LA57))
		return true;
	return (val & X86_CR4_CET) && !(s->cr0 & X86_CR0_WP);
}

bool cr_write_loads_pdptes(const struct cr_state *s, u64 cr0, u64 cr4)
{
	bool pae_paging = (cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE) && !(s->efer & EFER_LME);

	return pae_paging && (((cr0 ^ s->cr0) & (X86_CR0_PG | X86_CR0_CD | X86_CR0_NW)) ||
			      ((cr4 ^ s->cr4) & (X86_CR4_PAE | X86_CR4_PGE | X86_CR4_PSE | X86_CR4_SMEP)));
}

bool pdpte_valid(u64 pdpte, u32 phys_bits)
{
	u64 above = phys_bits >= 64 ? 0 : ~((1ULL << phys_bits) - 1);

	return !(pdpte & X86_PTE_P) || !(pdpte & (PDPTE_RESERVED_LOW | above));
}
