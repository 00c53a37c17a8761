// sources: hypervisor/arch/x86/pci_access.c hypervisor/arch/x86/vtd_ir.c hypervisor/arch/x86/irq_policy.c
/*
 * Configuration-space filtering (arch/x86/pci_access.c): ports 0xcf8-0xcff decoded for every
 * port, width and latch, the MMCONFIG window for addresses anywhere, ownership by list, by
 * owns_rest and read-only; an owned function's BAR, command, bridge and MSI writes by the rule
 * that a function decodes only the VM's addresses.
 */
#include <x86/pci_access.h>

#include "test.h"

#define VM_A 0
#define VM_B 1
#define VM_C 2

static const struct pci_owner owners[] = {
	{ PCI_BDF(0, 0, 0), PCI_VM_READ_ONLY }, /* the host bridge */
	{ PCI_BDF(0, 3, 0), VM_A },
	{ PCI_BDF(0, 3, 1), VM_A },
	{ PCI_BDF(2, 0, 0), VM_B },
	{ PCI_BDF(0xff, 31, 7), VM_B },
};
static const struct pci_ownership own = { owners, ARRAY_SIZE(owners), VM_C };
static const struct pci_ownership own_no_rest = { owners, ARRAY_SIZE(owners), PCI_VM_NONE };

static struct pci_cfg_access acc(u16 bdf, u16 reg, u8 width, u32 value)
{
	return (struct pci_cfg_access){ bdf, reg, width, value };
}

TEST(bdf_packs_and_unpacks)
{
	u16 b = PCI_BDF(0xab, 0x1f, 7);

	CHECK_EQ_U64(b, 0xabff);
	CHECK_EQ_U64(PCI_BDF_BUS(b), 0xab);
	CHECK_EQ_U64(PCI_BDF_DEV(b), 0x1f);
	CHECK_EQ_U64(PCI_BDF_FN(b), 7);
	CHECK_EQ_U64(PCI_BDF(0x100, 0x20, 8), 0); /* out-of-range parts do not spill over */
	CHECK_EQ_U64(PCI_BDF(0, 3, 1), 0x19);
}

TEST(owner_by_list_then_rest)
{
	CHECK_EQ_U64(pci_owner_of(&own, PCI_BDF(0, 3, 0)), VM_A);
	CHECK_EQ_U64(pci_owner_of(&own, PCI_BDF(0, 3, 1)), VM_A);
	CHECK_EQ_U64(pci_owner_of(&own, PCI_BDF(0, 3, 2)), VM_C);
	CHECK_EQ_U64(pci_owner_of(&own, PCI_BDF(2, 0, 0)), VM_B);
	CHECK_EQ_U64(pci_owner_of(&own, PCI_BDF(0xff, 31, 7)), VM_B);
	CHECK_EQ_U64(pci_owner_of(&own, PCI_BDF(0, 0, 0)), PCI_VM_READ_ONLY);
	CHECK_EQ_U64(pci_owner_of(&own_no_rest, PCI_BDF(0, 4, 0)), PCI_VM_NONE);
}

TEST(reads_pass_only_for_the_owner)
{
	struct pci_cfg_access a = acc(PCI_BDF(0, 3, 0), 0, 4, 0);
	u32 bdf, once = 0;
	u32 passed[3] = { 0, 0, 0 };
	u16 vm;

	CHECK_EQ_INT(pci_cfg_read_check(&own, VM_A, &a), PCI_CFG_PASS);
	CHECK_EQ_INT(pci_cfg_read_check(&own, VM_B, &a), PCI_CFG_ABSENT);
	CHECK_EQ_INT(pci_cfg_read_check(&own, VM_C, &a), PCI_CFG_ABSENT);
	a.bdf = PCI_BDF(0, 0, 0); /* every VM reads the host bridge */
	for (vm = VM_A; vm <= VM_C; vm++)
		CHECK_EQ_INT(pci_cfg_read_check(&own, vm, &a), PCI_CFG_PASS);
	/* Across all 65536 functions each is visible to exactly one VM (or all, read-only). */
	for (bdf = 0; bdf <= 0xffff; bdf++) {
		u32 seen = 0;

		a.bdf = (u16)bdf;
		for (vm = VM_A; vm <= VM_C; vm++)
			if (pci_cfg_read_check(&own, vm, &a) == PCI_CFG_PASS) {
				passed[vm]++;
				seen++;
			}
		once += seen == 1;
	}
	CHECK_EQ_U64(once, 65535); /* all but the host bridge, which all three see */
	CHECK_EQ_U64(passed[VM_A], 3);
	CHECK_EQ_U64(passed[VM_B], 3);
	CHECK_EQ_U64(passed[VM_C], 65536 - ARRAY_SIZE(owners) + 1);
	/* Nobody owns the rest, and the "no VM" numbers own nothing. */
	a.bdf = PCI_BDF(0, 4, 0);
	CHECK_EQ_INT(pci_cfg_read_check(&own_no_rest, VM_C, &a), PCI_CFG_ABSENT);
	CHECK_EQ_INT(pci_cfg_read_check(&own_no_rest, PCI_VM_NONE, &a), PCI_CFG_ABSENT);
	CHECK_EQ_INT(pci_cfg_write_check(&own_no_rest, PCI_VM_NONE, &a, &(struct pci_fn_state){ 0 }, NULL, 0,
					  NULL, 0),
		     PCI_CFG_ABSENT);
}

/* ---- ports ---- */

#define LATCH(bus, dev, fn, reg) (0x80000000u | (u32)PCI_BDF(bus, dev, fn) << 8 | (reg))

