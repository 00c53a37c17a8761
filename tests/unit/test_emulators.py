"""tools/emulators and tools/terminal.

Three layers: configuration only (bochsrc, QEMU argv, errors); the console logic against a
tiny fake emulator (a Python process with a socket), so it is tested without Bochs or QEMU;
and real boots in Bochs and QEMU of a GRUB ISO (marked bochs/qemu, skipped when missing).
"""

from __future__ import annotations

import itertools
import os
import pty
import shlex
import shutil
import struct
import sys
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools import image, terminal
from tools.consoleproto import HALTED
from tools.emulators import (
    BACKENDS,
    BOCHS_MODELS,
    BochsEmulator,
    ConsoleFailure,
    ConsoleTimeout,
    EmulatorExited,
    QemuEmulator,
    base,
    bochs,
    create,
)
from tools.errors import PlinthError

# --- configuration --------------------------------------------------------------------


@pytest.fixture
def fake_firmware(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """bochsrc generation without the bochsbios/vgabios packages."""
    for name in ("BIOS", "VGABIOS"):
        path = tmp_path / f"{name}.bin"
        path.write_bytes(b"\0")
        monkeypatch.setattr(bochs, name, ((path,), name.lower()))


@pytest.mark.usefixtures("fake_firmware")
def test_bochsrc_holds_model_cpus_memory_iso_and_serial_socket(tmp_path: Path) -> None:
    emu = BochsEmulator(
        tmp_path / "p.iso",
        tmp_path / "logs",
        cpu_model="tigerlake",
        cpus=2,
        memory_mib=256,
    )
    emu.port = 40123
    lines = emu.bochsrc().splitlines()
    assert "cpu: model=tigerlake, count=2, ips=50000000, reset_on_triple_fault=0" in lines
    assert "memory: guest=256, host=256" in lines
    assert f'ata0-master: type=cdrom, path="{tmp_path / "p.iso"}", status=inserted' in lines
    assert "boot: cdrom" in lines
    assert "com1: enabled=1, mode=socket-client, dev=127.0.0.1:40123" in lines
    assert 'display_library: rfb, options="timeout=0"' in lines
    assert "panic: action=fatal" in lines
    assert "port_e9_hack: enabled=1" in lines
    assert f'log: "{tmp_path / "logs" / "bochs.log"}"' in lines
    assert f'romimage: file="{tmp_path / "BIOS.bin"}"' in lines


@pytest.mark.usefixtures("fake_firmware")
def test_bochsrc_refuses_a_path_with_a_double_quote(tmp_path: Path) -> None:
    emu = BochsEmulator(tmp_path / 'a"b.iso', tmp_path)
    with pytest.raises(PlinthError, match="holds a double quote"):
        emu.bochsrc()


def test_bochs_defaults_to_the_first_test_model_and_runs_the_debugger_rc(
    tmp_path: Path,
) -> None:
    emu = BochsEmulator(tmp_path / "p.iso", tmp_path)
    assert emu.cpu_model == BOCHS_MODELS[0] == "corei7_haswell_4770"
    assert BOCHS_MODELS == ("corei7_haswell_4770", "tigerlake")
    assert emu.command() == [
        "bochs",
        "-q",
        "-f",
        str(tmp_path / "bochsrc"),
        "-rc",
        str(tmp_path / "debugger.rc"),
    ]


def test_missing_bochs_firmware_names_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bochs, "VGABIOS", ((tmp_path / "VGABIOS-lgpl-latest",), "vgabios"))
    with pytest.raises(PlinthError, match=r"no VGABIOS-lgpl-latest \(apt package: vgabios\)"):
        bochs.find_firmware(bochs.VGABIOS)


def test_qemu_command_line(tmp_path: Path) -> None:
    iso = tmp_path / "p.iso"
    emu = QemuEmulator(
        iso,
        tmp_path,
        cpus=2,
        memory_mib=1024,
        accel="kvm",
        extra_args=["-device", "intel-iommu", "-device", "edu"],
    )
    emu.port = 40124
    argv = emu.command()
    pairs = set(itertools.pairwise(argv))
    for pair in [
        ("-M", "q35"),
        ("-accel", "kvm"),
        ("-m", "1024"),
        ("-smp", "2"),
        ("-cpu", "max"),
        ("-cdrom", str(iso)),
        ("-boot", "d"),
        ("-display", "none"),
        ("-chardev", "socket,id=console,host=127.0.0.1,port=40124,server=off"),
        ("-serial", "chardev:console"),
        ("-qmp", f"unix:{tmp_path / 'qmp.sock'},server=on,wait=off"),
        ("-device", "isa-debug-exit,iobase=0xf4,iosize=4"),
    ]:
        assert pair in pairs
    assert argv[0] == "qemu-system-x86_64" and "-no-reboot" in argv
    assert argv[-4:] == ["-device", "intel-iommu", "-device", "edu"]
    assert QemuEmulator(iso, tmp_path, cpu_model="Haswell").command()[argv.index("-cpu") + 1] == "Haswell"


