/*
 * The DMA self-test's interrupt part: edu raises an MSI when its interrupt-raise register is
 * written (QEMU docs/specs/edu.rst), which is the DMA write to 0xfeexxxxx that interrupt
 * remapping must vet. With remapping on and compatibility format blocked:
 *  - irq-remapped: an MSI in remappable format through an entry Plinth wrote for edu arrives
 *    at this CPU with the entry's vector;
 *  - irq-wrong-source: through an entry written for another requester, it is blocked;
 *  - irq-absent: through an entry that was written and then removed, it is blocked;
 *  - irq-routed: a guest's compatibility-format pair for this CPU, taken by partitions' MSI
 *    routing (x86/msi_route.h) with edu's enable bit as its mask, as vm_msi.c does for a
 *    partition's MSI capability: edu gets an entry's remappable pair, and the MSI arrives with
 *    the guest's vector;
 *  - irq-route-refused: the same vector rewritten for an APIC ID that is not a CPU here: the
 *    routing refuses it, turns edu's MSI off and frees the entry; the MSI does not arrive;
 *  - irq-compat: in compatibility format (address and data naming this CPU and a vector
 *    directly, as any device could write them), it is blocked.
 * A blocked MSI should also leave an interrupt-remapping fault, decoded on the console; each
 * check says whether the unit recorded one (QEMU before 8.1 records none).
 *
 * How an arrival is seen: Plinth runs with interrupts disabled and has no interrupt gates, so
 * a fixed interrupt the local APIC accepts stays in its IRR. Each check uses a vector of its
 * own, so an earlier arrival cannot hide a later one, and the vectors stay pending: nothing
 * takes them, and the self-test runs no guest afterwards. Enabling interrupts instead would
 * open Plinth to whatever the firmware left pending on the 8259, whose vectors the BIOS set
 * to 8-15, Plinth's exception vectors.
 */
#include <plinth/console.h>
#include <plinth/errno.h>
#include <plinth/format.h>
#include <x86/apic.h>
#include <x86/dma_selftest.h>
#include <x86/msi_route.h>
#include <x86/percpu.h>
#include <x86/pit.h>
#include <x86/vtd.h>
#include <x86/vtd_ir.h>

/* edu's interrupt registers (edu.rst): the status ORs what is written to raise, an
 * acknowledge clears bits of it; with MSI enabled each raise sends one MSI. */
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_IRQ_TEST BIT(0)

/* The MSI capability (PCI 3.0, 6.8.1): 64-bit address form, as edu has it. */
#define PCI_CAP_ID_MSI 0x05
#define MSI_CAP_CONTROL 2
#define MSI_CAP_CONTROL_ENABLE BIT(0)
#define MSI_CAP_CONTROL_64BIT BIT(7)
#define MSI_CAP_ADDRESS_LO 4
#define MSI_CAP_ADDRESS_HI 8
#define MSI_CAP_DATA_64 12
#define MSI_CAP_DATA_32 8

/* The compatibility format (SDM Vol. 3A, 11.11.1): fixed, edge, physical destination. */
#define MSI_COMPAT_ADDRESS(dest) (0xfee00000u | ((dest) & 0xff) << 12)

/* One vector per check, above everything firmware and guests use. */
#define VECTOR_REMAPPED 0xe0
#define VECTOR_ABSENT 0xe1
#define VECTOR_WRONG_SOURCE 0xe2
#define VECTOR_COMPAT 0xe3
#define VECTOR_ROUTED 0xe4
#define VECTOR_ROUTE_REFUSED 0xe5
#define VECTORS 6
#define ARRIVAL_TIMEOUT_MS 100

struct irq_test {
	struct selftest *t;
	int remapped, wrong_source; /* entries kept to the end, so that each check's index differs */
	const struct pci_dev *edu;
	u8 msi;	 /* edu's MSI capability offset */
	u32 dest; /* this CPU's APIC ID */
	u32 apic_ids[PLINTH_MAX_CPUS], ncpus;
};