TEST(port_decode_every_port_and_width)
{
	struct pci_cfg_access a;
	u32 latch = LATCH(0, 3, 1, 0x40);
	u16 port;
	u8 w;

	for (port = 0xcf8; port <= 0xcff; port++)
		for (w = 0; w <= 8; w++) {
			int v = pci_cfg_port_decode(latch, port, w, &a);
			u32 k = (u32)port - 0xcfc;

			if (w != 1 && w != 2 && w != 4)
				CHECK_EQ_INT(v, PCI_CFG_ABSENT);
			else if (port == 0xcf8 && w == 4)
				CHECK_EQ_INT(v, PCI_CFG_LATCH);
			else if (port < 0xcfc)
				CHECK_EQ_INT(v, PCI_CFG_NOT_CONFIG); /* 0xcf9 is reset control */
			else if (k + w > 4)
				CHECK_EQ_INT(v, PCI_CFG_ABSENT);
			else if (CHECK_EQ_INT(v, PCI_CFG_PASS)) {
				CHECK_EQ_U64(a.bdf, PCI_BDF(0, 3, 1));
				CHECK_EQ_U64(a.reg, 0x40 + k);
				CHECK_EQ_U64(a.width, w);
			}
		}
	CHECK_EQ_INT(pci_cfg_port_decode(latch, 0xcf7, 1, &a), PCI_CFG_NOT_CONFIG);
	CHECK_EQ_INT(pci_cfg_port_decode(latch, 0xd00, 4, &a), PCI_CFG_NOT_CONFIG);
	CHECK_EQ_INT(pci_cfg_port_decode(latch, 0x0, 4, &a), PCI_CFG_NOT_CONFIG);
	CHECK_EQ_INT(pci_cfg_port_decode(latch, 0xffff, 4, &a), PCI_CFG_NOT_CONFIG);
}

TEST(port_decode_latch_fields)
{
	struct pci_cfg_access a;

	/* Enable bit clear: nothing is addressed. */
	CHECK_EQ_INT(pci_cfg_port_decode(LATCH(0, 3, 0, 0) & ~0x80000000u, 0xcfc, 4, &a), PCI_CFG_ABSENT);
	/* Every bus, device, function and dword register reaches its place. */
	CHECK_EQ_INT(pci_cfg_port_decode(LATCH(0xff, 31, 7, 0xfc), 0xcfe, 2, &a), PCI_CFG_PASS);
	CHECK_EQ_U64(a.bdf, 0xffff);
	CHECK_EQ_U64(a.reg, 0xfe);
	/* Reserved bits 30:24 and 1:0 are ignored, as Intel chipsets do: never a register above
	 * 0xff, never another function. */
	CHECK_EQ_INT(pci_cfg_port_decode(LATCH(1, 2, 3, 0x10) | 0x7f000003u, 0xcff, 1, &a), PCI_CFG_PASS);
	CHECK_EQ_U64(a.bdf, PCI_BDF(1, 2, 3));
	CHECK_EQ_U64(a.reg, 0x13);
	CHECK_EQ_U64(pci_cfg_latch(0xffffffffu), 0xfffffffcu);
	CHECK_EQ_U64(pci_cfg_latch(LATCH(0, 3, 0, 0x10)), LATCH(0, 3, 0, 0x10));
}

/* ---- MMCONFIG ---- */

TEST(mmio_decode_inside_the_window)
{
	struct pci_mmcfg w = { 0xb0000000, 0, 255 };
	struct pci_cfg_access a;
	u32 off;
	u8 width;

	CHECK_EQ_INT(pci_cfg_mmio_decode(&w, 0xb0000000 + (2u << 20) + (3u << 15) + (1u << 12) + 0x104, 4, &a),
		     PCI_CFG_PASS);
	CHECK_EQ_U64(a.bdf, PCI_BDF(2, 3, 1));
	CHECK_EQ_U64(a.reg, 0x104);
	CHECK_EQ_U64(a.width, 4);
	CHECK_EQ_INT(pci_cfg_mmio_decode(&w, 0xbfffffff, 1, &a), PCI_CFG_PASS);
	CHECK_EQ_U64(a.bdf, 0xffff);
	CHECK_EQ_U64(a.reg, 0xfff);
	/* Every offset of a dword with every width: passes unless it crosses the dword. */
	for (off = 0; off < 8; off++)
		for (width = 0; width <= 8; width++) {
			int v = pci_cfg_mmio_decode(&w, 0xb0000000 + 0x40 + off, width, &a);
			bool good = (width == 1 || width == 2 || width == 4) && (off & 3) + width <= 4;

			CHECK_EQ_INT(v, good ? PCI_CFG_PASS : PCI_CFG_ABSENT);
			if (good)
				CHECK_EQ_U64(a.reg, 0x40 + off);
		}
}

TEST(mmio_decode_hostile_addresses)
{
	struct pci_mmcfg w = { 0xe0000000, 1, 3 }; /* buses 1-3 only */
	struct pci_mmcfg top = { 0xfffffffff0000000ULL, 0, 255 };
	struct pci_mmcfg reversed = { 0xe0000000, 5, 4 };
	struct pci_cfg_access a;

	CHECK_EQ_INT(pci_cfg_mmio_decode(&w, 0xe0000000, 4, &a), PCI_CFG_NOT_CONFIG); /* bus 0 */
	CHECK_EQ_INT(pci_cfg_mmio_decode(&w, 0xe00fffff, 1, &a), PCI_CFG_NOT_CONFIG);
	CHECK_EQ_INT(pci_cfg_mmio_decode(&w, 0xe0100000, 4, &a), PCI_CFG_PASS);
	CHECK_EQ_U64(a.bdf, PCI_BDF(1, 0, 0));
	CHECK_EQ_INT(pci_cfg_mmio_decode(&w, 0xe03ffffc, 4, &a), PCI_CFG_PASS);
	CHECK_EQ_INT(pci_cfg_mmio_decode(&w, 0xe0400000, 4, &a), PCI_CFG_NOT_CONFIG); /* bus 4 */
	CHECK_EQ_INT(pci_cfg_mmio_decode(&w, 0xdfffffff, 1, &a), PCI_CFG_NOT_CONFIG);
	CHECK_EQ_INT(pci_cfg_mmio_decode(&w, 0, 4, &a), PCI_CFG_NOT_CONFIG);
	CHECK_EQ_INT(pci_cfg_mmio_decode(&w, ~0ULL, 1, &a), PCI_CFG_NOT_CONFIG);
	/* An offset so large that bus = offset >> 20 would wrap a narrow type. */
	CHECK_EQ_INT(pci_cfg_mmio_decode(&w, 0xe0000000 + (0x10001ULL << 20), 4, &a), PCI_CFG_NOT_CONFIG);
	/* A window at the top of the address space. */
	CHECK_EQ_INT(pci_cfg_mmio_decode(&top, ~0ULL, 1, &a), PCI_CFG_PASS);
	CHECK_EQ_U64(a.bdf, 0xffff);
	CHECK_EQ_INT(pci_cfg_mmio_decode(&top, ~0ULL - 1, 4, &a), PCI_CFG_ABSENT);
	CHECK_EQ_INT(pci_cfg_mmio_decode(&top, 0xffffffffefffffffULL, 1, &a), PCI_CFG_NOT_CONFIG);
	CHECK_EQ_INT(pci_cfg_mmio_decode(&reversed, 0xe0500000, 4, &a), PCI_CFG_NOT_CONFIG);
}

