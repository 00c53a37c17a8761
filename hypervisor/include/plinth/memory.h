/* Plinth's view of physical memory after boot (core/memory.c). */
#ifndef PLINTH_MEMORY_H
#define PLINTH_MEMORY_H

#include <plinth/multiboot2.h>
#include <plinth/pmm.h>

/* The one range Plinth owns: image, boot page tables, stacks and the page pool. Later work
 * keeps it out of every guest's EPT, VT-d tables and e820 map. */
struct reserved_range {
	hpa_t start, end;
};

extern struct reserved_range plinth_reserved;
/* Usable RAM that is not Plinth's, the multiboot2 information or a module. Only the boot CPU
 * touches it, while it loads guests and builds VMs before the launch: it has no lock. */
extern struct pmm ram;

/* Builds `ram` from the memory map and records plinth_reserved; prints a summary. */
void memory_init(const struct boot_info *bi);

/*
 * Plinth's page pool, for any CPU at any time (a lock serialises them). page_alloc and
 * pages_alloc are for Plinth's own needs at boot (per-CPU state, the VT-d root table): they
 * panic when the pool is exhausted. What one VM needs (EPT, VT-d domain, bitmaps, vCPUs, VMCS)
 * comes from the _try_ forms, which return NULL instead: a VM that cannot be built fails
 * alone.
 */
void *page_alloc(void);
void *pages_alloc(u32 count); /* count physically contiguous zeroed pages */
void *page_try_alloc(void);
void *pages_try_alloc(u32 count);
void page_free(void *page);
void pages_free(void *pages, u32 count);
u64 pool_size_bytes(void);
u64 pool_free_bytes(void);
/* Boot option debug_pool_left: takes pages out of the pool until at most left bytes are free,
 * so that building a VM runs out (tests of the fallible path). Says so in one line. */
void memory_pool_set_aside(u64 left);

#endif
