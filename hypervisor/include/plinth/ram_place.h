/* Where a partition VM's RAM lies in host memory (core/ram_place.c): carved out of the free RAM
 * in 2 MiB-aligned chunks, as few as the free set allows. Pure: host-tested with fragmented
 * memory maps. */
#ifndef PLINTH_RAM_PLACE_H
#define PLINTH_RAM_PLACE_H

#include <plinth/pmm.h>

#define RAM_PLACE_ALIGN (2 * MIB)
/* Chunks of one VM: its RAM ranges (the VM's range table, VM_MEM_MAX, holds them all). */
#define RAM_PLACE_MAX 32

struct ram_place {
	u32 count;
	struct pmm_range chunk[RAM_PLACE_MAX]; /* host ranges, in guest-physical order from 0 */
};

/* Bytes that 2 MiB-aligned chunks of free could give: what a configuration may ask for. */
u64 ram_place_capacity(const struct pmm *free);

/* Takes size bytes (a non-zero multiple of 2 MiB) out of free in the fewest 2 MiB-aligned
 * chunks: the whole size from the smallest aligned piece that holds it, else the largest piece
 * and the rest again. 0 with *out filled in; -ENOMEM (free as it was) when the free set has
 * too little aligned RAM or the chunks would be more than RAM_PLACE_MAX; -EINVAL for a size
 * that is zero or not a multiple of 2 MiB. */
int ram_place(struct pmm *free, u64 size, struct ram_place *out);
/* The same with every chunk below limit (2 MiB aligned): -ENOMEM, free as it was, when the
 * aligned RAM below limit is too little. */
int ram_place_below(struct pmm *free, u64 size, u64 limit, struct ram_place *out);

/* Gives the chunks back to free (a VM that cannot be built, say). */
void ram_place_release(struct pmm *free, const struct ram_place *p);

#endif
