"""`tools/plinth console`: a pty pair stands in for the serial line, a local socket for tcp:.

What comes from the target is shown and logged byte for byte, FATAL lines are red on a
terminal, a complete FATAL report (up to "all CPUs halted") is printed again decoded, keys
reach the target, Ctrl-] detaches, and a port that cannot be opened is one sentence.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tools import bootstrap, consoleproto, serialconsole, vmcs
from tools.errors import PlinthError
from tools.paths import ROOT

PLINTH = str(ROOT / "tools" / "plinth")
FATAL_LINE = "FATAL: unexpected VM exit (exit reason 48 EPT_VIOLATION, qualification 0x181, guest rip 0x100020)"


def dump_line(name: str, value: int) -> str:
    encoding = vmcs.field_by_name(name)
    assert encoding is not None
    return f"  vmcs 0x{encoding.encoding:04x} = 0x{value:016x}"


# Plinth's console as the wire carries it: CR LF line ends, the report after a blank line.
OUTPUT = "\r\n".join(
    [
        "plinth: Plinth hypervisor 0.1.0 (x86-64)",
        "plinth: vm0: 1 vCPUs, 504 MiB RAM in 2 memory ranges",
        "",
        FATAL_LINE,
        "  vm 0 vcpu 0 on CPU 0: guest rip 0x100020 rsp 0x7000 rflags 0x2",
        "  rax 0x1 rbx 0x2 rcx 0x3 rdx 0x4",
        "  VMCS (decode with: tools/plinth decode CONSOLE_LOG):",
        dump_line("VM_EXIT_REASON", 48),
        dump_line("EXIT_QUALIFICATION", 0x181),
        dump_line("GUEST_RIP", 0x100020),
        dump_line("GUEST_PHYSICAL_ADDRESS", 0x7FF000),
        consoleproto.HALTED,
        "",
    ]
).encode()


def wait_until(check: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class Attached:
    """serialconsole.console() running in a thread, with a pipe for keys and captured output."""

    def __init__(self, target: str, log: Path, elf: Path, *, baud: int = 115200, color: bool = False) -> None:
        self.keys_r, self.keys_w = os.pipe()
        self.out, self.say = io.BytesIO(), io.BytesIO()
        self.log = log
        self.result: str | BaseException | None = None

        def run() -> None:
            try:
                self.result = serialconsole.console(
                    target, baud, log, elf, keys_fd=self.keys_r, out=self.out, color=color, say=self.say
                )
            except BaseException as err:  # handed to the test
                self.result = err

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def type(self, keys: bytes) -> None:
        os.write(self.keys_w, keys)

    def finish(self, timeout: float = 10.0) -> str:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the console did not end"
        os.close(self.keys_r)
        os.close(self.keys_w)
        if isinstance(self.result, BaseException):
            raise self.result
        assert isinstance(self.result, str)
        return self.result


@pytest.fixture
def pty() -> Iterator[tuple[int, str, int]]:
    """(master fd, slave device path, slave fd): the master is the target's end of the line."""
    master, slave = os.openpty()
    yield master, os.ttyname(slave), slave
    for fd in (master, slave):
        try:
            os.close(fd)
        except OSError:
            pass


def read_available(fd: int, timeout: float = 2.0, until: bytes = b"") -> bytes:
    import select

    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (not until or until not in data):
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            data += os.read(fd, 4096)
    return data


def test_pty_console_shows_logs_and_decodes_a_fatal_report(
    pty: tuple[int, str, int], tmp_path: Path, plinth_elf: Path
) -> None:
    master, device, slave = pty
    log = tmp_path / "logs" / "console.log"
    console = Attached(device, log, plinth_elf, baud=9600)
    wait_until(lambda: b"press Ctrl-] to quit" in console.say.getvalue(), "the console to attach")
    # The line is raw 8N1 at the chosen speed, without flow control or echo.
    iflag, oflag, cflag, lflag, ispeed, ospeed, _ = termios.tcgetattr(slave)
    assert (ispeed, ospeed) == (termios.B9600, termios.B9600)
    assert cflag & termios.CSIZE == termios.CS8 and not cflag & (termios.PARENB | termios.CSTOPB)
    assert not cflag & termios.CRTSCTS and cflag & termios.CLOCAL
    assert not iflag & (termios.IXON | termios.IXOFF | termios.ICRNL)
    assert not lflag & (termios.ECHO | termios.ICANON | termios.ISIG) and not oflag & termios.OPOST

    for i in range(0, len(OUTPUT), 37):  # in pieces, as a UART delivers it
        os.write(master, OUTPUT[i : i + 37])
    wait_until(lambda: b"end of the decoded report" in console.out.getvalue(), "the decoded report")
    console.type(b"stats\r\x1d")
    assert console.finish() == "quit"

    assert read_available(master, until=b"stats\r") == b"stats\r"  # the keys before Ctrl-]
    assert log.read_bytes() == OUTPUT
    shown = console.out.getvalue().decode()
    assert shown.startswith(OUTPUT.decode())
    decoded = shown[len(OUTPUT) :]
    assert FATAL_LINE in decoded
    assert "=> VMCS dump: 4 fields" in decoded
    assert "=> exit reason 48 EPT_VIOLATION" in decoded
    assert "=> EXIT_QUALIFICATION = 0x181" in decoded
    assert "=> GUEST_PHYSICAL_ADDRESS = 0x7ff000" in decoded
    status = console.say.getvalue().decode()
    assert f"console on {device} at 9600 8N1, no flow control; log: {log}" in status
    assert f"detached; log: {log}" in status


