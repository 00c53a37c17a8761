"""ACPI tables built with construct, good and corrupt, parsed by Plinth's C parser.

The C tests (tests/unit/c/test_acpi*.c) build their tables with acpi_build.h. This file is a
second description of the same layouts, written as construct structs from the specifications
(ACPI 6.5 sections 5.2.6 and 5.2.12; Intel VT-d chapter 8), so a layout mistake shared by the
C builder and the parser shows up here. Each table goes to acpi_parse through
tests/unit/c/acpi_table_file.c (built by tools/hostc.py, as check-host builds it), which prints
what the parser made of it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable

import pytest

from tools import hostc
from tools.acpi_tables import (
    DMAR_FIXED,
    DRHD_FIXED,
    MADT_FIXED,
    MADT_IOAPIC,
    MADT_ISO,
    MADT_LAPIC,
    MADT_X2APIC,
    RMRR_FIXED,
    SDT_HEADER,
    dmar,
    drhd,
    rmrr,
    scope,
    table,
)
from tools.paths import ROOT

ENDPOINT, IOAPIC = 1, 3
INCLUDE_PCI_ALL = 1
ENABLED = 1


def madt(entries: list[bytes], **kw: int) -> bytes:
    return table(b"APIC", MADT_FIXED.build({"local_apic_address": 0xFEE00000, "flags": 1}) + b"".join(entries), **kw)


def lapic(uid: int, apic_id: int, flags: int = ENABLED, length: int = 8) -> bytes:
    entry = MADT_LAPIC.build({"type": 0, "length": length, "uid": uid, "apic_id": apic_id, "flags": flags})
    return entry[: max(length, 2)]


def x2apic(x2apic_id: int, uid: int, flags: int = ENABLED) -> bytes:
    return MADT_X2APIC.build({"type": 9, "length": 16, "x2apic_id": x2apic_id, "flags": flags, "uid": uid})


Q35_IOAPIC_SCOPE = scope(IOAPIC, 0, 0xFF, [(0, 0)])
USB = scope(ENDPOINT, 0, 0, [(0x14, 0)])
Q35_MADT = [
    lapic(0, 0),
    lapic(1, 1),
    MADT_IOAPIC.build({"type": 1, "length": 12, "id": 0, "address": 0xFEC00000, "gsi_base": 0}),
    MADT_ISO.build({"type": 2, "length": 10, "bus": 0, "source": 0, "gsi": 2, "flags": 0}),
    MADT_ISO.build({"type": 2, "length": 10, "bus": 0, "source": 9, "gsi": 9, "flags": 0xD}),
]

GOOD = {
    "q35-dmar": (
        dmar([drhd(INCLUDE_PCI_ALL, 0xFED90000, [Q35_IOAPIC_SCOPE])]),
        [
            "dmar haw 39 flags 0x1 drhds 1 rmrrs 0 atsrs 0",
            "drhd 0 flags 0x1 segment 0 base 0xfed90000 size 0x1000",
            "drhd 0 scope ioapic 0 at ff:00.0",
        ],
    ),
    "client-dmar": (
        dmar(
            [
                drhd(0, 0xFED90000, [scope(ENDPOINT, 0, 0, [(2, 0)])]),
                drhd(INCLUDE_PCI_ALL, 0xFED91000, [scope(IOAPIC, 0, 0xF0, [(0x1F, 0)])]),
                rmrr(0x7D000000, 0x7D01FFFF, [USB]),
            ]
        ),
        [
            "dmar haw 39 flags 0x1 drhds 2 rmrrs 1 atsrs 0",
            "drhd 0 scope endpoint 00:02.0",
            "drhd 1 flags 0x1 segment 0 base 0xfed91000 size 0x1000",
            "drhd 1 scope ioapic 0 at f0:1f.0",
            "rmrr 0 segment 0 base 0x7d000000 limit 0x7d01ffff",
            "rmrr 0 scope endpoint 00:14.0",
        ],
    ),
    "bridge-path": (
        dmar([drhd(0, 0xFED90000, [scope(ENDPOINT, 0, 0, [(0x1C, 0), (0, 0)])])]),
        [
            "drhd 0 scope endpoint 00:[1c.0/00.0]",
        ],
    ),
    "q35-madt": (
        madt(Q35_MADT),
        [
            "madt cpus 2 ioapics 1 overrides 2 lapic 0xfee00000 flags 0x1",
            "cpu 1 apic 1 uid 1 enabled 1 online-capable 0 x2apic 0",
            "ioapic 0 id 0 addr 0xfec00000 gsi 0",
            "override irq 0 gsi 2 flags 0x0",
            "override irq 9 gsi 9 flags 0xd",
        ],
    ),
    "x2apic-madt": (
        madt([lapic(0, 0), x2apic(0x100, 0x1000), lapic(2, 2, flags=0)]),
        [
            "cpu 1 apic 256 uid 4096 enabled 1 online-capable 0 x2apic 1",
            "cpu 2 apic 2 uid 2 enabled 0 online-capable 0 x2apic 0",
        ],
    ),
}

ONE_UNIT = drhd(INCLUDE_PCI_ALL, 0xFED90000, [Q35_IOAPIC_SCOPE])  # 0x30..0x48

BAD = {
    "dmar-cut-in-drhd": (
        dmar([ONE_UNIT], length=0x30 + 20, cut=0x30 + 20),
        "DMAR offset 0x30: DRHD (type 0) of 24 bytes runs past the table's end",
    ),
    "drhd-below-fixed-part": (
        dmar([drhd(0, 0xFED90000, [], length=12)[:12]]),
        "DMAR offset 0x30: DRHD length 12 is smaller than its 16-byte",
    ),
    "scope-length-7": (
        dmar([drhd(0, 0xFED90000, [scope(ENDPOINT, 0, 0, [(2, 0)], length=7)])]),
        "DMAR offset 0x40: DRHD device scope length 7 is not 6 + 2n",
    ),
    "rmrr-limit-below-base": (
        dmar([ONE_UNIT, rmrr(0x7D000000, 0x7CFFFFFF, [USB])]),
        "DMAR offset 0x48: RMRR limit 0x7cffffff lies below its base",
    ),
    "rmrr-misaligned": (
        dmar([ONE_UNIT, rmrr(0x7D000000, 0x7D020000, [USB])]),
        "DMAR offset 0x48: RMRR 0x7d000000-0x7d020000 is not 4 KiB-aligned",
    ),
    "dmar-bad-checksum": (dmar([ONE_UNIT], checksum_delta=1), "DMAR offset 0x9: the 72 bytes sum to 0x01"),
    "madt-entry-length-0": (
        madt([lapic(0, 0), lapic(1, 1, length=0) + bytes(6)]),
        "MADT offset 0x34: local APIC entry (type 0) has length 0",
    ),
    "madt-entry-past-end": (
        madt([lapic(0, 0), x2apic(1, 1)[:8]]),
        "MADT offset 0x34: local x2APIC entry (type 9) of 16 bytes runs past",
    ),
}


@pytest.fixture(scope="module")
def parse_table(tmp_path_factory: pytest.TempPathFactory) -> Callable[[bytes], list[str]]:
    """Compiles the driver once; returns a function from table bytes to its "acpi:" lines."""
    out = tmp_path_factory.mktemp("acpi")
    exe = hostc.acpi_table_file(out, sanitize=True)

    def run(data: bytes) -> list[str]:
        path = out / "table.bin"
        path.write_bytes(data)
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1")
        result = subprocess.run(
            [str(exe), str(path)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=hostc.TIMEOUT_S,
            env=env,
            check=False,
        )
        assert result.returncode == 0, f"the driver failed:\n{result.stdout}"
        return [line.removeprefix("acpi: ") for line in result.stdout.splitlines() if line.startswith("acpi: ")]

    return run


@pytest.mark.parametrize("name", GOOD)
def test_good_table(name: str, parse_table: Callable[[bytes], list[str]]) -> None:
    """A well-formed table parses without error or warning, to the expected contents."""
    data, expected = GOOD[name]
    lines = parse_table(data)
    assert lines[:3] == ["rc 0", "error ", "warning "], lines
    for line in expected:
        assert line in lines, f"{line!r} missing from {lines}"


@pytest.mark.parametrize("name", BAD)
def test_corrupt_table(name: str, parse_table: Callable[[bytes], list[str]]) -> None:
    """A corrupt MADT or DMAR is rejected with the table, offset and problem named."""
    data, message = BAD[name]
    lines = parse_table(data)
    assert lines[0] == "rc -22", lines
    assert lines[1].startswith("error ") and message in lines[1], lines


def test_layouts_match_the_spec_sizes() -> None:
    """The fixed parts have the sizes the specifications give (a typo here would hide)."""
    assert SDT_HEADER.sizeof() == 36
    assert MADT_FIXED.sizeof() == 8 and MADT_LAPIC.sizeof() == 8 and MADT_IOAPIC.sizeof() == 12
    assert MADT_ISO.sizeof() == 10 and MADT_X2APIC.sizeof() == 16
    assert DMAR_FIXED.sizeof() == 12 and DRHD_FIXED.sizeof() == 16 and RMRR_FIXED.sizeof() == 24
    assert len(scope(ENDPOINT, 0, 0, [(2, 0)])) == 8
