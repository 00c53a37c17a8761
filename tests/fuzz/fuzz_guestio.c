// sources: hypervisor/arch/x86/pci_access.c hypervisor/arch/x86/vioapic.c hypervisor/arch/x86/vtd_ir.c hypervisor/arch/x86/irq_policy.c
/*
 * What a hostile partition guest can do to the devices Plinth shares out, as a sequence of
 * accesses decoded from the input: I/O APIC register writes (arch/x86/vioapic.c),
 * configuration-space writes through 0xcf8/0xcfc and MMCONFIG to a modelled function
 * (arch/x86/pci_access.c), MSI address/data pairs and remapping entries (arch/x86/vtd_ir.c).
 * Promises: the physical I/O APIC is only ever given the VM's own pins, and an unmasked entry
 * of them only ever aims at the VM's CPUs in physical mode with fixed delivery; a function whose
 * accepted writes are applied as the device would apply them never decodes memory or ports
 * outside the VM's while its decoding is on, and its MSI, while enabled, aims at the VM's CPUs;
 * no other VM's function is ever written; an MSI or remapping entry that is accepted aims at
 * the VM's CPUs.
 */
#include <x86/pci_access.h>
#include <x86/vioapic.h>
#include <x86/vtd_ir.h>

#include "fuzz.h"

struct in {
	const uint8_t *p;
	size_t left;
};

static uint64_t take(struct in *in, unsigned bytes)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < bytes && in->left; i++, in->left--)
		v |= (uint64_t)*in->p++ << (8 * i);
	return v;
}

static const u32 ids[] = { 2, 3 };

static bool vm_cpu(u32 id)
{
	return id == 2 || id == 3;
}

/* ---- I/O APIC ---- */

static void ioapic_step(struct vioapic *v, u8 *kinds, struct in *in)
{
	static const u64 offsets[] = { IOAPIC_REGSEL, IOAPIC_WINDOW, IOAPIC_EOI };
	u8 op = (u8)take(in, 1);
	u64 off = op & 0x80 ? take(in, 8) : offsets[(op >> 4) % 3];
	u8 width = (u8)(op & 7);
	u32 value = (u32)take(in, 4);
	struct vioapic_action act;
	u64 e;

	if (op & 0x08) {
		(void)vioapic_mmio_read(v, off, width);
		return;
	}
	vioapic_mmio_write(v, off, width, value, &act);
	if (act.kind == VIOAPIC_ACT_EOI)
		FUZZ_ASSERT(off == IOAPIC_EOI);
	if (act.kind != VIOAPIC_ACT_PROGRAM)
		return;
	e = act.rte;
	FUZZ_ASSERT(act.pin < 24 && kinds[act.pin] == VIOAPIC_PIN_OWNED);
	FUZZ_ASSERT(vm_cpu(IOAPIC_RTE_DEST(e)));
	FUZZ_ASSERT(!(e & (IOAPIC_RTE_LOGICAL | IOAPIC_RTE_DELIVERY_STATUS | IOAPIC_RTE_REMOTE_IRR)));
	FUZZ_ASSERT(IOAPIC_RTE_DELIVERY(e) == IRQ_DELIVERY_FIXED);
	FUZZ_ASSERT((e & 0x00fffffffffe0000ULL) == 0);
	if (!(e & IOAPIC_RTE_MASKED))
		FUZZ_ASSERT(IOAPIC_RTE_VECTOR(e) >= IRQ_VECTOR_MIN);
}

/* ---- configuration space ---- */

static const struct pci_range mmio[] = { { 0xfe000000, 0xfe100000 } };
static const struct pci_range io[] = { { 0xc000, 0xc100 } };
static const struct pci_owner owners[] = { { PCI_BDF(0, 3, 0), 0 }, { PCI_BDF(0, 4, 0), 1 } };
static const struct pci_ownership own = { owners, 2, PCI_VM_NONE };

/* A function of VM 0 from the input: up to six BARs, 64-bit ones followed by their upper
 * half, sizes powers of two, any bases; a ROM; decoding off (nothing decodes yet). */
