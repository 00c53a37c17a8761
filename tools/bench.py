"""`tools/plinth bench`: Plinth's performance figures from one command anyone can rerun.

- exit round trips (CPUID, VMCALL, an emulated I/O port, an intercepted MSR read, a CR0
  write Plinth owns) measured by the test guest's `bench` check, minus the measurement's own
  cost (a non-exiting instruction); in Bochs a TSC tick is one retired instruction;
- the boot path (TSC from Plinth's first instruction to VM entry) and the footprint;
- a Linux boot: VM exits by reason from reset to the shell and power-off, and exits per
  second of guest time while the shell idles (two boots: idle 0 s and idle IDLE_S seconds).

Results go to build/bench/results.json; --compare OLD.json prints the ratios.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools import consoleproto as cp
from tools import exitstats, hvabi, image, linux, logs
from tools.emulators.bochs import BOCHS_MODELS, NO_IOMMU_CMDLINE
from tools.errors import PlinthError
from tools.paths import BUILD, ELF, ROOT

GUEST = BUILD / "guests" / "testguest.bin"
RESULTS = BUILD / "bench" / "results.json"
# What the shell prints for the command bench types (not a Plinth line: see linux_boot).
UPTIME_RE = re.compile(r"uptime=(?P<up>[\d.]+)")
IDLE_S = 20

# Goals from the benchmark issue: (name, unit, target, how to read the value from results).
GOALS = [
    ("CPUID round trip", "instructions", 150, lambda r: r["roundtrips"]["cpuid"]["net_min"]),
    ("boot path to the first guest instruction", "instructions", 5_000_000, lambda r: r["boot_path"]),
    ("reserved memory, 2 CPUs, 512 MiB guest", "KiB", 8 * 1024, lambda r: r["footprint"]["reserved_kib"]),
    ("exits per second while Linux idles", "exits/s", 0, lambda r: r["linux"]["idle_exits_per_s"]),
]


@dataclass
class Setup:
    emulator: str = "bochs"
    cpu_model: str = BOCHS_MODELS[0]
    cpus: int = 2
    memory_mib: int = 512
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def unit(self) -> str:
        return "instructions (Bochs: one TSC tick per retired instruction)" if self.emulator == "bochs" else "TSC ticks"


def _boot(
    setup: Setup,
    logdir: Path,
    modules: list[tuple[Path, str]],
    until: str | re.Pattern[str],
    timeout: float,
    send: list[tuple[str, str]] | None = None,
    until_exit: bool = False,
    quiet: bool = False,
) -> str:
    """Boots, waits for until, types send's commands; returns the console text (up to the
    emulator's own exit with until_exit: a guest power-off ends it)."""
    from tools import emulators
    from tools.emulators.base import EmulatorExited

    logdir.mkdir(parents=True, exist_ok=True)
    cmdline = NO_IOMMU_CMDLINE if setup.emulator == "bochs" else ""
    if quiet:
        # Plinth's log costs UART time (thousands of instructions a character in Bochs): the
        # boot path is measured without it.
        cmdline += " quiet"
    iso = image.cached_iso(ELF, modules=modules, cmdline=cmdline)
    logs.link_iso(iso, logdir)
    emu = emulators.create(
        setup.emulator, iso, logdir, cpu_model=setup.cpu_model, cpus=setup.cpus, memory_mib=setup.memory_mib
    )
    with emu:
        emu.wait_for(until, timeout=timeout)
        for command, expect in send or []:
            emu.send(command + "\r")
            emu.wait_for(expect, timeout=timeout)
        if until_exit:
            try:
                emu.wait_for(r"a line nobody prints", timeout=timeout)
            except EmulatorExited:
                pass
        else:
            time.sleep(1)
        return emu.output


def roundtrips(setup: Setup) -> tuple[dict[str, dict[str, int]], int, dict[str, int | None]]:
    out = _boot(setup, BUILD / "bench" / "guest", [(GUEST, "checks=bench")], hvabi.GUEST_SUMMARY_RE, 300, quiet=True)
    raw = {m["name"]: (int(m["min"]), int(m["median"])) for m in cp.GUEST_BENCH.finditer(out)}
    if "baseline" not in raw:
        raise PlinthError("the benchmark guest printed no measurements; see build/bench/guest/console.log.")
    base_min, base_median = raw.pop("baseline")
    trips = {
        name: {"min": lo, "median": med, "net_min": lo - base_min, "net_median": med - base_median}
        for name, (lo, med) in raw.items()
    }
    trips["baseline"] = {"min": base_min, "median": base_median}
    boot = cp.BOOT_PATH.search(out)
    foot = cp.FOOTPRINT.search(out)
    footprint = {
        "image_file_bytes": ELF.stat().st_size,
        "reserved_kib": int(foot["reserved"]) if foot else None,
        "image_kib": int(foot["image"]) if foot else None,
        "pool_used_kib": int(foot["used"]) if foot else None,
        "ept_tables_kib": int(foot["ept"]) if foot else None,
        "vtd_tables_kib": int(foot["vtd"]) if foot else None,
    }
    return trips, int(boot["ticks"]) if boot else -1, footprint


