/*
 * DMA self-test with QEMU's edu device (QEMU docs/specs/edu.rst). edu copies between memory
 * and a 4 KiB buffer of its own, so Plinth can make a device read and write any address it
 * likes: behind VT-d, a copy into the VM's RAM must arrive; one to the address of Plinth's
 * memory must land in the VM's RAM that stands in for it (guest-physical [Plinth's range] is
 * backed elsewhere) and leave Plinth unchanged; one to that stand-in's own address, no RAM of
 * the VM, must fault and change nothing. This is what QEMU's TCG (no VMX, but an Intel IOMMU)
 * can prove.
 *
 * Then the interrupt part (dma_selftest_irq.c): edu's MSIs through VT-d interrupt remapping.
 *
 * It reports as the test guest does (tools/hvabi.py), under the source word "dma-selftest":
 * one check line each, an info line with what a passing check saw, and a summary.
 */
#include <plinth_abi.h>
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/errno.h>
#include <plinth/memory.h>
#include <plinth/string.h>
#include <plinth/vm_mem.h>
#include <x86/dma_selftest.h>
#include <x86/hostmap.h>
#include <x86/pci.h>
#include <x86/pit.h>
#include <x86/vtd.h>

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8

/* BAR0 registers: 32-bit accesses below 0x80, 32- or 64-bit from there */
#define EDU_ID 0x00 /* 0xRRrr00ed: major and minor version, then the magic */
#define EDU_ID_MAGIC_MASK 0xffff
#define EDU_ID_MAGIC 0x00ed
#define EDU_LIVENESS 0x04 /* reads back the inverse of what was written */
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_COUNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_START BIT(0) /* cleared by edu when the transfer is done */
#define EDU_DMA_TO_RAM BIT(1) /* direction: 0 memory -> edu buffer, 1 edu buffer -> memory */

#define EDU_BUF 0x40000 /* edu's 4 KiB buffer, in edu's own address space */
/* QEMU 7.2's edu takes a transfer that ends exactly at its buffer's end for out of bounds and
 * stops the whole emulator (an off-by-one in edu_check_range): stay clear of the end. */
#define EDU_DMA_SIZE 2048
/* edu masks DMA addresses to 28 bits: a higher address would land elsewhere, not fault. */
#define EDU_DMA_LIMIT (256 * MIB)
#define EDU_DMA_TIMEOUT_MS 2000 /* QEMU finishes a transfer 100 ms after the start */
#define FAULT_TIMEOUT_MS 100

#define LIVENESS_PATTERN 0x12345678u
#define CANARY 0xc5
#define MAX_PCI_FUNCTIONS 64

static inline void barrier(void)
{
	asm volatile("" ::: "memory");
}

/* The barriers order edu's accesses to RAM against the CPU's own, as the compiler sees them. */
static u64 edu_read64(const struct selftest *t, u32 reg)
{
	u64 v = *(volatile u64 *)(t->mmio + reg);

	barrier();
	return v;
}

static void edu_write64(const struct selftest *t, u32 reg, u64 v)
{
	barrier();
	*(volatile u64 *)(t->mmio + reg) = v;
}

/* One edu transfer of EDU_DMA_SIZE bytes; -EBUSY when edu does not finish in time. */
static int edu_dma(const struct selftest *t, u64 src, u64 dst, bool to_ram)
{
	u32 ms;

	edu_write64(t, EDU_DMA_SRC, src);
	edu_write64(t, EDU_DMA_DST, dst);
	edu_write64(t, EDU_DMA_COUNT, EDU_DMA_SIZE);
	edu_write64(t, EDU_DMA_CMD, EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0));
	for (ms = 0; ms < EDU_DMA_TIMEOUT_MS; ms++) {
		if (!(edu_read64(t, EDU_DMA_CMD) & EDU_DMA_START))
			return 0;
		pit_udelay(1000);
	}
	return -EBUSY;
}

/* Step b: BAR0 inside Plinth's map, decoding and bus mastering on, edu answering. */
static bool check_identity(struct selftest *t, const struct pci_dev *edu)
{
	u64 size, bar = pci_bar(edu->bus, edu->dev, edu->fn, 0, &size);
	u32 id, live;

	if (!bar || !size || !hostmap_reaches(bar, size)) {
		selftest_result(t, "identification", false, "BAR0 0x%lx, %lu KiB: unassigned or outside Plinth's page tables",
		       bar, size / KIB);
		return false;
	}
	pci_enable(edu->bus, edu->dev, edu->fn, true, true);
	t->mmio = (volatile u8 *)(uintptr_t)bar;
	id = edu_read32(t, EDU_ID);
	edu_write32(t, EDU_LIVENESS, LIVENESS_PATTERN);
	live = edu_read32(t, EDU_LIVENESS);
	selftest_result(t, "identification", (id & EDU_ID_MAGIC_MASK) == EDU_ID_MAGIC && live == ~LIVENESS_PATTERN,
	       "BAR0 0x%lx, %lu KiB, id 0x%08x, liveness 0x%08x -> 0x%08x", bar, size / KIB, id,
	       LIVENESS_PATTERN, live);
	return !t->failed;
}

