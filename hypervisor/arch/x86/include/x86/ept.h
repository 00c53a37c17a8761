/* EPT page tables (SDM Vol. 3C, 29.3): guest-physical -> host-physical, with 1 GiB and 2 MiB
 * pages wherever alignment allows. Pure apart from the page allocator it is given, so it is
 * unit-tested on the host. Table pages are used through their physical address (Plinth
 * identity-maps what it owns). */
#ifndef X86_EPT_H
#define X86_EPT_H

#include <plinth/types.h>

#define EPT_READ BIT(0)
#define EPT_WRITE BIT(1)
#define EPT_EXEC BIT(2)
#define EPT_RWX (EPT_READ | EPT_WRITE | EPT_EXEC)
#define EPT_MEMTYPE_SHIFT 3
#define EPT_MEMTYPE(t) ((u64)(t) << EPT_MEMTYPE_SHIFT)
#define EPT_IGNORE_PAT BIT(6)
#define EPT_LEAF_LARGE BIT(7)
#define EPT_ADDR_MASK 0x000ffffffffff000ULL

#define EPTP_MEMTYPE_WB 6
#define EPTP_WALK_4 (3 << 3)

struct ept {
	u64 *pml4;
	bool allow_2m, allow_1g;
	void *(*alloc_page)(void); /* a zeroed, 4 KiB-aligned page; NULL when out of memory */
	u32 table_pages;
	u64 leaves_4k, leaves_2m, leaves_1g;
};

/* Sets up an empty EPT. -ENOMEM when the allocator fails. */
int ept_init(struct ept *ept, void *(*alloc_page)(void), bool allow_2m, bool allow_1g);

/* Maps [gpa, gpa + size) to [hpa, ...) with flags (EPT_RWX bits | EPT_MEMTYPE(type) ...),
 * using the largest pages that alignment allows. All three must be 4 KiB aligned, hpa below
 * 2^52, gpa below 2^48, flags readable with a defined memory type. -EEXIST when part of the
 * range is already mapped, -ENOMEM, -EINVAL. Not all-or-nothing: after an error, what was
 * mapped before it stays (callers give up on the whole address space then). */
int ept_map(struct ept *ept, gpa_t gpa, hpa_t hpa, u64 size, u64 flags);

/* Translates gpa: 0 with *hpa (exact address), *flags and *page_size, or -ENOENT. */
int ept_lookup(const struct ept *ept, gpa_t gpa, hpa_t *hpa, u64 *flags, u64 *page_size);

/* Gives every table page back through free_page (a VM that could not be built, or is gone);
 * the EPT is empty afterwards. */
void ept_destroy(struct ept *ept, void (*free_page)(void *));

/* The EPT pointer for the VMCS: write-back paging-structure accesses, 4-level walk. */
u64 ept_pointer(const struct ept *ept);

#endif
