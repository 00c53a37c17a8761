/* A partition's I/O APIC and the interrupts of Plinth's device models; see x86/vm_ioapic.h. */
#include <console_proto.h>
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/string.h>
#include <plinth/vuart.h>
#include <x86/apic.h>
#include <x86/cpu.h>
#include <x86/hostmap.h>
#include <x86/ioapic_pins.h>
#include <x86/percpu.h>
#include <x86/processor.h>
#include <x86/vcpu.h>
#include <x86/vm.h>
#include <x86/pci.h>
#include <x86/vm_acpi.h>
#include <x86/vm_ioapic.h>
#include <x86/vm_pci.h>
#include <x86/vmx.h>
#include <x86/vtd.h>
#include <x86/vtd_ir.h>

#define IOAPIC_DEFAULT_ADDR 0xfec00000u
#define IOAPIC_DEFAULT_VERSION 0x20
#define IOAPIC_DEFAULT_PINS 24
#define VERSION_MAX_ENTRY(v) (((v) >> 16) & 0xff)
#define PCI_REG_INTERRUPT_LINE 0x3c
#define PCI_REG_INTERRUPT_PIN 0x3d
#define PIT_ISA_IRQ 0
#define FNS_MAX 64
#define RTE_STATUS (IOAPIC_RTE_DELIVERY_STATUS | IOAPIC_RTE_REMOTE_IRR)

/* The host I/O APIC that carries ISA IRQ 4, as every partition sees it. */
static struct {
	u8 id, version;
	u32 addr, gsi_base, pins;
	u32 com1_gsi;
	struct acpi_override com1_override; /* when the host wires IRQ 4 to another GSI */
	bool overridden;
	struct acpi_override overrides[ACPI_MAX_OVERRIDES]; /* the host MADT's */
	u32 override_count;
	bool real;			 /* an I/O APIC answers at addr */
	struct ioapic_pin_map map;	 /* which VM owns which pin (partition mode) */
	bool map_built;
	struct spinlock hw_lock; /* IOREGSEL/IOWIN of the physical I/O APIC, shared by all VMs */
	/* Interrupt remapping (x86/vm_msi.h): the chip's requester ID from the DMAR, whether owned
	 * pins go through remapping entries, and each pin's entry (index + 1; 0: none). */
	bool sid_known, remap;
	u16 sid;
	u32 irte[VIOAPIC_MAX_PINS];
} host = { .version = IOAPIC_DEFAULT_VERSION,
	    .addr = IOAPIC_DEFAULT_ADDR,
	    .pins = IOAPIC_DEFAULT_PINS,
	    .com1_gsi = VUART_ISA_IRQ };

/* The version register of the chip at addr (82093AA 3.2.2), read once at boot before any guest
 * runs, so that no guest's IOREGSEL is disturbed. */
static u32 read_version(u32 addr)
{
	volatile u32 *io = (volatile u32 *)(uintptr_t)addr;

	io[IOAPIC_REGSEL / 4] = IOAPIC_REG_VERSION;
	return io[IOAPIC_WINDOW / 4];
}

void vm_ioapic_host_init(const struct acpi_info *acpi)
{
	u32 i, version;

	host.override_count = MIN(acpi->override_count, (u32)ACPI_MAX_OVERRIDES);
	memcpy(host.overrides, acpi->overrides, host.override_count * sizeof(host.overrides[0]));
	for (i = 0; i < acpi->override_count; i++) {
		const struct acpi_override *o = &acpi->overrides[i];

		if (o->bus == 0 && o->irq == VUART_ISA_IRQ) {
			host.com1_gsi = o->gsi;
			host.com1_override = *o;
			host.overridden = o->gsi != VUART_ISA_IRQ;
		}
	}
	for (i = 0; i < acpi->ioapic_count; i++) {
		const struct acpi_ioapic *io = &acpi->ioapics[i];

		if (host.com1_gsi < io->gsi_base || !hostmap_reaches(io->addr, VM_IOAPIC_PAGE_SIZE))
			continue;
		version = read_version(io->addr);
		if (version == 0xffffffffu || host.com1_gsi - io->gsi_base > VERSION_MAX_ENTRY(version))
			continue; /* nothing answers there, or IRQ 4's GSI is not one of its pins */
		host.id = io->id;
		host.addr = io->addr;
		host.gsi_base = io->gsi_base;
		host.version = (u8)version;
		host.pins = VERSION_MAX_ENTRY(version) + 1;
		if (host.pins > VIOAPIC_MAX_PINS)
			host.pins = VIOAPIC_MAX_PINS;
		host.real = true;
		host.sid_known = acpi_dmar_ioapic_sid(acpi, io->id, &host.sid);
		return;
	}
	host.com1_gsi = VUART_ISA_IRQ;
	host.overridden = false;
	log_warn("ioapic: no I/O APIC in the MADT carries ISA IRQ 4: partitions get one of their own at 0x%x", host.addr);
}

