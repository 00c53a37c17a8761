"""Plinth's console protocol, defined once: every console line the tools and tests read.

Each line is a Line: the printf format(s) the C side prints it with (whole lines, the log
prefix included) and the regular expression that reads it back; tests/unit/test_consoleproto.py
formats each with sample values as C would and checks that the regex reads the values back.
The C side gets the strings and formats of C_STRINGS and C_FORMATS (tools/consoleproto_c.py,
re-exported here) from build/generated/console_proto.h (written by tools/gen.py); the other formats are quoted from
the C source named beside them, so a change there must be made here too (the round trip and
the system tests catch a mismatch). The test guest's check and summary lines are in
tools/hvabi.py, with the guest ABI header they are generated into.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from tools.consoleproto_c import (  # the C side's texts and formats, re-exported
    LOG_PREFIX as LOG_PREFIX,
    WARN_PREFIX as WARN_PREFIX,
    FATAL_PREFIX as FATAL_PREFIX,
    BANNER_TEXT as BANNER_TEXT,
    NO_GUEST_TEXT as NO_GUEST_TEXT,
    HALTED_TEXT as HALTED_TEXT,
    BANNER as BANNER,
    NO_GUEST as NO_GUEST,
    HALTED as HALTED,
    MONITOR_PROMPT as MONITOR_PROMPT,
    NO_VMX as NO_VMX,
    NO_DMAR as NO_DMAR,
    C_STRINGS as C_STRINGS,
    C_FORMATS as C_FORMATS,
)


class Line(NamedTuple):
    """A console line: the printf formats of the whole line as the C side prints it, and the
    regular expression that reads it (named groups for the values)."""

    formats: tuple[str, ...]
    regex: re.Pattern[str]

    def search(self, text: str, pos: int = 0) -> re.Match[str] | None:
        return self.regex.search(text, pos)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.regex.finditer(text)

    def fill(self, **values: str) -> re.Pattern[str]:
        """The regex with some named groups fixed to literal values (e.g. a VM's name)."""
        return fill(self.regex, **values)


def line(formats: str | tuple[str, ...], regex: str, flags: int = 0) -> Line:
    return Line((formats,) if isinstance(formats, str) else formats, re.compile(regex, flags))


HEX = r"0x[0-9a-f]+"
BDF = r"[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]"

# Any warning (log_warn, core/console.c): the tools name the last one as the reason no guest ran.
WARNING = line(WARN_PREFIX + "%s", r"^plinth: warning: (?P<what>.*)$", re.M)

# --- Boot (core/main.c, core/boot_info.c, core/memory.c) ---
# The banner: PLINTH_VERSION is "<version> build <id>" (tools/gen.py version_h, SConstruct).
BANNER_LINE = line(
    LOG_PREFIX + BANNER_TEXT + " %s (x86-64)",
    r"plinth: Plinth hypervisor (?P<version>\S+) build (?P<build_id>[0-9a-f]{12}) \(x86-64\)",
)
COMMAND_LINE = line(LOG_PREFIX + "command line: '%s'", r"plinth: command line: '(?P<cmdline>.*)'")
MEMMAP_HEADER = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_MEMMAP_HEADER"], r"plinth: memory map: (?P<count>\d+) entries, \[start, end\)"
)
MEMMAP_LINE = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_MEMMAP_LINE"],
    r"plinth:   (?P<start>0x[0-9a-f]{16})-(?P<end>0x[0-9a-f]{16}) (?P<type>[a-z-]+)",
)
MODULES_COUNT = line(LOG_PREFIX + C_FORMATS["CONSOLE_FMT_MODULES_HEADER"], r"plinth: modules: (?P<count>\d+)")
MODULE_LINE = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_MODULE_LINE"],
    rf"plinth:   module (?P<index>\d+): (?P<start>{HEX})-(?P<end>{HEX}) (?P<size>\d+) bytes cmdline='(?P<cmdline>[^']*)'",
)
ACPI_RSDP = line(
    LOG_PREFIX + "ACPI RSDP: %s tag, %u bytes at 0x%016lx",  # %p prints as 0x%016lx
    rf"plinth: ACPI RSDP: (?P<tag>.+?) tag, (?P<size>\d+) bytes at (?P<addr>{HEX})",
)
HOST_PAGE_TABLES = line(
    LOG_PREFIX + "memory: Plinth's page tables map %lu x 1G + %lu x 2M pages in %u table pages (1 GiB pages %s)",
    r"plinth: memory: Plinth's page tables map (?P<leaves_1g>\d+) x 1G \+ (?P<leaves_2m>\d+) x 2M pages in "
    r"(?P<tables>\d+) table pages \(1 GiB pages (?P<one_gib>yes|no)\)",
)  # arch/x86/hostmap_boot.c
RESERVED = line(
    LOG_PREFIX + "reserved: 0x%lx-0x%lx (%lu KiB: image %lu KiB, pool %lu KiB)",
    rf"plinth: reserved: (?P<start>{HEX})-(?P<end>{HEX}) \((?P<kib>\d+) KiB: image (?P<image>\d+) KiB, "
    r"pool (?P<pool>\d+) KiB\)",
)

