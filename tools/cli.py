"""`tools/plinth`: one command line over the tools' modules.

Each subcommand is a thin layer: it parses arguments and calls plain functions that the tests
call too. A PlinthError ends the command with its one sentence and exit status 1.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from tools import consoleproto
from tools.emulators.bochs import BOCHS_MODELS, NO_IOMMU_CMDLINE
from tools.errors import PlinthError
from tools.msg import error, say

if TYPE_CHECKING:
    from tools import vmconfig as vmconfig_t

Pattern = str | re.Pattern[str]

DEFAULT_EMULATOR = "bochs"
DEFAULT_BOCHS_MODEL = BOCHS_MODELS[0]
IMAGE_OUT = "build/plinth-custom.iso"
# `config check` reports a mistake in the file with this status, as the issue tracker's
# interface asks: 2, like a command line argparse cannot read.
CONFIG_ERROR_STATUS = 2


def module_arg(text: str) -> tuple[Path, str]:
    """PATH or PATH=CMDLINE, as --module takes it."""
    path, _, cmdline = text.partition("=")
    return Path(path), cmdline


def cmd_setup(args: argparse.Namespace) -> int:
    say("set-up complete (apt packages and .venv are in place)")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from tools import build

    build.require_writable()
    if args.clean:
        for what, size in build.clean():
            say(f"removed {what} ({size}); caches and logs stay (tools/plinth clean --cache / --logs)")
    build.build()
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    from tools import build

    build.require_writable()
    for what, removed in build.clean(
        products=not (args.cache or args.logs) or args.all, cache=args.cache or args.all, logs=args.logs or args.all
    ):
        say(f"removed {what}" + (f" ({removed})" if removed else ""))
    return 0


def check_pxe_dir(path: Path) -> None:
    if path.exists() and not path.is_dir():
        raise PlinthError(f"--pxe {path} is a file; give a directory (the TFTP root, made if missing).")


def cmd_image(args: argparse.Namespace) -> int:
    from tools import build, guestimage, image, pxe, usb
    from tools.paths import ELF

    if args.initrd and not args.kernel:
        raise PlinthError("--initrd needs --kernel: the initrd is the module after the kernel.")
    if args.config and (args.kernel or args.module):
        raise PlinthError("--config names every VM's kernel itself; it cannot be combined with --kernel or --module.")
    if args.yes and not args.usb:
        raise PlinthError("--yes only answers the question --usb asks; there is nothing to confirm.")
    modules = ([args.kernel] if args.kernel else []) + ([(args.initrd, "")] if args.initrd else []) + args.module
    if args.config:
        modules = config_modules(args.config)
    else:
        _, warnings = guestimage.check_modules(modules, args.cmdline)
        for warning in warnings:
            say(f"warning: {warning}.")
    if args.pxe:
        check_pxe_dir(Path(args.pxe))
    # --serial, else the command line's console=: GRUB and Plinth use the same port and speed.
    console = image.console_option(args.cmdline)
    serial_option = args.serial or console
    serial = image.parse_serial(serial_option) if serial_option else None
    if args.usb:  # refuse a wrong device, or no way to confirm, before building anything
        usb.inspect(Path(args.usb))
        if not args.yes:
            usb.require_terminal(Path(args.usb), sys.stdin)
    build.require_writable()
    build.build()
    if args.pxe:
        tree = pxe.make_pxe(ELF, Path(args.pxe), modules, args.cmdline, serial)
        for firmware, path in tree.boot_files.items():
            say(f"{firmware}: DHCP boot file {path}")
        say(f"wrote the network-boot tree {tree.root} (TFTP root; see {tree.readme})")
        if args.out is None:
            return 0
    iso = image.make_iso(ELF, Path(args.out or IMAGE_OUT), modules, args.cmdline, serial=serial)
    firmware = "BIOS and UEFI" if image.has_uefi() else "BIOS only; install grub-efi-amd64-bin for UEFI"
    say(f"wrote {iso} ({firmware}, serial console {serial or 'com1 at 115200 baud'})")
    if args.usb:
        target = usb.write_usb(iso, Path(args.usb), assume_yes=args.yes)
        say(f"wrote {iso.name} to {target.describe()}; the stick can be removed")
    else:
        say("write it to a USB stick with: tools/plinth image --usb /dev/sdX (same options)")
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    from tools import vmconfig

    try:
        config = vmconfig.load(Path(args.file))
    except vmconfig.ConfigError as err:
        error(str(err))
        return CONFIG_ERROR_STATUS
    if args.action == "show":
        print(vmconfig.describe(config))
    else:
        say(config.summary())
    return 0


def config_modules(path: str | None) -> list[tuple[Path, str]]:
    """With --config FILE: the packed blob (module 0), then every VM's kernel and initrd."""
    from tools import vmconfig
    from tools.paths import BUILD

    if path is None:
        return []
    config = vmconfig.load(Path(path))
    blob = vmconfig.write_blob(config, BUILD / "configs" / (Path(path).stem + ".blob"))
    say(config.summary())
    return [(blob, vmconfig.MODULE_WORD), *config.modules()]


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

    check_guest_options(args)
    if args.no_guest or args.module:
        return []
    kernel, initrd = linux.guest_files(
        Path(args.kernel) if args.kernel else None, Path(args.initrd) if args.initrd else None, linux.CACHE
    )
    cmdline = linux.guest_cmdline(args.guest_cmdline or "")
    say(
        f"Linux guest: {kernel} ({kernel.stat().st_size / 2**20:.1f} MiB), "
        f"initrd {initrd} ({initrd.stat().st_size / 2**20:.1f} MiB), cmdline '{cmdline}'"
    )
    return [(kernel, cmdline), (initrd, "")]


