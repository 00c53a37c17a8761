// sources: hypervisor/core/ram_place.c hypervisor/core/pmm.c
/* Placing a partition VM's RAM: fewest 2 MiB-aligned chunks from fragmented free sets, the
 * free set exactly as before when the RAM does not fit, and sizes that are no multiple. */
#include <plinth/errno.h>
#include <plinth/ram_place.h>

#include "pmm_check.h"
#include "test.h"

#define M (1ULL << 20)

static struct pmm free_set;
static struct ram_place p;

static void fill(const u64 *r, size_t n)
{
	pmm_init(&free_set);
	for (size_t i = 0; i < n; i++)
		pmm_add(&free_set, r[2 * i], r[2 * i + 1]);
}

static u64 placed(void)
{
	u64 sum = 0;

	for (u32 i = 0; i < p.count; i++) {
		CHECK(p.chunk[i].start % (2 * M) == 0 && p.chunk[i].end % (2 * M) == 0);
		sum += p.chunk[i].end - p.chunk[i].start;
	}
	return sum;
}

TEST(one_chunk_from_the_smallest_piece_that_holds_it)
{
	/* 1 MiB-16 MiB (aligned part 2-16), 64-72 MiB, 128-256 MiB. */
	static const u64 r[] = { 1 * M, 16 * M, 64 * M, 72 * M, 128 * M, 256 * M };

	fill(r, 3);
	CHECK_EQ_U64(ram_place_capacity(&free_set), 14 * M + 8 * M + 128 * M);
	REQUIRE(ram_place(&free_set, 8 * M, &p) == 0);
	CHECK_EQ_U64(p.count, 1);
	CHECK_EQ_U64(p.chunk[0].start, 64 * M); /* 8 MiB exactly: the best fit */
	CHECK_EQ_U64(placed(), 8 * M);
	CHECK_RANGES(&free_set, 1 * M, 16 * M, 128 * M, 256 * M);
}

TEST(fragmented_map_takes_the_largest_pieces_first)
{
	/* Odd edges: 3 MiB + 4 KiB .. 11 MiB - 4 KiB holds 4-10 (6 MiB); 20-24; 30-32. */
	static const u64 r[] = { 3 * M + 4096, 11 * M - 4096, 20 * M, 24 * M, 30 * M, 32 * M };

	fill(r, 3);
	CHECK_EQ_U64(ram_place_capacity(&free_set), 12 * M);
	REQUIRE(ram_place(&free_set, 10 * M, &p) == 0);
	CHECK_EQ_U64(p.count, 2);
	CHECK_EQ_U64(p.chunk[0].start, 4 * M);
	CHECK_EQ_U64(p.chunk[0].end, 10 * M);
	CHECK_EQ_U64(p.chunk[1].start, 20 * M);
	CHECK_EQ_U64(p.chunk[1].end, 24 * M);
	CHECK_EQ_U64(placed(), 10 * M);
	/* The unaligned edges stay free. */
	CHECK_RANGES(&free_set, 3 * M + 4096, 4 * M, 10 * M, 11 * M - 4096, 30 * M, 32 * M);
}

TEST(too_little_aligned_ram_leaves_the_free_set_as_it_was)
{
	/* 7 MiB and a page free in all, but only 4 MiB of it in whole aligned chunks. */
	static const u64 r[] = { 1 * M, 4 * M + 4096, 9 * M, 13 * M };

	fill(r, 2);
	CHECK_EQ_U64(ram_place_capacity(&free_set), 2 * M + 2 * M);
	CHECK_EQ_INT(ram_place(&free_set, 6 * M, &p), -ENOMEM);
	CHECK_EQ_U64(p.count, 0);
	CHECK_RANGES(&free_set, 1 * M, 4 * M + 4096, 9 * M, 13 * M);
}

TEST(chunk_limit_refuses_a_map_of_tiny_pieces)
{
	/* RAM_PLACE_MAX + 1 separate 2 MiB pieces: the VM would need one chunk too many. */
	pmm_init(&free_set);
	for (u64 i = 0; i <= RAM_PLACE_MAX; i++)
		pmm_add(&free_set, (4 * i + 2) * M, (4 * i + 4) * M);
	CHECK_EQ_INT(ram_place(&free_set, 2 * M * (RAM_PLACE_MAX + 1), &p), -ENOMEM);
	CHECK_EQ_U64(pmm_free_bytes(&free_set), 2 * M * (RAM_PLACE_MAX + 1));
	REQUIRE(ram_place(&free_set, 2 * M * RAM_PLACE_MAX, &p) == 0);
	CHECK_EQ_U64(p.count, RAM_PLACE_MAX);
	CHECK_EQ_U64(pmm_free_bytes(&free_set), 2 * M);
	ram_place_release(&free_set, &p);
	CHECK_EQ_U64(pmm_free_bytes(&free_set), 2 * M * (RAM_PLACE_MAX + 1));
}

TEST(bad_sizes_and_the_top_of_the_address_space)
{
	static const u64 r[] = { 0xfffffffffff00000ULL, 0xfffffffffffff000ULL, 2 * M, 8 * M };

	fill(r, 2);
	CHECK_EQ_U64(ram_place_capacity(&free_set), 6 * M);
	CHECK_EQ_INT(ram_place(&free_set, 0, &p), -EINVAL);
	CHECK_EQ_INT(ram_place(&free_set, 3 * M, &p), -EINVAL);
	CHECK_EQ_INT(ram_place(&free_set, 8 * M, &p), -ENOMEM);
	REQUIRE(ram_place(&free_set, 6 * M, &p) == 0);
	CHECK_EQ_U64(p.count, 1);
	CHECK_RANGES(&free_set, 0xfffffffffff00000ULL, 0xfffffffffffff000ULL);
}

TEST(below_a_limit_takes_only_chunks_under_it)
{
	/* 2-6 MiB, 10-20 MiB, 30-64 MiB: below 16 MiB there are 4 + 6 MiB. */
	static const u64 r[] = { 2 * M, 6 * M, 10 * M, 20 * M, 30 * M, 64 * M };

	fill(r, 3);
	/* Anywhere, 8 MiB come whole from 10-20 MiB; below 14 MiB only 4 + 4 MiB. */
	REQUIRE(ram_place_below(&free_set, 8 * M, 14 * M, &p) == 0);
	CHECK_EQ_U64(p.count, 2);
	CHECK_EQ_U64(placed(), 8 * M);
	for (u32 i = 0; i < p.count; i++)
		CHECK(p.chunk[i].end <= 14 * M);
	CHECK_RANGES(&free_set, 14 * M, 20 * M, 30 * M, 64 * M);
	ram_place_release(&free_set, &p);
	/* 12 MiB do not fit below 15 MiB (4 + 4 aligned MiB): refused, the set as it was. */
	CHECK_EQ_INT(ram_place_below(&free_set, 12 * M, 15 * M, &p), -ENOMEM);
	CHECK_RANGES(&free_set, 2 * M, 6 * M, 10 * M, 20 * M, 30 * M, 64 * M);
	REQUIRE(ram_place(&free_set, 12 * M, &p) == 0);
	CHECK_EQ_U64(p.count, 1);
	CHECK_EQ_U64(p.chunk[0].start, 30 * M);
}
