"""`tools/plinth`: one command line over the tools' modules.

Each subcommand is a thin layer: it parses arguments and calls plain functions that the tests
call too. A PlinthError ends the command with its one sentence and exit status 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tools.errors import PlinthError

DEFAULT_EMULATOR = "bochs"
DEFAULT_BOCHS_MODEL = "corei7_haswell_4770"


def module_arg(text: str) -> tuple[Path, str]:
    """PATH or PATH=CMDLINE, as --module takes it."""
    path, _, cmdline = text.partition("=")
    return Path(path), cmdline


def cmd_setup(args: argparse.Namespace) -> int:
    print("plinth: set-up complete (apt packages and .venv are in place)")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from tools import build

    if args.clean:
        build.clean()
    build.build()
    return 0


def custom_iso(out: Path, modules: list[tuple[Path, str]], cmdline: str) -> Path:
    from tools import image
    from tools.paths import ELF

    for path, _ in modules:
        if not path.is_file():
            raise PlinthError(f"module {path} does not exist.")
    return image.make_iso(ELF, out, modules=modules, cmdline=cmdline)


def cmd_image(args: argparse.Namespace) -> int:
    from tools import build

    build.build()
    iso = custom_iso(Path(args.out), args.module, args.cmdline)
    print(f"plinth: wrote {iso} (write it to a USB stick with: dd if={iso} of=/dev/sdX bs=4M conv=fsync)")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from tools import build, consoleproto, emulators, terminal
    from tools.paths import ISO, RUN_LOGS

    build.build()
    logdir = RUN_LOGS / time.strftime("%Y%m%d-%H%M%S")
    iso = ISO
    cmdline = args.cmdline
    if args.emulator == "bochs" and args.module and "iommu=" not in cmdline:
        # Bochs has no IOMMU, and Plinth refuses guests without DMA isolation by default.
        cmdline = f"{cmdline} iommu=optional".strip()
        print("plinth: Bochs has no VT-d: booting with iommu=optional (guests run without DMA isolation)",
              file=sys.stderr)
    if args.module or cmdline:
        iso = custom_iso(logdir / "plinth.iso", args.module, cmdline)
    model = args.cpu_model or (DEFAULT_BOCHS_MODEL if args.emulator == "bochs" else None)
    emu = emulators.create(args.emulator, iso, logdir, cpu_model=model, cpus=args.cpus,
                           memory_mib=args.memory)
    print(f"plinth: booting {iso.name} in {args.emulator} ({model or 'default CPU'}, {args.cpus} CPU, "
          f"{args.memory} MiB); logs in {logdir}", file=sys.stderr)
    stops = [consoleproto.NO_GUEST, consoleproto.HALTED]
    with emu:
        matched = terminal.attach(emu, stop_patterns=stops)
    if matched == consoleproto.NO_GUEST:
        print("plinth: Plinth has no guest to launch yet; emulator stopped.", file=sys.stderr)
        return 0
    if matched == consoleproto.HALTED:
        print(f"plinth: Plinth stopped with a FATAL report; console log: {logdir / 'console.log'}",
              file=sys.stderr)
        return 1
    print("plinth: detached; emulator stopped.", file=sys.stderr)
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    import subprocess

    from tools import build
    from tools.paths import ROOT

    build.build()
    pytest_args = list(args.pytest_args)
    if not any(a == "-n" or a.startswith(("-n", "--numprocesses")) for a in pytest_args):
        pytest_args = ["-n", "2", *pytest_args]
    return subprocess.run([sys.executable, "-m", "pytest", *pytest_args], cwd=ROOT).returncode


def cmd_check_elf(args: argparse.Namespace) -> int:
    from tools import elfcheck

    print(elfcheck.check(args.elf))
    return 0


def cmd_decode(args: argparse.Namespace) -> int:
    from tools import fatal
    from tools.paths import ELF

    try:
        text = Path(args.log).read_text(errors="replace") if args.log != "-" else sys.stdin.read()
    except OSError as err:
        raise PlinthError(f"cannot read {args.log}: {err.strerror}.") from None
    print(fatal.decode(text, Path(args.elf) if args.elf else ELF))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tools/plinth", description="Build, boot and test the Plinth hypervisor.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    s = sub.add_parser("setup", help="install missing apt packages and the .venv, then stop")
    s.set_defaults(func=cmd_setup)

    s = sub.add_parser("build", help="build build/plinth.elf and build/plinth.iso")
    s.add_argument("--clean", action="store_true", help="remove build/ first")
    s.set_defaults(func=cmd_build)

    def boot_args(s: argparse.ArgumentParser) -> None:
        s.add_argument("--module", action="append", type=module_arg, default=[], metavar="PATH[=CMDLINE]",
                       help="add a multiboot2 module (repeatable, in order)")
        s.add_argument("--cmdline", default="", help="Plinth's command line, e.g. 'console=com1,115200'")

    s = sub.add_parser("image", help="write a bootable GRUB ISO (BIOS and, when available, UEFI)")
    s.add_argument("--out", default="build/plinth-custom.iso", help="output path (default: %(default)s)")
    boot_args(s)
    s.set_defaults(func=cmd_image)

    s = sub.add_parser("run", help="build and boot Plinth in an emulator, console on this terminal")
    s.add_argument("--emulator", choices=["bochs", "qemu"], default=DEFAULT_EMULATOR)
    s.add_argument("--cpu-model", help=f"emulated CPU (Bochs default: {DEFAULT_BOCHS_MODEL})")
    s.add_argument("--cpus", type=int, default=1)
    s.add_argument("--memory", type=int, default=512, help="guest RAM in MiB (default: %(default)s)")
    boot_args(s)
    s.set_defaults(func=cmd_run)

    s = sub.add_parser("test", help="build and run every test (extra arguments go to pytest, e.g. -m bochs)")
    s.add_argument("pytest_args", nargs=argparse.REMAINDER, help="arguments for pytest")
    s.set_defaults(func=cmd_test)

    s = sub.add_parser("check-elf", help="run the ELF checks on a hypervisor image")
    s.add_argument("elf", help="path to plinth.elf")
    s.set_defaults(func=cmd_check_elf)

    s = sub.add_parser("decode", help="resolve the addresses of FATAL reports in a console log")
    s.add_argument("log", help="console log file, or - for standard input")
    s.add_argument("--elf", help="the plinth.elf that printed it (default: build/plinth.elf)")
    s.set_defaults(func=cmd_decode)
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except PlinthError as err:
        print(f"plinth: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("plinth: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
