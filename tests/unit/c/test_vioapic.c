// sources: hypervisor/arch/x86/vioapic.c hypervisor/arch/x86/irq_policy.c
/*
 * A VM's I/O APIC shadow (arch/x86/vioapic.c): the ID, version and arbitration registers; an
 * owned pin programmed the way Linux does it yields the physical entry to write; entries with
 * a destination outside the VM, a logical destination, a forbidden delivery mode or vector are
 * refused and counted, with nothing changed; other VMs' pins read masked and their writes are
 * dropped and counted; emulated pins are routed for injection; any offset, width and IOREGSEL
 * value is harmless.
 */
#include <plinth/errno.h>
#include <x86/vioapic.h>

#include "test.h"

static const u32 ids[] = { 2, 3 }; /* the VM's CPUs */
static struct vioapic v;
static struct vioapic_action act;

static void setup(u8 version)
{
	REQUIRE(vioapic_init(&v, 1, version, 24, ids, 2) == 0);
	REQUIRE(vioapic_set_pin(&v, 4, VIOAPIC_PIN_EMULATED) == 0);
	REQUIRE(vioapic_set_pin(&v, 11, VIOAPIC_PIN_OWNED) == 0);
	REQUIRE(vioapic_set_pin(&v, 16, VIOAPIC_PIN_OWNED) == 0);
}

static u32 reg_read(u8 reg)
{
	vioapic_mmio_write(&v, IOAPIC_REGSEL, 4, reg, &act);
	return vioapic_mmio_read(&v, IOAPIC_WINDOW, 4);
}

static void reg_write(u8 reg, u32 value)
{
	struct vioapic_action sel;

	vioapic_mmio_write(&v, IOAPIC_REGSEL, 4, reg, &sel);
	vioapic_mmio_write(&v, IOAPIC_WINDOW, 4, value, &act);
}

/* Writes a whole entry as Linux's __ioapic_write_entry does: high dword, then low. */
static void entry_write(u32 pin, u64 e)
{
	reg_write((u8)(IOAPIC_REG_RTE(pin) + 1), (u32)(e >> 32));
	reg_write((u8)IOAPIC_REG_RTE(pin), (u32)e);
}

static u64 entry_read(u32 pin)
{
	return reg_read((u8)IOAPIC_REG_RTE(pin)) | (u64)reg_read((u8)(IOAPIC_REG_RTE(pin) + 1)) << 32;
}

#define DEST(id) ((u64)(id) << 56)

TEST(init_refuses_what_cannot_exist)
{
	CHECK_EQ_INT(vioapic_init(&v, 0, 0x20, 0, ids, 2), -EINVAL);
	CHECK_EQ_INT(vioapic_init(&v, 0, 0x20, VIOAPIC_MAX_PINS + 1, ids, 2), -EINVAL);
	CHECK_EQ_INT(vioapic_init(&v, 0, 0x20, 24, NULL, 2), -EINVAL);
	CHECK_EQ_INT(vioapic_init(&v, 0, 0x20, 24, ids, 0), -EINVAL);
	CHECK_EQ_INT(vioapic_init(&v, 0, 0x20, VIOAPIC_MAX_PINS, ids, 2), 0);
	CHECK_EQ_INT(vioapic_set_pin(&v, VIOAPIC_MAX_PINS, VIOAPIC_PIN_OWNED), -EINVAL);
	CHECK_EQ_INT(vioapic_set_pin(&v, 0, 3), -EINVAL);
	CHECK_EQ_INT(vioapic_set_pin(&v, VIOAPIC_MAX_PINS - 1, VIOAPIC_PIN_OWNED), 0);
	/* The last pin is registers 0xfe and 0xff. */
	entry_write(VIOAPIC_MAX_PINS - 1, DEST(3) | 0x40);
	CHECK_EQ_U64(act.kind, VIOAPIC_ACT_PROGRAM);
	CHECK_EQ_U64(act.pin, VIOAPIC_MAX_PINS - 1);
	CHECK_EQ_U64(entry_read(VIOAPIC_MAX_PINS - 1), DEST(3) | 0x40);
}

