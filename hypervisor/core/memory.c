/*
 * Physical memory after boot: the machine's free RAM (`ram`), Plinth's reserved range and its
 * page pool. RAM excludes the first MiB (BIOS data, real-mode memory that guests and the AP
 * trampoline need), Plinth's range, the multiboot2 information and every module.
 */
#include <plinth/console.h>
#include <plinth/layout_symbols.h>
#include <plinth/memory.h>
#include <plinth/panic.h>
#include <plinth/spinlock.h>
#include <plinth/string.h>

struct reserved_range plinth_reserved;
struct pmm ram;
static struct pmm pool;
/* Every CPU allocates from the pool (its vCPU's pages as a VM launches, say): one at a time. */
static struct spinlock pool_lock;

static void exclude(const char *what, u64 start, u64 end)
{
	if (pmm_remove(&ram, start, end))
		panic("cannot set up physical memory", "free-range table full while excluding %s 0x%lx-0x%lx",
		      what, start, end);
}

/* Is [start, end) inside one available memory map entry? */
static bool in_available_ram(const struct boot_info *bi, u64 start, u64 end)
{
	u32 i;

	for (i = 0; i < bi->mmap_count; i++)
		if (bi->mmap[i].type == MB2_MEM_AVAILABLE && bi->mmap[i].start <= start &&
		    end <= bi->mmap[i].end)
			return true;
	return false;
}

void memory_init(const struct boot_info *bi)
{
	u64 total = 0;
	u32 i;

	plinth_reserved.start = (hpa_t)(uintptr_t)__plinth_start;
	plinth_reserved.end = (hpa_t)(uintptr_t)__plinth_end;
	if (!in_available_ram(bi, plinth_reserved.start, plinth_reserved.end))
		panic("Plinth's memory is not usable RAM",
		      "reserved range 0x%lx-0x%lx is not inside one available memory map entry",
		      plinth_reserved.start, plinth_reserved.end);

	pmm_init(&ram);
	for (i = 0; i < bi->mmap_count; i++) {
		if (bi->mmap[i].type != MB2_MEM_AVAILABLE)
			continue;
		total += bi->mmap[i].end - bi->mmap[i].start;
		if (pmm_add(&ram, bi->mmap[i].start, bi->mmap[i].end))
			panic("cannot set up physical memory", "more than %d separate RAM ranges",
			      PMM_MAX_RANGES);
	}
	/* Reserved and firmware ranges win over an overlapping available entry. */
	for (i = 0; i < bi->mmap_count; i++)
		if (bi->mmap[i].type != MB2_MEM_AVAILABLE)
			exclude("firmware range", bi->mmap[i].start, bi->mmap[i].end);
	exclude("low memory", 0, MIB);
	exclude("Plinth's range", plinth_reserved.start, plinth_reserved.end);
	exclude("multiboot2 information", bi->mbi_start, bi->mbi_end);
	for (i = 0; i < bi->module_count; i++)
		exclude("a module", bi->modules[i].start, bi->modules[i].end);

	pmm_init(&pool);
	pmm_add(&pool, (u64)(uintptr_t)__pool_start, (u64)(uintptr_t)__pool_end);

	log_info("memory: %lu MiB available, %lu MiB free for guests", total / MIB,
		 pmm_free_bytes(&ram) / MIB);
	log_info("reserved: 0x%lx-0x%lx (%lu KiB: image %lu KiB, pool %lu KiB)", plinth_reserved.start,
		 plinth_reserved.end, (plinth_reserved.end - plinth_reserved.start) / KIB,
		 (u64)(__pool_start - __plinth_start) / KIB, (u64)(__pool_end - __pool_start) / KIB);
}

void *pages_try_alloc(u32 count)
{
	u64 pa;
	int rc;

	spin_lock(&pool_lock);
	rc = pmm_alloc(&pool, (u64)count * PMM_PAGE_SIZE, PMM_PAGE_SIZE, &pa);
	spin_unlock(&pool_lock);
	if (rc)
		return NULL;
	return memset((void *)(uintptr_t)pa, 0, count * PMM_PAGE_SIZE);
}

void *page_try_alloc(void)
{
	return pages_try_alloc(1);
}

void *pages_alloc(u32 count)
{
	void *p = pages_try_alloc(count);

	if (!p)
		panic("out of memory", "Plinth's page pool (%lu KiB, %lu KiB free) cannot give %u contiguous pages",
		      pool_size_bytes() / KIB, pool_free_bytes() / KIB, count);
	return p;
}

void *page_alloc(void)
{
	return pages_alloc(1);
}

u64 pool_size_bytes(void)
{
	return (u64)(__pool_end - __pool_start);
}

u64 pool_free_bytes(void)
{
	u64 n;

	spin_lock(&pool_lock);
	n = pmm_free_bytes(&pool);
	spin_unlock(&pool_lock);
	return n;
}

void memory_pool_set_aside(u64 left)
{
	u64 pa, taken = 0;

	spin_lock(&pool_lock);
	while (pmm_free_bytes(&pool) > left && !pmm_alloc(&pool, PMM_PAGE_SIZE, PMM_PAGE_SIZE, &pa))
		taken += PMM_PAGE_SIZE;
	spin_unlock(&pool_lock);
	log_notice("debug_pool_left: %lu KiB of Plinth's page pool set aside, %lu KiB left for VMs", taken / KIB,
		   pool_free_bytes() / KIB);
}

void pages_free(void *pages, u32 count)
{
	int rc;

	spin_lock(&pool_lock);
	rc = pmm_free(&pool, (u64)(uintptr_t)pages, (u64)count * PMM_PAGE_SIZE);
	spin_unlock(&pool_lock);
	if (rc)
		panic("pages_free", "%u pages at %p are not allocated pool pages", count, pages);
}

void page_free(void *page)
{
	pages_free(page, 1);
}
