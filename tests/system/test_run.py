"""`tools/plinth run` exits with the code of tools/exitcodes.py that says how the run ended.

Each test runs the real command (set-up skipped: this process is already inside .venv) on a
machine that ends one way: the test guest powering off, Plinth refusing to run a guest (QEMU has
no VMX), the guest triple-faulting, a FATAL in Plinth, a time limit, a user's Ctrl-]. The run
logs go to the test's own log directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from tools import bootstrap, msg
from tools.exitcodes import ExitCode
from tools.paths import BUILD, ROOT

GUEST = BUILD / "guests" / "testguest.bin"
TIMEOUT_S = 240


def env(logdir: Path) -> dict[str, str]:
    return dict(os.environ, **{bootstrap.IN_VENV_FLAG: "1", "PYTHONPATH": str(ROOT), "PLINTH_RUN_LOGS": str(logdir)})


def plinth_run(logdir: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.cli", "run", *argv],
        cwd=ROOT,
        env=env(logdir),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )


def last_tool_line(stderr: str) -> str:
    return [ln for ln in stderr.splitlines() if ln.startswith(msg.PREFIX)][-1]


def guest(checks: str) -> str:
    return f"{GUEST}=checks={checks}"


@pytest.mark.bochs
def test_a_guest_that_powers_off_exits_0(plinth_elf: Path, logdir: Path) -> None:
    res = plinth_run(logdir, "--cpus", "1", "--module", guest("cpuid,poweroff"))
    assert res.returncode == ExitCode.OK, res.stderr
    assert "the guest powered the machine off" in last_tool_line(res.stderr)
    assert "guest: check cpuid: pass" in res.stdout


@pytest.mark.qemu
def test_no_guest_to_launch_exits_NO_GUEST_and_says_why(plinth_elf: Path, logdir: Path) -> None:
    res = plinth_run(logdir, "--emulator", "qemu", "--module", guest("cpuid"))
    assert res.returncode == ExitCode.NO_GUEST, res.stderr
    assert "Plinth launched no guest: this CPU has no VMX" in last_tool_line(res.stderr)


@pytest.mark.bochs
def test_a_guest_triple_fault_exits_GUEST_CRASHED(plinth_elf: Path, logdir: Path) -> None:
    res = plinth_run(logdir, "--cpus", "1", "--module", guest("triple_fault"))
    assert res.returncode == ExitCode.GUEST_CRASHED, res.stderr
    assert "the guest's VM stopped (triple fault in vCPU 0" in last_tool_line(res.stderr)


@pytest.mark.qemu
def test_a_fatal_in_plinth_exits_FATAL(plinth_elf: Path, logdir: Path) -> None:
    res = plinth_run(logdir, "--emulator", "qemu", "--no-guest", "--cmdline", "fault=ud")
    assert res.returncode == ExitCode.FATAL, res.stderr
    assert "FATAL: CPU exception in Plinth" in res.stdout


@pytest.mark.bochs
def test_a_time_limit_exits_TIMEOUT(plinth_elf: Path, logdir: Path) -> None:
    res = plinth_run(logdir, "--cpus", "1", "--no-guest", "--timeout", "1")
    assert res.returncode == ExitCode.TIMEOUT, res.stderr
    assert "the time limit (--timeout) ran out" in last_tool_line(res.stderr)


@pytest.mark.bochs
def test_ctrl_bracket_exits_DETACHED_and_stops_the_emulator(plinth_elf: Path, logdir: Path) -> None:
    """On a terminal: the guest's checks are done (it then idles, and the status line shows
    the quiet), the user types Ctrl-]."""
    child = pexpect.spawn(
        sys.executable,
        ["-m", "tools.cli", "run", "--cpus", "1", "--module", guest("cpuid")],
        cwd=str(ROOT),
        env=env(logdir),
        encoding="utf-8",
        timeout=TIMEOUT_S,
    )
    try:
        child.expect("guest: check cpuid: pass")
        # The guest idles now: on a terminal a status line says how long the console is quiet.
        child.expect(r"the guest runs · quiet for \d+ s", timeout=30)
        child.send("\x1d")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == ExitCode.DETACHED, child.before
    assert "detached; emulator stopped" in str(child.before)
    # The emulator was stopped: no process of this run is left.
    cmdline = next(logdir.glob("*/cmdline.txt")).read_text()
    bochsrc = cmdline.split()[-3]
    assert subprocess.run(["pgrep", "-f", bochsrc], capture_output=True).returncode == 1
