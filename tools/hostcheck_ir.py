"""check-host's interrupt remapping: can Plinth vet the interrupts of the devices it hands out?

With VT-d interrupt remapping a device's MSI reaches a CPU only through an entry Plinth wrote
for it (arch/x86/vtd_irt.c); without it, Plinth can only check the MSI address and data a VM
writes into configuration space. So it is optional, and judged as vtd_ir_choose()
(arch/x86/vtd_ir_table.c) judges it: the DMAR's INTR_REMAP flag, IR and queued invalidation on
every unit (the interrupt entry cache is invalidated only through the queue), and EIM on every
unit when an APIC ID needs more than 8 bits. Also reported per unit, from the same register
definitions (tools/vtdregs.py): EIM (x2APIC destinations) and CAP.PI (posted interrupts, which
Plinth does not use yet); and the DMAR's X2APIC_OPT_OUT flag, which Plinth honours.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tools import vtdregs
from tools.acpi_tables import DMAR_INTR_REMAP, Dmar

DMAR_X2APIC_OPT_OUT = 1 << 1
XAPIC_ID_MAX = 254  # the largest APIC ID an 8-bit destination names alone (255 is broadcast)
CHECK = "VT-d interrupt remapping"


class Unit(Protocol):
    """A remapping unit as hostcheck.VtdUnit has it."""

    base: int
    cap: int | None
    ecap: int | None


@dataclass(frozen=True)
class UnitIr:
    """One unit's interrupt-remapping capabilities; None: its registers were not read."""

    base: int
    ir: bool | None
    qi: bool | None
    eim: bool | None
    pi: bool | None


def unit_ir(u: Unit) -> UnitIr:
    if u.cap is None or u.ecap is None:
        return UnitIr(u.base, None, None, None, None)
    f = vtdregs.decode(u.cap, u.ecap)
    return UnitIr(u.base, bool(f["ECAP_IR"]), bool(f["ECAP_QI"]), bool(f["ECAP_EIM"]), bool(f["CAP_PI"]))


def max_apic_id(proc_root: Path) -> int | None:
    """The largest "apicid" of /proc/cpuinfo, or None when it names none (or cannot be read)."""
    try:
        text = (proc_root / "cpuinfo").read_text(errors="replace")
    except OSError:
        return None
    ids = []
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "apicid" and value.strip().isdigit():
            ids.append(int(value))
    return max(ids) if ids else None


def _lacking(units: list[UnitIr], attr: str) -> list[int]:
    return [i for i, u in enumerate(units) if getattr(u, attr) is False]


def judge(dmar: Dmar | None, units: list[UnitIr], apic_id_max: int | None) -> tuple[str, str]:
    """(status, detail) of the verdict row: yes, no or unknown, as vtd_ir_choose() would decide."""
    if dmar is None:
        return "unknown", "the DMAR was not read"
    if not dmar.flags & DMAR_INTR_REMAP:
        return "no", "the DMAR does not announce it (flag INTR_REMAP clear): MSIs are checked in configuration space"
    if not units:
        return "no", "no remapping unit"
    for attr, what in (("ir", "interrupt remapping (ECAP.IR)"), ("qi", "queued invalidation (ECAP.QI)")):
        lacking = _lacking(units, attr)
        if lacking:
            return "no", f"unit {', '.join(map(str, lacking))} lacks {what}"
    wide = apic_id_max is not None and apic_id_max > XAPIC_ID_MAX
    if wide and _lacking(units, "eim"):
        return (
            "no",
            f"APIC ID {apic_id_max} needs 32-bit destinations, which unit {_lacking(units, 'eim')[0]} lacks (EIM)",
        )
    unread = [i for i, u in enumerate(units) if u.ir is None]
    if unread:
        return "unknown", f"the registers of unit {', '.join(map(str, unread))} were not read"
    eim = all(u.eim for u in units)
    opt_out = bool(dmar.flags & DMAR_X2APIC_OPT_OUT)
    formats = (
        "x2APIC (32-bit) destinations: an APIC ID is above 254"
        if wide
        else "xAPIC (8-bit) destinations"
        + (
            ", or x2APIC ones when the firmware hands over x2APIC CPUs"
            if eim and not opt_out
            else " (the DMAR opts out of x2APIC)"
            if opt_out
            else " (EIM missing on a unit)"
        )
    )
    posted = "posted interrupts on every unit (not used yet)" if all(u.pi for u in units) else "no posted interrupts"
    return "yes", f"on every unit; {formats}; {posted}"


def section(dmar: Dmar | None, units: list[UnitIr], apic_id_max: int | None) -> list[str]:
    """The report's lines: the DMAR's flags, the CPUs' largest APIC ID, each unit's capabilities."""
    yes = {True: "yes", False: "no", None: "unknown"}
    lines = []
    if dmar is not None:
        lines.append(
            f"  DMAR flags 0x{dmar.flags:x}: INTR_REMAP {yes[bool(dmar.flags & DMAR_INTR_REMAP)]}, "
            f"X2APIC_OPT_OUT {yes[bool(dmar.flags & DMAR_X2APIC_OPT_OUT)]}"
        )
    lines.append(f"  largest APIC ID {'unknown' if apic_id_max is None else apic_id_max} (/proc/cpuinfo apicid)")
    for i, u in enumerate(units):
        if u.ir is None:
            lines.append(f"  unit {i} at 0x{u.base:x}: registers not read")
            continue
        lines.append(
            f"  unit {i} at 0x{u.base:x}: IR {yes[u.ir]}, QI {yes[u.qi]}, EIM {yes[u.eim]} (x2APIC destinations), "
            f"PI {yes[u.pi]} (posted interrupts)"
        )
    return lines