static void msi_pair(const struct irq_test *x, u32 addr, u32 data)
{
	const struct pci_dev *e = x->edu;
	u16 control = pci_config_read16(e->bus, e->dev, e->fn, (u8)(x->msi + MSI_CAP_CONTROL));
	bool wide = control & MSI_CAP_CONTROL_64BIT;

	pci_config_write32(e->bus, e->dev, e->fn, (u8)(x->msi + MSI_CAP_ADDRESS_LO), addr);
	if (wide)
		pci_config_write32(e->bus, e->dev, e->fn, (u8)(x->msi + MSI_CAP_ADDRESS_HI), 0);
	pci_config_write16(e->bus, e->dev, e->fn, (u8)(x->msi + (wide ? MSI_CAP_DATA_64 : MSI_CAP_DATA_32)), (u16)data);
}

static void msi_enable(const struct irq_test *x, bool on)
{
	const struct pci_dev *e = x->edu;
	u16 control = pci_config_read16(e->bus, e->dev, e->fn, (u8)(x->msi + MSI_CAP_CONTROL));

	control = (u16)(on ? control | MSI_CAP_CONTROL_ENABLE : control & ~MSI_CAP_CONTROL_ENABLE);
	pci_config_write16(e->bus, e->dev, e->fn, (u8)(x->msi + MSI_CAP_CONTROL), control);
}

static void msi_program(const struct irq_test *x, u32 addr, u32 data)
{
	msi_pair(x, addr, data);
	msi_enable(x, true);
}

static void msi_disable(const struct irq_test *x)
{
	msi_enable(x, false);
}

/* Which of the test vectors are pending, as a bit mask (bit i: VECTOR_REMAPPED + i). */
static u32 pending(void)
{
	u32 mask = 0, i;

	for (i = 0; i < VECTORS; i++)
		if (apic_irr_pending((u8)(VECTOR_REMAPPED + i)))
			mask |= BIT(i);
	return mask;
}

/* Makes edu send one MSI with addr/data and waits for vector; the pending test vectors
 * afterwards in *after. NULL, or what kept the MSI from telling anything. */
static const char *raise_as_is(const struct irq_test *x, u8 vector, u32 *after)
{
	u32 bit = BIT(vector - VECTOR_REMAPPED), ms;
	bool raised;

	if (pending() & bit)
		return "the vector was pending before edu's MSI";
	edu_write32(x->t, EDU_IRQ_RAISE, EDU_IRQ_TEST);
	raised = edu_read32(x->t, EDU_IRQ_STATUS) & EDU_IRQ_TEST;
	for (ms = 0; ms < ARRIVAL_TIMEOUT_MS && raised && !(pending() & bit); ms++)
		pit_udelay(1000);
	edu_write32(x->t, EDU_IRQ_ACK, EDU_IRQ_TEST);
	*after = pending();
	return raised ? NULL : "edu's interrupt status did not take the raise";
}

static const char *raise(const struct irq_test *x, u32 addr, u32 data, u8 vector, u32 *after)
{
	msi_program(x, addr, data);
	return raise_as_is(x, vector, after);
}

/* The interrupt-remapping fault recorded for edu's MSI at index, as a phrase in buf. */
static const char *fault_phrase(const struct irq_test *x, u32 index, char *buf, size_t n)
{
	u32 ms;
	u8 reason = 0;

	for (ms = 0; ms < ARRIVAL_TIMEOUT_MS && !reason; ms++) {
		vtd_poll_faults();
		reason = vtd_ir_fault_seen(x->t->sid, index);
		if (!reason)
			pit_udelay(1000);
	}
	if (!reason)
		return "no fault recorded by the unit";
	format(buf, n, "fault recorded: reason 0x%x, %s", reason, vtd_ir_fault_name(reason));
	return buf;
}

/* A check whose MSI must not arrive. */
static void expect_blocked(const struct irq_test *x, const char *check, const char *what, u32 addr, u32 data,
			   u8 vector, u32 index)
{
	const char *problem;
	char fault[128];
	u32 after;

	problem = raise(x, addr, data, vector, &after);
	if (problem) {
		selftest_result(x->t, check, false, "vector 0x%x: %s", vector, problem);
		return;
	}
	selftest_result(x->t, check, !(after & BIT(vector - VECTOR_REMAPPED)),
			"%s (address 0x%x, data 0x%x): %s vector 0x%x, %s", what, addr, data,
			after & BIT(vector - VECTOR_REMAPPED) ? "DELIVERED as" : "blocked, no", vector,
			fault_phrase(x, index, fault, sizeof(fault)));
}

