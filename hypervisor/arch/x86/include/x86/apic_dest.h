/* Which local APIC an IPI's destination names (apic_dest.c): pure, so host-tested. */
#ifndef X86_APIC_DEST_H
#define X86_APIC_DEST_H

#include <plinth/types.h>

/* A possible target: its APIC id, whether it sent the IPI, and (xAPIC) its logical
 * destination and destination format registers. */
struct apic_target {
	u32 apic_id;
	bool sender;
	u32 ldr, dfr;
};

/* Whether the ICR value (x2apic: the 64-bit x2APIC format; else high << 32 | low) delivers to
 * t: shorthand, physical or logical destination, flat or cluster model (SDM Vol. 3A, 11.6.2,
 * 11.12.10). */
bool apic_dest_matches(u64 icr, bool x2apic, const struct apic_target *t);

#endif
