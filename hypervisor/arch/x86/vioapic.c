/* A partition VM's I/O APIC shadow; the rules are in x86/vioapic.h. */
#include <plinth/errno.h>
#include <plinth/string.h>
#include <x86/vioapic.h>

#define ID_SHIFT 24
#define ID_MASK 0xfu /* the 82093AA's 4-bit ID; xAPIC-era parts keep the same field */
#define VERSION_MAX_ENTRY_SHIFT 16
/* What the VM may store in an entry: everything but the read-only status bits and the
 * reserved bits 55:17. */
#define RTE_WRITABLE (0xff00000000000000ULL | (0x1ffffULL & ~(IOAPIC_RTE_DELIVERY_STATUS | IOAPIC_RTE_REMOTE_IRR)))
#define RTE_DELIVERY_MASK (7ULL << 8)

int vioapic_init(struct vioapic *v, u8 id, u8 version, u32 pins, const u32 *apic_ids, u32 cpu_count)
{
	u32 i;

	if (!pins || pins > VIOAPIC_MAX_PINS || !apic_ids || !cpu_count)
		return -EINVAL;
	memset(v, 0, sizeof(*v));
	v->id = id & ID_MASK;
	v->version = version;
	v->pins = pins;
	v->apic_ids = apic_ids;
	v->cpu_count = cpu_count;
	for (i = 0; i < pins; i++)
		v->rte[i] = IOAPIC_RTE_MASKED;
	return 0;
}

int vioapic_set_pin(struct vioapic *v, u32 pin, u8 kind)
{
	if (pin >= v->pins || kind > VIOAPIC_PIN_EMULATED)
		return -EINVAL;
	v->kind[pin] = kind;
	v->rte[pin] = IOAPIC_RTE_MASKED;
	return 0;
}

static bool vm_cpu(const struct vioapic *v, u32 id)
{
	return irq_policy_vm_cpu(v->apic_ids, v->cpu_count, id);
}

u32 vioapic_check_entry(const struct vioapic *v, u64 rte)
{
	struct irq_target t = { !!(rte & IOAPIC_RTE_LOGICAL), IOAPIC_RTE_DELIVERY(rte), IOAPIC_RTE_DEST(rte),
				IRQ_XAPIC_BROADCAST, IOAPIC_RTE_VECTOR(rte) };

	return irq_policy_check(&t, v->apic_ids, v->cpu_count);
}

/* The physical entry for an accepted one: fixed delivery, physical mode, the VM's
 * destination. A masked entry with a foreign destination or a logical one gets the VM's first
 * CPU that an 8-bit destination can name (or, with none, stays masked with destination 0:
 * only unmasked entries deliver), so the physical I/O APIC never holds either. */
static u64 physical_entry(const struct vioapic *v, u64 rte)
{
	u64 e = rte & RTE_WRITABLE & ~(RTE_DELIVERY_MASK | IOAPIC_RTE_LOGICAL);
	u32 i;

	if (IOAPIC_RTE_DEST(rte) != IRQ_XAPIC_BROADCAST && vm_cpu(v, IOAPIC_RTE_DEST(rte)) &&
	    !(rte & IOAPIC_RTE_LOGICAL))
		return e;
	e &= ~(0xffULL << 56);
	for (i = 0; i < v->cpu_count; i++)
		if (v->apic_ids[i] <= IRQ_XAPIC_ID_MAX)
			return e | (u64)v->apic_ids[i] << 56;
	return e | IOAPIC_RTE_MASKED;
}

static u32 read_reg(const struct vioapic *v, u8 reg)
{
	u32 pin = (u32)(reg - IOAPIC_REG_RTE(0)) / 2;
	u64 e;

	switch (reg) {
	case IOAPIC_REG_ID:
		return (u32)v->id << ID_SHIFT;
	case IOAPIC_REG_VERSION:
		return v->version | (v->pins - 1) << VERSION_MAX_ENTRY_SHIFT;
	case IOAPIC_REG_ARB:
		return (u32)v->id << ID_SHIFT;
	}
	if (reg < IOAPIC_REG_RTE(0) || pin >= v->pins)
		return 0;
	e = v->kind[pin] == VIOAPIC_PIN_NONE ? IOAPIC_RTE_MASKED : v->rte[pin];
	return reg & 1 ? (u32)(e >> 32) : (u32)e;
}

