"""VMCS field encodings, basic exit reasons and VM-instruction error numbers, defined once.

The C side sees them through build/generated/vmcs_fields.h (`python -m tools.vmcs OUT`); the
host tools import them from here to name the fields of a VMCS dump printed by a FATAL report.

Sources: Intel SDM Vol. 3, Appendix B (field encodings), Appendix C (basic exit reasons) and
the table "VM-Instruction Error Numbers"; the encoding rules are in the section "VMREAD,
VMWRITE, and Encodings of VMCS Fields". Every field is listed by its full-access encoding; the
high-access encoding of a 64-bit field (encoding | 1) is derived, never listed.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from enum import IntEnum
from pathlib import Path
from typing import NamedTuple

from construct import BitsInteger, BitStruct, Container

from tools import consoleproto as cp
from tools.gen import _header, c_string, write_if_changed


class Width(IntEnum):
    """Bits 14:13 of an encoding."""

    W16 = 0
    W64 = 1
    W32 = 2
    NATURAL = 3

    @property
    def c_name(self) -> str:
        return "VMCS_WIDTH_" + self.name.removeprefix("W")


class FieldType(IntEnum):
    """Bits 11:10 of an encoding: which area of the VMCS the field belongs to."""

    CONTROL = 0
    EXIT_INFO = 1  # the SDM's "VM-exit information" or "read-only data" fields
    GUEST = 2
    HOST = 3


# The 32-bit field encoding, most significant bits first (BitStruct reads big-endian bytes).
ENCODING = BitStruct(
    "reserved_31_15" / BitsInteger(17),
    "width" / BitsInteger(2),
    "reserved_12" / BitsInteger(1),
    "type" / BitsInteger(2),
    "index" / BitsInteger(9),
    "access_type" / BitsInteger(1),  # 0 full, 1 high (the upper half of a 64-bit field)
)


def parse_encoding(encoding: int) -> Container:
    """The encoding split into its bit fields by ENCODING (encoding must fit in 32 bits)."""
    return ENCODING.parse(encoding.to_bytes(4, "big"))


class Field(NamedTuple):
    name: str
    encoding: int
    width: Width

    @property
    def type(self) -> FieldType:
        return FieldType(parse_encoding(self.encoding).type)

    @property
    def encoding_index(self) -> int:
        """Bits 9:1 of the encoding (SDM Vol. 3 Appendix B). Not `index`: a NamedTuple's
        index() is tuple.index, which that name would shadow."""
        index: int = parse_encoding(self.encoding).index
        return index

    @property
    def high_encoding(self) -> int | None:
        """The high-access encoding (upper 32 bits) of a 64-bit field; None for other widths."""
        return self.encoding | 1 if self.width is Width.W64 else None


W16, W64, W32, NAT = Width.W16, Width.W64, Width.W32, Width.NATURAL

# (name, full-access encoding, width), in the order of the SDM's Appendix B tables.
_TABLE: list[tuple[str, int, Width]] = [
    # B.1.1 16-bit control fields
    ("VIRTUAL_PROCESSOR_ID", 0x0000, W16),
    ("POSTED_INTR_NOTIFICATION_VECTOR", 0x0002, W16),
    ("EPTP_INDEX", 0x0004, W16),
    ("HLAT_PREFIX_SIZE", 0x0006, W16),
    ("LAST_PID_POINTER_INDEX", 0x0008, W16),
    # B.1.2 16-bit guest-state fields
    ("GUEST_ES_SELECTOR", 0x0800, W16),
    ("GUEST_CS_SELECTOR", 0x0802, W16),
    ("GUEST_SS_SELECTOR", 0x0804, W16),
    ("GUEST_DS_SELECTOR", 0x0806, W16),
    ("GUEST_FS_SELECTOR", 0x0808, W16),
    ("GUEST_GS_SELECTOR", 0x080A, W16),
    ("GUEST_LDTR_SELECTOR", 0x080C, W16),
    ("GUEST_TR_SELECTOR", 0x080E, W16),
    ("GUEST_INTR_STATUS", 0x0810, W16),
    ("GUEST_PML_INDEX", 0x0812, W16),
    ("GUEST_UINV", 0x0814, W16),
    # B.1.3 16-bit host-state fields
    ("HOST_ES_SELECTOR", 0x0C00, W16),
    ("HOST_CS_SELECTOR", 0x0C02, W16),
    ("HOST_SS_SELECTOR", 0x0C04, W16),
    ("HOST_DS_SELECTOR", 0x0C06, W16),
    ("HOST_FS_SELECTOR", 0x0C08, W16),
    ("HOST_GS_SELECTOR", 0x0C0A, W16),
    ("HOST_TR_SELECTOR", 0x0C0C, W16),
    # B.2.1 64-bit control fields
    ("IO_BITMAP_A", 0x2000, W64),
    ("IO_BITMAP_B", 0x2002, W64),
    ("MSR_BITMAP", 0x2004, W64),
    ("VM_EXIT_MSR_STORE_ADDR", 0x2006, W64),
    ("VM_EXIT_MSR_LOAD_ADDR", 0x2008, W64),
    ("VM_ENTRY_MSR_LOAD_ADDR", 0x200A, W64),
    ("EXECUTIVE_VMCS_POINTER", 0x200C, W64),
    ("PML_ADDRESS", 0x200E, W64),
    ("TSC_OFFSET", 0x2010, W64),
    ("VIRTUAL_APIC_PAGE_ADDR", 0x2012, W64),
    ("APIC_ACCESS_ADDR", 0x2014, W64),
    ("POSTED_INTR_DESC_ADDR", 0x2016, W64),
    ("VM_FUNCTION_CONTROL", 0x2018, W64),
    ("EPT_POINTER", 0x201A, W64),
    ("EOI_EXIT_BITMAP0", 0x201C, W64),
    ("EOI_EXIT_BITMAP1", 0x201E, W64),
    ("EOI_EXIT_BITMAP2", 0x2020, W64),
    ("EOI_EXIT_BITMAP3", 0x2022, W64),
    ("EPTP_LIST_ADDRESS", 0x2024, W64),
    ("VMREAD_BITMAP", 0x2026, W64),
    ("VMWRITE_BITMAP", 0x2028, W64),
    ("VE_INFORMATION_ADDRESS", 0x202A, W64),
    ("XSS_EXITING_BITMAP", 0x202C, W64),
    ("ENCLS_EXITING_BITMAP", 0x202E, W64),
    ("SPP_TABLE_POINTER", 0x2030, W64),
    ("TSC_MULTIPLIER", 0x2032, W64),
    ("TERTIARY_VM_EXEC_CONTROL", 0x2034, W64),
    ("ENCLV_EXITING_BITMAP", 0x2036, W64),
    ("LOW_PASID_DIRECTORY_ADDR", 0x2038, W64),
    ("HIGH_PASID_DIRECTORY_ADDR", 0x203A, W64),
    ("SHARED_EPT_POINTER", 0x203C, W64),
    ("PCONFIG_EXITING_BITMAP", 0x203E, W64),
    ("HLAT_POINTER", 0x2040, W64),
    ("PID_POINTER_TABLE_ADDR", 0x2042, W64),
    ("SECONDARY_VM_EXIT_CONTROLS", 0x2044, W64),
    ("IA32_SPEC_CTRL_MASK", 0x204A, W64),
    ("IA32_SPEC_CTRL_SHADOW", 0x204C, W64),
    ("INJECTED_EVENT_DATA", 0x2052, W64),
    # B.2.2 64-bit read-only data fields
    ("GUEST_PHYSICAL_ADDRESS", 0x2400, W64),
    ("ORIGINAL_EVENT_DATA", 0x2404, W64),
    # B.2.3 64-bit guest-state fields
    ("VMCS_LINK_POINTER", 0x2800, W64),
    ("GUEST_IA32_DEBUGCTL", 0x2802, W64),
    ("GUEST_IA32_PAT", 0x2804, W64),
    ("GUEST_IA32_EFER", 0x2806, W64),
    ("GUEST_IA32_PERF_GLOBAL_CTRL", 0x2808, W64),
    ("GUEST_PDPTE0", 0x280A, W64),
    ("GUEST_PDPTE1", 0x280C, W64),
    ("GUEST_PDPTE2", 0x280E, W64),
    ("GUEST_PDPTE3", 0x2810, W64),
    ("GUEST_IA32_BNDCFGS", 0x2812, W64),
    ("GUEST_IA32_RTIT_CTL", 0x2814, W64),
    ("GUEST_IA32_LBR_CTL", 0x2816, W64),
    ("GUEST_IA32_PKRS", 0x2818, W64),
    ("GUEST_IA32_FRED_CONFIG", 0x281A, W64),
    ("GUEST_IA32_FRED_RSP1", 0x281C, W64),
    ("GUEST_IA32_FRED_RSP2", 0x281E, W64),
    ("GUEST_IA32_FRED_RSP3", 0x2820, W64),
    ("GUEST_IA32_FRED_STKLVLS", 0x2822, W64),
    ("GUEST_IA32_FRED_SSP1", 0x2824, W64),
    ("GUEST_IA32_FRED_SSP2", 0x2826, W64),
    ("GUEST_IA32_FRED_SSP3", 0x2828, W64),
    # B.2.4 64-bit host-state fields
    ("HOST_IA32_PAT", 0x2C00, W64),
    ("HOST_IA32_EFER", 0x2C02, W64),
    ("HOST_IA32_PERF_GLOBAL_CTRL", 0x2C04, W64),
    ("HOST_IA32_PKRS", 0x2C06, W64),
    ("HOST_IA32_FRED_CONFIG", 0x2C08, W64),
    ("HOST_IA32_FRED_RSP1", 0x2C0A, W64),
    ("HOST_IA32_FRED_RSP2", 0x2C0C, W64),
    ("HOST_IA32_FRED_RSP3", 0x2C0E, W64),
    ("HOST_IA32_FRED_STKLVLS", 0x2C10, W64),
    ("HOST_IA32_FRED_SSP1", 0x2C12, W64),
    ("HOST_IA32_FRED_SSP2", 0x2C14, W64),
    ("HOST_IA32_FRED_SSP3", 0x2C16, W64),
    # B.3.1 32-bit control fields
    ("PIN_BASED_VM_EXEC_CONTROL", 0x4000, W32),
    ("CPU_BASED_VM_EXEC_CONTROL", 0x4002, W32),
    ("EXCEPTION_BITMAP", 0x4004, W32),
    ("PAGE_FAULT_ERROR_CODE_MASK", 0x4006, W32),
    ("PAGE_FAULT_ERROR_CODE_MATCH", 0x4008, W32),
    ("CR3_TARGET_COUNT", 0x400A, W32),
    ("VM_EXIT_CONTROLS", 0x400C, W32),
    ("VM_EXIT_MSR_STORE_COUNT", 0x400E, W32),
    ("VM_EXIT_MSR_LOAD_COUNT", 0x4010, W32),
    ("VM_ENTRY_CONTROLS", 0x4012, W32),
    ("VM_ENTRY_MSR_LOAD_COUNT", 0x4014, W32),
    ("VM_ENTRY_INTR_INFO", 0x4016, W32),
    ("VM_ENTRY_EXCEPTION_ERROR_CODE", 0x4018, W32),
    ("VM_ENTRY_INSTRUCTION_LEN", 0x401A, W32),
    ("TPR_THRESHOLD", 0x401C, W32),
    ("SECONDARY_VM_EXEC_CONTROL", 0x401E, W32),
    ("PLE_GAP", 0x4020, W32),
    ("PLE_WINDOW", 0x4022, W32),
    ("INSTRUCTION_TIMEOUT_CONTROL", 0x4024, W32),
    # B.3.2 32-bit read-only data fields
    ("VM_INSTRUCTION_ERROR", 0x4400, W32),
    ("VM_EXIT_REASON", 0x4402, W32),
    ("VM_EXIT_INTR_INFO", 0x4404, W32),
    ("VM_EXIT_INTR_ERROR_CODE", 0x4406, W32),
    ("IDT_VECTORING_INFO", 0x4408, W32),
    ("IDT_VECTORING_ERROR_CODE", 0x440A, W32),
    ("VM_EXIT_INSTRUCTION_LEN", 0x440C, W32),
    ("VM_EXIT_INSTRUCTION_INFO", 0x440E, W32),
    # B.3.3 32-bit guest-state fields (index 0x16, encoding 0x482C, is not assigned)
    ("GUEST_ES_LIMIT", 0x4800, W32),
    ("GUEST_CS_LIMIT", 0x4802, W32),
    ("GUEST_SS_LIMIT", 0x4804, W32),
    ("GUEST_DS_LIMIT", 0x4806, W32),
    ("GUEST_FS_LIMIT", 0x4808, W32),
    ("GUEST_GS_LIMIT", 0x480A, W32),
    ("GUEST_LDTR_LIMIT", 0x480C, W32),
    ("GUEST_TR_LIMIT", 0x480E, W32),
    ("GUEST_GDTR_LIMIT", 0x4810, W32),
    ("GUEST_IDTR_LIMIT", 0x4812, W32),
    ("GUEST_ES_ACCESS_RIGHTS", 0x4814, W32),
    ("GUEST_CS_ACCESS_RIGHTS", 0x4816, W32),
    ("GUEST_SS_ACCESS_RIGHTS", 0x4818, W32),
    ("GUEST_DS_ACCESS_RIGHTS", 0x481A, W32),
    ("GUEST_FS_ACCESS_RIGHTS", 0x481C, W32),
    ("GUEST_GS_ACCESS_RIGHTS", 0x481E, W32),
    ("GUEST_LDTR_ACCESS_RIGHTS", 0x4820, W32),
    ("GUEST_TR_ACCESS_RIGHTS", 0x4822, W32),
    ("GUEST_INTERRUPTIBILITY_STATE", 0x4824, W32),
    ("GUEST_ACTIVITY_STATE", 0x4826, W32),
    ("GUEST_SMBASE", 0x4828, W32),
    ("GUEST_IA32_SYSENTER_CS", 0x482A, W32),
    ("GUEST_VMX_PREEMPTION_TIMER_VALUE", 0x482E, W32),
    # B.3.4 32-bit host-state field
    ("HOST_IA32_SYSENTER_CS", 0x4C00, W32),
    # B.4.1 natural-width control fields
    ("CR0_GUEST_HOST_MASK", 0x6000, NAT),
    ("CR4_GUEST_HOST_MASK", 0x6002, NAT),
    ("CR0_READ_SHADOW", 0x6004, NAT),
    ("CR4_READ_SHADOW", 0x6006, NAT),
    ("CR3_TARGET_VALUE0", 0x6008, NAT),
    ("CR3_TARGET_VALUE1", 0x600A, NAT),
    ("CR3_TARGET_VALUE2", 0x600C, NAT),
    ("CR3_TARGET_VALUE3", 0x600E, NAT),
    # B.4.2 natural-width read-only data fields
    ("EXIT_QUALIFICATION", 0x6400, NAT),
    ("IO_RCX", 0x6402, NAT),
    ("IO_RSI", 0x6404, NAT),
    ("IO_RDI", 0x6406, NAT),
    ("IO_RIP", 0x6408, NAT),
    ("GUEST_LINEAR_ADDRESS", 0x640A, NAT),
    # B.4.3 natural-width guest-state fields
    ("GUEST_CR0", 0x6800, NAT),
    ("GUEST_CR3", 0x6802, NAT),
    ("GUEST_CR4", 0x6804, NAT),
    ("GUEST_ES_BASE", 0x6806, NAT),
    ("GUEST_CS_BASE", 0x6808, NAT),
    ("GUEST_SS_BASE", 0x680A, NAT),
    ("GUEST_DS_BASE", 0x680C, NAT),
    ("GUEST_FS_BASE", 0x680E, NAT),
    ("GUEST_GS_BASE", 0x6810, NAT),
    ("GUEST_LDTR_BASE", 0x6812, NAT),
    ("GUEST_TR_BASE", 0x6814, NAT),
    ("GUEST_GDTR_BASE", 0x6816, NAT),
    ("GUEST_IDTR_BASE", 0x6818, NAT),
    ("GUEST_DR7", 0x681A, NAT),
    ("GUEST_RSP", 0x681C, NAT),
    ("GUEST_RIP", 0x681E, NAT),
    ("GUEST_RFLAGS", 0x6820, NAT),
    ("GUEST_PENDING_DBG_EXCEPTIONS", 0x6822, NAT),
    ("GUEST_IA32_SYSENTER_ESP", 0x6824, NAT),
    ("GUEST_IA32_SYSENTER_EIP", 0x6826, NAT),
    ("GUEST_IA32_S_CET", 0x6828, NAT),
    ("GUEST_SSP", 0x682A, NAT),
    ("GUEST_IA32_INTERRUPT_SSP_TABLE_ADDR", 0x682C, NAT),
    # B.4.4 natural-width host-state fields
    ("HOST_CR0", 0x6C00, NAT),
    ("HOST_CR3", 0x6C02, NAT),
    ("HOST_CR4", 0x6C04, NAT),
    ("HOST_FS_BASE", 0x6C06, NAT),
    ("HOST_GS_BASE", 0x6C08, NAT),
    ("HOST_TR_BASE", 0x6C0A, NAT),
    ("HOST_GDTR_BASE", 0x6C0C, NAT),
    ("HOST_IDTR_BASE", 0x6C0E, NAT),
    ("HOST_IA32_SYSENTER_ESP", 0x6C10, NAT),
    ("HOST_IA32_SYSENTER_EIP", 0x6C12, NAT),
    ("HOST_RSP", 0x6C14, NAT),
    ("HOST_RIP", 0x6C16, NAT),
    ("HOST_IA32_S_CET", 0x6C18, NAT),
    ("HOST_SSP", 0x6C1A, NAT),
    ("HOST_IA32_INTERRUPT_SSP_TABLE_ADDR", 0x6C1C, NAT),
]

FIELDS: tuple[Field, ...] = tuple(Field(*entry) for entry in _TABLE)

# A field's name says which area it belongs to. The exit-information fields keep the names
# everyone knows (VM_EXIT_REASON, EXIT_QUALIFICATION, ...), so their rule is this group of
# prefixes; the guest area's one exception is the VMCS link pointer.
READ_ONLY_PREFIXES = (
    "VM_INSTRUCTION_ERROR",
    "VM_EXIT_REASON",
    "VM_EXIT_INTR_",
    "VM_EXIT_INSTRUCTION_",
    "IDT_VECTORING_",
    "EXIT_QUALIFICATION",
    "IO_R",
    "GUEST_PHYSICAL_ADDRESS",
    "GUEST_LINEAR_ADDRESS",
    "ORIGINAL_EVENT_DATA",
)
GUEST_PREFIXES = ("GUEST_", "VMCS_LINK_POINTER")
# type -> (the name must start with one of these, () for any; it must start with none of these)
_NAME_RULES: dict[FieldType, tuple[tuple[str, ...], tuple[str, ...]]] = {
    FieldType.CONTROL: ((), ("HOST_",) + GUEST_PREFIXES + READ_ONLY_PREFIXES),
    FieldType.EXIT_INFO: (READ_ONLY_PREFIXES, ()),
    FieldType.GUEST: (GUEST_PREFIXES, READ_ONLY_PREFIXES),
    FieldType.HOST: (("HOST_",), ()),
}
_AREA = {
    FieldType.CONTROL: "control",
    FieldType.EXIT_INFO: "exit-information",
    FieldType.GUEST: "guest-state",
    FieldType.HOST: "host-state",
}
_C_NAME_RE = re.compile(r"[A-Z_][A-Z0-9_]*")


class VmcsTableError(ValueError):
    """An entry of a table here breaks one of the SDM's rules; the message names both."""