def test_fatal_lines_are_red_on_a_terminal_even_split_across_reads(tmp_path: Path) -> None:
    out = io.BytesIO()
    screen = serialconsole.Screen(out, tmp_path / "no.elf", color=True)
    for piece in (b"plinth: x\r\nFA", b"TAL: ", b"boom (why)\r\nFAST line\r\n\r\nFATAL: again (y)\r\n"):
        screen.feed(piece)
    assert out.getvalue() == (
        b"plinth: x\r\n"
        + serialconsole.RED
        + b"FATAL: boom (why)"
        + serialconsole.RESET
        + b"\r\nFAST line\r\n\r\n"
        + serialconsole.RED
        + b"FATAL: again (y)"
        + serialconsole.RESET
        + b"\r\n"
    )


def test_a_held_back_line_start_is_shown_when_the_line_goes_quiet(tmp_path: Path) -> None:
    out = io.BytesIO()
    screen = serialconsole.Screen(out, tmp_path / "no.elf", color=True)
    screen.feed(b"login: \r\nF")
    assert out.getvalue() == b"login: \r\n"  # "F" may still become "FATAL: "
    screen.flush_held()
    assert out.getvalue() == b"login: \r\nF"


def test_without_the_elf_the_vmcs_fields_are_still_named(tmp_path: Path) -> None:
    out = io.BytesIO()
    serialconsole.Screen(out, tmp_path / "missing.elf", color=False).feed(OUTPUT)
    decoded = out.getvalue().decode()[len(OUTPUT) :]
    assert "code addresses not resolved: cannot read" in decoded
    assert "=> exit reason 48 EPT_VIOLATION" in decoded


def test_quit_key_detaches_at_once(pty: tuple[int, str, int], tmp_path: Path) -> None:
    _, device, _ = pty
    console = Attached(device, tmp_path / "c.log", tmp_path / "plinth.elf")
    console.type(b"\x1d")
    assert console.finish() == "quit"
    assert b"no " in console.say.getvalue() and b"(use --elf)" in console.say.getvalue()


def test_the_target_going_away_ends_the_console(tmp_path: Path) -> None:
    master, slave = os.openpty()
    device = os.ttyname(slave)
    console = Attached(device, tmp_path / "c.log", tmp_path / "plinth.elf")
    wait_until(lambda: b"press Ctrl-]" in console.say.getvalue(), "the console to attach")
    os.write(master, b"plinth: bye\r\n")
    wait_until(lambda: (tmp_path / "c.log").read_bytes() == b"plinth: bye\r\n", "the log")
    os.close(slave)
    os.close(master)  # like a USB adapter unplugged: reads fail with EIO
    assert console.finish() == "closed"
    assert f"{device} closed".encode() in console.say.getvalue()


