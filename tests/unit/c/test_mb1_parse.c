// sources: @loader-parse
/*
 * Multiboot 1 images to load plans (guest/mb1_parse.c, guest/elf_parse.c): the a.out kludge
 * and ELF32/ELF64 program headers as GRUB reads them, and every malformed header refused with
 * -EINVAL and one line naming the field, never a plan with a wrapped size (the header of issue
 * 12: load_end_addr 0 and bss_end_addr below the end of the file's bytes).
 */
#include <plinth/errno.h>
#include <plinth/load_plan.h>

#include "image_build.h"
#include "test.h"

#define LOAD 0x100000u
#define KLUDGE (MB1_HEADER_AOUT_KLUDGE | MB1_HEADER_PAGE_ALIGN)

static struct img im;
static struct load_plan plan;

static int parse(void)
{
	return mb1_parse(im.b, im.size, &plan);
}

/* -EINVAL with a one-line reason that names what is wrong. */
#define CHECK_REFUSED(what)                                   \
	do {                                                  \
		CHECK_EQ_INT(parse(), -EINVAL);               \
		CHECK_CONTAINS(plan.error, what);             \
		CHECK(!strchr(plan.error, '\n'));             \
		CHECK(strlen(plan.error) < LOAD_ERROR_LEN - 1); \
	} while (0)

TEST(kludge_image_like_the_test_guest)
{
	img_kludge(&im, LOAD, 0x3000, 0x1000);
	REQUIRE(parse() == 0);
	CHECK_STR(plan.format, "a.out kludge");
	REQUIRE_EQ_U64(plan.count, 1);
	CHECK_EQ_U64(plan.seg[0].offset, 0);
	CHECK_EQ_U64(plan.seg[0].gpa, LOAD);
	CHECK_EQ_U64(plan.seg[0].copy, 0x3000);
	CHECK_EQ_U64(plan.seg[0].zero, 0x1000);
	CHECK_EQ_U64(plan.entry, LOAD + 0x20);
}

TEST(kludge_header_later_in_the_file_and_zero_end_fields)
{
	/* Header at 0x40 (loaded at load + 0x40); load_end 0: to the end of the file; no bss. */
	memset(&im, 0, sizeof(im));
	im.size = 0x2000;
	img_mb1(&im, 0x40, KLUDGE, LOAD + 0x40, LOAD, 0, 0, LOAD + 0x100);
	REQUIRE(parse() == 0);
	CHECK_EQ_U64(plan.seg[0].offset, 0);
	CHECK_EQ_U64(plan.seg[0].copy, 0x2000);
	CHECK_EQ_U64(plan.seg[0].zero, 0);
	/* load_addr after the file's start: the first 0x20 bytes are not loaded. */
	img_mb1(&im, 0x40, KLUDGE, LOAD + 0x20, LOAD, 0, 0, LOAD + 0x100);
	REQUIRE(parse() == 0);
	CHECK_EQ_U64(plan.seg[0].offset, 0x20);
	CHECK_EQ_U64(plan.seg[0].copy, 0x2000 - 0x20);
}

TEST(issue12_zero_load_end_and_bss_below_the_file_end_is_refused)
{
	memset(&im, 0, sizeof(im));
	im.size = 0x3000;
	img_mb1(&im, 0, KLUDGE, LOAD, LOAD, 0, LOAD + 0x1000, LOAD + 0x20);
	CHECK_REFUSED("bss_end_addr 0x101000 lies below the end of the loaded bytes 0x103000");
	CHECK_EQ_U64(plan.count, 0);
}

