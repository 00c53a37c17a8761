"""Reads FATAL reports from a console log and names the code addresses in them.

`tools/plinth decode LOG` prints each report with every RIP and backtrace address resolved
to function+offset from build/plinth.elf's symbol table, and the VMCS fields of the reports of
VMs stopped on an exit Plinth does not emulate.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from tools import consoleproto as cp
from tools.errors import PlinthError


@dataclass
class FatalReport:
    what: str
    why: str
    registers: dict[str, int] = field(default_factory=dict)
    backtrace: list[int] = field(default_factory=list)
    text: str = ""


def parse(console: str) -> list[FatalReport]:
    """Every FATAL report in console text, with its registers and backtrace."""
    reports = []
    lines = console.replace("\r", "").splitlines()
    for i, line in enumerate(lines):
        m = cp.FATAL.search(line)
        if not m:
            continue
        rep = FatalReport(m["what"], m["why"])
        body = [line]
        for follow in lines[i + 1 :]:
            if follow.startswith((cp.FATAL_PREFIX, cp.HALTED)):
                break
            body.append(follow)
            bt = cp.BACKTRACE.search(follow)
            if bt:
                rep.backtrace = [int(a, 16) for a in bt["addresses"].split()]
                continue
            if "guest " in follow or "vmcs 0x" in follow:
                continue  # the guest's registers and VMCS fields, not Plinth's own
            for r in cp.REGISTERS.finditer(follow):
                rep.registers.setdefault(r["name"], int(r["value"], 16))
        rep.text = "\n".join(body)
        reports.append(rep)
    return reports


class Symbols:
    """Function symbols of an ELF, for address -> name+offset."""

    def __init__(self, elf: Path) -> None:
        try:
            with open(elf, "rb") as f:
                tab = ELFFile(f).get_section_by_name(".symtab")
                tab = tab if isinstance(tab, SymbolTableSection) else None
                syms = (
                    [
                        (s["st_value"], s["st_size"], s.name)
                        for s in tab.iter_symbols()
                        if s["st_info"]["type"] in ("STT_FUNC", "STT_NOTYPE") and s.name and s["st_value"]
                    ]
                    if tab
                    else []
                )
        except OSError as err:
            raise PlinthError(f"cannot read {elf}: {err.strerror}.") from None
        except ELFError as err:
            raise PlinthError(f"{elf} is not a valid ELF file ({err}).") from None
        syms.sort()
        self._addrs = [s[0] for s in syms]
        self._syms = syms

    def name(self, addr: int) -> str:
        i = bisect.bisect_right(self._addrs, addr) - 1
        if i < 0:
            return "?"
        start, size, name = self._syms[i]
        if size and addr >= start + size:
            return "?"
        return f"{name}+0x{addr - start:x}"


# How PLINTH_VERSION ("<version> build <id>", tools/gen.py) sits in the ELF's .rodata.
ELF_BUILD_ID = re.compile(rb"(?P<version>[0-9][!-~]*) build (?P<build_id>[0-9a-f]{12})\x00")


def elf_build(elf: Path) -> tuple[str, str] | None:
    """(version, build id) of a plinth.elf, from the version string its banner prints."""
    try:
        found = ELF_BUILD_ID.search(Path(elf).read_bytes())
    except OSError as err:
        raise PlinthError(f"cannot read {elf}: {err.strerror}.") from None
    return (found["version"].decode(), found["build_id"].decode()) if found else None


def check_build(console: str, elf: Path) -> str | None:
    """PlinthError when the log's banner names another build than elf is (its addresses would
    decode to nonsense); the build id when they match; None when the log has no banner."""
    banners = list(cp.BANNER_LINE.finditer(console))
    if not banners:
        return None
    version, build_id = banners[-1]["version"], banners[-1]["build_id"]
    have = elf_build(elf)
    if have is None or have[1] != build_id:
        built = f"{have[0]} build {have[1]}" if have else "a Plinth without a build id"
        raise PlinthError(
            f"the log is from Plinth {version} build {build_id}, but {elf} is {built}: give the plinth.elf "
            "that ran (--elf)."
        )
    return build_id


def parse_stops(console: str) -> list[str]:
    """The text of every VM stop report in console that carries a VMCS dump (an exit Plinth does
    not emulate, a failed VM entry: arch/x86/vmexit.c), from its stop line to the dump's end."""
    lines = console.replace("\r", "").splitlines()
    out = []
    for i, line in enumerate(lines):
        if not cp.VM_STOPPED.search(line):
            continue
        body = [line]
        for follow in lines[i + 1 :]:
            if cp.VM_STOPPED.search(follow) or follow.startswith((cp.FATAL_PREFIX, cp.MONITOR_PROMPT)):
                break
            body.append(follow)
        text = "\n".join(body)
        if cp.VMCS_DUMP_LINE.search(text):
            out.append(text)
    return out


def decode(console: str, elf: Path) -> str:
    """The FATAL reports in console, each followed by its code addresses resolved, then the VM
    stop reports with a VMCS dump, each followed by the fields that say why; PlinthError when
    the log's banner names another build than elf."""
    reports = parse(console)
    stops = parse_stops(console)
    if not reports and not stops:
        return "no FATAL report in this log"
    syms = None
    if reports:
        check_build(console, elf)
        syms = Symbols(elf)
    out = []
    for text in stops:
        out.append(text)
        out.extend(describe_vmcs(text))
    for rep in reports:
        assert syms is not None
        out.append(rep.text)
        if "rip" in rep.registers:
            out.append(f"  => rip {syms.name(rep.registers['rip'])}")
        for addr in rep.backtrace:
            out.append(f"  => called from 0x{addr:x} {syms.name(addr)}")
        out.extend(describe_vmcs(rep.text))
    return "\n".join(out)


def describe_vmcs(text: str) -> list[str]:
    """For a report with a VMCS dump: the fields that say why, by name."""
    from tools import vmcs

    fields = dict(vmcs.decode_dump(text))
    if not fields:
        return []
    lines = [f"  => VMCS dump: {len(fields)} fields"]
    reason = fields.get("VM_EXIT_REASON")
    if reason is not None:
        entry = " (VM entry failure)" if reason & (1 << 31) else ""
        lines.append(f"  => exit reason {reason & 0xFFFF} {vmcs.exit_reason_name(reason)}{entry}")
    error = fields.get("VM_INSTRUCTION_ERROR")
    if error:
        lines.append(f"  => VM-instruction error {error}: {vmcs.vm_instruction_error_name(error)}")
    for name in ("EXIT_QUALIFICATION", "GUEST_RIP", "GUEST_RFLAGS", "GUEST_CR0", "GUEST_CR4", "GUEST_PHYSICAL_ADDRESS"):
        if name in fields:
            lines.append(f"  => {name} = 0x{fields[name]:x}")
    return lines
