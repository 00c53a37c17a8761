/*
 * A partition's platform as its guest finds it in memory, in the low hole its memory map
 * reserves (plinth/guest_map.h), written before each start so a guest that overwrote it gets it
 * back on a restart:
 * - the VM's own ACPI tables (x86/vm_acpi.h) at GUEST_MAP_ACPI_TABLES; Linux finds them through
 *   boot_params.acpi_rsdp_addr or its RSDP scan of the BIOS area;
 * - at the reset vector (F000:FFF0, physical 0xffff0, SDM Vol. 3A 9.1.4), where a PC's firmware
 *   starts, code that asks for a reset through the reset control register. Linux jumps there
 *   to reboot a hardware-reduced ACPI machine without EFI: its reboot_init picks BOOT_EFI
 *   (efi_reboot_required() is true with HW_REDUCED_ACPI), which does nothing without EFI, and
 *   then BOOT_BIOS (machine_real_restart), before the FADT's reset register is ever tried.
 */
#include <console_proto.h>
#include <plinth/arch.h>
#include <plinth/console.h>
#include <plinth/errno.h>
#include <plinth/guest_map.h>
#include <plinth/vm.h>
#include <plinth/vm_mem.h>
#include <x86/cpu.h>
#include <x86/percpu.h>
#include <x86/rtc.h>
#include <x86/vm.h>
#include <x86/vm_acpi.h>
#include <x86/vm_ioapic.h>
#include <x86/vm_pci.h>

#define RESET_VECTOR 0xffff0
/* The largest tables: 256 CPUs with x2APIC entries, an I/O APIC with 32 overrides, an MCFG,
 * the DSDT with COM1, about 5 KiB; well below the reset vector. */
#define TABLES_MAX 8192

/* Real-mode code at the reset vector: mov al, VM_ACPI_RESET_VALUE; mov dx, VM_ACPI_RESET_PORT;
 * out dx, al; then hlt in a loop, should the write ever return. */
static const u8 reset_stub[] = { 0xb0, VM_ACPI_RESET_VALUE, 0xba, VM_ACPI_RESET_PORT & 0xff, VM_ACPI_RESET_PORT >> 8,
				 0xee, 0xf4, 0xeb, 0xfd };
/* The 8259s' interrupt mask registers (OCW1 at the odd port of each). */
#define PIC_MASTER_IMR 0x21
#define PIC_SLAVE_IMR 0xa1

void arch_partitions_platform_init(void)
{
	/* The firmware leaves the 8259s in virtual-wire mode with its timer tick unmasked, on
	 * vector 8 (the BIOS's base), and the boot CPU's LINT0 taking them as ExtINT. A partition's
	 * FADT says there are no 8259s, so Linux never reprograms them, and its first sti would
	 * take the PIT's IRQ 0 as a double fault. In partition mode no guest owns them: masked, for
	 * good. */
	outb(PIC_MASTER_IMR, 0xff);
	outb(PIC_SLAVE_IMR, 0xff);
	rtc_read_host();
}

int arch_vm_platform_write(struct vm *vm)
{
	static u32 apic_ids[VM_ACPI_MAX_CPUS];
	static u8 buf[TABLES_MAX];
	struct vm_acpi_config c = { .apic_ids = apic_ids, .sleep_port = VM_ACPI_SLEEP_PORT };
	u32 cpu;
	int len;

	/* vCPU n is the n-th CPU of the mask (plinth/vm.h): the boot vCPU's first. */
	for (cpu = 0; cpu < cpu_count && cpu < 64; cpu++)
		if ((vm->cpu_mask & BIT(cpu)) && c.cpu_count < VM_ACPI_MAX_CPUS)
			apic_ids[c.cpu_count++] = cpus[cpu]->apic_id;
	/* What the VM is given beyond its CPUs, in one place: a CMOS RTC (the hardware's when it
	 * owns the CMOS ports, else the emulated read-only one, reset here for every start); its I/O APIC with COM1
	 * on its IRQ 4 (x86/vm_ioapic.h), or, when it has none, COM1 declared without an IRQ (Linux
	 * polls it); an MCFG when it owns PCI functions and the host has a window, and a PCI root
	 * bridge in its DSDT when it owns any (x86/vm_pci.h). */
	c.cmos_rtc = true;
	vrtc_reset(&vm->arch->rtc);
	vm_ioapic_acpi(vm, &c);
	c.com1_polled = !c.com1;
	c.mcfg = vm_pci_mcfg(vm, &c.mcfg_base, &c.mcfg_bus_start, &c.mcfg_bus_end);
	c.mcfg_segment = 0;
	vm_pci_acpi(vm, &c);
	len = vm_acpi_build(&c, buf, sizeof(buf), GUEST_MAP_ACPI_TABLES, NULL);
	if (len < 0) {
		log_warn("%s: its ACPI tables cannot be built (error %d)", vm->name, len);
		return len;
	}
	if (vm_mem_write(vm, GUEST_MAP_ACPI_TABLES, buf, (u64)len) ||
	    vm_mem_write(vm, RESET_VECTOR, reset_stub, sizeof(reset_stub))) {
		log_warn("%s: its ACPI tables (%d bytes) and reset vector do not fit at 0x%x-0x%x in its RAM", vm->name,
			 len, GUEST_MAP_ACPI_TABLES, GUEST_MAP_ACPI_END);
		return -EFAULT;
	}
	log_info(CONSOLE_FMT_VM_ACPI_TABLES, vm->name, c.cpu_count, GUEST_MAP_ACPI_TABLES, len);
	return 0;
}