def config_run_modules(args: argparse.Namespace) -> tuple[list[tuple[Path, str]], None, list[str]]:
    """run --config: the modules, checked against the emulated machine's CPUs and memory."""
    from tools import vmconfig

    others = [
        name
        for name, value in (
            ("--kernel", args.kernel),
            ("--initrd", args.initrd),
            ("--guest-cmdline", args.guest_cmdline),
            ("--module", args.module),
            ("--no-guest", args.no_guest),
        )
        if value
    ]
    if others:
        raise PlinthError(f"--config names every VM's kernel itself; it cannot be combined with {others[0]}.")
    config = vmconfig.load(Path(args.config))
    if config.cpu_count > args.cpus:
        raise PlinthError(
            f"{args.config} gives CPU {config.cpu_count - 1} to a VM, but the machine has "
            f"{args.cpus} CPU{'s' if args.cpus > 1 else ''}: run with --cpus {config.cpu_count}."
        )
    need = sum(vm.memory for vm in config.vms) >> 20
    if need + vmconfig.HOST_OVERHEAD_MIB > args.memory:
        raise PlinthError(
            f"{args.config} gives its VMs {need} MiB and Plinth needs about "
            f"{vmconfig.HOST_OVERHEAD_MIB} MiB more, but the machine has {args.memory} MiB: run with "
            f"--memory {need + vmconfig.HOST_OVERHEAD_MIB} or more."
        )
    say(console_keys(config))
    return config_modules(args.config), None, []


def console_keys(config: vmconfig_t.Config) -> str:
    """The console's input keys for config's VMs (Plinth's console_input.c), as `run --config`
    prints them at start."""
    keys = ", ".join(f"Ctrl-A {n} {vm.name}" for n, vm in enumerate(config.vms, start=1))
    return f"console input: {keys}, Ctrl-A 0 Plinth's monitor (the first VM has it at start)"


def check_guest_options(args: argparse.Namespace) -> None:
    """run's guest options that cannot go together."""
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
    if args.no_guest and args.module:
        raise PlinthError("--no-guest boots Plinth alone; it cannot be combined with --module.")