TEST(id_version_and_arbitration)
{
	setup(0x20);
	CHECK_EQ_U64(reg_read(IOAPIC_REG_ID), 0x01000000);
	CHECK_EQ_U64(reg_read(IOAPIC_REG_VERSION), 0x00170020); /* 24 entries */
	CHECK_EQ_U64(reg_read(IOAPIC_REG_ARB), 0x01000000);
	reg_write(IOAPIC_REG_ID, 0xff000000);
	CHECK_EQ_U64(act.kind, VIOAPIC_ACT_NONE); /* the VM's own view only */
	CHECK_EQ_U64(reg_read(IOAPIC_REG_ID), 0x0f000000);
	reg_write(IOAPIC_REG_VERSION, 0);
	reg_write(IOAPIC_REG_ARB, 0);
	CHECK_EQ_U64(reg_read(IOAPIC_REG_VERSION), 0x00170020);
	CHECK_EQ_U64(act.kind, VIOAPIC_ACT_NONE);
	CHECK_EQ_U64(reg_read(0x03), 0);
	CHECK_EQ_U64(reg_read(0x0f), 0);
	CHECK_EQ_U64(vioapic_mmio_read(&v, IOAPIC_REGSEL, 4), 0x0f);
	CHECK_EQ_U64(v.refused + v.dropped, 0);
}

TEST(owned_pin_as_linux_programs_it)
{
	u64 e = DEST(3) | IOAPIC_RTE_LEVEL | IOAPIC_RTE_ACTIVE_LOW | 0x31;

	setup(0x20);
	CHECK_EQ_U64(entry_read(11), IOAPIC_RTE_MASKED); /* masked from the start */
	/* Masking as ioapic_mask_entry does: low (masked) first, then high 0. Destination 0 is
	 * not the VM's, but a masked entry delivers nothing; the physical one gets CPU 2. */
	reg_write(IOAPIC_REG_RTE(11), IOAPIC_RTE_MASKED);
	CHECK_EQ_U64(act.kind, VIOAPIC_ACT_PROGRAM);
	reg_write(IOAPIC_REG_RTE(11) + 1, 0);
	CHECK_EQ_U64(act.kind, VIOAPIC_ACT_PROGRAM);
	CHECK_EQ_U64(act.pin, 11);
	CHECK_EQ_U64(act.rte, DEST(2) | IOAPIC_RTE_MASKED);
	CHECK_EQ_U64(entry_read(11), IOAPIC_RTE_MASKED); /* the VM reads what it wrote */
	entry_write(11, e);
	CHECK_EQ_U64(act.kind, VIOAPIC_ACT_PROGRAM);
	CHECK_EQ_U64(act.rte, e);
	CHECK_EQ_U64(entry_read(11), e);
	/* Moving it to the other CPU, still unmasked. */
	reg_write(IOAPIC_REG_RTE(11) + 1, 0x02000000);
	CHECK_EQ_U64(act.rte, (e & ~DEST(0xff)) | DEST(2));
	CHECK_EQ_U64(v.refused + v.dropped, 0);
}

TEST(destinations_outside_the_vm_are_refused)
{
	u32 id;
	u64 good = DEST(2) | 0x41;

	setup(0x20);
	entry_write(16, good);
	for (id = 0; id <= 0xff; id++) {
		u64 before = v.refused;

		reg_write(IOAPIC_REG_RTE(16) + 1, id << 24);
		if (id == 2 || id == 3) {
			CHECK_EQ_U64(act.kind, VIOAPIC_ACT_PROGRAM);
			CHECK_EQ_U64(v.refused, before);
		} else {
			CHECK_EQ_U64(act.kind, VIOAPIC_ACT_NONE);
			CHECK_EQ_U64(v.refused, before + 1);
			CHECK_EQ_U64(v.last_refusal, IRQ_REFUSE_DEST);
		}
	}
	reg_write(IOAPIC_REG_RTE(16) + 1, 2u << 24);
	CHECK_EQ_U64(entry_read(16), good); /* refused writes changed nothing */
	CHECK_EQ_U64(v.refused, 254);
	/* A foreign destination written while masked is kept masked; unmasking it is refused. */
	reg_write(IOAPIC_REG_RTE(16), IOAPIC_RTE_MASKED | 0x41);
	reg_write(IOAPIC_REG_RTE(16) + 1, 7u << 24);
	CHECK_EQ_U64(act.rte, DEST(2) | IOAPIC_RTE_MASKED | 0x41);
	reg_write(IOAPIC_REG_RTE(16), 0x41);
	CHECK_EQ_U64(act.kind, VIOAPIC_ACT_NONE);
	CHECK_EQ_U64(entry_read(16), DEST(7) | IOAPIC_RTE_MASKED | 0x41);
}

