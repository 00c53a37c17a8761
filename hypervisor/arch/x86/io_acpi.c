/*
 * The ACPI ports of the FADT (ACPI 6.5, 5.2.9) that Plinth watches or filters:
 * - PM1a control: passed through, but a sleep request (SLP_EN, ACPI 4.8.3.2.1) gets the VM's
 *   exit statistics printed first, for the power-off report.
 * - The SMI command port (SMI_CMD, and the chipset's APM control port 0xB2, where an Intel
 *   chipset raises a software SMI): a write raises an SMI, which runs the firmware's SMM
 *   handler with the guest's registers as its arguments. Only the commands the FADT declares
 *   for the OS (ACPI_ENABLE, ACPI_DISABLE, S4BIOS_REQ, PSTATE_CNT, CST_CNT) go through; any
 *   other value is dropped, said once per VM: a guest never picks which SMM handler runs.
 */
#include <console_proto.h>
#include <plinth/arch.h>
#include <plinth/console.h>
#include <x86/exit_io.h>
#include <x86/vm.h>

#define FADT_SMI_CMD 48
#define FADT_ACPI_ENABLE 52 /* then ACPI_DISABLE, S4BIOS_REQ, PSTATE_CNT: one byte each */
#define FADT_PM1A_CNT_BLK 64
#define FADT_PM1_CNT_LEN 89
#define FADT_CST_CNT 95
#define APM_CNT 0xb2
#define PM1_CNT_SLP_EN BIT(13)
#define SMI_COMMANDS 5

static u8 smi_commands[SMI_COMMANDS];

static u32 u32_at(const u8 *p)
{
	return p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static void pm1a_out(struct vcpu *v, u16 port, u32 size, u32 value);
static void smi_out(struct vcpu *v, u16 port, u32 size, u32 value);

static u32 hardware_in(struct vcpu *v, u16 port, u32 size)
{
	(void)v;
	return exit_io_port_in(port, size);
}

static struct io_ports pm1a = { 0, 0, hardware_in, pm1a_out, false };
static struct io_ports smi_cmd = { 0, 1, hardware_in, smi_out, false };
static struct io_ports apm_cnt = { APM_CNT, 1, hardware_in, smi_out, false };

/* PM1a control, passed through after a look at sleep requests. */
static void pm1a_out(struct vcpu *v, u16 port, u32 size, u32 value)
{
	u32 cnt = port == pm1a.base ? value : value << 8; /* as a 16-bit register */

	if ((port == pm1a.base ? size >= 2 : port == pm1a.base + 1) && (cnt & PM1_CNT_SLP_EN) && v->vm->partition) {
		/* A partition does not own the machine: its sleep request ends its VM alone. */
		vcpu_stop_vm(v, false, "vCPU %u requests an ACPI sleep state (SLP_TYP %u): a partition powers off only itself",
			     v->id, (cnt >> 10) & 7);
		return;
	}
	if ((port == pm1a.base ? size >= 2 : port == pm1a.base + 1) && (cnt & PM1_CNT_SLP_EN)) {
		log_notice("%s: the guest requests an ACPI sleep state (SLP_TYP %u, power-off when it is \\_S5); VM exits by reason:",
			   v->vm->name, (cnt >> 10) & 7);
		arch_vm_print_exit_stats(v->vm);
	}
	exit_io_port_out(port, size, value);
}

static void smi_out(struct vcpu *v, u16 port, u32 size, u32 value)
{
	u32 i;

	(void)size; /* a claim of one port: one byte */
	for (i = 0; i < SMI_COMMANDS; i++) {
		if (smi_commands[i] && smi_commands[i] == (u8)value) {
			exit_io_port_out(port, 1, value);
			return;
		}
	}
	if (v->vm->arch->smi_command_logged)
		return;
	v->vm->arch->smi_command_logged = true;
	log_warn(CONSOLE_FMT_SMI_COMMAND_DROPPED, v->vm->name, v->id, (u8)value, port);
}

void io_acpi_init(const u8 *fadt, u32 length)
{
	u32 port;

	if (length >= FADT_PM1_CNT_LEN + 1) {
		port = u32_at(fadt + FADT_PM1A_CNT_BLK);
		if (port && port < 0xffff) {
			pm1a.base = (u16)port;
			pm1a.count = fadt[FADT_PM1_CNT_LEN] ? fadt[FADT_PM1_CNT_LEN] : 2;
			exit_io_claim(&pm1a);
		}
	}
	if (length >= FADT_ACPI_ENABLE + 4) {
		for (port = 0; port < 4; port++)
			smi_commands[port] = fadt[FADT_ACPI_ENABLE + port];
		if (length > FADT_CST_CNT)
			smi_commands[4] = fadt[FADT_CST_CNT];
		port = u32_at(fadt + FADT_SMI_CMD);
		if (port && port < 0xffff && port != APM_CNT) {
			smi_cmd.base = (u16)port;
			exit_io_claim(&smi_cmd);
		}
	}
}

void io_acpi_claim_apm(void)
{
	/* The chipset's APM control port raises SMIs whatever the FADT says. */
	exit_io_claim(&apm_cnt);
}
