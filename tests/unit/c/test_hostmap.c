// sources: hypervisor/arch/x86/hostmap.c
/*
 * Plinth's own page tables (arch/x86/hostmap.c, SDM Vol. 3A 4.5): identity maps with 1 GiB
 * leaves where allowed and aligned, 2 MiB leaves otherwise, ranges grown out to 2 MiB, what is
 * mapped kept (a later overlapping request changes nothing), and memory beyond 4 GiB reachable.
 * Table pages come from aligned_alloc and are used through their address, as Plinth does.
 */
#include <stdlib.h>

#include <plinth/errno.h>
#include <x86/hostmap.h>
#include <x86/processor.h>

#include "test.h"

#define MAX_PAGES 64

static void *pages[MAX_PAGES];
static unsigned used, limit = MAX_PAGES;

static void *alloc_page(void)
{
	void *p;

	if (used == limit)
		return NULL;
	p = aligned_alloc(4096, 4096);
	memset(p, 0, 4096);
	pages[used++] = p;
	return p;
}

static void release(void)
{
	while (used)
		free(pages[--used]);
	limit = MAX_PAGES;
}

static u64 entry(const struct hostmap *m, u64 addr, int level)
{
	const u64 *t = m->pml4;
	int l;

	for (l = 3; l > level; l--)
		t = (const u64 *)(uintptr_t)(t[(addr >> (12 + 9 * l)) & 511] & X86_PTE_ADDR_MASK);
	return t[(addr >> (12 + 9 * level)) & 511];
}

TEST(low_4g_and_high_ram_with_1g_pages)
{
	struct hostmap m;

	REQUIRE(hostmap_init(&m, alloc_page, true) == 0);
	CHECK_EQ_INT(hostmap_map(&m, 0, 4 * GIB, 0), 0);
	CHECK_EQ_U64(m.leaves_1g, 4);
	CHECK_EQ_U64(m.table_pages, 2);
	/* RAM at 4 GiB + 1 MiB to 6.5 GiB, grown out to 4 GiB: two 1 GiB leaves, then 2 MiB ones. */
	CHECK_EQ_INT(hostmap_map(&m, 4 * GIB + MIB, 6 * GIB + 512 * MIB, 0), 0);
	CHECK_EQ_U64(m.leaves_1g, 6);
	CHECK_EQ_U64(m.leaves_2m, 256);
	CHECK(hostmap_covers(&m, 0, 6 * GIB + 512 * MIB));
	CHECK(!hostmap_covers(&m, 6 * GIB + 511 * MIB, 6 * GIB + 513 * MIB));
	CHECK_EQ_U64(entry(&m, 5 * GIB, 2), 5 * GIB | X86_PTE_P | X86_PTE_RW | X86_PTE_PS);
	CHECK_EQ_U64(entry(&m, 6 * GIB + 2 * MIB, 1), (6 * GIB + 2 * MIB) | X86_PTE_P | X86_PTE_RW | X86_PTE_PS);
	release();
}

TEST(without_1g_pages_everything_is_2m)
{
	struct hostmap m;

	REQUIRE(hostmap_init(&m, alloc_page, false) == 0);
	CHECK_EQ_INT(hostmap_map(&m, 0, 4 * GIB, 0), 0);
	CHECK_EQ_U64(m.leaves_1g, 0);
	CHECK_EQ_U64(m.leaves_2m, 2048);
	CHECK_EQ_U64(m.table_pages, 6);
	CHECK(hostmap_covers(&m, 0, 4 * GIB));
	release();
}

TEST(overlaps_keep_what_is_mapped_and_device_memory_is_uncached)
{
	struct hostmap m;

	REQUIRE(hostmap_init(&m, alloc_page, true) == 0);
	/* A device window past 512 GiB, 64 KiB at an unaligned base: one 2 MiB leaf, uncached. */
	CHECK_EQ_INT(hostmap_map(&m, 600 * GIB + 0x12000, 600 * GIB + 0x22000, X86_PTE_PCD), 0);
	CHECK_EQ_U64(m.leaves_2m, 1);
	CHECK_EQ_U64(entry(&m, 600 * GIB, 1) & X86_PTE_PCD, X86_PTE_PCD);
	/* A 1 GiB request over it keeps the 2 MiB leaf and fills the rest of the GiB. */
	CHECK_EQ_INT(hostmap_map(&m, 600 * GIB, 601 * GIB, 0), 0);
	CHECK_EQ_U64(m.leaves_1g, 0);
	CHECK_EQ_U64(m.leaves_2m, 512);
	CHECK_EQ_U64(entry(&m, 600 * GIB, 1) & X86_PTE_PCD, X86_PTE_PCD);
	CHECK_EQ_U64(entry(&m, 600 * GIB + 2 * MIB, 1) & X86_PTE_PCD, 0);
	CHECK_EQ_INT(hostmap_map(&m, 600 * GIB, 600 * GIB + MIB, 0), 0); /* inside a leaf: nothing new */
	CHECK_EQ_U64(m.leaves_2m, 512);
	CHECK(hostmap_covers(&m, 600 * GIB, 601 * GIB));
	CHECK(!hostmap_covers(&m, 599 * GIB, 600 * GIB + 1));
	release();
}

TEST(bad_ranges_and_a_dry_allocator)
{
	struct hostmap m;

	REQUIRE(hostmap_init(&m, alloc_page, true) == 0);
	CHECK_EQ_INT(hostmap_map(&m, HOSTMAP_LIMIT - 2 * MIB, HOSTMAP_LIMIT + 1, 0), -EINVAL);
	CHECK_EQ_INT(hostmap_map(&m, 5, 5, 0), 0);
	CHECK(!hostmap_covers(&m, 0, 1));
	CHECK(!hostmap_covers(&m, 10, 5));
	CHECK(!hostmap_covers(&m, 0, HOSTMAP_LIMIT + 1));
	limit = used + 1; /* a PDPT, no page directory */
	CHECK_EQ_INT(hostmap_map(&m, 2 * MIB, 4 * MIB, 0), -ENOMEM);
	release();
	limit = 0;
	CHECK_EQ_INT(hostmap_init(&m, alloc_page, true), -ENOMEM);
	release();
}
