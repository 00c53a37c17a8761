"""Bochs: the backend that emulates VMX (EPT, VPID, unrestricted guest)."""

from __future__ import annotations

import functools
import re
import signal
import subprocess
from pathlib import Path
from typing import Any

from tools.emulators.base import Emulator
from tools.errors import PlinthError

# The CPU models the tests run on: the oldest and the newest with the VMX features we use.
BOCHS_MODELS = ("corei7_haswell_4770", "tigerlake")
# The models with VMX, EPT, VPID and unrestricted guest (/work/shared/EMULATORS.md): Plinth runs
# guests only there; the others are accepted and Plinth says that VMX is missing.
VMX_MODELS = ("corei7_haswell_4770", "broadwell_ult", "corei7_skylake_x", "corei7_icelake_u", "tigerlake")
# The most CPUs Debian's Bochs 2.7 starts with this bochsrc: with 16, every model tried stops at
# once with "register_timer: too many registered timers" (each CPU's local APIC takes timers
# from a fixed table); the configuration itself would take 1 to 255 ("n_processors").
MAX_CPUS = 15
# Models without long mode (Bochs's cpudb): Plinth is a 64-bit program.
NO_LONG_MODE = (
    "pentium",
    "pentium_mmx",
    "amd_k6_2_chomper",
    "p2_klamath",
    "p3_katmai",
    "p4_willamette",
    "core_duo_t2400_yonah",
    "atom_n270",
)
# `memory: host=` stops at 2048 MiB; `guest=` may be larger (Bochs pages the rest), but the
# Bochs BIOS then maps RAM only up to 3 GiB, so more than that is never seen by Plinth.
MAX_HOST_MIB = 2048
MAX_GUEST_MIB = 3072
# Bochs has no IOMMU, and Plinth refuses guests without DMA isolation unless told otherwise.
NO_IOMMU_CMDLINE = "iommu=optional"
MAC_RE = re.compile(r"[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}")
E1000_NETS = ("null", "slirp")

# Where Debian's bochsbios and vgabios packages put the firmware: (candidates, apt package).
BIOS = ((Path("/usr/share/bochs/BIOS-bochs-latest"),), "bochsbios")
VGABIOS = (
    (
        Path("/usr/share/bochs/VGABIOS-lgpl-latest"),
        Path("/usr/share/vgabios/vgabios.bin"),
    ),
    "vgabios",
)

# Instructions per emulated second. With `clock: sync=none` emulated time follows the
# instruction count, so runs are repeatable whatever the host's load.
IPS = 50_000_000
# A fixed RTC start (2024-01-01 00:00 UTC), for the same reason.
TIME0 = 1704067200
# Printed by Bochs on stdout just before it exits on a panic (next line: the message).
EXIT_BANNER = "Bochs is exiting with the following message:"