def _check_field(name: str, encoding: int, width: Width) -> None:
    def broken(rule: str) -> VmcsTableError:
        where = f"0x{encoding:04x}" if isinstance(encoding, int) else repr(encoding)
        return VmcsTableError(f"VMCS field {name} ({where}) {rule}.")

    if not isinstance(encoding, int) or not 0 <= encoding < 1 << 32:
        raise broken("has an encoding that is not a 32-bit unsigned integer")
    if not isinstance(width, Width):
        raise broken(f"declares width {width!r}, which is not a Width")
    bits = parse_encoding(encoding)
    if bits.reserved_31_15 or bits.reserved_12:
        raise broken("sets reserved encoding bits (31:15 and 12 must be 0)")
    if bits.access_type:
        raise broken("uses the high access type (bit 0 set); list the full encoding, the high one is derived")
    if bits.width != width:
        raise broken(f"is declared {width.name} but its encoding says {Width(bits.width).name} (bits 14:13)")
    must, must_not = _NAME_RULES[FieldType(bits.type)]
    area = _AREA[FieldType(bits.type)]
    if must and not name.startswith(must):
        raise broken(f"is in the {area} area, so its name must start with one of {', '.join(must)}")
    if name.startswith(must_not):
        raise broken(f"is in the {area} area, so its name must not start with any of {', '.join(must_not)}")