# --- CPUs and VMX (arch/x86/platform.c, arch/x86/vmx.c) ---
CPU_IN_VMX_ROOT = line(
    LOG_PREFIX + "CPU %u (APIC id %u) in VMX root operation",
    r"plinth: CPU (?P<cpu>\d+) \(APIC id (?P<apic_id>\d+)\) in VMX root operation",
)
CPU_ONLINE = line(
    LOG_PREFIX + "CPU %u (APIC id %u) online",
    r"plinth: CPU (?P<cpu>\d+) \(APIC id (?P<apic_id>\d+)\) online$",
    re.M,
)  # arch/x86/smp.c, without VMX
SMP_POOL = line(
    LOG_PREFIX + "smp: %u APs hold %lu KiB of Plinth's pool (%lu KiB each); %lu KiB of the pool free",
    r"plinth: smp: (?P<aps>\d+) APs hold (?P<kib>\d+) KiB of Plinth's pool \((?P<each>\d+) KiB each\); "
    r"(?P<free>\d+) KiB of the pool free",
)  # arch/x86/smp.c
VMX_MSRS = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_VMX_MSRS"],
    rf"plinth: vmx: MSRs basic (?P<basic>{HEX}) misc (?P<misc>{HEX}) pin (?P<pin>{HEX}) proc (?P<proc>{HEX}) "
    rf"proc2 (?P<proc2>{HEX}) exit (?P<exit>{HEX}) entry (?P<entry>{HEX}) ept_vpid (?P<ept_vpid>{HEX})",
)
VMX_CONTROLS = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_VMX_CONTROLS"],
    rf"plinth: vmx: controls pin (?P<pin>{HEX}) proc (?P<proc>{HEX}) proc2 (?P<proc2>{HEX}) exit (?P<exit>{HEX}) "
    rf"entry (?P<entry>{HEX})",
)
CPUS_ONLINE = line(
    (LOG_PREFIX + "%u CPU online%s", LOG_PREFIX + "%u CPUs online%s"),  # "s" when more than one
    r"plinth: (?P<count>\d+) CPUs? online(?P<vmx>, all in VMX root operation)?$",
    re.M,
)
# The capability report: items "NAME yes|no" (and others) separated by ", " or "; ", read by
# report_items(); the exact lines change with the capability table vmx.c reports from.
VMX_REPORT = line(
    (
        LOG_PREFIX + "vmx: revision 0x%x, region %lu bytes, memory type %s, TRUE controls %s, INS/OUTS info %s",
        LOG_PREFIX + "vmx: EPT %s, VPID %s, unrestricted guest %s, MSR bitmaps %s, I/O bitmaps %s",
        LOG_PREFIX + "vmx: INVEPT %s (single-context %s, all-context %s), INVVPID %s (address %s, single-context %s, "
        "all-context %s)",
        LOG_PREFIX + "vmx: activity states HLT %s, shutdown %s, wait-for-SIPI %s; save/load EFER %s, PAT %s",
    ),
    r"^plinth: vmx: (?P<items>.*)$",
    re.M,
)

# --- VT-d and PCI (arch/x86/vtd.c, vtd_fault.c, pci.c) ---
VTD_UNIT = line(
    LOG_PREFIX + "vtd: unit %u at 0x%lx: version %u.%u%s",  # ", all devices not named by another unit"
    rf"plinth: vtd: unit (?P<unit>\d+) at (?P<base>{HEX}): version (?P<version>\d+\.\d+)(?P<include_all>, .*)?$",
    re.M,
)
# The unit's capability lines: items as in VMX_REPORT.
VTD_UNIT_REPORT = line(
    (
        LOG_PREFIX + "vtd: unit %u: SAGAW 0x%lx (%s%s), MGAW %lu, ND %lu (%lu domains), CM %s, RWBF %s, "
        "SLLPS 0x%lx (%s%s), PSI %s",
        LOG_PREFIX + "vtd: unit %u: fault records %lu at 0x%lx, IOTLB registers at 0x%lx, C %s, QI %s, IR %s, "
        "EIM %s, PT %s, SC %s",
    ),
    r"^plinth: vtd: unit (?P<unit>\d+): (?P<items>(?:SAGAW|fault records) .*)$",
    re.M,
)
VTD_ENABLED = line(
    LOG_PREFIX + "vtd: unit %u: DMA remapping enabled (%s invalidation)",
    r"plinth: vtd: unit (?P<unit>\d+): DMA remapping enabled \((?P<invalidation>queued|register-based) invalidation\)",
)
VTD_FAULT = line(
    LOG_PREFIX + "vtd: fault: unit %u: device %02x:%02x.%u %s at 0x%lx blocked: reason 0x%x, %s",
    rf"plinth: vtd: fault: unit (?P<unit>\d+): device (?P<bdf>{BDF}) (?P<access>read|write) at (?P<addr>{HEX}) "
    rf"blocked: reason (?P<reason>{HEX}), (?P<why>.*)$",
    re.M,
)
# Interrupt remapping (arch/x86/vtd_irt.c, vtd_fault_text.c).
VTD_IR_AVAILABLE = line(
    LOG_PREFIX + "vtd: interrupt remapping available: %u entries when enabled, %s destinations (%s)",
    r"plinth: vtd: interrupt remapping available: (?P<entries>\d+) entries when enabled, "
    r"(?P<format>xAPIC \(8-bit\)|x2APIC \(32-bit\)) destinations \((?P<why>.*)\)$",
    re.M,
)
VTD_IR_OFF = line(
    LOG_PREFIX + "vtd: no interrupt remapping: %s",
    r"plinth: vtd: no interrupt remapping: (?P<why>.*)$",
    re.M,
)
VTD_IR_ENABLED = line(
    LOG_PREFIX + "vtd: unit %u: interrupt remapping enabled: %u entries at 0x%lx, %s destinations, "
    "compatibility format blocked",
    rf"plinth: vtd: unit (?P<unit>\d+): interrupt remapping enabled: (?P<entries>\d+) entries at (?P<table>{HEX}), "
    r"(?P<format>xAPIC \(8-bit\)|x2APIC \(32-bit\)) destinations, compatibility format blocked",
)
VTD_IR_FAULT = line(
    LOG_PREFIX + "vtd: fault: unit %u: device %02x:%02x.%u interrupt index %u blocked: reason 0x%x, %s",
    rf"plinth: vtd: fault: unit (?P<unit>\d+): device (?P<bdf>{BDF}) interrupt index (?P<index>\d+) "
    rf"blocked: reason (?P<reason>{HEX}), (?P<why>.*)$",
    re.M,
)
VTD_UNIT_REFUSED = line(
    WARN_PREFIX + C_FORMATS["CONSOLE_FMT_VTD_UNIT_REFUSED"],
    rf"plinth: warning: vtd: unit (?P<unit>\d+) at (?P<base>{HEX}) refused: (?P<why>.*); Plinth goes on without it",
)
VTD_RMRR_REFUSED = line(
    WARN_PREFIX + C_FORMATS["CONSOLE_FMT_VTD_RMRR_REFUSED"],
    rf"plinth: warning: vtd: RMRR (?P<base>{HEX})-(?P<limit>{HEX}) refused: (?P<why>.*); it stays unmapped",
)
VTD_NO_UNIT = line(
    WARN_PREFIX + C_FORMATS["CONSOLE_FMT_VTD_NO_UNIT"],
    r"plinth: warning: vtd: none of the DMAR's (?P<count>\d+) remapping units is usable",
)
VTD_POOL_EXHAUSTED = line(
    WARN_PREFIX + C_FORMATS["CONSOLE_FMT_VTD_POOL_EXHAUSTED"],
    r"plinth: warning: vtd: (?P<vm>\S+): cannot build its DMA domain: Plinth's page pool \((?P<pool>\d+) KiB\) "
    r"ran out while allocating (?P<what>.*); (?P<free>\d+) KiB free again",
)
PCI_FUNCTION = line(
    LOG_PREFIX + "pci: %02x:%02x.%u %04x:%04x class %02x%02x%02x",
    rf"plinth: pci: (?P<bdf>{BDF}) (?P<vendor>[0-9a-f]{{4}}):(?P<device>[0-9a-f]{{4}}) class (?P<class_code>[0-9a-f]{{6}})",
)
NO_DMA_ISOLATION = line(
    WARN_PREFIX + "%s: refusing to run a guest without DMA isolation (no VT-d); boot with iommu=optional to allow it",
    r"plinth: warning: (?P<vm>\S+): refusing to run a guest without DMA isolation \(no VT-d\); "
    r"boot with iommu=optional to allow it",
)  # arch/x86/iommu.c