/* ---- writes ---- */

#define MMIO_A_START 0xfe000000ULL
#define MMIO_A_END 0xfe100000ULL
#define HIGH_A_START 0x800000000ULL
#define HIGH_A_END 0x800100000ULL
static const struct pci_range mmio_a[] = { { MMIO_A_START, MMIO_A_END }, { HIGH_A_START, HIGH_A_END } };
static const struct pci_range io_a[] = { { 0xc000, 0xc100 } };

/* An e1000-like function of VM A: BAR0 128 KiB memory, BAR1 64-bit 16 KiB (1-2), BAR3 I/O
 * 64 ports, a 64 KiB ROM, MSI (64-bit) at 0x50; memory and I/O decoding on. */
static struct pci_fn_state e1000(void)
{
	struct pci_fn_state f = { .header_type = 0, .command = 0x7, .msi_cap = 0x50, .msi_64 = true };

	f.bars[0] = (struct pci_bar_state){ .kind = PCI_BAR_KIND_MEM, .size = 0x20000, .base = MMIO_A_START };
	f.bars[1] = (struct pci_bar_state){ .kind = PCI_BAR_KIND_MEM, .is64 = true, .size = 0x4000, .base = HIGH_A_START };
	f.bars[2] = (struct pci_bar_state){ .kind = PCI_BAR_KIND_HIGH };
	f.bars[3] = (struct pci_bar_state){ .kind = PCI_BAR_KIND_IO, .size = 0x40, .base = 0xc000 };
	f.bars[PCI_FILTER_ROM] = (struct pci_bar_state){ .kind = PCI_BAR_KIND_MEM, .size = 0x10000, .base = MMIO_A_START + 0x80000 };
	return f;
}

static int wr(const struct pci_fn_state *f, u16 reg, u8 width, u32 value, u32 *out)
{
	struct pci_cfg_access a = acc(PCI_BDF(0, 3, 0), reg, width, value);
	int v = pci_cfg_write_check(&own, VM_A, &a, f, mmio_a, ARRAY_SIZE(mmio_a), io_a, ARRAY_SIZE(io_a));

	if (out)
		*out = a.value;
	return v;
}

TEST(writes_to_others_functions_are_dropped)
{
	struct pci_fn_state f = e1000();
	struct pci_cfg_access a = acc(PCI_BDF(2, 0, 0), 0x04, 2, 0x7);

	CHECK_EQ_INT(pci_cfg_write_check(&own, VM_A, &a, &f, mmio_a, 2, io_a, 1), PCI_CFG_ABSENT);
	CHECK_EQ_INT(pci_cfg_write_check(&own, VM_C, &a, &f, mmio_a, 2, io_a, 1), PCI_CFG_ABSENT);
	a.bdf = PCI_BDF(0, 0, 0);
	CHECK_EQ_INT(pci_cfg_write_check(&own, VM_A, &a, &f, mmio_a, 2, io_a, 1), PCI_CFG_DROP);
	a.bdf = PCI_BDF(0, 5, 0); /* the rest is VM C's */
	CHECK_EQ_INT(pci_cfg_write_check(&own, VM_C, &a, &f, NULL, 0, NULL, 0), PCI_CFG_PASS);
	/* The function's state is needed only for the owner's writes. */
	CHECK_EQ_INT(pci_cfg_write_check(&own, VM_A, &a, NULL, NULL, 0, NULL, 0), PCI_CFG_ABSENT);
	CHECK_EQ_INT(pci_cfg_write_check(&own, VM_C, &a, NULL, NULL, 0, NULL, 0), PCI_CFG_DROP);
}

TEST(bar_sizing_with_decoding_off_passes)
{
	struct pci_fn_state f = e1000();
	u16 reg;

	f.command = 0x4; /* bus master only: what Linux leaves while it sizes */
	for (reg = 0x10; reg <= 0x24; reg += 4) {
		CHECK_EQ_INT(wr(&f, reg, 4, 0xffffffffu, NULL), PCI_CFG_PASS);
		CHECK_EQ_INT(wr(&f, reg, 4, 0x12345678u, NULL), PCI_CFG_PASS); /* any value: nothing decodes */
	}
	CHECK_EQ_INT(wr(&f, 0x30, 4, 0xfffff800u, NULL), PCI_CFG_PASS);
	CHECK_EQ_INT(wr(&f, 0x30, 4, 0xfffff801u, NULL), PCI_CFG_PASS);
}

TEST(bar_writes_with_decoding_on_stay_in_the_vms_mmio)
{
	struct pci_fn_state f = e1000();

	CHECK_EQ_INT(wr(&f, 0x10, 4, 0xffffffffu, NULL), PCI_CFG_DROP); /* sizing would move it to 0xfffe0000 */
	CHECK_EQ_INT(wr(&f, 0x10, 4, (u32)MMIO_A_START, NULL), PCI_CFG_PASS);
	CHECK_EQ_INT(wr(&f, 0x10, 4, (u32)MMIO_A_START + 0xe0000, NULL), PCI_CFG_PASS); /* last 128 KiB */
	CHECK_EQ_INT(wr(&f, 0x10, 4, (u32)MMIO_A_START + 0x100000, NULL), PCI_CFG_DROP); /* just past */
	CHECK_EQ_INT(wr(&f, 0x10, 4, (u32)MMIO_A_START - 0x20000, NULL), PCI_CFG_DROP);
	CHECK_EQ_INT(wr(&f, 0x10, 4, 0, NULL), PCI_CFG_DROP);
	/* Low bits below the size are ignored by the device, and so here: still BAR 0xfe000000. */
	CHECK_EQ_INT(wr(&f, 0x10, 4, (u32)MMIO_A_START | 0x1fff0, NULL), PCI_CFG_PASS);
	/* A range straddling the VM's two ranges, or inside the gap: refused. */
	f.bars[0].size = 0x200000;
	CHECK_EQ_INT(wr(&f, 0x10, 4, (u32)MMIO_A_START, NULL), PCI_CFG_DROP);
	f.bars[0].size = 0x30000; /* not a power of two: not a size Plinth measured */
	CHECK_EQ_INT(wr(&f, 0x10, 4, (u32)MMIO_A_START, NULL), PCI_CFG_DROP);
	/* Sub-dword BAR writes are dropped whatever the decoding. */
	f = e1000();
	CHECK_EQ_INT(wr(&f, 0x10, 2, 0, NULL), PCI_CFG_DROP);
	CHECK_EQ_INT(wr(&f, 0x13, 1, 0xfe, NULL), PCI_CFG_DROP);
	f.command = 0;
	CHECK_EQ_INT(wr(&f, 0x12, 2, 0xfe00, NULL), PCI_CFG_DROP);
}

