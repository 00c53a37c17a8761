/*
 * The bzImage setup header (Documentation/arch/x86/boot.rst, protocol 2.12 and later), read
 * from the image's bytes into struct bzimage. Pure; every field is the image's word.
 */
#include <plinth/bzimage.h>
#include <plinth/errno.h>
#include <plinth/format.h>
#include <plinth/string.h>
#include "bzimage_hdr.h"

static u64 rd(const u8 *img, u32 off, u32 bytes)
{
	u64 v = 0;

	memcpy(&v, img + off, bytes);
	return v;
}

static int fail(struct bzimage *bz, const char *why)
{
	format(bz->error, sizeof(bz->error), "%s", why);
	return -EINVAL;
}

int bzimage_parse(const u8 *img, u64 size, struct bzimage *bz)
{
	u32 setup_sects;

	memset(bz, 0, sizeof(*bz));
	if (size < HDR_MIN_SIZE || rd(img, HDR_BOOT_FLAG, 2) != BOOT_FLAG || rd(img, HDR_MAGIC, 4) != HDRS_MAGIC)
		return -ENOENT;
	bz->version = (u16)rd(img, HDR_VERSION, 2);
	if (bz->version < PROTOCOL_MIN)
		return fail(bz, "boot protocol older than 2.12");
	if (!(img[HDR_LOADFLAGS] & LOADED_HIGH))
		return fail(bz, "not a bzImage (zImage kernels load below 1 MiB)");
	if (!(rd(img, HDR_XLOADFLAGS, 2) & XLF_KERNEL_64))
		return fail(bz, "no 64-bit kernel inside (xloadflags bit 0 clear)");
	setup_sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4; /* 0 means 4 (boot.rst) */
	bz->pm_offset = (u64)(setup_sects + 1) * 512;
	if (bz->pm_offset >= size)
		return fail(bz, "truncated: the file ends inside the real-mode setup code");
	bz->pm_size = size - bz->pm_offset;
	bz->room = MAX(rd(img, HDR_INIT_SIZE, 4), bz->pm_size);
	bz->pref = rd(img, HDR_PREF_ADDRESS, 8);
	bz->align = rd(img, HDR_KERNEL_ALIGNMENT, 4);
	if (!bz->align || (bz->align & (bz->align - 1)))
		bz->align = 2 * MIB;
	bz->relocatable = img[HDR_RELOCATABLE] != 0;
	/* A non-relocatable kernel runs at pref_address; it starts in 32-bit mode there. */
	if (!bz->relocatable && (bz->pref > 4 * GIB || bz->room > 4 * GIB - bz->pref))
		return fail(bz, "not relocatable, and pref_address + init_size lies above 4 GiB");
	bz->cmdline_max = MIN(rd(img, HDR_CMDLINE_SIZE, 4) + 1, (u64)BZ_CMDLINE_MAX);
	bz->initrd_limit = MIN(rd(img, HDR_INITRD_ADDR_MAX, 4) + 1, 4 * GIB);
	/* The header ends where the jump at 0x200 lands (boot.rst); boot_params holds it up to
	 * the fields the loader owns. */
	bz->hdr_end = MIN((u32)HDR_JUMP + 2 + img[HDR_JUMP + 1], (u32)HDR_COPY_END);
	return 0;
}
