// sources: hypervisor/arch/x86/pci_access.c hypervisor/arch/x86/vioapic.c hypervisor/arch/x86/vtd_ir.c hypervisor/arch/x86/irq_policy.c hypervisor/arch/x86/msix.c hypervisor/arch/x86/msi_route.c
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
 * the VM's CPUs. MSI-X (arch/x86/msix.c, msi_route.c): a layout decoded from any registers lies
 * inside its BAR and its trapped pages cover the table; accesses decoded as entries are inside
 * the table; a table's entries written in any order, with or without remapping, leave every
 * entry unmasked on the device aiming at the VM's CPUs (its own pair, or a live remapping entry
 * built for the VM's CPUs); MSI-X never turns on when its table is not trapped, and the BAR
 * holding a trapped table never decodes away from it.
 */
#include <x86/msi_route.h>
#include <x86/msix.h>
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
	f->msix_cap = (u8)(take(in, 1) & 0xfc);
	if (f->msix_cap < 0x40) /* capabilities follow the header */
		f->msix_cap = 0;
	i = (u32)take(in, 1);
	f->msix_usable = f->msix_cap && (i & 0x80);
	f->msix_bar = (u8)(i % bars);
	f->msix_home = f->bars[f->msix_bar].base;
}

static bool msix_on; /* the device's MSI-X enable */

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
	if (f->msix_cap && a->reg <= f->msix_cap + 3u && f->msix_cap + 3u < (u32)a->reg + a->width)
		msix_on = (a->value >> 8 * (f->msix_cap + 3 - a->reg)) & 0x80;
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

	if (f->msix_cap && !f->msix_usable)
		FUZZ_ASSERT(!msix_on);
	if (f->msix_usable && (f->command & 2) && f->bars[f->msix_bar].kind == PCI_BAR_KIND_MEM)
		FUZZ_ASSERT(f->bars[f->msix_bar].base == f->msix_home);
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

/* ---- MSI-X ---- */

#define TABLE 8
#define IRT 16

/* A device's table and a remapping table, as msi_route_apply leaves them. */
struct msix_dev {
	u64 addr[TABLE];
	u32 data[TABLE];
	bool unmasked[TABLE];
	bool irte_live[IRT];
	u32 irte_dest[IRT];
	u8 irte_vector[IRT];
	u32 entry; /* the one being routed */
	bool full;
};

static void d_mask(void *ctx)
{
	struct msix_dev *d = ctx;

	d->unmasked[d->entry] = false;
}

static void d_unmask(void *ctx)
{
	struct msix_dev *d = ctx;

	d->unmasked[d->entry] = true;
}

static void d_write(void *ctx, u64 addr, u32 data)
{
	struct msix_dev *d = ctx;

	FUZZ_ASSERT(!d->unmasked[d->entry]); /* never rewritten while it may send */
	d->addr[d->entry] = addr;
	d->data[d->entry] = data;
}

static int d_remap(void *ctx, u8 vector, u32 dest)
{
	struct msix_dev *d = ctx;
	u32 i;

	FUZZ_ASSERT(vm_cpu(dest) && vector >= IRQ_VECTOR_MIN && vector <= MSI_VECTOR_MAX);
	for (i = 0; i < IRT && !d->full; i++)
		if (!d->irte_live[i]) {
			d->irte_live[i] = true;
			d->irte_dest[i] = dest;
			d->irte_vector[i] = vector;
			return (int)i;
		}
	return -28; /* -ENOSPC */
}

static void d_unmap(void *ctx, u32 index)
{
	struct msix_dev *d = ctx;

	FUZZ_ASSERT(index < IRT && d->irte_live[index]);
	d->irte_live[index] = false;
}

static const struct msi_route_ops dev_ops = { d_mask, d_unmask, d_write, d_remap, d_unmap };