# --- VMs (core/vm.c, arch/x86/vmexit.c, arch/x86/io.c, guest/linux.c, arch/x86/vcpu.c) ---
VM_POOL_EXHAUSTED = line(
    WARN_PREFIX + C_FORMATS["CONSOLE_FMT_VM_POOL_EXHAUSTED"],
    r"plinth: warning: (?P<vm>\S+): cannot be built: Plinth's page pool \((?P<pool>\d+) KiB\) ran out while "
    r"allocating (?P<what>.*); (?P<free>\d+) KiB free again",
)  # arch/x86/vm.c
# Anchored at the line's start: guest text in the middle of a line (core/hypercall.c) is no stop.
VM_STOPPED = line(LOG_PREFIX + "%s stopped: %s", r"^plinth: (?P<vm>[a-z0-9_-]+) stopped: (?P<why>.*)$", re.M)
EPT_VIOLATION_STOP = line(
    LOG_PREFIX + "%s stopped: EPT violation: %s at guest-physical 0x%lx (%s), vCPU %u, guest rip 0x%lx",
    rf"plinth: (?P<vm>[a-z0-9_-]+) stopped: EPT violation: (?P<access>[\w ]+) at guest-physical (?P<gpa>{HEX}) "
    rf"\((?P<why>[^)]*)\), vCPU (?P<vcpu>\d+), guest rip (?P<rip>{HEX})",
)
TRIPLE_FAULT_STOP = line(
    LOG_PREFIX + "%s stopped: triple fault in vCPU %u at guest rip 0x%lx (cr0 0x%lx, idtr limit 0x%lx)",
    rf"plinth: (?P<vm>[a-z0-9_-]+) stopped: triple fault in vCPU (?P<vcpu>\d+) at guest rip (?P<rip>{HEX}) "
    rf"\(cr0 (?P<cr0>{HEX}), idtr limit (?P<idtr_limit>{HEX})\)",
)
# A VM stopped on an exit Plinth does not emulate (arch/x86/vmexit.c), its VMCS dumped after.
VM_EXIT_STOP = line(
    LOG_PREFIX + "%s stopped: exit reason %u %s in vCPU %u at guest rip 0x%lx, qualification 0x%lx: %s",
    rf"plinth: (?P<vm>[a-z0-9_-]+) stopped: exit reason (?P<reason>\d+) (?P<name>[A-Z0-9_]+) in vCPU (?P<vcpu>\d+) "
    rf"at guest rip (?P<rip>{HEX}), qualification (?P<qualification>{HEX}): (?P<policy>.*)$",
    re.M,
)
VMRESUME_STOP = line(
    LOG_PREFIX + "%s stopped: VMRESUME failed in vCPU %u: VM-instruction error %lu (%s), guest rip 0x%lx",
    r"plinth: (?P<vm>[a-z0-9_-]+) stopped: VMRESUME failed in vCPU (?P<vcpu>\d+): VM-instruction error (?P<error>\d+)",
)
# After the stop line: every other vCPU of the VM out of guest mode, or how many are not.
VM_IDLE = line(
    LOG_PREFIX + "Plinth keeps running; the VM's CPUs are idle", r"plinth: Plinth keeps running; the VM's CPUs are idle"
)
VM_NOT_IDLE = line(
    WARN_PREFIX + "%s: %u vCPU(s) still in guest mode after the stop",
    r"plinth: warning: (?P<vm>\S+): (?P<count>\d+) vCPU\(s\) still in guest mode after the stop",
)
KICK_ROUNDS = line(
    LOG_PREFIX + "%s: its other vCPUs left guest mode after %u round(s) of INIT kicks, %lu us",
    r"plinth: (?P<vm>\S+): its other vCPUs left guest mode after (?P<rounds>\d+) round\(s\) of INIT kicks, "
    r"(?P<us>\d+) us",
)  # arch/x86/vm_stop.c
INIT_NOT_SENT = line(
    WARN_PREFIX + "%s: vCPU %u got an INIT that Plinth did not send; ignored",
    r"plinth: warning: (?P<vm>\S+): vCPU (?P<vcpu>\d+) got an INIT that Plinth did not send; ignored",
)  # arch/x86/vm_stop.c
CONSOLE_RECLAIMED = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_CONSOLE_RECLAIMED"],
    rf"plinth: console: the guest had reprogrammed the UART at (?P<port>{HEX}) \(LCR (?P<lcr>{HEX}), "
    rf"MCR (?P<mcr>{HEX}), IER (?P<ier>{HEX}), divisor (?P<divisor>\d+)\); Plinth set it up again",
)
GUEST_TEXT = line(C_STRINGS["CONSOLE_FMT_GUEST_TEXT"], r"^\[(?P<vm>[^\]\s]+)\] (?P<text>.*)$", re.M)
# Guest actions Plinth refuses, said once per vCPU (arch/x86/vapic.c) or per VM (exit_io.c).
APIC_REFUSED = line(
    WARN_PREFIX + "%s: vCPU %u: %s with %s refused (said once)",
    r"plinth: warning: (?P<vm>\S+): vCPU (?P<vcpu>\d+): (?P<what>.+) with (?P<mode>.+) refused \(said once\)",
)
SMI_COMMAND_DROPPED = line(
    WARN_PREFIX + C_FORMATS["CONSOLE_FMT_SMI_COMMAND_DROPPED"],
    rf"plinth: warning: (?P<vm>\S+): vCPU (?P<vcpu>\d+) wrote (?P<value>{HEX}) to the SMI command port "
    rf"(?P<port>{HEX}): dropped",
)
PCI_CONFIG_DROPPED = line(
    WARN_PREFIX + C_FORMATS["CONSOLE_FMT_PCI_CONFIG_DROPPED"],
    rf"plinth: warning: (?P<vm>\S+): vCPU (?P<vcpu>\d+) wrote the host bridge's (?P<what>.+) "
    rf"\(configuration offset (?P<offset>{HEX})\): kept as it is",
)
# A guest's MTRR view applied to its VM's EPT (the new EPT's pages), or not (error set); and an
# EPT freed once every vCPU left it (arch/x86/vm_mtrr.c).
MTRR_EPT = line(
    (LOG_PREFIX + C_FORMATS["CONSOLE_FMT_MTRR_EPT_APPLIED"], WARN_PREFIX + C_FORMATS["CONSOLE_FMT_MTRR_EPT_FAILED"]),
    r"^plinth: (?:warning: )?(?P<vm>\S+): vCPU (?P<vcpu>\d+)'s MTRRs (?:now type the VM's memory: EPT rebuilt with "
    r"(?P<pages_1g>\d+) x 1G \+ (?P<pages_2m>\d+) x 2M \+ (?P<pages_4k>\d+) x 4K pages|cannot type the VM's memory: "
    r"building its new EPT failed \(error (?P<error>-?\d+)\); it keeps its memory types \(said once\))$",
    re.M,
)
MTRR_EPT_RETIRED = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_MTRR_EPT_RETIRED"],
    r"^plinth: (?P<vm>\S+): every vCPU left the EPT before; its (?P<pages>\d+) table pages are free again$",
    re.M,
)
# A FADT or MCFG field Plinth refuses at boot (arch/x86/platform.c, the parser's notes).
ACPI_FIELD_REFUSED = line(
    (WARN_PREFIX + C_FORMATS["CONSOLE_FMT_ACPI_NOTE"], WARN_PREFIX + C_FORMATS["CONSOLE_FMT_ACPI_NOTES_DROPPED"]),
    rf"^plinth: warning: acpi: (?:(?P<table>FADT|MCFG) offset (?P<offset>{HEX}): (?P<what>.*)|"
    r"(?P<more>\d+) more problems of the (?P<of>FADT|MCFG) are not shown)$",
    re.M,
)
# --- Partitions (core/partition.c, core/console_input.c, arch/x86/vapic.c) ---
VM_NAME = r"[a-z0-9_-]+"
CONFIG_REFUSED = line(
    WARN_PREFIX + C_FORMATS["CONSOLE_FMT_CONFIG_REFUSED"],
    r"^plinth: warning: configuration refused: (?P<why>.*); no VM is started$",
    re.M,
)
CONFIG_ACCEPTED = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_CONFIG_ACCEPTED"],
    rf"plinth: configuration: (?P<count>\d+) VMs on CPUs (?P<cpus>{HEX}), (?P<mib>\d+) MiB of RAM",
)
VM_RAM = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_VM_RAM"],
    rf"plinth: (?P<vm>{VM_NAME}): RAM guest-physical (?P<start>{HEX})-(?P<end>{HEX}) is host "
    rf"(?P<host_start>{HEX})-(?P<host_end>{HEX})",
)
VM_RAM_IDENTITY = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_VM_RAM_IDENTITY"],
    rf"plinth: (?P<vm>{VM_NAME}): RAM at guest-physical = host-physical above 1 MiB: it owns PCI functions and",
)
VM_RAM_DMA_UNREACHABLE = line(
    WARN_PREFIX + C_FORMATS["CONSOLE_FMT_VM_RAM_DMA_UNREACHABLE"],
    rf"plinth: warning: (?P<vm>{VM_NAME}): RAM at guest-physical 0 upwards: its devices' DMA will not reach",
)
VM_PCI_FUNCTION = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_VM_PCI_FUNCTION"],
    rf"^plinth: (?P<vm>{VM_NAME}): owns PCI (?P<bdf>{BDF}) \((?P<vendor>[0-9a-f]{{4}}):(?P<device>[0-9a-f]{{4}})\)$",
    re.M,
)
VM_PCI_BAR = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_VM_PCI_BAR"],
    rf"^plinth: (?P<vm>{VM_NAME}): PCI (?P<bdf>{BDF}) (?P<bar>BAR\d|ROM) (?P<kind>mem|I/O) "
    rf"(?P<start>{HEX})-(?P<end>{HEX})(?P<note>.*)$",
    re.M,
)
# A stopped VM's function stopped with it (arch/x86/vm_pci_cfg.c vm_pci_quiesce).
VM_PCI_QUIESCED = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_VM_PCI_QUIESCED"],
    rf"^plinth: (?P<vm>{VM_NAME}): PCI (?P<bdf>{BDF}) stopped with its VM: command (?P<before>{HEX}) -> "
    rf"(?P<after>{HEX}) ",
    re.M,
)
VM_PCI_WRITE_DROPPED = line(
    WARN_PREFIX + C_FORMATS["CONSOLE_FMT_VM_PCI_WRITE_DROPPED"],
    rf"^plinth: warning: (?P<vm>{VM_NAME}): vCPU (?P<vcpu>\d+): PCI configuration write of (?P<value>{HEX}) to "
    rf"(?P<bdf>{BDF}) register (?P<reg>{HEX}) dropped: (?P<why>.*) \(said once\)$",
    re.M,
)
VM_MSI_ROUTING = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_VM_MSI_ROUTING"],
    r"^plinth: partitions: device MSIs are (?P<how>.*) \((?P<why>.*)\)$",
    re.M,
)
VM_MSIX = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_VM_MSIX"],
    rf"^plinth: (?P<vm>{VM_NAME}): PCI (?P<bdf>{BDF}) MSI-X: (?P<entries>\d+) entries in BAR(?P<bar>\d) at "
    rf"(?P<table>{HEX}), pages (?P<start>{HEX})-(?P<end>{HEX}) emulated$",
    re.M,
)
VM_MSIX_OFF = line(
    WARN_PREFIX + C_FORMATS["CONSOLE_FMT_VM_MSIX_OFF"],
    rf"^plinth: warning: (?P<vm>{VM_NAME}): PCI (?P<bdf>{BDF}) MSI-X stays off: (?P<why>.*)$",
    re.M,
)
VM_MSI_REFUSED = line(
    WARN_PREFIX + C_FORMATS["CONSOLE_FMT_VM_MSI_REFUSED"],
    rf"^plinth: warning: (?P<vm>{VM_NAME}): vCPU (?P<vcpu>\d+): PCI (?P<bdf>{BDF}) (?P<what>MSI-X entry|MSI vector) "
    r"(?P<n>\d+) kept masked: (?P<why>.*) \(said once\)$",
    re.M,
)
VM_MSIX_ODD_ACCESS = line(
    WARN_PREFIX + C_FORMATS["CONSOLE_FMT_VM_MSIX_ODD_ACCESS"],
    rf"^plinth: warning: (?P<vm>{VM_NAME}): vCPU (?P<vcpu>\d+): PCI (?P<bdf>{BDF}) MSI-X table write of "
    rf"(?P<size>\d+) bytes at page offset (?P<off>{HEX}) dropped",
    re.M,
)
VM_NOT_BUILT = line(
    WARN_PREFIX + C_FORMATS["CONSOLE_FMT_VM_NOT_BUILT"],
    rf"^plinth: warning: (?P<vm>{VM_NAME}): not started: (?P<why>.*)$",
    re.M,
)
VM_READY = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_VM_READY"],
    rf"plinth: (?P<vm>{VM_NAME}): CPUs (?P<cpus>{HEX}), (?P<mib>\d+) MiB of RAM in (?P<chunks>\d+) chunk\(s\), "
    r"console COM1 \(input key Ctrl-A (?P<key>\d+)\)",
)
INPUT_OWNER = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_INPUT_OWNER"],
    r"plinth: input: (?P<owner>\S+) \(Ctrl-A 1\.\.(?P<count>\d+) a VM, Ctrl-A 0 the monitor\)",
)
IPI_DROPPED = line(
    WARN_PREFIX + C_FORMATS["CONSOLE_FMT_IPI_DROPPED"],
    rf"plinth: warning: (?P<vm>{VM_NAME}): vCPU (?P<vcpu>\d+): an IPI \(ICR (?P<icr>{HEX})\) names CPUs outside "
    r"the VM: dropped there",
)
VM_POOL_COST = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_VM_POOL_COST"],
    rf"plinth: (?P<vm>{VM_NAME}): Plinth's pool holds (?P<kib>\d+) KiB for it: EPT (?P<ept>\d+) KiB, "
    r"(?P<vcpus>\d+) vCPUs with VMCS (?P<vmcs>\d+) KiB and state (?P<state>\d+) KiB, exit bitmaps 12 KiB, "
    r"VM state (?P<vm_state>\d+) KiB",
)  # arch/x86/vm.c
VM_RESTARTED = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_VM_RESTARTED"],
    rf"plinth: (?P<vm>{VM_NAME}): restarted \(start (?P<start>\d+)\)",
)
VM_ACPI_TABLES = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_VM_ACPI_TABLES"],
    rf"plinth: (?P<vm>{VM_NAME}): ACPI tables for (?P<cpus>\d+) CPU\(s\) at (?P<addr>{HEX}) \((?P<bytes>\d+) bytes\)",
)
CLOCK_RATES = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_CLOCK_RATES"],
    r"plinth: clock: TSC (?P<tsc_khz>\d+) kHz, local APIC timer (?P<apic_khz>\d+) kHz",
)
# A partition's power-off and reset requests (arch/x86/io_reset.c).
POWER_OFF_STOP = line(
    LOG_PREFIX + "%s stopped: power-off: vCPU %u wrote 0x%x to its sleep control register (SLP_TYP %u%s)",
    rf"plinth: (?P<vm>{VM_NAME}) stopped: power-off: vCPU (?P<vcpu>\d+) wrote (?P<value>{HEX}) to its sleep control "
    r"register \(SLP_TYP (?P<slp_typ>\d+)",
)
RESET_STOP = line(
    (
        LOG_PREFIX + "%s stopped: reset request: vCPU %u wrote 0x%x to port 0x%x: it restarts (on_reset = restart)",
        LOG_PREFIX + "%s stopped: reset request: vCPU %u wrote 0x%x to port 0x%x (on_reset = stop)",
    ),
    rf"plinth: (?P<vm>{VM_NAME}) stopped: reset request: vCPU (?P<vcpu>\d+) wrote (?P<value>{HEX}) to port "
    rf"(?P<port>{HEX})(?:: it restarts)? \(on_reset = (?P<on_reset>restart|stop)\)",
)
# SMRAM at boot (arch/x86/smram.c).
SMRAM = line(
    (LOG_PREFIX + C_FORMATS["CONSOLE_FMT_SMRAM"], WARN_PREFIX + C_FORMATS["CONSOLE_FMT_SMRAM_NOT_LOCKED"]),
    rf"plinth: (?:warning: )?smram: (?P<bridge>.+?) (?P<vendor>[0-9a-f]{{4}}):(?P<device>[0-9a-f]{{4}}), SMRAM control "
    rf"(?P<value>{HEX}) at (?P<offset>{HEX}): (?P<state>.*)$",
    re.M,
)
SMRAM_UNKNOWN = line(
    WARN_PREFIX + C_FORMATS["CONSOLE_FMT_SMRAM_UNKNOWN"],
    r"plinth: warning: smram: host bridge (?P<vendor>[0-9a-f]{4}):(?P<device>[0-9a-f]{4}) is not one Plinth knows",
)
ACPI_SLEEP = line(
    LOG_PREFIX
    + "%s: the guest requests an ACPI sleep state (SLP_TYP %u, power-off when it is \\_S5); VM exits by reason:",
    r"plinth: (?P<vm>\S+): the guest requests an ACPI sleep state \(SLP_TYP (?P<slp_typ>\d+)",
)
# The default VM's stand-in for Plinth's range (core/vm.c): guest RAM at Plinth's addresses
# lives in this host chunk, which the guest sees reserved and cannot reach.
PLINTH_BACKING = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_PLINTH_BACKING"],
    rf"plinth: vm0: guest-physical (?P<start>{HEX})-(?P<end>{HEX}) \(Plinth's range\) is RAM at host "
    rf"(?P<host_start>{HEX})-(?P<host_end>{HEX}), which the guest's memory map shows reserved",
)
BAD_KERNEL = line(
    WARN_PREFIX + "%s: module %u is a Linux kernel Plinth cannot boot: %s",
    r"plinth: warning: (?P<vm>\S+): module (?P<module>\d+) is a Linux kernel Plinth cannot boot: (?P<why>.*)$",
    re.M,
)
BAD_MULTIBOOT = line(
    WARN_PREFIX + "%s: module %u is a multiboot kernel Plinth cannot boot: %s",
    r"plinth: warning: (?P<vm>\S+): module (?P<module>\d+) is a multiboot kernel Plinth cannot boot: (?P<why>.*)$",
    re.M,
)  # guest/multiboot.c
MULTIBOOT_LOADED = line(
    LOG_PREFIX + "%s: module %u: multiboot kernel (%s) in %u segments at 0x%lx-0x%lx, entry 0x%lx, "
    "information at 0x%lx, cmdline '%s'",
    rf"plinth: (?P<vm>\S+): module (?P<module>\d+): multiboot kernel \((?P<format>[^)]+)\) in (?P<segments>\d+) "
    rf"segments at (?P<start>{HEX})-(?P<end>{HEX}), entry (?P<entry>{HEX}), information at (?P<info>{HEX}), "
    r"cmdline '(?P<cmdline>.*)'",
)  # guest/multiboot.c
LINUX_LOADED = line(
    LOG_PREFIX + "%s: module %u: Linux boot protocol %u.%02u, kernel at 0x%lx (%lu KiB, %lu MiB with its working "
    "space), initrd %lu KiB at 0x%lx, boot_params at 0x%lx, cmdline '%s'",
    rf"plinth: (?P<vm>\S+): module (?P<module>\d+): Linux boot protocol (?P<version>\d+\.\d+), kernel at "
    rf"(?P<load>{HEX}) \((?P<kib>\d+) KiB, (?P<room_mib>\d+) MiB with its working space\), initrd (?P<initrd_kib>\d+) "
    rf"KiB at (?P<initrd>{HEX}), boot_params at (?P<boot_params>{HEX}), cmdline '(?P<cmdline>.*)'",
)  # guest/linux.c
VM_IOAPIC = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_VM_IOAPIC"],
    rf"plinth: (?P<vm>{VM_NAME}): I/O APIC at (?P<addr>{HEX}) \(ID (?P<id>\d+), version (?P<version>{HEX}), "
    r"(?P<pins>\d+) pins\): pin (?P<pin>\d+) is its COM1 \(emulated\), (?P<owned>\d+) other pins are its own",
)  # arch/x86/vm_ioapic.c
VM_INTX_PIN = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_VM_INTX_PIN"],
    rf"plinth: (?P<vm>{VM_NAME}): PCI (?P<bdf>{BDF}) INT(?P<intx>[A-D]) \(interrupt line "
    r"(?P<line>\d+)\) is I/O APIC pin (?P<pin>\d+)",
)
VM_INTX_REFUSED = line(
    WARN_PREFIX + C_FORMATS["CONSOLE_FMT_VM_INTX_REFUSED"],
    rf"plinth: warning: (?P<vm>{VM_NAME}): PCI (?P<bdf>{BDF}) INT(?P<intx>[A-D]) "
    r"\(interrupt line (?P<line>\d+)\) gets no I/O APIC pin: (?P<why>.*)",
)
IOAPIC_DROPPED = line(
    WARN_PREFIX + C_FORMATS["CONSOLE_FMT_IOAPIC_DROPPED"],
    rf"plinth: warning: (?P<vm>{VM_NAME}): vCPU (?P<vcpu>\d+) wrote I/O APIC register (?P<reg>{HEX}) of a pin that "
    r"is not its own: dropped",
)
IOAPIC_REFUSED = line(
    WARN_PREFIX + C_FORMATS["CONSOLE_FMT_IOAPIC_REFUSED"],
    rf"plinth: warning: (?P<vm>{VM_NAME}): vCPU (?P<vcpu>\d+): I/O APIC register (?P<reg>{HEX}) refused: "
    r"(?P<why>.*?) \(said once\)",
)
# The monitor's `vms` (core/monitor.c).
VMS_LINE = line(
    C_STRINGS["CONSOLE_FMT_MONITOR_VM"],
    rf"^  (?P<vm>\S+): (?P<state>running|stopped|not built), (?P<vcpus>\d+) vCPUs on CPUs (?P<cpus>{HEX}), "
    rf"(?P<ranges>\d+) memory ranges from host (?P<host>{HEX}), (?P<exits>\d+) exits, (?P<dropped>\d+) IPIs dropped$",
    re.M,
)
# The monitor's `mem` (core/monitor.c).
MONITOR_MEM = line(
    "  reserved 0x%lx-0x%lx, page pool %lu KiB free",
    rf"^  reserved (?P<start>{HEX})-(?P<end>{HEX}), page pool (?P<free_kib>\d+) KiB free$",
    re.M,
)
MONITOR_HELP = C_STRINGS["CONSOLE_MONITOR_HELP"]
MONITOR_MEMORY_TYPE = line(
    C_STRINGS["CONSOLE_FMT_MONITOR_MEMORY_TYPE"],
    r"^  Plinth's range: memory type (?P<type>[A-Z?]+) \(the boot CPU's MTRRs\)$",
    re.M,
)
# VM exit statistics (arch_print_exit_stats): a header per vCPU, then a line per exit reason.
EXIT_STATS_VCPU = line(
    "  %s vCPU %u (CPU %u): %lu exits, %lu ticks in Plinth of %lu since its launch",
    r"^  (?P<vm>\S+) vCPU (?P<vcpu>\d+) \(CPU (?P<cpu>\d+)\): (?P<total>\d+) exits"
    r"(?:, (?P<plinth>\d+) ticks in Plinth of (?P<since>\d+) since its launch)?$",
    re.M,
)
# Per reason: the exits and Plinth's TSC ticks for them, from the exit to the next VM entry.
# A partition's accesses to ports that are not its own, by device (arch/x86/io_legacy.c): said
# once per VM and device, counted in the VM's statistics.
PORT_ABSENT = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_PORT_ABSENT"],
    rf"^plinth: (?P<vm>[a-z0-9_-]+): vCPU (?P<vcpu>\d+) (?P<access>read|wrote) port (?P<port>{HEX}) "
    rf"\((?P<device>[^)]+)\), which is not the VM's: absent",
    re.M,
)
PORTS_ABSENT_STATS = line(
    "  %s: accesses to ports not its own:%s",
    r"^  (?P<vm>[a-z0-9_-]+): accesses to ports not its own:(?P<counts>( [^,]+ \d+,?)+)$",
    re.M,
)


