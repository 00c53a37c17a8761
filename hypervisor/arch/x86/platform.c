/*
 * Platform bring-up for core/main.c: Plinth's page tables for all of RAM, SMRAM locked, ACPI
 * tables (CPUs from the MADT, DMA remapping units from the DMAR, the ACPI ports from the FADT,
 * the ECAM base from the MCFG), the local APIC, VMX on the boot CPU, and the start of the
 * application processors.
 */
#include <console_proto.h>
#include <plinth_abi.h>
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/format.h>
#include <plinth/string.h>
#include <x86/acpi.h>
#include <x86/apic.h>
#include <x86/exit_io.h>
#include <x86/hostmap.h>
#include <x86/pci.h>
#include <x86/vm_pci.h>
#include <x86/percpu.h>
#include <x86/smp.h>
#include <x86/smram.h>
#include <x86/tsc.h>
#include <x86/uart.h>
#include <x86/vm_ioapic.h>
#include <x86/vmx.h>
#include <x86/vtd.h>

static struct acpi_info acpi;

static void print_notes(const struct acpi_notes *notes, const char *table)
{
	u32 i;

	for (i = 0; i < notes->count; i++)
		log_warn(CONSOLE_FMT_ACPI_NOTE, notes->lines[i]);
	if (notes->dropped)
		log_warn(CONSOLE_FMT_ACPI_NOTES_DROPPED, notes->dropped, table);
}

/* The ports and configuration pages guests reach Plinth's concerns through: the FADT's ACPI
 * ports (the power-off report, SMI commands), and PCI segment 0's ECAM base, where the host
 * bridge's configuration page lies. The parser checks both tables (acpi_fadt.c, acpi_mcfg.c);
 * no FADT port may reach a port Plinth itself uses. */
static void read_tables(void)
{
	static struct acpi_fadt fadt;
	static struct acpi_mcfg mcfg;
	struct acpi_port_range own[3];
	u32 n = 0;
	u16 port, divisor;

	if (uart_console(&port, &divisor))
		own[n++] = (struct acpi_port_range){ port, UART_PORTS, "Plinth's console UART" };
	own[n++] = (struct acpi_port_range){ PCI_CONFIG_ADDRESS, 8, "the PCI configuration ports" };
	own[n++] = (struct acpi_port_range){ PLINTH_TEST_PORT_ID, PLINTH_TEST_PORT_SCRATCH + 4 - PLINTH_TEST_PORT_ID,
					      "Plinth's test device" };
	if (!acpi_parse_fadt(&acpi, own, n, &fadt)) {
		print_notes(&fadt.notes, "FADT");
		io_acpi_init(&fadt);
	}
	if (!acpi_parse_mcfg(&acpi, &mcfg)) {
		print_notes(&mcfg.notes, "MCFG");
		if (mcfg.ecam_base) {
			smram_set_ecam_base(mcfg.ecam_base);
			vm_pci_set_window(mcfg.ecam_base, mcfg.ecam_bus_end);
		}
	}
}

static bool have_vmx;

static void print_cpus(void)
{
	char ids[128];
	u32 i, n = 0, enabled = 0;

	ids[0] = '\0';
	for (i = 0; i < acpi.cpu_count; i++) {
		if (!acpi.cpus[i].enabled)
			continue;
		enabled++;
		if (n + 12 < sizeof(ids))
			n += (u32)format(ids + n, sizeof(ids) - n, " %u", acpi.cpus[i].apic_id);
	}
	log_info("acpi: MADT: %u CPUs enabled (APIC ids%s), %u IOAPICs, local APIC at 0x%lx", enabled, ids,
		 acpi.ioapic_count, acpi.lapic_addr);
}

void arch_platform_init(const struct boot_info *bi)
{
	u32 i;

	hostmap_boot(bi);
	apic_init();
	tsc_calibrate();
	smram_lock();
	exit_io_init();
	io_acpi_claim_apm();
	pci_filter_init();
	if (!bi->rsdp) {
		log_warn("acpi: no RSDP from the loader: only the boot CPU will run");
		return;
	}
	if (acpi_parse_rsdp_copy(bi->rsdp, bi->rsdp_len, &acpi)) {
		log_warn("acpi: %s; only the boot CPU will run", acpi.error);
		return;
	}
	if (acpi.warning[0])
		log_warn("acpi: %s", acpi.warning);
	log_info("acpi: revision %u (%s), %s with %u tables", acpi.rsdp_revision, acpi.oem_id,
		 acpi.use_xsdt ? "XSDT" : "RSDT", acpi.table_count);
	if (acpi.has_madt)
		print_cpus();
	else
		log_warn("acpi: no MADT: only the boot CPU will run");
	if (acpi.has_dmar)
		log_info("acpi: DMAR: %u DMA remapping units, %u reserved memory regions, host address width %u",
			 acpi.drhd_count, acpi.rmrr_count, acpi.dmar_haw);
	read_tables();
	vm_ioapic_host_init(&acpi);
	for (i = 0; i < acpi.drhd_count; i++)
		hostmap_mmio(acpi.drhds[i].reg_base, MAX(acpi.drhds[i].reg_size, (u64)4096));
	if (vtd_init(&acpi, bi))
		vtd_ir_init(&acpi);
}

bool arch_virt_init(void)
{
	have_vmx = vmx_detect();
	if (!have_vmx)
		return false;
	vmx_cpu_enable();
	log_info("CPU 0 (APIC id %u) in VMX root operation", apic_id());
	return true;
}

u32 arch_start_cpus(void)
{
	static u32 ids[ACPI_MAX_CPUS];
	u32 i, n = 0;

	for (i = 0; i < acpi.cpu_count; i++)
		if (acpi.cpus[i].enabled)
			ids[n++] = acpi.cpus[i].apic_id;
	cpus[0]->apic_id = apic_id();
	if (n > 1)
		smp_start_aps(ids, n, have_vmx);
	log_info("%u CPU%s online%s", cpu_count, cpu_count == 1 ? "" : "s",
		 have_vmx ? ", all in VMX root operation" : "");
	return cpu_count;
}
