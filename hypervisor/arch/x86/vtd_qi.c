/*
 * VT-d queued invalidation (VT-d specification 6.5.2): a ring of 128-bit descriptors in
 * memory, a tail register Plinth advances, and an invalidation-wait descriptor whose status
 * write tells Plinth the work before it is done.
 */
#include <plinth/console.h>
#include <plinth/memory.h>
#include <x86/vtd_qi.h>
#include <x86/vtd_regs.h>

#define QI_ENTRIES 256 /* one 4 KiB page of 16-byte descriptors: IQA.QS = 0 */
#define QI_CC_GLOBAL (0x1 | (1ULL << 4))	 /* context-cache invalidate, global */
#define QI_IOTLB_GLOBAL (0x2 | (1ULL << 4) | BIT(7) | BIT(6)) /* IOTLB, global, drain reads/writes */
#define QI_WAIT_STATUS (0x5 | BIT(5))	 /* invalidation wait with a status write */
#define QI_IEC 0x4			 /* interrupt entry cache (6.5.2.7): global unless QI_IEC_INDEX */
#define QI_IEC_INDEX BIT(4)		 /* index-selective: IIDX in bits 47:32, index mask 0 */
#define QI_DONE 1u

bool vtd_qi_enable(struct vtd_unit *u)
{
	/* GCMD takes the persistent enables with each command (VT-d 11.4.4.1). */
	u32 keep = vtd_read32(u, VTD_GSTS) & (GSTS_TES | GSTS_IRES | GSTS_CFIS);

	/* Taken while a VM's DMA isolation is set up: a pool run dry fails that VM, not Plinth. */
	u->qi_queue = page_try_alloc();
	if (!u->qi_queue) {
		log_warn("vtd: unit at 0x%lx: no page for its invalidation queue: Plinth's page pool is exhausted", u->base);
		return false;
	}
	u->qi_tail = 0;
	vtd_write64(u, VTD_IQT, 0);
	vtd_write64(u, VTD_IQA, (u64)(uintptr_t)u->qi_queue); /* QS 0, 128-bit descriptors */
	vtd_write32(u, VTD_GCMD, keep | GCMD_QIE);
	if (!vtd_wait_status(u, GSTS_QIES, true)) {
		log_warn("vtd: unit at 0x%lx: queued invalidation did not turn on", u->base);
		return false;
	}
	u->qi = true;
	return true;
}

static void submit(struct vtd_unit *u, u64 lo, u64 hi)
{
	u64 *d = u->qi_queue + 2 * u->qi_tail;

	d[0] = lo;
	d[1] = hi;
	u->qi_tail = (u->qi_tail + 1) % QI_ENTRIES;
}

/* Queues a wait descriptor behind what was submitted, rings the doorbell and waits for the
 * unit to write the status: everything before it is then done. */
static bool submit_and_wait(struct vtd_unit *u)
{
	u32 spins = VTD_POLL_SPINS;

	submit(u, QI_WAIT_STATUS | ((u64)QI_DONE << 32), (u64)(uintptr_t)&u->qi_status);
	asm volatile("" ::: "memory");
	vtd_write64(u, VTD_IQT, (u64)u->qi_tail << 4);
	while (u->qi_status != QI_DONE && --spins) {
		if (vtd_read32(u, VTD_FSTS) & FSTS_IQE) {
			log_warn("vtd: unit at 0x%lx: invalidation queue error at descriptor 0x%lx", u->base,
				 vtd_read64(u, VTD_IQH) >> 4);
			return false;
		}
		__builtin_ia32_pause();
	}
	return spins != 0;
}

bool vtd_qi_invalidate_all(struct vtd_unit *u)
{
	u->qi_status = 0;
	submit(u, QI_CC_GLOBAL, 0);
	submit(u, QI_IOTLB_GLOBAL, 0);
	return submit_and_wait(u);
}

bool vtd_qi_invalidate_iec(struct vtd_unit *u, bool global, u32 index)
{
	u->qi_status = 0;
	submit(u, global ? QI_IEC : QI_IEC | QI_IEC_INDEX | (u64)(index & 0xffff) << 32, 0);
	return submit_and_wait(u);
}
