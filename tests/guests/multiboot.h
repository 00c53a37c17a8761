/*
 * Multiboot specification version 0.6.96 ("multiboot 1"): the header this guest carries
 * (section 3.1) and the boot information a loader hands it (section 3.3). Only what the
 * guest uses. The constants are also used by entry.S, so the C part is guarded.
 */
#ifndef GUEST_MULTIBOOT_H
#define GUEST_MULTIBOOT_H

#define MB1_HEADER_MAGIC 0x1BADB002
#define MB1_BOOTLOADER_MAGIC 0x2BADB002   /* in EAX at entry (section 3.2) */

/* Header flags (section 3.1.2). */
#define MB1_HEADER_PAGE_ALIGN 0x00000001  /* modules page-aligned */
#define MB1_HEADER_MEMORY_INFO 0x00000002 /* mem_* and mmap_* wanted */
#define MB1_HEADER_AOUT_KLUDGE 0x00010000 /* load by the address fields, not as ELF (3.1.3) */

#ifndef __ASSEMBLY__
#include <plinth/types.h>

/* Boot information flags (section 3.3): which fields below are valid. */
#define MB1_INFO_MEMORY BIT(0)
#define MB1_INFO_CMDLINE BIT(2)
#define MB1_INFO_MMAP BIT(6)

struct mb1_info {
	u32 flags;
	u32 mem_lower, mem_upper; /* KiB below 1 MiB / KiB from 1 MiB to the first hole */
	u32 boot_device;
	u32 cmdline;              /* physical address of a NUL-terminated string */
	u32 mods_count, mods_addr;
	u32 syms[4];
	u32 mmap_length, mmap_addr;
} __packed;

/* One memory map entry; `size` does not count itself, so the next entry is at +size+4. */
struct mb1_mmap_entry {
	u32 size;
	u64 addr, len;
	u32 type;
} __packed;

#define MB1_MMAP_AVAILABLE 1

#endif
#endif
