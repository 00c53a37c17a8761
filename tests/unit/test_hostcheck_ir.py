"""check-host's interrupt remapping (tools/hostcheck_ir.py): judged per unit as vtd_ir_choose()
judges it, and reported per unit with EIM and posted interrupts.

Units are built with the register layouts of tools/vtdregs.py; machines are the fake trees of
test_hostcheck.py, with QEMU's DMAR or tables built here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_acpi_tables import ONE_UNIT
from test_hostcheck import UNIT_CAP, UNIT_ECAP, capable_host, check, register, row

from tools import hostcheck, hostcheck_ir, hostcheck_output
from tools.acpi_tables import Dmar, dmar
from tools.errors import PlinthError

OPTIONAL, YES, NO, UNKNOWN = hostcheck.OPTIONAL, hostcheck.YES, hostcheck.NO, hostcheck.UNKNOWN
BASE = 0xFED90000


def unit(ir: bool = True, qi: bool = True, eim: bool = False, pi: bool = False) -> hostcheck.VtdUnit:
    cap = register(hostcheck.VTD_CAP, CAP_SAGAW=0b100, CAP_PI=pi)
    ecap = register(hostcheck.VTD_ECAP, ECAP_IR=ir, ECAP_QI=qi, ECAP_EIM=eim)
    return hostcheck.VtdUnit(BASE, cap=cap, ecap=ecap)


def judge(flags: int, units: list[hostcheck.VtdUnit], apic_id_max: int | None = 3) -> tuple[str, str]:
    return hostcheck_ir.judge(Dmar(flags=flags), [hostcheck_ir.unit_ir(u) for u in units], apic_id_max, cpus=2)


def test_unit_fields_come_from_vtdregs() -> None:
    """IR is ECAP bit 3, EIM bit 4, QI bit 1; PI is CAP bit 59 (VT-d 11.4.2, 11.4.3)."""
    u = hostcheck_ir.unit_ir(hostcheck.VtdUnit(BASE, cap=1 << 59, ecap=(1 << 3) | (1 << 4)))
    assert (u.ir, u.eim, u.qi, u.pi) == (True, True, False, True)
    assert hostcheck_ir.unit_ir(hostcheck.VtdUnit(BASE)) == hostcheck_ir.UnitIr(BASE, None, None, None, None)


XAPIC = "the CPUs run xAPIC: 8-bit destinations"
NARROW = ": 8-bit destinations, which reach every APIC ID below 255"
ELSEWHERE = ": MSIs are checked in configuration space instead"


@pytest.mark.parametrize(
    ("flags", "units", "apic_id_max", "expected"),
    [
        (
            1,
            [unit()],
            3,
            (
                YES,
                f"512 entries for 2 CPUs; {XAPIC}; if the CPUs run x2APIC, but a unit lacks EIM{NARROW}; "
                "no posted interrupts",
            ),
        ),
        (
            1,
            [unit(eim=True, pi=True)] * 2,
            3,
            (
                YES,
                f"512 entries for 2 CPUs; {XAPIC}; if the CPUs run x2APIC: 32-bit destinations (EIME); "
                "posted interrupts on every unit (not used yet)",
            ),
        ),
        (
            3,
            [unit(eim=True)],
            3,
            (
                YES,
                f"512 entries for 2 CPUs; {XAPIC}; if the CPUs run x2APIC, but the DMAR opts out of x2APIC "
                f"(X2APIC_OPT_OUT){NARROW}; no posted interrupts",
            ),
        ),
        (
            3,
            [unit(eim=True)],
            300,
            (
                YES,
                "512 entries for 2 CPUs; the CPUs run x2APIC with APIC IDs above 254: 32-bit destinations (EIME); "
                "no posted interrupts",
            ),
        ),
        (0, [unit()], 3, (NO, f"the DMAR does not announce it (flag INTR_REMAP clear){ELSEWHERE}")),
        (1, [unit(), unit(ir=False)], 3, (NO, f"1 of 2 units lack it (ECAP.IR){ELSEWHERE}")),
        (
            1,
            [unit(qi=False)],
            3,
            (NO, f"1 of 1 units lack queued invalidation, which the interrupt entry cache needs{ELSEWHERE}"),
        ),
        (
            1,
            [unit(eim=True), unit()],
            255,
            (NO, f"APIC ID 255 needs 32-bit destinations, which 1 of 2 units lack (ECAP.EIM){ELSEWHERE}"),
        ),
        (1, [unit(), hostcheck.VtdUnit(BASE + 0x1000)], 3, (UNKNOWN, "the registers of unit 1 were not read")),
        (1, [], 3, (NO, f"no remapping unit{ELSEWHERE}")),
    ],
    ids=[
        "xapic",
        "eim-pi",
        "opt-out",
        "wide-ids",
        "not-announced",
        "unit-without-ir",
        "no-qi",
        "eim-missing",
        "unread",
        "none",
    ],
)
def test_judge(flags: int, units: list[hostcheck.VtdUnit], apic_id_max: int, expected: tuple[str, str]) -> None:
    """Plinth's own decision (vtd_ir_choose, run on this machine), once per APIC mode."""
    assert judge(flags, units, apic_id_max) == expected