def absent_counts(counts: str) -> dict[str, int]:
    """PORTS_ABSENT_STATS's counts group as device -> accesses."""
    out = {}
    for item in counts.split(","):
        device, _, n = item.strip().rpartition(" ")
        out[device] = int(n)
    return out


EXIT_STATS_REASON = line(
    "    %-22s %lu, %lu ticks", r"^    (?P<reason>[A-Z0-9_]+)\s+(?P<count>\d+)(?:, (?P<ticks>\d+) ticks)?$", re.M
)
IOAPIC_STATS = line(
    C_STRINGS["CONSOLE_FMT_IOAPIC_STATS"],
    r"^  (?P<vm>\S+) I/O APIC: (?P<dropped>\d+) writes to pins not its own dropped, (?P<refused>\d+) entries "
    r"refused, (?P<sent>\d+) COM1 interrupts sent, (?P<lost>\d+) COM1 edges lost to a masked entry, "
    r"(?P<programmed>\d+) owned entries programmed$",
    re.M,
)
MSI_STATS = line(
    C_STRINGS["CONSOLE_FMT_MSI_STATS"],
    r"^  (?P<vm>\S+) MSI: (?P<refused>\d+) vectors kept masked \(refused\)$",
    re.M,
)
BOOT_PATH = line(
    LOG_PREFIX + "boot path: %lu TSC ticks from Plinth's first instruction to VM entry",
    r"plinth: boot path: (?P<ticks>\d+) TSC ticks",
)
FOOTPRINT = line(
    LOG_PREFIX
    + "footprint: reserved %lu KiB (image %lu KiB, pool %lu KiB), pool used %lu KiB, EPT %u KiB, VT-d %u KiB",
    r"plinth: footprint: reserved (?P<reserved>\d+) KiB \(image (?P<image>\d+) KiB, pool "
    r"(?P<pool>\d+) KiB\), pool used (?P<used>\d+) KiB, EPT (?P<ept>\d+) KiB, VT-d (?P<vtd>\d+) KiB",
)