static void check_remapped(struct irq_test *x)
{
	int index = vtd_ir_remap(x->t->sid, VECTOR_REMAPPED, x->dest, x->apic_ids, x->ncpus);
	const char *problem;
	u32 addr, data, after;

	if (index < 0) {
		selftest_result(x->t, "irq-remapped", false, "no entry for edu's vector 0x%x to APIC %u: error %d",
				VECTOR_REMAPPED, x->dest, index);
		return;
	}
	msi_remappable((u32)index, &addr, &data);
	problem = raise(x, addr, data, VECTOR_REMAPPED, &after);
	if (problem)
		selftest_result(x->t, "irq-remapped", false, "vector 0x%x: %s", VECTOR_REMAPPED, problem);
	else
		selftest_result(x->t, "irq-remapped", after == BIT(0),
				"MSI through entry %d (address 0x%x, data 0x%x) %s at APIC %u as vector 0x%x; "
				"test vectors pending 0x%x",
				index, addr, data, after & BIT(0) ? "arrived" : "did NOT arrive", x->dest,
				VECTOR_REMAPPED, after);
	x->remapped = index;
}

static void check_absent(struct irq_test *x)
{
	int index = vtd_ir_remap(x->t->sid, VECTOR_ABSENT, x->dest, x->apic_ids, x->ncpus);
	u32 addr, data;

	if (index < 0 || vtd_ir_unmap((u32)index)) {
		selftest_result(x->t, "irq-absent", false, "writing and removing an entry failed (%d)", index);
		return;
	}
	msi_remappable((u32)index, &addr, &data);
	expect_blocked(x, "irq-absent", "MSI through removed entry", addr, data, VECTOR_ABSENT, (u32)index);
}

static void check_wrong_source(struct irq_test *x)
{
	u16 other = x->t->sid ^ (1u << 3); /* the next device number on edu's bus */
	int index = vtd_ir_remap(other, VECTOR_WRONG_SOURCE, x->dest, x->apic_ids, x->ncpus);
	u32 addr, data;
	char what[64];

	if (index < 0) {
		selftest_result(x->t, "irq-wrong-source", false, "no entry for requester 0x%x: error %d", other, index);
		return;
	}
	msi_remappable((u32)index, &addr, &data);
	format(what, sizeof(what), "MSI through entry %d of requester %02x:%02x.%u", index, other >> 8,
	       (other >> 3) & 0x1f, other & 7);
	expect_blocked(x, "irq-wrong-source", what, addr, data, VECTOR_WRONG_SOURCE, (u32)index);
	x->wrong_source = index;
}

/* msi_route's device side for edu's MSI capability, the enable bit as the mask (vm_msi.c's). */
static void route_mask(void *ctx)
{
	msi_enable(ctx, false);
}

static void route_unmask(void *ctx)
{
	msi_enable(ctx, true);
}

static void route_write(void *ctx, u64 addr, u32 data)
{
	msi_pair(ctx, (u32)addr, data);
}

static int route_remap(void *ctx, u8 vector, u32 dest)
{
	const struct irq_test *x = ctx;

	return vtd_ir_remap(x->t->sid, vector, dest, x->apic_ids, x->ncpus);
}

static void route_unmap(void *ctx, u32 index)
{
	(void)ctx;
	vtd_ir_unmap(index);
}

static const struct msi_route_ops route_ops = { route_mask, route_unmask, route_write, route_remap, route_unmap };

