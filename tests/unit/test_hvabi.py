"""The report format test guests and Plinth's DMA self-test share (tools/hvabi.py): each C
format the two sides print with reads back through its Python pattern, and the two sources'
lines are never taken for each other's."""

from __future__ import annotations

import re

import pytest
from tools import consoleproto, hvabi

SOURCES = {
    # source word: (its C formats, what precedes a line on the console)
    hvabi.CHECK_SOURCE_GUEST: (hvabi.GUEST_C_FORMATS, "GUEST", ""),
    hvabi.CHECK_SOURCE_DMA_SELFTEST: (hvabi.DMA_SELFTEST_C_FORMATS, "DMA_SELFTEST", consoleproto.LOG_PREFIX),
}


def lines(source: str) -> dict[str, str]:
    """One console line of each kind, printed with the C formats (%s and %u filled in)."""
    formats, prefix, before = SOURCES[source]
    fmt = {k.removeprefix(prefix + "_FMT_"): v for k, v in formats.items()}
    return {
        "pass": before + consoleproto.c_printf(fmt["CHECK_PASS"], "blocked-dma"),
        "fail": before + consoleproto.c_printf(fmt["CHECK_FAIL"], "cpuid_leaf1", "ECX.VMX is 1: expected 0"),
        "summary": before + consoleproto.c_printf(fmt["SUMMARY"], 3, 1),
        "info": before + consoleproto.c_printf(fmt["INFO"], "edu at 00:03.0"),
    }


@pytest.mark.parametrize("source", SOURCES)
def test_formats_read_back_through_their_patterns(source: str) -> None:
    line = {k: v.rstrip("\n") for k, v in lines(source).items()}
    m = hvabi.check_re(source).search(line["pass"])
    assert m and (m["name"], m["result"], m["detail"]) == ("blocked-dma", "pass", None)
    m = hvabi.check_re(source).search(line["fail"])
    assert m and (m["name"], m["result"], m["detail"]) == ("cpuid_leaf1", "fail", "ECX.VMX is 1: expected 0")
    m = hvabi.summary_re(source).search(line["summary"])
    assert m and (m["passed"], m["failed"]) == ("3", "1")
    m = hvabi.info_re(source).search(line["info"])
    assert m and m["text"] == "edu at 00:03.0"


def test_guest_lines_are_whole_lines_and_plinths_are_log_lines() -> None:
    """The guest prints whole lines itself; Plinth's log adds its prefix and the newline."""
    assert all(v.endswith("\n") for v in hvabi.GUEST_C_FORMATS.values())
    assert not any(v.endswith("\n") for v in hvabi.DMA_SELFTEST_C_FORMATS.values())
    assert all(v.startswith(consoleproto.LOG_PREFIX + "dma-selftest: ") for v in lines("dma-selftest").values())


def test_sources_are_told_apart() -> None:
    """A self-test line is no guest's check or summary, and a guest's line no self-test's."""
    for kind, line in lines(hvabi.CHECK_SOURCE_DMA_SELFTEST).items():
        assert not (hvabi.GUEST_CHECK_RE.search(line) or hvabi.GUEST_SUMMARY_RE.search(line)), kind
    for kind, line in lines(hvabi.CHECK_SOURCE_GUEST).items():
        assert not (hvabi.DMA_SELFTEST_CHECK_RE.search(line) or hvabi.DMA_SELFTEST_SUMMARY_RE.search(line)), kind
    assert re.fullmatch(hvabi.CHECK_NAME, "allowed-dma") and not re.fullmatch(hvabi.CHECK_NAME, "allowed DMA")
