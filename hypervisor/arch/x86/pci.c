/*
 * PCI configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2): a dword address written to
 * 0xcf8 selects bus, device, function and register; 0xcfc..0xcff then hold that dword. It
 * reaches the first 256 bytes of every function on q35, i440fx and real chipsets alike.
 * Only the boot CPU uses these accessors, before any VM runs, so no lock (a guest's accesses
 * through the same ports go through pci_filter.c, with the guest's own address latch).
 */
#include <plinth/arch.h>
#include <plinth/console.h>
#include <x86/cpu.h>
#include <x86/pci.h>

/* Type 0 and type 1 configuration header (PCI Local Bus 3.0, 6.1; PCI-to-PCI Bridge 1.2, 3.2) */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO BIT(0)
#define PCI_COMMAND_MEMORY BIT(1)
#define PCI_COMMAND_MASTER BIT(2)
#define PCI_CLASS_REVISION 0x08 /* class code in bits 31:8, revision in 7:0 */
#define PCI_HEADER_TYPE 0x0e
#define PCI_HEADER_TYPE_MASK 0x7f
#define PCI_HEADER_TYPE_BRIDGE 1
#define PCI_HEADER_MULTIFUNCTION BIT(7)
#define PCI_BAR0 0x10
#define PCI_BAR_COUNT 6 /* type 0 header */
#define PCI_BRIDGE_BAR_COUNT 2 /* type 1 header */
#define PCI_BAR_IO BIT(0)
#define PCI_BAR_MEM_TYPE_MASK 0x6
#define PCI_BAR_MEM_TYPE_64 0x4
#define PCI_BAR_MEM_ADDR_MASK (~(u64)0xf)
#define PCI_SECONDARY_BUS 0x19 /* type 1 header */
#define PCI_STATUS 0x06
#define PCI_STATUS_CAP_LIST BIT(4)
#define PCI_CAP_PTR 0x34
#define PCI_ROM 0x30	     /* type 0 */
#define PCI_BRIDGE_ROM 0x38 /* type 1 */
#define PCI_ROM_ENABLE BIT(0)
#define PCI_ROM_ADDR_MASK 0xfffff800u
#define PCI_HEADER_END 0x40

#define PCI_VENDOR_NONE 0xffff /* what an absent function reads */

#define PCI_MAX_BUS 256
#define PCI_MAX_DEV 32
#define PCI_MAX_FN 8

/* Selects the dword holding off; returns the data port of the byte at off. Accesses below
 * cover the first 256 bytes, with off aligned to the access size. */
static u16 select(u8 bus, u8 dev, u8 fn, u8 off)
{
	outl(PCI_CONFIG_ADDRESS, (u32)(PCI_CONFIG_ENABLE | (u32)bus << 16 | (u32)(dev & 0x1f) << 11 |
				       (u32)(fn & 7) << 8 | (off & 0xfc)));
	return PCI_CONFIG_DATA + (off & 3);
}

static u8 pci_read8(u8 bus, u8 dev, u8 fn, u8 off)
{
	return inb(select(bus, dev, fn, off));
}

static u16 pci_read16(u8 bus, u8 dev, u8 fn, u8 off)
{
	return inw(select(bus, dev, fn, off));
}

static u32 pci_read32(u8 bus, u8 dev, u8 fn, u8 off)
{
	return inl(select(bus, dev, fn, off));
}

u8 pci_config_read8(u8 bus, u8 dev, u8 fn, u8 off)
{
	return pci_read8(bus, dev, fn, off);
}

u16 pci_config_read16(u8 bus, u8 dev, u8 fn, u8 off)
{
	return pci_read16(bus, dev, fn, off);
}

void pci_config_write8(u8 bus, u8 dev, u8 fn, u8 off, u8 v)
{
	outb(select(bus, dev, fn, off), v);
}

static void pci_write16(u8 bus, u8 dev, u8 fn, u8 off, u16 v)
{
	outw(select(bus, dev, fn, off), v);
}

static void pci_write32(u8 bus, u8 dev, u8 fn, u8 off, u32 v)
{
	outl(select(bus, dev, fn, off), v);
}

u32 pci_config_read32(u8 bus, u8 dev, u8 fn, u8 off)
{
	return pci_read32(bus, dev, fn, off);
}

struct scan {
	struct pci_dev *out;
	u32 max, count, dropped;
	u64 seen[PCI_MAX_BUS / 64]; /* buses scanned: a misprogrammed bridge cannot loop us */
};

static void scan_bus(struct scan *s, u8 bus);

