// sources: hypervisor/arch/x86/ept.c
/*
 * The EPT builder (SDM Vol. 3C, 29.3): exact leaf and table-page counts for the layouts Plinth
 * builds (an identity map of [0, 4 GiB) with and without 1 GiB pages, low memory with a hole),
 * translations inside every kind of leaf, fallback to smaller pages when gpa and hpa are aligned
 * differently, overlaps, bad arguments, an allocator that runs dry, tearing the tables down,
 * the EPT pointer, and a randomized cross-check of a few hundred mappings against a list of
 * ranges, where the tables are also walked leaf by leaf and compared with the list both ways.
 *
 * Table pages come from aligned_alloc and are used through their address as if physical, as
 * Plinth does with the memory it identity-maps; every page is freed at the end of each test, so
 * LeakSanitizer also proves that no page is lost.
 */
#include <stdlib.h>

#include <plinth/errno.h>
#include <x86/ept.h>

#include "test.h"

#define PG 0x1000ULL
#define SZ_2M (2 * MIB)
#define SZ_1G GIB
#define GPA_TOP (1ULL << 48)
#define WB (EPT_RWX | EPT_MEMTYPE(6))
#define UC (EPT_RWX | EPT_MEMTYPE(0))

/* ---- a page allocator that records what it hands out and can be told to run dry ---- */

#define MAX_PAGES 16384

static void *pages[MAX_PAGES];
static u32 npages;
static long alloc_limit = -1; /* pages handed out before NULL; -1: no limit */
static bool alloc_bad;        /* out of room here, or an address the EPT cannot hold */

static void *alloc_page(void)
{
	void *p;

	if ((alloc_limit >= 0 && npages >= alloc_limit) || npages == MAX_PAGES)
		return NULL;
	p = aligned_alloc(4096, 4096);
	if (!p || ((uintptr_t)p & ~EPT_ADDR_MASK)) {
		alloc_bad = true;
		free(p);
		return NULL;
	}
	memset(p, 0, 4096);
	pages[npages++] = p;
	return p;
}

/* Frees every page and checks that the allocator itself never failed unexpectedly. */
static void pages_free(void)
{
	CHECK(!alloc_bad);
	while (npages)
		free(pages[--npages]);
	alloc_limit = -1;
	alloc_bad = false;
}

/* ---- checks ---- */

/* gpa translates to want_hpa in a page of want_size; flags are the mapping's own, plus
 * EPT_LEAF_LARGE for 2 MiB and 1 GiB leaves. */
#define CHECK_MAPS(e, gpa, want_hpa, want_flags, want_size) \
	check_maps((e), (gpa), (want_hpa), (want_flags), (want_size), __LINE__)
#define CHECK_UNMAPPED(e, gpa) check_unmapped((e), (gpa), __LINE__)
#define CHECK_COUNTS(e, tables, n1g, n2m, n4k) \
	check_counts((e), (tables), (n1g), (n2m), (n4k), __LINE__)

static bool check_maps(const struct ept *e, u64 gpa, u64 want_hpa, u64 want_flags, u64 want_size,
		       int line)
{
	u64 hpa = 0, flags = 0, size = 0;
	int rc = ept_lookup(e, gpa, &hpa, &flags, &size);

	if (want_size > PG)
		want_flags |= EPT_LEAF_LARGE;
	return test_check(rc == 0 && hpa == want_hpa && flags == want_flags && size == want_size,
			  __FILE__, line,
			  "lookup 0x%llx: got rc %d hpa 0x%llx flags 0x%llx size 0x%llx, "
			  "expected rc 0 hpa 0x%llx flags 0x%llx size 0x%llx",
			  (unsigned long long)gpa, rc, (unsigned long long)hpa,
			  (unsigned long long)flags, (unsigned long long)size,
			  (unsigned long long)want_hpa, (unsigned long long)want_flags,
			  (unsigned long long)want_size);
}

static bool check_unmapped(const struct ept *e, u64 gpa, int line)
{
	u64 hpa = 0, flags = 0, size = 0;
	int rc = ept_lookup(e, gpa, &hpa, &flags, &size);

	return test_check(rc == -ENOENT, __FILE__, line,
			  "lookup 0x%llx: got rc %d (hpa 0x%llx flags 0x%llx size 0x%llx), "
			  "expected -ENOENT",
			  (unsigned long long)gpa, rc, (unsigned long long)hpa,
			  (unsigned long long)flags, (unsigned long long)size);
}

static bool check_counts(const struct ept *e, u32 tables, u64 n1g, u64 n2m, u64 n4k, int line)
{
	return test_check(e->table_pages == tables && npages == tables && e->leaves_1g == n1g &&
				  e->leaves_2m == n2m && e->leaves_4k == n4k,
			  __FILE__, line,
			  "counts: got %u table pages (%u allocated), %llu x 1G, %llu x 2M, "
			  "%llu x 4K; expected %u, %llu x 1G, %llu x 2M, %llu x 4K",
			  e->table_pages, npages, (unsigned long long)e->leaves_1g,
			  (unsigned long long)e->leaves_2m, (unsigned long long)e->leaves_4k, tables,
			  (unsigned long long)n1g, (unsigned long long)n2m, (unsigned long long)n4k);
}

static u64 *table_at(u64 entry)
{
	return (u64 *)(uintptr_t)(entry & EPT_ADDR_MASK);
}

/* ---- the layouts Plinth builds ---- */

