/*
 * EPT memory types (SDM Vol. 3C, 29.3.7): with EPT, the memory type of a guest access comes
 * from the EPT leaf (with the guest's PAT, as IA32_PAT combines with the MTRRs, since Plinth
 * leaves "ignore PAT" clear), not from the MTRRs, so the EPT leaf is where the MTRR types of
 * guest memory go: the firmware's at first, then the guest's own view where Plinth lets it
 * apply (x86/ept_memtype.h says what the guest may change). Pure.
 */
#include <plinth/string.h>
#include <x86/ept_memtype.h>

static u8 ept_type(u8 type)
{
	if (type == MTRR_TYPE_WB || type == MTRR_TYPE_WT || type == MTRR_TYPE_WP || type == MTRR_TYPE_WC)
		return type;
	return MTRR_TYPE_UC;
}

static u8 allowed(u32 kind, u8 firmware, u8 guest)
{
	if (kind == VM_MEM_RAM)
		return ept_type(guest);
	if (firmware == MTRR_TYPE_UC && guest == MTRR_TYPE_WC)
		return MTRR_TYPE_WC;
	return ept_type(firmware);
}

u64 ept_memtype_run(const struct mtrr_state *firmware, const struct mtrr_state *guest, const struct vm_mem *m,
		    gpa_t at, gpa_t end, u8 *type)
{
	u64 host = m->hpa + (at - m->gpa);
	u64 run = at + (mtrr_run_end(firmware, host, host + (end - at), type) - host);
	u8 g;

	if (!guest) {
		*type = ept_type(*type);
		return run;
	}
	run = MIN(run, mtrr_run_end(guest, at, end, &g));
	*type = allowed(m->kind, *type, g);
	return run;
}
