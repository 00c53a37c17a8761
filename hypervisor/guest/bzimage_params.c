/* The boot_params ("zero page") a Linux guest starts with; see plinth/bzimage.h. Pure. */
#include <plinth/bzimage.h>
#include <plinth/string.h>
#include "bzimage_hdr.h"

static void wr(u8 *p, u32 off, u64 v, u32 bytes)
{
	memcpy(p + off, &v, bytes);
}

void bzimage_boot_params(u8 *bp, const u8 *image, const struct bzimage *bz, const struct bzimage_boot *b)
{
	u32 n = MIN(b->e820_count, (u32)BZ_E820_MAX), i;

	/* Zeroed, with the kernel's own setup header copied in (boot.rst, "The zero page"). */
	memset(bp, 0, BZ_PARAMS_SIZE);
	memcpy(bp + HDR_SETUP_SECTS, image + HDR_SETUP_SECTS, bz->hdr_end - HDR_SETUP_SECTS);
	bp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	wr(bp, HDR_VID_MODE, 0xffff, 2); /* "normal" */
	wr(bp, HDR_CODE32_START, b->load, 4);
	wr(bp, HDR_CMD_LINE_PTR, b->cmdline, 4);
	wr(bp, BP_EXT_CMD_LINE_PTR, b->cmdline >> 32, 4);
	wr(bp, HDR_RAMDISK_IMAGE, b->initrd, 4);
	wr(bp, HDR_RAMDISK_SIZE, b->initrd_size, 4);
	wr(bp, BP_EXT_RAMDISK_IMAGE, b->initrd >> 32, 4);
	wr(bp, BP_EXT_RAMDISK_SIZE, b->initrd_size >> 32, 4);
	for (i = 0; i < n; i++) {
		u32 e = BP_E820_TABLE + 20 * i;

		wr(bp, e, b->e820[i].start, 8);
		wr(bp, e + 8, b->e820[i].end - b->e820[i].start, 8);
		wr(bp, e + 16, b->e820[i].type, 4);
	}
	bp[BP_E820_ENTRIES] = (u8)n;
	wr(bp, BP_ACPI_RSDP_ADDR, b->rsdp, 8);
}