def validate(table: Iterable[tuple[str, int, Width]] = FIELDS) -> None:
    """Check every entry against the SDM's encoding rules; raise VmcsTableError on the first break."""
    names: set[str] = set()
    encodings: set[int] = set()
    for name, encoding, width in table:
        if not isinstance(name, str) or not _C_NAME_RE.fullmatch(name):
            raise VmcsTableError(f"VMCS field name {name!r} is not an upper-case C identifier.")
        _check_field(name, encoding, width)
        if name in names:
            raise VmcsTableError(f"VMCS field {name} (0x{encoding:04x}) is listed twice by name.")
        if encoding in encodings:
            raise VmcsTableError(f"VMCS field {name} (0x{encoding:04x}) reuses the encoding of another field.")
        names.add(name)
        encodings.add(encoding)


class Numbered(NamedTuple):
    """An exit reason or a VM-instruction error: number, C name (without prefix), description."""

    number: int
    name: str
    description: str


# Appendix C, "VMX Basic Exit Reasons": bits 15:0 of the exit-reason field.
EXIT_REASONS: dict[int, Numbered] = {
    n: Numbered(n, *v)
    for n, v in {
        0: ("EXCEPTION_NMI", "exception or non-maskable interrupt (NMI)"),
        1: ("EXTERNAL_INTERRUPT", "external interrupt"),
        2: ("TRIPLE_FAULT", "triple fault"),
        3: ("INIT_SIGNAL", "INIT signal"),
        4: ("SIPI", "start-up IPI (SIPI)"),
        5: ("IO_SMI", "I/O system-management interrupt"),
        6: ("OTHER_SMI", "other system-management interrupt"),
        7: ("INTERRUPT_WINDOW", "interrupt window open"),
        8: ("NMI_WINDOW", "NMI window open"),
        9: ("TASK_SWITCH", "task switch"),
        10: ("CPUID", "CPUID executed"),
        11: ("GETSEC", "GETSEC executed"),
        12: ("HLT", "HLT executed"),
        13: ("INVD", "INVD executed"),
        14: ("INVLPG", "INVLPG executed"),
        15: ("RDPMC", "RDPMC executed"),
        16: ("RDTSC", "RDTSC executed"),
        17: ("RSM", "RSM executed in SMM"),
        18: ("VMCALL", "VMCALL executed"),
        19: ("VMCLEAR", "VMCLEAR executed"),
        20: ("VMLAUNCH", "VMLAUNCH executed"),
        21: ("VMPTRLD", "VMPTRLD executed"),
        22: ("VMPTRST", "VMPTRST executed"),
        23: ("VMREAD", "VMREAD executed"),
        24: ("VMRESUME", "VMRESUME executed"),
        25: ("VMWRITE", "VMWRITE executed"),
        26: ("VMXOFF", "VMXOFF executed"),
        27: ("VMXON", "VMXON executed"),
        28: ("CR_ACCESS", "control-register access (MOV CR, CLTS or LMSW)"),
        29: ("DR_ACCESS", "debug-register access (MOV DR)"),
        30: ("IO_INSTRUCTION", "I/O instruction"),
        31: ("MSR_READ", "RDMSR executed"),
        32: ("MSR_WRITE", "WRMSR executed"),
        33: ("INVALID_GUEST_STATE", "VM-entry failure: invalid guest state"),
        34: ("MSR_LOADING", "VM-entry failure: MSR loading"),
        36: ("MWAIT", "MWAIT executed"),
        37: ("MONITOR_TRAP_FLAG", "monitor trap flag"),
        39: ("MONITOR", "MONITOR executed"),
        40: ("PAUSE", "PAUSE executed"),
        41: ("MACHINE_CHECK", "VM-entry failure: machine-check event"),
        43: ("TPR_BELOW_THRESHOLD", "TPR below threshold"),
        44: ("APIC_ACCESS", "access to the APIC-access page"),
        45: ("VIRTUALIZED_EOI", "virtualized EOI"),
        46: ("GDTR_IDTR", "access to GDTR or IDTR"),
        47: ("LDTR_TR", "access to LDTR or TR"),
        48: ("EPT_VIOLATION", "EPT violation"),
        49: ("EPT_MISCONFIG", "EPT misconfiguration"),
        50: ("INVEPT", "INVEPT executed"),
        51: ("RDTSCP", "RDTSCP executed"),
        52: ("PREEMPTION_TIMER", "VMX-preemption timer expired"),
        53: ("INVVPID", "INVVPID executed"),
        54: ("WBINVD", "WBINVD or WBNOINVD executed"),
        55: ("XSETBV", "XSETBV executed"),
        56: ("APIC_WRITE", "write to the virtual-APIC page"),
        57: ("RDRAND", "RDRAND executed"),
        58: ("INVPCID", "INVPCID executed"),
        59: ("VMFUNC", "VMFUNC executed"),
        60: ("ENCLS", "ENCLS executed"),
        61: ("RDSEED", "RDSEED executed"),
        62: ("PML_FULL", "page-modification log full"),
        63: ("XSAVES", "XSAVES executed"),
        64: ("XRSTORS", "XRSTORS executed"),
        65: ("PCONFIG", "PCONFIG executed"),
        66: ("SPP_EVENT", "sub-page-permission event"),
        67: ("UMWAIT", "UMWAIT executed"),
        68: ("TPAUSE", "TPAUSE executed"),
        69: ("LOADIWKEY", "LOADIWKEY executed"),
        70: ("ENCLV", "ENCLV executed"),
        72: ("ENQCMD_PASID_FAILURE", "ENQCMD PASID translation failure"),
        73: ("ENQCMDS_PASID_FAILURE", "ENQCMDS PASID translation failure"),
        74: ("BUS_LOCK", "bus lock"),
        75: ("INSTRUCTION_TIMEOUT", "instruction timeout"),
        76: ("SEAMCALL", "SEAMCALL executed"),
        77: ("TDCALL", "TDCALL executed"),
        78: ("RDMSRLIST", "RDMSRLIST executed"),
        79: ("WRMSRLIST", "WRMSRLIST executed"),
        80: ("URDMSR", "URDMSR executed"),
        81: ("UWRMSR", "UWRMSR executed"),
        84: ("RDMSR_IMM", "RDMSR with an immediate operand executed"),
        85: ("WRMSRNS_IMM", "WRMSRNS with an immediate operand executed"),
    }.items()
}