def test_qemu_moves_a_too_long_qmp_socket_path(tmp_path: Path) -> None:
    deep = tmp_path / ("x" * 60) / ("y" * 60)
    emu = QemuEmulator(tmp_path / "p.iso", deep)
    assert len(str(emu.qmp_path)) <= 107 and emu.qmp_path.parent.is_dir()
    socket_dir = emu.qmp_path.parent
    emu.close_extras()
    assert not socket_dir.exists()


def test_create_builds_the_named_backend(tmp_path: Path) -> None:
    assert set(BACKENDS) == {"bochs", "qemu"}
    emu = create("qemu", tmp_path / "p.iso", tmp_path, extra_args=["-device", "edu"], cpus=2)
    assert isinstance(emu, QemuEmulator) and emu.cpus == 2 and emu.name == "qemu"
    assert isinstance(create("bochs", tmp_path / "p.iso", tmp_path), BochsEmulator)


def test_unknown_backend_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(PlinthError, match=r"^Unknown emulator 'vbox': choose one of bochs, qemu\.$"):
        create("vbox", tmp_path / "p.iso", tmp_path)


@pytest.mark.parametrize(
    ("backend", "message"),
    [
        ("bochs", "Bochs is not installed: no 'bochs' on PATH (apt package: bochs)."),
        (
            "qemu",
            ("QEMU is not installed: no 'qemu-system-x86_64' on PATH (apt package: qemu-system-x86)."),
        ),
    ],
)
def test_missing_binary_is_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str, message: str
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    emu = create(backend, tmp_path / "p.iso", tmp_path / "logs")
    with pytest.raises(PlinthError) as err:
        emu.start()
    assert str(err.value) == message
    assert emu.proc is None


def test_missing_iso_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QemuEmulator, "binary", sys.executable)
    emu = QemuEmulator(tmp_path / "missing.iso", tmp_path / "logs")
    with pytest.raises(PlinthError, match=r"Cannot start QEMU: the ISO '.*missing\.iso' does not"):
        emu.start()
    assert emu.proc is None


# --- console logic, against a fake emulator -------------------------------------------

# Connects to the harness's console socket like an emulator's serial port, sends its payload
# in chunks ("|" separates them), then exits (mode "exit"), or echoes what it is sent (mode
# "echo"); mode "die" exits at once, "mute" never connects.
FAKE_EMULATOR = r"""
import socket, sys, time
port, payload, mode = int(sys.argv[1]), bytes.fromhex(sys.argv[2]), sys.argv[3]
if mode == "die":
    print("fake: cannot start", flush=True)
    sys.exit(7)
if mode == "mute":
    time.sleep(60)
conn = socket.create_connection(("127.0.0.1", port))
for chunk in payload.split(b"|"):
    conn.sendall(chunk)
    time.sleep(0.05)
if mode == "exit":
    print("fake: bye", flush=True)
    sys.exit(3)
while data := conn.recv(100):
    conn.sendall(b"echo:" + data)
"""


class FakeEmulator(base.Emulator):
    name = "fake"
    title = "Fake"
    binary = sys.executable
    package = "python3"
    default_cpu_model = "none"

    def __init__(self, logdir: Path, payload: bytes = b"", mode: str = "echo") -> None:
        logdir.mkdir(parents=True, exist_ok=True)
        (logdir / "fake.iso").write_bytes(b"")
        super().__init__(logdir / "fake.iso", logdir)
        self.payload, self.mode = payload, mode

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-c",
            FAKE_EMULATOR,
            str(self.port),
            self.payload.hex(),
            self.mode,
        ]


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[type[FakeEmulator]]:
    started: list[FakeEmulator] = []

    class Tracked(FakeEmulator):
        def start(self) -> Tracked:
            started.append(self)
            return super().start()

    yield Tracked
    for emu in started:
        emu.stop()


