"""ACPI table layouts as construct structures, and a DMAR parser that judges a table as Plinth does.

The layouts come from the specifications: ACPI 6.5 sections 5.2.6 (table header) and 5.2.12
(MADT), Intel VT-d chapter 8 (DMAR). tests/unit/test_acpi_tables.py builds tables from them to
test Plinth's C parser (hypervisor/arch/x86/acpi.c); `check-host` reads the firmware's DMAR with
parse_dmar(), whose checks and messages follow that C parser's, so the host check predicts what
Plinth will say about the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from construct import Bytes, GreedyRange, Int8ul, Int16ul, Int32ul, Int64ul, Padding, Struct

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
DMAR_STRUCT_HEADER = Struct("type" / Int16ul, "length" / Int16ul)
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
ATSR_FIXED = Struct(
    "type" / Int16ul, "length" / Int16ul, "flags" / Int8ul, Padding(1), "segment" / Int16ul
)  # SATC (type 5) has the same fixed part
ANDD_FIXED = Struct("type" / Int16ul, "length" / Int16ul, Padding(3), "device_number" / Int8ul)
RHSA_LENGTH = 20
DEVICE_SCOPE = Struct(
    "type" / Int8ul,
    "length" / Int8ul,
    Padding(2),
    "enumeration_id" / Int8ul,
    "start_bus" / Int8ul,
    "path" / GreedyRange(Struct("device" / Int8ul, "function" / Int8ul)),
)

SDT_LENGTH = SDT_HEADER.sizeof()
TABLE_MAX_LENGTH = 1 << 20  # ACPI_TABLE_MAX_LEN in hypervisor/include/x86/acpi.h
DMAR_TYPES = ["DRHD", "RMRR", "ATSR", "RHSA", "ANDD", "SATC"]
SCOPE_TYPES = {1: "endpoint", 2: "bridge", 3: "ioapic", 4: "hpet", 5: "acpi-device"}
DRHD_INCLUDE_PCI_ALL = 1
DMAR_INTR_REMAP = 1


@dataclass
class Scope:
    """One device scope entry (VT-d 8.3.1)."""

    type: int
    enumeration_id: int
    start_bus: int
    path: list[tuple[int, int]]

    def __str__(self) -> str:
        """As Plinth prints it (acpi_dmar_scope_format): "endpoint 00:02.0", "ioapic 0 at ff:00.0"."""
        name = SCOPE_TYPES.get(self.type, "unknown")
        prefix = f"{name} {self.enumeration_id} at " if 3 <= self.type <= 5 else f"{name} "
        hops = [f"{d:02x}.{f:x}" for d, f in self.path]
        if len(hops) == 1:
            return f"{prefix}{self.start_bus:02x}:{hops[0]}"
        return f"{prefix}{self.start_bus:02x}:[{'/'.join(hops)}]"


@dataclass
class Drhd:
    """A DMA remapping hardware unit definition (VT-d 8.3)."""

    offset: int
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

    offset: int
    segment: int
    base: int
    limit: int
    scopes: list[Scope] = field(default_factory=list)


@dataclass
class Dmar:
    """What parse_dmar made of a table. error is the first problem that makes Plinth reject the
    table (None when it is good); the structures before that problem are kept."""

    length: int = 0
    oem_id: str = ""
    oem_table_id: str = ""
    host_address_width: int = 0
    flags: int = 0
    drhds: list[Drhd] = field(default_factory=list)
    rmrrs: list[Rmrr] = field(default_factory=list)
    other: list[str] = field(default_factory=list)  # "ATSR at 0x60", ...
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


class _Reject(Exception):
    """A problem that makes Plinth reject the table; the message names the offset."""


def _text(raw: bytes) -> str:
    return "".join(chr(b) if 0x20 <= b < 0x7F else "?" for b in raw).rstrip()


def _type_name(kind: int) -> str:
    return DMAR_TYPES[kind] if kind < len(DMAR_TYPES) else "unknown structure"


def _check_header(data: bytes) -> None:
    """ACPI 5.2.6: signature, length, checksum (acpi.c sdt_check)."""
    if len(data) < SDT_LENGTH:
        raise _Reject(f"DMAR offset 0x0: {len(data)} bytes, shorter than the {SDT_LENGTH}-byte table header")
    header = SDT_HEADER.parse(data)
    if header.signature != b"DMAR":
        raise _Reject(f"DMAR offset 0x0: signature {header.signature!r} is not DMAR")
    if not SDT_LENGTH <= header.length <= TABLE_MAX_LENGTH:
        raise _Reject(f"DMAR offset 0x4: length {header.length} outside {SDT_LENGTH}..{TABLE_MAX_LENGTH} bytes")
    if header.length > len(data):
        raise _Reject(f"DMAR offset 0x4: length {header.length} runs past the {len(data)} bytes of the table")
    total = sum(data[: header.length]) & 0xFF
    if total:
        raise _Reject(f"DMAR offset 0x9: the {header.length} bytes sum to 0x{total:02x}, not 0 (bad checksum)")


def _scopes(data: bytes, off: int, end: int, owner: str) -> list[Scope]:
    """Device scope entries in [off, end) of the structure named owner (acpi.c parse_scopes)."""
    scopes = []
    while off < end:
        if end - off < 2:
            raise _Reject(f"DMAR offset 0x{off:x}: {owner} device scope header cut off by the {owner}'s end")
        length = data[off + 1]
        if length < 8 or (length - 6) % 2:
            raise _Reject(
                f"DMAR offset 0x{off:x}: {owner} device scope length {length} is not 6 + 2n bytes with n >= 1"
            )
        if length > end - off:
            raise _Reject(
                f"DMAR offset 0x{off:x}: {owner} device scope of {length} bytes runs past the "
                f"{owner}'s end ({end - off} bytes left)"
            )
        s = DEVICE_SCOPE.parse(data[off : off + length])
        for i, hop in enumerate(s.path):
            if hop.device > 31 or hop.function > 7:
                raise _Reject(
                    f"DMAR offset 0x{off:x}: {owner} device scope path entry {i} is "
                    f"{hop.device:02x}.{hop.function:x}, beyond device 31 function 7"
                )
        scopes.append(Scope(s.type, s.enumeration_id, s.start_bus, [(h.device, h.function) for h in s.path]))
        off += length
    return scopes


def _too_short(off: int, kind: int, length: int, fixed: int) -> _Reject:
    return _Reject(
        f"DMAR offset 0x{off:x}: {_type_name(kind)} length {length} is smaller than its {fixed}-byte fixed part"
    )


def _structure(data: bytes, off: int, kind: int, length: int, out: Dmar) -> None:
    """One remapping structure whose length fits the table (acpi.c parse_drhd, parse_rmrr, ...)."""
    end = off + length
    if kind == 0:
        if length < DRHD_FIXED.sizeof():
            raise _too_short(off, kind, length, DRHD_FIXED.sizeof())
        h = DRHD_FIXED.parse(data[off:end])
        if not h.register_base or h.register_base % 0x1000:
            raise _Reject(
                f"DMAR offset 0x{off:x}: DRHD register base 0x{h.register_base:x} is not a non-zero "
                "4 KiB-aligned address"
            )
        if any(u.include_pci_all and u.segment == h.segment for u in out.drhds):
            out.warnings.append(
                f"DMAR offset 0x{off:x}: DRHD for segment {h.segment} follows that segment's "
                "INCLUDE_PCI_ALL unit, which must come last"
            )
        scopes = _scopes(data, off + DRHD_FIXED.sizeof(), end, "DRHD")
        out.drhds.append(Drhd(off, h.flags, h.size, h.segment, h.register_base, scopes))
    elif kind == 1:
        if length < RMRR_FIXED.sizeof():
            raise _too_short(off, kind, length, RMRR_FIXED.sizeof())
        r = RMRR_FIXED.parse(data[off:end])
        if r.limit < r.base:
            raise _Reject(f"DMAR offset 0x{off:x}: RMRR limit 0x{r.limit:x} lies below its base 0x{r.base:x}")
        if r.base % 0x1000 or (r.limit + 1) % 0x1000:
            raise _Reject(
                f"DMAR offset 0x{off:x}: RMRR 0x{r.base:x}-0x{r.limit:x} is not 4 KiB-aligned "
                "(base and limit + 1 must be)"
            )
        if length == RMRR_FIXED.sizeof():
            out.warnings.append(f"DMAR offset 0x{off:x}: RMRR 0x{r.base:x}-0x{r.limit:x} names no device")
        scopes = _scopes(data, off + RMRR_FIXED.sizeof(), end, "RMRR")
        out.rmrrs.append(Rmrr(off, r.segment, r.base, r.limit, scopes))
    elif kind in (2, 5):
        if length < ATSR_FIXED.sizeof():
            raise _too_short(off, kind, length, ATSR_FIXED.sizeof())
        _scopes(data, off + ATSR_FIXED.sizeof(), end, _type_name(kind))
        out.other.append(f"{_type_name(kind)} at 0x{off:x}")
    elif kind == 3:
        if length < RHSA_LENGTH:
            raise _too_short(off, kind, length, RHSA_LENGTH)
        out.other.append(f"RHSA at 0x{off:x}")
    elif kind == 4:
        if length < ANDD_FIXED.sizeof():
            raise _too_short(off, kind, length, ANDD_FIXED.sizeof())
        out.other.append(f"ANDD at 0x{off:x}")
    else:
        out.other.append(f"type {kind} at 0x{off:x} (skipped)")


def parse_dmar(data: bytes) -> Dmar:
    """The DMAR table in data, judged as Plinth's C parser judges it; never raises on bad input."""
    out = Dmar()
    try:
        _check_header(data)
        header = SDT_HEADER.parse(data)
        out.length, out.oem_id, out.oem_table_id = header.length, _text(header.oem_id), _text(header.oem_table_id)
        fixed_end = SDT_LENGTH + DMAR_FIXED.sizeof()
        if header.length < fixed_end:
            raise _Reject(f"DMAR offset 0x4: length {header.length} below the {fixed_end}-byte fixed part")
        fixed = DMAR_FIXED.parse(data[SDT_LENGTH:fixed_end])
        if fixed.host_address_width > 63:
            raise _Reject(
                f"DMAR offset 0x24: host address width field {fixed.host_address_width} means more than 64 bits"
            )
        out.host_address_width, out.flags = fixed.host_address_width + 1, fixed.flags
        off, end = fixed_end, header.length
        while off < end:
            if end - off < DMAR_STRUCT_HEADER.sizeof():
                raise _Reject(
                    f"DMAR offset 0x{off:x}: structure header cut off by the table's end ({end - off} bytes left)"
                )
            s = DMAR_STRUCT_HEADER.parse(data[off : off + 4])
            if s.length < 4:
                raise _Reject(
                    f"DMAR offset 0x{off:x}: {_type_name(s.type)} (type {s.type}) has length "
                    f"{s.length}, below its 4-byte header"
                )
            if s.length > end - off:
                raise _Reject(
                    f"DMAR offset 0x{off:x}: {_type_name(s.type)} (type {s.type}) of {s.length} bytes "
                    f"runs past the table's end ({end - off} bytes left)"
                )
            _structure(data, off, s.type, s.length, out)
            off += s.length
    except _Reject as problem:
        out.error = str(problem)
    return out
