"""What every emulator launcher shares: process handling, the serial console and its waits.

A backend (bochs.py, qemu.py) only says how to write its configuration, which command to
run, how it reports a listening serial socket, and how to ask it to quit.
"""

from __future__ import annotations

import abc
import atexit
import codecs
import contextlib
import importlib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any, ClassVar, Self

from tools.consoleproto import FATAL_PREFIX, HALTED
from tools.errors import PlinthError

Pattern = str | re.Pattern[str]
Patterns = Pattern | Sequence[Pattern]

# How long the console is still read after a failure line, to capture Plinth's dump.
FAILURE_GRACE_S = 3.0
PORT_ATTEMPTS = 5
TAIL_LINES = 20


class EmulatorError(PlinthError):
    """An emulated machine or its console did not behave as a test or `plinth run` needed."""


class ConsoleFailure(EmulatorError):
    """The console printed a failure line (by default Plinth's "FATAL: ")."""

    def __init__(self, message: str, text: str) -> None:
        super().__init__(message)
        self.text = text  # from the failing line to HALTED (or what came within the grace)


class ConsoleTimeout(EmulatorError):
    """The expected console text did not come in time."""


class EmulatorExited(EmulatorError):
    """The emulator ended (or closed its console) while something was still expected."""

    def __init__(self, message: str, returncode: int | None) -> None:
        super().__init__(message)
        self.returncode = returncode


def require_binary(binary: str, title: str, package: str) -> str:
    """The binary's path, or a one-sentence PlinthError naming the apt package."""
    path = shutil.which(binary)
    if path is None:
        raise PlinthError(f"{title} is not installed: no '{binary}' on PATH (apt package: {package}).")
    return path


def require_module(module: str, requirement: str) -> ModuleType:
    """Import a third-party module, or fail with one sentence saying what to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise PlinthError(f"The Python package {requirement} is not installed (pip install {requirement}).") from None


def free_port() -> int:
    """A localhost TCP port that was free a moment ago; start() retries if it is taken since."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def compile_patterns(patterns: Patterns) -> list[re.Pattern[str]]:
    if isinstance(patterns, (str, re.Pattern)):
        patterns = [patterns]
    return [re.compile(p) if isinstance(p, str) else p for p in patterns]


def first_match(patterns: list[re.Pattern[str]], text: str, pos: int) -> re.Match[str] | None:
    """The match that starts earliest in text[pos:] among all patterns."""
    matches = [m for p in patterns if (m := p.search(text, pos)) is not None]
    return min(matches, key=lambda m: m.start(), default=None)


def describe(patterns: Patterns) -> str:
    return " or ".join(repr(p.pattern) for p in compile_patterns(patterns))


def tail(text: str, lines: int = TAIL_LINES) -> str:
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])


def die_with_parent(argv: list[str]) -> list[str]:
    """argv wrapped so that a crashed or killed harness cannot leave the emulator running:
    util-linux's setpriv asks Linux to SIGKILL it when its parent dies, then execs it (same
    pid). Linux means the spawning *thread*, so only the main thread uses it."""
    setpriv = shutil.which("setpriv")
    if setpriv is None or threading.current_thread() is not threading.main_thread():
        return argv
    return [setpriv, "--pdeathsig", "KILL", "--", *argv]


