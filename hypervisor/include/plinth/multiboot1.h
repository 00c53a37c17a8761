/*
 * Multiboot specification 0.6.96 ("multiboot 1"): the kernel header (section 3.1) and the
 * boot information a loader hands over (section 3.3). Shared by Plinth's multiboot guest
 * loader (hypervisor/guest/multiboot.c) and the test guests (tests/guests/), which are such
 * kernels. The constants are usable from assembly.
 */
#ifndef PLINTH_MULTIBOOT1_H
#define PLINTH_MULTIBOOT1_H

#define MB1_HEADER_MAGIC 0x1BADB002
#define MB1_BOOTLOADER_MAGIC 0x2BADB002 /* in EAX at entry (section 3.2) */
#define MB1_SEARCH 8192			/* the header lies in the first 8 KiB, 4-byte aligned */

/* Header flags (section 3.1.2); the low 16 are requirements a loader must meet. */
#define MB1_HEADER_PAGE_ALIGN 0x00000001  /* modules page-aligned */
#define MB1_HEADER_MEMORY_INFO 0x00000002 /* mem_* and mmap_* wanted */
#define MB1_HEADER_VIDEO_MODE 0x00000004
#define MB1_HEADER_AOUT_KLUDGE 0x00010000 /* load by the address fields, not as ELF (3.1.3) */
#define MB1_HEADER_REQUIRED_MASK 0x0000ffff

/* Boot information flags (section 3.3): which fields are valid. */
#define MB1_INFO_MEMORY 0x001
#define MB1_INFO_CMDLINE 0x004
#define MB1_INFO_MODS 0x008
#define MB1_INFO_MMAP 0x040
#define MB1_INFO_LOADER_NAME 0x200

#define MB1_MMAP_AVAILABLE 1

#ifndef __ASSEMBLY__
#include <plinth/types.h>

struct mb1_header {
	u32 magic, flags, checksum;
	u32 header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

struct mb1_info {
	u32 flags;
	u32 mem_lower, mem_upper; /* KiB below 1 MiB / KiB from 1 MiB to the first hole */
	u32 boot_device;
	u32 cmdline; /* physical address of a NUL-terminated string */
	u32 mods_count, mods_addr;
	u32 syms[4];
	u32 mmap_length, mmap_addr;
	u32 drives_length, drives_addr, config_table, boot_loader_name;
} __packed;

struct mb1_module {
	u32 mod_start, mod_end, string, reserved;
};

/* One memory map entry; `size` does not count itself, so the next entry is at +size+4. */
struct mb1_mmap_entry {
	u32 size;
	u64 addr, len;
	u32 type;
} __packed;
#endif

#endif
