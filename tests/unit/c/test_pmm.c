// sources: hypervisor/core/pmm.c
/* The page range allocator, step by step: adding, removing, allocating and freeing, with the
 * exact free ranges and pmm_free_bytes checked after each step. A full range table, the top of
 * the address space and known bugs are in test_pmm_limits.c; a randomized cross-check against
 * a page bitmap is in test_pmm_model.c. */
#include <plinth/errno.h>

#include "pmm_check.h"
#include "test.h"

static struct pmm pmm;

TEST(init_is_empty)
{
	u64 out = 0x1234;

	memset(&pmm, 0xff, sizeof(pmm));
	pmm_init(&pmm);
	CHECK_EMPTY(&pmm);
	CHECK(!pmm_is_free(&pmm, 0));
	CHECK_EQ_INT(pmm_alloc(&pmm, PG, PG, &out), -ENOMEM);
	CHECK_EQ_U64(out, 0x1234);
}

TEST(add_merges_adjacent_and_overlapping)
{
	pmm_init(&pmm);
	CHECK_EQ_INT(pmm_add(&pmm, 0x10000, 0x14000), 0);
	CHECK_RANGES(&pmm, 0x10000, 0x14000);
	CHECK_EQ_INT(pmm_add(&pmm, 0x14000, 0x18000), 0); /* touches the end */
	CHECK_RANGES(&pmm, 0x10000, 0x18000);
	CHECK_EQ_INT(pmm_add(&pmm, 0xc000, 0x10000), 0); /* touches the start */
	CHECK_RANGES(&pmm, 0xc000, 0x18000);
	CHECK_EQ_INT(pmm_add(&pmm, 0x16000, 0x1a000), 0); /* overlaps the end */
	CHECK_RANGES(&pmm, 0xc000, 0x1a000);
	CHECK_EQ_INT(pmm_add(&pmm, 0xd000, 0xe000), 0); /* already inside */
	CHECK_RANGES(&pmm, 0xc000, 0x1a000);
	CHECK_EQ_INT(pmm_add(&pmm, 0x40000, 0x50000), 0); /* after, separate */
	CHECK_EQ_INT(pmm_add(&pmm, 0x1000, 0x2000), 0);   /* before, separate */
	CHECK_EQ_INT(pmm_add(&pmm, 0x30000, 0x31000), 0); /* between, separate */
	CHECK_RANGES(&pmm, 0x1000, 0x2000, 0xc000, 0x1a000, 0x30000, 0x31000, 0x40000, 0x50000);
	/* One range touching one and overlapping two more swallows all three. */
	CHECK_EQ_INT(pmm_add(&pmm, 0x1a000, 0x48000), 0);
	CHECK_RANGES(&pmm, 0x1000, 0x2000, 0xc000, 0x50000);
	/* Bridging the last gap exactly. */
	CHECK_EQ_INT(pmm_add(&pmm, 0x2000, 0xc000), 0);
	CHECK_RANGES(&pmm, 0x1000, 0x50000);
	/* Covering everything and more on both sides. */
	CHECK_EQ_INT(pmm_add(&pmm, 0, 0x100000), 0);
	CHECK_RANGES(&pmm, 0, 0x100000);
}

TEST(add_unaligned_shrinks_inward)
{
	pmm_init(&pmm);
	CHECK_EQ_INT(pmm_add(&pmm, 0x1001, 0x3fff), 0);
	CHECK_RANGES(&pmm, 0x2000, 0x3000);
	/* Less than a whole page: nothing to add. */
	CHECK_EQ_INT(pmm_add(&pmm, 0x10001, 0x10fff), 0);
	CHECK_EQ_INT(pmm_add(&pmm, 0x20800, 0x21400), 0);
	CHECK_RANGES(&pmm, 0x2000, 0x3000);
	/* The partial page next to a free one does not become free. */
	CHECK_EQ_INT(pmm_add(&pmm, 0x3000, 0x3800), 0);
	CHECK_RANGES(&pmm, 0x2000, 0x3000);
	CHECK(!pmm_is_free(&pmm, 0x3000));
}

TEST(add_empty_or_reversed_is_noop)
{
	pmm_init(&pmm);
	CHECK_EQ_INT(pmm_add(&pmm, 0x5000, 0x5000), 0);
	CHECK_EQ_INT(pmm_add(&pmm, 0x8000, 0x4000), 0);
	CHECK_EMPTY(&pmm);
	CHECK_EQ_INT(pmm_add(&pmm, 0x1000, 0x2000), 0);
	CHECK_EQ_INT(pmm_add(&pmm, 0x9000, 0x1000), 0);
	CHECK_RANGES(&pmm, 0x1000, 0x2000);
}

