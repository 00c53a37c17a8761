// sources: hypervisor/core/multiboot2.c hypervisor/core/format.c
/*
 * The multiboot2 information parser (core/multiboot2.c) on any bytes: GRUB's structure is the
 * first thing Plinth reads. The input is the structure itself, 8-byte aligned as the loader
 * leaves it; its total_size field is clipped to the input's length (a structure in memory has
 * its bytes; here they end where the input does). Promises: a failed parse leaves one line of
 * error; counts stay within the arrays; every memory range and module is well formed.
 */
#include <stdalign.h>

#include <plinth/multiboot2.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct boot_info bi;
	uint32_t total;
	uint8_t *mbi;
	u32 i;
	int rc;

	if (size < 8 || size > MB2_INFO_MAX_SIZE)
		return 0;
	mbi = aligned_alloc(8, (size + 7) & ~(size_t)7);
	memcpy(mbi, data, size);
	memcpy(&total, mbi, 4);
	if (total > size) {
		total = (uint32_t)size;
		memcpy(mbi, &total, 4);
	}
	memset(&bi, 0, sizeof(bi));
	rc = mb2_parse(mbi, &bi);
	FUZZ_ASSERT(rc == 0 || bi.error[0]);
	FUZZ_ASSERT(strnlen(bi.error, sizeof(bi.error)) < sizeof(bi.error));
	FUZZ_ASSERT(bi.mmap_count <= BOOT_MMAP_MAX && bi.module_count <= BOOT_MODULES_MAX);
	for (i = 0; i < bi.mmap_count; i++)
		FUZZ_ASSERT(bi.mmap[i].start <= bi.mmap[i].end);
	for (i = 0; i < bi.module_count; i++)
		FUZZ_ASSERT(bi.modules[i].start <= bi.modules[i].end);
	if (bi.rsdp)
		FUZZ_ASSERT((const uint8_t *)bi.rsdp >= mbi && (const uint8_t *)bi.rsdp + bi.rsdp_len <= mbi + total);
	free(mbi);
	return 0;
}
