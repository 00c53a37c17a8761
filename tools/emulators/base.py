"""What every emulator launcher shares: process handling, the serial console and its waits.

The harness owns the console socket: it listens on a localhost port the kernel picks, and the
emulator connects to it as a client (QEMU `-chardev socket,server=off`, Bochs
`com1: mode=socket-client`), as QEMU's own test machinery and labgrid do. No port is guessed,
no log is read to learn when to connect, and the accept has a deadline. A backend (bochs.py,
qemu.py) only says how to write its configuration for that port, which command to run, and how
to ask it to quit.
"""

from __future__ import annotations

import abc
import atexit
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
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any, ClassVar, Self

from tools.consoleproto import FATAL_PREFIX, HALTED
from tools.layout import LOAD_BASE, RESERVED_MAX
from tools.errors import PlinthError
from tools.textfilter import PlainText

Pattern = str | re.Pattern[str]
Patterns = Pattern | Sequence[Pattern]

# Plinth is loaded at LOAD_BASE and owns up to RESERVED_MAX from there; GRUB and the guest need
# some memory too.
MIN_MEMORY_MIB = 16
# How long the console is still read after a failure line, to capture Plinth's dump.
FAILURE_GRACE_S = 3.0
TAIL_LINES = 20
# How often a long wait_for reports to its progress watcher.
PROGRESS_S = 10.0
# Bytes pexpect reads at a time from the console socket.
READ_SIZE = 65536


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


