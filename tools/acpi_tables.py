"""ACPI table layouts as construct structures, and Plinth's own DMAR parser run on a table.

The layouts come from the specifications: ACPI 6.5 sections 5.2.6 (table header) and 5.2.12
(MADT), Intel VT-d chapter 8 (DMAR). table(), dmar(), drhd(), rmrr() and scope() build tables
from them: tests/unit/test_acpi_tables.py tests Plinth's C parser (hypervisor/arch/x86/acpi.c)
with them, and system tests hand QEMU a DMAR of their own (-acpitable). parse_dmar() runs that C parser, built for
this machine (tools/hostc.py), on a DMAR, so `check-host` says about the firmware's table what
Plinth will say at boot, message for message.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from construct import Bytes, GreedyRange, Int8ul, Int16ul, Int32ul, Int64ul, Padding, Struct

from tools import hostc
from tools.errors import PlinthError

SDT_HEADER = Struct(
    "signature" / Bytes(4),
    "length" / Int32ul,
    "revision" / Int8ul,
    "checksum" / Int8ul,
    "oem_id" / Bytes(6),
    "oem_table_id" / Bytes(8),
    "oem_revision" / Int32ul,
    "creator_id" / Bytes(4),
    "creator_revision" / Int32ul,
)

MADT_FIXED = Struct("local_apic_address" / Int32ul, "flags" / Int32ul)
MADT_LAPIC = Struct("type" / Int8ul, "length" / Int8ul, "uid" / Int8ul, "apic_id" / Int8ul, "flags" / Int32ul)
MADT_IOAPIC = Struct(
    "type" / Int8ul, "length" / Int8ul, "id" / Int8ul, Padding(1), "address" / Int32ul, "gsi_base" / Int32ul
)
MADT_ISO = Struct(
    "type" / Int8ul, "length" / Int8ul, "bus" / Int8ul, "source" / Int8ul, "gsi" / Int32ul, "flags" / Int16ul
)
MADT_X2APIC = Struct(
    "type" / Int8ul, "length" / Int8ul, Padding(2), "x2apic_id" / Int32ul, "flags" / Int32ul, "uid" / Int32ul
)

DMAR_FIXED = Struct("host_address_width" / Int8ul, "flags" / Int8ul, Padding(10))
DRHD_FIXED = Struct(
    "type" / Int16ul,
    "length" / Int16ul,
    "flags" / Int8ul,
    "size" / Int8ul,
    "segment" / Int16ul,
    "register_base" / Int64ul,
)
RMRR_FIXED = Struct(
    "type" / Int16ul, "length" / Int16ul, Padding(2), "segment" / Int16ul, "base" / Int64ul, "limit" / Int64ul
)
DEVICE_SCOPE = Struct(
    "type" / Int8ul,
    "length" / Int8ul,
    Padding(2),
    "enumeration_id" / Int8ul,
    "start_bus" / Int8ul,
    "path" / GreedyRange(Struct("device" / Int8ul, "function" / Int8ul)),
)

SDT_LENGTH = SDT_HEADER.sizeof()
DRHD_INCLUDE_PCI_ALL = 1
DMAR_INTR_REMAP = 1


# --- Building tables (the tests use them: good ones, and corrupt ones) ---


def table(
    signature: bytes, body: bytes, length: int | None = None, cut: int | None = None, checksum_delta: int = 0
) -> bytes:
    """A table with a header whose length (unless given) and checksum are right.

    cut keeps only the first bytes (a table that ends early); checksum_delta spoils the sum.
    """
    total = 36 + len(body) if length is None else length
    header = {
        "signature": signature,
        "length": total,
        "revision": 1,
        "checksum": 0,
        "oem_id": b"PLINTH",
        "oem_table_id": b"CONSTRCT",
        "oem_revision": 1,
        "creator_id": b"PYCS",
        "creator_revision": 1,
    }
    raw = bytearray(SDT_HEADER.build(header) + body)
    if cut is not None:
        del raw[cut:]
    raw[9] = (-sum(raw[:total]) + checksum_delta) & 0xFF
    return bytes(raw)


def scope(kind: int, enum_id: int, bus: int, path: list[tuple[int, int]], length: int | None = None) -> bytes:
    return DEVICE_SCOPE.build(
        {
            "type": kind,
            "length": 6 + 2 * len(path) if length is None else length,
            "enumeration_id": enum_id,
            "start_bus": bus,
            "path": [{"device": d, "function": f} for d, f in path],
        }
    )


def drhd(flags: int, base: int, scopes: list[bytes], length: int | None = None) -> bytes:
    body = b"".join(scopes)
    return (
        DRHD_FIXED.build(
            {
                "type": 0,
                "length": 16 + len(body) if length is None else length,
                "flags": flags,
                "size": 0,
                "segment": 0,
                "register_base": base,
            }
        )
        + body
    )


def rmrr(base: int, limit: int, scopes: list[bytes]) -> bytes:
    body = b"".join(scopes)
    fixed = {"type": 1, "length": 24 + len(body), "segment": 0, "base": base, "limit": limit}
    return RMRR_FIXED.build(fixed) + body


def dmar(structures: list[bytes], haw_bits: int = 39, flags: int = 1, **kw: int) -> bytes:
    fixed = DMAR_FIXED.build({"host_address_width": haw_bits - 1, "flags": flags})
    return table(b"DMAR", fixed + b"".join(structures), **kw)


@dataclass
class Scope:
    """One device scope entry (VT-d 8.3.1); text is how Plinth prints it (acpi_dmar_scope_format):
    "endpoint 00:02.0", "ioapic 0 at ff:00.0"."""

    type: int
    enumeration_id: int
    start_bus: int
    path: list[tuple[int, int]]
    text: str = ""

    def __str__(self) -> str:
        return self.text


@dataclass
class Drhd:
    """A DMA remapping hardware unit definition (VT-d 8.3)."""

    flags: int
    size: int
    segment: int
    base: int
    scopes: list[Scope] = field(default_factory=list)

    @property
    def include_pci_all(self) -> bool:
        return bool(self.flags & DRHD_INCLUDE_PCI_ALL)

    @property
    def register_size(self) -> int:
        return 0x1000 << (self.size & 0xF)


@dataclass
class Rmrr:
    """A reserved memory region that devices use before and after the OS runs (VT-d 8.4)."""

    segment: int
    base: int
    limit: int
    scopes: list[Scope] = field(default_factory=list)


@dataclass
class Dmar:
    """What Plinth's parser made of a table. error is the first problem that makes Plinth reject
    the table (None when it is good), warning-wise the first oddity (Plinth keeps one); the
    structures before a problem are kept. length and the OEM names are the table header's."""

    length: int = 0
    oem_id: str = ""
    oem_table_id: str = ""
    host_address_width: int = 0
    flags: int = 0
    drhds: list[Drhd] = field(default_factory=list)
    rmrrs: list[Rmrr] = field(default_factory=list)
    atsrs: int = 0
    andds: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


