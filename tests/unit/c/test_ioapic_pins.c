// sources: hypervisor/arch/x86/ioapic_pins.c hypervisor/arch/x86/vioapic.c hypervisor/arch/x86/irq_policy.c
/*
 * Which partition owns which host I/O APIC pin (arch/x86/ioapic_pins.c): a function's INTx on
 * its interrupt line through the host's overrides; pins Plinth keeps are nobody's; a pin two
 * VMs' functions share stays the first's and the later function is refused; the VM owning the
 * rest gets every free pin; the MADT overrides make a PCI INTx level/low and keep the host's for
 * other owned ISA IRQs. Then the model with such a pin OWNED: Linux's level/low entry for the
 * e1000 on pin 11 becomes a physical entry aimed at the VM's CPU, a hostile entry for it is
 * refused, and the IOREGSEL test for reading the hardware's status bits.
 */
#include <plinth/errno.h>
#include <x86/ioapic_pins.h>

#include "test.h"

/* A PC's: IRQ 0 on GSI 2, IRQ 9 (the SCI) level/low. */
static const struct acpi_override pc[] = {
	{ 0, 0, 2, 0 },
	{ 0, 9, 9, INTI_LEVEL | INTI_ACTIVE_LOW },
};
static struct ioapic_pin_map m;

static void setup(void)
{
	REQUIRE(ioapic_pins_init(&m, 0, 24) == 0);
	ioapic_pins_reserve(&m, 4); /* the emulated COM1 */
	ioapic_pins_reserve(&m, ioapic_pins_isa_gsi(pc, 2, 0, &(u16){ 0 }));
}

static u32 claim(u16 bdf, u16 vm, u8 int_pin, u8 line, u32 *pin)
{
	struct ioapic_pin_fn f = { bdf, vm, int_pin, line };

	return ioapic_pins_claim(&m, &f, pc, 2, pin);
}

TEST(isa_irq_to_gsi_follows_overrides)
{
	u16 flags = 0xffff;

	CHECK_EQ_U64(ioapic_pins_isa_gsi(pc, 2, 0, &flags), 2);
	CHECK_EQ_U64(flags, 0);
	CHECK_EQ_U64(ioapic_pins_isa_gsi(pc, 2, 9, &flags), 9);
	CHECK_EQ_U64(flags, INTI_LEVEL | INTI_ACTIVE_LOW);
	CHECK_EQ_U64(ioapic_pins_isa_gsi(pc, 2, 11, &flags), 11);
	CHECK_EQ_U64(flags, 0);
	CHECK_EQ_U64(ioapic_pins_isa_gsi(NULL, 0, 5, &flags), 5);
}

TEST(init_refuses_sizes_that_cannot_exist)
{
	CHECK_EQ_INT(ioapic_pins_init(&m, 0, 0), -EINVAL);
	CHECK_EQ_INT(ioapic_pins_init(&m, 0, VIOAPIC_MAX_PINS + 1), -EINVAL);
	CHECK_EQ_INT(ioapic_pins_init(&m, 24, VIOAPIC_MAX_PINS), 0);
	ioapic_pins_reserve(&m, VIOAPIC_MAX_PINS); /* out of range: ignored */
	CHECK_EQ_U64(m.owner[VIOAPIC_MAX_PINS - 1], IOAPIC_PINS_FREE);
}

TEST(an_intx_on_its_line_becomes_its_vms_pin)
{
	u32 pin = 99;

	setup();
	CHECK_EQ_U64(claim(0x10, 1, 1, 11, &pin), IOAPIC_PINS_OK); /* 00:02.0 INTA on IRQ 11 */
	CHECK_EQ_U64(pin, 11);
	CHECK_EQ_U64(m.owner[11], 1);
	CHECK(m.intx[11]);
	/* Another function of the same VM on the same pin: shared within the VM. */
	CHECK_EQ_U64(claim(0x18, 1, 2, 11, &pin), IOAPIC_PINS_OK);
	/* A line of 16 and up is a GSI already. */
	CHECK_EQ_U64(claim(0x20, 1, 1, 19, &pin), IOAPIC_PINS_OK);
	CHECK_EQ_U64(pin, 19);
}