/* A VM of two CPUs with these APIC IDs that owns pin 0 only. */
static bool one_pin_vm(const u32 *cpus)
{
	return vioapic_init(&v, 0, 0x20, 24, cpus, 2) == 0 && vioapic_set_pin(&v, 0, VIOAPIC_PIN_OWNED) == 0;
}

TEST(broadcast_is_refused_even_when_the_vm_has_apic_id_255)
{
	static const u32 with_255[] = { 255, 2 };

	REQUIRE(one_pin_vm(with_255));
	entry_write(0, DEST(0xff) | 0x30);
	CHECK_EQ_U64(v.last_refusal, IRQ_REFUSE_DEST);
	CHECK_EQ_U64(v.refused, 1);
	entry_write(0, DEST(0xff) | IOAPIC_RTE_MASKED | 0x30);
	CHECK_EQ_U64(act.rte, DEST(2) | IOAPIC_RTE_MASKED | 0x30);
}

TEST(logical_mode_is_refused)
{
	setup(0x20);
	entry_write(11, DEST(0x03) | IOAPIC_RTE_LOGICAL | 0x31);
	CHECK_EQ_U64(act.kind, VIOAPIC_ACT_NONE);
	CHECK_EQ_U64(v.last_refusal, IRQ_REFUSE_LOGICAL);
	CHECK_EQ_U64(v.refused, 1);
	/* The high dword came first and went in while the entry was masked; the low one not. */
	CHECK_EQ_U64(entry_read(11), DEST(3) | IOAPIC_RTE_MASKED);
	/* Masked, it is stored; the physical entry is physical mode to CPU 2. */
	entry_write(11, DEST(0x03) | IOAPIC_RTE_LOGICAL | IOAPIC_RTE_MASKED | 0x31);
	CHECK_EQ_U64(act.rte, DEST(2) | IOAPIC_RTE_MASKED | 0x31);
	CHECK_EQ_U64(entry_read(11), DEST(0x03) | IOAPIC_RTE_LOGICAL | IOAPIC_RTE_MASKED | 0x31);
}

TEST(delivery_modes)
{
	u32 mode;

	setup(0x20);
	for (mode = 0; mode < 8; mode++) {
		u64 e = DEST(3) | (u64)mode << 8 | 0x50;

		reg_write(IOAPIC_REG_RTE(16), IOAPIC_RTE_MASKED); /* low first, as Linux masks */
		entry_write(16, e);
		if (mode == IRQ_DELIVERY_FIXED || mode == IRQ_DELIVERY_LOWEST) {
			CHECK_EQ_U64(act.kind, VIOAPIC_ACT_PROGRAM);
			CHECK_EQ_U64(act.rte, DEST(3) | 0x50); /* lowest priority programmed as fixed */
			CHECK_EQ_U64(entry_read(16), e);
		} else {
			CHECK_EQ_U64(act.kind, VIOAPIC_ACT_NONE);
			CHECK_EQ_U64(v.last_refusal, IRQ_REFUSE_DELIVERY);
			CHECK_EQ_U64(entry_read(16), DEST(3) | IOAPIC_RTE_MASKED);
		}
	}
	CHECK_EQ_U64(v.refused, 6);
	CHECK_EQ_U64(vioapic_check_entry(&v, DEST(3) | (u64)IRQ_DELIVERY_SMI << 8 | 0x50), IRQ_REFUSE_DELIVERY);
	CHECK_EQ_U64(vioapic_check_entry(&v, DEST(3) | (u64)IRQ_DELIVERY_NMI << 8 | 0x50), IRQ_REFUSE_DELIVERY);
	CHECK_EQ_U64(vioapic_check_entry(&v, DEST(3) | (u64)IRQ_DELIVERY_INIT << 8), IRQ_REFUSE_DELIVERY);
	CHECK_EQ_U64(vioapic_check_entry(&v, DEST(3) | (u64)IRQ_DELIVERY_EXTINT << 8), IRQ_REFUSE_DELIVERY);
}

TEST(vectors_below_16_are_refused)
{
	u32 vec;

	setup(0x20);
	for (vec = 0; vec < 0x100; vec++)
		CHECK_EQ_U64(vioapic_check_entry(&v, DEST(2) | vec), vec < 0x10 ? IRQ_REFUSE_VECTOR : IRQ_OK);
	entry_write(11, DEST(2) | 0x0f);
	CHECK_EQ_U64(v.last_refusal, IRQ_REFUSE_VECTOR);
}