# --- FATAL reports (core/panic.c, arch/x86/trap.c, arch/x86/vmexit.c, arch/x86/vmcs.c) ---
FATAL = line(FATAL_PREFIX + "%s (%s)", r"FATAL: (?P<what>.*?) \((?P<why>.*)\)")
# A second failure on the reporting CPU; and the CPUs that failed at the same moment as the
# reporting one, counted before the HALTED line (several CPUs failing at once give one report).
FATAL_NESTED = line(
    FATAL_PREFIX + C_FORMATS["CONSOLE_FMT_FATAL_NESTED"],
    r"FATAL: nested failure during a FATAL report \((?P<what>.*)\)",
)
FATAL_SILENCED = line(
    LOG_PREFIX + C_FORMATS["CONSOLE_FMT_FATAL_SILENCED"],
    r"plinth: (?P<count>\d+) more CPUs? failed while this report was written; they halted without one",
)
EXCEPTION_VECTOR = line(
    "  vector %lu (%s), error code 0x%lx, on CPU %u",
    rf"  vector (?P<vector>\d+) \((?P<name>[^)]*)\), error code (?P<error_code>{HEX}), on CPU (?P<cpu>\d+)",
)
# Register dumps: "name 0xVALUE" pairs, several to a line.
REGISTERS = line(
    (
        "  rip 0x%016lx  cs 0x%04lx  rflags 0x%016lx",
        "  rax 0x%016lx  rbx 0x%016lx  rcx 0x%016lx",
        "  rbp 0x%016lx  r8  0x%016lx  r9  0x%016lx",
    ),
    r"\b(?P<name>[a-z][a-z0-9]*)\s+0x(?P<value>[0-9a-f]+)",
)
BACKTRACE = line("  backtrace: 0x%lx 0x%lx", r"backtrace:(?P<addresses>(?: 0x[0-9a-f]+)*)")
VMCS_DUMP_LINE = line("  vmcs 0x%04x = 0x%016lx", r"vmcs 0x(?P<encoding>[0-9a-f]{4,8}) = 0x(?P<value>[0-9a-f]{16})\b")

