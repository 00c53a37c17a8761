"""Connect the user's terminal to an emulator's serial console (for `plinth run`)."""

from __future__ import annotations

import codecs
import os
import re
import select
import sys
import termios
import time
import tty
from collections.abc import Sequence
from typing import Any

from tools.emulators.base import require_module
from tools.errors import PlinthError

# After a stop pattern, output is still shown until the console is quiet this long (so a
# FATAL report's dump is seen), but for LINGER_S at most.
QUIET_S = 0.5
LINGER_S = 3.0


def key_name(key: str) -> str:
    """How a user types key: "\\x1d" -> "Ctrl-]"."""
    code = ord(key)
    return f"Ctrl-{chr(code + 64)}" if code < 32 else repr(key)


def attach(emu_or_console: Any, stop_patterns: Sequence[str] = (), escape: str = "\x1d") -> str | None:
    """Stream the console to stdout and, when stdin is a terminal, keystrokes to the console.

    stop_patterns are regular expressions matched within a console line. Returns the one
    that matched, or None when the user pressed `escape` or the console closed. The
    terminal mode is always restored. emu_or_console: an Emulator (output is then also
    recorded in its console.log) or a pexpect spawn.
    """
    console = getattr(emu_or_console, "console", emu_or_console)
    if console is None or console.closed:
        raise PlinthError("Cannot attach to the console: the emulator is not running.")
    interactive = sys.stdin is not None and sys.stdin.isatty()
    if interactive:
        print(
            f"plinth: console attached; press {key_name(escape)} to quit.",
            file=sys.stderr,
        )
    else:
        print(
            "plinth: streaming the console (stdin is not a terminal); Ctrl-C to quit.",
            file=sys.stderr,
        )
    stop = [(pattern, re.compile(pattern)) for pattern in stop_patterns]
    if not interactive:
        return _pump(console, None, stop, escape.encode())
    stdin_fd = sys.stdin.fileno()
    saved = termios.tcgetattr(stdin_fd)
    try:
        tty.setraw(stdin_fd, termios.TCSANOW)  # TCSANOW: keep keys typed ahead
        # Raw input (Ctrl-C goes to the guest), but keep output processing so console
        # lines ending in a bare "\n" do not staircase across the screen.
        attrs = termios.tcgetattr(stdin_fd)
        attrs[1] |= termios.OPOST | termios.ONLCR
        termios.tcsetattr(stdin_fd, termios.TCSANOW, attrs)
        return _pump(console, stdin_fd, stop, escape.encode())
    finally:
        termios.tcsetattr(stdin_fd, termios.TCSADRAIN, saved)


def _pump(
    console: Any,
    stdin_fd: int | None,
    stop: list[tuple[str, re.Pattern[str]]],
    escape: bytes,
) -> str | None:
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    line = ""  # the console's current (unfinished) line: stop patterns may span chunks
    while True:
        fds = [console.child_fd] + ([stdin_fd] if stdin_fd is not None else [])
        ready, _, _ = select.select(fds, [], [])
        if stdin_fd is not None and stdin_fd in ready:
            keys = os.read(stdin_fd, 1024)
            if escape in keys:
                console.send(keys[: keys.index(escape)])
                return None
            if keys:
                console.send(keys)
            else:
                stdin_fd = None  # stdin closed: keep streaming
        if console.child_fd in ready:
            data = _read(console, 0)
            if data is None:
                return None
            _show(data)
            line += decoder.decode(data).replace("\r", "")
            for pattern, regex in stop:
                if regex.search(line):
                    _linger(console)
                    return pattern
            line = line[line.rfind("\n") + 1 :]


def _read(console: Any, timeout: float) -> bytes | None:
    """What the console has within timeout (b"" if nothing), or None once it is closed."""
    pexpect = require_module("pexpect", "pexpect==4.9.0")
    try:
        data = console.read_nonblocking(65536, timeout=timeout)
    except pexpect.TIMEOUT:
        return b""
    except pexpect.EOF:
        return None
    return data.encode() if isinstance(data, str) else data


def _show(data: bytes) -> None:
    out = getattr(sys.stdout, "buffer", None)
    if out is not None:
        out.write(data)
        out.flush()
    else:
        sys.stdout.write(data.decode(errors="replace"))
        sys.stdout.flush()


def _linger(console: Any) -> None:
    deadline = time.monotonic() + LINGER_S
    while (remaining := deadline - time.monotonic()) > 0:
        data = _read(console, min(QUIET_S, remaining))
        if not data:
            return
        _show(data)