def compile_patterns(patterns: Patterns) -> list[re.Pattern[str]]:
    if isinstance(patterns, (str, re.Pattern)):
        patterns = [patterns]
    return [re.compile(p) if isinstance(p, str) else p for p in patterns]


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
    """Every byte the console delivers, recorded once: raw to console.log at once (so a hung
    run still leaves it) and, as plain text (CRs and GRUB's escape sequences dropped, see
    textfilter.py), to `text`. pexpect decodes what it reads with decode() (see
    Emulator._open_console), so its buffer holds the same text."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("wb")
        self.plain = PlainText()
        self.chunks: list[str] = []
        self.last_data = time.monotonic()  # when the console last said something

    def decode(self, data: bytes, final: bool = False) -> str:
        self.file.write(data)
        self.file.flush()
        if data:
            self.last_data = time.monotonic()
        text = self.plain.feed(data, final)
        self.chunks.append(text)
        return text

    @property
    def text(self) -> str:
        if len(self.chunks) > 1:
            self.chunks[:] = ["".join(self.chunks)]
        return self.chunks[0] if self.chunks else ""

    def close(self) -> None:
        self.file.close()


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
    # How long the emulator may take to connect to the console socket.
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
        self.port = 0  # of the harness's console socket, which the emulator connects to
        self.proc: subprocess.Popen[bytes] | None = None
        # Once started: a pexpect fdspawn on the console socket that decodes to plain text (no CRs
        # or escapes; see ConsoleRecorder); whatever reads it is recorded in console.log/output.
        self.console: Any = None
        self._recorder: ConsoleRecorder | None = None
        # Called as progress(emulator, what is awaited, seconds waited) every PROGRESS_S of a
        # wait_for (the test harness shows it when tests run serially).
        self.progress: Callable[[Emulator, str, float], None] | None = None

    # --- what a backend provides ------------------------------------------------------

    @abc.abstractmethod
    def command(self) -> list[str]:
        """The emulator's argv, its serial port connecting to 127.0.0.1:self.port."""

    def check_installed(self) -> None:
        """Raise PlinthError if anything needed to run the emulator is missing."""
        require_binary(self.binary, self.title, self.package)

    def validate(self) -> list[str]:
        """Check the machine's options against this emulator's real limits before anything
        boots: PlinthError with one sentence for the first that it cannot run; returns
        notes (one sentence each) about what it will do instead of the obvious."""
        self.check_installed()
        if self.cpus < 1 or self.cpus > self.max_cpus():
            raise PlinthError(
                f"--cpus {self.cpus}: {self.title} ({self.cpu_model}) runs 1 to {self.max_cpus()} CPUs"
                f"{self.max_cpus_why()}."
            )
        if self.memory_mib < MIN_MEMORY_MIB:
            raise PlinthError(
                f"--memory {self.memory_mib}: Plinth needs at least {MIN_MEMORY_MIB} MiB (it is loaded at "
                f"{LOAD_BASE // 2**20} MiB and owns up to {RESERVED_MAX // 2**20} MiB from there)."
            )
        return []

    def max_cpus(self) -> int:
        """The most CPUs this emulator runs with this CPU model."""
        return 1

    def max_cpus_why(self) -> str:
        """Where max_cpus comes from, as a parenthesis for the error sentence."""
        return ""

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
    def quiet_s(self) -> float:
        """Seconds since the console last said anything (since start before it did)."""
        return time.monotonic() - self._recorder.last_data if self._recorder is not None else 0.0

    @property
    def output(self) -> str:
        """All console text seen so far, as plain text (no CRs, no escape sequences)."""
        return self._recorder.text if self._recorder is not None else ""

    # --- lifecycle --------------------------------------------------------------------

    def start(self) -> Self:
        """Launch the emulator and accept its serial console connection; returns self."""
        if self.proc is not None:
            raise EmulatorError(f"This {self.title} machine was already started.")
        self.check_installed()
        require_module("pexpect.fdpexpect", "pexpect==4.9.0")
        if not self.iso.is_file():
            raise PlinthError(f"Cannot start {self.title}: the ISO '{self.iso}' does not exist.")
        self.logdir.mkdir(parents=True, exist_ok=True)
        try:
            with socket.create_server(("127.0.0.1", 0), backlog=1) as listener:
                self.port = listener.getsockname()[1]
                self.prepare()
                self._spawn(self.command())
                sock = self._accept(listener)
            self._open_console(sock)
        except BaseException:
            self.stop()  # also on Ctrl-C: never leave a half-started emulator behind
            raise
        return self

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

    def _accept(self, listener: socket.socket) -> socket.socket:
        """The emulator's connection to the console socket, within startup_timeout; fails at
        once with its log tail if it exits first."""
        assert self.proc is not None
        deadline = time.monotonic() + self.startup_timeout
        while True:
            listener.settimeout(max(0.0, min(0.1, deadline - time.monotonic())))
            try:
                sock, _ = listener.accept()
                return sock
            except TimeoutError:
                pass
            returncode = self.proc.poll()
            if returncode is not None:
                raise self._exited_error("while starting", returncode)
            if time.monotonic() >= deadline:
                raise EmulatorError(
                    f"{self.title} did not connect to its serial console within "
                    f"{self.startup_timeout:g} s (see {self.emulator_log})."
                )

    def _open_console(self, sock: socket.socket) -> None:
        fdpexpect = require_module("pexpect.fdpexpect", "pexpect==4.9.0")
        # Blocking from here on: pexpect selects before reading, and a send must not fail
        # with EAGAIN when the emulator is slow to drain the socket.
        sock.settimeout(None)
        self._recorder = ConsoleRecorder(self.console_log)
        self.console = fdpexpect.fdspawn(
            sock.detach(), timeout=None, maxread=READ_SIZE, encoding="utf-8", codec_errors="replace"
        )
        # pexpect hands each read to its decoder: ours records the raw bytes first, and its
        # text has no CRs or escapes, so patterns match "\n" line ends whatever the guest sends.
        self.console._decoder = self._recorder

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
                self.console.read_nonblocking(READ_SIZE, timeout=0.05)

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
        self._require_console().send(text)

    def send_bytes(self, data: bytes) -> None:
        """Type raw bytes (keys as a terminal sends them) on the serial console."""
        fd = self._require_console().child_fd
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]

    def read_console(self) -> bytes | None:
        """What the console holds now, raw, for a terminal that shows it as it is (call it
        when console_fd is readable). It is recorded in console.log and `output` like all the
        console says, but wait_for does not see it. b"" when nothing came after all, None
        once the console is closed."""
        console = self._require_console()
        try:
            data = os.read(console.child_fd, READ_SIZE)
        except BlockingIOError:
            return b""
        except OSError:  # EIO, ECONNRESET: the emulator is gone
            data = b""
        if not data:
            console.flag_eof = True
            return None
        assert self._recorder is not None
        self._recorder.decode(data)
        return data

    @property
    def console_fd(self) -> int:
        return int(self._require_console().child_fd)

    def wait_for(
        self,
        pattern: Patterns,
        timeout: float = 60.0,
        failure: Patterns | None = FATAL_PREFIX,
    ) -> re.Match[str]:
        """Wait until a pattern (regex, or list: any) appears in console text not consumed
        by an earlier wait; returns the match. A failure pattern appearing first raises
        ConsoleFailure at once; failure=None disables that. This is pexpect's expect() over
        both lists: the earliest match wins, and what it ends at is consumed."""
        pexpect = require_module("pexpect", "pexpect==4.9.0")
        console = self._require_console()
        wanted = compile_patterns(pattern)
        failing = compile_patterns(failure) if failure is not None else []
        deadline = time.monotonic() + timeout
        try:
            while True:
                # In slices, so that a watcher (progress) sees a long wait go on.
                remaining = deadline - time.monotonic()
                step = remaining if self.progress is None else min(remaining, PROGRESS_S)
                try:
                    index = console.expect_list(wanted + failing, timeout=max(0.0, step))
                    break
                except pexpect.TIMEOUT:
                    if time.monotonic() >= deadline:
                        raise
                    if self.progress is not None:
                        self.progress(self, describe(pattern), timeout - remaining + step)
        except pexpect.TIMEOUT:
            raise ConsoleTimeout(
                f"Timed out after {timeout:g} s waiting for {describe(pattern)} on the "
                f"{self.title} console (log: {self.console_log}); its last lines:\n" + tail(self.output)
            ) from None
        except (pexpect.EOF, ConnectionResetError):
            raise self._exited_error(f"waiting for {describe(pattern)}") from None
        if index >= len(wanted):
            self._raise_failure(console)
        match: re.Match[str] = console.match
        return match

    def _raise_failure(self, console: Any) -> None:
        """The failing line and what follows it up to HALTED (Plinth's dump), read for
        FAILURE_GRACE_S at most, as a ConsoleFailure; all of it is consumed."""
        pexpect = require_module("pexpect", "pexpect==4.9.0")
        before: str = console.before
        text = before[before.rfind("\n") + 1 :] + console.after
        if HALTED not in text:
            try:
                console.expect_exact(HALTED, timeout=FAILURE_GRACE_S)
                text += console.before + console.after
            except pexpect.TIMEOUT:
                text += console.buffer
                console.buffer = ""
            except pexpect.EOF:
                text += console.before
        elif not text.endswith(HALTED):
            end = text.index(HALTED) + len(HALTED)
            console.buffer = text[end:] + console.buffer
            text = text[:end]
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
