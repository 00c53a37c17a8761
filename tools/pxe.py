"""A GRUB network-boot tree for a TFTP server: Plinth booted over the network (PXE).

`tools/plinth image --pxe DIR` writes, with DIR as the TFTP root:

    DIR/boot/grub/i386-pc/core.0           GRUB for BIOS PXE (grub-mkimage -O i386-pc-pxe)
    DIR/boot/grub/x86_64-efi/bootx64.efi   GRUB for UEFI network boot (-O x86_64-efi)
    DIR/boot/grub/grub.cfg                 the same menu entry as on the ISO
    DIR/boot/plinth.elf, DIR/boot/modules/ Plinth and its modules
    DIR/README.txt                         which file DHCP must name, and DHCP server examples

It is the layout `grub-mknetdir` makes: each image has the network driver, TFTP and what
grub.cfg uses built in, and its prefix is /boot/grub on the TFTP server it was loaded from,
so GRUB reads grub.cfg and then plinth.elf over TFTP. Each platform directory also gets
GRUB's module files (as grub-mknetdir copies them), so a grub.cfg edited by hand can insmod
more. A platform is written when GRUB's files for it are installed.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tools import image
from tools.errors import PlinthError

GRUB_LIB = Path("/usr/lib/grub")
PREFIX = "/boot/grub"
# The first line of a grub.cfg written here: a DIR whose grub.cfg lacks it belongs to
# something else, and is not overwritten.
MARKER = "written by tools/plinth image --pxe"
# Built into every image after the platform's network driver: TFTP (pulls in net) and every
# command grub.cfg runs.
MODULES = ("tftp", "normal", "configfile", "echo", "test", "serial", "terminal", "multiboot2", "boot")


@dataclass(frozen=True)
class Platform:
    grub_dir: str  # under /usr/lib/grub and under DIR/boot/grub
    mkimage_format: str  # grub-mkimage -O
    boot_file: str  # the file DHCP names, in DIR/boot/grub/<grub_dir>/
    firmware: str  # for people
    net_module: str
    package: str  # Debian package with GRUB's files for it


PLATFORMS = (
    Platform("i386-pc", "i386-pc-pxe", "core.0", "BIOS (legacy PXE)", "pxe", "grub-pc-bin"),
    Platform("x86_64-efi", "x86_64-efi", "bootx64.efi", "UEFI", "efinet", "grub-efi-amd64-bin"),
)


@dataclass(frozen=True)
class PxeTree:
    root: Path  # the TFTP root
    boot_files: dict[str, str]  # firmware -> DHCP file name (relative to root)
    readme: Path


def make_pxe(
    elf: Path,
    root: Path,
    modules: Sequence[tuple[Path, str]] = (),
    cmdline: str = "",
    serial: image.Serial | None = None,
    grub_lib: Path = GRUB_LIB,
    tftp_dir: str = "",
) -> PxeTree:
    """Write the network-boot tree into root (made if missing); returns what DHCP must name.
    serial sets GRUB's terminal and Plinth's console= together, as for the ISO. tftp_dir:
    the path under which the TFTP server serves root ("" when root is the server's root; a
    lab's TFTPProvider names it as its external path), so that GRUB asks for the right files."""
    root = Path(root).resolve()
    image.check_inputs(elf, modules, "the network-boot tree")
    if shutil.which("grub-mkimage") is None:
        raise PlinthError("Cannot build the network-boot tree: no 'grub-mkimage' on PATH (apt package: grub-common).")
    platforms = [p for p in PLATFORMS if (grub_lib / p.grub_dir).is_dir()]
    if not platforms:
        raise PlinthError(
            f"Cannot build the network-boot tree: GRUB's files are missing (no {grub_lib}/i386-pc or "
            f"{grub_lib}/x86_64-efi; apt packages: grub-pc-bin, grub-efi-amd64-bin)."
        )
    cfg = root / PREFIX.lstrip("/") / "grub.cfg"
    if cfg.is_file() and MARKER not in cfg.read_text(errors="replace").partition("\n")[0]:
        raise PlinthError(
            f"{cfg} exists and was not written by Plinth: give an empty directory as the TFTP root, "
            "or remove that GRUB configuration first."
        )
    root.mkdir(parents=True, exist_ok=True)
    boot_dir = f"/{tftp_dir.strip('/')}/boot" if tftp_dir.strip("/") else "/boot"
    image.lay_out_boot(
        root, elf, modules, cmdline, serial, comment=f"{MARKER}; boots Plinth", copy=True, boot_dir=boot_dir
    )
    boot_files = {}
    for platform in platforms:
        boot_files[platform.firmware] = mkimage(platform, grub_lib, root, f"{boot_dir}/grub")
    final_cmdline = image.with_serial(cmdline, serial) if serial is not None else cmdline
    readme = root / "README.txt"
    readme.write_text(readme_text(root, boot_files, modules, final_cmdline, serial))
    return PxeTree(root, boot_files, readme)


def mkimage(platform: Platform, grub_lib: Path, root: Path, prefix: str = PREFIX) -> str:
    """Build one platform's GRUB network image and copy its modules; returns the boot file's
    path relative to root."""
    src = grub_lib / platform.grub_dir
    dst = root / PREFIX.lstrip("/") / platform.grub_dir
    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir(parents=True)
    for path in sorted(src.iterdir()):
        if path.suffix in (".mod", ".lst"):
            shutil.copyfile(path, dst / path.name)
    out = dst / platform.boot_file
    cmd = [
        "grub-mkimage",
        "-O",
        platform.mkimage_format,
        "-d",
        str(src),
        "-p",
        prefix,
        "-o",
        str(out),
        platform.net_module,
        *MODULES,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not out.is_file():
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        raise PlinthError(f"grub-mkimage -O {platform.mkimage_format} failed (exit {proc.returncode}): {tail}")
    return str(out.relative_to(root))


def readme_text(
    root: Path,
    boot_files: dict[str, str],
    modules: Sequence[tuple[Path, str]],
    cmdline: str,
    serial: image.Serial | None,
) -> str:
    bios = boot_files.get(PLATFORMS[0].firmware)
    efi = boot_files.get(PLATFORMS[1].firmware)
    lines = [
        f"Plinth network boot ({MARKER}, {time.strftime('%Y-%m-%d %H:%M')})",
        "",
        f"TFTP root: {root}",
        "  Serve this directory as the TFTP server's root: GRUB fetches /boot/grub/grub.cfg,",
        "  /boot/plinth.elf and /boot/modules/* by these paths from the server it was loaded from.",
        "",
        "DHCP boot file name (option 67, `filename`), by the client's firmware:",
    ]
    lines += [f"  {firmware + ':':19} {path}" for firmware, path in boot_files.items()]
    lines += ["  (next-server / option 66: this TFTP server's address)", ""]
    if bios is None or efi is None:
        missing = PLATFORMS[0] if bios is None else PLATFORMS[1]
        lines += [f"No {missing.firmware} image: install {missing.package} and run the command again.", ""]
    lines += ["dnsmasq as the DHCP and TFTP server:", "  enable-tftp", f"  tftp-root={root}"]
    if efi is not None:
        # DHCP option 93 (client architecture): 7 and 9 are x86-64 UEFI.
        lines += [
            "  dhcp-match=set:efi64,option:client-arch,7",
            "  dhcp-match=set:efi64,option:client-arch,9",
            f"  dhcp-boot=tag:efi64,{efi}",
        ]
    if bios is not None:
        lines.append(f"  dhcp-boot={'tag:!efi64,' if efi is not None else ''}{bios}")
    lines += [
        "",
        "ISC dhcpd (subnet or host block), TFTP served by e.g. tftpd-hpa with this root:",
        "  next-server <TFTP server address>;",
    ]
    if bios is not None and efi is not None:
        lines += [
            "  # at top level: option arch code 93 = unsigned integer 16;",
            f'  if option arch = 00:07 or option arch = 00:09 {{ filename "{efi}"; }}',
            f'  else {{ filename "{bios}"; }}',
        ]
    else:
        lines.append(f'  filename "{bios or efi}";')
    lines += ["", f"Plinth's command line: '{cmdline}'"]
    if serial is not None:
        lines.append(f"Serial console (GRUB and Plinth): {serial}")
    else:
        lines.append(
            "Serial console: GRUB on COM1 at 115200 baud; Plinth as its console= option says (default com1,115200)"
        )
    lines.append(f"Modules: {len(modules)}")
    lines += [f"  {i}: boot/modules/{i}-{Path(p).name} cmdline '{c}'" for i, (p, c) in enumerate(modules)]
    lines += ["", "Secure Boot must be off: this GRUB is not signed.", ""]
    return "\n".join(lines)
