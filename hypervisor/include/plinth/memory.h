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
/* Usable RAM that is not Plinth's, the multiboot2 information or a module. */
extern struct pmm ram;

/* Builds `ram` from the memory map and records plinth_reserved; prints a summary. */
void memory_init(const struct boot_info *bi);

/* One zeroed 4 KiB page from Plinth's pool; panics when the pool is exhausted. */
void *page_alloc(void);
/* count physically contiguous zeroed pages; panics when the pool cannot give them. */
void *pages_alloc(u32 count);
void page_free(void *page);
u64 pool_free_bytes(void);

#endif
