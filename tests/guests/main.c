/*
 * The test guest's main line: read the multiboot information, run the checks named on the
 * command line (checks=a,b,c) in that order, print the summary and halt.
 */
#include <plinth/format.h>
#include <plinth/string.h>
#include "checks.h"
#include "console.h"
#include "guest_layout.h"
#include "multiboot.h"
#include "trap.h"

#define CMDLINE_MAX 512
/* What runs without checks=: everything that leaves the VM running, in a fixed order. */
#define DEFAULT_CHECKS "cpuid,vmcall,cr4,msr,xsetbv,io,vmxon"

struct check_entry {
	const char *name;
	void (*run)(void);
};

/* The destructive ones (plinth_write, triple_fault, corrupt_state) stop the VM under Plinth,
 * so a command line names them last. */
static const struct check_entry known_checks[] = {
	{ "cpuid", check_cpuid },
	{ "vmcall", check_vmcall },
	{ "cr4", check_cr4 },
	{ "msr", check_msr },
	{ "xsetbv", check_xsetbv },
	{ "io", check_io },
	{ "vmxon", check_vmxon },
	{ "ap", check_ap },
	{ "boot_info", check_boot_info },
	{ "bench", check_bench },
	{ "bench_irq", check_bench_irq },
	/* The hostile guest's (checks_hostile_*.c, docs/threat-model.md); the stop_* and
	 * console_reprogram, task_switch, apic_event_delivery ones are destructive. */
	{ "smm", check_smm },
	{ "apic_base", check_apic_base },
	{ "mtrr", check_mtrr },
	{ "mtrr_ept", check_mtrr_ept },
	{ "invd", check_invd },
	{ "osxsave", check_osxsave },
	{ "rf", check_rf },
	{ "cr0", check_cr0 },
	{ "cr_legacy", check_cr_legacy },
	{ "cpuid_wrap", check_cpuid_wrap },
	{ "io_wrap", check_io_wrap },
	{ "io_string", check_io_string },
	{ "console_forge", check_console_forge },
	{ "apic_forms", check_apic_forms },
	{ "exc_mode", check_exc_mode },
	{ "ipi_logical", check_ipi_logical },
	{ "ipi_running", check_ipi_running },
	{ "nmi_storm", check_nmi_storm },
	{ "x2apic_nmi", check_x2apic_nmi },
	{ "stop_nmi_blocked", check_stop_nmi_blocked },
	{ "stop_x2apic", check_stop_x2apic },
	{ "stop_bsp_nmi", check_stop_bsp_nmi },
	{ "console_reprogram", check_console_reprogram },
	{ "task_switch", check_task_switch },
	{ "apic_event_delivery", check_apic_event_delivery },
	{ "plinth_write", check_plinth_write },
	{ "triple_fault", check_triple_fault },
	{ "corrupt_state", check_corrupt_state },
	{ "poweroff", check_poweroff },
	{ "partition", check_partition },
	{ "echo", check_echo },
	{ "wait", check_wait },
	{ "apic_cross_page", check_apic_cross_page },
	{ "ioapic", check_ioapic },
	{ "ioapic_hostile", check_ioapic_hostile },
	{ "isolation", check_isolation },
	{ "write_past_ram", check_write_past_ram },
	{ "legacy_ports", check_legacy_ports },
	{ "reset_paths", check_reset_paths },
	{ "timing", check_timing },
	{ "pci", check_pci },
	{ "pci_intact", check_pci_intact },
	{ "pci_hostile", check_pci_hostile },
	{ "pci_master_stop", check_pci_master_stop },
};

/* A copy: the loader's copy may sit in low memory that a check (the AP trampoline) reuses. */
static char cmdline[CMDLINE_MAX];
const char *const guest_cmdline = cmdline;
int ap_trampoline_in_ram = -1;
const struct mb1_info *boot_mbi;

