// sources: hypervisor/core/multiboot2.c hypervisor/core/format.c
/* mb2_parse on well-formed boot information: what GRUB gives, and the limits of the tables.
 * Malformed structures are in test_multiboot2_bad.c. */
#include <plinth/errno.h>
#include <plinth/multiboot2.h>

#include "mb2_build.h"
#include "test.h"

static struct mbb b;
static struct boot_info bi;

/* QEMU's e820 map for 128 MiB, as GRUB passes it on. */
static const struct mbb_mem qemu_map[] = {
	{ 0x0, 0x9fc00, MB2_MEM_AVAILABLE },
	{ 0x9fc00, 0x400, MB2_MEM_RESERVED },
	{ 0xf0000, 0x10000, MB2_MEM_RESERVED },
	{ 0x100000, 0x7ee0000, MB2_MEM_AVAILABLE },
	{ 0x7fe0000, 0x20000, MB2_MEM_RESERVED },
	{ 0xfffc0000, 0x40000, MB2_MEM_RESERVED },
};

#define CHECK_RANGE(r, s, e, t)               \
	do {                                  \
		CHECK_EQ_U64((r).start, s);   \
		CHECK_EQ_U64((r).end, e);     \
		CHECK_EQ_U64((r).type, t);    \
	} while (0)