def test_wait_for_returns_matches_in_order_from_clean_text(tmp_path: Path, fake) -> None:
    emu = fake(tmp_path, b"boot\r\nrea|dy 1\r\nready 2\r\n").start()
    assert emu.wait_for(r"ready (\d)\n").group(1) == "1"  # found across two chunks
    assert emu.wait_for(r"ready (\d)\n").group(1) == "2"  # the first one was consumed
    assert emu.output == "boot\nready 1\nready 2\n"
    emu.stop()
    assert emu.console_log.read_bytes() == b"boot\r\nready 1\r\nready 2\r\n"


def test_wait_for_a_list_returns_the_earliest_match(tmp_path: Path, fake) -> None:
    emu = fake(tmp_path, b"beta\nalpha\n").start()
    assert emu.wait_for(["alpha", "beta"]).group(0) == "beta"


def test_failure_raises_at_once_with_the_dump_up_to_halted(tmp_path: Path, fake) -> None:
    emu = fake(tmp_path, f"boot\nFATAL: vmxon (no VMX)\n|rip=1\n|{HALTED}\n|later\n".encode())
    emu.start()
    begin = time.monotonic()
    with pytest.raises(ConsoleFailure) as err:
        emu.wait_for("never", timeout=30)
    assert time.monotonic() - begin < base.FAILURE_GRACE_S  # HALTED ended the wait
    assert err.value.text == f"FATAL: vmxon (no VMX)\nrip=1\n{HALTED}"
    assert "FATAL: vmxon (no VMX)" in str(err.value)


def test_failure_without_halted_stops_after_the_grace(tmp_path: Path, fake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "FAILURE_GRACE_S", 0.5)
    emu = fake(tmp_path, b"FATAL: stuck (no dump)\n").start()
    with pytest.raises(ConsoleFailure, match="stuck"):
        emu.wait_for("never", timeout=30)


def test_a_success_before_the_failure_still_counts(tmp_path: Path, fake) -> None:
    emu = fake(tmp_path, f"ok\nFATAL: late (x)\n{HALTED}\n".encode()).start()
    emu.wait_for("ok")
    with pytest.raises(ConsoleFailure):
        emu.wait_for("never", timeout=30)


def test_failure_none_lets_a_test_expect_a_fatal(tmp_path: Path, fake) -> None:
    emu = fake(tmp_path, f"FATAL: expected (test)\n{HALTED}\n".encode()).start()
    assert emu.wait_for(r"FATAL: (\w+)", failure=None).group(1) == "expected"
    emu.wait_for(HALTED, failure=None)


def test_timeout_names_pattern_and_shows_the_last_lines(tmp_path: Path, fake) -> None:
    emu = fake(tmp_path, b"line 1\nlast words\n").start()
    emu.wait_for("last words")
    with pytest.raises(ConsoleTimeout) as err:
        emu.wait_for("never", timeout=0.3)
    assert "'never'" in str(err.value) and "0.3 s" in str(err.value)
    assert str(err.value).endswith("line 1\nlast words")


def test_exit_raises_emulator_exited_with_code_and_log_tail(tmp_path: Path, fake) -> None:
    emu = fake(tmp_path, b"bye\n", mode="exit").start()
    with pytest.raises(EmulatorExited) as err:
        emu.wait_for("never", timeout=30)
    assert err.value.returncode == 3
    assert "exited (code 3)" in str(err.value) and "fake: bye" in str(err.value)


def test_an_emulator_dying_at_start_is_reported(tmp_path: Path, fake) -> None:
    with pytest.raises(EmulatorExited, match="cannot start") as err:
        fake(tmp_path, mode="die").start()
    assert err.value.returncode == 7


def test_send_reaches_the_console(tmp_path: Path, fake) -> None:
    emu = fake(tmp_path).start()
    emu.send("hi there\n")
    emu.wait_for("echo:hi there\n", timeout=10)


def test_stop_is_idempotent_and_leaves_no_process(tmp_path: Path, fake) -> None:
    with fake(tmp_path) as emu:
        pid = emu.proc.pid
    assert emu.proc.returncode is not None and not Path(f"/proc/{pid}").exists()
    emu.stop()


def test_cmdline_txt_holds_directory_and_exact_command(tmp_path: Path, fake) -> None:
    emu = fake(tmp_path).start()
    cwd_line, command_line = emu.cmdline_txt.read_text().split("\n", 1)
    assert cwd_line == f"cd {tmp_path}"
    assert shlex.split(command_line) == base.die_with_parent(emu.command())


def test_the_harness_listens_and_the_emulator_connects(tmp_path: Path, fake) -> None:
    """The console socket is the harness's: bound before the emulator starts, on a port the
    kernel picked, and closed once the emulator is connected (nothing else can connect)."""
    emu = fake(tmp_path, b"ok\n").start()
    assert emu.port > 0 and str(emu.port) in emu.command()
    emu.wait_for("ok")
    with pytest.raises(ConnectionRefusedError), base.socket.create_connection(("127.0.0.1", emu.port), timeout=5):
        pass


