"""Plinth's ACPI parser on the DMAR that QEMU really builds (tests/unit/fixtures/README.md).

The tables of test_acpi_tables.py are written from the specification; this one comes from the
emulator the VT-d system tests run on, so the parser is proven on the layout Plinth meets there.
QEMU 7.2 does not set INCLUDE_PCI_ALL: its one DRHD names the IOAPIC and every device of the
root bus, edu at 00:03.0 among them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from test_acpi_tables import parse_table  # noqa: F401  (the fixture: compiles the C driver once)

FIXTURE = Path(__file__).parent / "fixtures" / "qemu-q35-intel-iommu.dmar"
Q35_ENDPOINTS = ["00:00.0", "00:01.0", "00:02.0", "00:03.0", "00:1f.0", "00:1f.2", "00:1f.3"]


def test_fixture_is_a_qemu_dmar() -> None:
    """The file is a whole DMAR from QEMU: signature, length field, QEMU's OEM id."""
    data = FIXTURE.read_bytes()
    assert data[:4] == b"DMAR"
    assert int.from_bytes(data[4:8], "little") == len(data)
    assert data[10:16] == b"BOCHS "


def test_qemu_dmar_parses(parse_table: Callable[[bytes], list[str]]) -> None:  # noqa: F811
    """One remapping unit at 0xfed90000 (QEMU's Q35_HOST_BRIDGE_IOMMU_ADDR), a 39-bit host
    address width, interrupt remapping announced, no RMRR; the unit's scope lists the IOAPIC
    and each root-bus device instead of INCLUDE_PCI_ALL."""
    lines = parse_table(FIXTURE.read_bytes())
    assert lines[:3] == ["rc 0", "error ", "warning "], lines
    assert "dmar haw 39 flags 0x1 drhds 1 rmrrs 0 atsrs 0" in lines, lines
    assert "drhd 0 flags 0x0 segment 0 base 0xfed90000 size 0x1000" in lines, lines
    scopes = [line.removeprefix("drhd 0 scope ") for line in lines if line.startswith("drhd 0 scope ")]
    assert scopes == ["ioapic 0 at ff:00.0"] + [f"endpoint {bdf}" for bdf in Q35_ENDPOINTS], scopes
