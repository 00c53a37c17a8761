"""The console protocol's C side: the fixed texts and prefixes, and the strings and printf formats
that tools/gen.py writes into build/generated/console_proto.h for the hypervisor. The lines that
read them back are tools/consoleproto.py's, which re-exports every name here.
"""

from __future__ import annotations

LOG_PREFIX = "plinth: "
WARN_PREFIX = LOG_PREFIX + "warning: "  # log_warn (core/console.c)
FATAL_PREFIX = "FATAL: "
# Message texts; the C side prints them after LOG_PREFIX.
BANNER_TEXT = "Plinth hypervisor"
NO_GUEST_TEXT = "no guest to launch"
HALTED_TEXT = "all CPUs halted"
# The whole lines as they appear on the console.
BANNER = LOG_PREFIX + BANNER_TEXT
NO_GUEST = LOG_PREFIX + NO_GUEST_TEXT
# Printed after a FATAL report's dump, once every CPU has been told to halt.
HALTED = LOG_PREFIX + HALTED_TEXT
# The monitor's prompt (core/monitor.c PROMPT).
MONITOR_PROMPT = "plinth> "
# Fixed lines (their C source beside them).
NO_VMX = LOG_PREFIX + "vmx: not available (CPUID.1:ECX.VMX[bit 5] is 0): no guest can run on this CPU"  # arch/x86/vmx.c
NO_DMAR = LOG_PREFIX + "vtd: no DMAR table: no DMA remapping hardware (or the firmware hides it)"  # arch/x86/vtd.c

# The strings the C side needs, by the macro name it sees.
C_STRINGS = {
    "CONSOLE_LOG_PREFIX": LOG_PREFIX,
    "CONSOLE_FATAL_PREFIX": FATAL_PREFIX,
    "CONSOLE_HALTED_TEXT": HALTED_TEXT,
    "CONSOLE_BANNER_TEXT": BANNER_TEXT,
    "CONSOLE_NO_GUEST_TEXT": NO_GUEST_TEXT,
    # The monitor's answer to `help` (core/monitor.c).
    "CONSOLE_MONITOR_HELP": "commands: help, vms, stats, mem",
    # Text a guest writes with the console-write hypercall, line by line, after its VM's name
    # (core/hypercall.c): never taken for Plinth's own lines.
    "CONSOLE_FMT_GUEST_TEXT": "[%s] %s\n",
    # The monitor's `mem` (core/monitor.c): Plinth's range as the boot CPU's own MTRRs type it.
    # The monitor's `vms` (core/monitor.c), a line per VM: its state, CPUs, where its memory
    # starts in host RAM, its exits, and the IPIs Plinth dropped because they left the VM.
    "CONSOLE_FMT_MONITOR_VM": "  %s: %s, %u vCPUs on CPUs 0x%lx, %u memory ranges from host 0x%lx, %lu exits, "
    "%lu IPIs dropped",
    # The monitor's `stats` (arch/x86/vm_ioapic.c), after the VM's vCPUs.
    "CONSOLE_FMT_IOAPIC_STATS": "  %s I/O APIC: %lu writes to pins not its own dropped, %lu entries refused, "
    "%lu COM1 interrupts sent, %lu COM1 edges lost to a masked entry, %lu owned entries programmed",
    "CONSOLE_FMT_MONITOR_MEMORY_TYPE": "  Plinth's range: memory type %s (the boot CPU's MTRRs)",
    # The monitor's `stats` (arch/x86/vm_msi.c): a partition's device MSI vectors refused.
    "CONSOLE_FMT_MSI_STATS": "  %s MSI: %lu vectors kept masked (refused)",
}

