"""QEMU: the backend with an Intel IOMMU (VT-d) and DMA-capable test devices, and QMP."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tools.emulators.base import Emulator, EmulatorError, require_module
from tools.errors import PlinthError

# isa-debug-exit turns the guest's write of V to port 0xf4 into QEMU's exit code (V << 1) | 1.
DEBUG_EXIT_PORT = 0xF4
# A unix socket path must fit sockaddr_un.sun_path (108 bytes with its NUL).
MAX_SOCKET_PATH = 107
QMP_REQUIREMENT = "qemu.qmp==0.0.6"
QMP_TIMEOUT_S = 10.0
MACHINE = "q35"
# UEFI firmware (Debian's ovmf package): the code read-only, a private copy of the variables.
OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
FIRMWARES = ("bios", "uefi")
# Above 255 CPUs x86 needs x2APIC IDs, which QEMU offers only with KVM's irqchip: under TCG it
# refuses ("current -smp configuration requires kernel irqchip and X2APIC API support").
TCG_MAX_CPUS = 255


# QEMU's Intel IOMMU and interrupt remapping (hw/i386/intel_iommu.c), as the VT-d tests meet it:
# - intremap=on works under TCG (kernel-irqchip=split is needed only with KVM); under TCG eim
#   (x2APIC destinations) needs x-buggy-eim=on, and TCG before 8.0 has no x2APIC to use them.
# - Interrupt-remapping faults reach the fault recording registers only from QEMU 8.2 (before,
#   a blocked MSI is dropped with a line on QEMU's stderr and nothing recorded).
# - A compatibility-format MSI is delivered even with GCMD.CFI clear (and with EIME set),
#   where the VT-d specification (5.1.4) blocks it: QEMU does not model that gate.
QEMU_IR_FAULTS_RECORDED_SINCE = (8, 2)
QEMU_BLOCKS_COMPAT_FORMAT = False


def intel_iommu_args(*, intremap: bool | None = None, caching_mode: bool = False, edu: bool = True) -> list[str]:
    """The -device arguments of an Intel IOMMU (intremap None: QEMU's default, which is on under
    TCG) and, with edu, the DMA- and MSI-capable test device behind it."""
    opts = ["intel-iommu"]
    if intremap is not None:
        opts.append(f"intremap={'on' if intremap else 'off'}")
    if caching_mode:
        opts.append("caching-mode=on")
    return ["-device", ",".join(opts)] + (["-device", "edu"] if edu else [])


@functools.cache
def version(binary: str) -> tuple[int, int]:
    """QEMU's (major, minor) from --version; (0, 0) when it does not say."""
    m = re.search(r"version (\d+)\.(\d+)", _probe([binary, "--version"]))
    return (int(m[1]), int(m[2])) if m else (0, 0)


def _probe(argv: list[str], stdin: str = "") -> str:
    try:
        res = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise PlinthError(f"cannot ask QEMU about itself ({err}).") from None
    return res.stdout


@functools.cache
def machine_max_cpus(binary: str, machine: str = MACHINE) -> int:
    """The machine type's CPU limit, as QEMU's query-machines reports it (288 for q35 in 7.2)."""
    commands = "".join(json.dumps({"execute": c}) + "\n" for c in ("qmp_capabilities", "query-machines", "quit"))
    out = _probe([binary, "-machine", "none", "-nodefaults", "-display", "none", "-qmp", "stdio"], commands)
    for line in out.splitlines():
        with contextlib.suppress(ValueError):
            reply = json.loads(line).get("return")
            if isinstance(reply, list):
                for m in reply:
                    if machine in (m.get("name"), m.get("alias")):
                        return int(m["cpu-max"])
    raise PlinthError(f"QEMU does not list the machine type {machine} (query-machines).")


@functools.cache
def cpu_models(binary: str) -> tuple[str, ...]:
    """The CPU models of `qemu-system-x86_64 -cpu help`, with host and max."""
    names = [line.split()[1] for line in _probe([binary, "-cpu", "help"]).splitlines() if line.startswith("x86 ")]
    return tuple(names)