TEST(bar_64_bit_halves)
{
	struct pci_fn_state f = e1000();

	/* Low half: the high half stays 0x8. */
	CHECK_EQ_INT(wr(&f, 0x14, 4, 0x0000c004u, NULL), PCI_CFG_PASS);
	CHECK_EQ_INT(wr(&f, 0x14, 4, 0x00100004u, NULL), PCI_CFG_DROP); /* 0x800100000: past the end */
	CHECK_EQ_INT(wr(&f, 0x14, 4, 0xffffffffu, NULL), PCI_CFG_DROP);
	/* High half: the low half stays 0. */
	CHECK_EQ_INT(wr(&f, 0x18, 4, 0x8, NULL), PCI_CFG_PASS);
	CHECK_EQ_INT(wr(&f, 0x18, 4, 0x9, NULL), PCI_CFG_DROP);
	CHECK_EQ_INT(wr(&f, 0x18, 4, 0x0, NULL), PCI_CFG_DROP); /* 0x0: the first page of RAM */
	CHECK_EQ_INT(wr(&f, 0x18, 4, 0xffffffffu, NULL), PCI_CFG_DROP);
	/* A 64-bit BAR in the low range, moved there half by half with decoding off (as Linux
	 * does), then decoding on. */
	f.command = 0x4;
	CHECK_EQ_INT(wr(&f, 0x14, 4, (u32)MMIO_A_START + 0x40000, NULL), PCI_CFG_PASS);
	CHECK_EQ_INT(wr(&f, 0x18, 4, 0, NULL), PCI_CFG_PASS);
	f.bars[1].base = MMIO_A_START + 0x40000;
	f.command = 0x6;
	CHECK_EQ_INT(wr(&f, 0x18, 4, 0, NULL), PCI_CFG_PASS);
	CHECK_EQ_INT(wr(&f, 0x18, 4, 1, NULL), PCI_CFG_DROP);
	/* A HIGH register with nothing 64-bit before it is a state Plinth does not describe. */
	f.bars[0].kind = PCI_BAR_KIND_HIGH;
	CHECK_EQ_INT(wr(&f, 0x10, 4, 0, NULL), PCI_CFG_DROP);
	f.bars[1].is64 = false;
	CHECK_EQ_INT(wr(&f, 0x18, 4, 0, NULL), PCI_CFG_DROP);
}

TEST(io_bar_and_rom)
{
	struct pci_fn_state f = e1000();

	CHECK_EQ_INT(wr(&f, 0x1c, 4, 0xc041u, NULL), PCI_CFG_PASS); /* ports 0xc040-0xc07f */
	CHECK_EQ_INT(wr(&f, 0x1c, 4, 0xc0c1u, NULL), PCI_CFG_PASS); /* the last 64 */
	CHECK_EQ_INT(wr(&f, 0x1c, 4, 0xc101u, NULL), PCI_CFG_DROP);
	CHECK_EQ_INT(wr(&f, 0x1c, 4, 0x03f9u, NULL), PCI_CFG_DROP); /* over COM1 */
	CHECK_EQ_INT(wr(&f, 0x1c, 4, 0xffffffffu, NULL), PCI_CFG_DROP);
	f.command = 0x6; /* I/O decoding off */
	CHECK_EQ_INT(wr(&f, 0x1c, 4, 0xffffffffu, NULL), PCI_CFG_PASS);
	/* The ROM decodes only with its enable bit: written disabled, it may point anywhere. */
	f = e1000();
	CHECK_EQ_INT(wr(&f, 0x30, 4, 0xfffff800u, NULL), PCI_CFG_PASS);
	CHECK_EQ_INT(wr(&f, 0x30, 4, 0xfffff801u, NULL), PCI_CFG_DROP);
	CHECK_EQ_INT(wr(&f, 0x30, 4, (u32)MMIO_A_START + 0x80001, NULL), PCI_CFG_PASS);
	CHECK_EQ_INT(wr(&f, 0x30, 4, (u32)MMIO_A_START + 0xf8001, NULL), PCI_CFG_PASS); /* 64 KiB aligned: 0xfe0f0000 */
	CHECK_EQ_INT(wr(&f, 0x30, 4, (u32)MMIO_A_END + 1, NULL), PCI_CFG_DROP);
	/* Unused BARs read as zero whatever is written. */
	CHECK_EQ_INT(wr(&f, 0x20, 4, 0xffffffffu, NULL), PCI_CFG_PASS);
	f.bars[4].kind = 7; /* nonsense */
	CHECK_EQ_INT(wr(&f, 0x20, 4, 0, NULL), PCI_CFG_DROP);
}