# --- Linux guests (not Plinth's: kernel/panic.c prints it) ---
LINUX_PANIC = line("Kernel panic - not syncing: %s", r"Kernel panic - not syncing: (?P<why>.*)$", re.M)
# The default VM's xAPIC page becomes the guest's (arch/x86/apic_passthrough.c).
APIC_PAGE_OPEN = line(
    LOG_PREFIX
    + "%s: all %u vCPUs started: the local APIC page is the guest's now (EOIs and timer writes no longer exit)",
    r"plinth: (?P<vm>\S+): all (?P<vcpus>\d+) vCPUs started: the local APIC page is the guest's now",
)
# A guest INIT that an emulator keeps latched after its exit (Bochs 2.7): the VM stops.
INIT_LATCHED = line(
    LOG_PREFIX + "%s stopped: vCPU %u: the INIT the guest sent it before its SIPI is still pending: the CPU would "
    "exit with it at every entry (an emulator that keeps a latched INIT: Bochs 2.7); boot with ipi_filter",
    r"plinth: (?P<vm>vm\d+) stopped: vCPU (?P<vcpu>\d+): the INIT the guest sent it before its SIPI is still pending",
)
VCPU_SIPI_START = line(
    LOG_PREFIX + "%s: vCPU %u starts at SIPI vector 0x%02x (real mode %04x:0000)",
    rf"plinth: (?P<vm>\S+): vCPU (?P<vcpu>\d+) starts at SIPI vector (?P<vector>{HEX})",
)  # arch/x86/vapic.c