TEST(identity_4g_with_1g_pages)
{
	struct ept e;
	u64 *pdpt;
	u32 i;

	REQUIRE(ept_init(&e, alloc_page, true, true) == 0);
	CHECK_COUNTS(&e, 1, 0, 0, 0);
	CHECK_EQ_INT(ept_map(&e, 0, 0, 4 * GIB, WB), 0);
	CHECK_COUNTS(&e, 2, 4, 0, 0);
	/* The tables themselves: PML4[0] -> PDPT, PDPT[0..3] are 1 GiB leaves, the rest empty. */
	CHECK_EQ_U64(e.pml4[0] & ~EPT_ADDR_MASK, EPT_RWX);
	for (i = 1; i < 512; i++)
		CHECK_EQ_U64(e.pml4[i], 0);
	pdpt = table_at(e.pml4[0]);
	CHECK(pdpt == (u64 *)pages[1]);
	for (i = 0; i < 4; i++)
		CHECK_EQ_U64(pdpt[i], i * GIB | WB | EPT_LEAF_LARGE);
	for (i = 4; i < 512; i++)
		CHECK_EQ_U64(pdpt[i], 0);
	CHECK_MAPS(&e, 0, 0, WB, SZ_1G);
	CHECK_MAPS(&e, 0x12345678, 0x12345678, WB, SZ_1G);
	CHECK_MAPS(&e, 3 * GIB + 5, 3 * GIB + 5, WB, SZ_1G);
	CHECK_MAPS(&e, 4 * GIB - 1, 4 * GIB - 1, WB, SZ_1G);
	CHECK_UNMAPPED(&e, 4 * GIB);
	CHECK_UNMAPPED(&e, 512 * GIB);
	pages_free();
}

TEST(identity_4g_without_1g_pages)
{
	struct ept e;

	REQUIRE(ept_init(&e, alloc_page, true, false) == 0);
	CHECK_EQ_INT(ept_map(&e, 0, 0, 4 * GIB, WB), 0);
	CHECK_COUNTS(&e, 1 + 1 + 4, 0, 2048, 0); /* PML4, PDPT, one PD per GiB */
	CHECK_MAPS(&e, 0, 0, WB, SZ_2M);
	CHECK_MAPS(&e, 0x12345678, 0x12345678, WB, SZ_2M);
	CHECK_MAPS(&e, 4 * GIB - 1, 4 * GIB - 1, WB, SZ_2M);
	CHECK_UNMAPPED(&e, 4 * GIB);
	pages_free();
}

TEST(identity_without_large_pages)
{
	struct ept e;

	REQUIRE(ept_init(&e, alloc_page, false, false) == 0);
	CHECK_EQ_INT(ept_map(&e, 0, 0, 4 * MIB, WB), 0);
	CHECK_COUNTS(&e, 1 + 1 + 1 + 2, 0, 0, 1024);
	CHECK_MAPS(&e, 0, 0, WB, PG);
	CHECK_MAPS(&e, 0x3fffff, 0x3fffff, WB, PG);
	CHECK_UNMAPPED(&e, 0x400000);
	pages_free();

	/* 1 GiB allowed without 2 MiB: 1 GiB leaves where they fit, 4 KiB elsewhere. */
	REQUIRE(ept_init(&e, alloc_page, false, true) == 0);
	CHECK_EQ_INT(ept_map(&e, GIB - SZ_2M, GIB - SZ_2M, GIB + SZ_2M, WB), 0);
	CHECK_COUNTS(&e, 1 + 1 + 1 + 1, 1, 0, 512);
	CHECK_MAPS(&e, GIB - PG, GIB - PG, WB, PG);
	CHECK_MAPS(&e, GIB, GIB, WB, SZ_1G);
	pages_free();
}

/* Plinth's own hole: [0, 2 MiB) and [8 MiB, 4 GiB). Both ends are 2 MiB aligned, so there are no
 * 4 KiB leaves at all: 1 + 508 2 MiB leaves in the first GiB, then three 1 GiB leaves. */
TEST(hole_2m_aligned)
{
	struct ept e;

	REQUIRE(ept_init(&e, alloc_page, true, true) == 0);
	CHECK_EQ_INT(ept_map(&e, 0, 0, SZ_2M, WB), 0);
	CHECK_EQ_INT(ept_map(&e, 8 * MIB, 8 * MIB, 4 * GIB - 8 * MIB, WB), 0);
	CHECK_COUNTS(&e, 3, 3, 1 + 508, 0);
	CHECK_MAPS(&e, MIB, MIB, WB, SZ_2M);
	CHECK_UNMAPPED(&e, SZ_2M);
	CHECK_UNMAPPED(&e, 5 * MIB);
	CHECK_UNMAPPED(&e, 8 * MIB - 1);
	CHECK_MAPS(&e, 8 * MIB, 8 * MIB, WB, SZ_2M);
	CHECK_MAPS(&e, GIB - 1, GIB - 1, WB, SZ_2M);
	CHECK_MAPS(&e, GIB, GIB, WB, SZ_1G);
	CHECK_MAPS(&e, 4 * GIB - 1, 4 * GIB - 1, WB, SZ_1G);
	CHECK_UNMAPPED(&e, 4 * GIB);
	pages_free();
}

/* The legacy hole [0xa0000, 1 MiB) with two different memory types around it: 4 KiB leaves
 * exactly where alignment forces them (160 below the hole, 256 from 1 MiB to 2 MiB), 511 2 MiB
 * leaves up to 1 GiB, then 1 GiB leaves. */