TEST(command_turns_decoding_on_only_over_the_vms_ranges)
{
	struct pci_fn_state f = e1000();
	u32 v;

	f.command = 0;
	CHECK_EQ_INT(wr(&f, 0x04, 2, 0x0407, &v), PCI_CFG_PASS);
	CHECK_EQ_U64(v, 0x0407);
	CHECK_EQ_INT(wr(&f, 0x04, 4, 0xffff0007u, &v), PCI_CFG_PASS); /* status bits too: passed on */
	CHECK_EQ_U64(v, 0xffff0007u);
	CHECK_EQ_INT(wr(&f, 0x04, 1, 0x07, &v), PCI_CFG_PASS);
	CHECK_EQ_U64(v, 0x07);
	/* BAR0 left at its sizing value: memory decoding is taken out, I/O and bus master stay. */
	f.bars[0].base = 0xfffe0000;
	CHECK_EQ_INT(wr(&f, 0x04, 2, 0x0007, &v), PCI_CFG_PASS);
	CHECK_EQ_U64(v, 0x0005);
	/* The I/O BAR over another VM's ports: I/O decoding too. */
	f.bars[3].base = 0x3f8 & ~0x3fULL;
	CHECK_EQ_INT(wr(&f, 0x04, 2, 0x0007, &v), PCI_CFG_PASS);
	CHECK_EQ_U64(v, 0x0004);
	/* Turning decoding off always passes. */
	CHECK_EQ_INT(wr(&f, 0x04, 2, 0x0000, &v), PCI_CFG_PASS);
	CHECK_EQ_U64(v, 0);
	/* An enabled ROM counts, a disabled one does not. */
	f = e1000();
	f.bars[PCI_FILTER_ROM].base = 0xfff00000;
	CHECK_EQ_INT(wr(&f, 0x04, 2, 0x0002, &v), PCI_CFG_PASS);
	CHECK_EQ_U64(v, 0x0002);
	f.bars[PCI_FILTER_ROM].rom_on = true;
	CHECK_EQ_INT(wr(&f, 0x04, 2, 0x0002, &v), PCI_CFG_PASS);
	CHECK_EQ_U64(v, 0x0000);
	/* Writes beside the decode bits pass untouched. */
	CHECK_EQ_INT(wr(&f, 0x05, 1, 0x04, &v), PCI_CFG_PASS);
	CHECK_EQ_U64(v, 0x04);
	CHECK_EQ_INT(wr(&f, 0x06, 2, 0xffff, &v), PCI_CFG_PASS);
}

TEST(bridge_registers_are_not_written)
{
	struct pci_fn_state f = { .header_type = 0x81, .command = 0x7 }; /* multi-function bridge */
	u16 reg;

	f.bars[0] = (struct pci_bar_state){ .kind = PCI_BAR_KIND_MEM, .size = 0x1000, .base = MMIO_A_START };
	CHECK_EQ_INT(wr(&f, 0x10, 4, (u32)MMIO_A_START + 0x1000, NULL), PCI_CFG_PASS);
	CHECK_EQ_INT(wr(&f, 0x14, 4, 0xffffffffu, NULL), PCI_CFG_PASS); /* BAR 1 unused */
	for (reg = 0x18; reg < 0x34; reg++)
		CHECK_EQ_INT(wr(&f, reg, 1, 0, NULL), PCI_CFG_DROP);
	CHECK_EQ_INT(wr(&f, 0x18, 4, 0x00020100, NULL), PCI_CFG_DROP); /* bus numbers */
	CHECK_EQ_INT(wr(&f, 0x20, 4, 0x0000fff0, NULL), PCI_CFG_DROP); /* memory window over everything */
	CHECK_EQ_INT(wr(&f, 0x3e, 2, 0x0008, NULL), PCI_CFG_DROP);	/* VGA forwarding */
	CHECK_EQ_INT(wr(&f, 0x3c, 4, 0x00080000, NULL), PCI_CFG_DROP);
	CHECK_EQ_INT(wr(&f, 0x3c, 1, 0x0b, NULL), PCI_CFG_PASS); /* interrupt line */
	CHECK_EQ_INT(wr(&f, 0x38, 4, 0xfffff801u, NULL), PCI_CFG_PASS); /* no ROM: unused */
	/* A type 0 function's 0x18-0x33 are BARs and subsystem IDs, not windows. */
	f.header_type = 0;
	CHECK_EQ_INT(wr(&f, 0x2c, 4, 0, NULL), PCI_CFG_PASS);
	CHECK_EQ_INT(wr(&f, 0x3e, 2, 0, NULL), PCI_CFG_PASS);
	/* Other header types (CardBus): the whole header after the common part. */
	f.header_type = 2;
	for (reg = 0x10; reg < 0x40; reg += 4)
		CHECK_EQ_INT(wr(&f, reg, 4, 0, NULL), PCI_CFG_DROP);
	CHECK_EQ_INT(wr(&f, 0x40, 4, 0, NULL), PCI_CFG_PASS);
	CHECK_EQ_INT(wr(&f, 0x0c, 1, 0x10, NULL), PCI_CFG_PASS); /* cache line size */
}

TEST(msi_control_address_and_data_are_the_callers)
{
	struct pci_fn_state f = e1000();
	u16 reg;

	for (reg = 0x50; reg < 0x60; reg++) {
		int want = reg >= 0x52 && reg < 0x5e ? PCI_CFG_CHECK_MSI : PCI_CFG_PASS;

		CHECK_EQ_INT(wr(&f, reg, 1, 0, NULL), want);
	}
	CHECK_EQ_INT(wr(&f, 0x50, 4, 0x00810005, NULL), PCI_CFG_CHECK_MSI); /* covers control */
	CHECK_EQ_INT(wr(&f, 0x50, 2, 0x6005, NULL), PCI_CFG_PASS);	   /* ID and next only */
	CHECK_EQ_INT(wr(&f, 0x5c, 2, 0x4041, NULL), PCI_CFG_CHECK_MSI);
	f.msi_64 = false; /* data at +8 */
	CHECK_EQ_INT(wr(&f, 0x58, 2, 0x4041, NULL), PCI_CFG_CHECK_MSI);
	CHECK_EQ_INT(wr(&f, 0x5a, 2, 0, NULL), PCI_CFG_PASS);
	CHECK_EQ_INT(wr(&f, 0x5c, 4, 0, NULL), PCI_CFG_PASS);
	f.msi_cap = 0;
	CHECK_EQ_INT(wr(&f, 0x04 + 0x50, 4, 0, NULL), PCI_CFG_PASS);
	/* Extended configuration space passes for the owner. */
	CHECK_EQ_INT(wr(&f, 0x100, 4, 0, NULL), PCI_CFG_PASS);
	CHECK_EQ_INT(wr(&f, 0xffc, 4, 0, NULL), PCI_CFG_PASS);
}

static const u32 vm_cpus[] = { 2, 3 };

static int msi_wr(struct pci_fn_state *f, u16 reg, u8 width, u32 value, u32 *out)
{
	struct pci_cfg_access a = acc(PCI_BDF(0, 3, 0), reg, width, value);
	int v = pci_msi_write_check(&a, f, vm_cpus, ARRAY_SIZE(vm_cpus));

	if (out)
		*out = a.value;
	return v;
}