# --- The test guest (tests/guests/: check_info() prints "guest: info " + its text) ---
GUEST_START = line("guest: start %s", r"guest: start (?P<cmdline>.*)$", re.M)  # main.c
GUEST_HYPERCALL_CONSOLE = "guest: hypercall console ok"  # checks_vmcall.c, through Plinth's console
GUEST_BENCH = line(
    "guest: info bench %s min=%lu median=%lu runs=%u",
    r"guest: info bench (?P<name>\w+) min=(?P<min>\d+) median=(?P<median>\d+) runs=(?P<runs>\d+)",
)  # checks_bench.c
# checks_bench_irq.c: the e1000's interrupt route as the VM found it, and the exits of the
# interrupts by basic exit reason (number=count items, or " none").
GUEST_BENCH_IRQ_ROUTE = line(
    "guest: info bench_irq: e1000 00:%02x.0 BAR 0 0x%lx INT%c line %u: GSI %u, I/O APIC 0x%lx pin %u, %s %s; "
    "vector 0x%x to APIC ID %u",
    rf"guest: info bench_irq: e1000 (?P<bdf>{BDF}) BAR 0 (?P<bar>{HEX}) INT(?P<intx>[A-D]) line (?P<line>\d+): "
    rf"GSI (?P<gsi>\d+), I/O APIC (?P<ioapic>{HEX}) pin (?P<pin>\d+), (?P<trigger>level|edge) "
    rf"(?P<polarity>active low|active high); vector (?P<vector>{HEX}) to APIC ID (?P<apic_id>\d+)",
)
GUEST_BENCH_IRQ_EXITS = line(
    "guest: info bench_irq exits %lu for %u interrupts:%s",
    r"guest: info bench_irq exits (?P<total>\d+) for (?P<interrupts>\d+) interrupts:(?P<reasons>(?: \d+=\d+)+| none)",
)
GUEST_HEARTBEAT = line("guest: info heartbeat %u", r"guest: info heartbeat (?P<beat>\d+)")  # checks_hostile_stop.c
GUEST_CPUID_ROUNDTRIP = line(
    "guest: info cpuid_roundtrip_tsc=%lu", r"guest: info cpuid_roundtrip_tsc=(?P<ticks>\d+)"
)  # checks_cpuid.c
GUEST_MMAP = line(
    "guest: info mmap 0x%016lx-0x%016lx type %u",
    r"guest: info mmap (?P<start>0x[0-9a-f]{16})-(?P<end>0x[0-9a-f]{16}) type (?P<type>\d+)",
)  # checks_bootinfo.c
GUEST_MODULE = line(
    "guest: info module %u: 0x%x-0x%x '%s'",
    rf"guest: info module (?P<index>\d+): (?P<start>{HEX})-(?P<end>{HEX}) '(?P<cmdline>.*)'",
)  # checks_bootinfo.c

