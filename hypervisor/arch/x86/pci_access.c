/*
 * Configuration-space filtering for partition VMs; the rules are in x86/pci_access.h.
 * Register offsets from PCI Local Bus 3.0 (6.1, 6.2.5, 6.8.1) and PCI-to-PCI Bridge 1.2 (3.2);
 * the port mechanism from PCI Local Bus 3.0 3.2.2.3.2, the MMCONFIG layout from PCI Express
 * Base 4.0 7.2.2 (bus in address bits 27:20, device 19:15, function 14:12, register 11:0).
 */
#include <x86/pci_access.h>
#include <x86/vtd_ir.h>

#define CFG_ADDRESS_PORT 0xcf8
#define CFG_DATA_PORT 0xcfc
#define CFG_ENABLE BIT(31)
#define CFG_MMIO_BUS_SHIFT 20
#define CFG_SPACE_SIZE 0x1000

#define CFG_CMD_IO BIT(0)
#define CFG_CMD_MEM BIT(1)
#define CFG_BRIDGE_BUSES 0x18	 /* type 1: bus numbers, I/O and memory windows ... */
#define CFG_BRIDGE_WINDOWS_END 0x34 /* ... up to the I/O limit's upper 16 bits */
#define CFG_BRIDGE_CONTROL 0x3e
#define CFG_HEADER_END 0x40
#define HEADER_NORMAL 0
#define HEADER_BRIDGE 1
#define BARS_NORMAL 6
#define BARS_BRIDGE 2

/* The writable address bits of a BAR's low dword (PCI Local Bus 3.0, 6.2.5.1, 6.2.5.2). */
#define BAR_IO_ADDR 0xfffffffcu
#define BAR_MEM_ADDR 0xfffffff0u
#define ROM_ADDR 0xfffff800u
#define ROM_ENABLE BIT(0)

/* MSI capability (6.8.1): message control at +2, address at +4, then (64-bit) the upper
 * address and data. */
#define MSI_CTRL_MME_OF(c) (((c) >> 4) & 7) /* 2^MME messages, in the data's low MME bits */
#define MSI_DATA_32 8
#define MSI_DATA_64 0x0c
#define MSI_END_32 0x0a
#define MSI_END_64 0x0e
#define MSI_CTRL_MMC (7u << 1)
#define MSIX_CTRL_HIGH 3	   /* the control's high byte: enable in bit 7 */
#define MSIX_ENABLE_HIGH BIT(7)

u16 pci_owner_of(const struct pci_ownership *own, u16 bdf)
{
	u32 i;

	for (i = 0; i < own->count; i++)
		if (own->owners[i].bdf == bdf)
			return own->owners[i].vm;
	return own->rest_vm;
}

int pci_ownership_build(struct pci_ownership *own, struct pci_owner *table, u32 max,
			const struct pci_vm_devices *vms, u32 n, u16 rest_vm)
{
	u32 used = 0, i, j;

	own->owners = table;
	own->count = 0;
	own->rest_vm = rest_vm;
	if (!max)
		return -1;
	table[used++] = (struct pci_owner){ PCI_HOST_BRIDGE_BDF, PCI_VM_READ_ONLY };
	own->count = used;
	for (i = 0; i < n; i++)
		for (j = 0; j < vms[i].count; j++) {
			u16 bdf = vms[i].devices[j];
			u32 k;

			for (k = 0; k < used && table[k].bdf != bdf; k++)
				;
			if (k < used)
				continue;
			if (used == max)
				return -1;
			table[used++] = (struct pci_owner){ bdf, (u16)i };
			own->count = used;
		}
	return (int)used;
}

bool pci_owns(const struct pci_ownership *own, u16 vm, u16 bdf)
{
	return vm < PCI_VM_READ_ONLY && pci_owner_of(own, bdf) == vm;
}

u32 pci_owned_functions(const struct pci_ownership *own, u16 vm, const u16 *present, u32 n, u16 *out, u32 max)
{
	u32 i, count = 0;

	for (i = 0; i < n; i++) {
		if (!pci_owns(own, vm, present[i]))
			continue;
		if (count < max)
			out[count] = present[i];
		count++;
	}
	return count;
}

u32 pci_cfg_latch(u32 v)
{
	return v & ~3u;
}

