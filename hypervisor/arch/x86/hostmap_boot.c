/* Plinth's page tables for the machine it runs on; see x86/hostmap.h. */
#include <plinth/console.h>
#include <plinth/guest_map.h>
#include <plinth/memory.h>
#include <plinth/panic.h>
#include <x86/cpu.h>
#include <x86/hostmap.h>
#include <x86/processor.h>

/* The first 4 GiB: below it lie the firmware areas, the local APIC and IOAPIC pages and the
 * 32-bit PCI windows, cached as the MTRRs say (as boot/entry.S had it). */
#define LOW_SPAN (4 * GIB)

static struct hostmap map;

static void *pool_page(void)
{
	return page_alloc();
}

static bool has_1g_pages(void)
{
	u32 a, b, c, d;

	cpuid(0x80000000, 0, &a, &b, &c, &d);
	if (a < 0x80000001)
		return false;
	cpuid(0x80000001, 0, &a, &b, &c, &d);
	return d & CPUID_80000001_EDX_PAGE1GB;
}

static void map_or_panic(u64 start, u64 end, u64 attr)
{
	int rc = hostmap_map(&map, start, end, attr);

	if (rc)
		panic("cannot build Plinth's page tables", "mapping 0x%lx-0x%lx failed (error %d)", start, end, rc);
}

void hostmap_boot(const struct boot_info *bi)
{
	u32 i;

	if (hostmap_init(&map, pool_page, has_1g_pages()))
		panic("cannot build Plinth's page tables", "no page for the root table");
	map_or_panic(0, LOW_SPAN, 0);
	/* All RAM a guest may be given (and the ACPI tables in it), write-back; ACPI NVS uncached
	 * unless the MTRRs cache it (SDM Vol. 3A 11.5.2.2: PCD with PAT entry 2 is UC-). Reserved
	 * ranges above 4 GiB are nothing Plinth touches; device memory it uses is added by
	 * hostmap_mmio. */
	for (i = 0; i < bi->mmap_count; i++)
		if (guest_map_ram_type(bi->mmap[i].type))
			map_or_panic(bi->mmap[i].start, bi->mmap[i].end,
				     bi->mmap[i].type == MB2_MEM_NVS ? X86_PTE_PCD : 0);
	write_cr3((u64)(uintptr_t)map.pml4);
	log_info("memory: Plinth's page tables map %lu x 1G + %lu x 2M pages in %u table pages (1 GiB pages %s)",
		 map.leaves_1g, map.leaves_2m, map.table_pages, map.allow_1g ? "yes" : "no");
}

void hostmap_mmio(u64 start, u64 size)
{
	/* No TLB flush: translations of not-present entries are never cached (SDM Vol. 3A
	 * 4.10.2.3, 4.10.3.1), on this CPU or another. */
	if (start + size > start && !hostmap_covers(&map, start, start + size))
		map_or_panic(start, start + size, X86_PTE_PCD);
}

bool hostmap_reaches(u64 start, u64 size)
{
	return start + size >= start && hostmap_covers(&map, start, start + size);
}

u64 hostmap_cr3(void)
{
	return (u64)(uintptr_t)map.pml4;
}