GUEST_AP_INFO = line(
    "guest: info ap: BSP APIC id %u; %u AP(s) checked in: %s",  # the list: GUEST_AP_CHECKIN items, or "none"
    r"guest: info ap: BSP APIC id (?P<bsp>\d+); (?P<count>\d+) AP\(s\) checked in: (?P<aps>.*)$",
    re.M,
)  # checks_ap.c
GUEST_AP_CHECKIN = line("apic id %u efer 0x%lx", rf"apic id (?P<apic_id>\d+) efer (?P<efer>{HEX})")  # checks_ap.c

DEBUG_POOL_LEFT = line(
    LOG_PREFIX + "debug_pool_left: %lu KiB of Plinth's page pool set aside, %lu KiB left for VMs",
    r"plinth: debug_pool_left: (?P<taken>\d+) KiB of Plinth's page pool set aside, (?P<left>\d+) KiB left for VMs",
)  # core/memory.c

# Every Line above, by name (the round-trip test covers each).
LINES = {name: value for name, value in dict(globals()).items() if isinstance(value, Line)}


def c_printf(fmt: str, *args: object) -> str:
    """What a C printf format makes of args (Plinth's format() and the test guest's follow C):
    the format with its length modifiers dropped (%lx -> %x, %lu and %u -> %d), %-formatted."""
    return (
        re.sub(r"%([-#0 +]*\d*)(?:ll|l|z|hh|h)?([diuxXsc])", lambda m: f"%{m[1]}{'d' if m[2] == 'u' else m[2]}", fmt)
        % args
    )


def report_items(text: str) -> dict[str, str]:
    """A capability report's items: "EPT yes, VPID no; INVEPT yes (single-context yes)" ->
    {"EPT": "yes", "VPID": "no", "INVEPT": "yes"}: items split at ", " and "; " outside
    parentheses, a trailing parenthesis dropped, the last word the value."""
    items: dict[str, str] = {}
    depth, start = 0, 0
    for i, ch in enumerate(text + ","):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and ch in ",;":
            item = re.sub(r"\s*\([^)]*\)\s*$", "", text[start:i].strip())
            name, _, value = item.rpartition(" ")
            if name:
                items[name] = value
            start = i + 1
    return items


def fill(regex: re.Pattern[str], **values: str) -> re.Pattern[str]:
    """regex with the named groups in values replaced by their literal text (still captured)."""
    pattern = regex.pattern
    for name, value in values.items():
        head = f"(?P<{name}>"
        begin = pattern.find(head)
        if begin < 0:
            raise KeyError(f"{regex.pattern!r} has no group {name!r}")
        end = _group_end(pattern, begin + len(head))
        pattern = f"{pattern[: begin + len(head)]}{re.escape(value)}{pattern[end:]}"
    return re.compile(pattern, regex.flags)


def _group_end(pattern: str, pos: int) -> int:
    """The index of the ")" closing the group whose body starts at pos."""
    depth, in_class = 0, False
    while pos < len(pattern):
        ch = pattern[pos]
        if ch == "\\":
            pos += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                return pos
            depth -= 1
        pos += 1
    raise ValueError(f"unbalanced group in {pattern!r}")
