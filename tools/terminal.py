"""The one terminal loop: bytes from a link to the screen, keys from the terminal to the link.

A link is a serial line or TCP stream opened with pyserial (`tools/plinth console`, see
serialconsole.py) or an emulator's console (`tools/plinth run`, attach() below). pump() moves
bytes both ways until the user types the escape key (Ctrl-]), the link closes, or whoever
reads the output says stop; raw_keys() puts the terminal in raw mode meanwhile (Ctrl-C goes to
the target) and always restores it.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import re
import select
import sys
import termios
import time
import tty
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from tools import consoleproto as cp
from tools.errors import PlinthError
from tools.msg import say
from tools.progress import Progress
from tools.progress import phase as progress_phase
from tools.textfilter import PlainText

if TYPE_CHECKING:
    from tools.emulators.base import Emulator

Pattern = str | re.Pattern[str]

ESCAPE = b"\x1d"  # Ctrl-]
# After a stop pattern, output is still shown until the console is quiet this long (so a
# FATAL report's dump is seen), but for LINGER_S at most.
QUIET_S = 0.5
LINGER_S = 3.0
# How often pump() calls its idle function while nothing arrives.
IDLE_S = 0.2

QUIT, CLOSED, STOPPED, TIMEOUT = "quit", "closed", "stopped", "timeout"


class Link(Protocol):
    """A byte stream to a target."""

    name: str

    def fileno(self) -> int: ...
    def read(self) -> bytes | None: ...  # what is there (b"" if nothing after all); None once closed
    def write(self, data: bytes) -> None: ...


def key_name(key: str) -> str:
    """How a user types key: "\\x1d" -> "Ctrl-]"."""
    code = ord(key)
    return f"Ctrl-{chr(code + 64)}" if code < 32 else repr(key)


@contextlib.contextmanager
def raw_keys(fd: int) -> Iterator[None]:
    """The terminal on fd in raw mode (keys as typed, Ctrl-C included), with output processing
    kept so that lines ending in a bare "\\n" do not staircase; restored afterwards."""
    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd, termios.TCSANOW)  # TCSANOW: keep keys typed ahead
        attrs = termios.tcgetattr(fd)
        attrs[1] |= termios.OPOST | termios.ONLCR
        termios.tcsetattr(fd, termios.TCSANOW, attrs)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def pump(
    link: Link,
    keys_fd: int | None,
    show: Callable[[bytes], bool],
    *,
    escape: bytes = ESCAPE,
    idle: Callable[[], bool | None] | None = None,
) -> str:
    """Until QUIT (escape typed; the keys before it are sent), CLOSED (the link ended),
    STOPPED (show(data) returned True) or TIMEOUT (idle() returned True): what the link sends
    goes to show, keys from keys_fd (None: none) go to the link. idle is called when nothing
    came for IDLE_S, and at least every IDLE_S while output streams."""
    last_idle = time.monotonic()
    while True:
        fds = [link.fileno()] + ([keys_fd] if keys_fd is not None else [])
        ready, _, _ = select.select(fds, [], [], IDLE_S if idle is not None else None)
        if idle is not None and (not ready or time.monotonic() - last_idle >= IDLE_S):
            last_idle = time.monotonic()
            if idle():
                return TIMEOUT
            if not ready:
                continue
        if keys_fd is not None and keys_fd in ready:
            keys = os.read(keys_fd, 1024)
            if escape in keys:
                if keys.index(escape):
                    link.write(keys[: keys.index(escape)])
                return QUIT
            if keys:
                link.write(keys)
            else:
                keys_fd = None  # stdin ended: keep showing the target
        if link.fileno() in ready:
            data = link.read()
            if data is None:
                return CLOSED
            if data and show(data):
                return STOPPED


class EmulatorLink:
    """An emulator's console as a link; what it reads is recorded in the emulator's logs."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.name = f"the {emu.title} console"

    def fileno(self) -> int:
        return self.emu.console_fd

    def read(self) -> bytes | None:
        return self.emu.read_console()

    def write(self, data: bytes) -> None:
        self.emu.send_bytes(data)


@dataclass(frozen=True)
class Attached:
    """How attach() ended: "stopped" (a stop pattern, `matched`), "closed" (the console
    closed: the emulator is ending), "quit" (the user typed the escape key) or "timeout"."""

    how: str
    matched: Pattern | None = None


