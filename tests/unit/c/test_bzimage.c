// sources: @loader-parse
/*
 * The bzImage setup header (guest/bzimage_parse.c) and the boot_params built from it
 * (guest/bzimage_params.c): a good header read field by field, every reason to refuse one
 * named, and a zero page holding the kernel's header, the loader's fields and the e820 map.
 */
#include <plinth/bzimage.h>
#include <plinth/errno.h>

#include "test.h"

static u8 img[0x4000];
static struct bzimage bz;

static void put(u32 off, u64 v, u32 bytes)
{
	memcpy(img + off, &v, bytes);
}

static u64 get(const u8 *p, u32 off, u32 bytes)
{
	u64 v = 0;

	memcpy(&v, p + off, bytes);
	return v;
}

/* A relocatable protocol 2.15 kernel with 3 setup sectors (pm code at 0x800) */
static void good(void)
{
	memset(img, 0, sizeof(img));
	img[0x1f1] = 3;
	put(0x1fe, 0xaa55, 2);
	img[0x200] = 0xeb;
	img[0x201] = 0x6a; /* header ends at 0x26c */
	put(0x202, 0x53726448, 4);
	put(0x206, 0x020f, 2);
	img[0x211] = 1;		     /* LOADED_HIGH */
	put(0x22c, 0x7fffffff, 4);   /* initrd_addr_max */
	put(0x230, 0x200000, 4);     /* kernel_alignment */
	img[0x234] = 1;		     /* relocatable */
	put(0x236, 3, 2);	     /* xloadflags: 64-bit kernel */
	put(0x238, 2047, 4);	     /* cmdline_size */
	put(0x258, 0x1000000, 8);    /* pref_address */
	put(0x260, 0x2000000, 4);    /* init_size */
}

#define CHECK_REFUSED(what)                                        \
	do {                                                       \
		CHECK_EQ_INT(bzimage_parse(img, sizeof(img), &bz), -EINVAL); \
		CHECK_STR(bz.error, what);                         \
	} while (0)

TEST(good_header)
{
	good();
	REQUIRE(bzimage_parse(img, sizeof(img), &bz) == 0);
	CHECK_EQ_U64(bz.version, 0x020f);
	CHECK_EQ_U64(bz.pm_offset, 0x800);
	CHECK_EQ_U64(bz.pm_size, sizeof(img) - 0x800);
	CHECK_EQ_U64(bz.room, 0x2000000);
	CHECK_EQ_U64(bz.pref, 0x1000000);
	CHECK_EQ_U64(bz.align, 0x200000);
	CHECK(bz.relocatable);
	CHECK_EQ_U64(bz.cmdline_max, 2048);
	CHECK_EQ_U64(bz.initrd_limit, 0x80000000);
	CHECK_EQ_U64(bz.hdr_end, 0x26c);
}

TEST(odd_fields_are_made_sane)
{
	good();
	img[0x1f1] = 0;		   /* 0 setup sectors mean 4 */
	put(0x230, 0x3000, 4);	   /* not a power of two: 2 MiB */
	put(0x260, 0x10, 4);	   /* init_size below the file's size */
	put(0x238, 0xffffffff, 4); /* a huge cmdline_size: Plinth's 4 KiB */
	put(0x22c, 0xffffffff, 4);
	img[0x201] = 0xff;	   /* the header would run into boot_params' own fields */
	REQUIRE(bzimage_parse(img, sizeof(img), &bz) == 0);
	CHECK_EQ_U64(bz.pm_offset, 0xa00);
	CHECK_EQ_U64(bz.align, 2 * MIB);
	CHECK_EQ_U64(bz.room, bz.pm_size);
	CHECK_EQ_U64(bz.cmdline_max, BZ_CMDLINE_MAX);
	CHECK_EQ_U64(bz.initrd_limit, 4 * GIB);
	CHECK_EQ_U64(bz.hdr_end, 0x290);
}

TEST(not_a_bzimage_at_all)
{
	good();
	CHECK_EQ_INT(bzimage_parse(img, 0x267, &bz), -ENOENT);
	put(0x202, 0x53726449, 4);
	CHECK_EQ_INT(bzimage_parse(img, sizeof(img), &bz), -ENOENT);
	good();
	put(0x1fe, 0x55aa, 2);
	CHECK_EQ_INT(bzimage_parse(img, sizeof(img), &bz), -ENOENT);
}

