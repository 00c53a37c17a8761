/* Which partition owns each host I/O APIC pin; the rules are in x86/ioapic_pins.h. */
#include <plinth/errno.h>
#include <x86/ioapic_pins.h>

#define LINE_NONE 0xffu

u32 ioapic_pins_isa_gsi(const struct acpi_override *o, u32 n, u8 irq, u16 *flags)
{
	u32 i;

	*flags = 0;
	for (i = 0; i < n; i++)
		if (o[i].bus == 0 && o[i].irq == irq) {
			*flags = o[i].flags;
			return o[i].gsi;
		}
	return irq;
}

int ioapic_pins_init(struct ioapic_pin_map *m, u32 gsi_base, u32 pins)
{
	u32 i;

	if (!pins || pins > VIOAPIC_MAX_PINS)
		return -EINVAL;
	m->gsi_base = gsi_base;
	m->pins = pins;
	for (i = 0; i < VIOAPIC_MAX_PINS; i++) {
		m->owner[i] = IOAPIC_PINS_FREE;
		m->intx[i] = false;
	}
	return 0;
}

void ioapic_pins_reserve(struct ioapic_pin_map *m, u32 pin)
{
	if (pin < m->pins)
		m->owner[pin] = IOAPIC_PINS_PLINTH;
}

/* The pin of gsi, or false when it is not one of the map's. */
static bool pin_of(const struct ioapic_pin_map *m, u32 gsi, u32 *pin)
{
	if (gsi < m->gsi_base || gsi - m->gsi_base >= m->pins)
		return false;
	*pin = gsi - m->gsi_base;
	return true;
}

u32 ioapic_pins_claim(struct ioapic_pin_map *m, const struct ioapic_pin_fn *f, const struct acpi_override *o,
		      u32 n, u32 *pin)
{
	u16 flags;
	u32 gsi;

	if (f->int_pin < 1 || f->int_pin > 4)
		return IOAPIC_PINS_NO_INTX;
	if (f->int_line == 0 || f->int_line == LINE_NONE)
		return IOAPIC_PINS_NO_LINE;
	gsi = f->int_line < IOAPIC_PINS_ISA_IRQS ? ioapic_pins_isa_gsi(o, n, f->int_line, &flags) : f->int_line;
	if (!pin_of(m, gsi, pin))
		return IOAPIC_PINS_ELSEWHERE;
	if (m->owner[*pin] == IOAPIC_PINS_PLINTH)
		return IOAPIC_PINS_RESERVED;
	if (m->owner[*pin] != IOAPIC_PINS_FREE && m->owner[*pin] != f->vm)
		return IOAPIC_PINS_SHARED;
	m->owner[*pin] = f->vm;
	m->intx[*pin] = true;
	return IOAPIC_PINS_OK;
}

void ioapic_pins_give_rest(struct ioapic_pin_map *m, u16 vm)
{
	u32 i;

	for (i = 0; i < m->pins; i++)
		if (m->owner[i] == IOAPIC_PINS_FREE)
			m->owner[i] = vm;
}

u32 ioapic_pins_overrides(const struct ioapic_pin_map *m, u16 vm, const struct acpi_override *o, u32 n,
			  struct acpi_override *out, u32 max)
{
	u32 count = 0, pin, gsi;
	u16 flags;
	u8 irq;

	for (irq = 0; irq < IOAPIC_PINS_ISA_IRQS; irq++) {
		gsi = ioapic_pins_isa_gsi(o, n, irq, &flags);
		if (!pin_of(m, gsi, &pin) || m->owner[pin] != vm)
			continue;
		if (m->intx[pin])
			flags = INTI_LEVEL | INTI_ACTIVE_LOW;
		else if (gsi == irq && !flags)
			continue; /* the ISA default on its own GSI: nothing to say */
		if (count < max)
			out[count] = (struct acpi_override){ 0, irq, gsi, flags };
		count++;
	}
	return count < max ? count : max;
}

const char *ioapic_pins_outcome_name(u32 outcome)
{
	static const char *const names[] = {
		[IOAPIC_PINS_OK] = "owned",
		[IOAPIC_PINS_NO_INTX] = "no interrupt pin",
		[IOAPIC_PINS_NO_LINE] = "the firmware routed its interrupt nowhere",
		[IOAPIC_PINS_ELSEWHERE] = "its GSI is not a pin of the I/O APIC partitions see",
		[IOAPIC_PINS_RESERVED] = "its pin is one Plinth emulates or uses",
		[IOAPIC_PINS_SHARED] = "its pin is shared with an earlier VM's device",
	};

	return outcome < ARRAY_SIZE(names) ? names[outcome] : "unknown";
}
