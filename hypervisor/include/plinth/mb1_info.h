/* The multiboot 1 information structure Plinth hands a kernel (guest/mb1_info.c). Pure. */
#ifndef PLINTH_MB1_INFO_H
#define PLINTH_MB1_INFO_H

#include <plinth/multiboot2.h>

struct mb1_info_input {
	const char *cmdline;
	const struct boot_module *mods; /* the modules after the kernel, at guest-physical addresses */
	u32 mod_count;
	const struct mem_range *map; /* the guest's memory map */
	u32 map_count;
};

/*
 * Lays the information out in buf (cap bytes) as it will lie at guest-physical base (spec
 * 3.3): the structure, strings, module list and memory map, every pointer base-relative.
 * Returns the bytes used, or 0 when it does not fit in cap or an address passes 4 GiB.
 */
u32 mb1_info_build(u8 *buf, u32 cap, u64 base, const struct mb1_info_input *in);

#endif