/* The physical entry of pin, under hw_lock. */
static u64 hw_read(u32 pin)
{
	volatile u32 *io = (volatile u32 *)(uintptr_t)host.addr;
	u64 e;

	io[IOAPIC_REGSEL / 4] = IOAPIC_REG_RTE(pin);
	e = io[IOAPIC_WINDOW / 4];
	io[IOAPIC_REGSEL / 4] = IOAPIC_REG_RTE(pin) + 1;
	return e | (u64)io[IOAPIC_WINDOW / 4] << 32;
}

/* Both halves of pin's physical entry, under hw_lock: masked while the destination changes,
 * so that the pin never delivers a half-written entry (82093AA 3.2.4). */
static void hw_write(u32 pin, u64 e)
{
	volatile u32 *io = (volatile u32 *)(uintptr_t)host.addr;

	io[IOAPIC_REGSEL / 4] = IOAPIC_REG_RTE(pin);
	io[IOAPIC_WINDOW / 4] = (u32)hw_read(pin) | IOAPIC_RTE_MASKED;
	io[IOAPIC_REGSEL / 4] = IOAPIC_REG_RTE(pin) + 1;
	io[IOAPIC_WINDOW / 4] = (u32)(e >> 32);
	io[IOAPIC_REGSEL / 4] = IOAPIC_REG_RTE(pin);
	io[IOAPIC_WINDOW / 4] = (u32)e;
}

/* Pin masked, then its remapping entry freed, under hw_lock. */
static void hw_mask_locked(u32 pin)
{
	hw_write(pin, IOAPIC_RTE_MASKED);
	if (host.irte[pin]) {
		vtd_ir_unmap(host.irte[pin] - 1);
		host.irte[pin] = 0;
	}
}

static void hw_mask(u32 pin)
{
	if (!host.real)
		return;
	spin_lock(&host.hw_lock);
	hw_mask_locked(pin);
	spin_unlock(&host.hw_lock);
}

/* An accepted entry rte of an owned pin under remapping, under hw_lock: the pin masked and its
 * old entry freed, then (unmasked) a new one for rte's vector, destination and trigger mode and
 * the remappable-format entry pointing at it (VT-d 5.1.5.1). No entry to be had: the pin stays
 * masked, counted as refused. */
static void program_remapped(struct vm_ioapic *io, u32 pin, u64 rte)
{
	int index;

	hw_mask_locked(pin);
	if (rte & IOAPIC_RTE_MASKED)
		return;
	index = vtd_ir_remap_level(host.sid, IOAPIC_RTE_VECTOR(rte), IOAPIC_RTE_DEST(rte), rte & IOAPIC_RTE_LEVEL,
				   io->model.apic_ids, io->model.cpu_count);
	if (index < 0) {
		io->model.refused++;
		io->model.last_refusal = IRQ_REFUSE_NO_ENTRY;
		return;
	}
	host.irte[pin] = (u32)index + 1;
	hw_write(pin, ioapic_rte_remappable((u32)index, rte));
}

/* What build_pin_map decided for each owned function, said when its VM is built. */
static struct intx_note {
	struct ioapic_pin_fn f;
	u32 outcome, pin;
} intx_notes[FNS_MAX];
static u32 intx_note_count;

static void say_intx(const struct vm *vm)
{
	u32 i;

	for (i = 0; i < intx_note_count; i++) {
		const struct intx_note *t = &intx_notes[i];
		u8 bus = PCI_BDF_BUS(t->f.bdf), dev = PCI_BDF_DEV(t->f.bdf), fn = PCI_BDF_FN(t->f.bdf);

		if (t->f.vm != vm->id || t->outcome == IOAPIC_PINS_NO_INTX)
			continue;
		if (t->outcome == IOAPIC_PINS_OK)
			log_info(CONSOLE_FMT_VM_INTX_PIN, vm->name, bus, dev, fn, 'A' + t->f.int_pin - 1, t->f.int_line,
				 t->pin);
		else
			log_warn(CONSOLE_FMT_VM_INTX_REFUSED, vm->name, bus, dev, fn, 'A' + t->f.int_pin - 1,
				 t->f.int_line, ioapic_pins_outcome_name(t->outcome));
	}
}

/*
 * Partition mode, once, before the first VM's tables (every VM's functions are known by then:
 * core/partition.c): which VM owns which pin (x86/ioapic_pins.h), in configuration order, the
 * VM owning the rest last; then every pin a partition can own masked in the physical I/O APIC,
 * so that nothing the firmware left there delivers before its VM programs it.
 */