u32 vioapic_mmio_read(const struct vioapic *v, u64 offset, u8 width)
{
	if (offset == IOAPIC_REGSEL && (width == 1 || width == 2 || width == 4))
		return v->regsel;
	if (offset == IOAPIC_WINDOW && width == 4)
		return read_reg(v, v->regsel);
	return 0;
}

static void write_entry(struct vioapic *v, u32 pin, bool high, u32 value, struct vioapic_action *act)
{
	u64 e = v->rte[pin];
	u32 why;

	if (v->kind[pin] == VIOAPIC_PIN_NONE) {
		v->dropped++;
		return;
	}
	e = high ? (e & 0xffffffffULL) | (u64)value << 32 : (e & ~0xffffffffULL) | value;
	e &= RTE_WRITABLE;
	why = e & IOAPIC_RTE_MASKED ? IRQ_OK : vioapic_check_entry(v, e);
	if (why != IRQ_OK) {
		v->refused++;
		v->last_refusal = why;
		return;
	}
	v->rte[pin] = e;
	if (v->kind[pin] == VIOAPIC_PIN_OWNED)
		*act = (struct vioapic_action){ VIOAPIC_ACT_PROGRAM, pin, physical_entry(v, e), 0 };
}

/* The EOI register clears the remote IRR of every entry with the vector: forwarded only
 * when one of the VM's own level-triggered pins uses it. */
static void write_eoi(const struct vioapic *v, u32 value, struct vioapic_action *act)
{
	u8 vector = (u8)value;
	u32 pin;

	for (pin = 0; pin < v->pins; pin++)
		if (v->kind[pin] == VIOAPIC_PIN_OWNED && (v->rte[pin] & IOAPIC_RTE_LEVEL) &&
		    IOAPIC_RTE_VECTOR(v->rte[pin]) == vector) {
			*act = (struct vioapic_action){ VIOAPIC_ACT_EOI, 0, 0, vector };
			return;
		}
}

void vioapic_mmio_write(struct vioapic *v, u64 offset, u8 width, u32 value, struct vioapic_action *act)
{
	u8 reg = v->regsel;
	u32 pin = (u32)(reg - IOAPIC_REG_RTE(0)) / 2;

	*act = (struct vioapic_action){ VIOAPIC_ACT_NONE, 0, 0, 0 };
	if (offset == IOAPIC_REGSEL && (width == 1 || width == 2 || width == 4)) {
		v->regsel = (u8)value;
		return;
	}
	if (offset == IOAPIC_EOI && width == 4 && v->version >= 0x20) {
		write_eoi(v, value, act);
		return;
	}
	if (offset != IOAPIC_WINDOW || width != 4)
		return;
	if (reg == IOAPIC_REG_ID) {
		v->id = (u8)((value >> ID_SHIFT) & ID_MASK); /* the VM's own view; never forwarded */
		return;
	}
	if (reg < IOAPIC_REG_RTE(0) || pin >= v->pins)
		return; /* version, arbitration and unimplemented registers are read-only */
	write_entry(v, pin, reg & 1, value, act);
}

int vioapic_route(const struct vioapic *v, u32 pin, struct vioapic_route *r)
{
	u64 e;

	if (pin >= v->pins || v->kind[pin] == VIOAPIC_PIN_NONE)
		return -EINVAL;
	e = v->rte[pin];
	*r = (struct vioapic_route){ IOAPIC_RTE_VECTOR(e), IOAPIC_RTE_DEST(e), !!(e & IOAPIC_RTE_LEVEL),
				     !!(e & IOAPIC_RTE_ACTIVE_LOW), !!(e & IOAPIC_RTE_MASKED) };
	return 0;
}

bool vioapic_selects_owned_low(const struct vioapic *v, u32 *pin)
{
	u8 reg = v->regsel;

	if (reg < IOAPIC_REG_RTE(0) || (reg & 1))
		return false;
	*pin = (u32)(reg - IOAPIC_REG_RTE(0)) / 2;
	return *pin < v->pins && v->kind[*pin] == VIOAPIC_PIN_OWNED;
}