int pci_cfg_port_decode(u32 latch, u16 port, u8 width, struct pci_cfg_access *a)
{
	u32 k = (u32)port - CFG_DATA_PORT;

	if (port < CFG_ADDRESS_PORT || port > CFG_DATA_PORT + 3)
		return PCI_CFG_NOT_CONFIG;
	if (width != 1 && width != 2 && width != 4)
		return PCI_CFG_ABSENT;
	if (port == CFG_ADDRESS_PORT && width == 4)
		return PCI_CFG_LATCH;
	if (port < CFG_DATA_PORT)
		return PCI_CFG_NOT_CONFIG;
	if (k + width > 4 || !(latch & CFG_ENABLE))
		return PCI_CFG_ABSENT;
	a->bdf = (u16)(latch >> 8);
	a->reg = (u16)((latch & 0xfc) + k);
	a->width = width;
	return PCI_CFG_PASS;
}

int pci_cfg_mmio_decode(const struct pci_mmcfg *w, u64 addr, u8 width, struct pci_cfg_access *a)
{
	u64 off;

	if (w->bus_start > w->bus_end || addr < w->base)
		return PCI_CFG_NOT_CONFIG;
	off = addr - w->base;
	if (off >> CFG_MMIO_BUS_SHIFT < w->bus_start || off >> CFG_MMIO_BUS_SHIFT > w->bus_end)
		return PCI_CFG_NOT_CONFIG;
	if ((width != 1 && width != 2 && width != 4) || (off & 3) + width > 4)
		return PCI_CFG_ABSENT;
	a->bdf = (u16)(off >> 12);
	a->reg = (u16)(off & (CFG_SPACE_SIZE - 1));
	a->width = width;
	return PCI_CFG_PASS;
}



int pci_cfg_read_check(const struct pci_ownership *own, u16 vm, const struct pci_cfg_access *a)
{
	if (pci_owns(own, vm, a->bdf) || pci_owner_of(own, a->bdf) == PCI_VM_READ_ONLY)
		return PCI_CFG_PASS;
	return PCI_CFG_ABSENT;
}

bool pci_range_inside(const struct pci_range *r, u32 n, u64 start, u64 size)
{
	u32 i;

	if (!size || start + size < start)
		return false;
	for (i = 0; i < n; i++)
		if (start >= r[i].start && start + size <= r[i].end)
			return true;
	return false;
}

struct ranges {
	const struct pci_range *mmio, *io;
	u32 mmio_count, io_count;
};

static bool bar_inside(const struct ranges *rs, const struct pci_bar_state *b, u64 base)
{
	if (b->kind == PCI_BAR_KIND_IO)
		return pci_range_inside(rs->io, rs->io_count, base, b->size);
	return pci_range_inside(rs->mmio, rs->mmio_count, base, b->size);
}

/* Turning decoding on keeps the bit only when every BAR of that kind is inside the VM's. */
static void command_write(struct pci_cfg_access *a, const struct pci_fn_state *fn, u32 bars,
			  const struct ranges *rs)
{
	u32 i;

	for (i = 0; i <= PCI_FILTER_ROM; i++) {
		const struct pci_bar_state *b = &fn->bars[i];

		if ((i >= bars && i != PCI_FILTER_ROM) || (i == PCI_FILTER_ROM && !b->rom_on))
			continue;
		if (b->kind != PCI_BAR_KIND_MEM && b->kind != PCI_BAR_KIND_IO)
			continue;
		if (!bar_inside(rs, b, b->base))
			a->value &= ~(u32)(b->kind == PCI_BAR_KIND_IO ? CFG_CMD_IO : CFG_CMD_MEM);
	}
	if (fn->msix_usable && fn->msix_bar < bars && fn->bars[fn->msix_bar].base != fn->msix_home)
		a->value &= ~(u32)CFG_CMD_MEM;
}