class ConsoleRecorder:
    """pexpect's logfile_read: every byte the console prints goes to console.log at once (so
    a hung run still leaves it) and, decoded with CRs stripped, to `text`."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("wb")
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.chunks: list[str] = []

    def write(self, data: bytes | str) -> None:
        raw = data.encode() if isinstance(data, str) else data
        self.file.write(raw)
        self.file.flush()
        self.chunks.append(self.decoder.decode(raw).replace("\r", ""))

    def flush(self) -> None:
        self.file.flush()

    @property
    def text(self) -> str:
        if len(self.chunks) > 1:
            self.chunks[:] = ["".join(self.chunks)]
        return self.chunks[0] if self.chunks else ""

    def close(self) -> None:
        self.file.close()


class _PortTaken(Exception):
    """The emulator could not listen on the port picked for it; start() picks another."""


# Started and not yet stopped: stopped at exit, and kept alive until then.
_running: set[Emulator] = set()


@atexit.register
def _stop_all() -> None:
    for emu in list(_running):
        emu.stop()


class Emulator(abc.ABC):
    """One emulated machine booting an ISO, with its serial console as `console`."""

    name: ClassVar[str]  # "bochs" | "qemu": the CLI and test parameter name
    title: ClassVar[str]  # for messages
    binary: ClassVar[str]
    package: ClassVar[str]  # apt package providing `binary`
    default_cpu_model: ClassVar[str]
    # Text in emulator.log meaning a port is taken (start() retries with another).
    port_in_use_markers: ClassVar[tuple[str, ...]] = ()
    startup_timeout: ClassVar[float] = 30.0
    stop_timeout: ClassVar[float] = 5.0

    def __init__(
        self,
        iso: Path,
        logdir: Path,
        *,
        cpu_model: str | None = None,
        cpus: int = 1,
        memory_mib: int = 512,
    ) -> None:
        self.iso = Path(iso).resolve()
        self.logdir = Path(logdir).resolve()
        self.cpu_model = cpu_model or self.default_cpu_model
        self.cpus = cpus
        self.memory_mib = memory_mib
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        # Once started: a pexpect fdspawn on the serial socket, in bytes mode (expect
        # rb"..." if used directly). Whatever reads it is recorded in console.log/output.
        self.console: Any = None
        self._recorder: ConsoleRecorder | None = None
        self._pos = 0  # output before this index was consumed by an earlier wait_for

    # --- what a backend provides ------------------------------------------------------

    @abc.abstractmethod
    def command(self) -> list[str]:
        """The emulator's argv for the current self.port."""

    @abc.abstractmethod
    def is_listening(self, log_text: str) -> bool:
        """Whether emulator.log says the serial socket on self.port now listens. Connecting
        only then makes sure the socket is this emulator's, not another run's."""

    def check_installed(self) -> None:
        """Raise PlinthError if anything needed to run the emulator is missing."""
        require_binary(self.binary, self.title, self.package)

    def prepare(self) -> None:
        """Write configuration files for self.port into logdir."""

    def request_stop(self) -> None:
        """Ask the running emulator to quit cleanly; stop() kills it if it does not."""
        assert self.proc is not None
        self.proc.terminate()

    def exit_reason(self) -> str | None:
        """Why the emulator ended, from its own logs, if it said."""
        return None

    def close_extras(self) -> None:
        """Release backend connections (QMP) in stop()."""

    # --- paths ------------------------------------------------------------------------

    @property
    def console_log(self) -> Path:
        return self.logdir / "console.log"

    @property
    def emulator_log(self) -> Path:
        return self.logdir / "emulator.log"

    @property
    def cmdline_txt(self) -> Path:
        return self.logdir / "cmdline.txt"

    @property
    def output(self) -> str:
        """All console text seen so far, decoded, CRs stripped."""
        return self._recorder.text if self._recorder is not None else ""

    # --- lifecycle --------------------------------------------------------------------

    def start(self) -> Self:
        """Launch the emulator and connect its serial console; returns self."""
        if self.proc is not None:
            raise EmulatorError(f"This {self.title} machine was already started.")
        self.check_installed()
        fdpexpect = require_module("pexpect.fdpexpect", "pexpect==4.9.0")
        if not self.iso.is_file():
            raise PlinthError(f"Cannot start {self.title}: the ISO '{self.iso}' does not exist.")
        self.logdir.mkdir(parents=True, exist_ok=True)
        try:
            sock = self._launch()
        except BaseException:
            self.stop()  # also on Ctrl-C: never leave a half-started emulator behind
            raise
        # Blocking from here on: pexpect selects before reading, and a send must not fail
        # with EAGAIN when the emulator is slow to drain the socket.
        sock.settimeout(None)
        self._recorder = ConsoleRecorder(self.console_log)
        self.console = fdpexpect.fdspawn(sock.detach(), timeout=None)
        self.console.logfile_read = self._recorder
        return self

    def _launch(self) -> socket.socket:
        """Spawn the emulator and connect to its serial socket, retrying on a taken port."""
        for _ in range(PORT_ATTEMPTS):
            self.port = free_port()
            self.prepare()
            self._spawn(self.command())
            with contextlib.suppress(_PortTaken):
                return self._connect()
        raise EmulatorError(f"{self.title} found no free localhost port in {PORT_ATTEMPTS} tries.")

    def _spawn(self, argv: list[str]) -> None:
        argv = die_with_parent(argv)
        self.cmdline_txt.write_text(f"cd {shlex.quote(str(self.logdir))}\n{shlex.join(argv)}\n")
        with self.emulator_log.open("wb") as log:
            self.proc = subprocess.Popen(
                argv,
                cwd=self.logdir,
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own session: a Ctrl-C meant for the harness must not reach the
                # emulator (Bochs would stop in its debugger).
                start_new_session=True,
            )
        _running.add(self)

    def _connect(self) -> socket.socket:
        assert self.proc is not None
        deadline = time.monotonic() + self.startup_timeout
        while True:
            text = self.emulator_log.read_text(errors="replace")
            if self.is_listening(text):
                with contextlib.suppress(OSError):
                    return socket.create_connection(("127.0.0.1", self.port), timeout=10)
            returncode = self.proc.poll()
            if returncode is not None:
                if any(marker in text for marker in self.port_in_use_markers):
                    self.stop()
                    self.proc = None
                    raise _PortTaken
                raise self._exited_error("while starting", returncode)
            if time.monotonic() > deadline:
                raise EmulatorError(
                    f"{self.title} did not open its serial console within "
                    f"{self.startup_timeout:g} s (see {self.emulator_log})."
                )
            time.sleep(0.02)

    def stop(self) -> None:
        """Quit the emulator (cleanly if it obeys, else terminate, then kill); idempotent."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(Exception):
                self.request_stop()
            if not self._reaped(proc, self.stop_timeout):
                proc.terminate()
                if not self._reaped(proc, 3.0):
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        if proc is not None and proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        with contextlib.suppress(Exception):
            self.close_extras()
        if self.console is not None and not self.console.closed:
            self._drain()
            self.console.close()
        if self._recorder is not None:
            self._recorder.close()
        _running.discard(self)

    @staticmethod
    def _reaped(proc: subprocess.Popen[bytes], timeout: float) -> bool:
        try:
            proc.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def _drain(self) -> None:
        """Record what the console still holds, without waiting for more."""
        pexpect = require_module("pexpect", "pexpect==4.9.0")
        with contextlib.suppress(pexpect.TIMEOUT, pexpect.EOF, OSError):
            while True:
                self.console.read_nonblocking(65536, timeout=0.05)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- console ----------------------------------------------------------------------

    def send(self, text: str) -> None:
        """Type text on the serial console."""
        self._require_console().send(text.encode())

    def wait_for(
        self,
        pattern: Patterns,
        timeout: float = 60.0,
        failure: Patterns | None = FATAL_PREFIX,
    ) -> re.Match[str]:
        """Wait until a pattern (regex, or list: any) appears in console text not consumed
        by an earlier wait; returns the match (its positions index `output`). A failure
        pattern appearing first raises ConsoleFailure at once; failure=None disables that."""
        self._require_console()
        wanted = compile_patterns(pattern)
        failing = compile_patterns(failure) if failure is not None else []
        deadline = time.monotonic() + timeout
        while True:
            text = self.output
            match = first_match(wanted, text, self._pos)
            bad = first_match(failing, text, self._pos)
            if bad is not None and (match is None or bad.start() < match.start()):
                self._raise_failure(bad)
            if match is not None:
                self._pos = match.end()
                return match
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ConsoleTimeout(
                    f"Timed out after {timeout:g} s waiting for {describe(pattern)} on the "
                    f"{self.title} console (log: {self.console_log}); its last lines:\n" + tail(text)
                )
            self._read(remaining, f"waiting for {describe(pattern)}")

    def _read(self, timeout: float, doing: str) -> None:
        """Read what arrives within timeout (recorded via ConsoleRecorder)."""
        pexpect = require_module("pexpect", "pexpect==4.9.0")
        try:
            self.console.read_nonblocking(65536, timeout=timeout)
        except pexpect.TIMEOUT:
            pass
        except pexpect.EOF:
            raise self._exited_error(doing) from None

    def _raise_failure(self, bad: re.Match[str]) -> None:
        line_start = self.output.rfind("\n", 0, bad.start()) + 1
        deadline = time.monotonic() + FAILURE_GRACE_S
        while HALTED not in self.output[line_start:] and time.monotonic() < deadline:
            try:
                self._read(deadline - time.monotonic(), "reading a failure report")
            except EmulatorExited:
                break
        text = self.output[line_start:]
        if HALTED in text:
            text = text[: text.index(HALTED) + len(HALTED)]
        self._pos = line_start + len(text)
        raise ConsoleFailure(f"The {self.title} console reported a failure:\n{text}", text)

    def _exited_error(self, doing: str, returncode: int | None = None) -> EmulatorExited:
        if returncode is None and self.proc is not None:
            # The console closes as the emulator exits: give it a moment for its exit code.
            with contextlib.suppress(subprocess.TimeoutExpired):
                returncode = self.proc.wait(5)
        what = "closed its console" if returncode is None else f"exited (code {returncode})"
        reason = self.exit_reason()
        log = self.emulator_log.read_text(errors="replace") if self.emulator_log.exists() else ""
        return EmulatorExited(
            f"{self.title} {what} {doing}"
            + (f": {reason}" if reason else "")
            + f". Last lines of {self.emulator_log}:\n{tail(log)}",
            returncode,
        )

    def _require_console(self) -> Any:
        if self.console is None or self.console.closed:
            raise EmulatorError(f"The {self.title} machine is not running.")
        return self.console