TEST(kludge_fields_that_do_not_add_up_are_refused)
{
	memset(&im, 0, sizeof(im));
	im.size = 0x3000;
	img_mb1(&im, 0, KLUDGE, LOAD, LOAD, LOAD - 1, 0, LOAD + 0x20);
	CHECK_REFUSED("load_end_addr 0xfffff lies below load_addr");
	img_mb1(&im, 0, KLUDGE, LOAD, LOAD + 4, 0, 0, LOAD + 0x20);
	CHECK_REFUSED("load_addr 0x100004 lies before the file's start");
	img_mb1(&im, 0x10, KLUDGE, LOAD + 0x10, LOAD - 0x100, 0, 0, LOAD + 0x20);
	CHECK_REFUSED("lies before the file's start");
	img_mb1(&im, 0, KLUDGE, LOAD, LOAD, LOAD + 0x3001, 0, LOAD + 0x20);
	CHECK_REFUSED("the file has 0x3000 from load_addr");
	img_mb1(&im, 0, KLUDGE, 0xfffff000, 0xfffff000, 0, 0, 0xfffff010);
	CHECK_REFUSED("end above 4 GiB");
	img_mb1(&im, 0, KLUDGE, LOAD, LOAD, 0, LOAD + 0x4000, LOAD + 0x3000);
	CHECK_REFUSED("entry_addr 0x103000 lies outside the loaded bytes");
	img_mb1(&im, 0, KLUDGE | BIT(3), LOAD, LOAD, 0, 0, LOAD);
	CHECK_REFUSED("requires features Plinth lacks (flags 0x10009)");
}

TEST(kludge_header_cut_off_or_absent)
{
	memset(&im, 0, sizeof(im));
	im.size = 0x1000;
	img_mb1(&im, 0x1000 - 16, KLUDGE, LOAD, LOAD, 0, 0, LOAD);
	CHECK_REFUSED("cut off by the end of the file");
	memset(&im, 0, sizeof(im));
	im.size = 0x3000;
	img_mb1(&im, 0x2000, KLUDGE, LOAD, LOAD, 0, 0, LOAD); /* beyond the first 8 KiB */
	CHECK_EQ_INT(parse(), -ENOENT);
	img_mb1(&im, 2, KLUDGE, LOAD, LOAD, 0, 0, LOAD); /* not 4-byte aligned */
	CHECK_EQ_INT(parse(), -ENOENT);
	im.size = 8;
	CHECK_EQ_INT(parse(), -ENOENT);
}

/* A higher-half kernel: text linked at 0xffffffff80100000, loaded at 1 MiB; data and a
 * bss-only segment whose file offset lies past the end (ignored: nothing to copy). */
static const struct img_phdr higher_half[] = {
	{ 1, 0x1000, 0xffffffff80100000ULL, 0x100000, 0x2000, 0x2000 },
	{ 4, 0, 0, 0, 0x10, 0x10 }, /* PT_NOTE: skipped */
	{ 1, 0x3000, 0xffffffff80102000ULL, 0x102000, 0x800, 0x3000 },
	{ 1, 0xffffff, 0xffffffff80105000ULL, 0x105000, 0, 0x1000 },
};

TEST(elf64_segments_load_at_physical_addresses)
{
	img_elf(&im, true, 0xffffffff80100010ULL, higher_half, 4, 0x4000);
	REQUIRE(parse() == 0);
	CHECK_STR(plan.format, "ELF64");
	REQUIRE_EQ_U64(plan.count, 3);
	CHECK_EQ_U64(plan.seg[0].gpa, 0x100000);
	CHECK_EQ_U64(plan.seg[0].offset, 0x1000);
	CHECK_EQ_U64(plan.seg[1].copy, 0x800);
	CHECK_EQ_U64(plan.seg[1].zero, 0x2800);
	CHECK_EQ_U64(plan.seg[2].copy, 0);
	CHECK_EQ_U64(plan.seg[2].zero, 0x1000);
	CHECK_EQ_U64(plan.entry, 0x100010); /* moved with its segment, as GRUB does */
}

TEST(elf32_identity_kernel)
{
	static const struct img_phdr ph[] = { { 1, 0x1000, 0x200000, 0x200000, 0x1800, 0x2000 } };

	img_elf(&im, false, 0x20000c, ph, 1, 0x2800);
	REQUIRE(parse() == 0);
	CHECK_STR(plan.format, "ELF32");
	REQUIRE_EQ_U64(plan.count, 1);
	CHECK_EQ_U64(plan.seg[0].gpa, 0x200000);
	CHECK_EQ_U64(plan.seg[0].zero, 0x800);
	CHECK_EQ_U64(plan.entry, 0x20000c);
}