static void scan_function(struct scan *s, u8 bus, u8 dev, u8 fn)
{
	u32 class_rev = pci_read32(bus, dev, fn, PCI_CLASS_REVISION);
	u8 header = pci_read8(bus, dev, fn, PCI_HEADER_TYPE);
	u8 secondary;

	if (s->count < s->max)
		s->out[s->count++] = (struct pci_dev){
			.bus = bus, .dev = dev, .fn = fn,
			.vendor = pci_read16(bus, dev, fn, PCI_VENDOR_ID),
			.device = pci_read16(bus, dev, fn, PCI_DEVICE_ID),
			.class_code = (u8)(class_rev >> 24), .subclass = (u8)(class_rev >> 16),
			.prog_if = (u8)(class_rev >> 8), .header_type = header,
		};
	else
		s->dropped++;
	/* Bus numbers are the firmware's; 0 means this bridge was left unconfigured. */
	if ((header & PCI_HEADER_TYPE_MASK) == PCI_HEADER_TYPE_BRIDGE) {
		secondary = pci_read8(bus, dev, fn, PCI_SECONDARY_BUS);
		if (secondary)
			scan_bus(s, secondary);
	}
}

static void scan_bus(struct scan *s, u8 bus)
{
	u8 dev, fn, nfn;

	if (s->seen[bus / 64] & BIT(bus % 64))
		return;
	s->seen[bus / 64] |= BIT(bus % 64);
	for (dev = 0; dev < PCI_MAX_DEV; dev++) {
		if (pci_read16(bus, dev, 0, PCI_VENDOR_ID) == PCI_VENDOR_NONE)
			continue;
		/* Functions 1-7 exist only behind a multi-function header (PCI 3.0, 6.2.1). */
		nfn = pci_read8(bus, dev, 0, PCI_HEADER_TYPE) & PCI_HEADER_MULTIFUNCTION ? PCI_MAX_FN : 1;
		for (fn = 0; fn < nfn; fn++)
			if (pci_read16(bus, dev, fn, PCI_VENDOR_ID) != PCI_VENDOR_NONE)
				scan_function(s, bus, dev, fn);
	}
}

u32 pci_enumerate(struct pci_dev *out, u32 max)
{
	struct scan s = { .out = out, .max = max };

	scan_bus(&s, 0);
	if (s.dropped)
		log_warn("pci: %u more functions than the %u entries given; not listed", s.dropped, max);
	return s.count;
}

const struct pci_dev *pci_find(const struct pci_dev *devs, u32 n, u16 vendor, u16 device)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (devs[i].vendor == vendor && devs[i].device == device)
			return &devs[i];
	return NULL;
}

void pci_print(const struct pci_dev *devs, u32 n)
{
	const struct pci_dev *d;

	for (d = devs; d < devs + n; d++)
		log_info("pci: %02x:%02x.%u %04x:%04x class %02x%02x%02x", d->bus, d->dev, d->fn,
			 d->vendor, d->device, d->class_code, d->subclass, d->prog_if);
}