TEST(msi_without_remapping_as_linux_programs_it)
{
	struct pci_fn_state f = e1000(); /* MSI at 0x50, 64-bit, disabled, all zeros */
	u32 v;

	/* Disabled, anything goes: address low, high, data, one by one. */
	CHECK_EQ_INT(msi_wr(&f, 0x54, 4, 0xfee03000, NULL), PCI_CFG_PASS);
	f.msi_addr = 0xfee03000;
	CHECK_EQ_INT(msi_wr(&f, 0x58, 4, 0, NULL), PCI_CFG_PASS);
	CHECK_EQ_INT(msi_wr(&f, 0x5c, 2, 0x0041, NULL), PCI_CFG_PASS);
	f.msi_data = 0x41;
	/* Enabling with a pair that aims at CPU 3: passes as written. */
	CHECK_EQ_INT(msi_wr(&f, 0x52, 2, 0x0081, &v), PCI_CFG_PASS);
	CHECK_EQ_U64(v, 0x0081);
	f.msi_ctrl = 0x0081;
	/* Enabled: moving it to CPU 2 or another vector passes, anything else is dropped. */
	CHECK_EQ_INT(msi_wr(&f, 0x54, 4, 0xfee02000, NULL), PCI_CFG_PASS);
	CHECK_EQ_INT(msi_wr(&f, 0x55, 1, 0x00, NULL), PCI_CFG_DROP);	 /* destination 0 */
	CHECK_EQ_INT(msi_wr(&f, 0x54, 4, 0xfee0300c, NULL), PCI_CFG_DROP); /* logical */
	CHECK_EQ_INT(msi_wr(&f, 0x58, 4, 1, NULL), PCI_CFG_DROP);	 /* above 4 GiB: not an interrupt */
	CHECK_EQ_INT(msi_wr(&f, 0x5c, 2, 0x0042, NULL), PCI_CFG_PASS);
	CHECK_EQ_INT(msi_wr(&f, 0x5c, 2, 0x0442, NULL), PCI_CFG_DROP); /* NMI */
	CHECK_EQ_INT(msi_wr(&f, 0x5c, 1, 0x05, NULL), PCI_CFG_DROP);	 /* vector 5 */
	CHECK_EQ_INT(msi_wr(&f, 0x54, 4, 0xfee03010, NULL), PCI_CFG_DROP); /* remappable format */
	/* Turning it off always passes. */
	CHECK_EQ_INT(msi_wr(&f, 0x52, 2, 0x0080, &v), PCI_CFG_PASS);
	CHECK_EQ_U64(v, 0x0080);
}

TEST(msi_turned_on_with_a_bad_pair_stays_off)
{
	struct pci_fn_state f = e1000();
	u32 v;

	f.msi_addr = 0xfee00000; /* CPU 0: another VM's */
	f.msi_data = 0x41;
	CHECK_EQ_INT(msi_wr(&f, 0x52, 2, 0x0081, &v), PCI_CFG_PASS);
	CHECK_EQ_U64(v, 0x0080);
	CHECK_EQ_INT(msi_wr(&f, 0x52, 1, 0x01, &v), PCI_CFG_PASS);
	CHECK_EQ_U64(v, 0);
	CHECK_EQ_INT(msi_wr(&f, 0x50, 4, 0x00816005, &v), PCI_CFG_PASS); /* the enable bit is bit 16 */
	CHECK_EQ_U64(v, 0x00806005);
	/* Nothing there at all (reset state). */
	f.msi_addr = 0, f.msi_data = 0;
	CHECK_EQ_INT(msi_wr(&f, 0x52, 2, 0x0001, &v), PCI_CFG_PASS);
	CHECK_EQ_U64(v, 0);
	/* An enabled MSI whose pair is bad (the firmware's): a write keeping it on is dropped. */
	f.msi_ctrl = 0x0001;
	CHECK_EQ_INT(msi_wr(&f, 0x52, 2, 0x0001, NULL), PCI_CFG_DROP);
	CHECK_EQ_INT(msi_wr(&f, 0x52, 2, 0x0000, NULL), PCI_CFG_PASS);
}

TEST(msi_multiple_messages_and_32_bit_form)
{
	struct pci_fn_state f = e1000();

	f.msi_64 = false; /* data at +8 */
	f.msi_addr = 0xfee02000;
	f.msi_ctrl = 0x0021; /* enabled, 4 messages (MME 2) */
	CHECK_EQ_INT(msi_wr(&f, 0x58, 2, 0x0040, NULL), PCI_CFG_PASS);
	CHECK_EQ_INT(msi_wr(&f, 0x58, 2, 0x0012, NULL), PCI_CFG_PASS); /* vectors 0x10-0x13 */
	CHECK_EQ_INT(msi_wr(&f, 0x58, 2, 0x000e, NULL), PCI_CFG_DROP); /* vectors 0x0c-0x0f */
	f.msi_ctrl = 0x0001;
	CHECK_EQ_INT(msi_wr(&f, 0x58, 2, 0x000e, NULL), PCI_CFG_DROP);
	CHECK_EQ_INT(msi_wr(&f, 0x58, 2, 0x0010, NULL), PCI_CFG_PASS);
	/* The 32-bit form has no upper address: what sits at +8 is the data. */
	f.msi_data = 0x41;
	CHECK_EQ_INT(msi_wr(&f, 0x54, 4, 0xfee03000, NULL), PCI_CFG_PASS);
}

TEST(range_inside_edges)
{
	static const struct pci_range r[] = { { 0x1000, 0x2000 }, { 0xfffffffffffff000ULL, ~0ULL } };

	CHECK(pci_range_inside(r, 2, 0x1000, 0x1000));
	CHECK(pci_range_inside(r, 2, 0x1800, 0x800));
	CHECK(!pci_range_inside(r, 2, 0x1800, 0x801));
	CHECK(!pci_range_inside(r, 2, 0xfff, 2));
	CHECK(!pci_range_inside(r, 2, 0x1000, 0));
	CHECK(!pci_range_inside(r, 2, 0x1800, ~0ULL)); /* wraps */
	CHECK(pci_range_inside(r, 2, 0xfffffffffffff000ULL, 0xfff));
	CHECK(!pci_range_inside(r, 2, 0xfffffffffffff000ULL, 0x1000)); /* ends at 2^64 */
	CHECK(!pci_range_inside(r, 0, 0x1000, 1));
}

