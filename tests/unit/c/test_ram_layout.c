// sources: hypervisor/core/ram_layout.c
/*
 * A partition's RAM in guest-physical space (core/ram_layout.c): ordinary, the chunks from 0 one
 * after another; identity, guest-physical [0, 1 MiB) from the first chunk's first MiB and every
 * other byte at its own host address; a chunk at host 0 makes the whole VM identity. The same
 * bytes either way, every host byte used once; chunks ram_place never makes are refused.
 */
#include <plinth/errno.h>
#include <plinth/ram_layout.h>

#include "test.h"

#define M (1ULL << 20)

static struct ram_place p;
static struct ram_layout l;

static void chunks(const u64 *r, u32 n)
{
	memset(&p, 0, sizeof(p));
	for (u32 i = 0; i < n; i++)
		p.chunk[p.count++] = (struct pmm_range){ r[2 * i], r[2 * i + 1] };
}

#define CHECK_RANGE(i, g, h, s)                        \
	do {                                           \
		CHECK_EQ_U64(l.range[i].gpa, g);       \
		CHECK_EQ_U64(l.range[i].hpa, h);       \
		CHECK_EQ_U64(l.range[i].size, s);      \
	} while (0)

/* Every host byte of the chunks in exactly one range, and the ranges apart in guest space. */
static void check_covers(void)
{
	u64 chunk_bytes = 0, range_bytes = 0;

	for (u32 i = 0; i < p.count; i++)
		chunk_bytes += p.chunk[i].end - p.chunk[i].start;
	for (u32 i = 0; i < l.count; i++) {
		bool inside = false;

		range_bytes += l.range[i].size;
		for (u32 c = 0; c < p.count; c++)
			inside |= l.range[i].hpa >= p.chunk[c].start &&
				  l.range[i].hpa + l.range[i].size <= p.chunk[c].end;
		CHECK(inside);
		if (i)
			CHECK(l.range[i - 1].gpa + l.range[i - 1].size <= l.range[i].gpa);
	}
	CHECK_EQ_U64(range_bytes, chunk_bytes);
}

TEST(ordinary_layout_runs_from_zero)
{
	static const u64 r[] = { 512 * M, 768 * M, 64 * M, 96 * M };

	chunks(r, 2);
	REQUIRE(ram_layout(&p, false, &l) == 0);
	REQUIRE_EQ_U64(l.count, 2);
	CHECK_RANGE(0, 0, 512 * M, 256 * M);
	CHECK_RANGE(1, 256 * M, 64 * M, 32 * M);
	check_covers();
}

TEST(identity_one_chunk)
{
	static const u64 r[] = { 0x6e00000, 0x16e00000 }; /* 256 MiB from 110 MiB */

	chunks(r, 1);
	REQUIRE(ram_layout(&p, true, &l) == 0);
	REQUIRE_EQ_U64(l.count, 2);
	CHECK_RANGE(0, 0, 0x6e00000, M);
	CHECK_RANGE(1, 0x6f00000, 0x6f00000, 255 * M);
	check_covers();
}

TEST(identity_several_chunks_sorted_by_guest_address)
{
	/* ram_place's order: the largest piece first, then the rest from lower ones. */
	static const u64 r[] = { 1024 * M, 1152 * M, 64 * M, 96 * M, 2 * M, 4 * M };

	chunks(r, 3);
	REQUIRE(ram_layout(&p, true, &l) == 0);
	REQUIRE_EQ_U64(l.count, 4);
	CHECK_RANGE(0, 0, 1024 * M, M);
	CHECK_RANGE(1, 2 * M, 2 * M, 2 * M);
	CHECK_RANGE(2, 64 * M, 64 * M, 32 * M);
	CHECK_RANGE(3, 1025 * M, 1025 * M, 127 * M);
	check_covers();
}

TEST(identity_with_a_chunk_at_zero_is_identity_throughout)
{
	static const u64 r[] = { 32 * M, 40 * M, 0, 8 * M };

	chunks(r, 2);
	REQUIRE(ram_layout(&p, true, &l) == 0);
	REQUIRE_EQ_U64(l.count, 2);
	CHECK_RANGE(0, 0, 0, 8 * M);
	CHECK_RANGE(1, 32 * M, 32 * M, 8 * M);
	check_covers();
}

TEST(identity_of_a_two_mib_chunk_keeps_one_mib_at_its_address)
{
	static const u64 r[] = { 6 * M, 8 * M };

	chunks(r, 1);
	REQUIRE(ram_layout(&p, true, &l) == 0);
	REQUIRE_EQ_U64(l.count, 2);
	CHECK_RANGE(0, 0, 6 * M, M);
	CHECK_RANGE(1, 7 * M, 7 * M, M);
}

TEST(chunks_ram_place_never_makes_are_refused)
{
	static const u64 empty[] = { 4 * M, 4 * M }, odd[] = { 4 * M, 7 * M }, wrap[] = { 4 * M, 2 * M };

	memset(&p, 0, sizeof(p));
	CHECK_EQ_INT(ram_layout(&p, false, &l), -EINVAL);
	chunks(empty, 1);
	CHECK_EQ_INT(ram_layout(&p, true, &l), -EINVAL);
	chunks(odd, 1);
	CHECK_EQ_INT(ram_layout(&p, true, &l), -EINVAL);
	chunks(wrap, 1);
	CHECK_EQ_INT(ram_layout(&p, false, &l), -EINVAL);
	CHECK_EQ_U64(l.count, 0);
	p.count = RAM_PLACE_MAX + 1;
	CHECK_EQ_INT(ram_layout(&p, false, &l), -EINVAL);
}