/* Step c: edu in the VM's domain, translation on. */
static bool check_translation(struct selftest *t, struct vm *vm)
{
	struct vtd_domain *d;
	int rc;

	if (!vtd_present()) {
		selftest_result(t, "translation", false, "unavailable: no DMA remapping unit, so no DMA isolation");
		return false;
	}
	if (!vm) {
		selftest_result(t, "translation", false, "no VM description to build a domain from");
		return false;
	}
	d = vtd_domain_for_vm(vm);
	if (!d) {
		selftest_result(t, "translation", false, "no DMA domain for %s", vm->name);
		return false;
	}
	rc = vtd_attach(t->sid, d);
	if (!rc)
		rc = vtd_enable();
	if (rc)
		selftest_result(t, "translation", false, "attaching edu to %s's domain and enabling translation: error %d",
		       vm->name, rc);
	else
		selftest_result(t, "translation", true, "edu attached to %s's domain, translation enabled", vm->name);
	return !rc;
}

/* A RAM page (not Plinth's) that edu can address; 0 when there is none. */
static u64 ram_page(void)
{
	u64 pa;

	if (pmm_alloc(&ram, PMM_PAGE_SIZE, PMM_PAGE_SIZE, &pa))
		return 0;
	if (pa + PMM_PAGE_SIZE > EDU_DMA_LIMIT) {
		pmm_free(&ram, pa, PMM_PAGE_SIZE);
		return 0;
	}
	return pa;
}

/* Step d: RAM page A -> edu's buffer -> RAM page B; B must equal A. false when edu is stuck. */
static bool check_allowed(struct selftest *t)
{
	u64 a = ram_page(), b = ram_page();
	u32 *pa = (u32 *)(uintptr_t)a, *pb = (u32 *)(uintptr_t)b;
	int rc = 0;
	u32 i;

	if (!a || !b) {
		selftest_result(t, "allowed-dma", false, "no free RAM page below edu's 256 MiB DMA limit");
		goto out;
	}
	for (i = 0; i < EDU_DMA_SIZE / 4; i++)
		pa[i] = 0x9e3779b9u * (i + 1); /* no two words alike: a misplaced copy shows */
	memset(pb, 0, EDU_DMA_SIZE);
	rc = edu_dma(t, a, EDU_BUF, false);
	if (!rc)
		rc = edu_dma(t, EDU_BUF, b, true);
	if (rc) {
		selftest_result(t, "allowed-dma", false, "edu did not finish a transfer within %u ms", EDU_DMA_TIMEOUT_MS);
		goto out;
	}
	for (i = 0; i < EDU_DMA_SIZE / 4 && pa[i] == pb[i]; i++)
		;
	if (i < EDU_DMA_SIZE / 4)
		selftest_result(t, "allowed-dma", false, "RAM 0x%lx -> edu -> RAM 0x%lx: word %u is 0x%08x, not 0x%08x", a,
		       b, i, pb[i], pa[i]);
	else
		selftest_result(t, "allowed-dma", true, "%u bytes RAM 0x%lx -> edu -> RAM 0x%lx arrived intact", EDU_DMA_SIZE,
		       a, b);
out:
	if (a)
		pmm_free(&ram, a, PMM_PAGE_SIZE);
	if (b)
		pmm_free(&ram, b, PMM_PAGE_SIZE);
	return !rc;
}

/* What a page of the pattern check_allowed sent through edu's buffer holds. */
static bool holds_pattern(const u32 *p)
{
	u32 i;

	for (i = 0; i < EDU_DMA_SIZE / 4; i++)
		if (p[i] != 0x9e3779b9u * (i + 1))
			return false;
	return true;
}

/* Waits a little for the unit to record a fault by edu at addr. */
static bool fault_seen(const struct selftest *t, u64 addr)
{
	u32 i;

	/* The fault is recorded by the time edu is done, on QEMU; real units may lag a little. */
	for (i = 0; i < FAULT_TIMEOUT_MS; i++) {
		vtd_poll_faults();
		if (vtd_fault_seen(t->sid, addr, true))
			return true;
		pit_udelay(1000);
	}
	return false;
}

/* edu's buffer -> iova with page (Plinth's view of what must stay as it is) full of CANARY:
 * whether a fault was reported and the page kept its bytes. false when edu is stuck (the
 * check's failure is then reported). */
