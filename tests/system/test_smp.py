"""The SMP matrix: Plinth with 1 to 8 CPUs in Bochs and 64 in QEMU TCG.

- Bochs, 1, 2, 3, 4 and 8 CPUs: every CPU enters VMX root operation, the test guest starts
  all its APs with INIT-SIPI-SIPI (Plinth delivers each SIPI) and each AP checks in from long
  mode with its own APIC id. 1, 3 and 8 CPUs run by default; 2 and 4 are `extended` (2 CPUs
  are also covered by test_vmx.py's checks).
- QEMU TCG, 64 CPUs (PLINTH_MAX_CPUS): no VMX there, but every CPU comes up, reports itself
  once, and the page pool holds their state with room to spare.
- Several CPUs failing at the same moment (boot option fault_all_cpus) give one whole FATAL
  report: no other CPU's line inside it, the others counted and halted (all of them in Bochs,
  whose CPUs take turns every few instructions; in QEMU, whose CPUs are host threads, those
  that ran in time).

Debian's Linux with 4 CPUs is in test_linux.py (slow).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tools import consoleproto as cp
from tools import hvabi, layout
from tools.emulators.bochs import NO_IOMMU_CMDLINE as NO_IOMMU
from tools.paths import BUILD

GUEST = BUILD / "guests" / "testguest.bin"
HASWELL = "corei7_haswell_4770"
# Bochs runs its CPUs in turn on one host thread: 8 CPUs take about 8 times as long to boot.
BOCHS_TIMEOUT_PER_CPU = 60
MAX_CPUS = layout.MAX_CPUS
# What the per-CPU state may cost at most, for PLINTH_MAX_CPUS to fit the pool with room for
# a VM's tables (KiB per AP: struct percpu, stacks, VMXON region).
POOL_KIB_PER_AP = 32


@pytest.fixture
def guest(plinth_elf: Path) -> Path:
    assert GUEST.exists(), f"{GUEST} was not built"
    return GUEST


def cpu_counts(default: list[int], extended: list[int]) -> list[object]:
    return sorted(
        [pytest.param(n, id=f"{n}cpu") for n in default]
        + [pytest.param(n, id=f"{n}cpu", marks=pytest.mark.extended) for n in extended],
        key=lambda p: p.values[0],  # type: ignore[attr-defined]
    )


@pytest.mark.bochs
@pytest.mark.parametrize("cpus", cpu_counts([1, 3, 8], [2, 4]))
def test_guest_starts_every_ap(boot, target_for, guest: Path, cpus: int) -> None:
    """All CPUs in VMX root; each of the guest's APs starts at its SIPI through Plinth and
    checks in from long mode with its own APIC id (Bochs numbers them 0..n-1, the BSP 0)."""
    emu = boot(target_for("bochs", HASWELL), cpus=cpus, cmdline=NO_IOMMU, modules=[(guest, "checks=ap")])
    emu.wait_for(hvabi.GUEST_SUMMARY_RE, timeout=BOCHS_TIMEOUT_PER_CPU * cpus)
    out = emu.output

    online = cp.CPUS_ONLINE.search(out)
    assert online and int(online["count"]) == cpus and online["vmx"], "not every CPU online in VMX root"
    assert sorted(int(m["cpu"]) for m in cp.CPU_IN_VMX_ROOT.finditer(out)) == list(range(cpus))
    sipis = sorted(int(m["vcpu"]) for m in cp.VCPU_SIPI_START.finditer(out))
    assert sipis == list(range(1, cpus)), f"vCPUs started at a SIPI: {sipis}"

    info = cp.GUEST_AP_INFO.search(out)
    assert info and int(info["bsp"]) == 0, "no AP report from the guest"
    ids = [int(m["apic_id"]) for m in cp.GUEST_AP_CHECKIN.finditer(info["aps"])]
    assert int(info["count"]) == len(ids) == cpus - 1, info[0]
    assert sorted(ids) == list(range(1, cpus)), f"APIC ids of the APs: {ids}"

    result = {m["name"]: (m["result"], m["detail"]) for m in hvabi.GUEST_CHECK_RE.finditer(out)}["ap"]
    if cpus == 1:
        assert result[0] == "fail" and (result[1] or "").startswith("no AP checked in"), result
    else:
        assert result == ("pass", None)
    assert cp.FATAL_PREFIX not in out


@pytest.mark.qemu
def test_64_cpus_come_up_in_qemu(boot, target_for) -> None:
    """PLINTH_MAX_CPUS CPUs: each AP comes up once with its own APIC id, and their state fits
    the page pool."""
    emu = boot(target_for("qemu", None), cpus=MAX_CPUS)
    online = emu.wait_for(cp.CPUS_ONLINE.regex, timeout=300)
    emu.wait_for(re.escape(cp.NO_GUEST), timeout=60)
    out = emu.output

    assert int(online["count"]) == MAX_CPUS
    aps = [(int(m["cpu"]), int(m["apic_id"])) for m in cp.CPU_ONLINE.finditer(out)]
    assert sorted(cpu for cpu, _ in aps) == list(range(1, MAX_CPUS)), "each AP reports once"
    assert len({apic for _, apic in aps}) == MAX_CPUS - 1, "two APs report the same APIC id"
    pool = cp.SMP_POOL.search(out)
    assert pool and int(pool["aps"]) == MAX_CPUS - 1
    assert int(pool["each"]) <= POOL_KIB_PER_AP, f"{pool['each']} KiB per AP"
    reserved = cp.RESERVED.search(out)
    assert reserved and int(pool["free"]) >= int(reserved["pool"]) // 2, "64 CPUs take half of the pool"
    assert cp.FATAL_PREFIX not in out


def report_lines(out: str) -> list[str]:
    """The lines from the FATAL line to the HALTED line."""
    start = out.index(cp.FATAL_PREFIX)
    end = out.index(cp.HALTED, start) + len(cp.HALTED)
    return out[start:end].replace("\r", "").split("\n")


@pytest.mark.parametrize(
    "backend, cpus",
    [
        pytest.param("bochs", 4, marks=pytest.mark.bochs, id="bochs-4cpu"),
        pytest.param("qemu", 8, marks=pytest.mark.qemu, id="qemu-8cpu"),
    ],
)
def test_cpus_failing_at_once_give_one_whole_report(boot, target_for, backend: str, cpus: int) -> None:
    """fault=ud fault_all_cpus: every CPU raises #UD at the same moment. One report comes out,
    whole: its FATAL line, its dump, the count of the CPUs that failed with it, the halt."""
    model = HASWELL if backend == "bochs" else None
    emu = boot(target_for(backend, model), cpus=cpus, cmdline="fault=ud fault_all_cpus")
    emu.wait_for(re.escape(cp.HALTED), timeout=60 * cpus, failure=None)
    out = emu.output

    assert out.count(cp.FATAL_PREFIX) == 1, "more than one FATAL line"
    assert "\0" not in out, "NUL characters on the console"
    lines = report_lines(out)
    report = cp.FATAL.search(lines[0])
    assert report and report["what"] == "CPU exception in Plinth" and "#UD" in report["why"]
    silenced = cp.FATAL_SILENCED.search(out)
    if backend == "bochs":
        # Bochs runs its CPUs in turns of a few instructions: all of them fault together.
        assert silenced and int(silenced["count"]) == cpus - 1, "not every other CPU failed with it"
    else:
        # QEMU runs each CPU in a host thread: on a loaded host some may not have run yet when
        # the report is out (the stop NMI halts them first). The report must be whole anyway.
        assert not silenced or 1 <= int(silenced["count"]) <= cpus - 1
    # Inside the report only its own dump (indented lines) and the closing lines.
    tail = 2 if silenced else 1
    intruders = [ln for ln in lines[1:-tail] if ln and not ln.startswith("  ")]
    assert not intruders, f"lines inside the report: {intruders}"
    assert lines[-1] == cp.HALTED and (not silenced or cp.FATAL_SILENCED.search(lines[-2]))
    assert out.count(cp.BANNER) == 1, "the machine rebooted"