# "VM-Instruction Error Numbers": the VM_INSTRUCTION_ERROR field after a VMfailValid.
VMX_ERRORS: dict[int, Numbered] = {
    n: Numbered(n, *v)
    for n, v in {
        1: ("VMCALL_IN_VMX_ROOT", "VMCALL executed in VMX root operation"),
        2: ("VMCLEAR_INVALID_ADDRESS", "VMCLEAR with invalid physical address"),
        3: ("VMCLEAR_VMXON_POINTER", "VMCLEAR with VMXON pointer"),
        4: ("VMLAUNCH_NONCLEAR_VMCS", "VMLAUNCH with non-clear VMCS"),
        5: ("VMRESUME_NONLAUNCHED_VMCS", "VMRESUME with non-launched VMCS"),
        6: ("VMRESUME_AFTER_VMXOFF", "VMRESUME after VMXOFF"),
        7: ("ENTRY_INVALID_CONTROL_FIELD", "VM entry with invalid control field(s)"),
        8: ("ENTRY_INVALID_HOST_STATE_FIELD", "VM entry with invalid host-state field(s)"),
        9: ("VMPTRLD_INVALID_ADDRESS", "VMPTRLD with invalid physical address"),
        10: ("VMPTRLD_VMXON_POINTER", "VMPTRLD with VMXON pointer"),
        11: ("VMPTRLD_INCORRECT_REVISION", "VMPTRLD with incorrect VMCS revision identifier"),
        12: ("UNSUPPORTED_VMCS_COMPONENT", "VMREAD/VMWRITE from/to unsupported VMCS component"),
        13: ("VMWRITE_READ_ONLY_COMPONENT", "VMWRITE to read-only VMCS component"),
        15: ("VMXON_IN_VMX_ROOT", "VMXON executed in VMX root operation"),
        16: ("ENTRY_INVALID_EXECUTIVE_VMCS_POINTER", "VM entry with invalid executive-VMCS pointer"),
        17: ("ENTRY_NONLAUNCHED_EXECUTIVE_VMCS", "VM entry with non-launched executive VMCS"),
        18: ("ENTRY_EXECUTIVE_VMCS_NOT_VMXON_POINTER", "VM entry with executive-VMCS pointer not VMXON pointer"),
        19: ("VMCALL_NONCLEAR_VMCS", "VMCALL with non-clear VMCS"),
        20: ("VMCALL_INVALID_EXIT_CONTROLS", "VMCALL with invalid VM-exit control fields"),
        22: ("VMCALL_INCORRECT_MSEG_REVISION", "VMCALL with incorrect MSEG revision identifier"),
        23: ("VMXOFF_UNDER_DUAL_MONITOR", "VMXOFF under dual-monitor treatment of SMIs and SMM"),
        24: ("VMCALL_INVALID_SMM_MONITOR_FEATURES", "VMCALL with invalid SMM-monitor features"),
        25: ("ENTRY_INVALID_EXECUTIVE_CONTROLS", "VM entry with invalid VM-execution control fields in executive VMCS"),
        26: ("ENTRY_EVENTS_BLOCKED_BY_MOV_SS", "VM entry with events blocked by MOV SS"),
        28: ("INVALID_INVEPT_INVVPID_OPERAND", "invalid operand to INVEPT/INVVPID"),
    }.items()
}


