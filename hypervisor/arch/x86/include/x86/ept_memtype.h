/* EPT memory types of a VM's memory (ept_memtype.c): the firmware's MTRR types by host
 * address, and, once the guest has set its own MTRRs, the guest's types by guest-physical
 * address where Plinth lets them apply. Pure: unit-tested on the host. */
#ifndef X86_EPT_MEMTYPE_H
#define X86_EPT_MEMTYPE_H

#include <plinth/vm_mem.h>
#include <x86/mtrr.h>

/*
 * From guest-physical at (inside m, below end), the end of the run of addresses that share
 * one EPT memory type, and that type in *type. firmware types m by host address; guest, when
 * not NULL, is the guest's MTRR view, by guest-physical address:
 *  - guest RAM takes the guest's type (UC, WC, WT, WP or WB): the memory is the guest's, its
 *    types are the guest's business, and Plinth's own accesses go through its own mappings,
 *    whose types the host MTRRs keep;
 *  - MMIO keeps the firmware's type, except that an uncached range the guest makes
 *    write-combining becomes WC (a framebuffer); nothing else, so a device register never
 *    becomes cached for the guest (WB or WT over MMIO is ignored).
 * A type EPT cannot hold becomes UC.
 */
u64 ept_memtype_run(const struct mtrr_state *firmware, const struct mtrr_state *guest, const struct vm_mem *m,
		    gpa_t at, gpa_t end, u8 *type);

#endif
