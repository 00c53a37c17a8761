// sources: hypervisor/core/multiboot2.c hypervisor/core/format.c
/*
 * mb2_parse on malformed boot information. Each case must give -EINVAL and a one-line error
 * naming the tag and its offset, keep what the good tags before the fault gave (a memory map
 * and a command line), and read nothing after it.
 */
#include <plinth/errno.h>
#include <plinth/multiboot2.h>

#include "mb2_build.h"
#include "test.h"

static struct mbb b;
static struct boot_info bi;

static const struct mbb_mem good_map[] = {
	{ 0x0, 0x9fc00, MB2_MEM_AVAILABLE },
	{ 0x100000, 0x7f00000, MB2_MEM_AVAILABLE },
	{ 0xfffc0000, 0x40000, MB2_MEM_RESERVED },
};

/* Starts a structure with the good tags a bad one must not lose. */
static void start_good(void)
{
	mbb_init(&b);
	mbb_mmap(&b, 24, good_map, ARRAY_SIZE(good_map));
	mbb_string(&b, MB2_TAG_CMDLINE, "console=ttyS0");
}

/* Ends the structure with a tag that must not be read, then the end tag; parses it. */
static int finish_and_parse(void)
{
	mbb_string(&b, MB2_TAG_LOADER_NAME, "after the bad tag");
	mbb_end(&b);
	return mb2_parse(mbb_done(&b), &bi);
}

static const char *at(u32 off)
{
	static char s[32];

	snprintf(s, sizeof(s), "offset 0x%x:", off);
	return s;
}

/* -EINVAL with a complete one-line message that contains where and what. */
#define CHECK_REJECTED(rc, where, what)                                                    \
	do {                                                                               \
		CHECK_EQ_INT(rc, -EINVAL);                                                 \
		CHECK(bi.error[0] != '\0');                                                \
		CHECK(strlen(bi.error) < sizeof(bi.error) - 1); /* not cut off */          \
		CHECK(!strchr(bi.error, '\n'));                                            \
		CHECK_CONTAINS(bi.error, where);                                           \
		CHECK_CONTAINS(bi.error, what);                                            \
	} while (0)

/* The good tags from start_good survived; the loader name after the fault was not read. */
#define CHECK_KEPT()                                                                       \
	do {                                                                               \
		CHECK(bi.has_mmap);                                                        \
		CHECK_EQ_U64(bi.mmap_count, ARRAY_SIZE(good_map));                         \
		CHECK_EQ_U64(bi.mmap[1].end, 0x8000000);                                   \
		CHECK_STR(bi.cmdline, "console=ttyS0");                                    \
		CHECK(bi.loader == NULL);                                                  \
	} while (0)

TEST(total_size_too_small)
{
	static const u32 sizes[] = { 0, 1, 8, 12, 15 };
	u32 i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		mbb_init(&b);
		mbb_end(&b);
		CHECK_REJECTED(mb2_parse(mbb_done_total(&b, sizes[i]), &bi), "information structure",
			       "total size");
		mbb_free(&b);
	}
}

TEST(total_size_too_large)
{
	static const u32 sizes[] = { MB2_INFO_MAX_SIZE + 1, MB2_INFO_MAX_SIZE + 8, 0xffffffff };
	u32 i;

	/* Taken for a corrupt field: rejected before anything is read past the header. */
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		mbb_init(&b);
		mbb_end(&b);
		CHECK_REJECTED(mb2_parse(mbb_done_total(&b, sizes[i]), &bi), "information structure",
			       "total size");
		mbb_free(&b);
	}
}

TEST(total_size_at_limit_accepted)
{
	u32 *mbi = calloc(1, MB2_INFO_MAX_SIZE);

	REQUIRE(mbi);
	mbi[0] = MB2_INFO_MAX_SIZE;
	mbi[2] = MB2_TAG_END;
	mbi[3] = 8;
	CHECK_EQ_INT(mb2_parse(mbi, &bi), 0);
	CHECK_STR(bi.error, "");
	free(mbi);
}

TEST(unaligned_or_null_pointer)
{
	static u64 storage[8];
	u32 off;

	mbb_init(&b);
	mbb_end(&b);
	memcpy((u8 *)storage + 4, b.buf, b.len);
	for (off = 1; off < 8; off++)
		CHECK_REJECTED(mb2_parse((u8 *)storage + off, &bi), "information structure",
			       "not 8-byte aligned");
	CHECK_REJECTED(mb2_parse(NULL, &bi), "information structure", "not 8-byte aligned");
}

