"""`tools/plinth bench`: Plinth's performance figures from one command anyone can rerun.

- exit round trips (CPUID, VMCALL, an emulated I/O port, an intercepted MSR read, a CR0
  write Plinth owns) measured by the test guest's `bench` check, minus the measurement's own
  cost (a non-exiting instruction); in Bochs a TSC tick is one retired instruction;
- the boot path (TSC from Plinth's first instruction to VM entry) and the footprint;
- a Linux boot: VM exits by reason from reset to the shell and power-off, Plinth's share of
  the vCPUs' time (the TSC ticks from each exit to the next VM entry, summed per reason by
  Plinth, against each vCPU's time since its launch), and exits per second of guest time while
  the shell idles (two boots: idle 0 s and idle IDLE_S seconds);
- scaling: the boot path to the first guest instruction for each CPU count, and whether it
  grows at most linearly;
- partitions: configs/two-guests.toml booted, what Plinth's pool holds for each VM (EPT, vCPUs
  with their VMCS, exit bitmaps, VM state) and the boot path with two VMs;
- a device interrupt (issue 16): configs/e1000-irq.toml, a partition owning Bochs's e1000, raises
  the card's INTx through its I/O APIC pin (the test guest's bench_irq check): instructions from
  the ICS write to the handler and for the whole round trip, net of the same path raised by a
  software INT, and the VM exits per interrupt by reason.

Results go to build/bench/results.json; the goals are printed with the figures; --compare
OLD.json prints the ratios of every figure both runs have.
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
from tools import exitstats, hvabi, image, linux, logs, vmcs
from tools.emulators.bochs import BOCHS_MODELS, NO_IOMMU_CMDLINE
from tools.errors import PlinthError
from tools.paths import BUILD, ELF, ROOT

GUEST = BUILD / "guests" / "testguest.bin"
PARTITIONS = ROOT / "configs" / "two-guests.toml"
IRQ_CONFIG = ROOT / "configs" / "e1000-irq.toml"
E1000_MAC = "52:54:00:12:34:56"
RESULTS = BUILD / "bench" / "results.json"
# What the shell prints for the command bench types (not a Plinth line: see linux_boot).
UPTIME_RE = re.compile(r"uptime=(?P<up>[\d.]+)")
# Shell builtins only (ash's read): a program the shell starts costs CPUID exits (its C library
# looks at the CPU), which would count as the boot's or the idle shell's. poweroff is the one
# program either boot runs.
UPTIME_CMD = "read up rest </proc/uptime; echo uptime=$up"
UPTIME_EXPECT = r"uptime=[\d.]+\r?\n"
IDLE_S = 20


def _trip(name: str) -> Any:
    return lambda r: r["roundtrips"][name]["net_min"]


# Goals (issues 9 and 17): (name, unit, target, how to read the value from results). Met when the
# value is at or under the target; the boot share's target is "under" (GOALS_STRICT).
GOALS = [
    ("CPUID round trip", "instructions", 100, _trip("cpuid")),
    ("VMCALL round trip", "instructions", 110, _trip("vmcall")),
    ("emulated I/O port (test device)", "instructions", 120, _trip("io")),
    ("intercepted MSR read", "instructions", 100, _trip("msr")),
    ("CR0 write Plinth owns", "instructions", 150, _trip("cr")),
    ("boot path to the first guest instruction", "instructions", 5_000_000, lambda r: r["boot_path"]),
    ("reserved memory, 2 CPUs, 512 MiB guest", "KiB", 8 * 1024, lambda r: r["footprint"]["reserved_kib"]),
    ("Linux boot, VM exits from reset to shell", "exits", 1_500, lambda r: r["linux"]["boot_exits_total"]),
    ("exits per second while Linux idles", "exits/s", 0, lambda r: r["linux"]["idle_exits_per_s"]),
    ("share of the Linux boot spent in Plinth", "%", 0.5, lambda r: r["linux"]["plinth_share_pct"]),
    ("boot path growth with the CPU count", "x linear", 1.0, lambda r: r["scaling"]["growth"]),
]
GOALS_STRICT = {"share of the Linux boot spent in Plinth"}
SCALING_CPUS = list(range(1, 9))


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
    e1000_mac: str | None = None,
) -> str:
    """Boots, waits for until, types send's commands; returns the console text (up to the
    emulator's own exit with until_exit: a guest power-off ends it). e1000_mac plugs Bochs's
    e1000 into PCI slot 1."""
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
    extra = {"e1000_mac": e1000_mac} if e1000_mac else {}
    emu = emulators.create(
        setup.emulator, iso, logdir, cpu_model=setup.cpu_model, cpus=setup.cpus, memory_mib=setup.memory_mib, **extra
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
    runs_out = {}
    # Both boots run the same program (poweroff) and builtins; the idle one waits IDLE_S
    # seconds in the shell's read (a timeout on the console nobody types on).
    for idle in (0, IDLE_S):
        commands = [
            (UPTIME_CMD, UPTIME_EXPECT),
            (f"read -t {idle} x; {UPTIME_CMD}" if idle else UPTIME_CMD, UPTIME_EXPECT),
            ("poweroff -f", r"reboot: Power down"),
        ]
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
        runs_out[idle] = out
    stats0, ups0 = runs[0]
    stats1, ups1 = runs[IDLE_S]
    total0 = sum(sum(v.values()) for v in stats0.values())
    total1 = sum(sum(v.values()) for v in stats1.values())
    guest_idle_s = idle_seconds(ups0, ups1)
    share = plinth_share(runs_out[0])
    return {
        "exits_by_reason": by_reason(stats0),
        "exits_by_vcpu": stats0,
        "boot_exits_total": total0,
        "ticks_by_reason": share["ticks_by_reason"],
        "plinth_ticks": share["plinth_ticks"],
        "vcpu_ticks": share["vcpu_ticks"],
        "plinth_share_pct": share["share_pct"],
        "idle_guest_seconds": guest_idle_s,
        "idle_exits_per_s": round((total1 - total0) / guest_idle_s, 1) if guest_idle_s else None,
        "idle_exits_by_reason": {
            reason: n - by_reason(stats0).get(reason, 0)
            for reason, n in by_reason(stats1).items()
            if n != by_reason(stats0).get(reason, 0)
        },
    }


def idle_seconds(ups0: list[float], ups1: list[float]) -> float:
    """Guest seconds the longer sleep added: the uptime span of the idle boot's two commands
    minus that of the boot without a sleep (IDLE_S when the uptimes are missing)."""
    if len(ups0) < 2 or len(ups1) < 2:
        return float(IDLE_S)
    return round((ups1[-1] - ups1[0]) - (ups0[-1] - ups0[0]), 2)


def by_reason(stats: dict[str, dict[str, int]]) -> dict[str, int]:
    """Exits (or ticks) of every vCPU summed per reason."""
    out: dict[str, int] = {}
    for v in stats.values():
        for reason, n in v.items():
            out[reason] = out.get(reason, 0) + n
    return out


def plinth_share(console: str) -> dict[str, Any]:
    """Plinth's part of the vCPUs' time in the last exit report of console: its ticks per exit
    reason (exit to next VM entry), their sum, the vCPUs' ticks since their launch, and the
    share in percent (None without the tick figures: a Plinth from before they existed)."""
    ticks = exitstats.parse(console, "ticks")
    vcpus = exitstats.vcpu_ticks(console)
    plinth = sum(p for p, _ in vcpus.values())
    since = sum(t for _, t in vcpus.values())
    return {
        "ticks_by_reason": by_reason(ticks),
        "plinth_ticks": plinth,
        "vcpu_ticks": since,
        "share_pct": round(100 * plinth / since, 4) if since else None,
    }


def scaling_verdict(boot_paths: dict[int, int]) -> dict[str, Any]:
    """How the boot path grows with the CPU count: the ticks each further CPU adds, and growth =
    the mean step of the upper half of the counts over that of the lower half (1.0: every CPU
    adds the same, linear; above 1.0 the steps grow, faster than linear). At most linear when
    growth <= 1.0 within GROWTH_NOISE (SMP interleaving in Bochs moves the figures a little)."""
    counts = sorted(boot_paths)
    steps = [boot_paths[b] - boot_paths[a] for a, b in zip(counts, counts[1:], strict=False)]
    per_cpu = [round(st / (b - a)) for st, a, b in zip(steps, counts, counts[1:], strict=False)]
    growth = None
    if len(per_cpu) >= 2:
        half = len(per_cpu) // 2
        low, high = per_cpu[:half], per_cpu[-half:]
        mean_low = sum(low) / len(low)
        growth = round((sum(high) / len(high)) / mean_low, 2) if mean_low > 0 else None
    return {
        "boot_paths": {str(n): boot_paths[n] for n in counts},
        "added_per_cpu": {str(b): p for b, p in zip(counts[1:], per_cpu, strict=False)},
        "growth": growth,
        "linear": growth is not None and growth <= 1.0 + GROWTH_NOISE,
    }


GROWTH_NOISE = 0.25


def scaling(setup: Setup, counts: list[int]) -> dict[str, Any]:
    """The boot path to the first guest instruction with each CPU count (quiet boots of the
    benchmark guest: Plinth's log would time the UART)."""
    paths = {}
    for n in counts:
        one = Setup(setup.emulator, setup.cpu_model, n, setup.memory_mib)
        out = _boot(
            one, BUILD / "bench" / f"scaling-{n}", [(GUEST, "checks=cpuid")], hvabi.GUEST_SUMMARY_RE, 600, quiet=True
        )
        boot = cp.BOOT_PATH.search(out)
        if not boot:
            raise PlinthError(f"the {n}-CPU boot printed no boot path; see build/bench/scaling-{n}/console.log.")
        paths[n] = int(boot["ticks"])
    return scaling_verdict(paths)


def pool_costs(console: str) -> dict[str, dict[str, int]]:
    """Per VM of a configuration, what Plinth's pool holds for it (its VM_POOL_COST line)."""
    return {
        m["vm"]: {k: int(m[k]) for k in ("kib", "ept", "vcpus", "vmcs", "state", "vm_state")}
        for m in cp.VM_POOL_COST.finditer(console)
    }


def _boot_config(setup: Setup, path: Path, logname: str, until: str | re.Pattern[str], **kw: Any) -> str:
    """A boot of configuration path on 2 CPUs (logs in build/bench/logname); kw go to _boot."""
    from tools import vmconfig

    config = vmconfig.load(path)
    logdir = BUILD / "bench" / logname
    logdir.mkdir(parents=True, exist_ok=True)
    blob = vmconfig.write_blob(config, logdir / "vms.blob")
    two = Setup(setup.emulator, setup.cpu_model, 2, setup.memory_mib)
    return _boot(two, logdir, [(blob, vmconfig.MODULE_WORD), *config.modules()], until, 300, **kw)


def partitions(setup: Setup) -> dict[str, Any]:
    """configs/two-guests.toml on 2 CPUs: each VM's pool cost and the boot path with both."""
    out = _boot_config(setup, PARTITIONS, "partitions", cp.BOOT_PATH.regex)
    costs = pool_costs(out)
    boot = cp.BOOT_PATH.search(out)
    if not costs:
        raise PlinthError("the configuration's boot printed no VM's pool cost; see build/bench/partitions/console.log.")
    return {"config": PARTITIONS.name, "vms": costs, "boot_path": int(boot["ticks"]) if boot else None}


# The bench_irq check's timed figures (checks_bench_irq.c), as render() names them.
IRQ_FIGURES = {"entry": "ICS write to handler", "trip": "whole round trip", "eoi": "EOI write"}


def device_irq_figures(console: str) -> dict[str, Any]:
    """The bench_irq check's figures from its console: entry (ICS write to the handler's first
    instruction), trip (the whole round trip) and eoi (the handler's EOI write) with their
    software-INT baselines and the net figures, the route the VM found, and the exits per
    interrupt by reason name."""
    checks = hvabi.guest_checks(console)
    result, detail = checks.get("bench_irq", ("missing", None))
    if result != "pass":
        raise PlinthError(f"the bench_irq check did not pass ({result}: {detail}); see its console.log.")
    raw = {m["name"]: (int(m["min"]), int(m["median"])) for m in cp.GUEST_BENCH.finditer(console)}
    exits = cp.GUEST_BENCH_IRQ_EXITS.search(console)
    route = cp.GUEST_BENCH_IRQ_ROUTE.search(console)
    if not exits or not route or not {f"irq_{k}{n}" for k in ("", "soft_") for n in IRQ_FIGURES} <= set(raw):
        raise PlinthError("the bench_irq check printed no measurements; see its console.log.")
    out: dict[str, Any] = {}
    for name in IRQ_FIGURES:
        (lo, med), (base_lo, base_med) = raw[f"irq_{name}"], raw[f"irq_soft_{name}"]
        out[name] = {
            "min": lo,
            "median": med,
            "soft_min": base_lo,
            "soft_median": base_med,
            "net_min": lo - base_lo,
            "net_median": med - base_med,
        }
    n = int(exits["interrupts"])
    by_reason = {}
    if exits["reasons"] != " none":
        for item in exits["reasons"].split():
            reason, _, count = item.partition("=")
            by_reason[vmcs.exit_reason_name(int(reason))] = int(count)
    out["interrupts"] = n
    out["exits_total"] = int(exits["total"])
    out["exits_per_interrupt"] = round(int(exits["total"]) / n, 2) if n else None
    out["exits_by_reason"] = by_reason
    out["route"] = {
        k: route[k] for k in ("bdf", "intx", "line", "gsi", "pin", "trigger", "polarity", "vector", "apic_id")
    }
    return out


def device_irq(setup: Setup) -> dict[str, Any]:
    """configs/e1000-irq.toml on 2 CPUs with Bochs's e1000: the bench_irq check's figures."""
    out = _boot_config(setup, IRQ_CONFIG, "device-irq", hvabi.GUEST_SUMMARY_RE, quiet=True, e1000_mac=E1000_MAC)
    return {"config": IRQ_CONFIG.name} | device_irq_figures(out)


def commit() -> str:
    res = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return res.stdout.strip() or "unknown"


def goals(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every goal with its target, the measured value (None when not measured) and whether it
    is met."""
    out = []
    for name, unit, target, value in GOALS:
        try:
            v = value(results)
        except (KeyError, TypeError):
            v = None
        met = v is not None and (v < target if name in GOALS_STRICT else v <= target)
        out.append({"goal": name, "unit": unit, "target": target, "value": v, "met": met})
    return out


def run(setup: Setup, with_linux: bool = True, scaling_cpus: list[int] | None = None) -> dict[str, Any]:
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
    results["scaling"] = scaling(setup, scaling_cpus) if scaling_cpus else {}
    results["partitions"] = partitions(setup) if setup.emulator == "bochs" else {}
    # Seconds of Bochs (one quiet boot of a test guest): always measured.
    results["device_irq"] = device_irq(setup) if setup.emulator == "bochs" else {}
    results["goals"] = goals(results)
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
        ticks = lx.get("ticks_by_reason") or {}
        lines += [
            "",
            f"Linux boot to shell and power-off (shell builtins and poweroff only): {lx['boot_exits_total']} VM exits",
        ]
        lines.append(f"  {'reason':<22} {'exits':>8} {'ticks in Plinth':>16} {'per exit':>9}")
        for reason, n in sorted(lx["exits_by_reason"].items(), key=lambda kv: -kv[1]):
            t = ticks.get(reason)
            per = f"{t / n:>9.0f}" if t is not None and n else f"{'':>9}"
            lines.append(f"  {reason:<22} {n:>8} {t if t is not None else '':>16} {per}")
        if lx.get("plinth_share_pct") is not None:
            lines.append(
                f"Plinth's share of the boot: {lx['plinth_ticks']} of {lx['vcpu_ticks']} vCPU ticks "
                f"(each vCPU from its launch to power-off) = {lx['plinth_share_pct']:.3f}%"
            )
        lines.append(
            f"idle shell: {lx['idle_exits_per_s']} exits per second of guest time "
            f"(over {lx['idle_guest_seconds']:.1f} s)"
            + (
                ": " + ", ".join(f"{k} {v}" for k, v in sorted(lx["idle_exits_by_reason"].items()))
                if lx.get("idle_exits_by_reason")
                else ""
            )
        )
    sc = r.get("scaling") or {}
    if sc.get("boot_paths"):
        lines += ["", f"{'CPUs':>4} {'boot path':>12} {'added per CPU':>14}"]
        for n, ticks_n in sc["boot_paths"].items():
            lines.append(f"{n:>4} {ticks_n:>12} {sc['added_per_cpu'].get(n, ''):>14}")
        lines.append(
            f"growth (later steps over earlier ones): {sc['growth']}: "
            + ("at most linear" if sc["linear"] else "FASTER than linear")
        )
    pt = r.get("partitions") or {}
    if pt.get("vms"):
        lines += ["", f"partitions ({pt['config']}, boot path {pt['boot_path']} ticks): Plinth's pool per VM"]
        lines.append(f"  {'VM':<16} {'KiB':>5} {'EPT':>5} {'vCPUs':>5} {'VMCS':>5} {'vCPU state':>10} {'VM state':>8}")
        for name, c in pt["vms"].items():
            lines.append(
                f"  {name:<16} {c['kib']:>5} {c['ept']:>5} {c['vcpus']:>5} {c['vmcs']:>5} {c['state']:>10} "
                f"{c['vm_state']:>8}"
            )
    di = r.get("device_irq") or {}
    if di.get("entry"):
        rt = di["route"]
        lines += [
            "",
            f"device interrupt (e1000 INTx, partition; {di['config']}): {di['interrupts']} interrupts, PCI "
            f"{rt['bdf']} INT{rt['intx']} GSI {rt['gsi']} ({rt['trigger']}, {rt['polarity']}) at vector {rt['vector']}",
            f"  {'':<24} {'min':>8} {'median':>8} {'INT min':>8} {'INT median':>10} {'net min':>8} {'net median':>10}",
        ]
        for key, what in IRQ_FIGURES.items():
            t = di[key]
            lines.append(
                f"  {what:<24} {t['min']:>8} {t['median']:>8} {t['soft_min']:>8} {t['soft_median']:>10} "
                f"{t['net_min']:>8} {t['net_median']:>10}"
            )
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(di["exits_by_reason"].items(), key=lambda kv: -kv[1]))
        lines += [
            f"  VM exits per interrupt: {di['exits_per_interrupt']}"
            + (f" ({reasons} in {di['interrupts']} interrupts)" if reasons else ""),
            "  (INT: the same path raised by a software INT, with a store to memory for the EOI; net = the difference)",
        ]
    lines += ["", "goals:"]
    for g in r["goals"]:
        verdict = "met" if g["met"] else ("not measured" if g["value"] is None else "NOT met")
        op = "<" if g["goal"] in GOALS_STRICT else "<="
        lines.append(f"  {g['goal']:<42} target {op} {g['target']} {g['unit']}: {g['value']} ({verdict})")
    return "\n".join(lines)


def _figures(r: dict[str, Any]) -> dict[str, Any]:
    """The figures compare() sets side by side, by name."""
    lx = r.get("linux") or {}
    out: dict[str, Any] = {
        f"round trip {name}": t.get("net_min") for name, t in r.get("roundtrips", {}).items() if name != "baseline"
    }
    out["boot path"] = r.get("boot_path")
    out["reserved memory"] = (r.get("footprint") or {}).get("reserved_kib")
    out["Linux boot exits"] = lx.get("boot_exits_total")
    for reason, n in sorted((lx.get("exits_by_reason") or {}).items()):
        out[f"  {reason}"] = n
    out["Linux idle exits/s"] = lx.get("idle_exits_per_s")
    out["Plinth share %"] = lx.get("plinth_share_pct")
    for n, ticks in ((r.get("scaling") or {}).get("boot_paths") or {}).items():
        out[f"boot path {n} CPUs"] = ticks
    di = r.get("device_irq") or {}
    out["device interrupt entry"] = (di.get("entry") or {}).get("net_min")
    out["device interrupt round trip"] = (di.get("trip") or {}).get("net_min")
    out["device interrupt EOI"] = (di.get("eoi") or {}).get("net_min")
    out["device interrupt exits"] = di.get("exits_per_interrupt")
    return out


def compare(new: dict[str, Any], old: dict[str, Any]) -> str:
    """Every figure either run has, old -> new with the ratio new/old (below 1.0 is better for
    all of them); a figure only one run has shows n/a."""
    lines = [f"changes ({old.get('commit')} -> {new.get('commit')}):"]

    def ratio(a: Any, b: Any) -> str:
        return f"{a / b:.3f}" if isinstance(a, int | float) and isinstance(b, int | float) and b else "n/a"

    fn, fo = _figures(new), _figures(old)
    names = list(fn) + [k for k in fo if k not in fn]
    width = max(len(k) for k in names)
    for name in names:
        a, b = fn.get(name), fo.get(name)
        if a is None and b is None:
            continue
        lines.append(
            f"  {name:<{width}} {b if b is not None else 'n/a':>10} -> {a if a is not None else 'n/a':>10}  "
            f"{ratio(a, b)}"
        )
    return "\n".join(lines)