def test_a_missing_device_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(PlinthError) as err:
        serialconsole.console("/dev/ttyUSB-none", log_path=tmp_path / "c.log", keys_fd=-1, say=io.BytesIO())
    assert str(err.value).startswith("cannot open /dev/ttyUSB-none: no such device; is the adapter plugged in?")
    assert not (tmp_path / "c.log").exists()
    env = dict(os.environ, **{bootstrap.IN_VENV_FLAG: "1", "PYTHONPATH": str(ROOT)})
    res = subprocess.run(
        [sys.executable, PLINTH, "console", "/dev/ttyUSB-none"],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert res.stderr.startswith("==> error: cannot open /dev/ttyUSB-none: no such device")


def test_open_errors_say_what_to_do() -> None:
    denied = serialconsole.open_error("/dev/ttyUSB-none", PermissionError(13, "Permission denied"))
    assert str(denied).startswith("cannot open /dev/ttyUSB-none: permission denied; add yourself to the dialout group")
    busy = serialconsole.open_error("/dev/ttyS0", OSError(16, "Device or resource busy"))
    assert str(busy) == "cannot open /dev/ttyS0: it is busy; another program has it open."


def test_a_file_that_is_not_a_serial_port_is_refused(tmp_path: Path) -> None:
    plain = tmp_path / "not-a-tty"
    plain.write_bytes(b"")
    with pytest.raises(PlinthError, match=r"not-a-tty is not a serial port"):
        serialconsole.connect(str(plain))
    with pytest.raises(PlinthError, match=r"12345 baud is not a speed"):
        serialconsole.connect(str(plain), 12345)


def test_a_port_in_use_is_refused(pty: tuple[int, str, int]) -> None:
    _, device, _ = pty
    first = serialconsole.connect(device)
    try:
        with pytest.raises(PlinthError, match=r"is in use by another program"):
            serialconsole.connect(device)
    finally:
        first.close()


def test_tcp_console_against_a_local_server(tmp_path: Path, plinth_elf: Path) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    got = bytearray()

    def target() -> None:  # a ser2net-like raw server: sends the output, reads keys, hangs up
        conn, _ = server.accept()
        with conn:
            conn.sendall(OUTPUT)
            conn.settimeout(5)
            while b"\r" not in got:
                data = conn.recv(100)
                if not data:
                    break
                got.extend(data)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    console = Attached(f"tcp:127.0.0.1:{port}", tmp_path / "tcp.log", plinth_elf)
    wait_until(lambda: b"end of the decoded report" in console.out.getvalue(), "the decoded report")
    console.type(b"vms\r")
    assert console.finish() == "closed"  # the server hung up after the keys
    thread.join(5)
    server.close()
    assert bytes(got) == b"vms\r"
    assert (tmp_path / "tcp.log").read_bytes() == OUTPUT
    assert "=> exit reason 48 EPT_VIOLATION" in console.out.getvalue().decode()
    assert f"console on tcp:127.0.0.1:{port}; log:".encode() in console.say.getvalue()


def test_tcp_errors_are_one_sentence() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(PlinthError, match=rf"^cannot connect to 127\.0\.0\.1:{port}: connection refused\.$"):
        serialconsole.connect(f"tcp:127.0.0.1:{port}")
    with pytest.raises(PlinthError, match=r"'tcp:localhost' is not tcp:HOST:PORT"):
        serialconsole.connect("tcp:localhost")


def test_cli_console_over_tcp_logs_to_the_given_file(tmp_path: Path) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def target() -> None:
        conn, _ = server.accept()
        with conn:
            conn.sendall(b"plinth: Plinth hypervisor 0.1.0 (x86-64)\r\n")

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    log = tmp_path / "cli.log"
    env = dict(os.environ, **{bootstrap.IN_VENV_FLAG: "1", "PYTHONPATH": str(ROOT)})
    res = subprocess.run(
        [sys.executable, PLINTH, "console", f"tcp:127.0.0.1:{port}", "--log", str(log)],
        capture_output=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=30,
    )
    thread.join(5)
    server.close()
    assert res.returncode == 0, res.stderr
    assert res.stdout == b"plinth: Plinth hypervisor 0.1.0 (x86-64)\r\n"  # as sent, not coloured (no tty)
    assert log.read_bytes() == res.stdout
    assert f"tcp:127.0.0.1:{port} closed; log: {log}".encode() in res.stderr


@pytest.mark.qemu
def test_console_decodes_a_real_fatal_report_on_com2(plinth_elf: Path, logdir: Path) -> None:
    """End to end: Plinth in QEMU with --serial com2 and fault=ud; `console tcp:` on COM2's
    socket shows the report and resolves its code addresses in plinth.elf.

    COM2 listens on a port QEMU's kernel picks (port=0), which QMP then names; QEMU starts
    paused (-S) and runs once the console is attached, so nothing Plinth prints there is lost
    and no wait lacks a deadline."""
    import shutil

    from tools import emulators, image

    if not shutil.which("qemu-system-x86_64"):
        pytest.skip("qemu-system-x86_64 is not installed (tools/plinth setup installs it)")
    iso = image.make_iso(plinth_elf, logdir / "plinth.iso", cmdline="fault=ud", serial=image.parse_serial("com2"))
    com2 = ["-chardev", "socket,id=com2,host=127.0.0.1,port=0,server=on,wait=off", "-serial", "chardev:com2", "-S"]
    with emulators.create("qemu", iso, logdir, extra_args=com2) as emu:
        assert isinstance(emu, emulators.QemuEmulator)
        chardevs = {c["label"]: c["filename"] for c in emu.qmp().cmd("query-chardev")}
        port = int(chardevs["com2"].split(",")[0].rpartition(":")[2])  # disconnected:tcp:127.0.0.1:PORT,server=on
        console = Attached(f"tcp:127.0.0.1:{port}", logdir / "com2.log", plinth_elf, color=True)
        wait_until(lambda: b"press Ctrl-] to quit" in console.say.getvalue(), "the console to attach")
        emu.qmp().cmd("cont")
        wait_until(lambda: b"end of the decoded report" in console.out.getvalue(), "the decoded report", 60)
        console.type(b"\x1d")
        assert console.finish() == "quit"
    shown = console.out.getvalue()
    assert serialconsole.RED + b"FATAL: CPU exception in Plinth (#UD invalid opcode" in shown
    assert b"=> rip arch_trigger_fault+0x" in shown
    assert b"command line: 'console=com2,115200 fault=ud'" in (logdir / "com2.log").read_bytes()