TEST(read_only_and_reserved_bits_are_not_stored)
{
	setup(0x20);
	entry_write(11, DEST(2) | 0x00fffffffffe0000ULL | IOAPIC_RTE_REMOTE_IRR | IOAPIC_RTE_DELIVERY_STATUS | 0x31);
	CHECK_EQ_U64(act.rte, DEST(2) | 0x31);
	CHECK_EQ_U64(entry_read(11), DEST(2) | 0x31);
}

TEST(other_vms_pins_read_masked_and_drop_writes)
{
	u32 pin;

	setup(0x20);
	for (pin = 0; pin < 24; pin++) {
		if (pin == 4 || pin == 11 || pin == 16)
			continue;
		entry_write(pin, DEST(2) | 0x31);
		CHECK_EQ_U64(act.kind, VIOAPIC_ACT_NONE);
		CHECK_EQ_U64(entry_read(pin), IOAPIC_RTE_MASKED);
	}
	CHECK_EQ_U64(v.dropped, 2 * 21);
	CHECK_EQ_U64(v.refused, 0);
	CHECK_EQ_INT(vioapic_route(&v, 0, &(struct vioapic_route){ 0 }), -EINVAL);
	/* Taking a pin back masks it. */
	entry_write(11, DEST(2) | 0x31);
	CHECK_EQ_INT(vioapic_set_pin(&v, 11, VIOAPIC_PIN_NONE), 0);
	CHECK_EQ_U64(entry_read(11), IOAPIC_RTE_MASKED);
	CHECK_EQ_INT(vioapic_set_pin(&v, 11, VIOAPIC_PIN_OWNED), 0);
	CHECK_EQ_U64(entry_read(11), IOAPIC_RTE_MASKED);
}

TEST(emulated_pins_are_routed_not_programmed)
{
	struct vioapic_route r;

	setup(0x20);
	REQUIRE(vioapic_route(&v, 4, &r) == 0);
	CHECK(r.masked);
	entry_write(4, DEST(3) | IOAPIC_RTE_ACTIVE_LOW | 0x24);
	CHECK_EQ_U64(act.kind, VIOAPIC_ACT_NONE);
	REQUIRE(vioapic_route(&v, 4, &r) == 0);
	CHECK_EQ_U64(r.vector, 0x24);
	CHECK_EQ_U64(r.apic_id, 3);
	CHECK(!r.masked && !r.level && r.active_low);
	/* The same checks hold: Plinth injects only at the VM's CPUs. */
	entry_write(4, DEST(0) | 0x24);
	CHECK_EQ_U64(v.last_refusal, IRQ_REFUSE_DEST);
	REQUIRE(vioapic_route(&v, 4, &r) == 0);
	CHECK_EQ_U64(r.apic_id, 3);
	CHECK_EQ_INT(vioapic_route(&v, 24, &r), -EINVAL);
	CHECK_EQ_INT(vioapic_route(&v, ~0u, &r), -EINVAL);
}

TEST(eoi_register_forwarded_for_the_vms_level_pins_only)
{
	setup(0x20);
	entry_write(11, DEST(2) | IOAPIC_RTE_LEVEL | 0x31);
	entry_write(16, DEST(2) | 0x41); /* edge */
	vioapic_mmio_write(&v, IOAPIC_EOI, 4, 0x31, &act);
	CHECK_EQ_U64(act.kind, VIOAPIC_ACT_EOI);
	CHECK_EQ_U64(act.vector, 0x31);
	vioapic_mmio_write(&v, IOAPIC_EOI, 4, 0x41, &act);
	CHECK_EQ_U64(act.kind, VIOAPIC_ACT_NONE);
	vioapic_mmio_write(&v, IOAPIC_EOI, 4, 0x99, &act); /* another VM's vector */
	CHECK_EQ_U64(act.kind, VIOAPIC_ACT_NONE);
	vioapic_mmio_write(&v, IOAPIC_EOI, 1, 0x31, &act);
	CHECK_EQ_U64(act.kind, VIOAPIC_ACT_NONE);
	setup(0x11); /* no EOI register before version 0x20 */
	entry_write(11, DEST(2) | IOAPIC_RTE_LEVEL | 0x31);
	vioapic_mmio_write(&v, IOAPIC_EOI, 4, 0x31, &act);
	CHECK_EQ_U64(act.kind, VIOAPIC_ACT_NONE);
}

