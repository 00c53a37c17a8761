"""`tools/plinth console`: a real machine's serial console, logged, with FATAL reports decoded.

The target is a serial device (/dev/ttyUSB0, /dev/ttyS0; raw, 8N1, no flow control, locked
against a second program) or `tcp:HOST:PORT` (a serial-over-network server such as ser2net in
raw mode, or an emulator's serial socket); pyserial's serial_for_url opens both. Everything the
target prints goes to the terminal and, byte for byte, to a log file; lines starting with
"FATAL: " are shown in red on a terminal; when a FATAL report ends (Plinth's "all CPUs halted"
line) the report is printed again decoded, as `tools/plinth decode` would. Keys go to the
target; Ctrl-] quits. The loop itself is terminal.pump, which `plinth run` uses too.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import grp
import os
import sys
import termios
import time
from pathlib import Path
from typing import Any, BinaryIO

from tools import consoleproto as cp
from tools import fatal
from tools.emulators.base import require_module
from tools.errors import PlinthError
from tools.paths import CONSOLE_LOGS
from tools.terminal import ESCAPE, QUIT, key_name, pump, raw_keys

DEFAULT_BAUD = 115200
PYSERIAL = "pyserial-labgrid==3.5.0.2"
RED, RESET = b"\x1b[1;31m", b"\x1b[0m"
FATAL_MARK = cp.FATAL_PREFIX.encode()
# Lines kept from a FATAL line to its HALTED line; a report is far shorter.
REPORT_MAX_LINES = 2000
# What a read error means the target went away: a USB adapter unplugged, a pty's other side
# closed, a TCP peer that reset the connection.
GONE = (errno.EIO, errno.ENXIO, errno.ECONNRESET, errno.EPIPE)


class SerialLink:
    """A pyserial port (a tty or a socket:// URL) as a terminal.Link: reads what is there."""

    def __init__(self, port: Any, name: str) -> None:
        self.port = port
        self.name = name

    def fileno(self) -> int:
        return int(self.port.fileno())

    def read(self) -> bytes | None:
        serial = require_module("serial", PYSERIAL)
        try:
            return bytes(self.port.read(4096))  # timeout=0: what is there
        except serial.SerialException as err:
            # pyserial says "socket disconnected" or "returned no data" (no errno) for a peer
            # that went away, and wraps the OSError of a read that failed (its context).
            cause = _innermost(err)
            if not isinstance(cause, OSError) or cause.errno is None or cause.errno in GONE:
                return None
            raise PlinthError(f"reading {self.name} failed: {_reason(cause)}.") from None

    def write(self, data: bytes) -> None:
        self.port.write(data)

    def close(self) -> None:
        self.port.close()


def _innermost(err: BaseException) -> BaseException:
    while err.__context__ is not None:
        err = err.__context__
    return err


def _reason(err: BaseException) -> str:
    return (getattr(err, "strerror", None) or str(err)).lower()


def open_error(device: str, err: OSError) -> PlinthError:
    """One sentence for why device cannot be opened, with what to do about it."""
    if isinstance(err, FileNotFoundError):
        return PlinthError(
            f"cannot open {device}: no such device; is the adapter plugged in? (`ls /dev/ttyUSB* /dev/ttyACM* "
            "/dev/ttyS*` lists serial ports)"
        )
    if isinstance(err, PermissionError):
        group = "dialout"
        with contextlib.suppress(OSError, KeyError):
            group = grp.getgrgid(os.stat(device).st_gid).gr_name
        return PlinthError(
            f"cannot open {device}: permission denied; add yourself to the {group} group "
            f"(sudo usermod -aG {group} $USER, then log in again)."
        )
    if err.errno == errno.EBUSY:
        return PlinthError(f"cannot open {device}: it is busy; another program has it open.")
    return PlinthError(f"cannot open {device}: {(err.strerror or str(err)).lower()}.")


def connect(target: str, baud: int = DEFAULT_BAUD) -> SerialLink:
    """The target opened with pyserial: a device path raw at baud 8N1, or tcp:HOST:PORT."""
    serial = require_module("serial", PYSERIAL)
    if target.startswith("tcp:"):
        host, sep, port = target[4:].rpartition(":")
        if not sep or not host.strip("[]") or not port.isdigit() or not 0 < int(port) < 65536:
            raise PlinthError(f"'{target}' is not tcp:HOST:PORT (e.g. tcp:127.0.0.1:4555).")
        sock = serial.serial_for_url(f"socket://{host}:{port}", timeout=0, do_not_open=True)
        # pyserial's socket open() ends by discarding what already arrived (its
        # reset_input_buffer); a console logs every byte, so nothing is discarded here.
        setattr(sock, "reset_input_buffer", lambda: None)  # noqa: B010 (an instance override)
        try:
            sock.open()
            return SerialLink(sock, target)
        except serial.SerialException as err:
            why = _reason(_innermost(err))
            raise PlinthError(f"cannot connect to {host.strip('[]')}:{port}: {why}.") from None
    if getattr(termios, f"B{baud}", None) is None:
        raise PlinthError(f"{baud} baud is not a speed this system's serial driver knows; use e.g. 115200.")
    try:
        # exclusive: a lock, like picocom and screen take, so that one program has the port.
        port = serial.serial_for_url(target, baudrate=baud, timeout=0, exclusive=True)
    except serial.SerialException as err:
        raise _serial_open_error(target, err) from None
    return SerialLink(port, target)


def _serial_open_error(device: str, err: Any) -> PlinthError:
    """One sentence for a pyserial open failure: its context is the OSError or termios.error."""
    cause = _innermost(err)
    if "exclusively lock" in str(err):
        return PlinthError(f"{device} is in use by another program (it holds a lock on it).")
    if isinstance(cause, termios.error):
        return PlinthError(f"{device} is not a serial port (it has no terminal settings).")
    if isinstance(cause, OSError):
        return open_error(device, cause)
    return PlinthError(f"cannot open {device}: {_reason(err)}.")


class Screen:
    """What the console shows: the bytes as they come, FATAL lines in colour, and each FATAL
    report decoded once its HALTED line arrives."""

    def __init__(self, out: BinaryIO, elf: Path, color: bool) -> None:
        self.out = out
        self.elf = elf
        self.color = color
        self.at_line_start = True
        self.held = b""  # the start of a line that may still turn out to be "FATAL: "
        self.in_fatal_line = False
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.line = ""  # the current line, decoded
        self.report: list[str] | None = None  # lines since the last FATAL line

    def feed(self, data: bytes) -> None:
        self.out.write(self._paint(data))
        self.out.flush()
        for ch in self.decoder.decode(data).replace("\r", ""):
            if ch == "\n":
                self._line_done(self.line)
                self.line = ""
            else:
                self.line += ch

    def _paint(self, data: bytes) -> bytes:
        """data with colour codes around FATAL lines; the first bytes of a line are held back
        while they could still be the start of "FATAL: "."""
        if not self.color:
            return data
        shown = bytearray()
        for byte in data:
            b = bytes([byte])
            if self.in_fatal_line:
                if b in (b"\r", b"\n"):
                    shown += RESET
                    self.in_fatal_line = False
                    self.at_line_start = b == b"\n"
                shown += b
            elif self.at_line_start and b not in (b"\r", b"\n"):
                self.held += b
                if self.held == FATAL_MARK:
                    shown += RED + self.held
                    self.held, self.at_line_start, self.in_fatal_line = b"", False, True
                elif not FATAL_MARK.startswith(self.held):
                    shown += self.held
                    self.held, self.at_line_start = b"", False
            else:
                shown += self.held + b
                # A CR at a line start leaves it one (Plinth's early FATAL starts "\r\nFATAL").
                self.at_line_start = b == b"\n" or (b == b"\r" and not self.held and self.at_line_start)
                self.held = b""
        return bytes(shown)

    def flush_held(self) -> None:
        """Show what is held back (a line start that is quiet for a while)."""
        if self.held:
            self.out.write(self.held)
            self.out.flush()
            self.held, self.at_line_start = b"", False

    def _line_done(self, line: str) -> None:
        if self.report is None and cp.FATAL.search(line):
            self.report = []
        if self.report is None:
            return
        self.report.append(line)
        if cp.HALTED in line:
            self._show_decoded("\n".join(self.report) + "\n")
            self.report = None
        elif len(self.report) > REPORT_MAX_LINES:
            self.report = None

    def _show_decoded(self, text: str) -> None:
        lines = ["", "---- the FATAL report above, decoded (tools/plinth decode) ----"]
        try:
            lines.append(fatal.decode(text, self.elf))
        except PlinthError as err:
            lines.append(f"(code addresses not resolved: {err})")
            for rep in fatal.parse(text):
                lines.append(rep.text.splitlines()[0])
                lines.extend(fatal.describe_vmcs(rep.text))
        lines += ["---- end of the decoded report ----", ""]
        self.out.write("\n".join(lines).encode())
        self.out.flush()


def default_log() -> Path:
    return CONSOLE_LOGS / f"{time.strftime('%Y%m%d-%H%M%S')}.log"


def console(
    target: str,
    baud: int = DEFAULT_BAUD,
    log_path: Path | None = None,
    elf: Path | None = None,
    *,
    keys_fd: int | None = None,
    out: BinaryIO | None = None,
    color: bool | None = None,
    say: BinaryIO | None = None,
) -> str:
    """Attach to target until Ctrl-] or its end; returns "quit" or "closed".

    keys_fd/out default to the terminal (stdin in raw mode while attached, when it is one);
    color defaults to whether out is a terminal; status lines go to say (default stderr)."""
    from tools.paths import ELF

    elf = Path(elf) if elf is not None else ELF
    log_path = Path(log_path) if log_path is not None else default_log()
    out = out if out is not None else sys.stdout.buffer
    say = say if say is not None else sys.stderr.buffer
    if color is None:
        color = out.isatty()
    stdin_tty = keys_fd is None and sys.stdin is not None and sys.stdin.isatty()
    if keys_fd is None and sys.stdin is not None:
        with contextlib.suppress(ValueError, OSError):
            keys_fd = sys.stdin.fileno()

    def status(text: str) -> None:
        say.write(f"==> {text}\n".encode())
        say.flush()

    conn = connect(target, baud)
    try:
        try:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            log = log_path.open("ab")
        except OSError as err:
            raise PlinthError(f"cannot write the console log {log_path}: {err.strerror}.") from None
        with log:
            line = "" if target.startswith("tcp:") else f" at {baud} 8N1, no flow control"
            status(f"console on {conn.name}{line}; log: {log_path}")
            if not elf.is_file():
                status(f"no {elf}: FATAL reports will be shown without code addresses resolved (use --elf)")
            status(f"press {key_name(ESCAPE.decode())} to quit")
            screen = Screen(out, elf, color)

            def show(data: bytes) -> bool:
                log.write(data)
                log.flush()
                screen.feed(data)
                return False  # a real console runs until the user quits, across reboots

            with raw_keys(keys_fd) if stdin_tty and keys_fd is not None else contextlib.nullcontext():
                how = pump(conn, keys_fd, show, idle=screen.flush_held)
            screen.flush_held()
            if color and screen.in_fatal_line:
                out.write(RESET)
                out.flush()
    finally:
        conn.close()
    status(("detached" if how == QUIT else f"{conn.name} closed") + f"; log: {log_path}")
    return how
