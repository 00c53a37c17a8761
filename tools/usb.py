"""Write the hybrid ISO to a USB stick, with the checks that keep it off the wrong disk.

`tools/plinth image --usb /dev/sdX` refuses a path that is not a block device, a partition
(the boot sectors are the whole device's), a device with a mounted partition or one in use
by LVM, encryption or swap, and a stick too small. It then names the device, its model and
size and asks before it writes, unless --yes. The copy is plain Python with an fsync every
chunk, so the progress shown is what reached the stick.

The checks read /proc/mounts, /proc/swaps and /sys; write_usb() takes their paths so tests
can stand in a regular file for the device (check_block=False) and fake those files. The
CLI always checks that the target is a block device.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from tools.errors import PlinthError

CHUNK = 4 << 20
SECTOR = 512
# Partition device names: sdb1, vdb2, nvme0n1p1, mmcblk0p1, loop0p1.
PARTITION_RE = re.compile(r"(?:[shv]d[a-z]+|xvd[a-z]+)\d+|(?:nvme\d+n\d+|mmcblk\d+|loop\d+|nbd\d+)p\d+")


@dataclass(frozen=True)
class Target:
    path: Path  # as given
    name: str  # kernel name (sdb)
    size: int  # bytes
    model: str  # "SanDisk Cruzer Blade", or what is known
    removable: bool | None
    is_block: bool
    growable: bool = False  # a regular file (tests): its size is no limit

    def describe(self) -> str:
        kind = {True: "removable", False: "fixed disk", None: "unknown kind"}[self.removable]
        return f"{self.path} ({self.model}, {human(self.size)}, {kind})"


def human(size: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def inspect(
    device: Path,
    *,
    check_block: bool = True,
    sysfs: Path = Path("/sys"),
    mounts: Path = Path("/proc/mounts"),
    swaps: Path = Path("/proc/swaps"),
) -> Target:
    """The device to write, after every refusal check; raises PlinthError (one sentence)."""
    device = Path(device)
    try:
        st = os.stat(device)
    except FileNotFoundError:
        raise PlinthError(f"{device} does not exist; `lsblk` lists the disks and sticks.") from None
    except OSError as err:
        raise PlinthError(f"cannot examine {device}: {err.strerror}.") from None
    is_block = stat.S_ISBLK(st.st_mode)
    if check_block and not is_block:
        raise PlinthError(f"{device} is not a block device; give the whole stick, e.g. /dev/sdb (`lsblk` lists them).")
    name = Path(os.path.realpath(device)).name
    disk = sysfs / "block" / name
    if (sysfs / "class" / "block" / name / "partition").exists() or (
        not disk.exists() and PARTITION_RE.fullmatch(name)
    ):
        whole = _parent_disk(name, sysfs)
        raise PlinthError(
            f"{device} is a partition; give the whole device ({whole}) so that its boot sectors are written too."
        )
    partitions = _partitions(name, sysfs)
    for source, target in _mounted(mounts):
        source_name = Path(os.path.realpath(source)).name
        if source_name == name or source_name in partitions:
            raise PlinthError(f"{device} is in use: {source} is mounted on {target}; unmount it first.")
    for source in _swaps(swaps):
        if Path(os.path.realpath(source)).name in {name, *partitions}:
            raise PlinthError(f"{device} is in use: {source} is active swap; swapoff it first.")
    for part in (name, *partitions):
        holders_dir = disk / part / "holders" if part != name else disk / "holders"
        holders = sorted(p.name for p in holders_dir.iterdir()) if holders_dir.is_dir() else []
        if holders:
            raise PlinthError(
                f"{device} is in use: /dev/{part} is held by {', '.join(holders)} (LVM, RAID or encryption); "
                "release it first."
            )
    sectors = _read(disk / "size")
    if sectors is not None and sectors.isdigit():
        size = int(sectors) * SECTOR
    elif is_block:
        with open(device, "rb") as f:
            size = f.seek(0, os.SEEK_END)
    else:
        size = st.st_size
    growable = sectors is None and not is_block
    model = " ".join(filter(None, (_read(disk / "device" / "vendor"), _read(disk / "device" / "model"))))
    removable = _read(disk / "removable")
    return Target(
        device,
        name,
        size,
        model or ("unknown model" if is_block else "a regular file"),
        None if removable is None else removable == "1",
        is_block,
        growable,
    )


def _parent_disk(name: str, sysfs: Path) -> str:
    link = sysfs / "class" / "block" / name
    if link.exists():
        return "/dev/" + Path(os.path.realpath(link)).parent.name
    m = re.fullmatch(r"(.*?\d+n\d+|mmcblk\d+|loop\d+|nbd\d+)p\d+|(.*?)\d+", name)
    return "/dev/" + (m[1] or m[2] if m else name)


def _partitions(name: str, sysfs: Path) -> set[str]:
    disk = sysfs / "block" / name
    found = {p.name for p in disk.iterdir() if (p / "partition").exists()} if disk.is_dir() else set()
    # Also by name (no sysfs in tests, or a table the kernel has not re-read): the kernel puts
    # a "p" between a disk name ending in a digit and the partition number (nvme0n1p1).
    sep = "p" if name[-1:].isdigit() else ""
    return found | {f"{name}{sep}{n}" for n in range(1, 129)}


def _mounted(mounts: Path) -> list[tuple[str, str]]:
    """(source device, mount point) of every mount of a device file."""
    out = []
    for line in (_read(mounts) or "").splitlines():
        fields = [f.replace("\\040", " ") for f in line.split()]  # /proc/mounts writes a blank as \040
        if len(fields) >= 2 and fields[0].startswith("/"):
            out.append((fields[0], fields[1]))
    return out


def _swaps(swaps: Path) -> list[str]:
    lines = (_read(swaps) or "").splitlines()[1:]
    return [line.split()[0] for line in lines if line.split()]


def require_terminal(device: Path, stdin: TextIO | None) -> None:
    """Refuse (one sentence) when there is no terminal to ask for the confirmation on."""
    if stdin is None or not stdin.isatty():
        raise PlinthError(
            f"refusing to overwrite {device} without a confirmation, and stdin is not a terminal "
            "to ask on; add --yes if you are sure."
        )


def confirm(iso: Path, target: Target, stdin: TextIO | None, out: TextIO) -> None:
    """Ask on the terminal; raise PlinthError unless the answer is yes."""
    require_terminal(target.path, stdin)
    assert stdin is not None  # require_terminal refused None
    out.write(
        f"==> about to write {iso.name} ({human(iso.stat().st_size)}) to {target.describe()}.\n"
        f"==> EVERYTHING on {target.path} will be lost. Type 'yes' to go on: "
    )
    out.flush()
    answer = stdin.readline().strip().lower()
    if answer != "yes":
        raise PlinthError(f"not confirmed: {target.path} was left untouched.")


def write_usb(
    iso: Path,
    device: Path,
    *,
    assume_yes: bool = False,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
    check_block: bool = True,
    sysfs: Path = Path("/sys"),
    mounts: Path = Path("/proc/mounts"),
    swaps: Path = Path("/proc/swaps"),
) -> Target:
    """Check device, confirm (unless assume_yes), copy iso onto it and fsync; returns the
    target. stdin/out default to sys.stdin/sys.stderr (the prompt and the progress)."""
    iso, device = Path(iso), Path(device)
    stdin = sys.stdin if stdin is None else stdin
    out = sys.stderr if out is None else out
    target = inspect(device, check_block=check_block, sysfs=sysfs, mounts=mounts, swaps=swaps)
    total = iso.stat().st_size
    if total > target.size and not target.growable:
        raise PlinthError(f"{target.describe()} is smaller than {iso.name} ({human(total)}).")
    if not assume_yes:
        confirm(iso, target, stdin, out)
    # O_EXCL on a block device: the kernel refuses if anything has it open exclusively
    # (a mount, LVM, md) - the last guard against writing a disk in use.
    flags = os.O_WRONLY | (os.O_EXCL if target.is_block else os.O_TRUNC)
    try:
        fd = os.open(device, flags)
    except PermissionError:
        raise PlinthError(f"cannot open {device} for writing: permission denied; run the command with sudo.") from None
    except OSError as err:
        raise PlinthError(f"cannot open {device} for writing: {(err.strerror or str(err)).lower()}.") from None
    tty = out.isatty()
    written = 0
    try:
        with open(iso, "rb") as src:
            while chunk := src.read(CHUNK):
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
                written += len(chunk)
                _progress(out, tty, target.path, written, total)
    except OSError as err:
        raise PlinthError(
            f"writing {device} failed after {human(written)}: {err.strerror}; the stick is not bootable."
        ) from None
    finally:
        os.close(fd)
    return target


def _progress(out: TextIO, tty: bool, path: Path, written: int, total: int) -> None:
    text = f"==> writing {path}: {100 * written // total:3d}% ({human(written)} of {human(total)})"
    if tty:
        out.write("\r" + text + ("\n" if written == total else ""))
    elif written == total or written // CHUNK % 16 == 1:
        out.write(text + "\n")
    out.flush()