@functools.cache
def cpu_models(binary: str = "bochs") -> tuple[str, ...]:
    """The CPU models this Bochs binary knows, as `bochs -help cpu` lists them."""
    try:
        res = subprocess.run(
            [binary, "-help", "cpu"], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise PlinthError(f"cannot ask Bochs for its CPU models ({err}).") from None
    lines = (res.stdout + res.stderr).splitlines()  # Debian's build prints the list on stderr
    if "Supported CPU models:" not in lines:
        raise PlinthError("`bochs -help cpu` printed no model list; is this Bochs 2.7 or later?")
    models: list[str] = []
    for line in lines[lines.index("Supported CPU models:") + 1 :]:
        if models and not line.strip():
            break
        if line.strip():
            models.append(line.strip())
    return tuple(models)


def find_firmware(spec: tuple[tuple[Path, ...], str]) -> Path:
    candidates, package = spec
    for path in candidates:
        if path.is_file():  # follows Debian's symlink into the vgabios package
            return path
    raise PlinthError(f"Bochs firmware is missing: no {candidates[0].name} (apt package: {package}).")


class BochsEmulator(Emulator):
    name = "bochs"
    title = "Bochs"
    binary = "bochs"
    package = "bochs"
    default_cpu_model = BOCHS_MODELS[0]

    def __init__(
        self, iso: Path, logdir: Path, *, e1000_mac: str | None = None, e1000_net: str = "null", **kw: Any
    ) -> None:
        """e1000_mac: plug an Intel 82540EM (e1000, 8086:100e) with this MAC into a PCI slot, for
        tests of PCI functions given to VMs. e1000_net: its network, "null" (frames go nowhere) or
        "slirp" (Bochs's built-in user-mode network: DHCP gives 10.0.2.15, the gateway 10.0.2.2
        answers pings)."""
        super().__init__(iso, logdir, **kw)
        if e1000_mac is not None and not MAC_RE.fullmatch(e1000_mac):
            raise PlinthError(f"e1000 MAC {e1000_mac!r} is not six hex bytes such as 52:54:00:12:34:56.")
        if e1000_net not in E1000_NETS:
            raise PlinthError(f"e1000 network {e1000_net!r} is not one of {', '.join(E1000_NETS)}.")
        self.e1000_mac = e1000_mac
        self.e1000_net = e1000_net

    @property
    def bochsrc_path(self) -> Path:
        return self.logdir / "bochsrc"

    @property
    def debugger_rc(self) -> Path:
        return self.logdir / "debugger.rc"

    @property
    def bochs_log(self) -> Path:
        return self.logdir / "bochs.log"

    def check_installed(self) -> None:
        super().check_installed()
        find_firmware(BIOS)
        find_firmware(VGABIOS)

    def max_cpus(self) -> int:
        return MAX_CPUS

    def max_cpus_why(self) -> str:
        return " (Debian's Bochs 2.7 runs out of timers with more)"

    def validate(self) -> list[str]:
        models = cpu_models(self.binary)
        if self.cpu_model not in models:
            raise PlinthError(
                f"--cpu-model {self.cpu_model}: Bochs knows no such CPU; its models: {', '.join(models)}."
            )
        if self.cpu_model in NO_LONG_MODE:
            raise PlinthError(
                f"--cpu-model {self.cpu_model}: Plinth needs an x86-64 CPU, and this model has no long mode; "
                f"use one of {', '.join(VMX_MODELS)}."
            )
        notes = super().validate()
        if self.memory_mib > MAX_GUEST_MIB:
            raise PlinthError(
                f"--memory {self.memory_mib}: Bochs's BIOS maps at most {MAX_GUEST_MIB} MiB of RAM (none above 4 GiB); "
                f"give {MAX_GUEST_MIB} or less, or use --emulator qemu."
            )
        if self.memory_mib > MAX_HOST_MIB:
            notes.append(
                f"Bochs uses at most {MAX_HOST_MIB} MiB of host memory: the guest's {self.memory_mib} MiB run as "
                f"`memory: guest={self.memory_mib}, host={MAX_HOST_MIB}` (slower when it touches it all)"
            )
        if self.cpu_model not in VMX_MODELS:
            notes.append(
                f"{self.cpu_model} has no VMX with EPT in Bochs: Plinth will say so and run no guest "
                f"(models with it: {', '.join(VMX_MODELS)})"
            )
        return notes

    def bochsrc(self) -> str:
        """The configuration for the current port (see /work/shared/EMULATORS.md)."""
        for path in (self.iso, self.bochs_log):
            # Paths are double-quoted below (they may hold spaces and commas).
            if '"' in str(path):
                raise PlinthError(f"Bochs cannot use the path {path}: it holds a double quote.")
        return "\n".join(
            [
                f'romimage: file="{find_firmware(BIOS)}"',
                f'vgaromimage: file="{find_firmware(VGABIOS)}"',
                # A triple fault must end the run, not reboot silently: with
                # reset_on_triple_fault=0 Bochs panics, and panic is fatal below.
                (f"cpu: model={self.cpu_model}, count={self.cpus}, ips={IPS}, reset_on_triple_fault=0"),
                f"memory: guest={self.memory_mib}, host={min(self.memory_mib, MAX_HOST_MIB)}",
                f'ata0-master: type=cdrom, path="{self.iso}", status=inserted',
                "boot: cdrom",
                # There is no headless display; rfb listens for a VNC client without waiting for
                # one, and takes the next free port from 5900 on, so parallel runs coexist.
                'display_library: rfb, options="timeout=0"',
                f"clock: sync=none, time0={TIME0}",
                # Bochs connects to the harness's socket while it starts, before the BIOS
                # runs: no output is lost. (If the connect failed, Bochs would log an error
                # and carry on with COM1 unplugged; start() then times out in its accept.)
                f"com1: enabled=1, mode=socket-client, dev=127.0.0.1:{self.port}",
                "port_e9_hack: enabled=1",
                *(
                    [
                        "plugin_ctrl: e1000=1",
                        "pci: enabled=1, chipset=i440fx, slot1=e1000",
                        f"e1000: enabled=1, mac={self.e1000_mac}, ethmod={self.e1000_net}",
                    ]
                    if self.e1000_mac
                    else []
                ),
                # No sound: there is no sound card, and ALSA would fill emulator.log with errors.
                "speaker: enabled=0",
                "sound: driver=dummy",
                f'log: "{self.bochs_log}"',
                "panic: action=fatal",
                "error: action=report",
                "info: action=report",
                "debug: action=ignore",
                "",
            ]
        )

    def prepare(self) -> None:
        self.bochsrc_path.write_text(self.bochsrc())
        # The debugger built into Debian's Bochs stops before the first instruction.
        self.debugger_rc.write_text("c\n")

    def command(self) -> list[str]:
        return [
            self.binary,
            "-q",
            "-f",
            str(self.bochsrc_path),
            "-rc",
            str(self.debugger_rc),
        ]

    def request_stop(self) -> None:
        # SIGINT drops into the debugger, which then reads `q` from stdin and exits with 0,
        # flushing its logs. Without a console start() failed early: SIGTERM then.
        assert self.proc is not None and self.proc.stdin is not None
        if self.console is None:
            self.proc.terminate()
            return
        self.proc.send_signal(signal.SIGINT)
        self.proc.stdin.write(b"q\n")
        self.proc.stdin.flush()

    def exit_reason(self) -> str | None:
        if not self.emulator_log.exists():
            return None
        lines = self.emulator_log.read_text(errors="replace").splitlines()
        after = [lines[i + 1] for i, line in enumerate(lines[:-1]) if EXIT_BANNER in line]
        if not after:
            return None
        message = after[-1].strip()
        if "3rd" in message and "exception with no resolution" in message:
            message += " (a triple fault; the CPU state is in bochs.log)"
        elif "soft power off" in message:
            message += " (the guest powered the machine off)"
        return message
