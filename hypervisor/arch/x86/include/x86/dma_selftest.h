/* The DMA self-test with QEMU's edu device (dma_selftest.c) and its interrupt part
 * (dma_selftest_irq.c): what they share. */
#ifndef X86_DMA_SELFTEST_H
#define X86_DMA_SELFTEST_H

#include <plinth/types.h>
#include <x86/pci.h>

struct selftest {
	volatile u8 *mmio; /* edu's BAR0 */
	u16 sid;
	u32 passed, failed;
};

/* One check's result in the test guest's format (tools/hvabi.py, source "dma-selftest"); a
 * pass's detail goes on an info line before it ("check: detail"). */
void selftest_result(struct selftest *t, const char *check, bool ok, const char *fmt, ...) __printf(4, 5);
void selftest_info(const char *fmt, ...) __printf(1, 2);
/* edu's 32-bit registers below 0x80. */
u32 edu_read32(const struct selftest *t, u32 reg);
void edu_write32(const struct selftest *t, u32 reg, u32 v);

/* The interrupt part, once edu answers: with VT-d interrupt remapping, edu's MSIs through a
 * valid entry arrive; through an absent entry, an entry of another requester, or in
 * compatibility format they are blocked. Says why when there is no interrupt remapping. */
void dma_selftest_interrupts(struct selftest *t, const struct pci_dev *edu);

#endif