def attach(
    emu: Emulator,
    stop_patterns: Sequence[Pattern] = (),
    escape: str = "\x1d",
    *,
    timeout: float | None = None,
    progress: Progress | None = None,
    guest: str | None = None,
) -> Attached:
    """Stream the emulator's console to stdout and, when stdin is a terminal, keystrokes to it.

    stop_patterns are regular expressions (strings or compiled) matched within a console
    line. Output is also recorded in the emulator's console.log. The terminal shows the
    console as it is once Plinth has started, GRUB's screen drawing before that as plain
    lines; a pipe gets plain text throughout (textfilter.py). timeout (seconds) ends the
    attachment; progress, if given, shows signs of life while the console is quiet (guest:
    "Linux" or None, for what it says).
    """
    if emu.console is None or emu.console.closed:
        raise PlinthError("Cannot attach to the console: the emulator is not running.")
    interactive = sys.stdin is not None and sys.stdin.isatty()
    if interactive:
        say(f"console attached; press {key_name(escape)} to quit.")
    else:
        say("streaming the console (stdin is not a terminal); Ctrl-C to quit.")
    link = EmulatorLink(emu)
    watch = StopWatch(stop_patterns)
    view = TerminalView(raw_after_banner=interactive and sys.stdout.isatty())
    deadline = None if timeout is None else time.monotonic() + timeout

    def show(data: bytes) -> bool:
        if progress is not None:
            progress.clear()
        _show(view.feed(data, started=cp.BANNER in emu.output))
        return watch.feed(data)

    def idle() -> bool:
        if deadline is not None and time.monotonic() >= deadline:
            return True
        if progress is not None:
            out = emu.output
            progress.quiet(emu.quiet_s, progress_phase(out, guest), line_complete=not out or out.endswith("\n"))
        return False

    try:
        if not interactive:
            how = pump(link, None, show, escape=escape.encode(), idle=idle)
        else:
            with raw_keys(sys.stdin.fileno()):
                how = pump(link, sys.stdin.fileno(), show, escape=escape.encode(), idle=idle)
    finally:
        if progress is not None:
            progress.clear()
    if how != STOPPED:
        return Attached(how)
    _linger(link, lambda data: _show(view.feed(data, started=True)))
    return Attached(STOPPED, watch.matched)


class TerminalView:
    """What the terminal shows of the console's bytes: plain text (textfilter.PlainText)
    until Plinth has started when raw_after_banner (a terminal: the guest's own line editing
    and screen control then pass), plain text always otherwise."""

    def __init__(self, raw_after_banner: bool) -> None:
        self.raw_after_banner = raw_after_banner
        self.plain = PlainText()

    def feed(self, data: bytes, started: bool) -> bytes:
        if self.raw_after_banner and started:
            return self.plain.feed(b"", final=True).encode() + data if self.plain.pending else data
        return self.plain.feed(data).encode()


class StopWatch:
    """Watches console output for stop patterns, each matched within one line (a line may
    arrive in pieces)."""

    def __init__(self, patterns: Sequence[Pattern]) -> None:
        self.patterns = [(pattern, re.compile(pattern)) for pattern in patterns]
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.line = ""  # the current (unfinished) line
        self.matched: Pattern | None = None

    def feed(self, data: bytes) -> bool:
        self.line += self.decoder.decode(data).replace("\r", "")
        for pattern, regex in self.patterns:
            if regex.search(self.line):
                self.matched = pattern
                return True
        self.line = self.line[self.line.rfind("\n") + 1 :]
        return False


def _show(data: bytes) -> None:
    out = getattr(sys.stdout, "buffer", None)
    if out is not None:
        out.write(data)
        out.flush()
    else:
        sys.stdout.write(data.decode(errors="replace"))
        sys.stdout.flush()


def _linger(link: Link, show: Callable[[bytes], None]) -> None:
    """Show what still comes until the link is quiet for QUIET_S (LINGER_S at most)."""
    deadline = time.monotonic() + LINGER_S
    while (remaining := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([link.fileno()], [], [], min(QUIET_S, remaining))
        data = link.read() if ready else None
        if not data:
            return
        show(data)