def check_user_modules(args: argparse.Namespace) -> None:
    """The files the user named (--kernel/--initrd or --module), checked as Plinth will at
    boot, before anything is fetched, built or booted."""
    from tools import guestimage

    check_guest_options(args)
    named = [("--kernel", args.kernel), ("--initrd", args.initrd)] + [("--module", p) for p, _ in args.module]
    for option, path in named:
        if path is not None and not Path(path).is_file():
            raise PlinthError(f"{option} {path} does not exist (or is not a file).")
    if args.module:
        modules = list(args.module)
    elif args.kernel:
        modules = [(Path(args.kernel), ""), *([(Path(args.initrd), "")] if args.initrd else [])]
    else:
        return
    _, warnings = guestimage.check_modules(modules, args.cmdline)
    for warning in warnings:
        say(f"warning: {warning}.")


def cmd_run(args: argparse.Namespace) -> int:
    from tools import build, emulators, exitcodes, guestimage, image, logs, terminal
    from tools.paths import ELF, ISO
    from tools.progress import Progress, elapsed

    model = args.cpu_model or (DEFAULT_BOCHS_MODEL if args.emulator == "bochs" else None)
    if args.timeout is not None and args.timeout <= 0:
        raise PlinthError(f"--timeout {args.timeout:g}: give a number of seconds above 0.")
    if args.firmware and args.emulator != "qemu":
        raise PlinthError(f"--firmware {args.firmware} is for --emulator qemu; Bochs boots with its BIOS only.")
    extra: dict[str, object] = {"firmware": args.firmware} if args.firmware else {}
    if args.vtd and args.emulator != "qemu":
        raise PlinthError(f"--vtd {args.vtd} is for --emulator qemu; Bochs has no IOMMU.")
    if args.vtd:
        from tools.emulators import qemu

        extra["extra_args"] = qemu.intel_iommu_args(intremap=args.vtd == "intremap")
    emu = emulators.create(
        args.emulator, ISO, logs.RUN_LOGS, cpu_model=model, cpus=args.cpus, memory_mib=args.memory, **extra
    )
    notes = emu.validate()  # every option against the emulator's limits, before anything else
    if args.config:
        modules, kernel, warnings = config_run_modules(args)
    else:
        check_user_modules(args)
        modules = [*guest_modules(args), *args.module]
        kernel, warnings = guestimage.check_modules(modules, args.cmdline, args.memory)
    if args.emulator == "qemu" and modules and getattr(emu, "accel", "") == "tcg":
        notes.append("QEMU's TCG has no VMX: Plinth will boot, say so and run no guest (exit 3); Bochs runs guests")
    for note in [*notes, *warnings]:
        say(f"note: {note}.")
    build.require_writable()
    build.build()
    cmdline = args.cmdline
    if args.emulator == "bochs" and modules and "iommu=" not in cmdline:
        # Bochs has no IOMMU, and Plinth refuses guests without DMA isolation by default.
        cmdline = f"{cmdline} {NO_IOMMU_CMDLINE}".strip()
        say("Bochs has no VT-d: booting with iommu=optional (guests run without DMA isolation)")
    logdir = logs.new_log_dir(logs.RUN_LOGS, logs.KEEP_RUNS)
    iso = image.cached_iso(ELF, modules, cmdline) if modules or cmdline else ISO
    emu.iso, emu.logdir = iso.resolve(), logdir
    logs.link_iso(iso, logdir)
    say(
        f"booting Plinth in {emu.title} ({emu.cpu_model}, {args.cpus} CPU{'s' if args.cpus > 1 else ''}, "
        f"{args.memory} MiB); logs in {logdir} (the newest {logs.KEEP_RUNS} runs are kept)"
    )
    guest = kernel.kind if kernel else None
    if guest == "Linux" and args.emulator == "bochs":
        say("Linux needs one to four minutes to reach its shell in Bochs; `exit` in its shell powers it off.")
    stops: dict[str, Pattern] = {
        "no-guest": consoleproto.NO_GUEST,
        "halted": consoleproto.HALTED,
        "grub": re.escape(image.GRUB_FAILED),
        "vm-stopped": consoleproto.VM_STOPPED.regex,
        "panic": consoleproto.LINUX_PANIC.regex,
    }
    if args.config:
        # With several VMs one stopping is no reason to end: the others run on, and the
        # monitor can restart it.
        del stops["vm-stopped"], stops["panic"]
        say(
            "consoles: each VM's lines start with [NAME]; Ctrl-A then 1..9 gives the input to that VM, "
            "Ctrl-A 0 to Plinth's monitor"
        )
    begin = time.monotonic()
    with emu:
        attached = terminal.attach(
            emu, stop_patterns=list(stops.values()), timeout=args.timeout, progress=Progress(), guest=guest
        )
        ended = {terminal.QUIT: "detached", terminal.TIMEOUT: "timeout", terminal.CLOSED: "exited"}.get(attached.how)
        if attached.how == terminal.STOPPED:
            ended = next(name for name, pattern in stops.items() if pattern is attached.matched)
            ended = "halted" if ended == "grub" else ended
        if ended == "exited" and emu.proc is not None:
            try:  # the console closed: the emulator is ending, e.g. the guest powered off
                emu.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        reason = emu.exit_reason() if ended == "exited" else None
    assert ended is not None
    if emu.output and not emu.output.endswith("\n"):
        print(flush=True)  # the console's last line may be unfinished: end it before ours
    outcome = exitcodes.classify(emu.output, ended=ended, expect_guest=bool(modules), exit_reason=reason)
    say(
        f"{outcome.message}; emulator stopped after {elapsed(time.monotonic() - begin)} "
        f"(exit {outcome.code.value} {outcome.code.name}); console log: {emu.console_log}"
    )
    return outcome.code.value