TEST(grub_like_structure)
{
	static const u8 bootdev[12] = { 0x80, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	u32 i, acpi_new;
	const u8 *mbi;

	/* GRUB's order: command line, loader, modules, meminfo, boot device, memory map, ... */
	mbb_init(&b);
	mbb_string(&b, MB2_TAG_CMDLINE, "console=ttyS0,115200 -- quiet");
	mbb_string(&b, MB2_TAG_LOADER_NAME, "GRUB 2.06");
	mbb_module(&b, 0x200000, 0x3a1234, "linux console=ttyS0");
	mbb_module(&b, 0x3a2000, 0x500000, "initrd");
	mbb_meminfo(&b, 639, 130048);
	mbb_tag(&b, 5, bootdev, sizeof(bootdev)); /* boot device: not read, skipped */
	mbb_mmap(&b, 24, qemu_map, ARRAY_SIZE(qemu_map));
	mbb_acpi(&b, MB2_TAG_ACPI_OLD, 20, 1);
	acpi_new = mbb_acpi(&b, MB2_TAG_ACPI_NEW, 36, 2);
	mbb_raw(&b, 21, 12, "\0\0\0\0", 4); /* load base address: not read */
	mbb_end(&b);
	mbi = mbb_done(&b);

	REQUIRE_EQ_U64(mb2_parse(mbi, &bi), 0);
	CHECK_STR(bi.error, "");
	CHECK_EQ_U64(bi.mbi_start, (uintptr_t)mbi);
	CHECK_EQ_U64(bi.mbi_end, (uintptr_t)mbi + b.len);

	CHECK_STR(bi.cmdline, "console=ttyS0,115200 -- quiet");
	CHECK(mbb_contains(&b, bi.cmdline));
	CHECK_STR(bi.loader, "GRUB 2.06");

	REQUIRE_EQ_U64(bi.module_count, 2);
	CHECK(!bi.modules_truncated);
	CHECK_EQ_U64(bi.modules[0].start, 0x200000);
	CHECK_EQ_U64(bi.modules[0].end, 0x3a1234);
	CHECK_STR(bi.modules[0].cmdline, "linux console=ttyS0");
	CHECK(mbb_contains(&b, bi.modules[0].cmdline));
	CHECK_EQ_U64(bi.modules[1].start, 0x3a2000);
	CHECK_EQ_U64(bi.modules[1].end, 0x500000);
	CHECK_STR(bi.modules[1].cmdline, "initrd");

	CHECK(bi.has_meminfo);
	CHECK_EQ_U64(bi.mem_lower_kib, 639);
	CHECK_EQ_U64(bi.mem_upper_kib, 130048);

	CHECK(bi.has_mmap);
	CHECK(!bi.mmap_truncated);
	REQUIRE_EQ_U64(bi.mmap_count, ARRAY_SIZE(qemu_map));
	for (i = 0; i < ARRAY_SIZE(qemu_map); i++)
		CHECK_RANGE(bi.mmap[i], qemu_map[i].base, qemu_map[i].base + qemu_map[i].len,
			    qemu_map[i].type);

	/* The ACPI 2.0 copy wins; the pointer is the payload inside the structure. */
	CHECK_EQ_U64(bi.rsdp_tag, MB2_TAG_ACPI_NEW);
	CHECK_EQ_U64(bi.rsdp_len, 36);
	CHECK(bi.rsdp == mbi + acpi_new + 8);
	CHECK(memcmp(bi.rsdp, "RSD PTR \x02", 9) == 0);
	mbb_free(&b);
}

TEST(acpi_new_preferred_in_either_order)
{
	const u8 *mbi;

	/* New before old: the old one that follows must not replace it. */
	mbb_init(&b);
	mbb_acpi(&b, MB2_TAG_ACPI_NEW, 36, 2);
	mbb_acpi(&b, MB2_TAG_ACPI_OLD, 20, 1);
	mbb_end(&b);
	mbi = mbb_done(&b);
	REQUIRE_EQ_U64(mb2_parse(mbi, &bi), 0);
	CHECK_EQ_U64(bi.rsdp_tag, MB2_TAG_ACPI_NEW);
	CHECK_EQ_U64(bi.rsdp_len, 36);
	CHECK(bi.rsdp == mbi + 16);
	CHECK(bi.rsdp && ((const u8 *)bi.rsdp)[8] == 2);
	mbb_free(&b);
}

TEST(acpi_old_only)
{
	mbb_init(&b);
	mbb_acpi(&b, MB2_TAG_ACPI_OLD, 20, 1);
	mbb_end(&b);
	REQUIRE_EQ_U64(mb2_parse(mbb_done(&b), &bi), 0);
	CHECK_EQ_U64(bi.rsdp_tag, MB2_TAG_ACPI_OLD);
	CHECK_EQ_U64(bi.rsdp_len, 20);
	CHECK(bi.rsdp && ((const u8 *)bi.rsdp)[8] == 1);
	mbb_free(&b);
}

TEST(minimal_structure_is_empty)
{
	mbb_init(&b);
	mbb_end(&b);
	REQUIRE_EQ_U64(mb2_parse(mbb_done(&b), &bi), 0);
	CHECK_EQ_U64(b.len, 16);
	CHECK_STR(bi.error, "");
	CHECK(bi.cmdline == NULL);
	CHECK(bi.loader == NULL);
	CHECK(!bi.has_mmap);
	CHECK(!bi.has_meminfo);
	CHECK_EQ_U64(bi.mmap_count, 0);
	CHECK_EQ_U64(bi.module_count, 0);
	CHECK(bi.rsdp == NULL);
	CHECK_EQ_U64(bi.rsdp_tag, 0);
	mbb_free(&b);
}

TEST(parse_clears_previous_result)
{
	mbb_init(&b);
	mbb_string(&b, MB2_TAG_CMDLINE, "x");
	mbb_end(&b);
	/* A stale result (even an error) must not leak into a new parse. */
	memset(&bi, 0x5a, sizeof(bi));
	bi.error[sizeof(bi.error) - 1] = '\0';
	REQUIRE_EQ_U64(mb2_parse(mbb_done(&b), &bi), 0);
	CHECK_STR(bi.error, "");
	CHECK_EQ_U64(bi.module_count, 0);
	CHECK_EQ_U64(bi.mmap_count, 0);
	CHECK(!bi.has_mmap);
	mbb_free(&b);
}

TEST(mmap_skips_zero_length_entries)
{
	static const struct mbb_mem map[] = {
		{ 0x0, 0x9fc00, MB2_MEM_AVAILABLE },
		{ 0x9fc00, 0, MB2_MEM_RESERVED },
		{ 0x100000, 0x100000, MB2_MEM_AVAILABLE },
		{ 0xffffffffffff0000, 0, MB2_MEM_RESERVED }, /* zero length is not a wrap */
		{ 0x200000, 0x1000, MB2_MEM_BAD },
	};

	mbb_init(&b);
	mbb_mmap(&b, 24, map, ARRAY_SIZE(map));
	mbb_end(&b);
	REQUIRE_EQ_U64(mb2_parse(mbb_done(&b), &bi), 0);
	CHECK(bi.has_mmap);
	REQUIRE_EQ_U64(bi.mmap_count, 3);
	CHECK_RANGE(bi.mmap[0], 0x0, 0x9fc00, MB2_MEM_AVAILABLE);
	CHECK_RANGE(bi.mmap[1], 0x100000, 0x200000, MB2_MEM_AVAILABLE);
	CHECK_RANGE(bi.mmap[2], 0x200000, 0x201000, MB2_MEM_BAD);
	mbb_free(&b);
}

TEST(mmap_larger_entry_size_and_top_of_memory)
{
	static const struct mbb_mem map[] = {
		{ 0x1000, 0x2000, MB2_MEM_AVAILABLE },
		{ 0x100000000, 0x80000000, MB2_MEM_NVS },
		/* Ends one byte below 2^64: the largest range that does not wrap. */
		{ 0xfffffffffffff000, 0xfff, MB2_MEM_RESERVED },
	};

	/* A future entry version may be longer: the stride is entry_size, extra bytes ignored. */
	mbb_init(&b);
	mbb_mmap(&b, 32, map, ARRAY_SIZE(map));
	mbb_end(&b);
	REQUIRE_EQ_U64(mb2_parse(mbb_done(&b), &bi), 0);
	REQUIRE_EQ_U64(bi.mmap_count, 3);
	CHECK_RANGE(bi.mmap[0], 0x1000, 0x3000, MB2_MEM_AVAILABLE);
	CHECK_RANGE(bi.mmap[1], 0x100000000, 0x180000000, MB2_MEM_NVS);
	CHECK_RANGE(bi.mmap[2], 0xfffffffffffff000, 0xffffffffffffffff, MB2_MEM_RESERVED);
	mbb_free(&b);
}

TEST(mmap_empty_and_partial_trailing_entry)
{
	static const u32 hdr[2] = { 24, 0 };
	u8 p[8 + 24 + 8];

	/* No entries at all: a memory map, but an empty one. */
	mbb_init(&b);
	mbb_mmap(&b, 24, NULL, 0);
	mbb_end(&b);
	REQUIRE_EQ_U64(mb2_parse(mbb_done(&b), &bi), 0);
	CHECK(bi.has_mmap);
	CHECK_EQ_U64(bi.mmap_count, 0);
	mbb_free(&b);

	/* One entry and 8 bytes of a second: the partial one is not read. */
	memset(p, 0, sizeof(p));
	memcpy(p, hdr, sizeof(hdr));
	memcpy(p + 8, &qemu_map[0].base, 8);
	memcpy(p + 16, &qemu_map[0].len, 8);
	memcpy(p + 24, &qemu_map[0].type, 4);
	memcpy(p + 32, &qemu_map[1].base, 8);
	mbb_init(&b);
	mbb_tag(&b, MB2_TAG_MMAP, p, sizeof(p));
	mbb_end(&b);
	REQUIRE_EQ_U64(mb2_parse(mbb_done(&b), &bi), 0);
	REQUIRE_EQ_U64(bi.mmap_count, 1);
	CHECK_RANGE(bi.mmap[0], 0x0, 0x9fc00, MB2_MEM_AVAILABLE);
	mbb_free(&b);
}

static struct mbb_mem many[BOOT_MMAP_MAX + 2];

static void build_mmap(u32 count)
{
	u32 i;

	for (i = 0; i < count; i++)
		many[i] = (struct mbb_mem){ (u64)i * 0x10000, 0x1000, MB2_MEM_AVAILABLE };
	mbb_init(&b);
	mbb_mmap(&b, 24, many, count);
	mbb_string(&b, MB2_TAG_LOADER_NAME, "after");
	mbb_end(&b);
}

TEST(mmap_full_table)
{
	build_mmap(BOOT_MMAP_MAX);
	REQUIRE_EQ_U64(mb2_parse(mbb_done(&b), &bi), 0);
	CHECK_EQ_U64(bi.mmap_count, BOOT_MMAP_MAX);
	CHECK(!bi.mmap_truncated);
	mbb_free(&b);
}

TEST(mmap_truncated_past_max)
{
	build_mmap(BOOT_MMAP_MAX + 2);
	REQUIRE_EQ_U64(mb2_parse(mbb_done(&b), &bi), 0);
	CHECK_STR(bi.error, "");
	CHECK_EQ_U64(bi.mmap_count, BOOT_MMAP_MAX);
	CHECK(bi.mmap_truncated);
	CHECK_EQ_U64(bi.mmap[BOOT_MMAP_MAX - 1].start, (u64)(BOOT_MMAP_MAX - 1) * 0x10000);
	CHECK_STR(bi.loader, "after"); /* parsing goes on after the long map */
	mbb_free(&b);
}

static void build_modules(u32 count)
{
	char name[16];
	u32 i;

	mbb_init(&b);
	for (i = 0; i < count; i++) {
		snprintf(name, sizeof(name), "mod%u", i);
		mbb_module(&b, 0x1000000 + i * 0x10000, 0x1000000 + i * 0x10000 + 0x1234, name);
	}
	mbb_string(&b, MB2_TAG_CMDLINE, "after");
	mbb_end(&b);
}

TEST(modules_full_table)
{
	build_modules(BOOT_MODULES_MAX);
	REQUIRE_EQ_U64(mb2_parse(mbb_done(&b), &bi), 0);
	CHECK_EQ_U64(bi.module_count, BOOT_MODULES_MAX);
	CHECK(!bi.modules_truncated);
	CHECK_STR(bi.modules[BOOT_MODULES_MAX - 1].cmdline, "mod15");
	mbb_free(&b);
}

TEST(modules_truncated_past_max)
{
	build_modules(BOOT_MODULES_MAX + 3);
	REQUIRE_EQ_U64(mb2_parse(mbb_done(&b), &bi), 0);
	CHECK_STR(bi.error, "");
	CHECK_EQ_U64(bi.module_count, BOOT_MODULES_MAX);
	CHECK(bi.modules_truncated);
	CHECK_STR(bi.modules[0].cmdline, "mod0");
	CHECK_STR(bi.modules[BOOT_MODULES_MAX - 1].cmdline, "mod15");
	CHECK_STR(bi.cmdline, "after");
	mbb_free(&b);
}

TEST(module_edge_cases)
{
	mbb_init(&b);
	mbb_module(&b, 0x300000, 0x300000, ""); /* empty module, empty command line */
	mbb_module(&b, 0, 0xffffffff, "all");
	mbb_end(&b);
	REQUIRE_EQ_U64(mb2_parse(mbb_done(&b), &bi), 0);
	REQUIRE_EQ_U64(bi.module_count, 2);
	CHECK_EQ_U64(bi.modules[0].start, 0x300000);
	CHECK_EQ_U64(bi.modules[0].end, 0x300000);
	CHECK_STR(bi.modules[0].cmdline, "");
	CHECK_EQ_U64(bi.modules[1].end, 0xffffffff);
	mbb_free(&b);
}

TEST(strings_padding_and_unknown_tags)
{
	static const u8 junk[13] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 };

	/* Odd sizes force padding between tags; unknown types of any size are skipped. */
	mbb_init(&b);
	mbb_string(&b, MB2_TAG_CMDLINE, "");
	mbb_tag(&b, 0x1234, junk, sizeof(junk));
	mbb_tag(&b, 8, NULL, 0);
	mbb_string(&b, MB2_TAG_LOADER_NAME, "abcdefgh"); /* 9 bytes with the NUL */
	mbb_meminfo(&b, 1, 2);
	mbb_end(&b);
	REQUIRE_EQ_U64(mb2_parse(mbb_done(&b), &bi), 0);
	CHECK_STR(bi.cmdline, "");
	CHECK_STR(bi.loader, "abcdefgh");
	CHECK(bi.has_meminfo);
	CHECK_EQ_U64(bi.mem_upper_kib, 2);
	mbb_free(&b);
}

