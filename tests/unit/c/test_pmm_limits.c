// sources: hypervisor/core/pmm.c
/* The page range allocator at its limits: a full range table, the top of the address space,
 * and degenerate arguments. A failed call must leave the free set as it was. */
#include <plinth/errno.h>

#include "pmm_check.h"
#include "test.h"

static struct pmm pmm, before;

/* PMM_MAX_RANGES ranges of 3 pages, each followed by a 1-page gap. */
#define RSTART(i) (0x1000 + (u64)(i) * 0x4000)

static bool fill_table(void)
{
	u32 i;

	pmm_init(&pmm);
	for (i = 0; i < PMM_MAX_RANGES; i++)
		if (pmm_add(&pmm, RSTART(i), RSTART(i) + 3 * PG))
			return false;
	before = pmm;
	return pmm.count == PMM_MAX_RANGES &&
	       pmm_free_bytes(&pmm) == PMM_MAX_RANGES * 3 * PG;
}

#define CHECK_UNCHANGED() CHECK(memcmp(&pmm, &before, sizeof(pmm)) == 0)

TEST(table_full_add)
{
	REQUIRE(fill_table());
	/* A range that needs a new slot. */
	CHECK_EQ_INT(pmm_add(&pmm, 0x10000000, 0x10001000), -ENOSPC);
	CHECK_EQ_INT(pmm_add(&pmm, RSTART(3) + 4 * PG, RSTART(3) + 4 * PG), 0); /* empty */
	CHECK_UNCHANGED();
	/* Ranges that merge need no slot. */
	CHECK_EQ_INT(pmm_add(&pmm, RSTART(0), RSTART(0) + 2 * PG), 0);
	CHECK_UNCHANGED();
	CHECK_EQ_INT(pmm_add(&pmm, RSTART(0) + 3 * PG, RSTART(1)), 0);
	CHECK_EQ_U64(pmm.count, PMM_MAX_RANGES - 1);
	CHECK_EQ_U64(pmm.free[0].end, RSTART(1) + 3 * PG);
	CHECK_EQ_U64(pmm_free_bytes(&pmm), (PMM_MAX_RANGES * 3 + 1) * PG);
	/* Now there is a slot again. */
	CHECK_EQ_INT(pmm_add(&pmm, 0x10000000, 0x10001000), 0);
	CHECK_EQ_U64(pmm.count, PMM_MAX_RANGES);
}

TEST(table_full_remove)
{
	REQUIRE(fill_table());
	/* A hole inside a range needs a split, and so a slot. */
	CHECK_EQ_INT(pmm_remove(&pmm, RSTART(5) + PG, RSTART(5) + 2 * PG), -ENOSPC);
	CHECK_UNCHANGED();
	/* Trimming an end or deleting a range needs none. */
	CHECK_EQ_INT(pmm_remove(&pmm, RSTART(5), RSTART(5) + PG), 0);
	CHECK_EQ_INT(pmm_remove(&pmm, RSTART(6), RSTART(7)), 0);
	CHECK_EQ_U64(pmm.count, PMM_MAX_RANGES - 1);
	CHECK_EQ_U64(pmm_free_bytes(&pmm), (PMM_MAX_RANGES * 3 - 4) * PG);
	CHECK(!pmm_is_free(&pmm, RSTART(5)));
	CHECK(pmm_is_free(&pmm, RSTART(5) + PG));
	CHECK(!pmm_is_free(&pmm, RSTART(6) + 2 * PG));
}

TEST(table_full_alloc)
{
	u64 a = 0x77;

	REQUIRE(fill_table());
	/* 8 KiB aligned means the second page of a range: a split, so out of memory. */
	CHECK_EQ_INT(pmm_alloc(&pmm, PG, 2 * PG, &a), -ENOMEM);
	CHECK_EQ_U64(a, 0x77);
	CHECK_UNCHANGED();
	/* From a range's start, no split is needed. */
	CHECK_EQ_INT(pmm_alloc(&pmm, PG, PG, &a), 0);
	CHECK_EQ_U64(a, RSTART(0));
	CHECK_EQ_INT(pmm_alloc(&pmm, 3 * PG, PG, &a), 0);
	CHECK_EQ_U64(a, RSTART(1));
	CHECK_EQ_U64(pmm.count, PMM_MAX_RANGES - 1);
	CHECK_EQ_U64(pmm_free_bytes(&pmm), (PMM_MAX_RANGES * 3 - 4) * PG);
}

TEST(table_full_free)
{
	REQUIRE(fill_table());
	CHECK_EQ_INT(pmm_free(&pmm, 0x10000000, PG), -ENOSPC);
	CHECK_UNCHANGED();
	/* A gap page joins its two neighbours. */
	CHECK_EQ_INT(pmm_free(&pmm, RSTART(9) + 3 * PG, PG), 0);
	CHECK_EQ_U64(pmm.count, PMM_MAX_RANGES - 1);
	CHECK_EQ_U64(pmm.free[9].end, RSTART(10) + 3 * PG);
}