def cmd_test(args: argparse.Namespace) -> int:
    from tools import build, exitcodes, logs
    from tools.paths import ROOT

    build.require_writable()
    build.build()
    pytest_args = list(args.pytest_args)
    lab = any(a == "--lg-env" or a.startswith("--lg-env=") for a in pytest_args)
    values = {b for a, b in zip(pytest_args, pytest_args[1:], strict=False) if a == "--lg-env"}
    paths = [a for a in pytest_args if not a.startswith("-") and a not in values and Path(a.split("::")[0]).exists()]
    if lab and not paths:
        pytest_args.append("tests/system")  # a lab runs the system tests only
    if not any(a == "-n" or a.startswith(("-n", "--numprocesses")) for a in pytest_args):
        # One lab target is one machine: its tests run one after the other.
        pytest_args = ["-n", "0" if lab else "2", *pytest_args]
    status = subprocess.run([sys.executable, "-m", "pytest", *pytest_args], cwd=ROOT).returncode
    code = exitcodes.from_pytest(status)
    if status == 5:
        error("no test matched the selection.")
    else:
        say(
            f"exit {code.value} {code.name}; each system test's logs: build/test-logs/latest/<test>/ "
            f"(the newest {logs.KEEP_TEST_SESSIONS} sessions are kept)"
        )
    return code.value


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
    elf = Path(args.elf) if args.elf else ELF
    if fatal.parse(text) and fatal.check_build(text, elf) is None:
        say(f"note: the log has no banner naming Plinth's build; {elf} is assumed to be the one that ran.")
    print(fatal.decode(text, elf))
    return 0


def cmd_check_host(args: argparse.Namespace) -> int:
    from tools import hostcheck, hostcheck_output

    report = hostcheck.check_host(Path(args.root), args.cpu, Path(args.msr_file) if args.msr_file else None)
    print(hostcheck_output.to_json(report) if args.json else hostcheck_output.render(report))
    if args.save_msrs:
        hostcheck.save_msr_file(report, Path(args.save_msrs))
    return report.status


