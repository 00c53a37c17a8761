"""Build the GRUB rescue ISO that boots Plinth (multiboot2) in Bochs, QEMU or on hardware."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tools.consoleproto import FATAL_PREFIX
from tools.errors import PlinthError

# Tool -> Debian package that provides it; grub-mkrescue runs xorriso, and mformat for UEFI.
REQUIRED_TOOLS = {
    "grub-mkrescue": "grub-pc-bin",
    "xorriso": "xorriso",
    "mformat": "mtools",
}
BIOS_GRUB_DIR = Path("/usr/lib/grub/i386-pc")
UEFI_GRUB_DIR = Path("/usr/lib/grub/x86_64-efi")

# What grub.cfg prints when GRUB could not boot Plinth: in Plinth's panic format, so that
# harnesses fail at once instead of timing out.
GRUB_FAILED = f"{FATAL_PREFIX}GRUB could not boot Plinth (see the error above)"

# The legacy PC serial ports by name, as Plinth's console= option knows them
# (hypervisor/core/console.c); GRUB's `serial --unit=N` is COM(N+1).
COM_PORTS = {"com1": 0x3F8, "com2": 0x2F8, "com3": 0x3E8, "com4": 0x2E8}
UART_CLOCK_BAUD = 115200  # 1.8432 MHz / 16: every usable speed divides it
DEFAULT_BAUD = 115200


@dataclass(frozen=True)
class Serial:
    """The serial console GRUB and Plinth both use: a COM port name (or None) and its
    I/O port, and the speed. Parse one from the command line with parse_serial()."""

    port: int
    baud: int = DEFAULT_BAUD
    name: str | None = None  # "com1".."com4", or None for a port given as 0xPORT

    @property
    def plinth_option(self) -> str:
        """Plinth's boot option, e.g. console=com2,9600."""
        return f"console={self.name or f'0x{self.port:x}'},{self.baud}"

    @property
    def grub_command(self) -> str:
        """GRUB's serial command for the same port and speed."""
        if self.name is not None:
            return f"serial --unit={int(self.name[3:]) - 1} --speed={self.baud}"
        return f"serial --port=0x{self.port:x} --speed={self.baud}"

    def __str__(self) -> str:
        return f"{self.name or f'0x{self.port:x}'} at {self.baud} baud"


def parse_serial(text: str) -> Serial:
    """'com2', 'com2,9600', 'ttyS1,9600' or '0x2f8,9600' -> Serial; the same forms Plinth's
    console= option accepts, so whatever passes here also passes there."""
    port_text, _, baud_text = text.strip().lower().partition(",")
    baud = DEFAULT_BAUD
    if baud_text:
        if not baud_text.isdigit() or not 50 <= int(baud_text) <= UART_CLOCK_BAUD or UART_CLOCK_BAUD % int(baud_text):
            raise PlinthError(
                f"Serial speed '{baud_text}' is not one a PC UART can run at: use a divisor of "
                "115200 such as 9600, 19200, 38400, 57600 or 115200."
            )
        baud = int(baud_text)
    if m := re.fullmatch(r"ttys([0-3])", port_text):
        port_text = f"com{int(m[1]) + 1}"
    if port_text in COM_PORTS:
        return Serial(COM_PORTS[port_text], baud, port_text)
    if re.fullmatch(r"0x[0-9a-f]{1,4}", port_text) and 0 < int(port_text, 16) <= 0xFFF8:
        return Serial(int(port_text, 16), baud)
    raise PlinthError(
        f"Serial port '{text}' is not one Plinth knows: use com1..com4 or an I/O port such "
        "as 0x3f8, optionally followed by ,BAUD (e.g. com1,115200)."
    )


def console_option(cmdline: str) -> str | None:
    """The value of the console= option in Plinth's part of cmdline (before a lone --)."""
    for word in cmdline.split():
        if word == "--":
            break
        if word.startswith("console="):
            return word.partition("=")[2]
    return None


def with_serial(cmdline: str, serial: Serial) -> str:
    """cmdline with Plinth's console= option for serial in front; a console= already there
    must name the same port and speed (else GRUB and Plinth would talk on different lines)."""
    given = console_option(cmdline)
    if given is not None:
        other = parse_serial(given)
        if (other.port, other.baud) != (serial.port, serial.baud):
            raise PlinthError(
                f"The command line's console={given} disagrees with --serial ({serial}): give the console in one place."
            )
        return cmdline
    return f"{serial.plinth_option} {cmdline}".strip()


def has_uefi() -> bool:
    """Whether GRUB's x86_64-efi files are installed, so images boot with UEFI too."""
    return UEFI_GRUB_DIR.is_dir()