/* A dword write to BAR register idx (PCI_FILTER_ROM for the ROM BAR). */
static int bar_write(struct pci_cfg_access *a, const struct pci_fn_state *fn, u32 idx,
		     const struct ranges *rs)
{
	const struct pci_bar_state *b = &fn->bars[idx];
	bool high = b->kind == PCI_BAR_KIND_HIGH, on;
	u64 base;
	u32 mask;

	if (a->width != 4)
		return PCI_CFG_DROP;
	if (high) {
		b = idx ? &fn->bars[idx - 1] : NULL;
		if (!b || b->kind != PCI_BAR_KIND_MEM || !b->is64)
			return PCI_CFG_DROP; /* a state Plinth never describes */
	}
	if (b->kind == PCI_BAR_KIND_UNUSED)
		return PCI_CFG_PASS; /* a register that reads as zero whatever is written */
	if (b->kind != PCI_BAR_KIND_MEM && b->kind != PCI_BAR_KIND_IO)
		return PCI_CFG_DROP;
	on = fn->command & (b->kind == PCI_BAR_KIND_IO ? CFG_CMD_IO : CFG_CMD_MEM);
	if (idx == PCI_FILTER_ROM)
		on = on && (a->value & ROM_ENABLE);
	if (!on)
		return PCI_CFG_PASS;
	mask = idx == PCI_FILTER_ROM ? ROM_ADDR : b->kind == PCI_BAR_KIND_IO ? BAR_IO_ADDR : BAR_MEM_ADDR;
	if (high)
		base = (u64)a->value << 32 | (b->base & 0xffffffffu);
	else
		base = (b->is64 ? b->base & ~0xffffffffULL : 0) | (a->value & mask);
	/* The device ignores the address bits below its size; a size that is not a power of
	 * two is not one Plinth measured, and nothing can lie inside a range of it. */
	if (b->size & (b->size - 1))
		return PCI_CFG_DROP;
	base &= ~(b->size - 1);
	if (fn->msix_usable && b == &fn->bars[fn->msix_bar] && base != fn->msix_home)
		return PCI_CFG_DROP; /* its MSI-X table would leave the pages Plinth traps */
	return bar_inside(rs, b, base) ? PCI_CFG_PASS : PCI_CFG_DROP;
}

static bool overlaps(const struct pci_cfg_access *a, u32 start, u32 end)
{
	return a->reg < end && start < (u32)a->reg + a->width;
}

int pci_cfg_write_check(const struct pci_ownership *own, u16 vm, struct pci_cfg_access *a,
			const struct pci_fn_state *fn, const struct pci_range *mmio, u32 mmio_count,
			const struct pci_range *io, u32 io_count)
{
	struct ranges rs = { mmio, io, mmio_count, io_count };
	u32 type, bars, rom, msi_end;

	if (pci_owner_of(own, a->bdf) == PCI_VM_READ_ONLY)
		return PCI_CFG_DROP;
	if (!pci_owns(own, vm, a->bdf))
		return PCI_CFG_ABSENT;
	if (!fn)
		return PCI_CFG_DROP;
	type = fn->header_type & 0x7f;
	bars = type == HEADER_BRIDGE ? BARS_BRIDGE : BARS_NORMAL;
	rom = type == HEADER_BRIDGE ? PCI_REG_BRIDGE_ROM : PCI_REG_ROM;
	if (a->reg == PCI_REG_COMMAND) {
		command_write(a, fn, bars, &rs);
		return PCI_CFG_PASS;
	}
	if (type != HEADER_NORMAL && type != HEADER_BRIDGE && overlaps(a, PCI_REG_BAR0, CFG_HEADER_END))
		return PCI_CFG_DROP;
	if (overlaps(a, PCI_REG_BAR0, PCI_REG_BAR0 + 4 * bars))
		return bar_write(a, fn, (u32)(a->reg - PCI_REG_BAR0) / 4, &rs);
	if (overlaps(a, rom, rom + 4))
		return bar_write(a, fn, PCI_FILTER_ROM, &rs);
	if (type == HEADER_BRIDGE &&
	    (overlaps(a, CFG_BRIDGE_BUSES, CFG_BRIDGE_WINDOWS_END) ||
	     overlaps(a, CFG_BRIDGE_CONTROL, CFG_BRIDGE_CONTROL + 2)))
		return PCI_CFG_DROP;
	/* First, so that no other rule passes the bit (the capabilities of a sane device do not
	 * overlap, but the rule must not depend on it). */
	if (fn->msix_cap && !fn->msix_usable && overlaps(a, fn->msix_cap + MSIX_CTRL_HIGH, fn->msix_cap + MSIX_CTRL_HIGH + 1u))
		a->value &= ~(u32)(MSIX_ENABLE_HIGH << 8 * (fn->msix_cap + MSIX_CTRL_HIGH - a->reg));
	msi_end = fn->msi_cap + (fn->msi_64 ? MSI_END_64 : MSI_END_32);
	if (fn->msi_cap && overlaps(a, fn->msi_cap + PCI_MSI_CTRL, msi_end))
		return PCI_CFG_CHECK_MSI;
	return PCI_CFG_PASS;
}

/* The capability's bytes from +2 to its end, with the write's bytes over them. */
static void msi_after(const struct pci_cfg_access *a, const struct pci_fn_state *fn, u8 *b, u32 end)
{
	u32 data = fn->msi_64 ? MSI_DATA_64 : MSI_DATA_32, i;

	for (i = 0; i < 2; i++) {
		b[PCI_MSI_CTRL + i] = (u8)(fn->msi_ctrl >> 8 * i);
		b[data + i] = (u8)(fn->msi_data >> 8 * i);
	}
	for (i = 0; i < (fn->msi_64 ? 8u : 4u); i++)
		b[PCI_MSI_ADDR + i] = (u8)(fn->msi_addr >> 8 * i);
	for (i = 0; i < a->width; i++) {
		u32 off = a->reg + i - fn->msi_cap;

		if (off >= PCI_MSI_CTRL && off < end)
			b[off] = (u8)(a->value >> 8 * i);
	}
}

