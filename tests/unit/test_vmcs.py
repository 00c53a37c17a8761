"""The VMCS table: encodings match the SDM, the checker rejects each kind of bad entry, dumps decode,
and the generated header compiles as freestanding C."""

from __future__ import annotations

import runpy
import subprocess
from pathlib import Path

import pytest

from tools import vmcs
from tools.consoleproto import c_printf
from tools.vmcs import NAT, W64, FieldType, VmcsTableError, Width

# Cross-checked against the SDM's Appendix B tables.
KNOWN = {
    "GUEST_RIP": 0x681E,
    "VM_EXIT_REASON": 0x4402,
    "EPT_POINTER": 0x201A,
    "VIRTUAL_PROCESSOR_ID": 0x0000,
    "PIN_BASED_VM_EXEC_CONTROL": 0x4000,
    "CPU_BASED_VM_EXEC_CONTROL": 0x4002,
    "SECONDARY_VM_EXEC_CONTROL": 0x401E,
    "VM_EXIT_CONTROLS": 0x400C,
    "VM_ENTRY_CONTROLS": 0x4012,
    "EXIT_QUALIFICATION": 0x6400,
    "GUEST_PHYSICAL_ADDRESS": 0x2400,
    "VM_INSTRUCTION_ERROR": 0x4400,
    "HOST_RIP": 0x6C16,
    "GUEST_CR0": 0x6800,
    "CR0_GUEST_HOST_MASK": 0x6000,
    "CR0_READ_SHADOW": 0x6004,
    "MSR_BITMAP": 0x2004,
    "IO_BITMAP_A": 0x2000,
    "GUEST_ACTIVITY_STATE": 0x4826,
    "VMCS_LINK_POINTER": 0x2800,
    "HOST_ES_SELECTOR": 0x0C00,
    "GUEST_INTR_STATUS": 0x0810,
    "GUEST_PML_INDEX": 0x0812,
    "TSC_MULTIPLIER": 0x2032,
    "ENCLS_EXITING_BITMAP": 0x202E,
    "VM_FUNCTION_CONTROL": 0x2018,
    "APIC_ACCESS_ADDR": 0x2014,
    "CR3_TARGET_COUNT": 0x400A,
    "EXCEPTION_BITMAP": 0x4004,
    "GUEST_VMX_PREEMPTION_TIMER_VALUE": 0x482E,
    "GUEST_IA32_EFER": 0x2806,
    "HOST_IA32_SYSENTER_CS": 0x4C00,
    "GUEST_LINEAR_ADDRESS": 0x640A,
}


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_known_encodings(name: str) -> None:
    field = vmcs.field_by_name(name)
    assert field is not None and field.encoding == KNOWN[name]
    assert vmcs.field_by_encoding(KNOWN[name]) == field


@pytest.mark.parametrize(
    ("name", "ftype", "width", "index"),
    [
        ("GUEST_RIP", FieldType.GUEST, Width.NATURAL, 0xF),
        ("VM_EXIT_REASON", FieldType.EXIT_INFO, Width.W32, 1),
        ("EPT_POINTER", FieldType.CONTROL, Width.W64, 0xD),
        ("HOST_TR_SELECTOR", FieldType.HOST, Width.W16, 6),
    ],
)
def test_encoding_bitstruct_decomposition(name: str, ftype: FieldType, width: Width, index: int) -> None:
    field = vmcs.field_by_name(name)
    assert field is not None
    bits = vmcs.parse_encoding(field.encoding)
    assert (bits.type, bits.width, bits.index, bits.access_type) == (ftype, width, index, 0)
    assert (field.type, field.encoding_index) == (ftype, index)
    assert bits.reserved_31_15 == bits.reserved_12 == 0