static void make_fn(struct pci_fn_state *f, struct in *in)
{
	u32 i, bars;

	memset(f, 0, sizeof(*f));
	f->header_type = (u8)(take(in, 1) % 3);
	f->command = (u16)(take(in, 2) & ~3u);
	f->msi_cap = (u8)(take(in, 1) & 0xfc);
	f->msi_64 = f->msi_cap & 4;
	bars = f->header_type == 1 ? 2 : 6;
	for (i = 0; i < bars; i++) {
		u8 k = (u8)take(in, 1);
		struct pci_bar_state *b = &f->bars[i];

		b->kind = k % 3;
		if (b->kind == PCI_BAR_KIND_UNUSED)
			continue;
		b->size = 1ULL << (b->kind == PCI_BAR_KIND_IO ? 2 + (k >> 2) % 7 : 4 + (k >> 2) % 28);
		b->base = take(in, 4) & ~(b->size - 1);
		if (b->kind == PCI_BAR_KIND_MEM && (k & 0x80) && i + 1 < bars) {
			b->is64 = true;
			b->base |= take(in, 4) << 32;
			f->bars[++i].kind = PCI_BAR_KIND_HIGH;
		}
	}
	f->msi_addr = take(in, 8);
	f->msi_data = (u16)take(in, 2);
	f->bars[PCI_FILTER_ROM].kind = take(in, 1) & 1 ? PCI_BAR_KIND_MEM : PCI_BAR_KIND_UNUSED;
	f->bars[PCI_FILTER_ROM].size = f->bars[PCI_FILTER_ROM].kind ? 0x10000 : 0;
}

/* The MSI registers' bytes from the capability's +2 (control, address, data). */
static void msi_apply(struct pci_fn_state *f, const struct pci_cfg_access *a)
{
	u32 data = f->msi_64 ? 0x0c : 0x08, i;

	for (i = 0; i < a->width; i++) {
		u32 off = a->reg + i - f->msi_cap;
		u8 byte = (u8)(a->value >> 8 * i);

		if (off == 2 || off == 3)
			f->msi_ctrl = (u16)((f->msi_ctrl & ~(0xffu << 8 * (off - 2))) | (u32)byte << 8 * (off - 2));
		else if (off >= 4 && off < (f->msi_64 ? 12u : 8u))
			f->msi_addr = (f->msi_addr & ~(0xffULL << 8 * (off - 4))) | (u64)byte << 8 * (off - 4);
		else if (off == data || off == data + 1)
			f->msi_data = (u16)((f->msi_data & ~(0xffu << 8 * (off - data))) | (u32)byte << 8 * (off - data));
	}
}

/* What the device does with a write it is given: the BAR, ROM, command and MSI registers. */
static void device_apply(struct pci_fn_state *f, const struct pci_cfg_access *a)
{
	u32 bars = (f->header_type & 0x7f) == 1 ? 2 : 6, rom = (f->header_type & 0x7f) == 1 ? 0x38 : 0x30;
	struct pci_bar_state *b;
	u32 idx;

	if (f->msi_cap)
		msi_apply(f, a);
	if (a->reg == 0x04) {
		f->command = (u16)(a->width == 1 ? (f->command & 0xff00) | (a->value & 0xff) : a->value);
		return;
	}
	if (a->width != 4)
		return;
	if (a->reg >= 0x10 && a->reg < 0x10 + 4 * bars)
		idx = (a->reg - 0x10) / 4u;
	else if (a->reg == rom)
		idx = PCI_FILTER_ROM;
	else
		return;
	b = &f->bars[idx];
	if (b->kind == PCI_BAR_KIND_HIGH) {
		b = &f->bars[idx - 1];
		b->base = (u64)a->value << 32 | (b->base & 0xffffffffu);
	} else if (b->kind == PCI_BAR_KIND_IO) {
		b->base = a->value & ~3u & ~(b->size - 1);
	} else if (b->kind == PCI_BAR_KIND_MEM) {
		u32 mask = idx == PCI_FILTER_ROM ? 0xfffff800u : 0xfffffff0u;

		b->base = (b->base & (b->is64 ? ~0xffffffffULL : 0)) | (a->value & mask & ~(b->size - 1));
		if (idx == PCI_FILTER_ROM)
			b->rom_on = a->value & 1;
	}
}

static void check_decoding(const struct pci_fn_state *f)
{
	u32 bars = (f->header_type & 0x7f) == 1 ? 2 : 6, i;
	struct msi_info m;

	if (f->msi_cap && (f->msi_ctrl & 1) && !(f->msi_ctrl & 0x70)) /* one message: the data as is */
		FUZZ_ASSERT(msi_decode(f->msi_addr & (f->msi_64 ? ~0ULL : 0xffffffffULL), f->msi_data, &m) == 0 &&
			    msi_check(&m, ids, 2) == IRQ_OK);

	for (i = 0; i <= PCI_FILTER_ROM; i++) {
		const struct pci_bar_state *b = &f->bars[i];

		if ((i >= bars && i != PCI_FILTER_ROM) || (i == PCI_FILTER_ROM && !b->rom_on))
			continue;
		if (b->kind == PCI_BAR_KIND_MEM && (f->command & 2))
			FUZZ_ASSERT(pci_range_inside(mmio, 1, b->base, b->size));
		if (b->kind == PCI_BAR_KIND_IO && (f->command & 1))
			FUZZ_ASSERT(pci_range_inside(io, 1, b->base, b->size));
	}
}

