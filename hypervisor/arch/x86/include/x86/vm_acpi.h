/*
 * A partition VM's own ACPI tables (arch/x86/vm_acpi.c): RSDP, XSDT, FADT, DSDT, MADT and, when
 * the VM owns PCI functions, MCFG, written into a buffer the caller then copies to guest-physical
 * address G. Unmodified Linux finds them through boot_params.acpi_rsdp_addr (G) or, when G lies
 * in the BIOS area 0xe0000-0xfffff, by its RSDP scan; it then sees only the VM's CPUs, the I/O
 * APIC only when the VM owns pins, and a hardware-reduced platform without PIC, PIT or PM timer.
 *
 * Pure: no hardware, no guest memory; host-tested by parsing the result with Plinth's own ACPI
 * parser.
 */
#ifndef X86_VM_ACPI_H
#define X86_VM_ACPI_H

#include <x86/acpi.h>
#include <x86/pci_access.h>

#define VM_ACPI_MAX_CPUS ACPI_MAX_CPUS
#define VM_ACPI_MAX_PCI_WINDOWS 64 /* memory (I/O) windows of a PCI root bridge */
#define VM_ACPI_MAX_OVERRIDES ACPI_MAX_OVERRIDES

/* The sleep type value the DSDT's \_S5 package gives: a guest powers off by writing
 * (VM_ACPI_S5_SLP_TYP << 2) | VM_ACPI_SLP_EN to the sleep control port (ACPI 6.5, 4.8.3.7). */
#define VM_ACPI_S5_SLP_TYP 5
#define VM_ACPI_SLP_TYP(v) (((v) >> 2) & 7)
#define VM_ACPI_SLP_EN BIT(5)
/* Reboot: the FADT's reset register is port 0xcf9 (the chipset's reset control), value 6
 * (hard reset, reset CPU), which is the first thing Linux tries (reboot=acpi is its default). */
#define VM_ACPI_RESET_PORT 0xcf9
#define VM_ACPI_RESET_VALUE 0x06
/* A partition's sleep control register (and status at + 1): a port no PC device uses, which
 * Plinth traps for every partition. */
#define VM_ACPI_SLEEP_PORT 0x0f00

/* What goes into the tables. Arrays are the caller's and only read. */
#define VM_ACPI_MAX_PRT 64

struct vm_acpi_prt_entry {
	u8 dev, pin;
	u32 gsi;
};

struct vm_acpi_config {
	const u32 *apic_ids; /* the VM's CPUs, boot CPU first; IDs above 254 get x2APIC entries */
	u32 cpu_count;	     /* 1..VM_ACPI_MAX_CPUS */

	/* An I/O APIC entry (with interrupt source overrides) only when the VM owns pins. */
	bool ioapic;
	u8 ioapic_id;
	u32 ioapic_addr;
	u32 ioapic_gsi_base;
	const struct acpi_override *overrides; /* ISA IRQ -> GSI; only with ioapic */
	u32 override_count;

	/* An MCFG (PCI Firmware 3.0, 4.1.2) only when the VM owns PCI functions. */
	bool mcfg;
	u64 mcfg_base; /* the address of bus 0's configuration space (as Linux reads it) */
	u16 mcfg_segment;
	u8 mcfg_bus_start, mcfg_bus_end;

	/* The FADT's sleep control register is this I/O port, its sleep status register the next
	 * one; Plinth traps both (power-off). Not 0. */
	u16 sleep_port;
	/* The VM sees a CMOS RTC at 0x70/0x71 (emulated or owned); without it the FADT says there
	 * is none and Linux registers no RTC device. */
	bool cmos_rtc;
	/* The DSDT declares COM1 (PNP0501, ports 0x3f8-0x3ff, IRQ 4): the VM's UART interrupts
	 * through its I/O APIC's pin 4 (an emulated pin of x86/vioapic.h). Needs ioapic. */
	bool com1;
	/* The DSDT declares COM1 without an interrupt (exclusive with com1): Linux's 8250 driver
	 * then polls the UART from a timer, so a VM without an I/O APIC still has a console both
	 * ways. */
	bool com1_polled;

	/* The DSDT declares a PCI root bridge \_SB.PCI0 (vm_acpi_pci.c) when the VM owns PCI
	 * functions: segment 0 (or the MCFG's), buses pci_bus_start..pci_bus_end, the configuration
	 * ports 0xcf8-0xcff, and the memory and I/O windows given ([start, end); I/O below 0x10000;
	 * at most VM_ACPI_MAX_PCI_WINDOWS each). PNP0A08 with an MCFG, PNP0A03 without. */
	bool pci_root;
	u8 pci_bus_start, pci_bus_end;
	const struct pci_range *pci_mmio, *pci_io;
	u32 pci_mmio_count, pci_io_count;
	/* The root bridge's _PRT (vm_acpi_prt.c): a device's INTx pin (0 INTA .. 3 INTD) on a GSI;
	 * at most VM_ACPI_MAX_PRT, only with pci_root. */
	const struct vm_acpi_prt_entry *prt;
	u32 prt_count;
};

/* Where the tables of the last build went, as guest-physical addresses (for tests and logs). */
struct vm_acpi_layout {
	gpa_t rsdp, xsdt, fadt, dsdt, madt, mcfg; /* mcfg 0 when there is none */
};

/*
 * Writes the VM's tables for config into buf (size bytes), which the caller places at
 * guest-physical gpa (16-byte aligned: the RSDP is at gpa, the other tables follow it, each
 * 8-byte aligned and checksummed). Returns the bytes used, -ENOSPC when buf is too small, or -EINVAL for a config it refuses: no CPUs or too many, an APIC
 * ID given twice or 0xffffffff, overrides or COM1 without an I/O APIC, com1 with com1_polled, too many overrides, an MCFG whose bus
 * range is reversed or whose window is not 1 MiB aligned or wraps, a PCI root bridge
 * vm_acpi_pci_check refuses, a sleep port of 0, an
 * unaligned gpa or one where the tables would wrap past 2^64. On an error buf is
 * left as it was. layout, unless NULL, receives
 * where each table went.
 */
int vm_acpi_build(const struct vm_acpi_config *config, void *buf, u64 size, gpa_t gpa,
		  struct vm_acpi_layout *layout);

/* (vm_acpi_pci.c) The PCI root bridge's part of config: 0, or -EINVAL for a reversed bus range,
 * too many windows, an empty or reversed window, an I/O window past 0xffff, or windows without
 * pci_root. */
int vm_acpi_pci_check(const struct vm_acpi_config *config);
/* The DSDT's bytes for the root bridge (none without pci_root), written to out unless NULL;
 * their count. Only for a config vm_acpi_pci_check accepts. */
u32 vm_acpi_pci_root(const struct vm_acpi_config *config, u8 *out);
/* (vm_acpi_prt.c) The DSDT's bytes for the root bridge's _PRT (none without pci_root or
 * entries), written to out unless NULL; their count. */
u32 vm_acpi_prt(const struct vm_acpi_config *config, u8 *out);

#endif
