/*
 * A partition's ways to reset or power off the machine become the end of its own VM: the reset
 * control register (0xCF9, RST with SYS_RST or not), System Control Port A's fast reset (0x92
 * bit 0), the keyboard controller's reset pulse (0x64 commands 0xF0-0xFF with bit 0 clear) and
 * its output-port write (0xD1, whose data byte could pull the reset line: dropped). The default
 * VM owns the machine and keeps these ports passed through. A reset request restarts the VM
 * (vm->on_reset VM_ON_RESET_RESTART, the default) or stops it (VM_ON_RESET_STOP).
 * The partition's own sleep control register (its FADT's, x86/vm_acpi.h VM_ACPI_SLEEP_PORT,
 * status at + 1): a sleep request (SLP_EN) is its power-off and stops its VM; the status
 * register reads 0 (no wake event ever). The host's PM1 registers are io_acpi.c's.
 * The PCI configuration address register around 0xCF9 is the partition's own: latched per VM
 * (pci_filter.c decodes the data port's accesses with it), never written to the hardware.
 */
#include <x86/exit_io.h>
#include <x86/pci_access.h>
#include <x86/vcpu.h>
#include <x86/vm.h>
#include <x86/vm_acpi.h>

#define PORT_SYSCTL_A 0x92
#define SYSCTL_A_FAST_RESET 0x01
#define PORT_RESET_CONTROL 0xcf9
#define RESET_CONTROL_RST 0x04
#define PORT_PCI_ADDRESS 0xcf8 /* 0xcf8-0xcfb, of which 0xcf9 alone is the reset register */
#define PORT_KBC_COMMAND 0x64
#define KBC_WRITE_OUTPUT 0xd1
#define KBC_PULSE_FIRST 0xf0

/* The hardware behind these ports is the owns_rest VM's; to any other partition it is absent. */
static u32 hardware_in(struct vcpu *v, u16 port, u32 size)
{
	return exit_io_owned_in(v, port, size);
}

static void reset_request(struct vcpu *v, u16 port, u32 value)
{
	if (v->vm->on_reset == VM_ON_RESET_STOP) {
		vcpu_stop_vm(v, false, "reset request: vCPU %u wrote 0x%x to port 0x%x (on_reset = stop)", v->id, value, port);
		return;
	}
	/* This vCPU restarts the VM once it has parked (vm_stop.c); a second request that races
	 * it finds the VM stopped already and changes nothing. */
	if (vcpu_stop_vm(v, false, "reset request: vCPU %u wrote 0x%x to port 0x%x: it restarts (on_reset = restart)",
			 v->id, value, port))
		v->restart_on_park = true;
}

static u32 sleep_in(struct vcpu *v, u16 port, u32 size)
{
	(void)v;
	(void)port;
	(void)size;
	return 0; /* control: nothing latched; status: no WAK_STS */
}

static void sleep_out(struct vcpu *v, u16 port, u32 size, u32 value)
{
	(void)size;
	if (port == VM_ACPI_SLEEP_PORT && (value & VM_ACPI_SLP_EN))
		vcpu_stop_vm(v, false, "power-off: vCPU %u wrote 0x%x to its sleep control register (SLP_TYP %u%s)", v->id,
			     value, VM_ACPI_SLP_TYP(value), VM_ACPI_SLP_TYP(value) == VM_ACPI_S5_SLP_TYP ? ", S5" : "");
	/* Otherwise dropped: clearing status bits, or a sleep type without SLP_EN. */
}

static void sysctl_out(struct vcpu *v, u16 port, u32 size, u32 value)
{
	if (value & SYSCTL_A_FAST_RESET)
		reset_request(v, port, value);
	else
		exit_io_owned_out(v, port, size, value);
}

static u32 pci_address_in(struct vcpu *v, u16 port, u32 size)
{
	if (port == PORT_PCI_ADDRESS && size == 4)
		return v->vm->arch->pci_config_address;
	return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static void pci_address_out(struct vcpu *v, u16 port, u32 size, u32 value)
{
	if (port == PORT_RESET_CONTROL && size == 1 && (value & RESET_CONTROL_RST))
		reset_request(v, port, value);
	else if (port == PORT_PCI_ADDRESS && size == 4)
		v->vm->arch->pci_config_address = pci_cfg_latch(value); /* the partition's own (vm_pci.c) */
	/* Otherwise dropped: 0xCF9's other bits only arm a reset type, and narrower writes of the
	 * address register are nothing a partition owns. */
}

static void kbc_out(struct vcpu *v, u16 port, u32 size, u32 value)
{
	u8 cmd = (u8)value;

	if (cmd >= KBC_PULSE_FIRST && !(cmd & 1))
		reset_request(v, port, value);
	else if (cmd != KBC_WRITE_OUTPUT)
		exit_io_owned_out(v, port, size, value);
}

static const struct io_ports sysctl = { PORT_SYSCTL_A, 1, hardware_in, sysctl_out, true };
static const struct io_ports pci_address = { PORT_PCI_ADDRESS, 4, pci_address_in, pci_address_out, true };
static const struct io_ports kbc = { PORT_KBC_COMMAND, 1, hardware_in, kbc_out, true };
static const struct io_ports sleep = { VM_ACPI_SLEEP_PORT, 2, sleep_in, sleep_out, true };

void io_reset_claim(void)
{
	exit_io_claim(&sysctl);
	exit_io_claim(&pci_address);
	exit_io_claim(&kbc);
	exit_io_claim(&sleep);
}