TEST(hole_forces_4k_leaves)
{
	const u64 low = EPT_READ | EPT_WRITE | EPT_MEMTYPE(6) | EPT_IGNORE_PAT;
	const u64 high = EPT_RWX | EPT_MEMTYPE(4);
	struct ept e;

	REQUIRE(ept_init(&e, alloc_page, true, true) == 0);
	CHECK_EQ_INT(ept_map(&e, 0, 0, 0xa0000, low), 0);
	CHECK_COUNTS(&e, 4, 0, 0, 160);
	CHECK_EQ_INT(ept_map(&e, MIB, MIB, 4 * GIB - MIB, high), 0);
	CHECK_COUNTS(&e, 4, 3, 511, 160 + 256);
	CHECK_MAPS(&e, 0, 0, low, PG);
	CHECK_MAPS(&e, 0x9f123, 0x9f123, low, PG);
	CHECK_UNMAPPED(&e, 0xa0000);
	CHECK_UNMAPPED(&e, 0xfffff);
	CHECK_MAPS(&e, MIB, MIB, high, PG);
	CHECK_MAPS(&e, 0x1fffff, 0x1fffff, high, PG);
	CHECK_MAPS(&e, SZ_2M, SZ_2M, high, SZ_2M);
	CHECK_MAPS(&e, GIB - 1, GIB - 1, high, SZ_2M);
	CHECK_MAPS(&e, GIB, GIB, high, SZ_1G);
	CHECK_MAPS(&e, 3 * GIB + 0x1234, 3 * GIB + 0x1234, high, SZ_1G);
	CHECK_UNMAPPED(&e, 4 * GIB);
	pages_free();
}

/* Every memory type and permission set comes back from the leaf as it was given. */
TEST(flags_round_trip)
{
	static const u64 flags[] = {
		EPT_READ | EPT_MEMTYPE(0),
		EPT_READ | EPT_WRITE | EPT_MEMTYPE(1),
		EPT_READ | EPT_EXEC | EPT_MEMTYPE(4),
		EPT_RWX | EPT_MEMTYPE(5),
		EPT_RWX | EPT_MEMTYPE(6) | EPT_IGNORE_PAT,
		EPT_READ | EPT_MEMTYPE(6) | BIT(63), /* suppress #VE: above the address bits */
	};
	static const u64 sizes[] = { PG, SZ_2M, SZ_1G };
	struct ept e;
	u32 i, s;

	REQUIRE(ept_init(&e, alloc_page, true, true) == 0);
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		for (i = 0; i < ARRAY_SIZE(flags); i++) {
			u64 gpa = (s + 1) * 64 * GIB + i * sizes[s];
			u64 hpa = 0x100 * GIB + (i + 1) * sizes[s];

			CHECK_EQ_INT(ept_map(&e, gpa, hpa, sizes[s], flags[i]), 0);
			CHECK_MAPS(&e, gpa + sizes[s] / 2, hpa + sizes[s] / 2, flags[i], sizes[s]);
		}
	}
	CHECK_EQ_U64(e.leaves_4k, ARRAY_SIZE(flags));
	CHECK_EQ_U64(e.leaves_2m, ARRAY_SIZE(flags));
	CHECK_EQ_U64(e.leaves_1g, ARRAY_SIZE(flags));
	pages_free();
}

/* ---- gpa != hpa ---- */

TEST(non_identity_falls_back_to_smaller_pages)
{
	struct ept e;

	REQUIRE(ept_init(&e, alloc_page, true, true) == 0);
	/* gpa 1 GiB aligned, hpa only 4 KiB aligned: 4 KiB leaves only. */
	CHECK_EQ_INT(ept_map(&e, GIB, 0x12345000, 4 * MIB, WB), 0);
	CHECK_COUNTS(&e, 1 + 1 + 1 + 2, 0, 0, 1024);
	CHECK_MAPS(&e, GIB, 0x12345000, WB, PG);
	CHECK_MAPS(&e, GIB + 0x1234, 0x12346234, WB, PG);
	CHECK_MAPS(&e, GIB + 4 * MIB - 1, 0x12345000 + 4 * MIB - 1, WB, PG);
	CHECK_UNMAPPED(&e, GIB + 4 * MIB);

	/* gpa 1 GiB aligned, hpa 2 MiB but not 1 GiB aligned: 2 MiB leaves, no 1 GiB one. */
	CHECK_EQ_INT(ept_map(&e, 2 * GIB, 5 * GIB + SZ_2M, GIB, UC), 0);
	CHECK_COUNTS(&e, 1 + 1 + 1 + 2 + 1, 0, 512, 1024);
	CHECK_MAPS(&e, 2 * GIB, 5 * GIB + SZ_2M, UC, SZ_2M);
	CHECK_MAPS(&e, 3 * GIB - 1, 6 * GIB + SZ_2M - 1, UC, SZ_2M);

	/* hpa 1 GiB aligned, gpa only 2 MiB aligned: 2 MiB leaves. */
	CHECK_EQ_INT(ept_map(&e, 4 * GIB + SZ_2M, 8 * GIB, GIB, WB), 0);
	CHECK_EQ_U64(e.leaves_1g, 0);
	CHECK_EQ_U64(e.leaves_2m, 1024);
	CHECK_MAPS(&e, 4 * GIB + SZ_2M + 0x345678, 8 * GIB + 0x345678, WB, SZ_2M);

	/* Both 1 GiB aligned but different: a 1 GiB leaf. */
	CHECK_EQ_INT(ept_map(&e, 16 * GIB, 7 * GIB, GIB, WB), 0);
	CHECK_EQ_U64(e.leaves_1g, 1);
	CHECK_MAPS(&e, 16 * GIB + 0x2345678, 7 * GIB + 0x2345678, WB, SZ_1G);
	pages_free();
}

