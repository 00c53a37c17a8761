/* The memory map a VM's guest is given (core/guest_map.c). Pure: host-tested. */
#ifndef PLINTH_GUEST_MAP_H
#define PLINTH_GUEST_MAP_H

#include <plinth/multiboot2.h>

struct vm;

/* A partition's low 1 MiB as on a PC: conventional memory below the EBDA, then the legacy video
 * window and the BIOS area reserved. No loader puts anything in the reserved part. */
#define GUEST_MAP_LOW_END 0x9f000
#define GUEST_MAP_ACPI_TABLES 0xe0000 /* where Linux's RSDP scan looks (ACPI 6.5, 5.2.5.1) */
#define GUEST_MAP_ACPI_END 0x100000
#define GUEST_MAP_HIGH_START 0x100000

/*
 * The firmware's map fw[0..n) as the VM's guest should see it: entries of the types guests
 * use as RAM (available, ACPI reclaimable, ACPI NVS) keep their type where the VM has RAM at
 * that guest-physical address and become reserved where it does not (the default VM's host
 * chunk that backs Plinth's range, say); other entries stay as they are. Writes at most max
 * entries in the firmware's order, adjacent pieces of one type merged; returns the count.
 * A partition's map ignores the firmware's: it is a PC's shape over the VM's RAM from 0, that
 * is available RAM [0, GUEST_MAP_LOW_END), reserved [GUEST_MAP_LOW_END, GUEST_MAP_HIGH_START)
 * (the VM's own ACPI tables live there, at GUEST_MAP_ACPI_TABLES), available RAM from
 * GUEST_MAP_HIGH_START on: each of its RAM ranges there as available RAM, the holes between
 * them left out (an identity layout, plinth/ram_layout.h, has RAM above 1 MiB only where its
 * host chunks are). Linux ignores an e820 map of fewer than two entries
 * (arch/x86/kernel/e820.c append_e820_table) and wants its low memory below the BIOS area.
 */
u32 guest_map(const struct vm *vm, const struct mem_range *fw, u32 n, struct mem_range *out, u32 max);
/* Whether the type is one guests use as RAM (and so the default VM maps as RAM). */
bool guest_map_ram_type(u32 type);
/* Whether [gpa, gpa + len) touches what the VM's map reserves inside its RAM (a partition's
 * low hole), where no loader may put anything. */
bool guest_map_reserved(const struct vm *vm, u64 gpa, u64 len);

#endif