void guest_main(u32 magic, u32 mbi_addr);

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Whether the memory map lists [start, end) inside one available region. */
static int mmap_covers(const struct mb1_info *mbi, u64 start, u64 end)
{
	u64 pos = mbi->mmap_addr, stop = (u64)mbi->mmap_addr + mbi->mmap_length;

	while (pos + sizeof(struct mb1_mmap_entry) <= stop) {
		const struct mb1_mmap_entry *e = (const void *)pos;

		if (e->type == MB1_MMAP_AVAILABLE && e->addr <= start && end <= e->addr + e->len)
			return 1;
		pos += (u64)e->size + sizeof(e->size);
	}
	return 0;
}

static void read_boot_info(u32 magic, u32 mbi_addr)
{
	const struct mb1_info *mbi = (const void *)(u64)mbi_addr;
	const char *loader_cmdline = "";
	size_t len;

	boot_mbi = mbi;
	if (magic != MB1_BOOTLOADER_MAGIC) {
		char why[128];

		console_printf("guest: start \n");
		format(why, sizeof(why), "EAX at entry was 0x%x, not the multiboot magic 0x%x", magic,
		       MB1_BOOTLOADER_MAGIC);
		checks_abort(why);
	}
	if (mbi->flags & MB1_INFO_CMDLINE)
		loader_cmdline = (const char *)(u64)mbi->cmdline;
	len = strnlen(loader_cmdline, sizeof(cmdline) - 1);
	memcpy(cmdline, loader_cmdline, len);
	cmdline[len] = '\0';
	console_printf("guest: start %s\n", cmdline);
	if (mbi->flags & MB1_INFO_MMAP)
		ap_trampoline_in_ram = mmap_covers(mbi, AP_TRAMPOLINE_BASE, AP_TRAMPOLINE_BASE + PAGE_SIZE);
	check_info("multiboot info at 0x%x: flags 0x%x, mem_lower %u KiB, mem_upper %u KiB, %s",
		   mbi_addr, mbi->flags, mbi->flags & MB1_INFO_MEMORY ? mbi->mem_lower : 0,
		   mbi->flags & MB1_INFO_MEMORY ? mbi->mem_upper : 0,
		   mbi->flags & MB1_INFO_MMAP ? "memory map" : "no memory map");
}

/* The value of the checks= word in cmdline, or NULL; sets *len. */
static const char *find_checks(const char *s, size_t *len)
{
	static const char key[] = "checks=";

	while (*s) {
		while (is_space(*s))
			s++;
		const char *word = s;
		while (*s && !is_space(*s))
			s++;
		if ((size_t)(s - word) >= sizeof(key) - 1 && !memcmp(word, key, sizeof(key) - 1)) {
			*len = (size_t)(s - word) - (sizeof(key) - 1);
			return word + sizeof(key) - 1;
		}
	}
	return NULL;
}

static void run_named(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(known_checks); i++) {
		if (!strcmp(name, known_checks[i].name)) {
			check_run(known_checks[i].name, known_checks[i].run);
			return;
		}
	}
	check_unknown(name);
}

/* Called by entry.S in 64-bit mode on the boot CPU's stack. */
void guest_main(u32 magic, u32 mbi_addr)
{
	char list[CMDLINE_MAX];
	const char *value;
	size_t len = 0;

	trap_init();
	read_boot_info(magic, mbi_addr);

	value = find_checks(cmdline, &len);
	if (!value || !len) {
		value = DEFAULT_CHECKS;
		len = strlen(DEFAULT_CHECKS);
	}
	memcpy(list, value, len);
	list[len] = '\0';

	/* Split on commas in place; an empty item (a,,b) is skipped. */
	for (char *item = list, *end; item; item = end) {
		end = item;
		while (*end && *end != ',')
			end++;
		if (*end)
			*end++ = '\0';
		else
			end = NULL;
		if (*item)
			run_named(item);
	}
	checks_finish();
}
