/* SMRAM and the host bridge (smram.c): locked at boot where the firmware left it open; the
 * host bridge's registers no guest may write (tools/chipset.py). */
#ifndef X86_SMRAM_H
#define X86_SMRAM_H

#include <plinth/types.h>

/* Finds the host bridge (00:00.0), reports SMRAM's state and locks it if it is unlocked. Boot
 * CPU, before any guest runs. */
void smram_lock(void);
/* What the host bridge's configuration byte at offset is, if no guest may write it; NULL
 * otherwise (or when the host bridge is not one Plinth knows). */
const char *smram_bridge_protects(u32 offset);
/* Whether a known host bridge has registers to protect (the filters are needed at all). */
bool smram_bridge_known(void);
/* The host bridge's PCI Express configuration page (from the ACPI MCFG table, 0 without one),
 * and setting it (platform.c). */
hpa_t smram_bridge_ecam_page(void);
void smram_set_ecam_base(hpa_t segment0_base);

#endif