static bool write_and_watch(struct selftest *t, const char *check, u64 iova, const u8 *page, bool *seen,
			    bool *intact)
{
	u32 i;

	memset((void *)page, CANARY, PMM_PAGE_SIZE);
	if (edu_dma(t, EDU_BUF, iova, true)) {
		selftest_result(t, check, false, "edu did not finish a transfer within %u ms", EDU_DMA_TIMEOUT_MS);
		return false;
	}
	*seen = fault_seen(t, iova);
	*intact = true;
	for (i = 0; i < PMM_PAGE_SIZE; i++)
		*intact &= page[i] == CANARY;
	return true;
}

/* Step e: edu's buffer -> the address of a page of Plinth's pool. Guest-physical [Plinth's
 * range] is the VM's RAM in another host chunk, so the write must land there, not in Plinth. */
static void check_plinth_address(struct selftest *t, struct vm *vm)
{
	u8 *page = page_alloc();
	u64 pa = (u64)(uintptr_t)page;
	const struct vm_mem *m = vm_mem_find(vm, pa, PMM_PAGE_SIZE);
	u64 host = m && m->kind == VM_MEM_RAM ? m->hpa + (pa - m->gpa) : 0;
	bool seen, intact, arrived;

	if (!host || host == pa || pa + PMM_PAGE_SIZE > EDU_DMA_LIMIT) {
		selftest_result(t, "plinth-dma", false, "pool page 0x%lx below 256 MiB is not the VM's RAM elsewhere (0x%lx)", pa,
		       host);
	} else {
		memset((void *)(uintptr_t)host, 0, PMM_PAGE_SIZE);
		if (write_and_watch(t, "plinth-dma", pa, page, &seen, &intact)) {
			arrived = holds_pattern((const u32 *)(uintptr_t)host);
			selftest_result(t, "plinth-dma", !seen && intact && arrived,
			       "write to Plinth's address 0x%lx: %s, %s at host 0x%lx, Plinth's page %s", pa,
			       seen ? "FAULT reported" : "no fault",
			       arrived ? "arrived in the VM's RAM" : "NOT in the VM's RAM", host,
			       intact ? "unchanged" : "OVERWRITTEN");
		}
	}
	page_free(page);
}

/* Step f: edu's buffer -> the host chunk behind Plinth's range, at its own address: that is no
 * RAM of the VM (the guest must not alias its own memory), so it must fault and change nothing.
 * Without such a chunk Plinth's range is absent: aim at a pool page then. */
static void check_blocked(struct selftest *t, struct vm *vm)
{
	const struct vm_mem *m = vm_mem_find(vm, plinth_reserved.start, 1);
	bool backed = m && m->kind == VM_MEM_RAM, seen, intact;
	u8 *page = backed ? (u8 *)(uintptr_t)m->hpa : page_alloc();
	u64 pa = (u64)(uintptr_t)page;

	if (vm_mem_find(vm, pa, PMM_PAGE_SIZE) || pa + PMM_PAGE_SIZE > EDU_DMA_LIMIT)
		selftest_result(t, "blocked-dma", false, "page 0x%lx is the VM's, or beyond edu's 256 MiB reach", pa);
	else if (write_and_watch(t, "blocked-dma", pa, page, &seen, &intact))
		selftest_result(t, "blocked-dma", seen && intact, "write to 0x%lx (%s): %s, page %s", pa,
		       backed ? "the host chunk behind Plinth's range" : "Plinth's pool",
		       seen ? "fault reported" : "no fault reported", intact ? "unchanged" : "OVERWRITTEN");
	if (!backed)
		page_free(page);
}

void arch_dma_selftest(struct vm *vm)
{
	static struct pci_dev devs[MAX_PCI_FUNCTIONS];
	const struct pci_dev *edu;
	struct selftest t = { 0 };
	bool answers;
	u32 n;

	n = pci_enumerate(devs, ARRAY_SIZE(devs));
	pci_print(devs, n);
	edu = pci_find(devs, n, EDU_VENDOR, EDU_DEVICE);
	if (!edu) {
		selftest_info("no edu device (QEMU: -device edu)");
		return;
	}
	selftest_info("edu at %02x:%02x.%u", edu->bus, edu->dev, edu->fn);
	t.sid = VTD_SID(edu->bus, edu->dev, edu->fn);
	/* Without translation edu's write would really land in Plinth: no DMA then. */
	answers = check_identity(&t, edu);
	if (answers && check_translation(&t, vm) && check_allowed(&t)) {
		check_plinth_address(&t, vm);
		check_blocked(&t, vm);
	}
	/* Interrupt remapping does not depend on DMA remapping: only on edu answering. */
	if (answers)
		dma_selftest_interrupts(&t, edu);
	log_info(DMA_SELFTEST_FMT_SUMMARY, t.passed, t.failed);
}