# printf formats the C side takes from console_proto.h (after the log prefix).
C_FORMATS = {
    "CONSOLE_FMT_MEMMAP_HEADER": "memory map: %u entries, [start, end) by type",
    "CONSOLE_FMT_MEMMAP_LINE": "  0x%016lx-0x%016lx %s",
    "CONSOLE_FMT_MODULES_HEADER": "modules: %u",
    "CONSOLE_FMT_MODULE_LINE": "  module %u: 0x%lx-0x%lx %lu bytes cmdline='%s'",
    "CONSOLE_FMT_PLINTH_BACKING": "vm0: guest-physical 0x%lx-0x%lx (Plinth's range) is RAM at host 0x%lx-0x%lx, "
    "which the guest's memory map shows reserved",
    # core/panic.c: after FATAL_PREFIX, and after LOG_PREFIX.
    "CONSOLE_FMT_FATAL_NESTED": "nested failure during a FATAL report (%s)",
    "CONSOLE_FMT_FATAL_SILENCED": "%u more CPU%s failed while this report was written; they halted without one",
    # arch/x86/vtd.c, warnings: what the DMAR describes and Plinth will not use.
    "CONSOLE_FMT_VTD_UNIT_REFUSED": "vtd: unit %u at 0x%lx refused: %s; Plinth goes on without it",
    "CONSOLE_FMT_VTD_RMRR_REFUSED": "vtd: RMRR 0x%lx-0x%lx refused: %s; it stays unmapped",
    "CONSOLE_FMT_VTD_NO_UNIT": "vtd: none of the DMAR's %u remapping units is usable: no DMA remapping",
    # arch/x86/platform.c, warnings: a FADT or MCFG field the parser refused (acpi_fadt.c, acpi_mcfg.c
    # word the note: "<table> offset 0x<off>: <what>"), one line each, and how many more there were.
    "CONSOLE_FMT_ACPI_NOTE": "acpi: %s",
    "CONSOLE_FMT_ACPI_NOTES_DROPPED": "acpi: %u more problems of the %s are not shown",
    # arch/x86/vm_mtrr.c: a guest's MTRR view became its VM's EPT memory types (the new EPT's pages),
    # or could not (the pool had no room for the new tables; said once per VM).
    "CONSOLE_FMT_MTRR_EPT_APPLIED": "%s: vCPU %u's MTRRs now type the VM's memory: EPT rebuilt with %lu x 1G + "
    "%lu x 2M + %lu x 4K pages",
    "CONSOLE_FMT_MTRR_EPT_RETIRED": "%s: every vCPU left the EPT before; its %u table pages are free again",
    "CONSOLE_FMT_MTRR_EPT_FAILED": "%s: vCPU %u's MTRRs cannot type the VM's memory: building its new EPT failed "
    "(error %d); it keeps its memory types (said once)",
    # arch/x86/vm.c and vtd.c, warnings: one VM's construction ran out of pool; the VM fails alone and
    # what it had taken is given back first (the free amount is measured after that).
    "CONSOLE_FMT_VM_POOL_EXHAUSTED": "%s: cannot be built: Plinth's page pool (%lu KiB) ran out while allocating %s; "
    "%lu KiB free again",
    "CONSOLE_FMT_VTD_POOL_EXHAUSTED": "vtd: %s: cannot build its DMA domain: Plinth's page pool (%lu KiB) ran out "
    "while allocating %s; %lu KiB free again",
    # The VMX capability MSRs' values and the control words Plinth computes from them
    # (arch/x86/vmx.c): tools/exits.py checks the exit table against both.
    "CONSOLE_FMT_VMX_MSRS": "vmx: MSRs basic 0x%lx misc 0x%lx pin 0x%lx proc 0x%lx proc2 0x%lx exit 0x%lx entry 0x%lx "
    "ept_vpid 0x%lx",
    "CONSOLE_FMT_VMX_CONTROLS": "vmx: controls pin 0x%x proc 0x%x proc2 0x%x exit 0x%x entry 0x%x",
    # Taking the console UART back from a guest that reprogrammed it (arch/x86/uart.c).
    "CONSOLE_FMT_CONSOLE_RECLAIMED": "console: the guest had reprogrammed the UART at 0x%x (LCR 0x%02x, MCR 0x%02x, "
    "IER 0x%02x, divisor %u); Plinth set it up again",
    # SMRAM at boot (arch/x86/smram.c): the host bridge, its SMRAM control value and offset.
    "CONSOLE_FMT_SMRAM": "smram: %s %04x:%04x, SMRAM control 0x%02x at 0x%x: %s",
    "CONSOLE_FMT_SMRAM_NOT_LOCKED": "smram: %s %04x:%04x, SMRAM control 0x%02x at 0x%x: NOT locked (%s): "
    "the lock did not take",
    "CONSOLE_FMT_SMRAM_UNKNOWN": "smram: host bridge %04x:%04x is not one Plinth knows: whether SMRAM is locked is "
    "not checked",
    # Guest writes Plinth drops, said once per VM (arch/x86/io_acpi.c, pci_filter.c).
    "CONSOLE_FMT_SMI_COMMAND_DROPPED": "%s: vCPU %u wrote 0x%02x to the SMI command port 0x%x: dropped, only the "
    "firmware's ACPI commands go through (said once)",
    # Partitions (core/partition.c): the blob's verdict, where each VM's RAM lies, a VM that
    # cannot be built (it alone stays down), and who has the console's input (core/console_input.c).
    "CONSOLE_FMT_CONFIG_REFUSED": "configuration refused: %s; no VM is started",
    "CONSOLE_FMT_CONFIG_ACCEPTED": "configuration: %u VMs on CPUs 0x%lx, %lu MiB of RAM",
    "CONSOLE_FMT_VM_RAM": "%s: RAM guest-physical 0x%lx-0x%lx is host 0x%lx-0x%lx",
    # Which layout a partition that owns PCI functions got on a machine without DMA remapping
    # (core/partition.c, plinth/ram_layout.h): identity for a relocatable kernel, else a warning.
    "CONSOLE_FMT_VM_RAM_IDENTITY": "%s: RAM at guest-physical = host-physical above 1 MiB: it owns PCI functions "
    "and there is no DMA remapping (iommu=optional)",
    "CONSOLE_FMT_VM_RAM_DMA_UNREACHABLE": "%s: RAM at guest-physical 0 upwards: its devices' DMA will not reach its "
    "RAM (no DMA remapping, and a kernel at fixed addresses)",
    # A partition's PCI function and each of its BARs as Plinth sized them (arch/x86/vm_pci.c).
    "CONSOLE_FMT_VM_PCI_FUNCTION": "%s: owns PCI %02x:%02x.%u (%04x:%04x)",
    "CONSOLE_FMT_VM_PCI_BAR": "%s: PCI %02x:%02x.%u %s %s 0x%lx-0x%lx%s",
    "CONSOLE_FMT_VM_PCI_QUIESCED": "%s: PCI %02x:%02x.%u stopped with its VM: command 0x%04x -> 0x%04x "
    "(bus mastering off, INTx disabled)",
    # A partition's configuration write that Plinth dropped (once per VM; arch/x86/vm_pci.c).
    "CONSOLE_FMT_VM_PCI_WRITE_DROPPED": "%s: vCPU %u: PCI configuration write of 0x%x to %02x:%02x.%u register "
    "0x%x dropped: %s (said once)",
    # A partition's device MSIs (arch/x86/vm_msi.c, vm_msix.c): how they are routed (once), each
    # function's MSI-X table as trapped or why MSI-X stays off, a vector kept masked and an
    # access to the table Plinth does not do (each said once per VM or function).
    "CONSOLE_FMT_VM_MSI_ROUTING": "partitions: device MSIs are %s (%s)",
    "CONSOLE_FMT_VM_MSIX": "%s: PCI %02x:%02x.%u MSI-X: %u entries in BAR%u at 0x%lx, pages 0x%lx-0x%lx emulated",
    "CONSOLE_FMT_VM_MSIX_OFF": "%s: PCI %02x:%02x.%u MSI-X stays off: %s",
    "CONSOLE_FMT_VM_MSI_REFUSED": "%s: vCPU %u: PCI %02x:%02x.%u %s %u kept masked: %s (said once)",
    "CONSOLE_FMT_VM_MSIX_ODD_ACCESS": "%s: vCPU %u: PCI %02x:%02x.%u MSI-X table write of %u bytes at page offset "
    "0x%lx dropped: only dwords and aligned qwords (said once)",
    "CONSOLE_FMT_VM_NOT_BUILT": "%s: not started: %s",
    "CONSOLE_FMT_VM_READY": "%s: CPUs 0x%lx, %lu MiB of RAM in %u chunk(s), console COM1 (input key Ctrl-A %u)",
    "CONSOLE_FMT_INPUT_OWNER": "input: %s (Ctrl-A 1..%u a VM, Ctrl-A 0 the monitor)",
    "CONSOLE_FMT_IPI_DROPPED": "%s: vCPU %u: an IPI (ICR 0x%lx) names CPUs outside the VM: dropped there (said once)",
    "CONSOLE_FMT_VM_POOL_COST": "%s: Plinth's pool holds %lu KiB for it: EPT %u KiB, %u vCPUs with VMCS %u KiB and "
    "state %lu KiB, exit bitmaps 12 KiB, VM state %lu KiB",
    "CONSOLE_FMT_VM_RESTARTED": "%s: restarted (start %u)",
    # A partition's platform (issue 15): its ACPI tables (arch/x86/vm_platform.c), the clock
    # rates it is told (arch/x86/tsc.c).
    "CONSOLE_FMT_VM_ACPI_TABLES": "%s: ACPI tables for %u CPU(s) at 0x%x (%d bytes)",
    "CONSOLE_FMT_CLOCK_RATES": "clock: TSC %lu kHz, local APIC timer %lu kHz (against the PIT over %u us)",
    # A partition's I/O APIC (arch/x86/vm_ioapic.c): at build, its emulated COM1 pin; a write to a
    # pin not its own, or an entry it may not program, said once per VM.
    "CONSOLE_FMT_VM_IOAPIC": "%s: I/O APIC at 0x%x (ID %u, version 0x%02x, %u pins): pin %u is its COM1 (emulated), "
    "%u other pins are its own",
    # At partition build (arch/x86/vm_ioapic.c): an owned PCI function's INTx and the host I/O APIC
    # pin it became, or why it has none.
    "CONSOLE_FMT_VM_INTX_PIN": "%s: PCI %02x:%02x.%u INT%c (interrupt line %u) is I/O APIC pin %u",
    "CONSOLE_FMT_VM_INTX_REFUSED": "%s: PCI %02x:%02x.%u INT%c (interrupt line %u) gets no I/O APIC pin: %s",
    "CONSOLE_FMT_IOAPIC_DROPPED": "%s: vCPU %u wrote I/O APIC register 0x%02x of a pin that is not its own: dropped "
    "(said once)",
    "CONSOLE_FMT_IOAPIC_REFUSED": "%s: vCPU %u: I/O APIC register 0x%02x refused: %s (said once)",
    "CONSOLE_FMT_PCI_CONFIG_DROPPED": "%s: vCPU %u wrote the host bridge's %s (configuration offset 0x%x): kept as "
    "it is (said once)",
    # A partition's access to a port that is not its own (arch/x86/io_legacy.c): absent, said
    # once per VM and device; the monitor's stats count them by device.
    "CONSOLE_FMT_PORT_ABSENT": "%s: vCPU %u %s port 0x%x (%s), which is not the VM's: absent, reads all ones and "
    "writes are dropped (said once per device)",
}