static void msix_step(struct in *in)
{
	struct pci_bar_state bars[PCI_FILTER_ROM + 1] = { 0 };
	u32 words[TABLE][MSIX_ENTRY_WORDS] = { { 0 } };
	struct msi_route r[TABLE] = { { 0 } };
	struct msix_dev d = { 0 };
	struct msix_layout l;
	bool remapping = take(in, 1) & 1;
	const char *why;
	u32 i, e, w, steps, table, pba;
	u16 ctrl;

	/* A layout from any registers, against two BARs (one field at a time, as in msi_step). */
	bars[0].kind = PCI_BAR_KIND_MEM;
	bars[0].size = 1ULL << (take(in, 1) % 40);
	bars[0].base = take(in, 8);
	bars[1].kind = (u8)(take(in, 1) % 4);
	bars[1].size = 1ULL << (take(in, 1) % 40);
	bars[1].base = take(in, 8);
	ctrl = (u16)take(in, 2);
	table = (u32)take(in, 4);
	pba = (u32)take(in, 4);
	if (msix_layout_decode(ctrl, table, pba, bars, &l, &why) == 0) {
		const struct pci_bar_state *b = &bars[l.table_bar];
		u64 size = (u64)l.entries * MSIX_ENTRY_SIZE;

		FUZZ_ASSERT(l.table_bar < 2 && b->kind == PCI_BAR_KIND_MEM && l.entries >= 1 && l.entries <= 2048);
		FUZZ_ASSERT(l.table_off + size <= b->size && l.trap_off + l.trap_size <= b->size);
		FUZZ_ASSERT(l.trap_off <= l.table_off && l.table_off + size <= l.trap_off + l.trap_size);
		FUZZ_ASSERT(l.trap_off % MSIX_PAGE == 0 && l.trap_size % MSIX_PAGE == 0);
		for (i = 0; i < 4; i++) {
			u64 off = take(in, 4) % (l.trap_size + 16);
			u32 size8 = (u32)take(in, 1) % 9;

			if (msix_access_decode(&l, off, size8, &e, &w) == MSIX_ACCESS_ENTRY)
				FUZZ_ASSERT(e < l.entries && w < MSIX_ENTRY_WORDS && (size8 == 4 || size8 == 8) &&
					    l.trap_off + off >= l.table_off &&
					    l.trap_off + off + size8 <= l.table_off + size);
		}
	}
	/* A table of eight entries written in any order. */
	for (e = 0; e < TABLE; e++)
		words[e][MSIX_WORD_CTRL] = MSIX_VECTOR_MASKED;
	steps = (u32)take(in, 1) % 64;
	while (steps-- && in->left) {
		u8 op = (u8)take(in, 1);
		struct msi_goal g;

		d.entry = op % TABLE;
		d.full = op & 0x80;
		w = (op >> 3) & 3;
		msix_entry_merge(words[d.entry], w, op & 0x40 ? 8 : 4, take(in, 8));
		msi_route_goal((u64)words[d.entry][MSIX_WORD_ADDR_HI] << 32 | words[d.entry][MSIX_WORD_ADDR_LO],
			       words[d.entry][MSIX_WORD_DATA], words[d.entry][MSIX_WORD_CTRL] & MSIX_VECTOR_MASKED, ids, 2,
			       &g);
		(void)msi_route_apply(&r[d.entry], &g, remapping, &dev_ops, &d);
		if (op & 0x20)
			msi_route_refresh(&r[d.entry], &dev_ops, &d);
		if ((op & 0x07) == 0x07)
			msi_route_clear(&r[d.entry], &dev_ops, &d);
		for (e = 0; e < TABLE; e++) {
			struct msi_info m;

			if (!d.unmasked[e])
				continue;
			FUZZ_ASSERT(msi_decode(d.addr[e], d.data[e], &m) == 0);
			if (remapping) {
				FUZZ_ASSERT(m.remappable && !m.shv && m.index < IRT && d.irte_live[m.index]);
				FUZZ_ASSERT(vm_cpu(d.irte_dest[m.index]));
			} else {
				FUZZ_ASSERT(msi_check(&m, ids, 2) == IRQ_OK && m.target.vector <= MSI_VECTOR_MAX);
			}
		}
	}
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
	msix_on = false;
	while (in.left) {
		switch (take(&in, 1) % 4) {
		case 0:
			ioapic_step(&v, kinds, &in);
			break;
		case 1:
			pci_step(&f, &latch, &in);
			break;
		case 2:
			msi_step(&in);
			break;
		default:
			msix_step(&in);
		}
	}
	return 0;
}
