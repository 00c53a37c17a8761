/*
 * Platform bring-up for core/main.c: Plinth's page tables for all of RAM, SMRAM locked, ACPI
 * tables (CPUs from the MADT, DMA remapping units from the DMAR, the ACPI ports from the FADT,
 * the ECAM base from the MCFG), the local APIC, VMX on the boot CPU, and the start of the
 * application processors.
 */
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/format.h>
#include <plinth/string.h>
#include <x86/acpi.h>
#include <x86/apic.h>
#include <x86/exit_io.h>
#include <x86/hostmap.h>
#include <x86/percpu.h>
#include <x86/smp.h>
#include <x86/smram.h>
#include <x86/tsc.h>
#include <x86/vmx.h>
#include <x86/vtd.h>

static struct acpi_info acpi;

#define FADT_MIN_LENGTH 68	/* ACPI 1.0's FADT reaches PM1a control; io_acpi.c checks the rest */
#define MCFG_ALLOCATIONS 44	/* ACPI MCFG (PCI Firmware 3.0, 4.1.2): the first allocation */
#define MCFG_ALLOCATION_SIZE 16 /* base address, segment, start and end bus */

/* A firmware table by signature that Plinth's identity map reaches; NULL when there is none. */
static const u8 *find_table(const char *sig, u32 min_length, u32 *length)
{
	u32 i;

	for (i = 0; i < acpi.table_count; i++) {
		if (memcmp(acpi.tables[i].sig, sig, 4) || acpi.tables[i].length < min_length ||
		    acpi.tables[i].pa + acpi.tables[i].length > 4 * GIB)
			continue;
		*length = acpi.tables[i].length;
		return (const u8 *)(uintptr_t)acpi.tables[i].pa;
	}
	return NULL;
}

/* The ports and configuration pages guests reach Plinth's concerns through: the FADT's ACPI
 * ports (the power-off report, SMI commands), and PCI segment 0's ECAM base, where the host
 * bridge's configuration page lies. */
static void read_tables(void)
{
	const u8 *t;
	u32 len, i;

	t = find_table("FACP", FADT_MIN_LENGTH, &len);
	if (t)
		io_acpi_init(t, len);
	t = find_table("MCFG", MCFG_ALLOCATIONS + MCFG_ALLOCATION_SIZE, &len);
	for (i = MCFG_ALLOCATIONS; t && i + MCFG_ALLOCATION_SIZE <= len; i += MCFG_ALLOCATION_SIZE) {
		u64 base;
		u16 segment;

		memcpy(&base, t + i, sizeof(base));
		memcpy(&segment, t + i + 8, sizeof(segment));
		if (segment == 0 && t[i + 10] == 0 && base < 4 * GIB)
			smram_set_ecam_base(base);
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
	for (i = 0; i < acpi.drhd_count; i++)
		hostmap_mmio(acpi.drhds[i].reg_base, MAX(acpi.drhds[i].reg_size, (u64)4096));
	vtd_init(&acpi, bi);
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