TEST(remove_splits_range)
{
	pmm_init(&pmm);
	pmm_add(&pmm, 0, 0x10000);
	CHECK_EQ_INT(pmm_remove(&pmm, 0x4000, 0x6000), 0);
	CHECK_RANGES(&pmm, 0, 0x4000, 0x6000, 0x10000);
	/* Trimming either end of a range needs no split. */
	CHECK_EQ_INT(pmm_remove(&pmm, 0, 0x1000), 0);
	CHECK_EQ_INT(pmm_remove(&pmm, 0xf000, 0x10000), 0);
	CHECK_RANGES(&pmm, 0x1000, 0x4000, 0x6000, 0xf000);
	/* Removing a whole range deletes it. */
	CHECK_EQ_INT(pmm_remove(&pmm, 0x1000, 0x4000), 0);
	CHECK_RANGES(&pmm, 0x6000, 0xf000);
}

TEST(remove_unaligned_grows_outward)
{
	pmm_init(&pmm);
	pmm_add(&pmm, 0, 0x10000);
	/* One byte inside a page takes the whole page. */
	CHECK_EQ_INT(pmm_remove(&pmm, 0x8001, 0x8002), 0);
	CHECK_RANGES(&pmm, 0, 0x8000, 0x9000, 0x10000);
	CHECK_EQ_INT(pmm_remove(&pmm, 0x2fff, 0x4001), 0);
	CHECK_RANGES(&pmm, 0, 0x2000, 0x5000, 0x8000, 0x9000, 0x10000);
}

TEST(remove_across_several_ranges)
{
	pmm_init(&pmm);
	pmm_add(&pmm, 0x1000, 0x5000);
	pmm_add(&pmm, 0x8000, 0xa000);
	pmm_add(&pmm, 0xc000, 0xd000);
	pmm_add(&pmm, 0x10000, 0x20000);
	CHECK_RANGES(&pmm, 0x1000, 0x5000, 0x8000, 0xa000, 0xc000, 0xd000, 0x10000, 0x20000);
	/* Tail of the first, all of the two middle ones, head of the last. */
	CHECK_EQ_INT(pmm_remove(&pmm, 0x3000, 0x12000), 0);
	CHECK_RANGES(&pmm, 0x1000, 0x3000, 0x12000, 0x20000);
	/* Everything, from below the first to above the last. */
	CHECK_EQ_INT(pmm_remove(&pmm, 0, 0x100000), 0);
	CHECK_EMPTY(&pmm);
}

TEST(remove_non_free_is_noop)
{
	pmm_init(&pmm);
	CHECK_EQ_INT(pmm_remove(&pmm, 0, 0x10000), 0); /* nothing free at all */
	CHECK_EMPTY(&pmm);
	pmm_add(&pmm, 0x4000, 0x8000);
	pmm_add(&pmm, 0x10000, 0x14000);
	CHECK_EQ_INT(pmm_remove(&pmm, 0x9000, 0xf000), 0);   /* in the gap */
	CHECK_EQ_INT(pmm_remove(&pmm, 0x8000, 0x10000), 0);  /* the gap exactly */
	CHECK_EQ_INT(pmm_remove(&pmm, 0, 0x4000), 0);        /* below everything */
	CHECK_EQ_INT(pmm_remove(&pmm, 0x14000, 0x90000), 0); /* above everything */
	CHECK_RANGES(&pmm, 0x4000, 0x8000, 0x10000, 0x14000);
	/* Removing twice is the same as once. */
	CHECK_EQ_INT(pmm_remove(&pmm, 0x5000, 0x6000), 0);
	CHECK_EQ_INT(pmm_remove(&pmm, 0x5000, 0x6000), 0);
	CHECK_RANGES(&pmm, 0x4000, 0x5000, 0x6000, 0x8000, 0x10000, 0x14000);
}

