"""`tools/plinth`: one command line over the tools' modules.

Each subcommand is a thin layer: it parses arguments and calls plain functions that the tests
call too. A PlinthError ends the command with its one sentence and exit status 1.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from tools.emulators.bochs import BOCHS_MODELS, NO_IOMMU_CMDLINE
from tools.errors import PlinthError

DEFAULT_EMULATOR = "bochs"
DEFAULT_BOCHS_MODEL = BOCHS_MODELS[0]
IMAGE_OUT = "build/plinth-custom.iso"


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
    from tools import build, image, pxe, usb
    from tools.paths import ELF

    if args.initrd and not args.kernel:
        raise PlinthError("--initrd needs --kernel: the initrd is the module after the kernel.")
    if args.yes and not args.usb:
        raise PlinthError("--yes only answers the question --usb asks; there is nothing to confirm.")
    modules = ([args.kernel] if args.kernel else []) + ([(args.initrd, "")] if args.initrd else []) + args.module
    for path, _ in modules:
        if not path.is_file():
            raise PlinthError(f"module {path} does not exist.")
    # --serial, else the command line's console=: GRUB and Plinth use the same port and speed.
    console = image.console_option(args.cmdline)
    serial_option = args.serial or console
    serial = image.parse_serial(serial_option) if serial_option else None
    if args.usb:  # refuse a wrong device, or no way to confirm, before building anything
        usb.inspect(Path(args.usb))
        if not args.yes:
            usb.require_terminal(Path(args.usb), sys.stdin)
    build.build()
    if args.pxe:
        tree = pxe.make_pxe(ELF, Path(args.pxe), modules, args.cmdline, serial)
        for firmware, path in tree.boot_files.items():
            print(f"plinth: {firmware}: DHCP boot file {path}")
        print(f"plinth: wrote the network-boot tree {tree.root} (TFTP root; see {tree.readme})")
        if args.out is None:
            return 0
    iso = image.make_iso(ELF, Path(args.out or IMAGE_OUT), modules, args.cmdline, serial=serial)
    firmware = "BIOS and UEFI" if image.has_uefi() else "BIOS only; install grub-efi-amd64-bin for UEFI"
    print(f"plinth: wrote {iso} ({firmware}, serial console {serial or 'com1 at 115200 baud'})")
    if args.usb:
        target = usb.write_usb(iso, Path(args.usb), assume_yes=args.yes)
        print(f"plinth: wrote {iso.name} to {target.describe()}; the stick can be removed")
    else:
        print("plinth: write it to a USB stick with: tools/plinth image --usb /dev/sdX (same options)")
    return 0


def cmd_console(args: argparse.Namespace) -> int:
    from tools import serialconsole

    serialconsole.console(
        args.device, args.baud, Path(args.log) if args.log else None, Path(args.elf) if args.elf else None
    )
    return 0


def guest_modules(args: argparse.Namespace) -> list[tuple[Path, str]]:
    """The Linux guest's modules for `run` ([(kernel, its cmdline), (initrd, "")]), fetched and
    built as needed; none with --no-guest or when --module names the modules itself."""
    from tools import linux

    linux_options = [
        name
        for name, value in (
            ("--kernel", args.kernel),
            ("--initrd", args.initrd),
            ("--guest-cmdline", args.guest_cmdline),
        )
        if value is not None
    ]
    if linux_options and (args.no_guest or args.module):
        other = "--no-guest" if args.no_guest else "--module"
        raise PlinthError(f"{' and '.join(linux_options)} cannot be combined with {other}.")
    if args.no_guest or args.module:
        return []
    kernel, initrd = linux.guest_files(
        Path(args.kernel) if args.kernel else None, Path(args.initrd) if args.initrd else None, linux.CACHE
    )
    cmdline = linux.guest_cmdline(args.guest_cmdline or "")
    print(
        f"plinth: Linux guest: {kernel} ({kernel.stat().st_size / 2**20:.1f} MiB), "
        f"initrd {initrd} ({initrd.stat().st_size / 2**20:.1f} MiB), cmdline '{cmdline}'",
        file=sys.stderr,
    )
    return [(kernel, cmdline), (initrd, "")]


def cmd_run(args: argparse.Namespace) -> int:
    import subprocess

    from tools import build, consoleproto, emulators, terminal
    from tools.paths import ISO, RUN_LOGS

    modules = [*guest_modules(args), *args.module]
    build.build()
    logdir = RUN_LOGS / time.strftime("%Y%m%d-%H%M%S")
    iso = ISO
    cmdline = args.cmdline
    if args.emulator == "bochs" and modules and "iommu=" not in cmdline:
        # Bochs has no IOMMU, and Plinth refuses guests without DMA isolation by default.
        cmdline = f"{cmdline} {NO_IOMMU_CMDLINE}".strip()
        print(
            "plinth: Bochs has no VT-d: booting with iommu=optional (guests run without DMA isolation)", file=sys.stderr
        )
    if modules or cmdline:
        iso = custom_iso(logdir / "plinth.iso", modules, cmdline)
    model = args.cpu_model or (DEFAULT_BOCHS_MODEL if args.emulator == "bochs" else None)
    emu = emulators.create(args.emulator, iso, logdir, cpu_model=model, cpus=args.cpus, memory_mib=args.memory)
    print(
        f"plinth: booting {iso.name} in {args.emulator} ({model or 'default CPU'}, {args.cpus} CPU, "
        f"{args.memory} MiB); logs in {logdir}",
        file=sys.stderr,
    )
    if modules and not args.module and args.emulator == "bochs":
        print(
            "plinth: Linux needs a minute or two to reach its shell in Bochs; `exit` in the guest's shell "
            "powers it off; Ctrl-] quits at any time.",
            file=sys.stderr,
        )
    vm_stopped = consoleproto.VM_STOPPED.regex
    stops: list[str | re.Pattern[str]] = [consoleproto.NO_GUEST, consoleproto.HALTED, vm_stopped]
    with emu:
        matched = terminal.attach(emu, stop_patterns=stops)
        exited = False
        if matched is None and emu.proc is not None and getattr(emu.console, "flag_eof", False):
            try:  # the console closed (not Ctrl-]): the emulator is ending, e.g. the guest powered off
                emu.proc.wait(timeout=10)
                exited = True
            except subprocess.TimeoutExpired:
                pass
        reason = emu.exit_reason() if exited else None
    if emu.output and not emu.output.endswith("\n"):
        print(flush=True)  # the console's last line may be unfinished: end it before ours
    if matched == consoleproto.NO_GUEST:
        print("plinth: Plinth has no guest to launch; emulator stopped.", file=sys.stderr)
        return 0
    if matched == consoleproto.HALTED:
        print(f"plinth: Plinth stopped with a FATAL report; console log: {logdir / 'console.log'}", file=sys.stderr)
        return 1
    if matched is vm_stopped:
        print(
            f"plinth: the guest's VM stopped (reason above); emulator stopped; console log: {logdir / 'console.log'}",
            file=sys.stderr,
        )
        return 1
    if exited:
        print(f"plinth: the emulator exited{f': {reason}' if reason else ''}.", file=sys.stderr)
        return 0
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


def cmd_fuzz(args: argparse.Namespace) -> int:
    from tools import fuzz

    if args.seconds < 1:
        raise PlinthError("--seconds must be at least 1.")
    names = [fuzz.check_name(n) for n in args.names] or fuzz.harnesses()
    crashed = 0
    for name in names:
        print(f"plinth: fuzz {name}: {args.seconds} s from tests/fuzz/corpus/{name}/", file=sys.stderr, flush=True)
        result = fuzz.run(name, args.seconds)
        print(f"plinth: {fuzz.report(result)}", file=sys.stderr)
        crashed += not result.ok
    return 1 if crashed else 0


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


def cmd_check_host(args: argparse.Namespace) -> int:
    from tools import hostcheck

    report = hostcheck.check_host(Path(args.root), args.cpu, Path(args.msr_file) if args.msr_file else None)
    print(hostcheck.to_json(report) if args.json else hostcheck.render(report))
    if args.save_msrs:
        hostcheck.save_msr_file(report, Path(args.save_msrs))
    return report.status


def cmd_bench(args: argparse.Namespace) -> int:
    import json

    from tools import bench, build

    build.build()
    old = None
    if args.compare:
        try:
            old = json.loads(Path(args.compare).read_text())
        except (OSError, ValueError) as err:
            raise PlinthError(f"cannot read {args.compare} as benchmark results ({err}).") from None
    setup = bench.Setup(cpu_model=args.cpu_model, cpus=args.cpus)
    results = bench.run(setup, with_linux=not args.no_linux)
    print(bench.render(results))
    print(f"\nplinth: results written to {bench.RESULTS}")
    if old:
        print(bench.compare(results, old))
    return 0


def cmd_exits(args: argparse.Namespace) -> int:
    from tools import exitstats

    try:
        text = Path(args.log).read_text(errors="replace")
    except OSError as err:
        raise PlinthError(f"cannot read {args.log}: {err.strerror}.") from None
    print(exitstats.table(exitstats.parse(text)))
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
        s.add_argument(
            "--module",
            action="append",
            type=module_arg,
            default=[],
            metavar="PATH[=CMDLINE]",
            help="add a multiboot2 module (repeatable, in order)",
        )
        s.add_argument("--cmdline", default="", help="Plinth's command line, e.g. 'console=com1,115200'")

    s = sub.add_parser(
        "image", help="write a bootable GRUB ISO (BIOS and, when available, UEFI), a USB stick, or a PXE tree"
    )
    s.add_argument("--out", help=f"the ISO to write (default: {IMAGE_OUT}; with --pxe: none)")
    boot_args(s)
    s.add_argument(
        "--kernel",
        type=module_arg,
        metavar="PATH[=CMDLINE]",
        help="the guest kernel and its command line: the first module",
    )
    s.add_argument("--initrd", type=Path, metavar="PATH", help="the guest's initrd: the module after --kernel")
    s.add_argument(
        "--serial",
        metavar="PORT[,BAUD]",
        help="console for GRUB and Plinth: com1..com4 or 0xPORT, speed default 115200 (sets Plinth's console= option)",
    )
    where = s.add_mutually_exclusive_group()
    where.add_argument(
        "--usb",
        metavar="DEVICE",
        help="also write the ISO to this USB stick (whole device, e.g. /dev/sdb), after a confirmation",
    )
    where.add_argument("--pxe", metavar="DIR", help="write a GRUB network-boot tree for a TFTP server with root DIR")
    s.add_argument("--yes", action="store_true", help="with --usb: do not ask (for scripts)")
    s.set_defaults(func=cmd_image)

    s = sub.add_parser("console", help="attach to a real machine's serial console, logged, FATAL reports decoded")
    s.add_argument("device", metavar="DEVICE", help="serial device (e.g. /dev/ttyUSB0) or tcp:HOST:PORT")
    s.add_argument("--baud", type=int, default=115200, help="line speed, 8N1, no flow control (default: %(default)s)")
    s.add_argument("--log", metavar="PATH", help="log file (default: build/console-logs/<time>.log)")
    s.add_argument("--elf", help="the plinth.elf the target runs, to decode FATAL reports (default: build/plinth.elf)")
    s.set_defaults(func=cmd_console)

    s = sub.add_parser(
        "run", help="build and boot Plinth with Debian's Linux as its guest in an emulator, console on this terminal"
    )
    s.add_argument("--emulator", choices=["bochs", "qemu"], default=DEFAULT_EMULATOR)
    s.add_argument("--cpu-model", help=f"emulated CPU (Bochs default: {DEFAULT_BOCHS_MODEL})")
    s.add_argument("--cpus", type=int, default=2, help="emulated CPUs (default: %(default)s)")
    s.add_argument("--memory", type=int, default=512, help="guest RAM in MiB (default: %(default)s)")
    boot_args(s)
    s.add_argument(
        "--kernel",
        metavar="PATH",
        help="the guest's Linux bzImage (default: Debian's stock kernel, fetched with apt-get into build/linux-cache/)",
    )
    s.add_argument(
        "--initrd", metavar="PATH", help="the guest's initrd (default: a busybox initramfs built in build/linux-cache/)"
    )
    s.add_argument(
        "--guest-cmdline",
        metavar="STR",
        help="more words for the guest kernel's command line "
        "(after 'console=ttyS0,115200 earlyprintk=serial,ttyS0,115200 panic=-1')",
    )
    s.add_argument("--no-guest", action="store_true", help="boot Plinth alone, without the Linux guest")
    s.set_defaults(func=cmd_run)

    s = sub.add_parser("test", help="build and run every test (extra arguments go to pytest, e.g. -m bochs)")
    s.add_argument("pytest_args", nargs=argparse.REMAINDER, help="arguments for pytest")
    s.set_defaults(func=cmd_test)

    s = sub.add_parser("fuzz", help="fuzz Plinth's parsers of outside input with libFuzzer (tests/fuzz/)")
    s.add_argument("names", nargs="*", metavar="NAME", help="harnesses to run (default: all; tests/fuzz/fuzz_NAME.c)")
    s.add_argument("--seconds", type=int, default=60, help="how long each harness runs (default: %(default)s)")
    s.set_defaults(func=cmd_fuzz)

    s = sub.add_parser("check-elf", help="run the ELF checks on a hypervisor image")
    s.add_argument("elf", help="path to plinth.elf")
    s.set_defaults(func=cmd_check_elf)

    s = sub.add_parser("bench", help="measure exit round trips, boot path, footprint and a Linux boot's exits")
    s.add_argument("--cpu-model", default=DEFAULT_BOCHS_MODEL)
    s.add_argument("--cpus", type=int, default=2)
    s.add_argument("--no-linux", action="store_true", help="skip the two Linux boots (minutes in Bochs)")
    s.add_argument("--compare", metavar="OLD.json", help="print ratios against earlier results")
    s.set_defaults(func=cmd_bench)

    s = sub.add_parser("exits", help="print the VM exits by reason and vCPU from a console log")
    s.add_argument("log", help="console log file (build/test-logs/<test>/console.log, build/run-logs/...)")
    s.set_defaults(func=cmd_exits)

    s = sub.add_parser("decode", help="resolve the addresses of FATAL reports in a console log")
    s.add_argument("log", help="console log file, or - for standard input")
    s.add_argument("--elf", help="the plinth.elf that printed it (default: build/plinth.elf)")
    s.set_defaults(func=cmd_decode)

    s = sub.add_parser("check-host", help="can this Linux machine run Plinth? (exit 0 yes, 1 no, 2 not all checkable)")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.add_argument("--cpu", type=int, default=0, help="CPU whose MSRs are read (default: %(default)s)")
    s.add_argument("--root", default="/", help="root holding proc/, sys/ and dev/ (a fake tree, for tests)")
    s.add_argument("--msr-file", help="JSON file of MSR values to use instead of /dev/cpu/N/msr")
    s.add_argument("--save-msrs", metavar="FILE", help="also write the MSR values read to FILE (--msr-file format)")
    s.set_defaults(func=cmd_check_host)
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