class QemuEmulator(Emulator):
    name = "qemu"
    title = "QEMU"
    binary = "qemu-system-x86_64"
    package = "qemu-system-x86"
    default_cpu_model = "max"

    def __init__(
        self,
        iso: Path,
        logdir: Path,
        *,
        cpu_model: str | None = None,
        cpus: int = 1,
        memory_mib: int = 512,
        extra_args: Sequence[str] = (),
        accel: str = "tcg",
        firmware: str = "bios",
    ) -> None:
        super().__init__(iso, logdir, cpu_model=cpu_model, cpus=cpus, memory_mib=memory_mib)
        self.extra_args = list(extra_args)
        self.accel = accel
        if firmware not in FIRMWARES:
            raise PlinthError(f"--firmware {firmware}: QEMU boots with one of {', '.join(FIRMWARES)}.")
        self.firmware = firmware
        self._monitor: Any = None
        self._socket_dir: Path | None = None

    @property
    def debug_log(self) -> Path:
        return self.logdir / "qemu-debug.log"

    @property
    def qmp_path(self) -> Path:
        path = self.logdir / "qmp.sock"
        if len(str(path)) <= MAX_SOCKET_PATH:
            return path
        # Deep log directories (long test names) do not fit: use a short private directory.
        if self._socket_dir is None:
            self._socket_dir = Path(tempfile.mkdtemp(prefix="plinth-qmp-"))
        return self._socket_dir / "qmp.sock"

    @property
    def efi_vars(self) -> Path:
        return self.logdir / "OVMF_VARS.fd"

    def check_installed(self) -> None:
        super().check_installed()
        require_module("qemu.qmp.legacy", QMP_REQUIREMENT)
        if self.firmware == "uefi":
            for path in (OVMF_CODE, OVMF_VARS):
                if not path.is_file():
                    raise PlinthError(f"UEFI needs OVMF: {path} is missing (apt package: ovmf).")

    def max_cpus(self) -> int:
        limit = machine_max_cpus(self.binary)
        return min(limit, TCG_MAX_CPUS) if self.accel == "tcg" else limit

    def max_cpus_why(self) -> str:
        if self.accel == "tcg" and machine_max_cpus(self.binary) > TCG_MAX_CPUS:
            return f" under TCG (x2APIC IDs need KVM; {MACHINE} itself takes {machine_max_cpus(self.binary)})"
        return f" on its {MACHINE} machine"

    def validate(self) -> list[str]:
        self.check_installed()
        models = cpu_models(self.binary)
        if self.cpu_model not in models:
            raise PlinthError(
                f"--cpu-model {self.cpu_model}: QEMU knows no such CPU (`{self.binary} -cpu help` lists them)."
            )
        notes = super().validate()
        host_mib = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2**20
        if self.memory_mib > host_mib:
            raise PlinthError(f"--memory {self.memory_mib}: this machine has only {host_mib} MiB.")
        return notes

    def prepare(self) -> None:
        self.qmp_path.unlink(missing_ok=True)
        if self.firmware == "uefi":
            shutil.copyfile(OVMF_VARS, self.efi_vars)  # the firmware writes its variables there

    def firmware_args(self) -> list[str]:
        """UEFI: OVMF's code and variables as the two pflash chips (EMULATORS.md)."""
        if self.firmware != "uefi":
            return []
        escape = lambda path: str(path).replace(",", ",,")  # noqa: E731
        return [
            "-drive",
            f"if=pflash,format=raw,unit=0,readonly=on,file={escape(OVMF_CODE)}",
            "-drive",
            f"if=pflash,format=raw,unit=1,file={escape(self.efi_vars)}",
        ]

    def command(self) -> list[str]:
        return [
            self.binary,
            "-M",
            "q35",
            "-accel",
            self.accel,
            "-m",
            str(self.memory_mib),
            "-smp",
            str(self.cpus),
            "-cpu",
            self.cpu_model,
            *self.firmware_args(),
            "-cdrom",
            str(self.iso),
            "-boot",
            "d",
            "-display",
            "none",
            # A triple fault (or a guest reset) ends the run instead of rebooting.
            "-no-reboot",
            # COM1 connects to the harness's socket (server=off) before the guest starts.
            "-chardev",
            f"socket,id=console,host=127.0.0.1,port={self.port},server=off",
            "-serial",
            "chardev:console",
            # QEMU option values escape a comma by doubling it.
            "-qmp",
            f"unix:{str(self.qmp_path).replace(',', ',,')},server=on,wait=off",
            "-device",
            f"isa-debug-exit,iobase={DEBUG_EXIT_PORT:#x},iosize=4",
            # Logs "Triple fault" and each CPU reset with the state before it: the only
            # trace a triple fault leaves, since -no-reboot then exits with code 0.
            "-d",
            "cpu_reset",
            "-D",
            str(self.debug_log),
            *self.extra_args,
        ]

    def qmp(self) -> Any:
        """A connected qemu.qmp.legacy.QEMUMonitorProtocol (cmd("query-status"), ...)."""
        if self._monitor is None:
            legacy = require_module("qemu.qmp.legacy", QMP_REQUIREMENT)
            self._probe_qmp()
            monitor = legacy.QEMUMonitorProtocol(str(self.qmp_path))
            monitor.connect()
            monitor.settimeout(QMP_TIMEOUT_S)
            self._monitor = monitor
        return self._monitor

    def _probe_qmp(self) -> None:
        """The legacy client's connect() has no timeout: check first, with one, that the
        monitor greets. QEMU may connect the console before it creates the QMP socket, so
        a socket that is not there yet is tried again until the timeout."""
        deadline = time.monotonic() + QMP_TIMEOUT_S
        while True:
            try:
                with socket.socket(socket.AF_UNIX) as probe:
                    probe.settimeout(QMP_TIMEOUT_S)
                    probe.connect(str(self.qmp_path))
                    if not probe.recv(1):
                        raise ConnectionError("closed at once")
                return
            except (FileNotFoundError, ConnectionRefusedError) as err:
                if time.monotonic() >= deadline or (self.proc is not None and self.proc.poll() is not None):
                    raise EmulatorError(f"QEMU's QMP monitor at {self.qmp_path} did not answer ({err}).") from None
                time.sleep(0.02)
            except OSError as err:
                raise EmulatorError(f"QEMU's QMP monitor at {self.qmp_path} did not answer ({err}).") from None

    def request_stop(self) -> None:
        qmp_errors = require_module("qemu.qmp", QMP_REQUIREMENT).QMPError
        try:
            if self.console is None:
                raise EmulatorError("no console yet, so no QMP")
            self.qmp().cmd("quit")
        except (OSError, EOFError, EmulatorError, qmp_errors):
            # No QMP (not up yet, or broken): SIGTERM also makes QEMU quit cleanly.
            super().request_stop()

    def close_extras(self) -> None:
        if self._monitor is not None:
            with contextlib.suppress(Exception):
                self._monitor.close()
            self._monitor = None
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
            self._socket_dir = None

    def exit_reason(self) -> str | None:
        if self.debug_log.exists() and "Triple fault" in self.debug_log.read_text(errors="replace"):
            return f"the guest triple-faulted (CPU state before the reset: {self.debug_log})"
        returncode = self.proc.poll() if self.proc is not None else None
        if returncode is not None and returncode & 1 and returncode > 1:
            return f"the guest wrote {returncode >> 1:#x} to isa-debug-exit"
        return None
