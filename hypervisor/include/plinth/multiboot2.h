/* Multiboot2 boot information (multiboot2 specification, section 3.6), read into a struct
 * boot_info by core/multiboot2.c. The parser is pure so it is unit-tested on the host. */
#ifndef PLINTH_MULTIBOOT2_H
#define PLINTH_MULTIBOOT2_H

#include <plinth/types.h>

/* Tag types Plinth reads (specification section 3.6). */
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_LOADER_NAME 2
#define MB2_TAG_MODULE 3
#define MB2_TAG_BASIC_MEMINFO 4
#define MB2_TAG_MMAP 6
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15

/* Memory map entry types; the same numbers as the BIOS e820 types. */
#define MB2_MEM_AVAILABLE 1
#define MB2_MEM_RESERVED 2
#define MB2_MEM_ACPI_RECLAIMABLE 3
#define MB2_MEM_NVS 4
#define MB2_MEM_BAD 5

#define BOOT_MMAP_MAX 128
#define BOOT_MODULES_MAX 16
#define BOOT_ERROR_LEN 160
/* An ACPI 1.0 RSDP (ACPI 6.5, 5.2.5.3): the least a tag 14 or 15 holds; revision 2 adds the
 * XSDT behind it (arch/x86/acpi.c reads both). */
#define ACPI_RSDP_V1_LEN 20u
/* A larger information structure is taken for a corrupt size field. */
#define MB2_INFO_MAX_SIZE (1u << 20)

struct mem_range {
	u64 start;
	u64 end; /* exclusive */
	u32 type;
};

struct boot_module {
	u64 start;
	u64 end; /* exclusive, as multiboot2 gives it */
	const char *cmdline;
};

struct boot_info {
	u64 mbi_start, mbi_end;
	const char *cmdline;
	const char *loader;
	struct mem_range mmap[BOOT_MMAP_MAX];
	u32 mmap_count;
	bool has_mmap;
	bool mmap_truncated;
	struct boot_module modules[BOOT_MODULES_MAX];
	u32 module_count;
	bool modules_truncated;
	u32 mem_lower_kib, mem_upper_kib;
	bool has_meminfo;
	const void *rsdp; /* copy of the RSDP inside the information structure */
	u32 rsdp_len;
	u8 rsdp_tag; /* MB2_TAG_ACPI_OLD or MB2_TAG_ACPI_NEW; 0 when absent */
	/* The first problem found; empty when the structure was well formed. Parsing stops at a
	 * malformed tag and keeps what it read before it. */
	char error[BOOT_ERROR_LEN];
};

/*
 * Reads the multiboot2 information structure at mbi (8-byte aligned) into bi.
 * Returns 0, or -EINVAL when the structure is malformed: bi->error says which tag, at which
 * offset, and what is wrong; what was read before the fault stays in bi.
 */
int mb2_parse(const void *mbi, struct boot_info *bi);

/* A short lowercase name for a memory map type ("available", "reserved", ...). */
const char *mb2_mem_type_name(u32 type);

#endif
