"""An emulated lab on this machine, so that CI proves the labgrid path end to end.

Everything a real lab has, on localhost, with labgrid's own programs doing labgrid's work:

- labgrid's coordinator (`labgrid-coordinator`) on a free 127.0.0.1 port;
- labgrid's exporter (`labgrid-exporter`) exporting the target's serial port as a
  RawSerialPort, which it serves over the network with ser2net (a NetworkSerialPort to the
  clients), and the TFTP directory as a TFTPProvider;
- a place that matches the exporter's resources, acquired by this process;
- the target: a QEMU machine (TCG) that boots from the network (its PXE ROM, QEMU's own
  DHCP and TFTP server on that directory), powered on and off by labgrid's
  ExternalPowerDriver running `python -m tools.labsim power on|off STATE`;
- the serial cable: a pair of pseudo-terminals joined like a null-modem cable, one end opened
  by QEMU as its COM1, the other exported; it lives as long as the lab, so the console stays
  connected across power cycles as a real one does.

EmulatedLab writes the environment file (lab.yaml) that `pytest --lg-env` takes.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from tools.errors import PlinthError
from tools.paths import ROOT

PLACE = "plinth-ci"
EXPORTER = "plinth-ci-exporter"
GROUP = "target"
# iPXE's ROM for QEMU's e1000 (package ipxe-qemu): the target's PXE firmware.
IPXE_ROM = Path("/usr/lib/ipxe/82540em.rom")
BIOS_BOOT_FILE = "boot/grub/i386-pc/core.0"
START_TIMEOUT_S = 30.0


def labgrid_program(name: str) -> str:
    """A labgrid console script of this Python's environment (.venv/bin/labgrid-*)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise PlinthError(f"{name} is not installed beside {sys.executable} (pip package labgrid).")
    return str(path)


def missing() -> str | None:
    """Why the emulated lab cannot run here, or None."""
    for binary, package in (("qemu-system-x86_64", "qemu-system-x86"), ("ser2net", "ser2net")):
        if shutil.which(binary) is None and not Path(f"/usr/sbin/{binary}").exists():
            return f"no {binary} on PATH (apt package: {package})"
    if not IPXE_ROM.is_file():
        return f"{IPXE_ROM} is missing (apt package: ipxe-qemu)"
    return None


class NullModem:
    """Two pseudo-terminals joined end to end: bytes written to one end's tty come out of the
    other's. Both ttys stay open here too, so either side may close and reopen its end."""

    def __init__(self) -> None:
        self.masters: list[int] = []
        self.holds: list[int] = []
        self.paths: list[str] = []
        for _ in range(2):
            master, slave = os.openpty()
            os.set_blocking(master, False)
            self.masters.append(master)
            self.holds.append(slave)
            self.paths.append(os.ttyname(slave))
        self.stop_r, self.stop_w = os.pipe()
        self.thread = threading.Thread(target=self._relay, name="null-modem", daemon=True)
        self.thread.start()

    def _relay(self) -> None:
        a, b = self.masters
        while True:
            ready, _, _ = select.select([a, b, self.stop_r], [], [])
            if self.stop_r in ready:
                return
            for src, dst in ((a, b), (b, a)):
                if src in ready:
                    try:
                        data = os.read(src, 4096)
                        os.write(dst, data)
                    except OSError:
                        pass  # a side closed its end for a moment (the target powered off)

    def close(self) -> None:
        os.write(self.stop_w, b"x")
        self.thread.join(5)
        for fd in [*self.masters, *self.holds, self.stop_r, self.stop_w]:
            os.close(fd)


def qemu_argv(state: dict[str, str]) -> list[str]:
    """The target machine: network boot from the TFTP directory, COM1 on the cable's end."""
    return [
        "qemu-system-x86_64",
        "-M",
        "q35",
        "-accel",
        "tcg",
        "-m",
        "512",
        "-cpu",
        "max",
        "-display",
        "none",
        "-no-reboot",
        "-serial",
        state["tty"],
        "-netdev",
        f"user,id=n0,tftp={state['tftp']},bootfile={BIOS_BOOT_FILE}",
        "-device",
        f"e1000,netdev=n0,romfile={IPXE_ROM}",
        "-boot",
        "n",
    ]


def power(action: str, state_path: Path) -> int:
    """ExternalPowerDriver's commands: start the target machine (daemonized, its pid in the
    state directory) or stop it."""
    state = json.loads(state_path.read_text())
    pidfile = state_path.parent / "target.pid"
    if action == "on":
        power("off", state_path)
        log = state_path.parent / "target-qemu.log"
        argv = [*qemu_argv(state), "-daemonize", "-pidfile", str(pidfile), "-D", str(log)]
        subprocess.run(argv, check=True, stdin=subprocess.DEVNULL, timeout=START_TIMEOUT_S)
        return 0
    if pidfile.exists():
        pid = int(pidfile.read_text().strip() or 0)
        for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
                time.sleep(0.05)
        pidfile.unlink(missing_ok=True)
    return 0


