"""`tools/plinth console`: a real machine's serial console, logged, with FATAL reports decoded.

The target is a serial device (/dev/ttyUSB0, /dev/ttyS0; opened raw, 8N1, no flow control,
with the standard library's termios) or `tcp:HOST:PORT` (a serial-over-network server such
as ser2net in raw mode, or an emulator's serial socket). Everything the target prints goes
to the terminal and, byte for byte, to a log file; lines starting with "FATAL: " are shown in
red on a terminal; when a FATAL report ends (Plinth's "all CPUs halted" line) the report is
printed again decoded, as `tools/plinth decode` would. Keys go to the target; Ctrl-] quits.

terminal.attach (for `plinth run`) drives a pexpect spawn and stops at a pattern; a real
console runs until the user quits, across reboots of the target, and rewrites what it shows,
so it has this small loop of its own.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import fcntl
import grp
import os
import select
import socket
import sys
import termios
import time
import tty
from pathlib import Path
from typing import BinaryIO, Protocol

from tools import consoleproto as cp
from tools import fatal
from tools.errors import PlinthError
from tools.paths import BUILD
from tools.terminal import key_name

CONSOLE_LOGS = BUILD / "console-logs"
DEFAULT_BAUD = 115200
ESCAPE = b"\x1d"  # Ctrl-]
RED, RESET = b"\x1b[1;31m", b"\x1b[0m"
FATAL_MARK = cp.FATAL_PREFIX.encode()
# Lines kept from a FATAL line to its HALTED line; a report is far shorter.
REPORT_MAX_LINES = 2000


class Connection(Protocol):
    name: str

    def fileno(self) -> int: ...
    def read(self) -> bytes: ...  # b"" once closed
    def write(self, data: bytes) -> None: ...
    def close(self) -> None: ...


class SerialPort:
    """A tty device in raw mode: 8 data bits, no parity, 1 stop bit, no flow control."""

    def __init__(self, device: str, baud: int = DEFAULT_BAUD) -> None:
        self.name = device
        speed = getattr(termios, f"B{baud}", None)
        if speed is None:
            raise PlinthError(f"{baud} baud is not a speed this system's serial driver knows; use e.g. 115200.")
        try:
            # O_NONBLOCK: do not wait for a modem's carrier (CLOCAL below ignores it after).
            self.fd = os.open(device, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        except OSError as err:
            raise open_error(device, err) from None
        try:
            self._setup(speed)
        except BaseException:
            os.close(self.fd)
            raise

    def _setup(self, speed: int) -> None:
        try:
            # Like picocom and screen: one program per port at a time.
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise PlinthError(f"{self.name} is in use by another program (it holds a lock on it).") from None
        try:
            attrs = termios.tcgetattr(self.fd)
        except termios.error:
            raise PlinthError(f"{self.name} is not a serial port (it has no terminal settings).") from None
        attrs[0] = termios.IGNBRK  # iflag: no CR/NL mapping, no parity marks, no XON/XOFF
        attrs[1] = 0  # oflag: bytes go out as typed
        attrs[2] = termios.CS8 | termios.CREAD | termios.CLOCAL  # 8N1, no RTS/CTS, no modem lines
        attrs[3] = 0  # lflag: no echo, no line editing, no signals
        attrs[4] = attrs[5] = speed
        attrs[6][termios.VMIN] = 1
        attrs[6][termios.VTIME] = 0
        termios.tcsetattr(self.fd, termios.TCSANOW, attrs)
        termios.tcflush(self.fd, termios.TCIOFLUSH)
        fcntl.fcntl(self.fd, fcntl.F_SETFL, fcntl.fcntl(self.fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)

    def fileno(self) -> int:
        return self.fd

    def read(self) -> bytes:
        try:
            return os.read(self.fd, 4096)
        except OSError as err:
            if err.errno == errno.EIO:  # a USB adapter unplugged, or a pty's other side closed
                return b""
            raise

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]

    def close(self) -> None:
        os.close(self.fd)


class TcpPort:
    """A raw TCP byte stream to a serial line (ser2net raw mode, an emulator's socket)."""

    def __init__(self, host: str, port: int) -> None:
        self.name = f"tcp:{host}:{port}"
        try:
            self.sock = socket.create_connection((host, port), timeout=10)
        except OSError as err:
            reason = (err.strerror or str(err)).lower()
            raise PlinthError(f"cannot connect to {host}:{port}: {reason}.") from None
        self.sock.settimeout(None)

    def fileno(self) -> int:
        return self.sock.fileno()

    def read(self) -> bytes:
        try:
            return self.sock.recv(4096)
        except ConnectionResetError:
            return b""

    def write(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        self.sock.close()


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


def connect(target: str, baud: int = DEFAULT_BAUD) -> Connection:
    """A SerialPort for a device path, a TcpPort for tcp:HOST:PORT."""
    if target.startswith("tcp:"):
        host, sep, port = target[4:].rpartition(":")
        host = host.strip("[]")  # tcp:[::1]:4555
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise PlinthError(f"'{target}' is not tcp:HOST:PORT (e.g. tcp:127.0.0.1:4555).")
        return TcpPort(host, int(port))
    return SerialPort(target, baud)


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
        if self.report is None and cp.FATAL_RE.search(line):
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
        lines = ["", "---- plinth: the FATAL report above, decoded (tools/plinth decode) ----"]
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


def session(
    conn: Connection,
    log: BinaryIO,
    screen: Screen,
    keys_fd: int | None,
    escape: bytes = ESCAPE,
) -> str:
    """Pump until the user types escape ("quit") or the connection closes ("closed")."""
    while True:
        fds = [conn.fileno()] + ([keys_fd] if keys_fd is not None else [])
        ready, _, _ = select.select(fds, [], [], 0.2)
        if not ready:
            screen.flush_held()
            continue
        if keys_fd is not None and keys_fd in ready:
            keys = os.read(keys_fd, 1024)
            if escape in keys:
                if keys.index(escape):
                    conn.write(keys[: keys.index(escape)])
                return "quit"
            if keys:
                conn.write(keys)
            else:
                keys_fd = None  # stdin ended: keep showing the console
        if conn.fileno() in ready:
            try:
                data = conn.read()
            except OSError as err:
                raise PlinthError(f"reading {conn.name} failed: {(err.strerror or str(err)).lower()}.") from None
            if not data:
                return "closed"
            log.write(data)
            log.flush()
            screen.feed(data)


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
        say.write(f"plinth: {text}\n".encode())
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
            if not stdin_tty:
                how = session(conn, log, screen, keys_fd)
            else:
                how = _raw_session(conn, log, screen, keys_fd)
            screen.flush_held()
            if color and screen.in_fatal_line:
                out.write(RESET)
                out.flush()
    finally:
        conn.close()
    status(("detached" if how == "quit" else f"{conn.name} closed") + f"; log: {log_path}")
    return how


def _raw_session(conn: Connection, log: BinaryIO, screen: Screen, keys_fd: int | None) -> str:
    """session() with the terminal in raw mode (Ctrl-C goes to the target), restored after."""
    assert keys_fd is not None
    saved = termios.tcgetattr(keys_fd)
    try:
        tty.setraw(keys_fd, termios.TCSANOW)
        # Keep output processing, so lines ending in a bare "\n" do not staircase.
        attrs = termios.tcgetattr(keys_fd)
        attrs[1] |= termios.OPOST | termios.ONLCR
        termios.tcsetattr(keys_fd, termios.TCSANOW, attrs)
        return session(conn, log, screen, keys_fd)
    finally:
        termios.tcsetattr(keys_fd, termios.TCSADRAIN, saved)