/* gpa and hpa agree modulo 2 MiB but start 4 KiB below a 2 MiB boundary: 4K, 2M, 4K. */
TEST(non_identity_mixed_leaves)
{
	struct ept e;

	REQUIRE(ept_init(&e, alloc_page, true, true) == 0);
	CHECK_EQ_INT(ept_map(&e, 0x1ff000, 0x7ff000, SZ_2M + 2 * PG, WB), 0);
	CHECK_COUNTS(&e, 1 + 1 + 1 + 2, 0, 1, 2);
	CHECK_UNMAPPED(&e, 0x1fe000);
	CHECK_MAPS(&e, 0x1ff000, 0x7ff000, WB, PG);
	CHECK_MAPS(&e, 0x200000, 0x800000, WB, SZ_2M);
	CHECK_MAPS(&e, 0x3fffff, 0x9fffff, WB, SZ_2M);
	CHECK_MAPS(&e, 0x400fff, 0xa00fff, WB, PG);
	CHECK_UNMAPPED(&e, 0x401000);
	pages_free();
}

/* A range across a PML4 entry (512 GiB) and one that ends exactly at 2^48. */
TEST(pml4_boundary_and_top)
{
	struct ept e;

	REQUIRE(ept_init(&e, alloc_page, true, true) == 0);
	CHECK_EQ_INT(ept_map(&e, 511 * GIB, 511 * GIB, 2 * GIB, WB), 0);
	CHECK_COUNTS(&e, 3, 2, 0, 0); /* PML4 + two PDPTs */
	CHECK_MAPS(&e, 512 * GIB - 1, 512 * GIB - 1, WB, SZ_1G);
	CHECK_MAPS(&e, 512 * GIB, 512 * GIB, WB, SZ_1G);
	CHECK_EQ_INT(ept_map(&e, GPA_TOP - GIB - PG, 5 * GIB - PG, GIB + PG, UC), 0);
	CHECK_COUNTS(&e, 3 + 3, 3, 0, 1); /* a PDPT, PD and PT for the first page */
	CHECK_MAPS(&e, GPA_TOP - GIB - PG, 5 * GIB - PG, UC, PG);
	CHECK_MAPS(&e, GPA_TOP - GIB, 5 * GIB, UC, SZ_1G);
	CHECK_MAPS(&e, GPA_TOP - 1, 6 * GIB - 1, UC, SZ_1G);
	CHECK_UNMAPPED(&e, GPA_TOP);
	CHECK_UNMAPPED(&e, ~0ULL);
	pages_free();
}

/* ---- bad input ---- */

TEST(overlap_is_eexist_and_keeps_the_old_mapping)
{
	struct ept e;

	REQUIRE(ept_init(&e, alloc_page, true, true) == 0);
	REQUIRE(ept_map(&e, SZ_2M, 0x40000000, SZ_2M, WB) == 0);  /* a 2 MiB leaf */
	REQUIRE(ept_map(&e, 2 * GIB, 9 * GIB, GIB, UC) == 0);     /* a 1 GiB leaf */
	REQUIRE(ept_map(&e, 8 * MIB, 0x77000, PG, WB) == 0);     /* a 4 KiB leaf */
	CHECK_COUNTS(&e, 4, 1, 1, 1);

	/* The same ranges again, with other targets. */
	CHECK_EQ_INT(ept_map(&e, SZ_2M, 0x80000000, SZ_2M, UC), -EEXIST);
	CHECK_EQ_INT(ept_map(&e, 2 * GIB, 0, GIB, WB), -EEXIST);
	CHECK_EQ_INT(ept_map(&e, 8 * MIB, 0x99000, PG, UC), -EEXIST);
	/* A 4 KiB page inside a 2 MiB leaf, inside a 1 GiB leaf. */
	CHECK_EQ_INT(ept_map(&e, 3 * MIB, 0x1000, PG, WB), -EEXIST);
	CHECK_EQ_INT(ept_map(&e, 2 * GIB + GIB / 2, 0x1000, PG, WB), -EEXIST);
	/* A 2 MiB leaf inside the 1 GiB leaf; a 1 GiB leaf over the table holding the 2 MiB one. */
	CHECK_EQ_INT(ept_map(&e, 2 * GIB + SZ_2M, 0, SZ_2M, WB), -EEXIST);
	CHECK_EQ_INT(ept_map(&e, 0, 0, GIB, WB), -EEXIST);
	/* A 2 MiB leaf over the table holding the 4 KiB one. */
	CHECK_EQ_INT(ept_map(&e, 8 * MIB, 8 * MIB, SZ_2M, WB), -EEXIST);

	CHECK_MAPS(&e, SZ_2M, 0x40000000, WB, SZ_2M);
	CHECK_MAPS(&e, 3 * MIB + 0x123, 0x40100123, WB, SZ_2M);
	CHECK_MAPS(&e, 4 * MIB - 1, 0x401fffff, WB, SZ_2M);
	CHECK_MAPS(&e, 2 * GIB, 9 * GIB, UC, SZ_1G);
	CHECK_MAPS(&e, 2 * GIB + GIB / 2 + 7, 9 * GIB + GIB / 2 + 7, UC, SZ_1G);
	CHECK_MAPS(&e, 8 * MIB + 0xabc, 0x77abc, WB, PG);
	CHECK_UNMAPPED(&e, 8 * MIB + PG);

	/* Starting in free space and running into the 2 MiB and the 1 GiB leaf. ept_map does not
	 * undo what it mapped before meeting the old mapping, so only the old one is checked. */
	CHECK_EQ_INT(ept_map(&e, SZ_2M - 2 * PG, 0x1000, 3 * PG, WB), -EEXIST);
	CHECK_EQ_INT(ept_map(&e, 2 * GIB - SZ_2M, 0, 2 * SZ_2M, WB), -EEXIST);
	CHECK_MAPS(&e, SZ_2M, 0x40000000, WB, SZ_2M);
	CHECK_MAPS(&e, 2 * GIB, 9 * GIB, UC, SZ_1G);

	/* Right after each is fine. */
	CHECK_EQ_INT(ept_map(&e, 4 * MIB, 4 * MIB, PG, WB), 0);
	CHECK_EQ_INT(ept_map(&e, 3 * GIB, 3 * GIB, GIB, WB), 0);
	CHECK_EQ_INT(ept_map(&e, 8 * MIB + PG, 0x78000, PG, WB), 0);
	CHECK_MAPS(&e, 4 * MIB, 4 * MIB, WB, PG);
	CHECK_MAPS(&e, 3 * GIB, 3 * GIB, WB, SZ_1G);
	CHECK_MAPS(&e, 8 * MIB + PG, 0x78000, WB, PG);
	CHECK_MAPS(&e, 8 * MIB, 0x77000, WB, PG);
	pages_free();
}

