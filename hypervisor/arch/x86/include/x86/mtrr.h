/* Memory types from the MTRRs (SDM Vol. 3A, 12.11), for EPT: with EPT on, the MTRRs do not
 * apply to guest accesses, so Plinth copies their types into the EPT entries. */
#ifndef X86_MTRR_H
#define X86_MTRR_H

#include <plinth/types.h>

#define MTRR_TYPE_UC 0
#define MTRR_TYPE_WC 1
#define MTRR_TYPE_WT 4
#define MTRR_TYPE_WP 5
#define MTRR_TYPE_WB 6

#define MTRR_VAR_MAX 16
#define MTRR_FIXED_COUNT 11

/* IA32_MTRRCAP and IA32_MTRR_DEF_TYPE fields (SDM Vol. 3A, 12.11.1). */
#define MTRRCAP_VCNT(cap) ((u32)(cap) & 0xff)
#define MTRRCAP_FIXED BIT(8)
#define MTRRCAP_WC BIT(10)
#define MTRR_DEF_TYPE_FIXED_ENABLE BIT(10)
#define MTRR_DEF_TYPE_ENABLE BIT(11)
#define MTRR_VALID BIT(11) /* IA32_MTRR_PHYSMASKn */

struct mtrr_state {
	bool enabled, fixed_enabled;
	u8 default_type;
	u8 phys_bits;
	u32 var_count;
	u64 fixed[MTRR_FIXED_COUNT]; /* 64K_00000, 16K_80000, 16K_A0000, 4K_C0000 .. 4K_F8000 */
	u64 var_base[MTRR_VAR_MAX], var_mask[MTRR_VAR_MAX];
};

/* Reads this CPU's MTRR MSRs (arch/x86/mtrr_msr.c). */
void mtrr_read(struct mtrr_state *m);

/* The memory type at addr. */
u8 mtrr_type(const struct mtrr_state *m, u64 addr);

/* From start, the end of the run of addresses (at most limit) that share one memory type;
 * that type goes to *type. Pure: unit-tested on the host. */
u64 mtrr_run_end(const struct mtrr_state *m, u64 start, u64 limit, u8 *type);

const char *mtrr_type_name(u8 type);

/* Whether value is a valid write to the MTRR MSR msr on a CPU with this IA32_MTRRCAP and
 * physical address width: reserved bits clear, memory types defined, the MSR present
 * (SDM Vol. 3A, 12.11.1-12.11.3). Pure: unit-tested on the host. */
bool mtrr_write_valid(u32 msr, u64 value, u64 cap, u8 phys_bits);
/* Whether msr is one of the MTRR MSRs a CPU with this IA32_MTRRCAP has (IA32_MTRRCAP included). */
bool mtrr_msr_exists(u32 msr, u64 cap);

#endif
