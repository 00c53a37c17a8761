"""The test guest on bare (emulated) hardware, without Plinth.

Proves the guest's own machinery, so that a failing check under Plinth points at Plinth: the
multiboot header, long mode, the report lines and their order, recovery from expected
exceptions (#GP/#UD) with the exception named in the detail, the AP start-up, unknown check
names, and the triple fault. Without Plinth the Plinth-specific expectations must fail, and
fail for the stated reason.
"""

from __future__ import annotations

import os
import select
import shutil
import struct
import subprocess
import time
from pathlib import Path

import pytest

from tools import build, hvabi, layout
from tools.paths import BUILD

GUEST_BIN = BUILD / "guests" / "testguest.bin"
QEMU = "qemu-system-x86_64"
TIMEOUT_S = 60


@pytest.fixture(scope="module")
def testguest() -> Path:
    build.build(str(GUEST_BIN.relative_to(BUILD.parent)), quiet=True)
    return GUEST_BIN


def run_qemu(guest: Path, checks: str, logdir: Path, until: str = "guest: summary: ") -> tuple[list[str], int | None]:
    """Boots the guest in QEMU TCG (2 CPUs) with checks=...; returns its guest: lines up to the
    first one starting with `until` (or until QEMU ends, or a timeout), and QEMU's exit code
    if QEMU ended by itself (None if it was stopped here)."""
    if not shutil.which(QEMU):
        pytest.skip(f"{QEMU} is not installed (tools/plinth setup installs it)")
    cmd = [
        QEMU,
        "-M",
        "q35",
        "-cpu",
        "max",
        "-smp",
        "2",
        "-m",
        "256",
        "-display",
        "none",
        "-no-reboot",
        "-serial",
        "stdio",
        "-monitor",
        "none",
        "-kernel",
        str(guest),
        "-append",
        f"checks={checks}",
    ]
    (logdir / "command.txt").write_text(" ".join(cmd) + "\n")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    text = b""
    ended = False
    deadline = time.monotonic() + TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.2)
            chunk = os.read(proc.stdout.fileno(), 4096) if ready else b""
            if ready and not chunk:  # QEMU closed its output: it is ending
                ended = True
                break
            text += chunk
            done = [
                line
                for line in text.decode(errors="replace").splitlines(keepends=True)
                if line.startswith(until) and line.endswith("\n")
            ]
            if done:
                break
    finally:
        try:
            returncode = proc.wait(timeout=10) if ended else proc.poll()
        except subprocess.TimeoutExpired:
            returncode = None
        if returncode is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
    console = text.decode(errors="replace").replace("\r", "")
    (logdir / "console.log").write_text(console)
    lines = [line for line in console.splitlines() if line.startswith("guest: ")]
    return lines, returncode


def results(lines: list[str]) -> list[tuple[str, str, str | None]]:
    found = [hvabi.GUEST_CHECK_RE.fullmatch(line) for line in lines]
    return [(m["name"], m["result"], m["detail"]) for m in found if m]


def test_multiboot_header(testguest: Path) -> None:
    data = testguest.read_bytes()
    magic, flags, checksum, header, load, load_end, bss_end, entry = struct.unpack_from("<8I", data, 0)
    assert magic == 0x1BADB002 and (magic + flags + checksum) & 0xFFFFFFFF == 0
    assert flags == 0x00010003  # page-aligned modules, memory info, a.out kludge
    assert (header, load) == (0x100000, 0x100000)
    assert load_end - load == len(data)
    assert load_end <= bss_end <= layout.LOAD_BASE
    assert load <= entry < load_end


def test_checks_natively(testguest: Path, logdir: Path) -> None:
    # Not cr4: QEMU 7.2's TCG hangs on a MOV to CR4 with a reserved bit (README.md).
    lines, _ = run_qemu(testguest, "cpuid,vmcall,msr,xsetbv,vmxon,ap,io,nosuch,Bad!", logdir)
    # QEMU puts the kernel's path in front of -append.
    assert lines[0].startswith("guest: start ")
    assert lines[0].endswith(" checks=cpuid,vmcall,msr,xsetbv,vmxon,ap,io,nosuch,Bad!")
    got = results(lines)
    assert [name for name, _, _ in got] == [
        "cpuid",
        "vmcall",
        "msr",
        "xsetbv",
        "vmxon",
        "ap",
        "io",
        "nosuch",
        "unknown",
    ]
    by_name = {name: (result, detail) for name, result, detail in got}

    # No Plinth: its CPUID leaves are absent and VMCALL raises #UD, which the guest recovers from.
    assert by_name["cpuid"][0] == "fail" and '"PlinthPlinth"' in (by_name["cpuid"][1] or "")
    assert by_name["vmcall"] == ("fail", "VMCALL VERSION raised #UD")
    # VMXON, VMREAD and VMPTRST raised the expected #UD; only the VMCALL after them failed.
    assert by_name["vmxon"] == ("fail", "VMCALL VERSION after VMXON raised #UD")
    assert by_name["xsetbv"] == ("pass", None)
    assert by_name["ap"] == ("pass", None)
    assert any(line.startswith("guest: info ap: BSP APIC id 0; 1 AP(s) checked in: apic id 1 ") for line in lines)
    assert by_name["io"][0] == "fail" and "32-bit IN 0xb00: 0xffffffff" in (by_name["io"][1] or "")
    assert by_name["nosuch"] == ("fail", "unknown check")
    assert by_name["unknown"] == ("fail", 'unknown check "Bad!"')
    assert any(line.startswith("guest: info cpuid_roundtrip_tsc=") for line in lines)

    summary = hvabi.GUEST_SUMMARY_RE.fullmatch(lines[-1])
    assert summary, lines[-1]
    passed = sum(result == "pass" for _, result, _ in got)
    assert (int(summary["passed"]), int(summary["failed"])) == (passed, len(got) - passed)


def test_default_checks(testguest: Path, logdir: Path) -> None:
    # An empty checks= runs the non-destructive set: cpuid,vmcall,cr4,... (stopped after vmcall,
    # as cr4 hangs QEMU's TCG).
    lines, _ = run_qemu(testguest, "", logdir, until="guest: check vmcall: ")
    assert lines[0].startswith("guest: start ") and lines[0].endswith(" checks=")
    assert [name for name, _, _ in results(lines)] == ["cpuid", "vmcall"]


def test_triple_fault(testguest: Path, logdir: Path) -> None:
    lines, returncode = run_qemu(testguest, "triple_fault,cpuid", logdir)
    assert lines[-1] == "guest: info triple fault"
    assert returncode is not None, "QEMU (-no-reboot) should have stopped at the triple fault"


def test_elf32_form_boots_with_qemus_own_multiboot_loader(testguest: Path, logdir: Path) -> None:
    """The ELF32 form (no a.out kludge) is a multiboot kernel another loader takes too: QEMU's
    -kernel loads it by its program headers, and the guest starts its AP and reports."""
    elf32 = BUILD / "guests" / "testguest-elf32.elf"
    assert elf32.is_file(), f"{elf32} was not built"
    lines, _ = run_qemu(elf32, "ap,io", logdir)
    assert lines and lines[0].endswith(" checks=ap,io")
    got = {name: result for name, result, _ in results(lines)}
    assert got == {"ap": "pass", "io": "fail"}, lines  # io: no Plinth test device here
