"""The exit codes of `tools/plinth run` and `tools/plinth test`, defined once.

A small fixed table, as kvm-unit-tests' runner has one: scripts and CI can tell a guest that
powered off from one that crashed, a refused kernel from a FATAL in Plinth, a timeout from a
user who detached. README.md shows the table generated from EXIT_CODES (markdown_table());
tests/unit/test_exitcodes.py checks that the two agree.

classify() turns what a run saw (the console text, how the console loop ended, why the
emulator exited) into one of these codes; `run` uses it, and its system tests check each code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from tools import consoleproto as cp


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    NO_GUEST = 3
    GUEST_CRASHED = 4
    FATAL = 5
    DETACHED = 6
    TESTS_FAILED = 7
    TIMEOUT = 124
    INTERRUPTED = 130


@dataclass(frozen=True)
class Meaning:
    code: ExitCode
    run: str  # what it means for `run`
    test: str  # what it means for `test` ("" when `test` never exits with it)


EXIT_CODES = (
    Meaning(
        ExitCode.OK, "the guest powered the machine off (or, with `--no-guest`, Plinth ran alone)", "every test passed"
    ),
    Meaning(
        ExitCode.ERROR,
        "the tools refused or failed before or around the boot: a bad option or file, a missing "
        "program, a failed build (one sentence says which); no emulator was left running",
        "set-up, the build or pytest itself failed, or no test matched",
    ),
    Meaning(ExitCode.USAGE, "the command line was not understood (argparse's usage message)", "the same"),
    Meaning(
        ExitCode.NO_GUEST,
        'Plinth refused or could not run a guest ("no guest to launch": no VMX, no VT-d without '
        "`iommu=optional`, a kernel it cannot boot); the reason is named",
        "",
    ),
    Meaning(
        ExitCode.GUEST_CRASHED,
        "the guest crashed: Plinth stopped its VM (triple fault, EPT violation, ...) or Linux panicked",
        "",
    ),
    Meaning(ExitCode.FATAL, "Plinth itself failed: a `FATAL:` report, or the emulated CPU shut down in Plinth", ""),
    Meaning(ExitCode.DETACHED, "you detached with Ctrl-] while the guest still ran", ""),
    Meaning(ExitCode.TESTS_FAILED, "", "at least one test failed"),
    Meaning(ExitCode.TIMEOUT, "`--timeout` ran out before the guest ended", ""),
    Meaning(ExitCode.INTERRUPTED, "interrupted (Ctrl-C in the tools)", "interrupted"),
)

# pytest's exit statuses (pytest.ExitCode) -> ours.
PYTEST_EXIT = {0: ExitCode.OK, 1: ExitCode.TESTS_FAILED, 2: ExitCode.INTERRUPTED, 3: ExitCode.ERROR, 4: ExitCode.USAGE}


def markdown_table() -> str:
    """The table README.md shows, between its exit-code markers."""
    rows = ["| code | `run` | `test` |", "| --- | --- | --- |"]
    rows += [f"| {m.code.value} `{m.code.name}` | {m.run or '-'} | {m.test or '-'} |" for m in EXIT_CODES]
    return "\n".join(rows)


def from_pytest(status: int) -> ExitCode:
    """`test`'s exit code for pytest's status (5, no test collected, is an ERROR)."""
    return PYTEST_EXIT.get(status, ExitCode.ERROR)


@dataclass(frozen=True)
class Outcome:
    code: ExitCode
    message: str  # one sentence for the user


def no_guest_reason(text: str) -> str:
    """Why Plinth launched no guest, from the console: the no-VMX line or the last warning
    before "no guest to launch" (a refused kernel, no DMA isolation)."""
    end = text.rfind(cp.NO_GUEST)
    before = text[: end if end >= 0 else len(text)]
    if cp.NO_VMX in before:
        return "this CPU has no VMX (QEMU's TCG never has it: use Bochs for guests)"
    warnings = [m["what"] for m in cp.WARNING.finditer(before)]
    return warnings[-1] if warnings else "Plinth names no reason on the console"


def classify(text: str, *, ended: str, expect_guest: bool, exit_reason: str | None = None) -> Outcome:
    """The code of a run, from its console text and how it ended. ended is one of "no-guest",
    "halted", "vm-stopped", "panic" (a stop pattern matched), "exited" (the emulator ended by
    itself), "detached" (Ctrl-]) or "timeout". A FATAL report anywhere wins over anything else."""
    if cp.FATAL_PREFIX in text or ended == "halted":
        return Outcome(ExitCode.FATAL, "Plinth stopped with a FATAL report")
    if ended == "vm-stopped":
        stop = list(cp.VM_STOPPED.finditer(text))
        why = stop[-1]["why"] if stop else "reason above"
        return Outcome(ExitCode.GUEST_CRASHED, f"the guest's VM stopped ({why})")
    if ended == "panic":
        panic = list(cp.LINUX_PANIC.finditer(text))
        why = panic[-1]["why"].strip() if panic else "see above"
        return Outcome(ExitCode.GUEST_CRASHED, f"the Linux guest panicked ({why})")
    if ended == "no-guest":
        if not expect_guest:
            return Outcome(ExitCode.OK, "Plinth ran alone, as asked (--no-guest)")
        return Outcome(ExitCode.NO_GUEST, f"Plinth launched no guest: {no_guest_reason(text)}")
    if ended == "timeout":
        return Outcome(ExitCode.TIMEOUT, "the time limit (--timeout) ran out")
    if ended == "detached":
        return Outcome(ExitCode.DETACHED, "detached")
    if ended == "exited":
        if exit_reason and ("triple fault" in exit_reason or "triple-faulted" in exit_reason):
            # A guest's triple fault is a VM exit under Plinth: the machine itself shut down.
            return Outcome(ExitCode.FATAL, f"the emulated machine shut down in Plinth: {exit_reason}")
        if exit_reason and "powered the machine off" not in exit_reason:
            return Outcome(ExitCode.ERROR, f"the emulator exited: {exit_reason}")
        return Outcome(ExitCode.OK, "the guest powered the machine off")
    raise ValueError(f"unknown end {ended!r}")