static void build_pin_map(void)
{
	const struct pci_ownership *own = vm_pci_ownership();
	u16 fns[FNS_MAX], flags;
	u32 id, i, n, pin = 0;

	if (host.map_built)
		return;
	host.map_built = true;
	ioapic_pins_init(&host.map, host.gsi_base, host.pins); /* pins was checked: 1..VIOAPIC_MAX_PINS */
	ioapic_pins_reserve(&host.map, host.com1_gsi - host.gsi_base);
	ioapic_pins_reserve(&host.map, ioapic_pins_isa_gsi(host.overrides, host.override_count, PIT_ISA_IRQ, &flags) -
					       host.gsi_base);
	for (id = 0; id < VM_MAX; id++) {
		n = MIN(vm_pci_functions_of((u16)id, fns, FNS_MAX), (u32)FNS_MAX);
		for (i = 0; i < n; i++) {
			u8 bus = PCI_BDF_BUS(fns[i]), dev = PCI_BDF_DEV(fns[i]), fn = PCI_BDF_FN(fns[i]);
			struct ioapic_pin_fn f = { fns[i], (u16)id, pci_config_read8(bus, dev, fn, PCI_REG_INTERRUPT_PIN),
						   pci_config_read8(bus, dev, fn, PCI_REG_INTERRUPT_LINE) };
			u32 outcome = ioapic_pins_claim(&host.map, &f, host.overrides, host.override_count, &pin);

			if (intx_note_count < FNS_MAX)
				intx_notes[intx_note_count++] = (struct intx_note){ f, outcome, pin };
		}
	}
	if (own->rest_vm != PCI_VM_NONE)
		ioapic_pins_give_rest(&host.map, own->rest_vm);
	for (pin = 0; pin < host.pins; pin++)
		if (host.map.owner[pin] != IOAPIC_PINS_PLINTH)
			hw_mask(pin);
}

static struct vm_ioapic *of(const struct vm *vm)
{
	return &vm->arch->ioapic;
}

static bool ram_covers_page(const struct vm *vm)
{
	u32 i;

	for (i = 0; i < vm->mem_count; i++)
		if (host.addr + VM_IOAPIC_PAGE_SIZE > vm->mem[i].gpa && host.addr < vm->mem[i].gpa + vm->mem[i].size)
			return true;
	return false;
}

void vm_ioapic_reset(struct vm *vm)
{
	struct vm_ioapic *io = of(vm);
	u32 n = 0, cpu, pin;

	if (!io->present)
		return;
	for (cpu = 0; cpu < cpu_count; cpu++)
		if ((vm->cpu_mask & BIT(cpu)) && cpus[cpu])
			io->apic_ids[n++] = cpus[cpu]->apic_id;
	spin_lock(&io->lock);
	/* Cannot fail: pins, IDs and the pin number were checked when the VM was built. */
	vioapic_init(&io->model, host.id, host.version, host.pins, io->apic_ids, n);
	vioapic_set_pin(&io->model, io->com1_pin, VIOAPIC_PIN_EMULATED);
	io->owned = 0;
	for (pin = 0; pin < host.pins; pin++)
		if (host.map.owner[pin] == vm->id) {
			vioapic_set_pin(&io->model, pin, VIOAPIC_PIN_OWNED);
			hw_mask(pin);
			io->owned++;
		}
	io->com1_sent = io->com1_masked = io->programmed = 0;
	io->drop_logged = io->refusal_logged = false;
	spin_unlock(&io->lock);
}

void vm_ioapic_init(struct vm *vm)
{
	struct vm_ioapic *io = of(vm);

	io->present = false;
	if (!vm->partition || !vm->vcpu_count)
		return;
	if (ram_covers_page(vm)) {
		log_warn("%s: its RAM covers the I/O APIC's page at 0x%x: no I/O APIC, and COM1 has no interrupt", vm->name,
			 host.addr);
		return;
	}
	io->present = true;
	io->addr = host.addr;
	io->gsi_base = host.gsi_base;
	io->com1_pin = host.com1_gsi - host.gsi_base;
	build_pin_map();
	say_intx(vm);
	vm_ioapic_reset(vm);
	log_info(CONSOLE_FMT_VM_IOAPIC, vm->name, io->addr, host.id, host.version, host.pins, io->com1_pin, io->owned);
}

/* The CPU of the VM with this APIC ID, or NULL. */
static struct vcpu *vcpu_of(const struct vm *vm, u32 apic_id)
{
	u32 i;

	for (i = 0; i < PLINTH_MAX_CPUS && vm->arch->vcpus[i]; i++)
		if (vm->arch->vcpus[i]->apic_id == apic_id)
			return vm->arch->vcpus[i];
	return NULL;
}

