/* The memory map a VM's guest is given (core/guest_map.c). Pure: host-tested. */
#ifndef PLINTH_GUEST_MAP_H
#define PLINTH_GUEST_MAP_H

#include <plinth/multiboot2.h>

struct vm;

/*
 * The firmware's map fw[0..n) as the VM's guest should see it: entries of the types guests
 * use as RAM (available, ACPI reclaimable, ACPI NVS) keep their type where the VM has RAM at
 * that guest-physical address and become reserved where it does not (the default VM's host
 * chunk that backs Plinth's range, say); other entries stay as they are. Writes at most max
 * entries in the firmware's order, adjacent pieces of one type merged; returns the count.
 * A partition's map ignores the firmware's: its RAM from 0, available, and nothing else.
 */
u32 guest_map(const struct vm *vm, const struct mem_range *fw, u32 n, struct mem_range *out, u32 max);
/* Whether the type is one guests use as RAM (and so the default VM maps as RAM). */
bool guest_map_ram_type(u32 type);

#endif
