"""The system tests on a lab target through labgrid: `tools/plinth test --lg-env LAB.yaml`.

labgrid (its coordinator, exporters, places, drivers and pytest plugin) does the lab's work:
the environment file names a target "main" whose drivers give power (a PowerProtocol driver:
a PDU's NetworkPowerDriver, an IPMI command through ExternalPowerDriver, ...), the serial
console (a ConsoleProtocol driver: SerialDriver on an exported serial port) and the TFTP
directory its firmware boots from (TFTPProviderDriver). docs/lab.md shows a real target's
environment, and tools/labsim.py an emulated one that CI runs.

This module puts Plinth on such a target: stage_pxe() writes `image --pxe`'s tree into the
provider's directory, and LabMachine is the target as the tests' Emulator interface (start,
wait_for, send, output, stop): power cycled through labgrid's power driver, its console read
through labgrid's console driver, recorded like an emulator's.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import pexpect

from tools import pxe
from tools.emulators.base import READ_SIZE, ConsoleRecorder, Emulator
from tools.errors import PlinthError

# How long one read from the lab's console waits at most (pexpect asks again).
READ_WAIT_S = 0.2


def stage_pxe(target: Any, elf: Path, modules: Sequence[tuple[Path, str]], cmdline: str) -> pxe.PxeTree:
    """The network-boot tree for Plinth with these modules, written where the target's
    TFTPProvider serves it (its internal directory, as the lab's TFTP server sees it under
    the provider's external path)."""
    provider = target.get_driver("TFTPProviderDriver", activate=False)
    where = provider.get_export_vars()
    host, internal, external = where["host"], Path(where["internal"]), where["external"]
    if not is_this_host(host):
        raise PlinthError(
            f"the target's TFTP directory {internal} is on {host}: mount it here at the same path, or run the "
            "tests on that host (docs/lab.md)."
        )
    return pxe.make_pxe(elf, internal, modules, cmdline, tftp_dir=external)


def is_this_host(host: str) -> bool:
    if host in ("localhost", "127.0.0.1", "::1", socket.gethostname(), socket.getfqdn()):
        return True
    with contextlib.suppress(OSError):
        return socket.gethostbyname(host) == socket.gethostbyname(socket.gethostname()) or host.startswith("127.")
    return False


class LabConsole(pexpect.spawn):
    """pexpect over a labgrid console driver (as labgrid's own PtxExpect), decoding with the
    recorder so that console.log gets the raw bytes and expect() plain text."""

    def __init__(self, driver: Any, recorder: ConsoleRecorder) -> None:
        self.driver = driver
        # No command: the "child" is the driver (labgrid's PtxExpect does the same).
        pexpect.spawn.__init__(self, None, maxread=READ_SIZE, encoding="utf-8", codec_errors="replace")  # type: ignore[arg-type]
        self._decoder = recorder
        self.closed = False

    def read_nonblocking(self, size: int = 1, timeout: float | None = -1) -> str:
        """What the console has within timeout: read in short waits, so that "" (not yet)
        goes back to pexpect's loop, which keeps the time; TIMEOUT only once it is up."""
        if timeout == -1:
            timeout = self.timeout
        wait = READ_WAIT_S if timeout is None else min(timeout, READ_WAIT_S)
        try:
            data = self.driver.read(size=1, timeout=wait, max_size=size)
        except pexpect.TIMEOUT:
            if timeout is not None and timeout <= READ_WAIT_S:
                raise
            return ""
        text: str = self._decoder.decode(data)
        return text

    def send(self, s: str | bytes) -> int:
        data = s.encode() if isinstance(s, str) else s
        return int(self.driver.write(data))

    def close(self, force: bool = True) -> None:
        self.closed = True

    def isalive(self) -> bool:
        return not self.closed


class LabMachine(Emulator):
    """A labgrid target that boots Plinth over PXE (see the module's text)."""

    name = "lab"
    title = "the lab target"
    binary = ""
    package = ""
    default_cpu_model = "the lab's"

    def __init__(self, target: Any, logdir: Path) -> None:
        super().__init__(Path(os.devnull), logdir)
        self.target = target
        self.power: Any = None

    def validate(self) -> list[str]:
        return []

    def command(self) -> list[str]:
        return []

    def start(self) -> Self:
        """Power off, connect the console (nothing the target says is missed), power on."""
        self.logdir.mkdir(parents=True, exist_ok=True)
        self.power = self.target.get_driver("PowerProtocol")
        self.power.off()
        driver = self.target.get_driver("ConsoleProtocol")
        with contextlib.suppress(pexpect.TIMEOUT):
            while driver.read(size=1, timeout=0.1, max_size=READ_SIZE):
                pass  # what an earlier boot left on the line
        self._recorder = ConsoleRecorder(self.console_log)
        self.console = LabConsole(driver, self._recorder)
        self.cmdline_txt.write_text(f"labgrid target {self.target.name}: power on through {self.power}\n")
        self.power.on()
        return self

    def send_bytes(self, data: bytes) -> None:
        self._require_console().send(data)

    def stop(self) -> None:
        if self.power is not None:
            with contextlib.suppress(Exception):
                self.power.off()
            self.power = None
        if self.console is not None:
            self.console.close()
        if self._recorder is not None:
            self._recorder.close()
            self._recorder = None