TEST(top_of_address_space)
{
	u64 a = 0x77;

	pmm_init(&pmm);
	pmm_add(&pmm, 0x1000, 0x10000);
	pmm_add(&pmm, 0x100000000, 0x200000000);
	CHECK_EQ_INT(pmm_remove(&pmm, 0x5000, UINT64_MAX), 0);
	CHECK_RANGES(&pmm, 0x1000, 0x5000);
	/* The last whole page that an exclusive u64 end can describe ends at 2^64 - 4096. */
	CHECK_EQ_INT(pmm_add(&pmm, 0xfffffffffff00000, UINT64_MAX), 0);
	CHECK_RANGES(&pmm, 0x1000, 0x5000, 0xfffffffffff00000, 0xfffffffffffff000);
	CHECK_EQ_INT(pmm_remove(&pmm, 0xfffffffffff80000, UINT64_MAX), 0);
	CHECK_RANGES(&pmm, 0x1000, 0x5000, 0xfffffffffff00000, 0xfffffffffff80000);
	/* An alignment whose round-up wraps past 2^64 finds nothing rather than address 0. */
	pmm_remove(&pmm, 0, 0x10000);
	CHECK_EQ_INT(pmm_alloc(&pmm, PG, 1ULL << 63, &a), -ENOMEM);
	CHECK_EQ_U64(a, 0x77);
	CHECK_EQ_INT(pmm_alloc(&pmm, 0x80000, PG, &a), 0);
	CHECK_EQ_U64(a, 0xfffffffffff00000);
	CHECK_EMPTY(&pmm);
	CHECK_EQ_INT(pmm_free(&pmm, 0xffffffffffffe000, PG), 0);
	CHECK_RANGES(&pmm, 0xffffffffffffe000, 0xfffffffffffff000);
}

/*
 * Regression (found by these tests, fixed in hypervisor/core/pmm.c pmm_add): ALIGN_UP(start) wraps to 0
 * when start lies inside the last page, so a range holding no whole page adds almost the whole
 * address space: pmm_add(0xfffffffffffff001, UINT64_MAX) makes [0, 0xfffffffffffff000) free.
 * A memory map entry in the last page (a corrupt or odd firmware map) would make all memory,
 * Plinth's included, allocatable.
 */
TEST(add_in_last_page_adds_nothing)
{
	pmm_init(&pmm);
	CHECK_EQ_INT(pmm_add(&pmm, 0xfffffffffffff001, UINT64_MAX), 0);
	CHECK_EMPTY(&pmm);
	CHECK(!pmm_is_free(&pmm, 0));
}

/*
 * Regression (found by these tests, fixed in hypervisor/core/pmm.c pmm_remove): an empty range
 * (start == end, page aligned) takes the "hole inside a range" branch and splits the range into
 * two adjacent ones, breaking the "non-adjacent" invariant: a contiguous allocation across the
 * cut then fails with -ENOMEM although the memory is free. memory_init reaches this with an
 * empty module (mod_start == mod_end on a page boundary, which mb2_parse accepts).
 */
TEST(remove_empty_range_is_noop)
{
	u64 a = 0;

	pmm_init(&pmm);
	pmm_add(&pmm, 0, 0x10000);
	CHECK_EQ_INT(pmm_remove(&pmm, 0x5000, 0x5000), 0);
	CHECK_RANGES(&pmm, 0, 0x10000);
	CHECK_EQ_INT(pmm_alloc(&pmm, 0x10000, PG, &a), 0);
}

/*
 * Regression (found by these tests, fixed in hypervisor/core/pmm.c pmm_remove): a reversed range
 * (end < start) also takes the split branch and leaves overlapping ranges:
 * [0, 0x10000) minus (0x8000, 0x4000) gives [0, 0x8000) and [0x4000, 0x10000), and
 * pmm_free_bytes says 0x14000 of 0x10000 bytes are free, so pages can be handed out twice.
 */
TEST(remove_reversed_range_is_noop)
{
	pmm_init(&pmm);
	pmm_add(&pmm, 0, 0x10000);
	CHECK_EQ_INT(pmm_remove(&pmm, 0x8000, 0x4000), 0);
	CHECK_RANGES(&pmm, 0, 0x10000);
}

/*
 * Regression (found by these tests, fixed in hypervisor/core/pmm.c pmm_alloc): a size within a page of
 * 2^64 rounds up to 0, which "fits" anywhere: pmm_alloc(UINT64_MAX, 4096) returns 0 with *out
 * set to the lowest free page and removes nothing.
 */
TEST(alloc_size_near_2_64_fails)
{
	u64 a = 0x77;

	pmm_init(&pmm);
	pmm_add(&pmm, 0x1000, 0x100000);
	CHECK(pmm_alloc(&pmm, UINT64_MAX, PG, &a) < 0);
	CHECK(pmm_alloc(&pmm, UINT64_MAX - PG + 2, PG, &a) < 0);
	CHECK_EQ_U64(a, 0x77);
	CHECK_RANGES(&pmm, 0x1000, 0x100000);
}

/*
 * Regression (found by these tests, fixed in hypervisor/core/pmm.c pmm_free): plinth/pmm.h says pmm_free
 * returns -EINVAL when "the range is not page aligned", but only start is checked. An
 * unaligned size returns 0 and frees only the whole pages inside it (pmm_add shrinks inward):
 * pmm_alloc(0x800) takes a page, pmm_free(addr, 0x800) returns 0 and the page is lost.
 */
TEST(free_unaligned_size_is_rejected)
{
	pmm_init(&pmm);
	pmm_add(&pmm, 0x10000, 0x20000);
	pmm_remove(&pmm, 0x14000, 0x18000);
	CHECK_EQ_INT(pmm_free(&pmm, 0x14000, 0x800), -EINVAL);
	CHECK_EQ_INT(pmm_free(&pmm, 0x15000, PG + 1), -EINVAL);
	CHECK_RANGES(&pmm, 0x10000, 0x14000, 0x18000, 0x20000);
}
