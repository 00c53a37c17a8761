"""FATAL reports parse into registers and backtrace, and addresses resolve to functions."""

from __future__ import annotations

from pathlib import Path

from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from tools import fatal

REPORT = """plinth: fault=pf: raising it on purpose

FATAL: CPU exception in Plinth (#PF page fault at rip 0x{rip:x}: not-present page on write in supervisor mode, address 0x1000000000)
  vector 14 (#PF page fault), error code 0x2
  rip 0x{rip:016x}  cs 0x0008  rflags 0x0000000000010046
  rsp 0x000000000020ffa0  ss 0x0010
  cr0 0x00000000e0000011  cr2 0x0000001000000000  cr3 0x0000000000206000
  rax 0x0000001000000000  rbx 0x000000000020ffd8  rcx 0x0000000000000000
  backtrace: 0x{caller:x}
plinth: all CPUs halted
"""


def symbol(elf: Path, name: str) -> int:
    with open(elf, "rb") as f:
        tab = ELFFile(f).get_section_by_name(".symtab")
        assert isinstance(tab, SymbolTableSection)
        symbols = tab.get_symbol_by_name(name)
        assert symbols, f"no symbol {name}"
        return int(symbols[0]["st_value"])


def test_parse_reads_registers_and_backtrace() -> None:
    (rep,) = fatal.parse(REPORT.format(rip=0x202ADB, caller=0x20145E))
    assert rep.what == "CPU exception in Plinth"
    assert rep.registers["rip"] == 0x202ADB and rep.registers["cr2"] == 0x1000000000
    assert rep.registers["rbx"] == 0x20FFD8
    assert rep.backtrace == [0x20145E]
    assert "all CPUs halted" not in rep.text


def test_decode_names_the_functions(plinth_elf: Path) -> None:
    rip = symbol(plinth_elf, "arch_trigger_fault") + 0x10
    caller = symbol(plinth_elf, "hv_main") + 4
    out = fatal.decode(REPORT.format(rip=rip, caller=caller), plinth_elf)
    assert "=> rip arch_trigger_fault+0x10" in out
    assert f"=> called from 0x{caller:x} hv_main+0x4" in out


def test_decode_without_a_report(plinth_elf: Path) -> None:
    assert fatal.decode("plinth: all fine\n", plinth_elf) == "no FATAL report in this log"


def test_guest_registers_are_not_taken_for_plinth_s() -> None:
    text = (
        "FATAL: VM entry failed (exit reason 33 INVALID_GUEST_STATE, qualification 0x0, guest rip 0x0)\n"
        "  vm 0 vcpu 1 on CPU 1: guest rip 0x0 rsp 0x0 rflags 0x2\n"
        "  rax 0x5 rbx 0x0\n"
        "  vmcs 0x681e = 0x0000000000000000 GUEST_RIP\n"
        "plinth: all CPUs halted\n"
    )
    (rep,) = fatal.parse(text)
    assert "rip" not in rep.registers and rep.registers["rax"] == 5