def _text(raw: bytes) -> str:
    return "".join(chr(b) if 0x20 <= b < 0x7F else "?" for b in raw).rstrip()


def _scopes(doc: list[dict[str, Any]]) -> list[Scope]:
    return [
        Scope(s["type"], s["enumeration_id"], s["start_bus"], [tuple(h) for h in s["path"]], s["text"]) for s in doc
    ]


def dmar_from_json(doc: dict[str, Any], data: bytes) -> Dmar:
    """A Dmar from acpi_table_file --json's object, with the header fields read from data."""
    out = Dmar(
        host_address_width=doc["host_address_width"],
        flags=doc["flags"],
        drhds=[Drhd(d["flags"], d["size"], d["segment"], d["base"], _scopes(d["scopes"])) for d in doc["drhds"]],
        rmrrs=[Rmrr(r["segment"], r["base"], r["limit"], _scopes(r["scopes"])) for r in doc["rmrrs"]],
        atsrs=doc["atsrs"],
        andds=doc["andds"],
        error=doc["error"] or None,
        warnings=[doc["warning"]] if doc["warning"] else [],
    )
    if len(data) >= SDT_LENGTH:
        header = SDT_HEADER.parse(data)
        out.length, out.oem_id, out.oem_table_id = header.length, _text(header.oem_id), _text(header.oem_table_id)
    return out


def parse_dmar(data: bytes) -> Dmar:
    """The DMAR table in data, judged by Plinth's C parser (built for this machine on first use).
    Bad tables give a Dmar with error set; a PlinthError means the parser could not be run."""
    exe = hostc.acpi_table_file()
    with tempfile.NamedTemporaryFile(prefix="plinth-dmar-") as table:
        Path(table.name).write_bytes(data)
        res = subprocess.run(
            [str(exe), "--json", table.name], capture_output=True, text=True, timeout=hostc.TIMEOUT_S, check=False
        )
    try:
        doc = json.loads(res.stdout) if res.returncode == 0 else None
    except json.JSONDecodeError:
        doc = None
    if not isinstance(doc, dict):
        problem = (res.stderr.strip() or res.stdout.strip() or f"exit status {res.returncode}").splitlines()[-1]
        raise PlinthError(f"Plinth's DMAR parser ({exe}) failed on the table: {problem}.")
    return dmar_from_json(doc, data)