TEST(an_emulated_pins_eoi_changes_nothing)
{
	/* Plinth raises an emulated pin as an edge whatever its entry says: its remote IRR never
	 * sets, so an EOI to the I/O APIC for its vector has nothing to clear or forward. */
	setup(0x20);
	entry_write(4, DEST(2) | IOAPIC_RTE_LEVEL | 0x51);
	vioapic_mmio_write(&v, IOAPIC_EOI, 4, 0x51, &act);
	CHECK_EQ_U64(act.kind, VIOAPIC_ACT_NONE);
	CHECK_EQ_U64(entry_read(4), DEST(2) | IOAPIC_RTE_LEVEL | 0x51);
}

TEST(any_offset_width_and_regsel_is_harmless)
{
	struct vioapic before;
	u32 sel, off, w;

	setup(0x20);
	entry_write(11, DEST(2) | 0x31);
	before = v;
	/* Every register index past the table, read and written: 0, nothing changes. */
	for (sel = IOAPIC_REG_RTE(24); sel <= 0xff; sel++) {
		CHECK_EQ_U64(reg_read((u8)sel), 0);
		reg_write((u8)sel, 0xffffffffu);
		CHECK_EQ_U64(act.kind, VIOAPIC_ACT_NONE);
	}
	reg_write(IOAPIC_REG_RTE(11), 0xdead); /* select pin 11 low, then try odd accesses */
	before = v;
	for (off = 0; off < 0x1000; off++)
		for (w = 0; w <= 8; w++) {
			if ((off == IOAPIC_REGSEL && (w == 1 || w == 2 || w == 4)) ||
			    ((off == IOAPIC_WINDOW || off == IOAPIC_EOI) && w == 4))
				continue;
			CHECK_EQ_U64(vioapic_mmio_read(&v, off, (u8)w), 0);
			vioapic_mmio_write(&v, off, (u8)w, 0xffffffffu, &act);
		}
	vioapic_mmio_write(&v, ~0ULL, 4, 0, &act);
	vioapic_mmio_write(&v, 0x100000010ULL, 4, 0, &act); /* 0x10 above 4 GiB: not IOWIN */
	CHECK(!memcmp(&before, &v, sizeof(v)));
	/* IOREGSEL takes a byte, word or dword; only the low 8 bits. */
	vioapic_mmio_write(&v, IOAPIC_REGSEL, 1, 0x1234501, &act);
	CHECK_EQ_U64(vioapic_mmio_read(&v, IOAPIC_REGSEL, 1), 0x01);
	CHECK_EQ_U64(vioapic_mmio_read(&v, IOAPIC_WINDOW, 4), 0x00170020);
	CHECK_EQ_U64(vioapic_mmio_read(&v, IOAPIC_WINDOW, 2), 0);
}

TEST(a_vm_without_xapic_ids_gets_masked_physical_entries)
{
	static const u32 big[] = { 256, 300 };

	REQUIRE(one_pin_vm(big));
	entry_write(0, DEST(0) | 0x33);
	CHECK_EQ_U64(v.last_refusal, IRQ_REFUSE_DEST);
	entry_write(0, DEST(44) | IOAPIC_RTE_MASKED | 0x33);
	CHECK_EQ_U64(act.rte, IOAPIC_RTE_MASKED | 0x33);
}

TEST(refusal_names)
{
	static const char *const want[] = {
		"accepted",
		"logical destination",
		"destination outside the VM",
		"SMI, NMI, INIT, ExtINT or reserved delivery mode",
		"vector below 0x10",
		"not an interrupt address (0xfeexxxxx, compatibility format, reserved bits clear)",
		"vector 0xff",
		"no interrupt remapping entry (table full or a unit did not answer)",
	};
	u32 r;

	CHECK_EQ_U64(IRQ_REFUSE_LOGICAL, 1);
	CHECK_EQ_U64(IRQ_REFUSE_VECTOR, 4);
	CHECK_EQ_U64(IRQ_REFUSE_NO_ENTRY, ARRAY_SIZE(want) - 1);
	for (r = 0; r < ARRAY_SIZE(want); r++)
		CHECK_STR(irq_refusal_name(r), want[r]);
	CHECK_STR(irq_refusal_name(ARRAY_SIZE(want)), "unknown");
	CHECK_STR(irq_refusal_name(~0u), "unknown");
}