TEST(bad_arguments_are_einval)
{
	struct ept e;

	REQUIRE(ept_init(&e, alloc_page, true, true) == 0);
	CHECK_EQ_INT(ept_map(&e, 0x800, 0, PG, WB), -EINVAL);             /* gpa unaligned */
	CHECK_EQ_INT(ept_map(&e, 0, 0x10, PG, WB), -EINVAL);              /* hpa unaligned */
	CHECK_EQ_INT(ept_map(&e, 0, 0, 0x1800, WB), -EINVAL);             /* size unaligned */
	CHECK_EQ_INT(ept_map(&e, 0, 0, 1, WB), -EINVAL);
	CHECK_EQ_INT(ept_map(&e, 0, 0, 0, WB), -EINVAL);                  /* empty */
	CHECK_EQ_INT(ept_map(&e, GPA_TOP, 0, PG, WB), -EINVAL);           /* beyond 4 levels */
	CHECK_EQ_INT(ept_map(&e, GPA_TOP - PG, 0, 2 * PG, WB), -EINVAL);  /* runs past 2^48 */
	CHECK_EQ_INT(ept_map(&e, 0, 0, GPA_TOP + PG, WB), -EINVAL);
	CHECK_EQ_INT(ept_map(&e, ~0xfffULL, 0, 2 * PG, WB), -EINVAL);     /* wraps around 2^64 */
	CHECK_EQ_INT(ept_map(&e, PG, 0, ~0xfffULL, WB), -EINVAL);
	CHECK_EQ_INT(ept_map(&e, 0, 0, PG, WB | BIT(12)), -EINVAL);       /* address bits in flags */
	CHECK_EQ_INT(ept_map(&e, 0, 0, PG, WB | BIT(51)), -EINVAL);
	CHECK_EQ_INT(ept_map(&e, 0, 0, PG, 0x5000 | WB), -EINVAL);
	CHECK_EQ_INT(ept_map(&e, 0, 0, PG, EPT_ADDR_MASK), -EINVAL);
	/* Nothing was allocated or mapped along the way. */
	CHECK_COUNTS(&e, 1, 0, 0, 0);
	CHECK_UNMAPPED(&e, 0);
	/* The last page below 2^48 is fine. */
	CHECK_EQ_INT(ept_map(&e, GPA_TOP - PG, 0, PG, WB), 0);
	CHECK_MAPS(&e, GPA_TOP - 1, 0xfff, WB, PG);
	pages_free();
}

/*
 * Regression (found by this test, fixed in ept_map): [hpa, hpa + size) must fit in the 52
 * address bits of an EPT entry (EPT_ADDR_MASK). hpa = 2^52 is ORed into the entry as bit 52,
 * which the lookup (and the CPU) ignore, so gpa 0 silently maps host page 0; a range that
 * crosses 2^52 wraps its tail onto host page 0 the same way. Expected -EINVAL.
 */
TEST(hpa_beyond_52_bits_is_einval)
{
	struct ept e;

	REQUIRE(ept_init(&e, alloc_page, true, true) == 0);
	CHECK_EQ_INT(ept_map(&e, 0, 1ULL << 52, PG, WB), -EINVAL);
	CHECK_EQ_INT(ept_map(&e, SZ_2M, (1ULL << 52) - PG, 2 * PG, WB), -EINVAL);
	CHECK_EQ_INT(ept_map(&e, 4 * GIB, ~0ULL << 30, GIB, WB), -EINVAL);
	CHECK_UNMAPPED(&e, 0);
	CHECK_UNMAPPED(&e, SZ_2M + PG);
	CHECK_UNMAPPED(&e, 4 * GIB);
	pages_free();
}

