"""The benchmark's parsing, goals and comparison (the measurements themselves are not tested
for speed: benchmarks print numbers, tests assert behaviour)."""

from __future__ import annotations

import pytest

from tools import bench
from tools import consoleproto as cp
from tools.errors import PlinthError

GUEST_OUT = """plinth: footprint: reserved 6144 KiB (image 228 KiB, pool 5916 KiB), pool used 52 KiB, EPT 24 KiB, VT-d 0 KiB
plinth: boot path: 1234567 TSC ticks from Plinth's first instruction to VM entry
guest: info bench baseline min=8 median=9 runs=101
guest: info bench cpuid min=286 median=290 runs=101
"""


def results(cpuid_net: int = 278, boot: int = 1234567, exits: int = 1000, share: float | None = 0.25) -> dict:
    def trip(net: int) -> dict:
        return {"min": net + 8, "median": net + 9, "net_min": net, "net_median": net}

    return {
        "commit": "abc",
        "emulator": "bochs",
        "cpu_model": "corei7_haswell_4770",
        "cpus": 2,
        "memory_mib": 512,
        "unit": "instructions",
        "roundtrips": {
            "cpuid": trip(cpuid_net),
            "vmcall": trip(105),
            "io": trip(121),
            "msr": trip(90),
            "cr": trip(150),
            "baseline": {"min": 8, "median": 9},
        },
        "boot_path": boot,
        "footprint": {
            "image_file_bytes": 700_000,
            "reserved_kib": 6144,
            "image_kib": 304,
            "pool_used_kib": 96,
            "ept_tables_kib": 24,
            "vtd_tables_kib": 0,
        },
        "linux": {
            "boot_exits_total": exits,
            "exits_by_reason": {"CPUID": exits - 100, "IO_INSTRUCTION": 100},
            "ticks_by_reason": {"CPUID": (exits - 100) * 120, "IO_INSTRUCTION": 100 * 300},
            "plinth_ticks": 12345,
            "vcpu_ticks": 4938000,
            "plinth_share_pct": share,
            "idle_guest_seconds": 20.0,
            "idle_exits_per_s": 12.5,
            "idle_exits_by_reason": {"EPT_VIOLATION": 250},
        },
        "scaling": bench.scaling_verdict({1: 1000, 2: 1100, 3: 1200, 4: 1300}),
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
    assert values["VMCALL round trip"] == 105
    assert values["emulated I/O port (test device)"] == 121
    assert values["intercepted MSR read"] == 90
    assert values["CR0 write Plinth owns"] == 150
    assert values["reserved memory, 2 CPUs, 512 MiB guest"] == 6144
    assert values["Linux boot, VM exits from reset to shell"] == 1000
    assert values["exits per second while Linux idles"] == 12.5
    assert values["share of the Linux boot spent in Plinth"] == 0.25
    assert values["boot path growth with the CPU count"] == 1.0


def test_goal_verdicts_at_under_and_over_the_target() -> None:
    met = {g["goal"]: g["met"] for g in bench.goals(results(cpuid_net=100, share=0.5))}
    assert met["CPUID round trip"]  # at the target: met
    assert not met["emulated I/O port (test device)"]  # 121 > 120
    assert met["CR0 write Plinth owns"]
    assert not met["share of the Linux boot spent in Plinth"]  # "under 0.5%": 0.5 is not
    assert not met["exits per second while Linux idles"]
    assert met["boot path growth with the CPU count"]


def test_goals_not_measured_without_linux() -> None:
    r = results()
    r["linux"] = {"idle_exits_per_s": None}
    r["scaling"] = {}
    by_name = {g["goal"]: g for g in bench.goals(r)}
    for name in ("Linux boot, VM exits from reset to shell", "share of the Linux boot spent in Plinth"):
        assert by_name[name]["value"] is None and not by_name[name]["met"]
    assert by_name["boot path growth with the CPU count"]["value"] is None
    assert "(not measured)" in bench.render({**r, "goals": bench.goals(r)})


def test_render_shows_goals_share_ticks_and_scaling() -> None:
    r = results(share=0.2468)
    out = bench.render({**r, "goals": bench.goals(r)})
    assert "CPUID round trip                           target <= 100 instructions: 278 (NOT met)" in out
    assert "share of the Linux boot spent in Plinth    target < 0.5 %: 0.2468 (met)" in out
    assert "Plinth's share of the boot: 12345 of 4938000 vCPU ticks" in out and "= 0.247%" in out
    cpuid = next(line for line in out.splitlines() if line.strip().startswith("CPUID "))
    assert cpuid.split() == ["CPUID", "900", "108000", "120"]
    assert "idle shell: 12.5 exits per second of guest time (over 20.0 s): EPT_VIOLATION 250" in out
    assert "   4         1300            100" in out
    assert "growth (later steps over earlier ones): 1.0: at most linear" in out


def test_scaling_verdict_linear_and_faster() -> None:
    linear = bench.scaling_verdict({1: 3_000_000, 2: 3_100_000, 4: 3_300_000, 8: 3_700_000})
    assert linear["added_per_cpu"] == {"2": 100_000, "4": 100_000, "8": 100_000}
    assert linear["growth"] == 1.0 and linear["linear"]
    # Each CPU adding more than the one before: quadratic growth.
    quadratic = bench.scaling_verdict({n: 1000 * n * n for n in range(1, 9)})
    assert quadratic["growth"] is not None and quadratic["growth"] > 2 and not quadratic["linear"]
    # Sublinear (later CPUs cheaper) is fine; one count alone has no verdict.
    assert bench.scaling_verdict({1: 100, 2: 300, 3: 400, 4: 450})["linear"]
    single = bench.scaling_verdict({2: 5})
    assert single["growth"] is None and not single["linear"]


def test_compare_prints_old_new_and_ratios() -> None:
    new = results(cpuid_net=139, boot=617283, exits=500)
    old = results()
    old["linux"]["plinth_share_pct"] = None
    del old["scaling"]
    out = bench.compare(new, old).splitlines()
    assert any(line.split() == ["round", "trip", "cpuid", "278", "->", "139", "0.500"] for line in out)
    assert any(line.split() == ["boot", "path", "1234567", "->", "617283", "0.500"] for line in out)
    assert any(line.split() == ["reserved", "memory", "6144", "->", "6144", "1.000"] for line in out)
    assert any(line.split() == ["Linux", "boot", "exits", "1000", "->", "500", "0.500"] for line in out)
    assert any(line.split() == ["CPUID", "900", "->", "400", "0.444"] for line in out)
    assert any(line.split() == ["Plinth", "share", "%", "n/a", "->", "0.25", "n/a"] for line in out)
    assert any(line.split() == ["boot", "path", "4", "CPUs", "n/a", "->", "1300", "n/a"] for line in out)


def test_idle_seconds_are_what_the_sleep_added() -> None:
    assert bench.idle_seconds([10.0, 10.5], [12.0, 32.7]) == 20.2
    assert bench.idle_seconds([], [1.0, 2.0]) == float(bench.IDLE_S)


def test_pool_costs_per_vm_from_plinths_lines_and_rendered() -> None:
    """Each VM's VM_POOL_COST line (formatted as Plinth's C does) becomes a row of the partitions
    table; a VM's figures stay its own."""
    console = "\n".join(
        cp.c_printf(cp.VM_POOL_COST.formats[0], name, kib, ept, 1, 4, 4, 4)
        for name, kib, ept in (("alpha", 44, 20), ("beta", 48, 24))
    )
    costs = bench.pool_costs(console)
    assert costs == {
        "alpha": {"kib": 44, "ept": 20, "vcpus": 1, "vmcs": 4, "state": 4, "vm_state": 4},
        "beta": {"kib": 48, "ept": 24, "vcpus": 1, "vmcs": 4, "state": 4, "vm_state": 4},
    }
    r = results(share=0.1)
    out = bench.render({**r, "goals": bench.goals(r), "partitions": {"config": "x.toml", "vms": costs, "boot_path": 7}})
    assert "partitions (x.toml, boot path 7 ticks): Plinth's pool per VM" in out
    assert [ln.split() for ln in out.splitlines() if ln.strip().startswith("beta")] == [
        ["beta", "48", "24", "1", "4", "4", "4"]
    ]


def irq_console(exit_items: str = " 48=101", check: str = "pass") -> str:
    """A bench_irq report as checks_bench_irq.c prints it in a partition (each line after the
    VM's prefix): route, the six timed figures, the exits, the check's result."""
    lines = [
        cp.c_printf(
            cp.GUEST_BENCH_IRQ_ROUTE.formats[0], 2, 0xC0000000, "A", 9, 9, 0xFEC00000, 9, "level", "active low", 0x40, 1
        ),
        *(
            cp.c_printf(cp.GUEST_BENCH.formats[0], name, lo, med, 101)
            for name, lo, med in (
                ("irq_soft_entry", 115, 115),
                ("irq_soft_trip", 180, 185),
                ("irq_soft_eoi", 5, 5),
                ("irq_entry", 115, 120),
                ("irq_trip", 6005, 6010),
                ("irq_eoi", 5825, 5825),
            )
        ),
        cp.c_printf(
            cp.GUEST_BENCH_IRQ_EXITS.formats[0],
            sum(int(item.partition("=")[2]) for item in exit_items.split() if "=" in item),
            101,
            exit_items,
        ),
        f"guest: check bench_irq: {check}",
    ]
    return "\n".join(f"[nic] {line}" for line in lines) + "\n"


def test_device_irq_figures_are_net_of_the_software_interrupt() -> None:
    """Each timed figure minus the same path raised by INT; exits by reason name, per interrupt;
    the route as the guest found it."""
    di = bench.device_irq_figures(irq_console())
    assert di["entry"] == {
        "min": 115,
        "median": 120,
        "soft_min": 115,
        "soft_median": 115,
        "net_min": 0,
        "net_median": 5,
    }
    assert di["trip"]["net_min"] == 5825 and di["trip"]["net_median"] == 5825
    assert di["eoi"]["net_min"] == 5820
    assert di["interrupts"] == 101 and di["exits_total"] == 101 and di["exits_per_interrupt"] == 1.0
    assert di["exits_by_reason"] == {"EPT_VIOLATION": 101}
    assert di["route"] == {
        "bdf": "00:02.0",
        "intx": "A",
        "line": "9",
        "gsi": "9",
        "pin": "9",
        "trigger": "level",
        "polarity": "active low",
        "vector": "0x40",
        "apic_id": "1",
    }
    none = bench.device_irq_figures(irq_console(" none"))
    assert none["exits_by_reason"] == {} and none["exits_per_interrupt"] == 0.0


def test_device_irq_figures_refuse_a_failed_check_or_missing_lines() -> None:
    """A failed bench_irq check is one sentence with its reason, not figures; so is a report
    without its measurements."""
    with pytest.raises(PlinthError, match=r"did not pass \(fail: interrupt 1 of 101 never arrived\)"):
        bench.device_irq_figures(irq_console(check="fail: interrupt 1 of 101 never arrived"))
    with pytest.raises(PlinthError, match="did not pass \\(missing"):
        bench.device_irq_figures("")
    partial = "\n".join(ln for ln in irq_console().splitlines() if "irq_soft_eoi" not in ln)
    with pytest.raises(PlinthError, match="printed no measurements"):
        bench.device_irq_figures(partial)


def test_render_and_compare_show_the_device_interrupt() -> None:
    r = results(share=0.1)
    r["device_irq"] = {"config": "e1000-irq.toml"} | bench.device_irq_figures(irq_console(" 48=101 18=1"))
    out = bench.render({**r, "goals": bench.goals(r)})
    assert (
        "device interrupt (e1000 INTx, partition; e1000-irq.toml): 101 interrupts, PCI 00:02.0 INTA GSI 9 "
        "(level, active low) at vector 0x40"
    ) in out
    rows = {
        ln.split("  ")[1].strip(): ln.split()[-6:] for ln in out.splitlines() if ln.startswith("  ") and "write" in ln
    }
    assert rows["ICS write to handler"] == ["115", "120", "115", "115", "0", "5"]
    assert rows["EOI write"] == ["5825", "5825", "5", "5", "5820", "5820"]
    assert "VM exits per interrupt: 1.01 (EPT_VIOLATION 101, VMCALL 1 in 101 interrupts)" in out
    changes = bench.compare(r, results()).splitlines()
    assert any(ln.split() == ["device", "interrupt", "round", "trip", "n/a", "->", "5825", "n/a"] for ln in changes)
    assert any(ln.split() == ["device", "interrupt", "exits", "n/a", "->", "1.01", "n/a"] for ln in changes)
    assert bench.compare(r, r).count("device interrupt") == 4