TEST(elf_program_headers_that_lie_are_refused)
{
	struct img_phdr ph[2] = { { 1, 0x1000, LOAD, LOAD, 0x1000, 0x1000 }, { 1, 0x2000, LOAD + 0x800, LOAD + 0x800, 0x10, 0x10 } };

	img_elf(&im, true, LOAD, ph, 2, 0x3000);
	CHECK_REFUSED("segment 1 at 0x100800-0x100810 overlaps another");
	ph[1] = (struct img_phdr){ 1, 0x2000, 0, LOAD + 0x1000, 0x20, 0x10 };
	img_elf(&im, true, LOAD, ph, 2, 0x3000);
	CHECK_REFUSED("p_filesz 0x20 exceeds p_memsz 0x10");
	ph[1] = (struct img_phdr){ 1, 0x2f00, 0, LOAD + 0x1000, 0x200, 0x200 };
	img_elf(&im, true, LOAD, ph, 2, 0x3000);
	CHECK_REFUSED("lie beyond the image's 12288 bytes");
	ph[1] = (struct img_phdr){ 1, ~0ULL - 0xf, 0, LOAD + 0x1000, 0x20, 0x20 };
	img_elf(&im, true, LOAD, ph, 2, 0x3000);
	CHECK_REFUSED("lie beyond the image");
	ph[1] = (struct img_phdr){ 1, 0x2000, 0, 0xfffff000, 0x10, 0x2000 };
	img_elf(&im, true, LOAD, ph, 2, 0x3000);
	CHECK_REFUSED("does not fit below 0x100000000");
	ph[1] = (struct img_phdr){ 1, 0x2000, 0, 0xfffffffffffff000ULL, 0x10, 0x2000 };
	img_elf(&im, true, LOAD, ph, 2, 0x3000);
	CHECK_REFUSED("does not fit below");
	ph[1] = (struct img_phdr){ 1, 0x2000, 0, LOAD + 0x1000, 0, ~0ULL };
	img_elf(&im, true, LOAD, ph, 2, 0x3000);
	CHECK_REFUSED("does not fit below");
}

TEST(elf_headers_that_lie_are_refused)
{
	static const struct img_phdr ph[] = { { 1, 0x1000, LOAD, LOAD, 0x100, 0x100 } };

	img_elf(&im, true, LOAD + 0x200, ph, 1, 0x2000);
	CHECK_REFUSED("the entry point 0x100200 lies in no loadable segment");
	img_elf(&im, true, LOAD, ph, 1, 0x2000);
	img_put(&im, 64 - 8 + 0, 0, 0); /* no change: the good one parses */
	CHECK_EQ_INT(parse(), 0);
	img_put(&im, 18, 3, 2); /* EM_386 in an ELF64 */
	CHECK_REFUSED("not an x86 executable");
	img_elf(&im, true, LOAD, ph, 1, 0x2000);
	img_put(&im, 32, 0x1ff0, 8); /* e_phoff near the end: 56 bytes do not fit */
	CHECK_REFUSED("lie beyond the file's 8192 bytes");
	img_elf(&im, true, LOAD, ph, 1, 0x2000);
	img_put(&im, 32, ~0ULL - 8, 8);
	CHECK_REFUSED("lie beyond the file");
	img_elf(&im, true, LOAD, ph, 1, 0x2000);
	img_put(&im, 54, 8, 2); /* e_phentsize smaller than a program header */
	CHECK_REFUSED("program headers of 8 bytes");
	img_elf(&im, true, LOAD, ph, 0, 0x2000);
	CHECK_REFUSED("program headers of 56 bytes, 0 of them");
	img_elf(&im, false, LOAD, ph, 1, 0x2000);
	im.b[4] = 3;
	CHECK_REFUSED("an ELF file of class 3");
	img_elf(&im, true, LOAD, ph, 1, 60); /* cut inside the ELF64 header, which holds the multiboot one */
	img_mb1(&im, 40, 0, 0, 0, 0, 0, 0);
	CHECK_REFUSED("the ELF header is cut off (60 bytes)");
	img_elf(&im, true, LOAD, ph, 1, 0x2000);
	memset(im.b, 0, 4); /* no ELF magic, no kludge flag */
	CHECK_REFUSED("not an ELF file");
}

TEST(elf_without_loadable_segments_is_refused)
{
	static const struct img_phdr ph[] = { { 4, 0x1000, LOAD, LOAD, 0x100, 0x100 },
					      { 1, 0x1000, LOAD, LOAD, 0, 0 } };

	img_elf(&im, false, LOAD, ph, 2, 0x2000);
	CHECK_REFUSED("no loadable segment");
}