/* Leaves the CPU would call an EPT misconfiguration (SDM 29.3.3.1) are refused up front. */
TEST(misconfigured_flags_are_einval)
{
	struct ept e;

	REQUIRE(ept_init(&e, alloc_page, true, true) == 0);
	CHECK_EQ_INT(ept_map(&e, 0, 0, PG, 0), -EINVAL);
	CHECK_EQ_INT(ept_map(&e, 0, 0, PG, EPT_WRITE | EPT_MEMTYPE(6)), -EINVAL);
	CHECK_EQ_INT(ept_map(&e, 0, 0, PG, EPT_RWX | EPT_MEMTYPE(2)), -EINVAL);
	CHECK_EQ_INT(ept_map(&e, 0, 0, PG, EPT_RWX | EPT_MEMTYPE(7)), -EINVAL);
	CHECK_EQ_INT(ept_map(&e, 0, 0, PG, EPT_RWX | EPT_LEAF_LARGE), -EINVAL);
	CHECK_EQ_INT(ept_map(&e, 0, 0, PG, EPT_READ | EPT_MEMTYPE(0)), 0);
	CHECK_UNMAPPED(&e, PG);
	pages_free();
}

/* ---- running out of table pages ---- */

TEST(init_out_of_memory)
{
	struct ept e;

	alloc_limit = 0;
	CHECK_EQ_INT(ept_init(&e, alloc_page, true, true), -ENOMEM);
	CHECK(e.pml4 == NULL);
	CHECK_EQ_U64(e.table_pages, 0);
	pages_free();
}

/* For every point at which the allocator can run dry while mapping [0, 4 GiB) in 2 MiB leaves
 * (six table pages), the map fails with -ENOMEM, counts exactly the pages it got, and every
 * address it did map translates correctly. With enough pages it succeeds. */
TEST(map_out_of_memory_at_every_page)
{
	static const u64 probes[] = { 0, SZ_2M, GIB - 1, GIB, 2 * GIB + 0x123456, 4 * GIB - 1 };
	long limit;
	u32 i;

	for (limit = 1; limit <= 6; limit++) {
		struct ept e;
		int rc;

		alloc_limit = limit;
		REQUIRE(ept_init(&e, alloc_page, true, false) == 0);
		rc = ept_map(&e, 0, 0, 4 * GIB, WB);
		CHECK_EQ_INT(rc, limit < 6 ? -ENOMEM : 0);
		CHECK_EQ_U64(e.table_pages, limit);
		CHECK_EQ_U64(npages, limit);
		/* Each full PD holds 512 leaves; the map stops at the first PD it could not get. */
		CHECK_EQ_U64(e.leaves_2m, limit > 2 ? 512 * (u64)(limit - 2) : 0);
		for (i = 0; i < ARRAY_SIZE(probes); i++) {
			if (probes[i] < 512 * (u64)MAX(limit - 2, 0) * SZ_2M)
				CHECK_MAPS(&e, probes[i], probes[i], WB, SZ_2M);
			else
				CHECK_UNMAPPED(&e, probes[i]);
		}
		pages_free();
	}

	/* A 4 KiB map needing three more tables, failing at each; the same map then succeeds. */
	for (limit = 1; limit <= 3; limit++) {
		struct ept e;

		alloc_limit = limit;
		REQUIRE(ept_init(&e, alloc_page, true, true) == 0);
		CHECK_EQ_INT(ept_map(&e, 0x5000, 0x5000, PG, WB), -ENOMEM);
		CHECK_EQ_U64(e.table_pages, limit);
		CHECK_EQ_U64(e.leaves_4k, 0);
		CHECK_UNMAPPED(&e, 0x5000);
		alloc_limit = -1;
		CHECK_EQ_INT(ept_map(&e, 0x5000, 0x5000, PG, WB), 0);
		CHECK_COUNTS(&e, 4, 0, 0, 1);
		CHECK_MAPS(&e, 0x5000, 0x5000, WB, PG);
		pages_free();
	}
}

/* ---- the EPT pointer ---- */

/* ept_destroy's callback: the page must be one the allocator handed out, and goes back. */
static u32 destroyed;

static void free_page(void *p)
{
	u32 i;

	for (i = 0; i < npages && pages[i] != p; i++)
		;
	if (!test_check(i < npages, __FILE__, __LINE__, "ept_destroy freed %p, which is no table page", p))
		return;
	pages[i] = pages[--npages];
	free(p);
	destroyed++;
}

TEST(destroy_gives_back_every_table_page)
{
	struct ept e;
	u32 tables;

	REQUIRE(ept_init(&e, alloc_page, true, true) == 0);
	/* Every level: 1 GiB, 2 MiB and 4 KiB leaves, and a second PML4 entry. */
	CHECK_EQ_INT(ept_map(&e, 0, 0, 4 * GIB - 0x5000, WB), 0);
	CHECK_EQ_INT(ept_map(&e, 512 * GIB, 0, 3 * PG, UC), 0);
	tables = e.table_pages;
	CHECK(tables > 4);
	destroyed = 0;
	ept_destroy(&e, free_page);
	CHECK_EQ_U64(destroyed, tables);
	CHECK_EQ_U64(npages, 0);
	CHECK(e.pml4 == NULL && e.table_pages == 0);
	ept_destroy(&e, free_page); /* an empty EPT: nothing to give back */
	CHECK_EQ_U64(destroyed, tables);
	pages_free();
}

TEST(ept_pointer_value)
{
	struct ept e;
	u64 eptp;

	REQUIRE(ept_init(&e, alloc_page, true, true) == 0);
	eptp = ept_pointer(&e);
	/* SDM 25.6.11: bits 2:0 memory type (6 = WB), bits 5:3 walk length - 1 (3). */
	CHECK_EQ_U64(eptp & 0xfff, 0x1e);
	CHECK_EQ_U64(eptp & ~0xfffULL, (u64)(uintptr_t)e.pml4);
	CHECK_EQ_U64(EPTP_MEMTYPE_WB | EPTP_WALK_4, 0x1e);
	REQUIRE(ept_map(&e, 0, 0, GIB, WB) == 0);
	CHECK_EQ_U64(ept_pointer(&e), eptp); /* mapping does not move the PML4 */
	pages_free();
}