TEST(tag_runs_past_end)
{
	u32 off;

	/* Far past the end. */
	start_good();
	off = mbb_raw(&b, MB2_TAG_MODULE, 4096, "\0\0\0\0\0\0\0\0", 8);
	CHECK_REJECTED(finish_and_parse(), at(off), "runs past");
	CHECK_CONTAINS(bi.error, "tag type 3 ");
	CHECK_KEPT();
	mbb_free(&b);

	/* One byte past the end: the last tag before the end tag claims all that is left + 1. */
	start_good();
	off = mbb_raw(&b, 0x99, 0, NULL, 0);
	mbb_end(&b);
	mbb_put32(&b, off + 4, b.len - off + 1);
	CHECK_REJECTED(mb2_parse(mbb_done(&b), &bi), at(off), "runs past");
	CHECK_KEPT();
	mbb_free(&b);
}

TEST(tag_size_below_header)
{
	static const u32 sizes[] = { 0, 1, 4, 7 };
	u32 i, off;

	/* Size 0 would loop forever if it were taken. */
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		start_good();
		off = mbb_raw(&b, MB2_TAG_CMDLINE, sizes[i], NULL, 0);
		CHECK_REJECTED(finish_and_parse(), at(off), "size");
		CHECK_KEPT();
		mbb_free(&b);
	}
}

TEST(missing_end_tag)
{
	/* The tags simply stop. */
	start_good();
	mbb_string(&b, MB2_TAG_LOADER_NAME, "loader");
	CHECK_REJECTED(mb2_parse(mbb_done(&b), &bi), "information structure", "no end tag");
	CHECK(bi.has_mmap);
	CHECK_STR(bi.cmdline, "console=ttyS0");
	mbb_free(&b);

	/* total_size cuts the end tag in half. */
	start_good();
	mbb_end(&b);
	CHECK_REJECTED(mb2_parse(mbb_done_total(&b, b.len - 4), &bi), "information structure",
		       "no end tag");
	CHECK(bi.has_mmap);
	mbb_free(&b);
}

TEST(end_tag_wrong_size)
{
	static const u32 sizes[] = { 0, 4, 16 };
	u32 i, off;
	char want[32];

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		start_good();
		off = mbb_raw(&b, MB2_TAG_END, sizes[i], "\0\0\0\0\0\0\0\0", 8);
		mbb_end(&b);
		snprintf(want, sizeof(want), "size %u", sizes[i]);
		CHECK_REJECTED(mb2_parse(mbb_done(&b), &bi), at(off), want);
		CHECK_CONTAINS(bi.error, "end tag");
		CHECK(bi.has_mmap);
		mbb_free(&b);
	}
}

TEST(mmap_bad_entry_size)
{
	static const u32 sizes[] = { 0, 8, 16, 20, 28, 36 };
	u32 i, off;

	/* Below the 24-byte entry, or not a multiple of 8. The map itself is not taken. */
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		u32 hdr[2] = { sizes[i], 0 };
		u8 p[8 + 2 * 40] = { 0 };

		memcpy(p, hdr, sizeof(hdr));
		mbb_init(&b);
		mbb_string(&b, MB2_TAG_CMDLINE, "console=ttyS0");
		off = mbb_tag(&b, MB2_TAG_MMAP, p, sizeof(p));
		CHECK_REJECTED(finish_and_parse(), at(off), "entry size");
		CHECK(!bi.has_mmap);
		CHECK_EQ_U64(bi.mmap_count, 0);
		CHECK_STR(bi.cmdline, "console=ttyS0");
		CHECK(bi.loader == NULL);
		mbb_free(&b);
	}
}

TEST(mmap_tag_too_short)
{
	u32 off;

	/* 12 bytes: no room for entry_size and entry_version. */
	mbb_init(&b);
	off = mbb_tag(&b, MB2_TAG_MMAP, "\x18\0\0\0", 4);
	CHECK_REJECTED(finish_and_parse(), at(off), "memory map");
	CHECK(!bi.has_mmap);
	mbb_free(&b);
}

TEST(mmap_entry_wraps)
{
	static const struct mbb_mem wraps[][2] = {
		{ { 0x1000, 0x1000, 1 }, { 0xfffffffffffff000, 0x2000, 1 } },
		{ { 0x1000, 0x1000, 1 }, { 0xffffffffffffffff, 1, 2 } },
		{ { 0x1000, 0x1000, 1 }, { 0x8000000000000000, 0xffffffffffffffff, 2 } },
		/* Ends exactly at 2^64: an exclusive end that a u64 cannot hold. */
		{ { 0x1000, 0x1000, 1 }, { 0xfffffffffffff000, 0x1000, 2 } },
	};
	u32 i, off;

	for (i = 0; i < ARRAY_SIZE(wraps); i++) {
		mbb_init(&b);
		mbb_string(&b, MB2_TAG_CMDLINE, "console=ttyS0");
		off = mbb_mmap(&b, 24, wraps[i], 2);
		CHECK_REJECTED(finish_and_parse(), at(off), "wraps");
		/* The entry before the bad one was read. */
		CHECK(bi.has_mmap);
		CHECK_EQ_U64(bi.mmap_count, 1);
		CHECK_EQ_U64(bi.mmap[0].end, 0x2000);
		CHECK(bi.loader == NULL);
		mbb_free(&b);
	}
}

