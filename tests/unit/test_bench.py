"""The benchmark's parsing, goals and comparison (the measurements themselves are not tested
for speed: benchmarks print numbers, tests assert behaviour)."""

from __future__ import annotations

from tools import bench
from tools import consoleproto as cp

GUEST_OUT = """plinth: footprint: reserved 6144 KiB (image 228 KiB, pool 5916 KiB), pool used 52 KiB, EPT 24 KiB, VT-d 0 KiB
plinth: boot path: 1234567 TSC ticks from Plinth's first instruction to VM entry
guest: info bench baseline min=8 median=9 runs=101
guest: info bench cpuid min=286 median=290 runs=101
"""


def results(cpuid_net: int = 278, boot: int = 1234567) -> dict:
    return {
        "commit": "abc",
        "roundtrips": {
            "cpuid": {"min": cpuid_net + 8, "median": cpuid_net + 9, "net_min": cpuid_net, "net_median": cpuid_net},
            "baseline": {"min": 8, "median": 9},
        },
        "boot_path": boot,
        "footprint": {"reserved_kib": 6144},
        "linux": {"boot_exits_total": 1000, "idle_exits_per_s": 12.5},
    }


def test_bench_lines_parse() -> None:
    raw = {m["name"]: (int(m["min"]), int(m["median"])) for m in cp.GUEST_BENCH.finditer(GUEST_OUT)}
    assert raw == {"baseline": (8, 9), "cpuid": (286, 290)}
    boot = cp.BOOT_PATH.search(GUEST_OUT)
    assert boot and boot["ticks"] == "1234567"
    foot = cp.FOOTPRINT.search(GUEST_OUT)
    assert foot and foot["reserved"] == "6144" and foot["used"] == "52"


def test_goals_read_their_figures() -> None:
    r = results()
    values = {name: value(r) for name, _, _, value in bench.GOALS}
    assert values["CPUID round trip"] == 278
    assert values["reserved memory, 2 CPUs, 512 MiB guest"] == 6144
    assert values["exits per second while Linux idles"] == 12.5


def test_compare_prints_ratios() -> None:
    out = bench.compare(results(cpuid_net=139, boot=617283), results())
    assert "round trip cpuid    0.500" in out
    assert "boot path           0.500" in out
    assert "reserved memory     1.000" in out