class EmulatedLab:
    """The lab of the module's text, in directory `root`; `env_file` is its labgrid
    environment. Everything started is stopped by close() (or leaving the `with`)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.tftp = self.root / "tftp"
        self.env_file = self.root / "lab.yaml"
        self.state_file = self.root / "power-state.json"
        self.procs: list[tuple[subprocess.Popen[str], IO[str]]] = []
        self.cable: NullModem | None = None
        self.address = ""

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def start(self) -> None:
        why = missing()
        if why:
            raise PlinthError(f"the emulated lab cannot run: {why}.")
        self.root.mkdir(parents=True, exist_ok=True)
        self.tftp.mkdir(exist_ok=True)
        self.cable = NullModem()
        exporter_tty, target_tty = self.cable.paths
        self.state_file.write_text(json.dumps({"tty": target_tty, "tftp": str(self.tftp)}))
        coordinator = self._spawn("coordinator", [labgrid_program("labgrid-coordinator"), "-l", "127.0.0.1:0"])
        port = self._wait_line(coordinator, "coordinator", "listening on ").rpartition(":")[2]
        self.address = f"127.0.0.1:{port}"
        config = self.root / "exporter.yaml"
        config.write_text(
            f"{GROUP}:\n"
            f"  RawSerialPort:\n    port: {exporter_tty}\n    speed: 115200\n"
            f"  TFTPProvider:\n    internal: {self.tftp}/\n    external: ''\n"
        )
        self._spawn(
            "exporter",
            [
                labgrid_program("labgrid-exporter"),
                "-c",
                self.address,
                "-n",
                EXPORTER,
                "--hostname",
                "127.0.0.1",
                str(config),
            ],
        )
        self._wait_resources()
        self.client("-p", PLACE, "create")
        self.client("-p", PLACE, "add-match", f"{EXPORTER}/{GROUP}/*")
        self.client("-p", PLACE, "acquire")
        self.env_file.write_text(self.environment())

    def environment(self) -> str:
        power_cmd = f"env PYTHONPATH={ROOT} {sys.executable} -m tools.labsim power"
        return (
            "# labgrid environment of the emulated lab (tools/labsim.py): written for this run.\n"
            "targets:\n"
            "  main:\n"
            "    resources:\n"
            f"      RemotePlace:\n        name: {PLACE}\n"
            "    drivers:\n"
            "      ExternalPowerDriver:\n"
            f"        cmd_on: {power_cmd} on {self.state_file}\n"
            f"        cmd_off: {power_cmd} off {self.state_file}\n"
            "      SerialDriver: {}\n"
            "      TFTPProviderDriver: {}\n"
            "options:\n"
            f"  coordinator_address: {self.address}\n"
        )

    def client(self, *args: str) -> str:
        res = subprocess.run(
            [labgrid_program("labgrid-client"), "-x", self.address, *args],
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
        if res.returncode != 0:
            raise PlinthError(f"labgrid-client {' '.join(args)} failed: {res.stderr.strip().splitlines()[-1:]}.")
        return res.stdout

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen[str]:
        log = (self.root / f"{name}.log").open("w")
        # A directory of its own, emptied first: the coordinator keeps its places and
        # resources in its working directory, and a lab must never start with an old one's.
        cwd = self.root / name
        shutil.rmtree(cwd, ignore_errors=True)
        cwd.mkdir(parents=True)
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=log,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        self.procs.append((proc, log))
        return proc

    def _wait_line(self, proc: subprocess.Popen[str], name: str, prefix: str) -> str:
        assert proc.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.2)
            line = proc.stdout.readline() if ready else ""
            if line.startswith(prefix):
                return line.strip()
            if proc.poll() is not None:
                break
        raise PlinthError(f"labgrid's {name} did not start (see {self.root / (name + '.log')}).")

    def _wait_resources(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            listed = self.client("-v", "resources")
            if "NetworkSerialPort" in listed and "TFTPProvider" in listed:
                return
            time.sleep(0.3)
        raise PlinthError(f"labgrid's exporter registered no resources (see {self.root / 'exporter.log'}).")

    def close(self) -> None:
        if self.state_file.exists():
            power("off", self.state_file)
        if self.address:
            for args in (("-p", PLACE, "release"), ("-p", PLACE, "delete")):
                try:
                    self.client(*args)
                except (PlinthError, subprocess.TimeoutExpired):
                    pass
        for proc, log in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
            log.close()
        self.procs.clear()
        if self.cable is not None:
            self.cable.close()
            self.cable = None


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "power" and argv[1] in ("on", "off"):
        return power(argv[1], Path(argv[2]))
    print("usage: python -m tools.labsim power on|off STATE.json", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