def _validate_numbered(table: dict[int, Numbered], what: str) -> None:
    names: set[str] = set()
    for entry in table.values():
        if not _C_NAME_RE.fullmatch(entry.name):
            raise VmcsTableError(f"{what} {entry.number} ({entry.name!r}) is not named by an upper-case C identifier.")
        if entry.name in names:
            raise VmcsTableError(f"{what} {entry.number} ({entry.name}) reuses the name of another entry.")
        if not entry.description.isascii():
            raise VmcsTableError(f"{what} {entry.number} ({entry.name}) has a description that is not ASCII.")
        names.add(entry.name)


# The VMCS dump line of a FATAL report (tools/consoleproto.py): printf format for C, and the
# regular expression that reads it back (the encoding may be any field's, including the high
# half of a 64-bit one).
DUMP_LINE_FMT = cp.VMCS_DUMP_LINE.formats[0]
DUMP_LINE_RE = cp.VMCS_DUMP_LINE.regex

validate()
_validate_numbered(EXIT_REASONS, "Exit reason")
_validate_numbered(VMX_ERRORS, "VM-instruction error")
_BY_NAME = {f.name: f for f in FIELDS}
_BY_ENCODING = {f.encoding: f for f in FIELDS}


def field_by_name(name: str) -> Field | None:
    """The field called name (without the VMCS_ prefix), or None."""
    return _BY_NAME.get(name)


