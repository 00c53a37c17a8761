"""check-host's interrupt remapping: can Plinth vet the interrupts of the devices it hands out?

With VT-d interrupt remapping a device's MSI reaches a CPU only through an entry Plinth wrote
for it (arch/x86/vtd_irt.c); without it, Plinth can only check the MSI address and data a VM
writes into configuration space. So it is optional. It is judged by Plinth's own code:
vtd_ir_choose() (arch/x86/vtd_ir_table.c), built for this machine with the host gcc as the
DMAR parser is (tests/unit/c/vtd_ir_choose_file.c), from the DMAR's INTR_REMAP and
X2APIC_OPT_OUT flags, each unit's IR, QI and EIM, and the largest APIC ID; once for CPUs in
xAPIC mode and once for CPUs in x2APIC mode, since that is the firmware's choice at boot. Also
reported per unit, from the register definitions of tools/vtdregs.py: CAP.PI (posted
interrupts, which Plinth does not use yet).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Protocol

from tools import hostc, vtdregs
from tools.acpi_tables import DMAR_INTR_REMAP, Dmar
from tools.errors import PlinthError

DMAR_X2APIC_OPT_OUT = 1 << 1
VTD_IR_OFF = 0  # vtd_ir_choose()'s modes (x86/vtd_ir.h)
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


class Decision(NamedTuple):
    """What vtd_ir_choose() decided: mode (VTD_IR_), why, and the table's entries."""

    mode: int
    why: str
    entries: int


def choose(**platform: int) -> Decision:
    """Runs Plinth's decision (vtd_ir_choose_file) with struct vtd_ir_platform's fields and cpus."""
    exe = hostc.vtd_ir_choose_file()
    try:
        res = subprocess.run(
            [str(exe), *(f"{k}={v}" for k, v in platform.items())], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise PlinthError(f"cannot run {exe.name} ({err}).") from None
    fields = dict(line.partition(" ")[::2] for line in res.stdout.splitlines())
    if res.returncode or not {"mode", "why", "entries"} <= fields.keys():
        raise PlinthError(f"{exe.name} failed: {res.stderr.strip() or res.stdout.strip()}")
    return Decision(int(fields["mode"]), fields["why"], int(fields["entries"]))


def judge(dmar: Dmar | None, units: list[UnitIr], apic_id_max: int | None, cpus: int = 1) -> tuple[str, str]:
    """(status, detail) of the verdict row: yes, no or unknown, as Plinth would decide at boot."""
    if dmar is None:
        return "unknown", "the DMAR was not read"
    unread = [i for i, u in enumerate(units) if u.ir is None]
    if unread:
        return "unknown", f"the registers of unit {', '.join(map(str, unread))} were not read"
    platform = {
        "dmar_intr_remap": int(bool(dmar.flags & DMAR_INTR_REMAP)),
        "dmar_x2apic_opt_out": int(bool(dmar.flags & DMAR_X2APIC_OPT_OUT)),
        "units": len(units),
        "units_ir": sum(bool(u.ir) for u in units),
        "units_qi": sum(bool(u.qi) for u in units),
        "units_eim": sum(bool(u.eim) for u in units),
        "max_apic_id": apic_id_max or 0,
        "cpus": cpus,
    }
    try:
        xapic, x2apic = choose(**platform, x2apic_now=0), choose(**platform, x2apic_now=1)
    except PlinthError as err:
        return "unknown", str(err)
    if xapic.mode == VTD_IR_OFF:
        return "no", f"{xapic.why}: MSIs are checked in configuration space instead"
    formats = xapic.why if xapic.why == x2apic.why else f"{xapic.why}; if {x2apic.why}"
    posted = "posted interrupts on every unit (not used yet)" if all(u.pi for u in units) else "no posted interrupts"
    return "yes", f"{xapic.entries} entries for {cpus} CPUs; {formats}; {posted}"


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