def grub_quote(word: str) -> str:
    """Quote one word for grub.cfg: inside single quotes everything is literal except the
    quote itself, which is closed, escaped and reopened (as in sh)."""
    return "'" + word.replace("'", "'\\''") + "'"


def grub_args(cmdline: str) -> str:
    """A cmdline as grub.cfg arguments (with a leading space, or ""). GRUB 2.06 passes the
    words of a multiboot2/module2 line joined by single spaces, and itself backslash-escapes
    \\ ' " and double-quotes any word holding a space; so the words are split here on
    whitespace and each quoted, and a cmdline without quotes or backslashes arrives
    exactly, whatever GRUB metacharacters ($ ; { ...) it holds."""
    return "".join(" " + grub_quote(word) for word in cmdline.split())


def grub_cfg(
    cmdline: str = "",
    module_entries: Sequence[tuple[str, str]] = (),
    serial: Serial | None = None,
    comment: str = "",
    boot_dir: str = "/boot",
) -> str:
    """grub.cfg text: serial console (so GRUB errors reach the test harness), no menu delay,
    one multiboot2 entry. module_entries holds (path inside the ISO, module cmdline). serial
    (default COM1 at 115200) is GRUB's terminal only: with_serial() sets Plinth's to match.
    comment, if given, is a first line saying who wrote the file. boot_dir: where plinth.elf
    lies as the boot device sees it (a TFTP sub-directory for a lab's PXE tree)."""
    lines = [f"# {comment}"] if comment else []
    lines += [
        "set timeout=0",
        (serial or Serial(COM_PORTS["com1"], DEFAULT_BAUD, "com1")).grub_command,
        "terminal_input serial console",
        "terminal_output serial console",
        'menuentry "Plinth" {',
        f"    multiboot2 {boot_dir}/plinth.elf" + grub_args(cmdline),
    ]
    lines += [f"    module2 {grub_quote(path)}{grub_args(args)}" for path, args in module_entries]
    lines += [
        "    boot",
        # Only reached when GRUB could not load Plinth (its error is printed just above):
        # say so in Plinth's panic format, so harnesses fail at once instead of timing out.
        "    echo " + grub_quote(GRUB_FAILED),
        "}",
        "",
    ]
    return "\n".join(lines)


def check_tools() -> None:
    """Raise PlinthError naming the first missing ISO tool and its apt package."""
    for tool, package in REQUIRED_TOOLS.items():
        if shutil.which(tool) is None:
            raise PlinthError(f"Cannot build the ISO: no '{tool}' on PATH (apt package: {package}).")
    if not BIOS_GRUB_DIR.is_dir():
        raise PlinthError(
            f"Cannot build the ISO: GRUB's BIOS files are missing ({BIOS_GRUB_DIR}, apt package: grub-pc-bin)."
        )