def test_table_counts_and_high_halves() -> None:
    """Every area and width is populated; high halves exist exactly for the 64-bit fields."""
    assert len(vmcs.FIELDS) == 199
    assert {(f.type, f.width) for f in vmcs.FIELDS} >= {(t, w) for t in FieldType for w in Width} - {
        (FieldType.EXIT_INFO, Width.W16)
    }  # the SDM defines no 16-bit exit-information field
    for f in vmcs.FIELDS:
        if f.width is Width.W64:
            assert f.high_encoding == f.encoding + 1 and vmcs.field_by_encoding(f.encoding + 1) == f
        else:
            assert f.high_encoding is None and vmcs.field_by_encoding(f.encoding + 1) is None


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (("GUEST_RIP", 0x681E, W64), r"GUEST_RIP \(0x681e\) is declared W64 but its encoding says NATURAL"),
        (("GUEST_RIP", 0x681E | 1 << 15, NAT), r"GUEST_RIP \(0xe81e\) sets reserved encoding bits"),
        (("GUEST_RIP", 0x681E | 1 << 12, NAT), r"GUEST_RIP \(0x781e\) sets reserved encoding bits"),
        (("GUEST_RIP", 1 << 32 | 0x681E, NAT), r"GUEST_RIP .* not a 32-bit unsigned integer"),
        (("EPT_POINTER", 0x201B, W64), r"EPT_POINTER \(0x201b\) uses the high access type"),
        (("HOST_RIP", 0x681E, NAT), r"HOST_RIP \(0x681e\) is in the guest-state area, so its name must start with"),
        (
            ("GUEST_RIP", 0x6C16, NAT),
            r"GUEST_RIP \(0x6c16\) is in the host-state area, so its name must start with one of HOST_",
        ),
        (("GUEST_RIP", 0x6408, NAT), r"GUEST_RIP \(0x6408\) is in the exit-information area"),
        (("GUEST_CR0", 0x6000, NAT), r"GUEST_CR0 \(0x6000\) is in the control area, so its name must not start with"),
        (("GUEST_PHYSICAL_ADDRESS", 0x2802, W64), r"is in the guest-state area, so its name must not start with"),
        (("GUEST_RIP", 0x681E, 3), r"declares width 3, which is not a Width"),
        (("guest_rip", 0x681E, NAT), r"'guest_rip' is not an upper-case C identifier"),
        (("2GUEST", 0x681E, NAT), r"'2GUEST' is not an upper-case C identifier"),
    ],
)
def test_malformed_entry_is_rejected(entry: tuple[str, int, Width], message: str) -> None:
    with pytest.raises(VmcsTableError, match=message) as err:
        vmcs.validate([("GUEST_CR3", 0x6802, NAT), entry])
    assert str(err.value).count(".") == 1 and str(err.value).endswith(".")  # one sentence


def test_duplicates_are_rejected() -> None:
    with pytest.raises(VmcsTableError, match=r"GUEST_PC \(0x681e\) reuses the encoding of another field"):
        vmcs.validate([("GUEST_RIP", 0x681E, NAT), ("GUEST_PC", 0x681E, NAT)])
    with pytest.raises(VmcsTableError, match=r"GUEST_RIP \(0x681c\) is listed twice by name"):
        vmcs.validate([("GUEST_RIP", 0x681E, NAT), ("GUEST_RIP", 0x681C, NAT)])


def test_a_malformed_table_fails_at_import(tmp_path: Path) -> None:
    """validate() runs when the module loads, so a bad table never reaches the header."""
    source = Path(vmcs.__file__).read_text()
    bad = source.replace('("GUEST_RSP", 0x681C, NAT)', '("GUEST_RSP", 0x681C, W32)')
    assert bad != source
    (tmp_path / "vmcs_copy.py").write_text(bad)
    with pytest.raises(ValueError, match="GUEST_RSP .* is declared W32") as err:
        runpy.run_path(str(tmp_path / "vmcs_copy.py"))
    assert type(err.value).__name__ == "VmcsTableError"


def test_exit_reasons() -> None:
    assert vmcs.exit_reason_name(0) == "EXCEPTION_NMI"
    assert vmcs.exit_reason_name(10) == "CPUID"
    assert vmcs.exit_reason_name(48) == "EPT_VIOLATION"
    assert vmcs.exit_reason_name(55) == "XSETBV"
    # The whole field: bit 31 marks a failed VM entry, the basic reason is bits 15:0.
    assert vmcs.exit_reason_name(0x8000_0021) == "INVALID_GUEST_STATE"
    assert vmcs.exit_reason_name(35) == "unknown exit reason 35"
    assert vmcs.EXIT_REASONS[49].description == "EPT misconfiguration"
    expected = {
        0: "EXCEPTION_NMI",
        1: "EXTERNAL_INTERRUPT",
        2: "TRIPLE_FAULT",
        3: "INIT_SIGNAL",
        4: "SIPI",
        12: "HLT",
        18: "VMCALL",
        28: "CR_ACCESS",
        30: "IO_INSTRUCTION",
        31: "MSR_READ",
        32: "MSR_WRITE",
        33: "INVALID_GUEST_STATE",
        34: "MSR_LOADING",
        50: "INVEPT",
        52: "PREEMPTION_TIMER",
    }
    assert {n: vmcs.EXIT_REASONS[n].name for n in expected} == expected
    assert {35, 38, 42, 71} & set(vmcs.EXIT_REASONS) == set()  # numbers the SDM leaves unused


def test_vm_instruction_errors() -> None:
    assert vmcs.VMX_ERRORS[7].description == "VM entry with invalid control field(s)"
    assert vmcs.VMX_ERRORS[8].description == "VM entry with invalid host-state field(s)"
    assert vmcs.vm_instruction_error_name(12) == "UNSUPPORTED_VMCS_COMPONENT"
    assert vmcs.vm_instruction_error_name(28) == "INVALID_INVEPT_INVVPID_OPERAND"
    assert vmcs.vm_instruction_error_name(14) == "unknown VM-instruction error 14"
    assert set(range(1, 29)) - set(vmcs.VMX_ERRORS) == {14, 21, 27}