TEST(kernels_plinth_cannot_boot_are_named)
{
	good();
	put(0x206, 0x020b, 2);
	CHECK_REFUSED("boot protocol older than 2.12");
	good();
	img[0x211] = 0;
	CHECK_REFUSED("not a bzImage (zImage kernels load below 1 MiB)");
	good();
	put(0x236, 2, 2);
	CHECK_REFUSED("no 64-bit kernel inside (xloadflags bit 0 clear)");
	good();
	img[0x1f1] = 0x1f; /* 32 sectors of setup: 16 KiB, the whole file */
	CHECK_REFUSED("truncated: the file ends inside the real-mode setup code");
	good();
	img[0x234] = 0;
	put(0x258, 0xfff00000, 8); /* + 32 MiB passes 4 GiB */
	CHECK_REFUSED("not relocatable, and pref_address + init_size lies above 4 GiB");
	put(0x258, ~0ULL - 0xfff, 8);
	CHECK_REFUSED("not relocatable, and pref_address + init_size lies above 4 GiB");
	img[0x234] = 1; /* relocatable: the loader finds another place */
	CHECK_EQ_INT(bzimage_parse(img, sizeof(img), &bz), 0);
}

TEST(boot_params_hold_header_and_loader_fields)
{
	static u8 bp[BZ_PARAMS_SIZE];
	static struct mem_range e820[BZ_E820_MAX + 5];
	struct bzimage_boot b = { .load = 0x1000000, .cmdline = 0x12000, .initrd = 0x123456789000ULL,
				  .initrd_size = 0x1000, .rsdp = 0xf5a10, .e820 = e820, .e820_count = 2 };
	u32 i;

	good();
	put(0x26a, 0xdeadbeef, 4); /* past the header's end: not copied */
	REQUIRE(bzimage_parse(img, sizeof(img), &bz) == 0);
	e820[0] = (struct mem_range){ 0, 0x9fc00, 1 };
	e820[1] = (struct mem_range){ 0x100000, 0x20000000, 1 };
	memset(bp, 0x5a, sizeof(bp));
	bzimage_boot_params(bp, img, &bz, &b);
	CHECK_EQ_U64(get(bp, 0x202, 4), 0x53726448);
	CHECK_EQ_U64(get(bp, 0x258, 8), 0x1000000);
	CHECK_EQ_U64(get(bp, 0x26c, 4), 0);
	CHECK_EQ_U64(bp[0x210], 0xff);
	CHECK_EQ_U64(get(bp, 0x1fa, 2), 0xffff);
	CHECK_EQ_U64(get(bp, 0x214, 4), 0x1000000);
	CHECK_EQ_U64(get(bp, 0x228, 4), 0x12000);
	CHECK_EQ_U64(get(bp, 0x0c8, 4), 0);
	CHECK_EQ_U64(get(bp, 0x218, 4), 0x56789000);
	CHECK_EQ_U64(get(bp, 0x0c0, 4), 0x1234);
	CHECK_EQ_U64(get(bp, 0x21c, 4), 0x1000);
	CHECK_EQ_U64(get(bp, 0x070, 8), 0xf5a10);
	CHECK_EQ_U64(bp[0x1e8], 2);
	CHECK_EQ_U64(get(bp, 0x2d0 + 20 + 8, 8), 0x20000000 - 0x100000);
	CHECK_EQ_U64(get(bp, 0x2d0 + 40, 8), 0);
	CHECK_EQ_U64(bp[0], 0); /* zeroed around the header */
	for (i = 0; i < ARRAY_SIZE(e820); i++)
		e820[i] = (struct mem_range){ i * 0x2000, i * 0x2000 + 0x1000, 1 };
	b.e820_count = ARRAY_SIZE(e820);
	bzimage_boot_params(bp, img, &bz, &b);
	CHECK_EQ_U64(bp[0x1e8], BZ_E820_MAX);
	CHECK_EQ_U64(get(bp, 0x2d0 + 20 * (BZ_E820_MAX - 1), 8), (BZ_E820_MAX - 1) * 0x2000);
}
