/* VT-d remapping unit registers (VT-d specification, chapter 11) and table entry bits
 * (chapter 9), shared by vtd.c, vtd_fault.c and vtd_qi.c. The CAP and ECAP fields come from
 * the generated vtd_caps.h (tools/vtdregs.py), which check-host decodes with too. */
#ifndef X86_VTD_REGS_H
#define X86_VTD_REGS_H

#include <plinth/types.h>
#include <vtd_caps.h>

#define VTD_VER 0x00
#define VTD_CAP 0x08
#define VTD_ECAP 0x10
#define VTD_GCMD 0x18
#define VTD_GSTS 0x1c
#define VTD_RTADDR 0x20
#define VTD_CCMD 0x28
#define VTD_FSTS 0x34
#define VTD_IQH 0x80
#define VTD_IQT 0x88
#define VTD_IQA 0x90
#define VTD_IRTA 0xb8

/* Global command and status (11.4.4, 11.4.5); interrupt remapping's bits are vtd_caps.h's. */
#define GCMD_TE BIT(31)
#define GCMD_SRTP BIT(30)
#define GCMD_WBF BIT(27)
#define GCMD_QIE BIT(26)
#define GSTS_TES BIT(31)
#define GSTS_RTPS BIT(30)
#define GSTS_WBFS BIT(27)
#define GSTS_QIES BIT(26)

/* Context command and IOTLB invalidation (11.4.7, 11.4.8.1): global granularity. */
#define CCMD_ICC BIT(63)
#define CCMD_GLOBAL (1ULL << 61)
#define IOTLB_IVT BIT(63)
#define IOTLB_GLOBAL (1ULL << 60)
#define IOTLB_DR BIT(49)
#define IOTLB_DW BIT(48)

/* Fault status and fault recording (11.4.9, 11.4.14). */
#define FSTS_PFO BIT(0)
#define FSTS_PPF BIT(1)
#define FSTS_IQE BIT(4) /* invalidation queue error */
#define FSTS_FRI(s) (((s) >> 8) & 0xff)
#define FRCD_F BIT(63)
/* FRCD_T, FRCD_REASON and FRCD_SID, what a record says: x86/vtd_fault.h. */

/* Root and context entries (9.1, 9.3). */
#define ROOT_PRESENT BIT(0)
#define CTX_PRESENT BIT(0)
#define CTX_TT_UNTRANSLATED (0ULL << 2)
#define CTX_AW_39 1ULL
#define CTX_AW_48 2ULL

struct vtd_unit {
	u64 base;
	u32 ver;
	u64 cap, ecap;
	bool include_all;
	/* Queued invalidation (vtd_qi.c), when the unit has it. */
	bool qi;
	u64 *qi_queue;
	u32 qi_tail;
	volatile u32 qi_status;
};

/* The units vtd_init found (vtd.c), for vtd_fault.c. */
extern struct vtd_unit vtd_units[];
extern u32 vtd_unit_count;

/* A unit's registers, through Plinth's identity map. */
static inline u32 vtd_read32(const struct vtd_unit *u, u32 reg)
{
	return *(volatile u32 *)(uintptr_t)(u->base + reg);
}

static inline u64 vtd_read64(const struct vtd_unit *u, u32 reg)
{
	return *(volatile u64 *)(uintptr_t)(u->base + reg);
}

static inline void vtd_write32(const struct vtd_unit *u, u32 reg, u32 v)
{
	*(volatile u32 *)(uintptr_t)(u->base + reg) = v;
}

static inline void vtd_write64(const struct vtd_unit *u, u32 reg, u64 v)
{
	*(volatile u64 *)(uintptr_t)(u->base + reg) = v;
}

/* How long Plinth polls a unit's register before it reports that the unit does not answer. */
#define VTD_POLL_SPINS 10000000

/* Waits until the global status bit is set (or clear); false when the unit does not answer. */
static inline bool vtd_wait_status(const struct vtd_unit *u, u32 bit, bool set)
{
	u32 spins = VTD_POLL_SPINS;

	while (!!(vtd_read32(u, VTD_GSTS) & bit) != set && --spins)
		__builtin_ia32_pause();
	return spins != 0;
}

#endif