TEST(module_end_before_start)
{
	u32 off;

	start_good();
	mbb_module(&b, 0x100000, 0x200000, "first");
	off = mbb_module(&b, 0x300000, 0x2fffff, "bad");
	CHECK_REJECTED(finish_and_parse(), at(off), "before start");
	CHECK_CONTAINS(bi.error, "module");
	CHECK_KEPT();
	CHECK_EQ_U64(bi.module_count, 1);
	CHECK_STR(bi.modules[0].cmdline, "first");
	mbb_free(&b);
}

TEST(module_without_cmdline_nul)
{
	static const u8 p[16] = { 0, 0, 0x10, 0, 0, 0, 0x20, 0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h' };
	static const u32 lens[] = { 4, 8, 16 }; /* size 12, 16 (no string at all), 24 */
	u32 i, off;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		start_good();
		off = mbb_tag(&b, MB2_TAG_MODULE, p, lens[i]);
		CHECK_REJECTED(finish_and_parse(), at(off), "module");
		CHECK_CONTAINS(bi.error, "NUL");
		CHECK_EQ_U64(bi.module_count, 0);
		CHECK_KEPT();
		mbb_free(&b);
	}
}

TEST(string_tags_without_nul)
{
	static const u32 types[] = { MB2_TAG_CMDLINE, MB2_TAG_LOADER_NAME };
	u32 i, off;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		/* The padding after the tag is zero: a parser that looked past size would pass. */
		start_good();
		off = mbb_tag(&b, types[i], "hello", 5);
		CHECK_REJECTED(finish_and_parse(), at(off), "NUL");
		CHECK(bi.has_mmap);
		CHECK(bi.loader == NULL);
		mbb_free(&b);

		/* No bytes at all. */
		start_good();
		off = mbb_tag(&b, types[i], NULL, 0);
		CHECK_REJECTED(finish_and_parse(), at(off), "NUL");
		CHECK(bi.has_mmap);
		mbb_free(&b);
	}
	/* A command line tag without NUL must not replace the good one read before. */
	start_good();
	mbb_tag(&b, MB2_TAG_CMDLINE, "hello", 5);
	CHECK_EQ_INT(finish_and_parse(), -EINVAL);
	CHECK_KEPT();
	mbb_free(&b);
}

TEST(acpi_tag_too_short)
{
	static const u32 types[] = { MB2_TAG_ACPI_OLD, MB2_TAG_ACPI_NEW };
	static const u32 lens[] = { 0, 8, 19 };
	u32 i, j, off;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		for (j = 0; j < ARRAY_SIZE(lens); j++) {
			start_good();
			off = mbb_acpi(&b, types[i], lens[j], 0);
			CHECK_REJECTED(finish_and_parse(), at(off), "RSDP");
			CHECK(bi.rsdp == NULL);
			CHECK_EQ_U64(bi.rsdp_tag, 0);
			CHECK_KEPT();
			mbb_free(&b);
		}
	}
	/* A short ACPI 2.0 tag after a good ACPI 1.0 one leaves the good one. */
	start_good();
	mbb_acpi(&b, MB2_TAG_ACPI_OLD, 20, 1);
	mbb_acpi(&b, MB2_TAG_ACPI_NEW, 19, 2);
	CHECK_EQ_INT(finish_and_parse(), -EINVAL);
	CHECK_EQ_U64(bi.rsdp_tag, MB2_TAG_ACPI_OLD);
	CHECK_EQ_U64(bi.rsdp_len, 20);
	mbb_free(&b);
}

TEST(meminfo_tag_too_short)
{
	u32 off;

	start_good();
	off = mbb_tag(&b, MB2_TAG_BASIC_MEMINFO, "\x80\x02\0\0", 4);
	CHECK_REJECTED(finish_and_parse(), at(off), "basic memory");
	CHECK(!bi.has_meminfo);
	CHECK_KEPT();
	mbb_free(&b);
}

TEST(first_error_is_reported)
{
	u32 off;

	/* A bad tag, then no end tag: the message is about the bad tag. */
	start_good();
	off = mbb_raw(&b, MB2_TAG_CMDLINE, 3, NULL, 0);
	CHECK_REJECTED(mb2_parse(mbb_done(&b), &bi), at(off), "size 3");
	mbb_free(&b);
}