def mkrescue(tree: Path, out: Path) -> None:
    """Run grub-mkrescue on a prepared tree; BIOS always, UEFI too when its files exist."""
    check_tools()
    out.parent.mkdir(parents=True, exist_ok=True)
    # No fonts, locales or themes: the console is serial, and it halves the ISO's size.
    cmd = [
        "grub-mkrescue",
        "--fonts=",
        "--locales=",
        "--themes=",
        "-o",
        str(out),
        str(tree),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not out.is_file():
        tail = " | ".join(proc.stderr.strip().splitlines()[-5:])
        raise PlinthError(f"grub-mkrescue failed (exit {proc.returncode}): {tail}")


def place(src: Path, dst: Path) -> None:
    """Put src into the ISO tree: a hard link where possible, since guest modules (kernels,
    initramfs) can be large and xorriso reads the content anyway; else a copy."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def check_inputs(elf: Path, modules: Sequence[tuple[Path, str]], what: str = "the ISO") -> None:
    """Raise PlinthError naming the first of the ELF and the modules that is not a file."""
    inputs = [("Plinth ELF", Path(elf))] + [(f"module {i}", Path(p)) for i, (p, _) in enumerate(modules)]
    for name, path in inputs:
        if not path.is_file():
            raise PlinthError(f"Cannot build {what}: {name} '{path}' does not exist.")


def lay_out_boot(
    tree: Path,
    elf: Path,
    modules: Sequence[tuple[Path, str]],
    cmdline: str,
    serial: Serial | None = None,
    comment: str = "",
    copy: bool = False,
    boot_dir: str = "/boot",
) -> None:
    """Write tree/boot/: plinth.elf, modules/<n>-<name> and grub/grub.cfg (replacing what an
    earlier run left there). The paths in grub.cfg are from the boot device's root, the same
    on a CD and on a TFTP server (boot_dir: tree/boot as the device names it). copy: real
    copies, never hard links (for a tree that outlives this run, so that rebuilding the
    inputs cannot change it)."""
    put = shutil.copyfile if copy else place
    boot = tree / "boot"
    shutil.rmtree(boot / "modules", ignore_errors=True)
    (boot / "grub").mkdir(parents=True, exist_ok=True)
    (boot / "modules").mkdir()
    (boot / "plinth.elf").unlink(missing_ok=True)
    put(Path(elf), boot / "plinth.elf")
    for (path, _), name in zip(modules, module_names(modules), strict=True):
        put(Path(path), boot / "modules" / name)
    (boot / "grub" / "grub.cfg").write_text(boot_grub_cfg(modules, cmdline, serial, comment, boot_dir))


def module_names(modules: Sequence[tuple[Path, str]]) -> list[str]:
    """Each module's file name in the boot tree's modules/: <n>-<name>."""
    return [f"{i}-{Path(path).name}" for i, (path, _) in enumerate(modules)]


def boot_grub_cfg(
    modules: Sequence[tuple[Path, str]],
    cmdline: str,
    serial: Serial | None = None,
    comment: str = "",
    boot_dir: str = "/boot",
) -> str:
    """The grub.cfg of a boot tree for these modules (serial sets Plinth's console= too)."""
    if serial is not None:
        cmdline = with_serial(cmdline, serial)
    entries = [
        (f"{boot_dir}/modules/{name}", args) for name, (_, args) in zip(module_names(modules), modules, strict=True)
    ]
    return grub_cfg(cmdline, entries, serial, comment, boot_dir)


def make_iso(
    elf: Path,
    out: Path,
    modules: Sequence[tuple[Path, str]] = (),
    cmdline: str = "",
    workdir: Path | None = None,
    serial: Serial | None = None,
) -> Path:
    """Build a bootable ISO holding /boot/plinth.elf, /boot/modules/<n>-<name> and
    /boot/grub/grub.cfg. workdir, if given, keeps the ISO tree (for inspection). serial sets
    GRUB's terminal and Plinth's console= together (default: GRUB on COM1, cmdline as is).

    grub-mkrescue makes the ISO hybrid: it boots from a CD and, written raw to a USB stick
    (tools/usb.py), from the stick, with BIOS and (when GRUB's EFI files exist) UEFI."""
    elf, out = Path(elf), Path(out)
    check_inputs(elf, modules)
    with tempfile.TemporaryDirectory(prefix="plinth-iso-") as tmp:
        tree = Path(workdir) if workdir is not None else Path(tmp)
        if tree.exists():
            shutil.rmtree(tree / "boot", ignore_errors=True)
        lay_out_boot(tree, elf, modules, cmdline, serial)
        mkrescue(tree, out)
    return out


def cached_iso(
    elf: Path, modules: Sequence[tuple[Path, str]] = (), cmdline: str = "", serial: Serial | None = None
) -> Path:
    """make_iso() once per content: build/iso-cache/<digest>.iso, reused (and its mtime
    renewed) when the ELF, the modules and grub.cfg are the same (tools/logs.py prunes it).
    Parallel callers may build the same one at once: each renames its own file into place."""
    from tools import logs

    check_inputs(elf, modules)
    key = logs.iso_key(Path(elf), modules, boot_grub_cfg(modules, cmdline, serial))
    iso = logs.ISO_CACHE / f"{key}.iso"
    if iso.is_file():
        os.utime(iso)
        return iso
    tmp = logs.ISO_CACHE / f".{key}.{os.getpid()}.{threading.get_ident()}.iso"
    make_iso(elf, tmp, modules, cmdline, serial=serial)
    tmp.replace(iso)
    return iso


def parse_module(spec: str) -> tuple[Path, str]:
    """'PATH' or 'PATH=CMDLINE' (split at the first '=')."""
    path, _, module_cmdline = spec.partition("=")
    return Path(path), module_cmdline


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.image", description=__doc__)
    parser.add_argument("--elf", type=Path, required=True, help="the Plinth multiboot2 ELF")
    parser.add_argument("--out", type=Path, required=True, help="the ISO to write")
    parser.add_argument(
        "--module",
        type=parse_module,
        action="append",
        default=[],
        metavar="PATH[=CMDLINE]",
        help="a multiboot2 module, in order (repeatable)",
    )
    parser.add_argument("--cmdline", default="", help="Plinth's command line")
    parser.add_argument("--serial", metavar="PORT[,BAUD]", help="console port for GRUB and Plinth")
    args = parser.parse_args(argv)
    try:
        serial = parse_serial(args.serial) if args.serial else None
        make_iso(args.elf, args.out, args.module, args.cmdline, serial=serial)
    except PlinthError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
