/* A partition's I/O APIC and the interrupts of Plinth's device models; see x86/vm_ioapic.h. */
#include <console_proto.h>
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/string.h>
#include <plinth/vuart.h>
#include <x86/apic.h>
#include <x86/cpu.h>
#include <x86/hostmap.h>
#include <x86/percpu.h>
#include <x86/processor.h>
#include <x86/vcpu.h>
#include <x86/vm.h>
#include <x86/vm_acpi.h>
#include <x86/vm_ioapic.h>
#include <x86/vmx.h>

#define IOAPIC_DEFAULT_ADDR 0xfec00000u
#define IOAPIC_DEFAULT_VERSION 0x20
#define IOAPIC_DEFAULT_PINS 24
#define VERSION_MAX_ENTRY(v) (((v) >> 16) & 0xff)

/* The host I/O APIC that carries ISA IRQ 4, as every partition sees it. */
static struct {
	u8 id, version;
	u32 addr, gsi_base, pins;
	u32 com1_gsi;
	struct acpi_override com1_override; /* when the host wires IRQ 4 to another GSI */
	bool overridden;
} host = { 0, IOAPIC_DEFAULT_VERSION, IOAPIC_DEFAULT_ADDR, 0, IOAPIC_DEFAULT_PINS, VUART_ISA_IRQ, { 0 }, false };

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
		return;
	}
	host.com1_gsi = VUART_ISA_IRQ;
	host.overridden = false;
	log_warn("ioapic: no I/O APIC in the MADT carries ISA IRQ 4: partitions get one of their own at 0x%x", host.addr);
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
	u32 n = 0, cpu;

	if (!io->present)
		return;
	for (cpu = 0; cpu < cpu_count; cpu++)
		if ((vm->cpu_mask & BIT(cpu)) && cpus[cpu])
			io->apic_ids[n++] = cpus[cpu]->apic_id;
	spin_lock(&io->lock);
	/* Cannot fail: pins, IDs and the pin number were checked when the VM was built. */
	vioapic_init(&io->model, host.id, host.version, host.pins, io->apic_ids, n);
	vioapic_set_pin(&io->model, io->com1_pin, VIOAPIC_PIN_EMULATED);
	io->com1_sent = io->com1_masked = 0;
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
	vm_ioapic_reset(vm);
	log_info(CONSOLE_FMT_VM_IOAPIC, vm->name, io->addr, host.id, host.version, host.pins, io->com1_pin);
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

void vm_ioapic_print_stats(const struct vm *vm)
{
	const struct vm_ioapic *io = vm->arch ? of(vm) : NULL;

	if (io && io->present)
		printk(CONSOLE_FMT_IOAPIC_STATS "\n", vm->name, io->model.dropped, io->model.refused, io->com1_sent,
		       io->com1_masked);
}

void vm_ioapic_acpi(const struct vm *vm, struct vm_acpi_config *c)
{
	if (!vm->partition || ram_covers_page(vm))
		return;
	c->ioapic = true;
	c->ioapic_id = host.id;
	c->ioapic_addr = host.addr;
	c->ioapic_gsi_base = host.gsi_base;
	c->overrides = host.overridden ? &host.com1_override : NULL;
	c->override_count = host.overridden ? 1 : 0;
	c->com1 = true;
}