def test_decode_dump() -> None:
    text = (
        "FATAL: VM entry failed (VM_INSTRUCTION_ERROR 7)\n"
        "  vmcs 0x681e = 0x0000000000101000\r\n"
        "  vmcs 0x201b = 0x0000000000000001\n"
        "  rip 0xffffffff80001000\n"
        "  vmcs 0x7fe0 = 0x00000000deadbeef\n"
        "  vmcs 0x681f = 0x0000000000000000\n"
        "plinth:   vmcs 0x4402 = 0x0000000080000021\n"
    )
    assert vmcs.decode_dump(text) == [
        ("GUEST_RIP", 0x101000),
        ("EPT_POINTER_HIGH", 1),
        ("unknown field 0x7fe0", 0xDEADBEEF),
        ("unknown field 0x681f", 0),  # natural-width fields have no high half
        ("VM_EXIT_REASON", 0x80000021),
    ]
    assert vmcs.decode_dump("no dump here\n") == []


def test_dump_format_and_regex_are_twins() -> None:
    """Every field printed with the C format decodes back to its name and value."""
    text = "".join(c_printf(vmcs.DUMP_LINE_FMT, f.encoding, f.encoding * 3 + 1) + "\n" for f in vmcs.FIELDS)
    assert vmcs.decode_dump(text) == [(f.name, f.encoding * 3 + 1) for f in vmcs.FIELDS]


def test_header_text() -> None:
    text = vmcs.vmcs_fields_h()
    assert text.splitlines()[0] == "/* Generated from tools/vmcs.py by tools/gen.py: do not edit. */"
    for line in (
        "#define VMCS_GUEST_RIP 0x681e",
        "#define VMCS_WIDTH_NATURAL 3",
        "#define EXIT_REASON_EPT_VIOLATION 48",
        "#define VMX_ERROR_ENTRY_INVALID_HOST_STATE_FIELD 8",
        "#define EXIT_REASON_MAX 85",
        '#define VMCS_DUMP_LINE_FMT "  vmcs 0x%04x = 0x%016lx"',
    ):
        assert line in text.splitlines()
    assert text.count("\tX(") == len(vmcs.FIELDS) + len(vmcs.EXIT_REASONS) + len(vmcs.VMX_ERRORS)


C_USER = r"""
#include "vmcs_fields.h"

struct vmcs_field_desc { const char *name; unsigned int encoding; unsigned int width; };
struct numbered { unsigned int number; const char *text; };

#define FIELD(name, encoding, width) { #name, encoding, width },
#define NUMBERED(number, text) { number, text },
#define SAME(name, encoding, width) _Static_assert(VMCS_##name == (encoding) && (width) <= VMCS_WIDTH_NATURAL, #name);

const struct vmcs_field_desc vmcs_fields[] = { VMCS_FIELD_LIST(FIELD) };
const struct numbered exit_reasons[] = { EXIT_REASON_LIST(NUMBERED) };
const struct numbered vmx_errors[] = { VMX_ERROR_LIST(NUMBERED) };
const char dump_fmt[] = VMCS_DUMP_LINE_FMT;
VMCS_FIELD_LIST(SAME)
_Static_assert(VMCS_GUEST_RIP == 0x681e && EXIT_REASON_XSETBV == 55 && VMX_ERROR_ENTRY_INVALID_CONTROL_FIELD == 7,
               "spot values");
_Static_assert(sizeof(vmcs_fields) / sizeof(vmcs_fields[0]) == FIELD_COUNT, "field count");
_Static_assert(sizeof(exit_reasons) / sizeof(exit_reasons[0]) == REASON_COUNT, "exit reason count");
"""


def test_header_compiles_as_freestanding_c(tmp_path: Path) -> None:
    (tmp_path / "vmcs_fields.h").write_text(vmcs.vmcs_fields_h())
    src = tmp_path / "use.c"
    src.write_text(
        C_USER.replace("FIELD_COUNT", str(len(vmcs.FIELDS))).replace("REASON_COUNT", str(len(vmcs.EXIT_REASONS)))
    )
    res = subprocess.run(
        [
            "gcc",
            "-fsyntax-only",
            "-ffreestanding",
            "-std=gnu11",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-Wmissing-prototypes",
            "-Wshadow",
            "-x",
            "c",
            str(src),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    # Standalone: it includes nothing and a second inclusion is a no-op.
    src.write_text('#include "vmcs_fields.h"\n#include "vmcs_fields.h"\nint vmcs_probe(void);\n')
    res = subprocess.run(
        ["gcc", "-fsyntax-only", "-ffreestanding", "-Wall", "-Wextra", "-Werror", "-x", "c", str(src)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr


def test_main_writes_the_header(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "generated" / "vmcs_fields.h"
    assert vmcs.main([str(out)]) == 0
    assert out.read_text() == vmcs.vmcs_fields_h()
    assert vmcs.main([]) == 2
    assert "usage: python -m tools.vmcs OUT" in capsys.readouterr().err