TEST(functions_without_a_routed_intx_own_no_pin)
{
	u32 pin = 99;

	setup();
	CHECK_EQ_U64(claim(0x10, 1, 0, 11, &pin), IOAPIC_PINS_NO_INTX);
	CHECK_EQ_U64(claim(0x10, 1, 5, 11, &pin), IOAPIC_PINS_NO_INTX); /* pin register beyond INTD */
	CHECK_EQ_U64(claim(0x10, 1, 1, 0, &pin), IOAPIC_PINS_NO_LINE);
	CHECK_EQ_U64(claim(0x10, 1, 1, 0xff, &pin), IOAPIC_PINS_NO_LINE);
	CHECK_EQ_U64(claim(0x10, 1, 1, 30, &pin), IOAPIC_PINS_ELSEWHERE); /* GSI 30 on another I/O APIC */
	CHECK_EQ_U64(m.owner[11], IOAPIC_PINS_FREE);
}

TEST(plinths_pins_are_nobodys)
{
	u32 pin = 99;

	setup();
	CHECK_EQ_U64(claim(0x10, 1, 1, 4, &pin), IOAPIC_PINS_RESERVED);
	CHECK_EQ_U64(pin, 4);
	CHECK_EQ_U64(claim(0x10, 1, 1, 2, &pin), IOAPIC_PINS_RESERVED); /* the PIT's GSI */
	CHECK_EQ_U64(m.owner[4], IOAPIC_PINS_PLINTH);
	CHECK_EQ_U64(m.owner[2], IOAPIC_PINS_PLINTH);
}

TEST(a_pin_shared_by_two_vms_stays_the_first_vms)
{
	u32 pin = 99;

	setup();
	CHECK_EQ_U64(claim(0x10, 0, 1, 11, &pin), IOAPIC_PINS_OK);
	CHECK_EQ_U64(claim(0x18, 2, 1, 11, &pin), IOAPIC_PINS_SHARED);
	CHECK_EQ_U64(pin, 11);
	CHECK_EQ_U64(m.owner[11], 0);
}

TEST(the_vm_owning_the_rest_gets_every_free_pin)
{
	u32 pin = 99, i;

	setup();
	CHECK_EQ_U64(claim(0x10, 0, 1, 11, &pin), IOAPIC_PINS_OK);
	ioapic_pins_give_rest(&m, 3);
	for (i = 0; i < 24; i++) {
		if (i == 11)
			CHECK_EQ_U64(m.owner[i], 0);
		else if (i == 2 || i == 4)
			CHECK_EQ_U64(m.owner[i], IOAPIC_PINS_PLINTH);
		else
			CHECK_EQ_U64(m.owner[i], 3);
	}
}

TEST(madt_overrides_make_an_intx_level_low_and_keep_the_hosts)
{
	struct acpi_override out[4];
	u32 pin = 99, n;

	setup();
	CHECK_EQ_U64(claim(0x10, 0, 1, 11, &pin), IOAPIC_PINS_OK);
	n = ioapic_pins_overrides(&m, 0, pc, 2, out, 4);
	REQUIRE_EQ_U64(n, 1);
	CHECK_EQ_U64(out[0].bus, 0);
	CHECK_EQ_U64(out[0].irq, 11);
	CHECK_EQ_U64(out[0].gsi, 11);
	CHECK_EQ_U64(out[0].flags, INTI_LEVEL | INTI_ACTIVE_LOW);
	/* A VM with no pins needs none. */
	CHECK_EQ_U64(ioapic_pins_overrides(&m, 1, pc, 2, out, 4), 0);
	/* The rest's owner: the host's SCI override, not the ISA default of the others, never IRQ 0's
	 * (its GSI is Plinth's). */
	ioapic_pins_give_rest(&m, 1);
	n = ioapic_pins_overrides(&m, 1, pc, 2, out, 4);
	REQUIRE_EQ_U64(n, 1);
	CHECK_EQ_U64(out[0].irq, 9);
	CHECK_EQ_U64(out[0].flags, INTI_LEVEL | INTI_ACTIVE_LOW);
	/* Room for fewer than needed: no more than room. */
	CHECK_EQ_U64(ioapic_pins_overrides(&m, 1, pc, 2, out, 0), 0);
}