TEST(alloc_aligned_2mib)
{
	u64 a = 0, c = 0;

	pmm_init(&pmm);
	pmm_add(&pmm, 0x1000, 0x800000);
	CHECK_EQ_INT(pmm_alloc(&pmm, 2 * MIB, 2 * MIB, &a), 0);
	CHECK_EQ_U64(a, 0x200000);
	CHECK_RANGES(&pmm, 0x1000, 0x200000, 0x400000, 0x800000);
	CHECK_EQ_INT(pmm_alloc(&pmm, PG, 2 * MIB, &a), 0);
	CHECK_EQ_U64(a, 0x400000);
	CHECK_RANGES(&pmm, 0x1000, 0x200000, 0x401000, 0x800000);
	/* The first 2 MiB boundary with room is past a range too small after aligning. */
	CHECK_EQ_INT(pmm_alloc(&pmm, 2 * MIB, 2 * MIB, &c), 0);
	CHECK_EQ_U64(c, 0x600000);
	CHECK_RANGES(&pmm, 0x1000, 0x200000, 0x401000, 0x600000);
	CHECK_EQ_INT(pmm_alloc(&pmm, PG, 2 * MIB, &c), -ENOMEM);
	CHECK_EQ_U64(c, 0x600000); /* untouched on failure */
	/* A 1 GiB alignment above the lowest range. */
	pmm_add(&pmm, 0x3ff00000, 0x40200000);
	CHECK_EQ_INT(pmm_alloc(&pmm, 4 * PG, GIB, &a), 0);
	CHECK_EQ_U64(a, 0x40000000);
}

TEST(alloc_lowest_first_and_rounds_up)
{
	u64 a = 0;

	pmm_init(&pmm);
	pmm_add(&pmm, 0x20000, 0x30000);
	pmm_add(&pmm, 0x8000, 0xa000);
	CHECK_EQ_INT(pmm_alloc(&pmm, 1, PG, &a), 0); /* one byte is one page */
	CHECK_EQ_U64(a, 0x8000);
	CHECK_RANGES(&pmm, 0x9000, 0xa000, 0x20000, 0x30000);
	CHECK_EQ_INT(pmm_alloc(&pmm, PG + 1, PG, &a), 0); /* too big for the first range */
	CHECK_EQ_U64(a, 0x20000);
	CHECK_RANGES(&pmm, 0x9000, 0xa000, 0x22000, 0x30000);
	CHECK_EQ_INT(pmm_alloc(&pmm, PG, PG, &a), 0); /* the hole left below comes first */
	CHECK_EQ_U64(a, 0x9000);
	CHECK_RANGES(&pmm, 0x22000, 0x30000);
}

TEST(alloc_exhaustion)
{
	u64 a = 0, out = 0x77;
	int i;

	pmm_init(&pmm);
	pmm_add(&pmm, 0x10000, 0x14000);
	pmm_add(&pmm, 0x20000, 0x22000);
	/* 6 pages free in all, but no 3 in a row after the first range is split. */
	CHECK_EQ_INT(pmm_alloc(&pmm, 7 * PG, PG, &out), -ENOMEM);
	CHECK_EQ_INT(pmm_alloc(&pmm, 5 * PG, PG, &out), -ENOMEM);
	CHECK_EQ_U64(out, 0x77);
	CHECK_EQ_INT(pmm_remove(&pmm, 0x12000, 0x13000), 0);
	CHECK_EQ_INT(pmm_alloc(&pmm, 3 * PG, PG, &out), -ENOMEM);
	CHECK_RANGES(&pmm, 0x10000, 0x12000, 0x13000, 0x14000, 0x20000, 0x22000);
	for (i = 0; i < 5; i++)
		CHECK_EQ_INT(pmm_alloc(&pmm, PG, PG, &a), 0);
	CHECK_EMPTY(&pmm);
	CHECK_EQ_INT(pmm_alloc(&pmm, PG, PG, &out), -ENOMEM);
	CHECK_EQ_U64(out, 0x77);
}

TEST(alloc_bad_arguments)
{
	static const u64 bad_align[] = { 0, 1, 0x800, PG - 1, 3 * PG, PG + 1, UINT64_MAX };
	u64 out = 0x77;
	size_t i;

	pmm_init(&pmm);
	pmm_add(&pmm, 0, 0x100000);
	for (i = 0; i < ARRAY_SIZE(bad_align); i++) {
		test_eq_int(pmm_alloc(&pmm, PG, bad_align[i], &out), -EINVAL, "pmm_alloc(bad align)",
			    "-EINVAL", __FILE__, __LINE__);
	}
	CHECK_EQ_INT(pmm_alloc(&pmm, 0, PG, &out), -EINVAL);
	CHECK_EQ_U64(out, 0x77);
	CHECK_RANGES(&pmm, 0, 0x100000);
}