def test_decision_program_refuses_unknown_keys() -> None:
    with pytest.raises(PlinthError, match="unknown key in colour=1"):
        hostcheck_ir.choose(colour=1)


def test_capable_host_reports_interrupt_remapping(tmp_path: Path) -> None:
    """QEMU's DMAR (INTR_REMAP) and a unit with IR and QI: an optional row that says yes, and a
    section with the flags, the largest APIC ID and the unit."""
    report = check(capable_host(tmp_path))
    assert row(report, hostcheck_ir.CHECK) == hostcheck.Row(
        hostcheck_ir.CHECK,
        OPTIONAL,
        YES,
        "512 entries for 2 CPUs; the CPUs run xAPIC: 8-bit destinations; if the CPUs run x2APIC, but a unit "
        "lacks EIM: 8-bit destinations, which reach every APIC ID below 255; no posted interrupts",
    )
    text = hostcheck_output.render(report)
    section = text.split("\nVT-d interrupt remapping\n")[1].split("\n\n")[0].splitlines()
    assert section == [
        "  DMAR flags 0x1: INTR_REMAP yes, X2APIC_OPT_OUT no",
        "  largest APIC ID 0 (/proc/cpuinfo apicid)",
        f"  unit 0 at 0x{BASE:x}: IR yes, QI yes, EIM no (x2APIC destinations), PI no (posted interrupts)",
    ]
    assert report.summary == "This host can run Plinth."
    assert '"apic_id_max": 0' in hostcheck_output.to_json(report)


def test_without_interrupt_remapping_plinth_still_runs(tmp_path: Path) -> None:
    """A DMAR without INTR_REMAP: the row says no, and as it is optional the verdict says the host
    can run Plinth, naming what it lacks."""
    report = check(capable_host(tmp_path, dmar_table=dmar([ONE_UNIT], flags=0)))
    ir = row(report, hostcheck_ir.CHECK)
    assert (ir.need, ir.status) == (OPTIONAL, NO)
    assert report.status == 0
    assert report.summary == (
        "This host can run Plinth. Optional: the DMAR does not announce it (flag INTR_REMAP clear): "
        "MSIs are checked in configuration space instead."
    )


def test_wide_apic_ids_without_eim(tmp_path: Path) -> None:
    """A CPU with APIC ID 300 and a unit without EIM: no interrupt remapping, and why."""
    cpuinfo = (Path(__file__).parent / "fixtures" / "hostcheck" / "cpuinfo-intel-haswell.txt").read_text()
    second = (
        cpuinfo.split("\n\n")[0].replace("processor\t: 0", "processor\t: 1").replace("apicid\t\t: 0", "apicid\t\t: 300")
    )
    report = check(capable_host(tmp_path, cpuinfo=cpuinfo.rstrip("\n") + "\n\n" + second + "\n"))
    assert report.apic_id_max == 300
    assert row(report, hostcheck_ir.CHECK).detail == (
        "APIC ID 300 needs 32-bit destinations, which 1 of 1 units lack (ECAP.EIM): "
        "MSIs are checked in configuration space instead"
    )


def test_no_dmar_no_row(tmp_path: Path) -> None:
    """Without a DMAR the VT-d row already says why; interrupt remapping adds no row."""
    report = check(capable_host(tmp_path, dmar_table=None, linux_units={}))
    assert all(r.check != hostcheck_ir.CHECK for r in report.rows)
    assert "VT-d interrupt remapping\n  not checked: no DMAR was read" in hostcheck_output.render(report)


def test_max_apic_id(tmp_path: Path) -> None:
    (tmp_path / "cpuinfo").write_text(
        "processor\t: 0\napicid\t\t: 2\ninitial apicid\t: 2\n\nprocessor\t: 1\napicid\t\t: 6\n"
    )
    assert hostcheck_ir.max_apic_id(tmp_path) == 6
    (tmp_path / "cpuinfo").write_text("processor\t: 0\n")
    assert hostcheck_ir.max_apic_id(tmp_path) is None
    assert hostcheck_ir.max_apic_id(tmp_path / "absent") is None


def test_units_as_linux_shows_them() -> None:
    """The capable host's unit (test_hostcheck.py): IR and QI, no EIM, no PI."""
    u = hostcheck_ir.unit_ir(hostcheck.VtdUnit(BASE, cap=UNIT_CAP, ecap=UNIT_ECAP))
    assert (u.ir, u.qi, u.eim, u.pi) == (True, True, False, False)
