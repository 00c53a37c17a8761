"""Exit statistics printed by Plinth become a table of reasons by vCPU."""

from __future__ import annotations

from tools import exitstats

LOG = """plinth: vm0: the guest requests an ACPI sleep state (SLP_TYP 0, power-off when it is \\_S5); VM exits by reason:
  vm0 vCPU 0 (CPU 0): 130 exits
    CPUID                  100
    EPT_VIOLATION          30
  vm0 vCPU 1 (CPU 1): 7 exits
    CPUID                  5
    INIT_SIGNAL            2
[  100.000] reboot: Power down
"""


def test_parse_reads_each_vcpu() -> None:
    stats = exitstats.parse(LOG)
    assert stats == {"vm0 vCPU 0": {"CPUID": 100, "EPT_VIOLATION": 30}, "vm0 vCPU 1": {"CPUID": 5, "INIT_SIGNAL": 2}}


def test_the_last_report_wins() -> None:
    later = LOG.replace("100\n", "200\n", 1)
    assert exitstats.parse(LOG + later)["vm0 vCPU 0"]["CPUID"] == 200


def test_table_rows_and_totals() -> None:
    out = exitstats.table(exitstats.parse(LOG)).splitlines()
    assert out[0].split() == ["reason", "vm0", "vCPU", "0", "vm0", "vCPU", "1", "total"]
    assert out[1].split() == ["CPUID", "100", "5", "105"]
    assert out[-1].split() == ["all", "130", "7", "137"]


def test_no_report() -> None:
    assert exitstats.table(exitstats.parse("plinth: nothing\n")) == "no VM exit statistics in this log"


TICKS_LOG = """  vm0 vCPU 0 (CPU 0): 130 exits, 26000 ticks in Plinth of 9000000 since its launch
    CPUID                  100, 16000 ticks
    EPT_VIOLATION          30, 10000 ticks
  vm0 vCPU 1 (CPU 1): 7 exits, 1400 ticks in Plinth of 8000000 since its launch
    CPUID                  5, 700 ticks
    INIT_SIGNAL            2, 700 ticks
"""


def test_ticks_per_reason_and_per_vcpu() -> None:
    assert exitstats.parse(TICKS_LOG) == exitstats.parse(LOG)
    assert exitstats.parse(TICKS_LOG, "ticks") == {
        "vm0 vCPU 0": {"CPUID": 16000, "EPT_VIOLATION": 10000},
        "vm0 vCPU 1": {"CPUID": 700, "INIT_SIGNAL": 700},
    }
    assert exitstats.vcpu_ticks(TICKS_LOG) == {"vm0 vCPU 0": (26000, 9000000), "vm0 vCPU 1": (1400, 8000000)}


def test_reports_without_ticks_have_none() -> None:
    assert exitstats.parse(LOG, "ticks") == {"vm0 vCPU 0": {}, "vm0 vCPU 1": {}}
    assert exitstats.vcpu_ticks(LOG) == {}