def bench_cpu_counts(text: str) -> list[int]:
    """'1-8', '1,2,4' or 'none' as CPU counts (1 to 15, what Bochs and Plinth's tables take)."""
    if text == "none":
        return []
    counts: list[int] = []
    try:
        for part in text.split(","):
            lo, _, hi = part.partition("-")
            counts += range(int(lo), int(hi or lo) + 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of CPU counts such as 1-8 or 1,2,4") from None
    if not counts or min(counts) < 1 or max(counts) > 15:
        raise argparse.ArgumentTypeError(f"{text!r}: CPU counts go from 1 to 15")
    return sorted(set(counts))


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
    from tools import emulators
    from tools.paths import ISO

    emulators.create("bochs", ISO, bench.RESULTS.parent, cpu_model=args.cpu_model, cpus=args.cpus).validate()
    setup = bench.Setup(cpu_model=args.cpu_model, cpus=args.cpus)
    results = bench.run(setup, with_linux=not args.no_linux, scaling_cpus=args.scaling)
    print(bench.render(results))
    print()
    say(f"results written to {bench.RESULTS}")
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
    s.add_argument(
        "--clean", action="store_true", help="remove the build products first (not the caches or logs: see clean)"
    )
    s.set_defaults(func=cmd_build)

    s = sub.add_parser("clean", help="remove build products (default), caches or logs under build/")
    s.add_argument(
        "--cache", action="store_true", help="the downloaded Linux guest (build/linux-cache/) and cached ISOs"
    )
    s.add_argument("--logs", action="store_true", help="run, test and console logs and benchmark results")
    s.add_argument("--all", action="store_true", help="all of build/")
    s.set_defaults(func=cmd_clean)

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
    s.add_argument("--config", metavar="FILE", help="several VMs from a configuration (docs/config.md)")
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

    s = sub.add_parser("config", help="check a VM configuration (TOML, see docs/config.md), or show what it packs")
    s.add_argument("action", choices=["check", "show"], help="check: one summary line or the mistake; show: each VM")
    s.add_argument("file", metavar="FILE", help="the configuration, e.g. configs/two-guests.toml")
    s.set_defaults(func=cmd_config)

    s = sub.add_parser("console", help="attach to a real machine's serial console, logged, FATAL reports decoded")
    s.add_argument("device", metavar="DEVICE", help="serial device (e.g. /dev/ttyUSB0) or tcp:HOST:PORT")
    s.add_argument("--baud", type=int, default=115200, help="line speed, 8N1, no flow control (default: %(default)s)")
    s.add_argument("--log", metavar="PATH", help="log file (default: build/console-logs/<time>.log)")
    s.add_argument("--elf", help="the plinth.elf the target runs, to decode FATAL reports (default: build/plinth.elf)")
    s.set_defaults(func=cmd_console)

    s = sub.add_parser(
        "run", help="build and boot Plinth with Debian's Linux as its guest in an emulator, console on this terminal"
    )
    s.add_argument(
        "--emulator",
        choices=["bochs", "qemu"],
        default=DEFAULT_EMULATOR,
        help="bochs emulates VMX (guests run); qemu (TCG) has VT-d but no VMX, so Plinth runs no guest "
        "(default: %(default)s)",
    )
    s.add_argument(
        "--cpu-model",
        help=f"emulated CPU: a Bochs model (`bochs -help cpu`; default {DEFAULT_BOCHS_MODEL}) or a QEMU -cpu "
        "model (default max)",
    )
    s.add_argument(
        "--cpus", type=int, default=2, help="emulated CPUs: 1 to 15 in Bochs, up to 255 in QEMU (default: %(default)s)"
    )
    s.add_argument(
        "--memory",
        type=int,
        default=512,
        help="the machine's RAM in MiB, at least 16; Bochs takes up to 3072 (default: %(default)s)",
    )
    s.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="stop the run after this long (exit 124); default: no limit"
    )
    s.add_argument(
        "--firmware",
        choices=["bios", "uefi"],
        help="QEMU only: boot the ISO with SeaBIOS (bios, the default) or OVMF (uefi; apt package ovmf)",
    )
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
    s.add_argument(
        "--vtd",
        choices=["dma", "intremap"],
        help="QEMU only: add an Intel IOMMU (DMA remapping; intremap: interrupt remapping too) and the edu test "
        "device; --cmdline iommu_selftest runs the DMA self-test against them",
    )
    s.add_argument(
        "--config",
        metavar="FILE",
        help="several VMs from a configuration (docs/config.md) instead of the one default VM; "
        "Ctrl-A N gives the input to VM N, Ctrl-A 0 to Plinth's monitor",
    )
    s.set_defaults(func=cmd_run)

    s = sub.add_parser(
        "test",
        help="build and run every test (extra arguments go to pytest, e.g. -m bochs, or --lg-env LAB.yaml for a lab)",
    )
    s.add_argument("pytest_args", nargs=argparse.REMAINDER, help="arguments for pytest")
    s.set_defaults(func=cmd_test)

    s = sub.add_parser("fuzz", help="fuzz Plinth's parsers of outside input with libFuzzer (tests/fuzz/)")
    s.add_argument("names", nargs="*", metavar="NAME", help="harnesses to run (default: all; tests/fuzz/fuzz_NAME.c)")
    s.add_argument("--seconds", type=int, default=60, help="how long each harness runs (default: %(default)s)")
    s.set_defaults(func=cmd_fuzz)

    s = sub.add_parser("check-elf", help="run the ELF checks on a hypervisor image")
    s.add_argument("elf", help="path to plinth.elf")
    s.set_defaults(func=cmd_check_elf)

    s = sub.add_parser(
        "bench",
        help="measure exit round trips, boot path, footprint, a device interrupt's cost and a Linux boot's exits",
    )
    s.add_argument(
        "--cpu-model",
        default=DEFAULT_BOCHS_MODEL,
        help="the Bochs CPU model to measure on, one with VMX and EPT (default: %(default)s)",
    )
    s.add_argument("--cpus", type=int, default=2, help="emulated CPUs, 1 to 15 (default: %(default)s)")
    s.add_argument("--no-linux", action="store_true", help="skip the two Linux boots (minutes in Bochs)")
    s.add_argument(
        "--scaling",
        type=bench_cpu_counts,
        default=bench_cpu_counts("1-8"),
        metavar="COUNTS",
        help="CPU counts to measure the boot path with, e.g. 1-8 or 1,2,4 ('none' to skip; default: 1-8)",
    )
    s.add_argument("--compare", metavar="OLD.json", help="print the changes against earlier results")
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
    from tools.exitcodes import ExitCode

    if argv[:1] == ["test"] and argv[1:2] not in (["-h"], ["--help"]):
        # Everything after `test` is pytest's, options first included (argparse's REMAINDER
        # would take `-m bochs` or `--lg-env X` for options of its own and refuse them).
        args = argparse.Namespace(command="test", func=cmd_test, pytest_args=argv[1:])
    else:
        args = parser().parse_args(argv)
    try:
        status = int(args.func(args))
        sys.stdout.flush()  # here, so that a closed pipe is reported below, not at exit
        return status
    except PlinthError as err:
        error(str(err))
        return ExitCode.ERROR.value
    except BrokenPipeError:
        # The reader of stdout went away (`| head`): say so once, where it can still be seen.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        error("the output pipe closed before the command finished (its reader, e.g. head, quit).")
        return ExitCode.ERROR.value
    except OSError as err:
        error(os_error_sentence(err))
        return ExitCode.ERROR.value
    except KeyboardInterrupt:
        error("interrupted.")
        return ExitCode.INTERRUPTED.value


def os_error_sentence(err: OSError) -> str:
    """One sentence for a file-system failure the tools did not foresee (a read-only build/)."""
    where = f" {err.filename}" if err.filename else ""
    hint = ""
    if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        hint = "; build/ and the paths given must be writable"
    return f"cannot write or read{where}: {err.strerror or err}{hint}."


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
