"""The VT-d CAP/ECAP fields are defined once, in tools/vtdregs.py: the generated vtd_caps.h that
vtd.c reports with is that definition, and check-host decodes with it too."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from test_vmxcaps import assert_compiles_alone, compile_program

from tools import hostcheck, vtdregs
from tools.paths import GENERATED

PROBES = [0, (1 << 64) - 1, 0x5555_5555_5555_5555, 0x0123_4567_89AB_CDEF, 0x00C9_008C_DE00_8A42]


def test_generated_header_is_the_definition(plinth_elf: Path, tmp_path: Path) -> None:
    text = (GENERATED / "vtd_caps.h").read_text()
    assert text == vtdregs.vtd_caps_h()
    assert text.splitlines()[0] == "/* Generated from tools/vtdregs.py by tools/gen.py: do not edit. */"
    assert_compiles_alone("vtd_caps.h", tmp_path)


@pytest.mark.parametrize(
    ("fields", "layout"), [(vtdregs.CAP, hostcheck.VTD_CAP), (vtdregs.ECAP, hostcheck.VTD_ECAP)], ids=["cap", "ecap"]
)
def test_field_macros_are_the_definition(
    fields: tuple[vtdregs.Field, ...], layout: object, plinth_elf: Path, tmp_path: Path
) -> None:
    """Each field as vtd.c reads it (the generated macros, compiled), as Python gives it
    (vtdregs.Field.value: scaled and offset like the C accessor) and as check-host decodes the
    raw bits (its construct layout): the same for every probe value."""
    for value in PROBES:
        raw = layout.parse(value.to_bytes(8, "little"))  # type: ignore[attr-defined]
        for f in fields:
            assert int(raw[f.name]) * f.scale + f.offset == f.value(value), f.name
    assert_macros_are_values(fields, tmp_path)


def assert_macros_are_values(fields: tuple[vtdregs.Field, ...], tmp_path: Path) -> None:
    """Each field's generated macro, compiled and run on every probe, gives Field.value."""
    lines = ["#include <stdio.h>", "#include <vtd_caps.h>", "int main(void)", "{"]
    expected = []
    for value in PROBES:
        for f in fields:
            macro = f"!!(0x{value:x}ULL & {f.name})" if f.width == 1 else f"{f.name}(0x{value:x}ULL)"
            lines.append(f'\tprintf("%s %llu\\n", "{f.name}", (unsigned long long)({macro}));')
            expected.append(f"{f.name} {f.value(value)}")
    src = tmp_path / "fields.c"
    src.write_text("\n".join([*lines, "\treturn 0;", "}", ""]))
    exe = compile_program(tmp_path, src, [], "fields")
    assert subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.splitlines() == expected


def test_interrupt_remapping_bits_are_the_definition(plinth_elf: Path, tmp_path: Path) -> None:
    """The interrupt-remapping bits of GCMD, GSTS and IRTA as vtd.c reads them are the Python
    definition, at the places the VT-d specification gives: IRE, SIRTP and CFI at bits 25, 24
    and 23 of both registers (a status bit sits where its command bit does), IRTA's size in
    bits 3:0, EIME in bit 11, the 4 KiB-aligned table address above."""
    assert_macros_are_values(vtdregs.GCMD + vtdregs.GSTS + vtdregs.IRTA, tmp_path)
    assert (
        [(f.low, f.width) for f in vtdregs.GCMD]
        == [(f.low, f.width) for f in vtdregs.GSTS]
        == [(25, 1), (24, 1), (23, 1)]
    )
    by_name = vtdregs.FIELDS
    table = 0x1_2345_6000
    irta = table | 1 << 11 | 7
    assert by_name["IRTA_ADDR"].value(irta) == table
    assert by_name["IRTA_EIME"].value(irta) == 1
    assert by_name["IRTA_S"].value(irta) == 7  # 2^8 entries
    assert by_name["CAP_PI"].value(1 << 59) == 1


def test_value_bits_and_the_report() -> None:
    """The SAGAW and SLLPS bits Plinth tests lie inside their fields, and check-host's report
    of a unit reads the scaled values (MGAW counts from one, the offsets are in bytes)."""
    for name, bit in vtdregs.VALUE_BITS.items():
        field = vtdregs.FIELDS["CAP_" + name.split("_")[0]]
        assert bit <= field.mask, name
    cap = (2 << 0) | (0b110 << 8) | (47 << 16) | (0x22 << 24) | (1 << 34) | (1 << 39) | (7 << 40)
    ecap = (1 << 1) | (1 << 3) | (0x20 << 8)
    lines = hostcheck.describe_vtd(cap, ecap)
    assert lines[0].startswith("SAGAW 0x6 (39-bit 3-level, 48-bit 4-level), MGAW 48, ND 2 (256 domains)")
    assert lines[1].startswith("fault records 8 at 0x220, IOTLB registers at 0x200, C no, QI yes, IR yes")
