/* Physical memory as a sorted set of free page ranges (core/pmm.c). One instance manages the
 * machine's RAM, another Plinth's page pool. Pure: unit-tested on the host. */
#ifndef PLINTH_PMM_H
#define PLINTH_PMM_H

#include <plinth/types.h>

#define PMM_PAGE_SIZE ((u64)4096)
#define PMM_MAX_RANGES 256

struct pmm_range {
	u64 start, end; /* page aligned, end exclusive */
};

struct pmm {
	struct pmm_range free[PMM_MAX_RANGES];
	u32 count;
};

void pmm_init(struct pmm *pmm);

/* Adds [start, end) as free memory, shrunk inward to whole pages; overlapping or adjacent
 * ranges merge. -ENOSPC when the range table is full. */
int pmm_add(struct pmm *pmm, u64 start, u64 end);

/* Removes [start, end), grown outward to whole pages, from the free set (memory that is not
 * free is ignored). -ENOSPC when a split needs a slot the table does not have. */
int pmm_remove(struct pmm *pmm, u64 start, u64 end);

/* Allocates size bytes (rounded up to pages) aligned to align (a power of two, at least a
 * page), lowest address first. 0 and *out set, or -ENOMEM / -EINVAL. */
int pmm_alloc(struct pmm *pmm, u64 size, u64 align, u64 *out);

/* The same, highest address first. */
int pmm_alloc_top(struct pmm *pmm, u64 size, u64 align, u64 *out);

/* Returns [start, start + size) to the free set. -EINVAL when any page of it is already
 * free (a double free) or start or size is not page aligned (free what pmm_alloc rounded
 * up to, in whole pages). */
int pmm_free(struct pmm *pmm, u64 start, u64 size);

u64 pmm_free_bytes(const struct pmm *pmm);
bool pmm_is_free(const struct pmm *pmm, u64 addr);

#endif