/* ---- randomized cross-check against a list of ranges ---- */

struct range {
	u64 gpa, hpa, size, flags;
};

#define MAX_RANGES 400
#define DENSE (16 * GIB) /* most ranges land here, so they share tables */

static struct range model[MAX_RANGES];
static u32 nmodel;
static u64 rng;

static u64 rnd(u64 n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

static const struct range *model_find(u64 gpa)
{
	u32 i;

	for (i = 0; i < nmodel; i++)
		if (gpa >= model[i].gpa && gpa - model[i].gpa < model[i].size)
			return &model[i];
	return NULL;
}

static bool model_overlaps(u64 gpa, u64 size)
{
	u32 i;

	for (i = 0; i < nmodel; i++)
		if (gpa < model[i].gpa + model[i].size && model[i].gpa < gpa + size)
			return true;
	return false;
}

/* The largest leaf the builder may use for the block of r holding gpa (gpa inside r). */
static u64 model_leaf(const struct range *r, u64 gpa, bool allow_2m, bool allow_1g)
{
	static const u64 spans[] = { SZ_1G, SZ_2M };
	u32 i;

	for (i = 0; i < ARRAY_SIZE(spans); i++) {
		u64 s = spans[i], block = ALIGN_DOWN(gpa, s);

		if ((s == SZ_1G ? !allow_1g : !allow_2m))
			continue;
		if (block >= r->gpa && block + s <= r->gpa + r->size && IS_ALIGNED(r->hpa - r->gpa, s))
			return s;
	}
	return PG;
}

static u64 rnd_flags(void)
{
	static const u8 types[] = { 0, 1, 4, 5, 6 };
	static const u64 perms[] = { EPT_READ, EPT_READ | EPT_WRITE, EPT_READ | EPT_EXEC, EPT_RWX };

	return perms[rnd(ARRAY_SIZE(perms))] | EPT_MEMTYPE(types[rnd(ARRAY_SIZE(types))]) |
	       (rnd(4) == 0 ? EPT_IGNORE_PAT : 0);
}

/* A random range of one of several shapes, not yet checked for overlap. */
static struct range rnd_range(bool huge)
{
	struct range r = { .flags = rnd_flags() };
	u64 space = rnd(8) == 0 ? GPA_TOP : DENSE;

	switch (rnd(huge ? 10 : 9)) {
	case 0: case 1: case 2: case 3: /* a few pages anywhere */
		r.size = PG * (1 + rnd(64));
		r.gpa = PG * rnd(space / PG);
		r.hpa = PG * rnd((1ULL << 46) / PG);
		break;
	case 4: case 5: /* 2 MiB multiples, both aligned (2 MiB leaves) or hpa only 4 KiB */
		r.size = SZ_2M * (1 + rnd(4));
		r.gpa = SZ_2M * rnd(space / SZ_2M);
		r.hpa = rnd(2) ? SZ_2M * rnd((1ULL << 46) / SZ_2M) : PG * rnd((1ULL << 46) / PG);
		break;
	case 6: case 7: /* up to 8 MiB, unaligned start, gpa and hpa agreeing modulo 2 MiB */
		r.size = PG * (1 + rnd(2048));
		r.gpa = PG * rnd(space / PG);
		r.hpa = SZ_2M * rnd((1ULL << 46) / SZ_2M) + (r.gpa & (SZ_2M - 1));
		break;
	case 8: /* a 2 MiB-aligned chunk with 4 KiB-aligned tails */
		r.gpa = SZ_2M * rnd(space / SZ_2M) - PG * rnd(512);
		r.size = SZ_2M * rnd(3) + PG * (1 + rnd(1024));
		r.hpa = r.gpa + SZ_2M * rnd(1024);
		break;
	default: /* 1 or 2 GiB, gpa 1 GiB aligned, hpa 1 GiB or only 2 MiB aligned */
		r.size = SZ_1G * (1 + rnd(2));
		r.gpa = SZ_1G * rnd(space / SZ_1G);
		r.hpa = rnd(2) ? SZ_1G * rnd(64) : SZ_2M * rnd((1ULL << 40) / SZ_2M);
		break;
	}
	return r;
}

/* Keys of the tables a leaf at gpa of size span needs, per level (PDPT, PD, PT). */
struct keys {
	u64 *k;
	u32 n, cap;
};

static void keys_add(struct keys *ks, u64 key)
{
	if (ks->n && ks->k[ks->n - 1] == key)
		return;
	if (ks->n == ks->cap) {
		ks->cap = ks->cap ? 2 * ks->cap : 256;
		ks->k = realloc(ks->k, ks->cap * sizeof(*ks->k));
		if (!ks->k)
			abort();
	}
	ks->k[ks->n++] = key;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u32 keys_unique(struct keys *ks)
{
	u32 i, n = 0;

	if (!ks->n)
		return 0;
	qsort(ks->k, ks->n, sizeof(*ks->k), cmp_u64);
	for (i = 0; i < ks->n; i++)
		if (i == 0 || ks->k[i] != ks->k[i - 1])
			n++;
	free(ks->k);
	*ks = (struct keys){ 0 };
	return n;
}

/* What walking the tables finds. */
struct walk {
	u64 leaves[3], bytes, bad;
	u32 tables;
};

static void walk(const u64 *table, int level, u64 base, struct walk *w)
{
	u32 i;

	w->tables++;
	for (i = 0; i < 512; i++) {
		u64 e = table[i], span = 1ULL << (12 + 9 * level), gpa = base + i * span;
		const struct range *r;

		if (!e)
			continue;
		if (level > 0 && !(e & EPT_LEAF_LARGE)) {
			/* A table grants everything; the leaves decide. */
			if ((e & ~EPT_ADDR_MASK) != EPT_RWX)
				w->bad++;
			walk(table_at(e), level - 1, gpa, w);
			continue;
		}
		/* A leaf: lies wholly inside one model range and says what the range says. */
		r = model_find(gpa);
		if (level == 3 || !r || gpa + span - r->gpa > r->size ||
		    (e & EPT_ADDR_MASK) != r->hpa + (gpa - r->gpa) ||
		    (e & ~EPT_ADDR_MASK) != (r->flags | (level ? EPT_LEAF_LARGE : 0))) {
			if (!w->bad)
				printf("    bad leaf at gpa 0x%llx level %d: 0x%llx\n",
				       (unsigned long long)gpa, level, (unsigned long long)e);
			w->bad++;
			continue;
		}
		w->leaves[level]++;
		w->bytes += span;
	}
}

static void random_cross_check(u64 seed, bool allow_2m, bool allow_1g, u32 want_ranges)
{
	struct keys pdpt = { 0 }, pd = { 0 }, pt = { 0 };
	u64 want[3] = { 0 }, bytes = 0, mismatches = 0;
	struct walk w = { 0 };
	struct ept e;
	u32 i, tries = 0, tables;
	bool model_ok = true;

	rng = seed;
	nmodel = 0;
	REQUIRE(ept_init(&e, alloc_page, allow_2m, allow_1g) == 0);
	while (nmodel < want_ranges && tries++ < 100 * want_ranges) {
		struct range r = rnd_range(allow_2m || allow_1g);

		if (r.gpa + r.size > GPA_TOP || r.gpa + r.size < r.gpa || model_overlaps(r.gpa, r.size))
			continue;
		if (!CHECK_EQ_INT(ept_map(&e, r.gpa, r.hpa, r.size, r.flags), 0))
			break;
		model[nmodel++] = r;
	}
	CHECK_EQ_U64(nmodel, want_ranges);

	/* The leaves the greedy largest-aligned-page rule gives, and the tables they need. */
	for (i = 0; i < nmodel; i++) {
		const struct range *r = &model[i];
		u64 at = r->gpa;

		while (at < r->gpa + r->size) {
			u64 s = model_leaf(r, at, allow_2m, allow_1g);

			model_ok &= IS_ALIGNED(at, s); /* the rule is only asked at block starts */
			want[s == SZ_1G ? 2 : s == SZ_2M ? 1 : 0]++;
			keys_add(&pdpt, at >> 39);
			if (s <= SZ_2M)
				keys_add(&pd, at >> 30);
			if (s == PG)
				keys_add(&pt, at >> 21);
			at += s;
		}
		bytes += r->size;
	}
	CHECK(model_ok);
	tables = 1 + keys_unique(&pdpt) + keys_unique(&pd) + keys_unique(&pt);
	CHECK_COUNTS(&e, tables, want[2], want[1], want[0]);

	/* Every leaf in the tables agrees with the model, and together they cover all of it. */
	walk(e.pml4, 3, 0, &w);
	CHECK_EQ_U64(w.bad, 0);
	CHECK_EQ_U64(w.tables, tables);
	CHECK_EQ_U64(w.bytes, bytes);
	CHECK_EQ_U64(w.leaves[0], e.leaves_4k);
	CHECK_EQ_U64(w.leaves[1], e.leaves_2m);
	CHECK_EQ_U64(w.leaves[2], e.leaves_1g);

	/* Lookups inside ranges, at and just past their edges, and anywhere at all. */
	for (i = 0; i < 20000; i++) {
		const struct range *r = &model[rnd(nmodel)];
		u64 gpa, hpa = 0, flags = 0, size = 0;
		int rc;

		switch (rnd(6)) {
		case 0: gpa = r->gpa; break;
		case 1: gpa = r->gpa + r->size - 1; break;
		case 2: gpa = r->gpa - 1; break;
		case 3: gpa = r->gpa + r->size; break;
		case 4: gpa = rnd(rnd(4) ? DENSE : GPA_TOP + GIB); break;
		default: gpa = r->gpa + rnd(r->size); break;
		}
		rc = ept_lookup(&e, gpa, &hpa, &flags, &size);
		r = model_find(gpa);
		if (r) {
			u64 s = model_leaf(r, gpa, allow_2m, allow_1g);

			if (!check_maps(&e, gpa, r->hpa + (gpa - r->gpa), r->flags, s, __LINE__))
				mismatches++;
		} else if (!CHECK_EQ_INT(rc, -ENOENT)) {
			mismatches++;
		}
		if (mismatches > 5)
			break;
	}
	pages_free();
}

TEST(random_cross_check_all_page_sizes)
{
	random_cross_check(0x2545f4914f6cdd1dULL, true, true, 300);
}

TEST(random_cross_check_2m_only)
{
	random_cross_check(0x9e3779b97f4a7c15ULL, true, false, 300);
}

TEST(random_cross_check_4k_only)
{
	random_cross_check(0xd1b54a32d192ed03ULL, false, false, 200);
}