/* The table Plinth builds from a configuration's devices lists (vm_pci.c, arch_pci_owners). */
TEST(ownership_from_the_configuration)
{
	static const u16 a[] = { PCI_BDF(0, 3, 0), PCI_BDF(0, 3, 1) };
	static const u16 b[] = { PCI_BDF(2, 0, 0), PCI_BDF(0, 0, 0), PCI_BDF(0, 3, 0) };
	const struct pci_vm_devices vms[] = { { a, 2 }, { b, 3 }, { NULL, 0 } };
	struct pci_owner table[8];
	struct pci_ownership o;

	CHECK_EQ_U64(pci_ownership_build(&o, table, ARRAY_SIZE(table), vms, 3, VM_C), 4);
	CHECK_EQ_U64(o.count, 4);
	/* The host bridge is read-only even to the VM that lists it; a function listed again keeps
	 * its first owner (the configuration check refuses that before it gets here). */
	CHECK_EQ_U64(pci_owner_of(&o, PCI_BDF(0, 0, 0)), PCI_VM_READ_ONLY);
	CHECK_EQ_U64(pci_owner_of(&o, PCI_BDF(0, 3, 0)), VM_A);
	CHECK_EQ_U64(pci_owner_of(&o, PCI_BDF(0, 3, 1)), VM_A);
	CHECK_EQ_U64(pci_owner_of(&o, PCI_BDF(2, 0, 0)), VM_B);
	CHECK_EQ_U64(pci_owner_of(&o, PCI_BDF(0, 1, 0)), VM_C); /* the rest */
	CHECK(!pci_owns(&o, VM_B, PCI_BDF(0, 0, 0)));
	CHECK(pci_owns(&o, VM_C, PCI_BDF(5, 0, 0)));
	/* No rest VM: unlisted functions are nobody's. */
	CHECK_EQ_U64(pci_ownership_build(&o, table, ARRAY_SIZE(table), vms, 3, PCI_VM_NONE), 4);
	CHECK_EQ_U64(pci_owner_of(&o, PCI_BDF(0, 1, 0)), PCI_VM_NONE);
	CHECK(!pci_owns(&o, VM_C, PCI_BDF(0, 1, 0)));
	/* Too small a table is refused, with what fitted still consistent. */
	CHECK_EQ_U64(pci_ownership_build(&o, table, 2, vms, 3, VM_C), (u64)-1);
	CHECK_EQ_U64(o.count, 2);
	CHECK_EQ_U64(pci_ownership_build(&o, table, 0, vms, 3, VM_C), (u64)-1);
	CHECK_EQ_U64(o.count, 0);
}

/* The functions each VM's DMA domain gets (iommu.c for partitions): what it owns outright among
 * those present; never the read-only host bridge, never another VM's, never a listed function
 * the machine lacks. */
TEST(dma_domain_functions)
{
	static const u16 present[] = { PCI_BDF(0, 0, 0), PCI_BDF(0, 1, 0), PCI_BDF(0, 3, 0), PCI_BDF(2, 0, 0),
				       PCI_BDF(0, 3, 1), PCI_BDF(0, 4, 0) };
	u16 out[8];

	CHECK_EQ_U64(pci_owned_functions(&own, VM_A, present, ARRAY_SIZE(present), out, 8), 2);
	CHECK_EQ_U64(out[0], PCI_BDF(0, 3, 0));
	CHECK_EQ_U64(out[1], PCI_BDF(0, 3, 1));
	/* VM_B lists ff:1f.7 too, which is not present. */
	CHECK_EQ_U64(pci_owned_functions(&own, VM_B, present, ARRAY_SIZE(present), out, 8), 1);
	CHECK_EQ_U64(out[0], PCI_BDF(2, 0, 0));
	/* The rest VM: every present function nobody lists, the host bridge not among them. */
	CHECK_EQ_U64(pci_owned_functions(&own, VM_C, present, ARRAY_SIZE(present), out, 8), 2);
	CHECK_EQ_U64(out[0], PCI_BDF(0, 1, 0));
	CHECK_EQ_U64(out[1], PCI_BDF(0, 4, 0));
	CHECK_EQ_U64(pci_owned_functions(&own_no_rest, VM_C, present, ARRAY_SIZE(present), out, 8), 0);
	CHECK_EQ_U64(pci_owned_functions(&own, PCI_VM_READ_ONLY, present, ARRAY_SIZE(present), out, 8), 0);
	/* A short buffer: the count says how many there are, only max are written. */
	out[1] = 0x1234;
	CHECK_EQ_U64(pci_owned_functions(&own, VM_A, present, ARRAY_SIZE(present), out, 1), 2);
	CHECK_EQ_U64(out[1], 0x1234);
}

/* MSI-X at 0x70, its table in BAR0 (trapped there, x86/msix.h). */
static struct pci_fn_state with_msix(bool usable)
{
	struct pci_fn_state f = e1000();

	f.msix_cap = 0x70;
	f.msix_usable = usable;
	f.msix_bar = 0;
	f.msix_home = MMIO_A_START;
	return f;
}

TEST(msix_enable_passes_only_when_the_table_is_trapped)
{
	struct pci_fn_state f = with_msix(true);
	u32 v;

	CHECK_EQ_INT(wr(&f, 0x72, 2, 0xc000, &v), PCI_CFG_PASS); /* enable and function mask */
	CHECK_EQ_U64(v, 0xc000);
	f = with_msix(false);
	CHECK_EQ_INT(wr(&f, 0x72, 2, 0xc000, &v), PCI_CFG_PASS);
	CHECK_EQ_U64(v, 0x4000); /* the function mask stays, the enable goes */
	CHECK_EQ_INT(wr(&f, 0x73, 1, 0x80, &v), PCI_CFG_PASS);
	CHECK_EQ_U64(v, 0);
	CHECK_EQ_INT(wr(&f, 0x70, 4, 0x80001111u, &v), PCI_CFG_PASS); /* the dword with the header */
	CHECK_EQ_U64(v, 0x00001111u);
	CHECK_EQ_INT(wr(&f, 0x72, 1, 0xff, &v), PCI_CFG_PASS); /* the low byte has no enable */
	CHECK_EQ_U64(v, 0xff);
	CHECK_EQ_INT(wr(&f, 0x74, 4, 0xffffffffu, &v), PCI_CFG_PASS); /* read-only table register */
	CHECK_EQ_U64(v, 0xffffffffu);
}