def test_an_emulator_that_never_connects_times_out(tmp_path: Path, fake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FakeEmulator, "startup_timeout", 0.5)
    emu = fake(tmp_path, mode="mute")
    begin = time.monotonic()
    with pytest.raises(base.EmulatorError, match=r"^Fake did not connect to its serial console within 0\.5 s"):
        emu.start()
    assert time.monotonic() - begin < 10
    assert emu.proc is not None and emu.proc.returncode is not None  # stopped, not left running


# --- terminal.attach ------------------------------------------------------------------


def test_attach_streams_until_a_stop_pattern(tmp_path: Path, fake, capfd: pytest.CaptureFixture[str]) -> None:
    emu = fake(tmp_path, b"hello\nplinth: no |guest to launch\nrest\n").start()
    stop = ["FATAL: ", "plinth: no guest to launch"]
    assert terminal.attach(emu, stop) == terminal.Attached("stopped", "plinth: no guest to launch")
    out, err = capfd.readouterr()
    assert out.startswith("hello\nplinth: no guest to launch\n")
    assert "Ctrl-C" in err  # stdin is not a terminal here


def test_attach_returns_none_when_the_console_closes(tmp_path: Path, fake) -> None:
    emu = fake(tmp_path, b"bye\n", mode="exit").start()
    assert terminal.attach(emu, ["never"]).how == "closed"


def test_attach_forwards_keys_in_raw_mode_and_restores_the_terminal(
    tmp_path: Path,
    fake,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)

    def type_once_raw() -> None:  # keys typed before raw mode would be line-edited
        while termios.tcgetattr(slave)[3] & termios.ICANON:
            time.sleep(0.01)
        os.write(master, b"ls\r\x1d")

    with os.fdopen(slave, "r") as tty_in:
        monkeypatch.setattr(sys, "stdin", tty_in)
        emu = fake(tmp_path).start()
        typist = threading.Thread(target=type_once_raw)
        typist.start()
        assert terminal.attach(emu, ["never"]).how == "quit"  # Ctrl-] detached
        typist.join()
        assert termios.tcgetattr(slave) == before
    os.close(master)
    emu.wait_for("echo:ls")  # the keys before Ctrl-] reached the console...
    assert emu.console_log.read_bytes() == b"echo:ls\r"  # ...raw: Enter is still "\r"
    assert "press Ctrl-] to quit" in capfd.readouterr().err


# --- real boots -----------------------------------------------------------------------

HARNESS_CFG = f"""serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
echo PLINTH-HARNESS-OK
read line
echo "got: $line"
echo "FATAL: harness test (requested by the test)"
echo "dump line"
echo "{HALTED}"
halt
"""

BINARIES = {
    "bochs": ("bochs", "bochs"),
    "qemu": ("qemu-system-x86_64", "qemu-system-x86"),
}
BACKEND_PARAMS = [pytest.param(name, marks=getattr(pytest.mark, name)) for name in BINARIES]


def skip_unless_installed(backend: str) -> None:
    binary, package = BINARIES[backend]
    if shutil.which(binary) is None:
        pytest.skip(f"{binary} is not installed (apt package: {package})")
    if not all(shutil.which(tool) for tool in image.REQUIRED_TOOLS):
        pytest.skip("grub-mkrescue, xorriso or mformat missing (grub-pc-bin xorriso mtools)")