void arch_vm_isa_irq(struct vm *vm, u32 irq)
{
	struct vm_ioapic *io;
	struct vioapic_route r;
	struct vcpu *t = NULL;

	if (!vm->arch || irq != VUART_ISA_IRQ || vm->stopped)
		return;
	io = of(vm);
	if (!io->present)
		return;
	spin_lock(&io->lock);
	if (!vioapic_route(&io->model, io->com1_pin, &r) && !r.masked)
		t = vcpu_of(vm, r.apic_id); /* the model accepted only the VM's own CPUs */
	if (t)
		io->com1_sent++;
	else
		io->com1_masked++;
	spin_unlock(&io->lock);
	if (t)
		apic_send_ipi(r.apic_id, APIC_ICR_FIXED | r.vector);
}

bool vm_ioapic_can_remap(void)
{
	u32 pin;

	build_pin_map(); /* the same map whichever partition is built first */
	if (host.sid_known)
		return true;
	for (pin = 0; pin < host.pins; pin++)
		if (host.map.owner[pin] != IOAPIC_PINS_FREE && host.map.owner[pin] != IOAPIC_PINS_PLINTH)
			return false;
	return true;
}

void vm_ioapic_remap_pins(void)
{
	host.remap = host.sid_known;
}

void vm_ioapic_quiesce(struct vm *vm)
{
	u32 pin;

	if (!vm->partition || !host.map_built)
		return;
	for (pin = 0; pin < host.pins; pin++)
		if (host.map.owner[pin] == vm->id)
			hw_mask(pin);
}

void vm_ioapic_act(struct vm_ioapic *io, const struct vioapic_action *act)
{
	volatile u32 *hw = (volatile u32 *)(uintptr_t)host.addr;

	if (act->kind == VIOAPIC_ACT_NONE || !host.real)
		return;
	spin_lock(&host.hw_lock);
	if (act->kind == VIOAPIC_ACT_PROGRAM) {
		if (host.remap)
			program_remapped(io, act->pin, act->rte);
		else
			hw_write(act->pin, act->rte);
		io->programmed++;
	} else if (act->kind == VIOAPIC_ACT_EOI) {
		hw[IOAPIC_EOI / 4] = act->vector;
	}
	spin_unlock(&host.hw_lock);
}

u32 vm_ioapic_hw_status(u32 pin)
{
	u32 low = 0;

	if (!host.real || pin >= host.pins)
		return 0;
	spin_lock(&host.hw_lock);
	low = (u32)hw_read(pin);
	spin_unlock(&host.hw_lock);
	return low & RTE_STATUS;
}

void vm_ioapic_print_stats(const struct vm *vm)
{
	const struct vm_ioapic *io = vm->arch ? of(vm) : NULL;

	if (io && io->present)
		printk(CONSOLE_FMT_IOAPIC_STATS "\n", vm->name, io->model.dropped, io->model.refused, io->com1_sent,
		       io->com1_masked, io->programmed);
}

void vm_ioapic_acpi(const struct vm *vm, struct vm_acpi_config *c)
{
	/* Read by vm_acpi_build before this VM's tables are done (vm_platform.c), so one copy
	 * serves every VM in turn. */
	static struct acpi_override vm_overrides[VM_ACPI_MAX_OVERRIDES];
	static struct vm_acpi_prt_entry prt[VM_ACPI_MAX_PRT];
	u32 n = 0, i;

	if (!vm->partition || ram_covers_page(vm))
		return;
	c->ioapic = true;
	c->ioapic_id = host.id;
	c->ioapic_addr = host.addr;
	c->ioapic_gsi_base = host.gsi_base;
	build_pin_map();
	if (host.overridden)
		vm_overrides[n++] = host.com1_override;
	n += ioapic_pins_overrides(&host.map, (u16)vm->id, host.overrides, host.override_count, vm_overrides + n,
				   ARRAY_SIZE(vm_overrides) - n);
	c->overrides = n ? vm_overrides : NULL;
	c->override_count = n;
	/* The root bridge's _PRT: each owned INTx on its pin's GSI. */
	n = 0;
	for (i = 0; i < intx_note_count && n < ARRAY_SIZE(prt); i++) {
		const struct intx_note *t = &intx_notes[i];

		if (t->f.vm == vm->id && t->outcome == IOAPIC_PINS_OK && PCI_BDF_BUS(t->f.bdf) == 0)
			prt[n++] = (struct vm_acpi_prt_entry){ PCI_BDF_DEV(t->f.bdf), (u8)(t->f.int_pin - 1),
							       host.gsi_base + t->pin };
	}
	c->prt = n ? prt : NULL;
	c->prt_count = n;
	c->com1 = true;
}