static void pci_step(struct pci_fn_state *f, u32 *latch, struct in *in)
{
	static const struct pci_mmcfg window = { 0xe0000000, 0, 255 };
	u8 op = (u8)take(in, 1), width = (u8)(1 + (op & 3) + ((op & 3) == 3));
	u32 value = (u32)take(in, 4);
	struct pci_cfg_access a;
	u16 vm = (op >> 6) & 1;
	int v;

	if (op & 0x20) {
		u64 addr = op & 0x10 ? take(in, 8) : 0xe0000000 + (take(in, 2) << 12);

		addr += take(in, 2) & 0xfff;

		v = pci_cfg_mmio_decode(&window, addr, width, &a);
		if (v == PCI_CFG_PASS)
			FUZZ_ASSERT(a.reg < 0x1000 && (a.reg & 3) + a.width <= 4);
	} else {
		u16 port = (u16)(0xcf8 + ((op >> 2) & 7));

		if (port == 0xcf8 && (op & 0x80)) {
			*latch = pci_cfg_latch(value | 0x80000000u);
			return;
		}
		v = pci_cfg_port_decode(*latch, port, width, &a);
		if (v == PCI_CFG_PASS)
			FUZZ_ASSERT(a.reg < 0x100 && (a.reg & 3) + a.width <= 4);
	}
	if (v != PCI_CFG_PASS)
		return;
	a.value = value;
	v = pci_cfg_write_check(&own, vm, &a, f, mmio, 1, io, 1);
	if (pci_owner_of(&own, a.bdf) != vm)
		FUZZ_ASSERT(v == PCI_CFG_ABSENT);
	if (v == PCI_CFG_CHECK_MSI)
		v = pci_msi_write_check(&a, f, ids, 2);
	if (v == PCI_CFG_PASS && a.bdf == PCI_BDF(0, 3, 0))
		device_apply(f, &a);
	check_decoding(f);
}

/* ---- MSI and remapping entries ---- */

static void msi_step(struct in *in)
{
	u64 addr = take(in, 1) & 1 ? take(in, 8) : 0xfee00000 | (take(in, 3) & 0xfffff);
	u32 data = (u32)take(in, 4);
	struct vtd_irte_spec s = { 0 };
	struct msi_info m;
	struct vtd_irte e;

	/* One field at a time: the order of an initializer list's side effects is unspecified. */
	s.sid = (u16)take(in, 2);
	s.sq = (u8)take(in, 1);
	s.vector = (u8)take(in, 1);
	s.dest = (u32)take(in, 4);
	if (msi_decode(addr, data, &m) == 0 && msi_check(&m, ids, 2) == IRQ_OK)
		FUZZ_ASSERT(!m.remappable && vm_cpu(m.target.dest) && !m.target.logical && m.target.delivery <= 1 &&
			    m.target.vector >= IRQ_VECTOR_MIN);
	s.x2apic = s.sq & 0x10;
	s.bus_range = s.sq & 0x20;
	s.sq &= 0xf;
	if (vtd_irte_build(&s, ids, 2, &e) == 0)
		FUZZ_ASSERT((e.lo & IRTE_P) && !(e.lo & IRTE_DM) && IRTE_DLM(e.lo) == 0 && IRTE_SVT(e.hi) != VTD_SVT_NONE &&
			    vm_cpu(s.x2apic ? IRTE_DST(e.lo) : IRTE_DST(e.lo) >> 8));
	else
		FUZZ_ASSERT(e.lo == 0 && e.hi == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	struct vioapic v;
	struct pci_fn_state f;
	u8 kinds[24];
	u32 i, latch = 0;

	if (vioapic_init(&v, 0, 0x20, 24, ids, 2))
		abort();
	for (i = 0; i < 24; i++) {
		kinds[i] = (u8)(take(&in, 1) % 3);
		vioapic_set_pin(&v, i, kinds[i]);
	}
	make_fn(&f, &in);
	while (in.left) {
		switch (take(&in, 1) % 3) {
		case 0:
			ioapic_step(&v, kinds, &in);
			break;
		case 1:
			pci_step(&f, &latch, &in);
			break;
		default:
			msi_step(&in);
		}
	}
	return 0;
}
