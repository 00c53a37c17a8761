"""The exit-code table: README shows exactly tools/exitcodes.py's, and classify() picks each code
from what a run saw. (tests/system/test_run.py checks each code on real boots.)"""

from __future__ import annotations

import re

import pytest

from tools import consoleproto as cp
from tools import exitcodes
from tools.exitcodes import ExitCode
from tools.paths import ROOT

BANNER = "plinth: Plinth hypervisor 0.1.0-abc build 0123456789ab (x86-64)\n"


def test_readme_shows_the_table_of_exitcodes_py() -> None:
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"<!-- exit codes: generated.*?-->\n(?P<table>.*?)\n<!-- end of exit codes -->", readme, re.S)
    assert found, "README.md lacks the exit-code table markers"
    assert found["table"] == exitcodes.markdown_table(), "README's exit-code table differs from tools/exitcodes.py"


def test_codes_are_distinct_and_each_has_a_meaning() -> None:
    assert sorted(m.code for m in exitcodes.EXIT_CODES) == sorted(ExitCode)
    assert all(m.run or m.test for m in exitcodes.EXIT_CODES)


@pytest.mark.parametrize(
    ("text", "ended", "expect_guest", "reason", "code", "says"),
    [
        (
            BANNER,
            "exited",
            True,
            "ACPI control: soft power off (the guest powered the machine off)",
            ExitCode.OK,
            "powered",
        ),
        (BANNER + cp.NO_GUEST + "; halting\n", "no-guest", False, None, ExitCode.OK, "alone"),
        (BANNER + cp.NO_VMX + "\n" + cp.NO_GUEST + "\n", "no-guest", True, None, ExitCode.NO_GUEST, "no VMX"),
        (
            BANNER
            + "plinth: warning: vm0: module 0 is a Linux kernel Plinth cannot boot: boot protocol older than 2.12\n"
            + cp.NO_GUEST
            + "\n",
            "no-guest",
            True,
            None,
            ExitCode.NO_GUEST,
            "boot protocol older than 2.12",
        ),
        (
            BANNER + "plinth: vm0 stopped: triple fault in vCPU 0 at guest rip 0x1\n",
            "vm-stopped",
            True,
            None,
            ExitCode.GUEST_CRASHED,
            "triple fault",
        ),
        (
            BANNER + "[    2.1] Kernel panic - not syncing: VFS: Unable to mount root fs\n",
            "panic",
            True,
            None,
            ExitCode.GUEST_CRASHED,
            "VFS: Unable to mount root fs",
        ),
        (
            BANNER + "FATAL: CPU exception in Plinth (#UD)\n" + cp.HALTED + "\n",
            "halted",
            True,
            None,
            ExitCode.FATAL,
            "FATAL",
        ),
        # Ctrl-] after a FATAL report is still a FATAL run.
        (BANNER + "FATAL: CPU exception in Plinth (#UD)\n", "detached", True, None, ExitCode.FATAL, "FATAL"),
        (BANNER, "detached", True, None, ExitCode.DETACHED, "detached"),
        (BANNER, "timeout", True, None, ExitCode.TIMEOUT, "--timeout"),
        (
            BANNER,
            "exited",
            True,
            "3rd (13) exception with no resolution (a triple fault; ...)",
            ExitCode.FATAL,
            "shut down",
        ),
        ("", "exited", True, "bochs panicked: ROM: couldn't open", ExitCode.ERROR, "emulator exited"),
    ],
)
def test_classify(text: str, ended: str, expect_guest: bool, reason: str | None, code: ExitCode, says: str) -> None:
    outcome = exitcodes.classify(text, ended=ended, expect_guest=expect_guest, exit_reason=reason)
    assert outcome.code == code and says in outcome.message


@pytest.mark.parametrize(("status", "code"), [(0, 0), (1, 7), (2, 130), (3, 1), (4, 2), (5, 1)])
def test_pytest_statuses_map_to_the_table(status: int, code: int) -> None:
    assert exitcodes.from_pytest(status) == code