int pci_msi_write_check(struct pci_cfg_access *a, const struct pci_fn_state *fn, const u32 *apic_ids, u32 n)
{
	u32 end = fn->msi_64 ? MSI_END_64 : MSI_END_32, data_off = fn->msi_64 ? MSI_DATA_64 : MSI_DATA_32;
	u32 ctrl_bit = fn->msi_cap + PCI_MSI_CTRL;
	u8 b[MSI_END_64] = { 0 };
	struct msi_info m;
	u64 addr = 0;
	u32 i, ctrl, data;

	msi_after(a, fn, b, end);
	ctrl = b[PCI_MSI_CTRL] | (u32)b[PCI_MSI_CTRL + 1] << 8;
	if (!(ctrl & PCI_MSI_CTRL_ENABLE))
		return PCI_CFG_PASS;
	for (i = 0; i < (fn->msi_64 ? 8u : 4u); i++)
		addr |= (u64)b[PCI_MSI_ADDR + i] << 8 * i;
	data = b[data_off] | (u32)b[data_off + 1] << 8;
	/* A block of 2^MME messages replaces the data's low MME bits: check its lowest vector. */
	data &= ~((1u << MSI_CTRL_MME_OF(ctrl)) - 1);
	if (msi_decode(addr, data, &m) == 0 && msi_check(&m, apic_ids, n) == IRQ_OK)
		return PCI_CFG_PASS;
	if (!(fn->msi_ctrl & PCI_MSI_CTRL_ENABLE) && a->reg <= ctrl_bit && ctrl_bit < (u32)a->reg + a->width) {
		a->value &= ~(u32)(PCI_MSI_CTRL_ENABLE << 8 * (ctrl_bit - a->reg));
		return PCI_CFG_PASS;
	}
	return PCI_CFG_DROP;
}

/* fn with the guest's view in place of the device's MSI registers, for msi_after. */
static struct pci_fn_state shadowed(const struct pci_fn_state *fn, const struct pci_msi_shadow *s)
{
	struct pci_fn_state t = *fn;

	t.msi_ctrl = (u16)((fn->msi_ctrl & ~(PCI_MSI_CTRL_ENABLE | PCI_MSI_CTRL_MME)) | (s->ctrl & PCI_MSI_CTRL_ENABLE));
	t.msi_addr = fn->msi_64 ? s->addr : (u32)s->addr;
	t.msi_data = s->data;
	return t;
}

void pci_msi_shadow_write(const struct pci_cfg_access *a, const struct pci_fn_state *fn, struct pci_msi_shadow *s)
{
	u32 end = fn->msi_64 ? MSI_END_64 : MSI_END_32, data = fn->msi_64 ? MSI_DATA_64 : MSI_DATA_32, i;
	struct pci_fn_state t = shadowed(fn, s);
	u8 b[MSI_END_64] = { 0 };

	msi_after(a, &t, b, end);
	s->ctrl = b[PCI_MSI_CTRL] & PCI_MSI_CTRL_ENABLE; /* MME beyond the one vector offered is not kept */
	s->addr = 0;
	for (i = 0; i < (fn->msi_64 ? 8u : 4u); i++)
		s->addr |= (u64)b[PCI_MSI_ADDR + i] << 8 * i;
	s->data = (u16)(b[data] | b[data + 1] << 8);
}

u32 pci_msi_shadow_read(const struct pci_cfg_access *a, const struct pci_fn_state *fn, const struct pci_msi_shadow *s,
			u32 hw)
{
	u32 end = fn->msi_64 ? MSI_END_64 : MSI_END_32, i, v = hw;
	struct pci_fn_state t = shadowed(fn, s);
	struct pci_cfg_access none = { a->bdf, 0, 0, 0 };
	u8 b[MSI_END_64] = { 0 };

	t.msi_ctrl &= (u16)~MSI_CTRL_MMC;
	msi_after(&none, &t, b, end);
	for (i = 0; i < a->width; i++) {
		u32 off = a->reg + i - fn->msi_cap;

		if (a->reg + i >= fn->msi_cap && off >= PCI_MSI_CTRL && off < end)
			v = (v & ~(0xffu << 8 * i)) | (u32)b[off] << 8 * i;
	}
	return v;
}
