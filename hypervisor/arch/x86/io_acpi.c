/*
 * The ACPI ports of the FADT (ACPI 6.5, 5.2.9) that Plinth watches or filters:
 * The FADT's fields come checked from the parser (acpi_fadt.c): in the port space, clear of
 * Plinth's own ports, and with no SMI command port the list of commands is empty.
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
#include <plinth/string.h>
#include <x86/acpi.h>
#include <x86/exit_io.h>
#include <x86/vm.h>

#define APM_CNT ACPI_APM_CNT
#define PM1_CNT_SLP_EN BIT(13)

static u8 smi_commands[ACPI_FADT_SMI_COMMANDS];

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
	for (i = 0; i < ACPI_FADT_SMI_COMMANDS; i++) {
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

void io_acpi_init(const struct acpi_fadt *fadt)
{
	memcpy(smi_commands, fadt->smi_commands, sizeof(smi_commands));
	if (fadt->pm1a_cnt_len) {
		pm1a.base = fadt->pm1a_cnt;
		pm1a.count = fadt->pm1a_cnt_len;
		exit_io_claim(&pm1a);
	}
	if (fadt->smi_cmd && fadt->smi_cmd != APM_CNT) {
		smi_cmd.base = fadt->smi_cmd;
		exit_io_claim(&smi_cmd);
	}
}

void io_acpi_claim_apm(void)
{
	/* The chipset's APM control port raises SMIs whatever the FADT says. */
	exit_io_claim(&apm_cnt);
}
