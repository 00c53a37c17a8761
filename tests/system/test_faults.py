"""A CPU exception inside Plinth ends in a decoded FATAL report and a halt, not a reset."""

from __future__ import annotations

import re

import pytest

from tools import consoleproto as cp
from tools import fatal

REGISTERS = [
    "rip",
    "rsp",
    "rflags",
    "cr0",
    "cr2",
    "cr3",
    "cr4",
    "efer",
    "rax",
    "rbx",
    "rcx",
    "rdx",
    "rsi",
    "rdi",
    "rbp",
    "r8",
    "r9",
    "r10",
    "r11",
    "r12",
    "r13",
    "r14",
    "r15",
]

CASES = {
    # boot option -> (vector, name, what the reason must say)
    "ud": (6, "#UD invalid opcode", r"#UD invalid opcode at rip 0x[0-9a-f]+"),
    "pf": (14, "#PF page fault", r"not-present page on write in supervisor mode, address 0x1000000000"),
    "gp": (13, "#GP general protection", r"#GP general protection at rip 0x[0-9a-f]+: no selector involved"),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_fault_gives_fatal_report(boot, target, plinth_elf, kind: str) -> None:
    vector, name, reason = CASES[kind]
    emu = boot(target, cmdline=f"fault={kind}")
    emu.wait_for(re.escape(cp.HALTED), timeout=60, failure=None)
    out = emu.output

    report = cp.FATAL.search(out)
    assert report, "no FATAL line"
    assert report["what"] == "CPU exception in Plinth"
    assert re.search(reason, report["why"]), report["why"]
    exception = cp.EXCEPTION_VECTOR.search(out)
    assert exception and (int(exception["vector"]), exception["name"]) == (vector, name)
    registers = {m["name"]: int(m["value"], 16) for m in cp.REGISTERS.finditer(out[report.end() :])}
    missing = [reg for reg in REGISTERS if reg not in registers]
    assert not missing, f"registers missing from the dump: {missing}"
    if kind == "pf":
        assert registers["cr2"] == 0x1000000000
    backtrace = cp.BACKTRACE.search(out)
    assert backtrace and backtrace["addresses"], "no backtrace addresses"
    assert out.count(cp.BANNER) == 1, "the machine rebooted instead of halting"
    assert cp.NO_GUEST not in out
    # The host tools resolve the report's addresses: the fault is in arch_trigger_fault,
    # called from hv_main.
    decoded = fatal.decode(out, plinth_elf)
    assert "=> rip arch_trigger_fault+0x" in decoded
    assert "hv_main+0x" in decoded