def linux_boot(setup: Setup) -> dict[str, Any]:
    kernel, initrd = linux.guest_files(None, None)
    mods = [(kernel, linux.guest_cmdline()), (initrd, "")]
    runs = {}
    for idle in (0, IDLE_S):
        commands = [("echo uptime=$(cut -d' ' -f1 /proc/uptime)", r"uptime=[\d.]+\r?\n")]
        if idle:
            commands.append((f"sleep {idle}; echo uptime=$(cut -d' ' -f1 /proc/uptime)", r"uptime=[\d.]+\r?\n"))
        commands.append(("poweroff -f", r"reboot: Power down"))
        out = _boot(
            setup,
            BUILD / "bench" / f"linux-idle{idle}",
            mods,
            re.escape(linux.GUEST_PROMPT),
            900,
            commands,
            until_exit=True,
        )
        stats = exitstats.parse(out)
        ups = [float(m["up"]) for m in UPTIME_RE.finditer(out)]
        runs[idle] = (stats, ups)
    stats0, ups0 = runs[0]
    stats1, ups1 = runs[IDLE_S]
    total0 = sum(sum(v.values()) for v in stats0.values())
    total1 = sum(sum(v.values()) for v in stats1.values())
    guest_idle_s = (ups1[-1] - ups1[0]) if len(ups1) >= 2 else float(IDLE_S)
    by_reason: dict[str, int] = {}
    for v in stats0.values():
        for reason, n in v.items():
            by_reason[reason] = by_reason.get(reason, 0) + n
    return {
        "exits_by_reason": by_reason,
        "exits_by_vcpu": stats0,
        "boot_exits_total": total0,
        "idle_guest_seconds": guest_idle_s,
        "idle_exits_per_s": round((total1 - total0) / guest_idle_s, 1) if guest_idle_s else None,
    }


def commit() -> str:
    res = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return res.stdout.strip() or "unknown"


def run(setup: Setup, with_linux: bool = True) -> dict[str, Any]:
    trips, boot_path, footprint = roundtrips(setup)
    results: dict[str, Any] = {
        "emulator": setup.emulator,
        "cpu_model": setup.cpu_model,
        "cpus": setup.cpus,
        "memory_mib": setup.memory_mib,
        "commit": commit(),
        "unit": setup.unit,
        "roundtrips": trips,
        "boot_path": boot_path,
        "footprint": footprint,
    }
    results["linux"] = linux_boot(setup) if with_linux else {"idle_exits_per_s": None}
    results["goals"] = []
    for name, unit, target, value in GOALS:
        try:
            v = value(results)
        except (KeyError, TypeError):
            v = None
        results["goals"].append(
            {"goal": name, "unit": unit, "target": target, "value": v, "met": v is not None and v <= target}
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    return results


def render(r: dict[str, Any]) -> str:
    lines = [
        f"Plinth {r['commit']} on {r['emulator']} ({r['cpu_model']}, {r['cpus']} CPUs, {r['memory_mib']} MiB); "
        f"unit: {r['unit']}",
        "",
        f"{'round trip':<12} {'min':>8} {'median':>8} {'net min':>8} {'net median':>10}",
    ]
    for name, t in r["roundtrips"].items():
        if name != "baseline":
            lines.append(f"{name:<12} {t['min']:>8} {t['median']:>8} {t['net_min']:>8} {t['net_median']:>10}")
    b = r["roundtrips"]["baseline"]
    lines.append(f"{'(baseline)':<12} {b['min']:>8} {b['median']:>8}")
    f = r["footprint"]
    lines += [
        "",
        f"boot path: {r['boot_path']} ticks from Plinth's first instruction to VM entry",
        f"footprint: ELF {f['image_file_bytes'] // 1024} KiB; reserved {f['reserved_kib']} KiB (image "
        f"{f['image_kib']} KiB), pool used {f['pool_used_kib']} KiB, EPT {f['ept_tables_kib']} KiB, "
        f"VT-d {f['vtd_tables_kib']} KiB",
    ]
    lx = r["linux"]
    if lx.get("exits_by_reason"):
        lines += ["", f"Linux boot to shell and power-off: {lx['boot_exits_total']} VM exits"]
        for reason, n in sorted(lx["exits_by_reason"].items(), key=lambda kv: -kv[1]):
            lines.append(f"  {reason:<22} {n:>8}")
        lines.append(
            f"idle shell: {lx['idle_exits_per_s']} exits per second of guest time "
            f"(over {lx['idle_guest_seconds']:.1f} s)"
        )
    lines += ["", "goals:"]
    for g in r["goals"]:
        verdict = "met" if g["met"] else ("not measured" if g["value"] is None else "NOT met")
        lines.append(f"  {g['goal']:<42} target <= {g['target']} {g['unit']}: {g['value']} ({verdict})")
    return "\n".join(lines)


def compare(new: dict[str, Any], old: dict[str, Any]) -> str:
    """Ratios new/old for every figure both runs have (below 1.0 is better for all of them)."""
    lines = [f"ratios new/old ({new.get('commit')} vs {old.get('commit')}):"]

    def ratio(a: Any, b: Any) -> str:
        return f"{a / b:.3f}" if isinstance(a, int | float) and isinstance(b, int | float) and b else "n/a"

    for name, t in new["roundtrips"].items():
        if name != "baseline" and name in old.get("roundtrips", {}):
            lines.append(f"  round trip {name:<8} {ratio(t['net_min'], old['roundtrips'][name].get('net_min'))}")
    lines.append(f"  boot path           {ratio(new['boot_path'], old.get('boot_path'))}")
    lines.append(
        f"  reserved memory     {ratio(new['footprint']['reserved_kib'], old.get('footprint', {}).get('reserved_kib'))}"
    )
    lines.append(
        f"  Linux boot exits    {ratio(new['linux'].get('boot_exits_total'), old.get('linux', {}).get('boot_exits_total'))}"
    )
    return "\n".join(lines)