static void check_routed(struct irq_test *x)
{
	struct msi_route r = { 0 };
	struct msi_goal g;
	u32 outside = 0, after, rc, i, index;
	const char *problem;

	msi_route_goal(MSI_COMPAT_ADDRESS(x->dest), VECTOR_ROUTED, false, x->apic_ids, x->ncpus, &g);
	rc = msi_route_apply(&r, &g, true, &route_ops, x);
	if (rc != IRQ_OK || !r.remapped) {
		selftest_result(x->t, "irq-routed", false, "the pair for APIC %u vector 0x%x was not routed: %s", x->dest,
				VECTOR_ROUTED, irq_refusal_name(rc));
		return;
	}
	problem = raise_as_is(x, VECTOR_ROUTED, &after);
	selftest_result(x->t, "irq-routed", !problem && (after & BIT(VECTOR_ROUTED - VECTOR_REMAPPED)),
			"the guest's pair (address 0x%x, data 0x%x) became entry %u (address 0x%lx, data 0x%x): %s",
			MSI_COMPAT_ADDRESS(x->dest), VECTOR_ROUTED, r.irte, r.dev_addr, r.dev_data,
			problem ? problem : after & BIT(VECTOR_ROUTED - VECTOR_REMAPPED) ? "arrived" : "did NOT arrive");
	/* An APIC ID that is none of the CPUs': the lowest one above them all. */
	for (i = 0; i < x->ncpus; i++)
		outside = MAX(outside, x->apic_ids[i] + 1);
	index = r.irte;
	msi_route_goal(MSI_COMPAT_ADDRESS(outside), VECTOR_ROUTE_REFUSED, false, x->apic_ids, x->ncpus, &g);
	rc = msi_route_apply(&r, &g, true, &route_ops, x);
	problem = raise_as_is(x, VECTOR_ROUTE_REFUSED, &after);
	selftest_result(x->t, "irq-route-refused",
			rc == IRQ_REFUSE_DEST && !r.live && !r.remapped && vtd_ir_unmap(index) == -EINVAL && !problem &&
				!(after & BIT(VECTOR_ROUTE_REFUSED - VECTOR_REMAPPED)),
			"the pair for APIC %u: %s, entry %u freed, MSI %s: vector 0x%x %s", outside, irq_refusal_name(rc),
			index, r.live ? "still on" : "off", VECTOR_ROUTE_REFUSED,
			problem ? problem : after & BIT(VECTOR_ROUTE_REFUSED - VECTOR_REMAPPED) ? "DELIVERED" : "not delivered");
	msi_route_clear(&r, &route_ops, x);
}

static void check_compat(struct irq_test *x)
{
	expect_blocked(x, "irq-compat", "compatibility-format MSI", MSI_COMPAT_ADDRESS(x->dest), VECTOR_COMPAT,
		       VECTOR_COMPAT, 0);
}

void dma_selftest_interrupts(struct selftest *t, const struct pci_dev *edu)
{
	static struct irq_test x;
	u32 i;
	int rc;

	if (!vtd_ir_available()) {
		selftest_info("no interrupt remapping (%s): no interrupt checks", vtd_ir_unavailable_reason());
		return;
	}
	x = (struct irq_test){ .t = t, .edu = edu, .remapped = -1, .wrong_source = -1, .dest = apic_id(),
			       .ncpus = cpu_count };
	for (i = 0; i < cpu_count; i++)
		x.apic_ids[i] = cpus[i]->apic_id;
	x.msi = (u8)pci_find_capability(edu->bus, edu->dev, edu->fn, PCI_CAP_ID_MSI);
	rc = vtd_ir_enable();
	if (!x.msi || rc) {
		selftest_result(t, "irq-remapping", false, "edu's MSI capability at 0x%x, enabling remapping: error %d",
				x.msi, rc);
		return;
	}
	if (!apic_software_enable())
		selftest_info("the local APIC was software-disabled: enabled it (SVR bit 8) to accept interrupts");
	selftest_result(t, "irq-remapping", true, "remapping on, edu's MSI capability at 0x%x, this CPU's APIC ID %u",
			x.msi, x.dest);
	check_remapped(&x);
	check_wrong_source(&x);
	check_absent(&x);
	check_routed(&x);
	check_compat(&x);
	msi_disable(&x);
	if (x.remapped >= 0)
		vtd_ir_unmap((u32)x.remapped);
	if (x.wrong_source >= 0)
		vtd_ir_unmap((u32)x.wrong_source);
}