def field_by_encoding(encoding: int) -> Field | None:
    """The field with this encoding, or whose high half it is for a 64-bit field; else None."""
    field = _BY_ENCODING.get(encoding & ~1)
    if field is None or (encoding & 1 and field.width is not Width.W64):
        return None
    return field


def exit_reason_name(reason: int) -> str:
    """The name of an exit reason; takes the whole exit-reason field and uses bits 15:0."""
    entry = EXIT_REASONS.get(reason & 0xFFFF)
    return entry.name if entry else f"unknown exit reason {reason & 0xFFFF}"


def vm_instruction_error_name(number: int) -> str:
    """The name of a VM-instruction error number (see VMX_ERRORS for its description)."""
    entry = VMX_ERRORS.get(number)
    return entry.name if entry else f"unknown VM-instruction error {number}"


def decode_dump(text: str) -> list[tuple[str, int]]:
    """(field name, value) for every VMCS dump line in text, in order.

    The high half of a 64-bit field is named NAME_HIGH; an encoding no field has is named
    "unknown field 0x....".
    """
    out = []
    for m in DUMP_LINE_RE.finditer(text):
        encoding = int(m["encoding"], 16)
        field = field_by_encoding(encoding)
        if field is None:
            name = f"unknown field 0x{encoding:04x}"
        else:
            name = field.name + ("_HIGH" if encoding != field.encoding else "")
        out.append((name, int(m["value"], 16)))
    return out


