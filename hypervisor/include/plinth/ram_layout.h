/* Where a partition VM's RAM chunks (plinth/ram_place.h) appear in its guest-physical space
 * (core/ram_layout.c). Pure: host-tested.
 *
 * Ordinary: the chunks one after another from guest-physical 0, the VM's RAM [0, size).
 * Identity, for a VM whose devices do DMA without remapping (no VT-d, iommu=optional): a
 * device is given guest-physical addresses and uses them as host-physical ones, so the RAM a
 * guest hands to devices must lie at guest-physical = host-physical. Guest-physical [0, 1 MiB)
 * (the real-mode area, the VM's ACPI tables, its reset vector, the boot hand-over block) is
 * the first 1 MiB of the first chunk, and everything else is at its own host address: the rest
 * of the first chunk, and every other chunk whole. Linux (5.13 and later) reserves the whole
 * first MiB, so it never gives a device a buffer there. A chunk at host 0 makes the whole VM
 * identity. The same RAM either way, none left unused; only the guest-physical hole below the
 * lowest chunk (and between chunks) differs.
 */
#ifndef PLINTH_RAM_LAYOUT_H
#define PLINTH_RAM_LAYOUT_H

#include <plinth/ram_place.h>

/* The low guest-physical RAM that an identity layout takes from its first chunk. */
#define RAM_LAYOUT_LOW MIB
/* The first chunk of an identity layout gives two ranges, every other one. */
#define RAM_LAYOUT_MAX (RAM_PLACE_MAX + 1)

struct ram_layout_range {
	u64 gpa, hpa, size;
};

struct ram_layout {
	u32 count;
	struct ram_layout_range range[RAM_LAYOUT_MAX]; /* by guest-physical address, lowest first */
};

/* The layout of p's chunks, ordinary or identity (see above). 0 with *out filled in; -EINVAL
 * when p has no chunk, more than RAM_PLACE_MAX, or a chunk that is empty, wraps or is not
 * 2 MiB aligned (none that ram_place makes). */
int ram_layout(const struct ram_place *p, bool identity, struct ram_layout *out);

#endif