TEST(end_tag_stops_parse_before_total_size)
{
	/* total_size may cover more than the tags up to the end tag; what follows is not read. */
	mbb_init(&b);
	mbb_string(&b, MB2_TAG_CMDLINE, "before");
	mbb_end(&b);
	mbb_string(&b, MB2_TAG_LOADER_NAME, "after end");
	REQUIRE_EQ_U64(mb2_parse(mbb_done(&b), &bi), 0);
	CHECK_STR(bi.cmdline, "before");
	CHECK(bi.loader == NULL);
	mbb_free(&b);
}

TEST(mem_type_names)
{
	CHECK_STR(mb2_mem_type_name(MB2_MEM_AVAILABLE), "available");
	CHECK_STR(mb2_mem_type_name(MB2_MEM_RESERVED), "reserved");
	CHECK_STR(mb2_mem_type_name(MB2_MEM_ACPI_RECLAIMABLE), "acpi-reclaimable");
	CHECK_STR(mb2_mem_type_name(MB2_MEM_NVS), "acpi-nvs");
	CHECK_STR(mb2_mem_type_name(MB2_MEM_BAD), "bad");
	CHECK_STR(mb2_mem_type_name(0), "unknown");
	CHECK_STR(mb2_mem_type_name(0xffffffff), "unknown");
}
