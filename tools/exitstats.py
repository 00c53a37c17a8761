"""VM exit statistics from a console log, as a table.

Plinth prints them when a VM stops, when the guest powers off, and on the monitor's `stats`:
a header line per vCPU, then one line per exit reason. `tools/plinth exits LOG` shows the
last such report as reasons by vCPU.
"""

from __future__ import annotations

import re

from tools import consoleproto as cp


def _reports(console: str) -> list[dict[str, tuple[re.Match[str], dict[str, re.Match[str]]]]]:
    """Every report in console: per vCPU its header match and its reason lines' matches."""
    reports: list[dict[str, tuple[re.Match[str], dict[str, re.Match[str]]]]] = []
    current: dict[str, re.Match[str]] | None = None
    for line in console.replace("\r", "").splitlines():
        m = cp.EXIT_STATS_VCPU.regex.match(line)
        if m:
            key = f"{m['vm']} vCPU {m['vcpu']}"
            if not reports or key in reports[-1]:
                reports.append({})  # a vCPU seen again starts a new report
            current = {}
            reports[-1][key] = (m, current)
            continue
        r = cp.EXIT_STATS_REASON.regex.match(line)
        if r and current is not None:
            current[r["reason"]] = r
        else:
            current = None
    return reports


def parse(console: str, field: str = "count") -> dict[str, dict[str, int]]:
    """The last report in console: {"vm0 vCPU 0": {"CPUID": 12, ...}, ...}; field "ticks" gives
    Plinth's TSC ticks per reason instead of the exit counts (reasons without them are left out)."""
    reports = _reports(console)
    if not reports:
        return {}
    return {
        key: {reason: int(r[field]) for reason, r in lines.items() if r[field] is not None}
        for key, (_, lines) in reports[-1].items()
    }


def vcpu_ticks(console: str) -> dict[str, tuple[int, int]]:
    """The last report's (ticks in Plinth, ticks since the vCPU's launch) per vCPU, for the
    vCPUs whose header has them."""
    reports = _reports(console)
    if not reports:
        return {}
    return {key: (int(m["plinth"]), int(m["since"])) for key, (m, _) in reports[-1].items() if m["plinth"] is not None}


def table(stats: dict[str, dict[str, int]]) -> str:
    """Reasons as rows (most frequent first), vCPUs as columns, with totals."""
    if not stats:
        return "no VM exit statistics in this log"
    cols = list(stats)
    reasons = sorted({r for s in stats.values() for r in s}, key=lambda r: -sum(s.get(r, 0) for s in stats.values()))
    width = max([len("reason"), *map(len, reasons)])
    colw = [max(len(c), 10) for c in cols]
    lines = [
        f"{'reason':<{width}}  " + "  ".join(f"{c:>{w}}" for c, w in zip(cols, colw, strict=True)) + f"  {'total':>10}"
    ]
    for r in reasons:
        counts = [stats[c].get(r, 0) for c in cols]
        lines.append(
            f"{r:<{width}}  "
            + "  ".join(f"{n:>{w}}" for n, w in zip(counts, colw, strict=True))
            + f"  {sum(counts):>10}"
        )
    totals = [sum(stats[c].values()) for c in cols]
    lines.append(
        f"{'all':<{width}}  "
        + "  ".join(f"{n:>{w}}" for n, w in zip(totals, colw, strict=True))
        + f"  {sum(totals):>10}"
    )
    return "\n".join(lines)
