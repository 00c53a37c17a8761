// sources: @loader-parse
/*
 * The Linux loader's parse step (guest/bzimage_parse.c) on any image, and the boot_params
 * built from what it accepts (guest/bzimage_params.c). Promises: the protected-mode kernel
 * lies inside the image; its working space is at least the kernel; the alignment is a power
 * of two; a non-relocatable kernel fits below 4 GiB; the header copied into boot_params lies
 * inside both the image and the zero page.
 */
#include <plinth/bzimage.h>
#include <plinth/errno.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bzimage bz;
	static u8 bp[BZ_PARAMS_SIZE];
	static const struct mem_range e820[] = { { 0, 0x9fc00, 1 }, { 0x100000, 0x20000000, 1 } };
	uint8_t *img = fuzz_copy(data, size);
	int rc = bzimage_parse(img, size, &bz);

	FUZZ_ASSERT(rc == 0 || rc == -ENOENT || (rc == -EINVAL && bz.error[0]));
	if (!rc) {
		struct bzimage_boot b = { .load = bz.relocatable ? 0x1000000 : bz.pref, .cmdline = 0x12000,
					  .e820 = e820, .e820_count = 2 };

		FUZZ_ASSERT(bz.pm_offset < size && bz.pm_offset + bz.pm_size == size && bz.pm_size);
		FUZZ_ASSERT(bz.room >= bz.pm_size);
		FUZZ_ASSERT(bz.align && !(bz.align & (bz.align - 1)));
		FUZZ_ASSERT(bz.relocatable || (bz.pref <= 4 * GIB && bz.room <= 4 * GIB - bz.pref));
		FUZZ_ASSERT(bz.hdr_end <= size && bz.hdr_end <= BZ_PARAMS_SIZE);
		FUZZ_ASSERT(bz.cmdline_max >= 1 && bz.cmdline_max <= BZ_CMDLINE_MAX);
		bzimage_boot_params(bp, img, &bz, &b);
	}
	free(img);
	return 0;
}