@pytest.fixture(scope="module")
def harness_iso(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GRUB ISO without kernel: echoes, reads a line, fakes a FATAL report, powers off."""
    if not all(shutil.which(tool) for tool in image.REQUIRED_TOOLS):
        pytest.skip("grub-mkrescue, xorriso or mformat missing (grub-pc-bin xorriso mtools)")
    tree = tmp_path_factory.mktemp("harness")
    (tree / "boot/grub").mkdir(parents=True)
    (tree / "boot/grub/grub.cfg").write_text(HARNESS_CFG)
    iso = tree.parent / "harness.iso"
    image.mkrescue(tree, iso)
    return iso


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_real_boot_console_round_trip(backend: str, harness_iso: Path, tmp_path: Path) -> None:
    skip_unless_installed(backend)
    with create(backend, harness_iso, tmp_path) as emu:
        emu.wait_for("PLINTH-HARNESS-OK\n")
        assert emu.binary in (tmp_path / "cmdline.txt").read_text()
        with pytest.raises(ConsoleTimeout):
            emu.wait_for("never", timeout=1)  # GRUB now waits in `read`
        emu.send("hello\r")
        emu.wait_for("got: hello\n")
        with pytest.raises(ConsoleFailure) as failure:
            emu.wait_for("never", timeout=30)
        assert failure.value.text.startswith("FATAL: harness test") and HALTED in failure.value.text
        with pytest.raises(EmulatorExited):  # GRUB's halt powers the machine off
            emu.wait_for("never", timeout=30)
        assert emu.proc is not None
        pid = emu.proc.pid
    assert not Path(f"/proc/{pid}").exists()
    assert b"PLINTH-HARNESS-OK" in (tmp_path / "console.log").read_bytes()


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_real_boot_stop_while_running(backend: str, harness_iso: Path, tmp_path: Path) -> None:
    skip_unless_installed(backend)
    emu = create(backend, harness_iso, tmp_path).start()
    emu.wait_for("PLINTH-HARNESS-OK\n")
    emu.stop()
    # The clean way worked: SIGTERM would give Bochs -15 and make QEMU say so.
    assert emu.proc is not None and emu.proc.returncode == 0
    assert "terminating on signal" not in emu.emulator_log.read_text()
    if backend == "bochs":
        assert "<bochs:1> q" in emu.emulator_log.read_text()  # debugger prompt, then q
    emu.stop()


LOAD = 0x100000
MB2_MAGIC = 0xE85250D6
# Flat 32-bit code run at LOAD + 64 by GRUB (multiboot2 address and entry tags): prints
# each cmdline tag as "CMDLINE=[...]" and each module's as "MODULE=[...]" on COM1, then
# loads an empty IDT and executes int3: a triple fault. It waits for LSR.TEMT after each
# byte: Bochs drops the bytes still in its UART when the fault ends it. Assembled with GNU
# as from:  mov $stack,%esp; lea 8(%ebx),%esi; next: walk tags (type 1: print 8(%esi),
# type 3: print 16(%esi), type 0: lidt empty; int3), advance by (size + 7) & ~7.
TAG_PRINTER_CODE = bytes.fromhex(
    "bc100110008d73088b0685c0744183f801741283f80374178b460483c00783e0"
    "f801c6ebe38d5e08b9b1001000eb088d5e10b9bb001000e81b00000089d9e814"
    "000000b9c4001000e80a000000ebc90f011dc8001000cc8a2184e4741366baf8"
    "0388e0ee66bafd03eca84074fb41ebe7c3434d444c494e453d5b004d4f44554c"
    "453d5b005d0a00900000000000006690"
)


def tag_printer_kernel() -> bytes:
    """A multiboot2 kernel image in the a.out-kludge format GRUB loads without ELF."""
    entry = LOAD + 64
    tags = struct.pack("<HHIIIII", 2, 0, 24, LOAD, LOAD, 0, 0)  # load the whole file at LOAD
    tags += struct.pack("<HHII", 3, 0, 12, entry) + bytes(4)  # entry, padded to 8
    tags += struct.pack("<HHI", 0, 0, 8)
    length = 16 + len(tags)
    header = struct.pack("<IIII", MB2_MAGIC, 0, length, -(MB2_MAGIC + length) & 0xFFFFFFFF)
    # The code ends with its 64-byte stack (zeros) up to LOAD + 0x110.
    return (header + tags).ljust(64, b"\0") + TAG_PRINTER_CODE.ljust(0xD0, b"\0")


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_real_kernel_gets_exact_cmdlines_and_its_triple_fault_ends_the_run(backend: str, tmp_path: Path) -> None:
    skip_unless_installed(backend)
    kernel = tmp_path / "kernel.bin"
    kernel.write_bytes(tag_printer_kernel())
    module = tmp_path / "module.bin"
    module.write_bytes(b"module")
    iso = image.make_iso(
        kernel,
        tmp_path / "k.iso",
        [(module, "role=guest  x=$y;z"), (module, "")],
        "log=debug {a} b;c",
    )
    # Bochs on its newest test model with 2 CPUs, so that configuration boots too.
    options = {"cpu_model": BOCHS_MODELS[-1], "cpus": 2} if backend == "bochs" else {}
    with create(backend, iso, tmp_path / "logs", **options) as emu:
        emu.wait_for(r"CMDLINE=\[log=debug \{a\} b;c\]\n")
        emu.wait_for(r"MODULE=\[role=guest x=\$y;z\]\nMODULE=\[\]\n")
        with pytest.raises(EmulatorExited, match="triple"):
            emu.wait_for("never", timeout=60)
