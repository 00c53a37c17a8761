/*
 * IPI destinations (SDM Vol. 3A, 11.6.2 "Determining IPI Destination", 11.12.10 for x2APIC):
 * a shorthand (self, all, all but self), or a physical APIC id, or a logical destination
 * matched against each target's logical APIC id: xAPIC flat model (a bit mask), xAPIC cluster
 * model (cluster in bits 7:4, members in 3:0), x2APIC (cluster in 31:16, members in 15:0, the
 * logical id derived from the x2APIC id). All ones is a broadcast in every mode.
 */
#include <x86/apic_dest.h>
#include <x86/processor.h>

#define DFR_MODEL_FLAT 0xf
#define XAPIC_BROADCAST 0xffu
#define X2APIC_BROADCAST 0xffffffffu

static bool logical_xapic(u32 mda, const struct apic_target *t)
{
	u32 lid = t->ldr >> 24;

	if ((t->dfr >> 28) == DFR_MODEL_FLAT)
		return (mda & lid) != 0;
	return (mda >> 4) == (lid >> 4) && (mda & lid & 0xf) != 0;
}

static bool logical_x2apic(u32 dest, u32 id)
{
	u32 ldr = ((id >> 4) << 16) | (1u << (id & 0xf));

	return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff) != 0;
}

bool apic_dest_matches(u64 icr, bool x2apic, const struct apic_target *t)
{
	u32 dest = x2apic ? (u32)(icr >> 32) : (u32)(icr >> 56);

	switch (APIC_ICR_SHORTHAND(icr)) {
	case APIC_SHORTHAND_SELF:
		return t->sender;
	case APIC_SHORTHAND_ALL:
		return true;
	case APIC_SHORTHAND_ALL_BUT_SELF:
		return !t->sender;
	}
	if (dest == (x2apic ? X2APIC_BROADCAST : XAPIC_BROADCAST))
		return true;
	if (!(icr & APIC_ICR_DEST_LOGICAL))
		return t->apic_id == dest;
	return x2apic ? logical_x2apic(dest, t->apic_id) : logical_xapic(dest, t);
}