def _x_list(macro: str, items: list[str]) -> list[str]:
    return [f"#define {macro} \\"] + [f"\t{item} \\" for item in items[:-1]] + [f"\t{items[-1]}"]


def vmcs_fields_h() -> str:
    """The text of build/generated/vmcs_fields.h."""
    body = ["/* VMCS field encodings: Intel SDM Vol. 3, Appendix B. Width is bits 14:13. */"]
    body += [f"#define {w.c_name} {w.value}" for w in Width]
    body += [f"#define VMCS_{f.name} 0x{f.encoding:04x}" for f in FIELDS]
    body += ["", "/* X(name, encoding, width) for every field, e.g. to dump them all. */"]
    body += _x_list("VMCS_FIELD_LIST(X)", [f"X({f.name}, 0x{f.encoding:04x}, {f.width.c_name})" for f in FIELDS])
    body += ["", "/* Basic exit reasons (bits 15:0 of VM_EXIT_REASON): Intel SDM Vol. 3, Appendix C. */"]
    body += [f"#define EXIT_REASON_{r.name} {r.number}" for r in EXIT_REASONS.values()]
    body += [f"#define EXIT_REASON_MAX {max(EXIT_REASONS)}"]
    body += _x_list("EXIT_REASON_LIST(X)", [f"X({r.number}, {c_string(r.name)})" for r in EXIT_REASONS.values()])
    body += ["", "/* VM-instruction error numbers (VM_INSTRUCTION_ERROR after VMfailValid). */"]
    body += [f"#define VMX_ERROR_{e.name} {e.number}" for e in VMX_ERRORS.values()]
    body += _x_list("VMX_ERROR_LIST(X)", [f"X({e.number}, {c_string(e.description)})" for e in VMX_ERRORS.values()])
    body += [
        "",
        "/* One line of a FATAL report's VMCS dump: encoding, value. tools/vmcs.py reads it back. */",
        f"#define VMCS_DUMP_LINE_FMT {c_string(DUMP_LINE_FMT)}",
    ]
    return _header("vmcs_fields.h", "tools/vmcs.py", body)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tools.vmcs OUT", file=sys.stderr)
        return 2
    write_if_changed(Path(argv[0]), vmcs_fields_h())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