static bool bar_is_mem64(u32 v)
{
	return !(v & PCI_BAR_IO) && (v & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_TYPE_64;
}

/* How many BAR registers the header has: a bridge's third one on holds bus numbers. */
static int bar_count(u8 bus, u8 dev, u8 fn)
{
	switch (pci_read8(bus, dev, fn, PCI_HEADER_TYPE) & PCI_HEADER_TYPE_MASK) {
	case 0:
		return PCI_BAR_COUNT;
	case PCI_HEADER_TYPE_BRIDGE:
		return PCI_BRIDGE_BAR_COUNT;
	default:
		return 0;
	}
}

u64 pci_bar(u8 bus, u8 dev, u8 fn, int bar, u64 *size)
{
	u8 off = (u8)(PCI_BAR0 + 4 * bar);
	int count = bar_count(bus, dev, fn), i;
	u16 cmd;
	u32 lo, hi = 0, lo_mask, hi_mask = 0;
	bool is64;
	u64 mask;

	if (size)
		*size = 0;
	if (bar < 0 || bar >= count)
		return 0;
	/* The upper half of a 64-bit BAR is no BAR of its own. */
	for (i = 0; i < bar; i++)
		if (bar_is_mem64(pci_read32(bus, dev, fn, (u8)(PCI_BAR0 + 4 * i))))
			i++;
	if (i != bar)
		return 0;
	lo = pci_read32(bus, dev, fn, off);
	if (lo & PCI_BAR_IO)
		return 0;
	is64 = bar_is_mem64(lo);
	if (is64 && bar == count - 1)
		return 0;
	if (is64)
		hi = pci_read32(bus, dev, fn, off + 4);

	/*
	 * Size: write all ones, read back which address bits stick (PCI 3.0, 6.2.5.1). Decoding
	 * is off meanwhile so the BAR's passing values claim no one else's addresses.
	 */
	cmd = pci_read16(bus, dev, fn, PCI_COMMAND);
	pci_write16(bus, dev, fn, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
	pci_write32(bus, dev, fn, off, ~0u);
	lo_mask = pci_read32(bus, dev, fn, off);
	pci_write32(bus, dev, fn, off, lo);
	if (is64) {
		pci_write32(bus, dev, fn, off + 4, ~0u);
		hi_mask = pci_read32(bus, dev, fn, off + 4);
		pci_write32(bus, dev, fn, off + 4, hi);
	}
	pci_write16(bus, dev, fn, PCI_COMMAND, cmd);

	/* A 32-bit BAR decodes nothing above 4 GiB: its size mask is all ones up there. */
	mask = ((u64)hi_mask << 32 | lo_mask) & PCI_BAR_MEM_ADDR_MASK;
	if (!is64 && mask)
		mask |= ~(u64)0 << 32;
	if (size && mask)
		*size = ~mask + 1;
	return ((u64)hi << 32 | lo) & PCI_BAR_MEM_ADDR_MASK;
}

void pci_enable(u8 bus, u8 dev, u8 fn, bool mmio, bool bus_master)
{
	u16 cmd = pci_read16(bus, dev, fn, PCI_COMMAND);

	if (mmio)
		cmd |= PCI_COMMAND_MEMORY;
	if (bus_master)
		cmd |= PCI_COMMAND_MASTER;
	pci_write16(bus, dev, fn, PCI_COMMAND, cmd);
}

bool arch_pci_function_present(u16 bdf)
{
	return pci_read16((u8)(bdf >> 8), (bdf >> 3) & 0x1f, bdf & 7, PCI_VENDOR_ID) != PCI_VENDOR_NONE;
}

/* One BAR register's size mask after writing all ones (decoding is off: the caller's). */
static u32 size_mask(u8 bus, u8 dev, u8 fn, u8 off, u32 value)
{
	u32 mask;

	pci_write32(bus, dev, fn, off, ~0u);
	mask = pci_read32(bus, dev, fn, off);
	pci_write32(bus, dev, fn, off, value);
	return mask;
}

int pci_size_bars(u8 bus, u8 dev, u8 fn, struct pci_bar_state bars[PCI_FILTER_ROM + 1])
{
	int count = bar_count(bus, dev, fn), i;
	u8 rom = count == PCI_BRIDGE_BAR_COUNT ? PCI_BRIDGE_ROM : PCI_ROM;
	u16 cmd = pci_read16(bus, dev, fn, PCI_COMMAND);
	u32 lo, hi, mlo, mhi;

	for (i = 0; i <= PCI_FILTER_ROM; i++)
		bars[i] = (struct pci_bar_state){ .kind = PCI_BAR_KIND_UNUSED };
	/* Decoding off while the registers hold all ones (PCI 3.0, 6.2.5.1), back as it was after. */
	pci_write16(bus, dev, fn, PCI_COMMAND, cmd & ~(PCI_COMMAND_MEMORY | PCI_COMMAND_IO));
	for (i = 0; i < count; i++) {
		u8 off = (u8)(PCI_BAR0 + 4 * i);

		lo = pci_read32(bus, dev, fn, off);
		mlo = size_mask(bus, dev, fn, off, lo);
		if (!mlo)
			continue;
		if (lo & PCI_BAR_IO) {
			/* I/O space is 16 bits on x86: the upper half may read as zero. */
			bars[i] = (struct pci_bar_state){ PCI_BAR_KIND_IO, false, false,
							  (u64)(~((mlo & ~3u) | 0xffff0000u)) + 1, lo & ~3u };
			continue;
		}
		hi = mhi = 0;
		if (bar_is_mem64(lo) && i + 1 < count) {
			hi = pci_read32(bus, dev, fn, off + 4);
			mhi = size_mask(bus, dev, fn, off + 4, hi);
			bars[i + 1].kind = PCI_BAR_KIND_HIGH;
		} else {
			mhi = ~0u;
		}
		bars[i].kind = PCI_BAR_KIND_MEM;
		bars[i].is64 = bar_is_mem64(lo) && i + 1 < count;
		bars[i].size = ~(((u64)mhi << 32 | mlo) & PCI_BAR_MEM_ADDR_MASK) + 1;
		bars[i].base = ((u64)hi << 32 | lo) & PCI_BAR_MEM_ADDR_MASK;
		if (bars[i].is64)
			i++;
	}
	if (count) {
		lo = pci_read32(bus, dev, fn, rom);
		mlo = size_mask(bus, dev, fn, rom, lo & ~PCI_ROM_ENABLE) & PCI_ROM_ADDR_MASK;
		pci_write32(bus, dev, fn, rom, lo);
		if (mlo)
			bars[PCI_FILTER_ROM] = (struct pci_bar_state){ PCI_BAR_KIND_MEM, false, lo & PCI_ROM_ENABLE,
								       (u64)(~mlo) + 1, lo & PCI_ROM_ADDR_MASK };
	}
	pci_write16(bus, dev, fn, PCI_COMMAND, cmd);
	return count;
}

int pci_find_capability(u8 bus, u8 dev, u8 fn, u8 id)
{
	u8 pos;
	int hops;

	if (!(pci_read16(bus, dev, fn, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	pos = pci_read8(bus, dev, fn, PCI_CAP_PTR) & 0xfc;
	/* 48 capabilities fill the 192 bytes after the header: more is a loop. */
	for (hops = 0; pos >= PCI_HEADER_END && hops < 48; hops++) {
		if (pci_read8(bus, dev, fn, pos) == id)
			return pos;
		pos = pci_read8(bus, dev, fn, pos + 1) & 0xfc;
	}
	return 0;
}
