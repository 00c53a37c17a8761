/* VT-d queued invalidation (vtd_qi.c). */
#ifndef X86_VTD_QI_H
#define X86_VTD_QI_H

#include <x86/vtd_regs.h>

/* Turns queued invalidation on for a unit; false when the unit does not answer (reported). */
bool vtd_qi_enable(struct vtd_unit *u);
/* Invalidates every context-cache and IOTLB entry through the queue and waits for completion;
 * false when the unit reports a queue error or does not answer. */
bool vtd_qi_invalidate_all(struct vtd_unit *u);

/* Invalidates the unit's interrupt entry cache, all of it or the entry index, and waits for
 * completion (6.5.2.7); false as vtd_qi_invalidate_all. */
bool vtd_qi_invalidate_iec(struct vtd_unit *u, bool global, u32 index);

#endif
