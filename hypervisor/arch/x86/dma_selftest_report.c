/* The DMA self-test's reports and edu's registers, shared by its DMA part (dma_selftest.c) and
 * its interrupt part (dma_selftest_irq.c); see x86/dma_selftest.h. */
#include <stdarg.h>
#include <plinth_abi.h>
#include <plinth/console.h>
#include <plinth/format.h>
#include <x86/dma_selftest.h>

u32 edu_read32(const struct selftest *t, u32 reg)
{
	return *(volatile u32 *)(t->mmio + reg);
}

void edu_write32(const struct selftest *t, u32 reg, u32 v)
{
	*(volatile u32 *)(t->mmio + reg) = v;
}

void selftest_result(struct selftest *t, const char *check, bool ok, const char *fmt, ...)
{
	char detail[240], info[280];
	va_list ap;

	va_start(ap, fmt);
	vformat(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (ok) {
		format(info, sizeof(info), "%s: %s", check, detail);
		log_info(DMA_SELFTEST_FMT_INFO, info);
		log_info(DMA_SELFTEST_FMT_CHECK_PASS, check);
		t->passed++;
	} else {
		log_info(DMA_SELFTEST_FMT_CHECK_FAIL, check, detail);
		t->failed++;
	}
}

void selftest_info(const char *fmt, ...)
{
	char text[160];
	va_list ap;

	va_start(ap, fmt);
	vformat(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_info(DMA_SELFTEST_FMT_INFO, text);
}
