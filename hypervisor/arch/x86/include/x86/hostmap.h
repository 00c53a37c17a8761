/*
 * Plinth's own page tables (x86-64 4-level paging, SDM Vol. 3A 4.5): identity maps of what
 * Plinth touches. boot/entry.S maps the first 4 GiB to reach C; hostmap_boot.c then maps all
 * RAM of the memory map and the MMIO Plinth uses, with 1 GiB pages where the CPU has them
 * (CPUID.80000001H:EDX.Page1GB), else 2 MiB. The builder (hostmap.c) is pure: host-tested.
 */
#ifndef X86_HOSTMAP_H
#define X86_HOSTMAP_H

#include <plinth/multiboot2.h>
#include <plinth/types.h>

#define HOSTMAP_PAGE_2M (2 * MIB)
/* A 4-level walk reaches 256 TiB. */
#define HOSTMAP_LIMIT (1ULL << 48)

struct hostmap {
	u64 *pml4;
	void *(*alloc_page)(void); /* a zeroed 4 KiB page, NULL when there is none */
	bool allow_1g;
	u32 table_pages;
	u64 leaves_1g, leaves_2m;
};

int hostmap_init(struct hostmap *m, void *(*alloc_page)(void), bool allow_1g);
/* Identity-maps [start, end), grown outward to 2 MiB, with the leaf bits attr (X86_PTE_PCD for
 * uncached device memory) besides present and writable. What is mapped already stays as it is.
 * 0, -EINVAL (beyond HOSTMAP_LIMIT, or wrapping) or -ENOMEM. */
int hostmap_map(struct hostmap *m, u64 start, u64 end, u64 attr);
/* Whether every byte of [start, end) is mapped. */
bool hostmap_covers(const struct hostmap *m, u64 start, u64 end);

/* Plinth's tables for this machine: the first 4 GiB (firmware, local APIC, IOAPIC and PCI
 * device memory live there) and every RAM entry of the memory map (available, ACPI
 * reclaimable, ACPI NVS uncached); CR3 then points at them. Panics when the page pool cannot
 * hold them. */
void hostmap_boot(const struct boot_info *bi);
/* Adds device memory above what hostmap_boot mapped (a DMA remapping unit's registers). */
void hostmap_mmio(u64 start, u64 size);
/* Whether Plinth reaches [start, start + size) through its page tables. */
bool hostmap_reaches(u64 start, u64 size);
/* The root table, for CR3 of the CPUs that start later. */
u64 hostmap_cr3(void);

#endif
