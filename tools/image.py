"""Build the GRUB rescue ISO that boots Plinth (multiboot2) in Bochs, QEMU or on hardware."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
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


def grub_cfg(cmdline: str = "", module_entries: Sequence[tuple[str, str]] = ()) -> str:
    """grub.cfg text: serial console (so GRUB errors reach the test harness), no menu delay,
    one multiboot2 entry. module_entries holds (path inside the ISO, module cmdline)."""
    lines = [
        "set timeout=0",
        "serial --unit=0 --speed=115200",
        "terminal_input serial console",
        "terminal_output serial console",
        'menuentry "Plinth" {',
        "    multiboot2 /boot/plinth.elf" + grub_args(cmdline),
    ]
    lines += [
        f"    module2 {grub_quote(path)}{grub_args(args)}"
        for path, args in module_entries
    ]
    lines += [
        "    boot",
        # Only reached when GRUB could not load Plinth (its error is printed just above):
        # say so in Plinth's panic format, so harnesses fail at once instead of timing out.
        "    echo "
        + grub_quote(f"{FATAL_PREFIX}GRUB could not boot Plinth (see the error above)"),
        "}",
        "",
    ]
    return "\n".join(lines)


def check_tools() -> None:
    """Raise PlinthError naming the first missing ISO tool and its apt package."""
    for tool, package in REQUIRED_TOOLS.items():
        if shutil.which(tool) is None:
            raise PlinthError(
                f"Cannot build the ISO: no '{tool}' on PATH (apt package: {package})."
            )
    if not BIOS_GRUB_DIR.is_dir():
        raise PlinthError(
            f"Cannot build the ISO: GRUB's BIOS files are missing ({BIOS_GRUB_DIR}, "
            "apt package: grub-pc-bin)."
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


def make_iso(
    elf: Path,
    out: Path,
    modules: Sequence[tuple[Path, str]] = (),
    cmdline: str = "",
    workdir: Path | None = None,
) -> Path:
    """Build a bootable ISO holding /boot/plinth.elf, /boot/modules/<n>-<name> and
    /boot/grub/grub.cfg. workdir, if given, keeps the ISO tree (for inspection)."""
    elf, out = Path(elf), Path(out)
    inputs = [("Plinth ELF", elf)] + [
        (f"module {i}", Path(p)) for i, (p, _) in enumerate(modules)
    ]
    for what, path in inputs:
        if not path.is_file():
            raise PlinthError(f"Cannot build the ISO: {what} '{path}' does not exist.")
    with tempfile.TemporaryDirectory(prefix="plinth-iso-") as tmp:
        tree = Path(workdir) if workdir is not None else Path(tmp)
        if tree.exists():
            shutil.rmtree(tree / "boot", ignore_errors=True)
        (tree / "boot" / "grub").mkdir(parents=True, exist_ok=True)
        (tree / "boot" / "modules").mkdir(exist_ok=True)
        place(elf, tree / "boot" / "plinth.elf")
        entries = []
        for index, (path, module_cmdline) in enumerate(modules):
            name = f"{index}-{Path(path).name}"
            place(Path(path), tree / "boot" / "modules" / name)
            entries.append((f"/boot/modules/{name}", module_cmdline))
        (tree / "boot" / "grub" / "grub.cfg").write_text(grub_cfg(cmdline, entries))
        mkrescue(tree, out)
    return out


def parse_module(spec: str) -> tuple[Path, str]:
    """'PATH' or 'PATH=CMDLINE' (split at the first '=')."""
    path, _, module_cmdline = spec.partition("=")
    return Path(path), module_cmdline


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.image", description=__doc__)
    parser.add_argument(
        "--elf", type=Path, required=True, help="the Plinth multiboot2 ELF"
    )
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
    args = parser.parse_args(argv)
    try:
        make_iso(args.elf, args.out, args.module, args.cmdline)
    except PlinthError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