TEST(outcomes_have_names)
{
	CHECK_STR(ioapic_pins_outcome_name(IOAPIC_PINS_SHARED), "its pin is shared with an earlier VM's device");
	CHECK_STR(ioapic_pins_outcome_name(99), "unknown");
}

/* The model with the e1000's pin OWNED, as vm_ioapic_reset sets it up. */
static const u32 ids[] = { 0 };
static struct vioapic v;

static void reg_write(u8 reg, u32 value, struct vioapic_action *act)
{
	vioapic_mmio_write(&v, IOAPIC_REGSEL, 4, reg, act);
	vioapic_mmio_write(&v, IOAPIC_WINDOW, 4, value, act);
}

TEST(linux_programs_its_owned_pin_and_a_hostile_entry_changes_nothing)
{
	struct vioapic_action act;
	u32 pin = 99;
	u64 e = 0x31 | IOAPIC_RTE_LEVEL | IOAPIC_RTE_ACTIVE_LOW; /* Linux: level/low, vector 0x31, CPU 0 */

	REQUIRE(vioapic_init(&v, 0, 0x11, 24, ids, 1) == 0);
	REQUIRE(vioapic_set_pin(&v, 11, VIOAPIC_PIN_OWNED) == 0);
	reg_write(IOAPIC_REG_RTE(11) + 1, 0, &act);
	CHECK_EQ_U64(act.kind, VIOAPIC_ACT_PROGRAM);
	CHECK_EQ_U64(act.rte & IOAPIC_RTE_MASKED, IOAPIC_RTE_MASKED); /* still masked: the high half first */
	reg_write(IOAPIC_REG_RTE(11), (u32)e, &act);
	REQUIRE_EQ_U64(act.kind, VIOAPIC_ACT_PROGRAM);
	CHECK_EQ_U64(act.pin, 11);
	CHECK_EQ_U64(act.rte, e);
	/* Aimed at CPU 1 (not the VM's), in logical mode, as NMI: refused, nothing to program. */
	reg_write(IOAPIC_REG_RTE(11) + 1, 1u << 24, &act);
	CHECK_EQ_U64(act.kind, VIOAPIC_ACT_NONE);
	reg_write(IOAPIC_REG_RTE(11), 0x31 | IOAPIC_RTE_LOGICAL, &act);
	CHECK_EQ_U64(act.kind, VIOAPIC_ACT_NONE);
	reg_write(IOAPIC_REG_RTE(11), 0x31 | (IRQ_DELIVERY_NMI << 8), &act);
	CHECK_EQ_U64(act.kind, VIOAPIC_ACT_NONE);
	CHECK_EQ_U64(v.refused, 3);
	/* Status bits come from the hardware for the owned pin's low half only. */
	vioapic_mmio_write(&v, IOAPIC_REGSEL, 4, IOAPIC_REG_RTE(11), &act);
	CHECK(vioapic_selects_owned_low(&v, &pin));
	CHECK_EQ_U64(pin, 11);
	vioapic_mmio_write(&v, IOAPIC_REGSEL, 4, IOAPIC_REG_RTE(11) + 1, &act);
	CHECK(!vioapic_selects_owned_low(&v, &pin));
	vioapic_mmio_write(&v, IOAPIC_REGSEL, 4, IOAPIC_REG_RTE(12), &act);
	CHECK(!vioapic_selects_owned_low(&v, &pin));
	vioapic_mmio_write(&v, IOAPIC_REGSEL, 4, IOAPIC_REG_VERSION, &act);
	CHECK(!vioapic_selects_owned_low(&v, &pin));
	vioapic_mmio_write(&v, IOAPIC_REGSEL, 4, 0xfe, &act); /* past the last pin */
	CHECK(!vioapic_selects_owned_low(&v, &pin));
}