TEST(free_then_alloc_again)
{
	u64 a = 0, b = 0, c = 0;

	pmm_init(&pmm);
	pmm_add(&pmm, 0x100000, 0x110000);
	CHECK_EQ_INT(pmm_alloc(&pmm, 2 * PG, PG, &a), 0);
	CHECK_EQ_INT(pmm_alloc(&pmm, PG, PG, &b), 0);
	CHECK_EQ_U64(b, 0x102000);
	CHECK_RANGES(&pmm, 0x103000, 0x110000);
	CHECK_EQ_INT(pmm_free(&pmm, a, 2 * PG), 0);
	CHECK_RANGES(&pmm, 0x100000, 0x102000, 0x103000, 0x110000);
	CHECK_EQ_INT(pmm_alloc(&pmm, 2 * PG, PG, &c), 0);
	CHECK_EQ_U64(c, a);
	/* Freeing the page between two free ranges merges them into one. */
	CHECK_EQ_INT(pmm_free(&pmm, a, 2 * PG), 0);
	CHECK_EQ_INT(pmm_free(&pmm, b, PG), 0);
	CHECK_RANGES(&pmm, 0x100000, 0x110000);
	/* Memory the allocator never had can be given to it with pmm_free. */
	CHECK_EQ_INT(pmm_free(&pmm, 0x200000, PG), 0);
	CHECK_RANGES(&pmm, 0x100000, 0x110000, 0x200000, 0x201000);
}

TEST(double_free)
{
	u64 a = 0;

	pmm_init(&pmm);
	pmm_add(&pmm, 0x10000, 0x20000);
	CHECK_EQ_INT(pmm_alloc(&pmm, 4 * PG, PG, &a), 0);
	CHECK_EQ_INT(pmm_free(&pmm, a, 4 * PG), 0);
	CHECK_EQ_INT(pmm_free(&pmm, a, 4 * PG), -EINVAL);
	CHECK_RANGES(&pmm, 0x10000, 0x20000);
	/* Partly free: the first page, the last page, or free pages inside. */
	CHECK_EQ_INT(pmm_remove(&pmm, 0x14000, 0x18000), 0);
	CHECK_EQ_INT(pmm_free(&pmm, 0x13000, 2 * PG), -EINVAL);
	CHECK_EQ_INT(pmm_free(&pmm, 0x17000, 2 * PG), -EINVAL);
	CHECK_EQ_INT(pmm_free(&pmm, 0x0, 0x100000), -EINVAL);
	CHECK_RANGES(&pmm, 0x10000, 0x14000, 0x18000, 0x20000);
	CHECK_EQ_INT(pmm_free(&pmm, 0x14000, 4 * PG), 0);
	CHECK_RANGES(&pmm, 0x10000, 0x20000);
}

TEST(free_bad_arguments)
{
	pmm_init(&pmm);
	pmm_add(&pmm, 0x10000, 0x20000);
	pmm_remove(&pmm, 0x14000, 0x18000);
	CHECK_EQ_INT(pmm_free(&pmm, 0x14001, PG), -EINVAL); /* unaligned start */
	CHECK_EQ_INT(pmm_free(&pmm, 0x14800, PG), -EINVAL);
	CHECK_EQ_INT(pmm_free(&pmm, 0x14000, 0), -EINVAL); /* empty */
	CHECK_EQ_INT(pmm_free(&pmm, 0xfffffffffffff000, 2 * PG), -EINVAL); /* wraps */
	CHECK_EQ_INT(pmm_free(&pmm, 0x1000, UINT64_MAX - 0xfff), -EINVAL);  /* ends at 2^64 */
	CHECK_RANGES(&pmm, 0x10000, 0x14000, 0x18000, 0x20000);
}

TEST(alloc_top_takes_the_highest_aligned_fit)
{
	u64 out = 0;

	pmm_init(&pmm);
	CHECK_EQ_INT(pmm_add(&pmm, 0x100000, 0x1fff0000), 0);
	CHECK_EQ_INT(pmm_add(&pmm, 0x100000000ULL, 0x100100000ULL), 0); /* 1 MiB above 4 GiB: too small */
	CHECK_EQ_INT(pmm_alloc_top(&pmm, 0x600000, 0x200000, &out), 0);
	CHECK_EQ_U64(out, 0x1f800000);
	CHECK_RANGES(&pmm, 0x100000, 0x1f800000, 0x1fe00000, 0x1fff0000, 0x100000000ULL, 0x100100000ULL);
	CHECK_EQ_INT(pmm_alloc_top(&pmm, 0x1000, 0x1000, &out), 0);
	CHECK_EQ_U64(out, 0x1000ff000ULL);
	CHECK_EQ_INT(pmm_alloc_top(&pmm, 0x40000000, 0x200000, &out), -ENOMEM);
	CHECK_EQ_INT(pmm_alloc_top(&pmm, 0x1000, 0x1001, &out), -EINVAL);
	CHECK_EQ_INT(pmm_alloc_top(&pmm, 0, 0x1000, &out), -EINVAL);
}