TEST(the_msix_bar_stays_where_its_table_is_trapped)
{
	struct pci_fn_state f = with_msix(true);
	u32 v;

	/* Decoding on: BAR0 moves nowhere, even inside the VM's ranges; BAR1 still may. */
	CHECK_EQ_INT(wr(&f, 0x10, 4, MMIO_A_START + 0x20000, NULL), PCI_CFG_DROP);
	CHECK_EQ_INT(wr(&f, 0x10, 4, MMIO_A_START, NULL), PCI_CFG_PASS);
	CHECK_EQ_INT(wr(&f, 0x14, 4, (u32)HIGH_A_START + 0x4000, NULL), PCI_CFG_PASS);
	/* Decoding off: the sizing passes, but memory decoding turns on only at home. */
	f.command = 0x5;
	CHECK_EQ_INT(wr(&f, 0x10, 4, 0xffffffffu, NULL), PCI_CFG_PASS);
	f.bars[0].base = MMIO_A_START + 0x20000; /* moved inside the VM's window */
	CHECK_EQ_INT(wr(&f, 0x04, 2, 0x0007, &v), PCI_CFG_PASS);
	CHECK_EQ_U64(v, 0x0005);
	f.bars[0].base = MMIO_A_START;
	CHECK_EQ_INT(wr(&f, 0x04, 2, 0x0007, &v), PCI_CFG_PASS);
	CHECK_EQ_U64(v, 0x0007);
	/* The table in the 64-bit BAR1: its upper half counts as a move too. */
	f = with_msix(true);
	f.msix_bar = 1;
	f.msix_home = HIGH_A_START;
	CHECK_EQ_INT(wr(&f, 0x18, 4, 0, NULL), PCI_CFG_DROP);
	CHECK_EQ_INT(wr(&f, 0x18, 4, (u32)(HIGH_A_START >> 32), NULL), PCI_CFG_PASS);
	CHECK_EQ_INT(wr(&f, 0x14, 4, (u32)HIGH_A_START + 0x4000, NULL), PCI_CFG_DROP);
	/* Without a trapped table nothing is pinned. */
	f = with_msix(false);
	CHECK_EQ_INT(wr(&f, 0x10, 4, MMIO_A_START + 0x20000, NULL), PCI_CFG_PASS);
}

/* Under remapping the guest's MSI registers are a shadow: writes land there, reads return
 * them over the device's (Plinth's) pair; one vector only. */
TEST(msi_shadow_under_remapping)
{
	struct pci_fn_state f = e1000(); /* 64-bit MSI at 0x50: ctrl 0x52, addr 0x54-0x5b, data 0x5c */
	struct pci_msi_shadow s = { 0 };
	struct pci_cfg_access a;

	f.msi_ctrl = 0x0086; /* 64-bit, MMC 3 (8 messages) */
	f.msi_addr = 0xfee0a010; /* the device's remappable pair */
	f.msi_data = 0;
	a = acc(PCI_BDF(0, 3, 0), 0x54, 4, 0xfee03000);
	pci_msi_shadow_write(&a, &f, &s);
	a = acc(PCI_BDF(0, 3, 0), 0x58, 4, 0);
	pci_msi_shadow_write(&a, &f, &s);
	a = acc(PCI_BDF(0, 3, 0), 0x5c, 2, 0x0041);
	pci_msi_shadow_write(&a, &f, &s);
	CHECK_EQ_U64(s.addr, 0xfee03000);
	CHECK_EQ_U64(s.data, 0x41);
	CHECK_EQ_U64(s.ctrl, 0);
	/* Enable with MME 3 asked: enable kept, MME not (one vector offered). */
	a = acc(PCI_BDF(0, 3, 0), 0x52, 2, 0x00b1);
	pci_msi_shadow_write(&a, &f, &s);
	CHECK_EQ_U64(s.ctrl, 1);
	CHECK_EQ_U64(s.addr, 0xfee03000);
	/* A dword over the capability header writes control too; the header is not the shadow's. */
	a = acc(PCI_BDF(0, 3, 0), 0x50, 4, 0x00006005);
	pci_msi_shadow_write(&a, &f, &s);
	CHECK_EQ_U64(s.ctrl, 0);
	a = acc(PCI_BDF(0, 3, 0), 0x52, 1, 0x01);
	pci_msi_shadow_write(&a, &f, &s);
	CHECK_EQ_U64(s.ctrl, 1);
	/* Reads: control with MMC 0 and the guest's enable, the guest's address and data. */
	a = acc(PCI_BDF(0, 3, 0), 0x50, 4, 0);
	CHECK_EQ_U64(pci_msi_shadow_read(&a, &f, &s, 0x00866005), 0x00816005);
	a = acc(PCI_BDF(0, 3, 0), 0x54, 4, 0);
	CHECK_EQ_U64(pci_msi_shadow_read(&a, &f, &s, 0xfee0a010), 0xfee03000);
	a = acc(PCI_BDF(0, 3, 0), 0x58, 4, 0);
	CHECK_EQ_U64(pci_msi_shadow_read(&a, &f, &s, 0), 0);
	a = acc(PCI_BDF(0, 3, 0), 0x5c, 4, 0);
	CHECK_EQ_U64(pci_msi_shadow_read(&a, &f, &s, 0xabcd0000), 0xabcd0041); /* past the data: the device's */
	a = acc(PCI_BDF(0, 3, 0), 0x55, 1, 0);
	CHECK_EQ_U64(pci_msi_shadow_read(&a, &f, &s, 0xa0), 0x30);
	a = acc(PCI_BDF(0, 3, 0), 0x4c, 4, 0);
	CHECK_EQ_U64(pci_msi_shadow_read(&a, &f, &s, 0x12345678), 0x12345678); /* before the capability */
	/* The 32-bit form: data at +8, the address's upper half not there. */
	f.msi_64 = false;
	s = (struct pci_msi_shadow){ 0 };
	a = acc(PCI_BDF(0, 3, 0), 0x54, 4, 0xfee02000);
	pci_msi_shadow_write(&a, &f, &s);
	a = acc(PCI_BDF(0, 3, 0), 0x58, 2, 0x0051);
	pci_msi_shadow_write(&a, &f, &s);
	CHECK_EQ_U64(s.addr, 0xfee02000);
	CHECK_EQ_U64(s.data, 0x51);
	a = acc(PCI_BDF(0, 3, 0), 0x58, 4, 0);
	CHECK_EQ_U64(pci_msi_shadow_read(&a, &f, &s, 0xffff0000), 0xffff0051);
}
