"""The Linux guest that `plinth run` boots: Debian's stock kernel and a busybox initramfs.

Both come from the Debian (or Ubuntu) archive with `apt-get download`, without installing
anything: the kernel package's /boot/vmlinuz-* and busybox-static's /bin/busybox are pulled out
of the .debs into a cache directory (build/linux-cache/ by default), which later runs reuse
without touching the network. The initramfs is a newc cpio written here (no `cpio` tool
needed), rebuilt only when its content would change.

A variant initramfs carries chosen kernel modules (module_initramfs: e1000 for a PCI test) from
the package the cached vmlinuz came from, and its /init loads them with busybox insmod before
the shell; the modules and what they depend on (their .modinfo `depends=`) are cached
uncompressed under cache/modules-RELEASE/, since busybox insmod reads a plain ELF object only.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import lzma
import re
import shutil
import stat
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from tools.errors import PlinthError
from tools.msg import say
from tools.paths import BUILD

CACHE = BUILD / "linux-cache"
INITRAMFS_NAME = "initramfs.cpio.gz"

# Debian's metapackage first, then Ubuntu's; `apt-cache depends` names the versioned package
# (linux-image-6.1.0-NN-amd64) that holds /boot/vmlinuz-*.
KERNEL_METAPACKAGES = ("linux-image-amd64", "linux-image-generic")
BUSYBOX_PACKAGE = "busybox-static"
APT_TIMEOUT_S = 1800

# The guest's console is the first UART, which the VM owns; panic=-1 reboots at once on a
# panic (under Plinth: the VM stops with a report instead of hanging silently).
DEFAULT_CMDLINE = "console=ttyS0,115200 earlyprintk=serial,ttyS0,115200 panic=-1"

# What the default /init prints, for people and for tests that wait for the guest.
GUEST_UP = "plinth-guest: userspace up"
GUEST_PROMPT = "guest# "
GUEST_POWEROFF = "plinth-guest: shell exited, powering off"

# Applets linked in the image itself, so a shell works even if `busybox --install` fails;
# /init installs the rest at boot.
APPLETS = (
    "sh",
    "ash",
    "ls",
    "cat",
    "mount",
    "umount",
    "echo",
    "poweroff",
    "reboot",
    "halt",
    "dmesg",
    "grep",
    "head",
    "tail",
    "od",
    "dd",
    "hexdump",
    "uname",
    "sleep",
    "mkdir",
    "setsid",
    "cttyhack",
    "ps",
    "free",
    "nproc",
    "awk",
    "vi",
    "less",
)

DEFAULT_INIT = f"""#!/bin/sh
# Plinth's default guest init (tools/linux.py): mount the kernel filesystems, say that
# userspace is up, give the console a shell, power off when it exits.
/bin/busybox --install -s 2>/dev/null
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TERM=vt100
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
hostname plinth-guest
echo "{GUEST_UP} (Linux $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ {{print int($2 / 1024)}}' /proc/meminfo) MiB)"
export PS1='{GUEST_PROMPT}'
cd /root
# cttyhack opens the real console (ttyS0) as the controlling terminal: Ctrl-C works.
setsid cttyhack sh
echo "{GUEST_POWEROFF}"
poweroff -f
"""


# --- newc cpio ------------------------------------------------------------------------

CPIO_MAGIC = b"070701"
CPIO_TRAILER = "TRAILER!!!"


@dataclass(frozen=True)
class CpioEntry:
    """One archive member: name without a leading "/", full st_mode, contents (a symlink's
    contents are its target), and for device nodes (major, minor)."""

    name: str
    mode: int
    data: bytes = b""
    rdev: tuple[int, int] = (0, 0)


def cpio_dir(name: str, perm: int = 0o755) -> CpioEntry:
    return CpioEntry(name, stat.S_IFDIR | perm)


def cpio_file(name: str, data: bytes, perm: int = 0o644) -> CpioEntry:
    return CpioEntry(name, stat.S_IFREG | perm, data)


def cpio_symlink(name: str, target: str) -> CpioEntry:
    return CpioEntry(name, stat.S_IFLNK | 0o777, target.encode())


def cpio_chardev(name: str, major: int, minor: int, perm: int = 0o600) -> CpioEntry:
    return CpioEntry(name, stat.S_IFCHR | perm, rdev=(major, minor))


def _pad4(n: int) -> bytes:
    return b"\0" * (-n % 4)


def _cpio_header(ino: int, mode: int, nlink: int, size: int, rdev: tuple[int, int], namesize: int) -> bytes:
    # newc: magic, then 13 fields of 8 hex digits: ino mode uid gid nlink mtime filesize
    # devmajor devminor rdevmajor rdevminor namesize check. Owner root, mtime 0: reproducible.
    fields = (ino, mode, 0, 0, nlink, 0, size, 0, 0, rdev[0], rdev[1], namesize, 0)
    return CPIO_MAGIC + b"".join(b"%08X" % f for f in fields)


def cpio_newc(entries: Iterable[CpioEntry]) -> bytes:
    """A newc ("070701") cpio archive of entries, in order, ending with TRAILER!!!. The
    kernel's initramfs unpacker reads this format; header+name and data are each padded to
    4 bytes. Parents must come before their children."""
    out = bytearray()
    for ino, entry in enumerate([*entries, CpioEntry(CPIO_TRAILER, 0)], start=1):
        trailer = entry.name == CPIO_TRAILER
        name = entry.name.lstrip("/").encode() + b"\0"
        nlink = 2 if stat.S_ISDIR(entry.mode) else 1
        out += _cpio_header(0 if trailer else ino, entry.mode, nlink, len(entry.data), entry.rdev, len(name))
        out += name
        out += _pad4(len(out))  # every header starts 4-aligned, so pad to the offset
        out += entry.data
        out += _pad4(len(out))
    return bytes(out)


# --- the initramfs ----------------------------------------------------------------------


def initramfs_entries(busybox: bytes, init_script: str) -> list[CpioEntry]:
    """The default guest's root filesystem: busybox, applet links, mount points, /init."""
    entries = [
        cpio_dir(d) for d in ("bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "root", "mnt")
    ]
    entries += [
        cpio_dir("tmp", 0o1777),
        cpio_chardev("dev/console", 5, 1),
        cpio_chardev("dev/ttyS0", 4, 64),
        cpio_chardev("dev/null", 1, 3, 0o666),
    ]
    entries.append(cpio_file("bin/busybox", busybox, 0o755))
    entries += [cpio_symlink(f"bin/{applet}", "busybox") for applet in APPLETS]
    entries.append(cpio_file("init", init_script.encode(), 0o755))
    return entries


MODULES_DIR = "lib/modules"  # in the initramfs: NAME.ko, loaded by module_init's script


def module_init(modules: Sequence[str]) -> str:
    """DEFAULT_INIT that first loads /lib/modules/NAME.ko for each of modules, in that order
    (dependencies first), saying on the console which one failed."""
    load = "".join(
        f'insmod /{MODULES_DIR}/{name}.ko || echo "plinth-guest: insmod {name} failed"\n' for name in modules
    )
    anchor = "hostname plinth-guest\n"
    return DEFAULT_INIT.replace(anchor, load + anchor, 1)


def build_initramfs(
    busybox: Path, out: Path, init_script: str | None = None, modules: Sequence[tuple[str, bytes]] = ()
) -> Path:
    """Write the guest's initramfs to out (gzip-compressed when out ends in .gz) and return
    out; modules (name, contents of NAME.ko) go to /lib/modules. Nothing is written when out
    already holds the same content (a sha256 stamp of the uncompressed archive sits beside it)."""
    try:
        binary = Path(busybox).read_bytes()
    except OSError as err:
        raise PlinthError(f"cannot read the busybox binary {busybox}: {err.strerror}.") from None
    entries = initramfs_entries(binary, DEFAULT_INIT if init_script is None else init_script)
    if modules:
        entries += [cpio_dir("lib"), cpio_dir(MODULES_DIR)]
        entries += [cpio_file(f"{MODULES_DIR}/{name}.ko", data) for name, data in modules]
    archive = cpio_newc(entries)
    compress = out.name.endswith(".gz")
    digest = hashlib.sha256(archive + (b"gzip" if compress else b"")).hexdigest()
    stamp = out.with_name(out.name + ".sha256")
    if out.is_file() and stamp.is_file() and stamp.read_text().strip() == digest:
        return out
    data = gzip.compress(archive, compresslevel=6, mtime=0) if compress else archive
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(out)
    stamp.write_text(digest + "\n")
    say(f"wrote {out} ({len(data) / 2**20:.1f} MiB)")
    return out


# --- fetching from the archive ------------------------------------------------------------


def _require(tool: str, what: str) -> None:
    if shutil.which(tool) is None:
        raise PlinthError(
            f"cannot fetch {what}: no {tool} on PATH (a Debian or Ubuntu host is needed); "
            "pass --kernel and --initrd instead."
        )


def _apt(argv: list[str], what: str, cwd: Path | None = None) -> str:
    """Run an apt tool; its stdout, or a one-sentence PlinthError about `what`."""
    _require(argv[0], what)
    try:
        res = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=APT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise PlinthError(f"`{' '.join(argv)}` took over {APT_TIMEOUT_S} s; check the network and retry.") from None
    if res.returncode != 0:
        errors = [ln for ln in res.stderr.splitlines() if ln.startswith("E:")] or res.stderr.strip().splitlines()
        why = errors[-1].removeprefix("E: ").rstrip(".") if errors else f"exit status {res.returncode}"
        raise PlinthError(
            f"cannot fetch {what} ({why}); run `sudo apt-get update`, check the network, or pass --kernel and --initrd."
        )
    return res.stdout


def kernel_package() -> str:
    """The versioned kernel package the archive's metapackage depends on (Debian 12:
    linux-image-6.1.0-NN-amd64)."""
    _require("apt-cache", "the kernel")
    for meta in KERNEL_METAPACKAGES:
        try:
            text = _apt(["apt-cache", "depends", meta], meta)
        except PlinthError:
            continue
        for m in re.finditer(r"^\s*\|?Depends:\s*(linux-image-[^\s<>]+)", text, re.MULTILINE):
            if m.group(1) not in KERNEL_METAPACKAGES:
                return m.group(1)
    raise PlinthError(
        f"apt-cache knows no kernel package ({' or '.join(KERNEL_METAPACKAGES)}); "
        "run `sudo apt-get update`, or pass --kernel and --initrd."
    )


def _package_size(package: str) -> str:
    """ " (68 MiB)" from the archive's index, or "" if it does not say."""
    try:
        res = subprocess.run(["apt-cache", "show", "--no-all-versions", package], capture_output=True, text=True)
    except OSError:
        return ""
    m = re.search(r"^Size:\s*(\d+)", res.stdout, re.MULTILINE)
    return f" ({int(m.group(1)) / 2**20:.0f} MiB)" if m else ""


def _deb_files(deb: Path, wanted: Callable[[str], bool]) -> Generator[tuple[str, int, bytes]]:
    """(name, mode, contents) of each regular file of deb's data whose name (without "./")
    wanted accepts, in the package's order. Streams `dpkg-deb --fsys-tarfile`; a caller that
    stops early stops dpkg-deb too, so nothing it does not take ever reaches the disk."""
    if shutil.which("dpkg-deb") is None:
        raise PlinthError(f"cannot unpack {deb.name}: no dpkg-deb on PATH (apt package: dpkg).")
    with subprocess.Popen(
        ["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as proc:
        assert proc.stdout is not None
        stopped = True
        try:
            with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
                for member in tar:
                    name = member.name.removeprefix("./")
                    if member.isfile() and wanted(name):
                        src = tar.extractfile(member)
                        assert src is not None
                        yield name, member.mode, src.read()
            stopped = False
        except tarfile.TarError as err:
            raise PlinthError(f"cannot unpack {deb.name} ({err}); delete it and retry.") from None
        finally:
            if stopped:
                proc.kill()  # the caller stopped early, or the data broke: the rest is not needed
        _, err_text = proc.communicate()
    if proc.returncode != 0:
        why = err_text.decode(errors="replace").strip().splitlines()
        raise PlinthError(f"cannot unpack {deb.name} ({why[-1] if why else 'dpkg-deb failed'}).")


def _extract(deb: Path, member_re: str, dest: Path) -> Path | None:
    """Extract the first regular file of deb's data whose name matches member_re into dest
    (flat) and return it, or None."""
    pattern = re.compile(member_re)
    files = _deb_files(deb, lambda name: pattern.fullmatch(name) is not None)
    for name, mode, data in files:
        files.close()
        target = dest / Path(name).name
        target.write_bytes(data)
        target.chmod(0o755 if mode & 0o111 else 0o644)
        return target
    return None


def _fetch(package: str, member_re: str, cache: Path) -> Path:
    """Download package with apt-get into cache and keep only its member matching member_re."""
    cache.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(dir=cache, prefix="download-") as tmp:
        deb = _download(package, Path(tmp))
        found = _extract(deb, member_re, Path(tmp))
        if found is None:
            raise PlinthError(f"{deb.name} holds no file matching {member_re}; pass --kernel and --initrd instead.")
        target = cache / found.name
        found.replace(target)
    say(f"fetched {package} in {time.monotonic() - start:.0f} s: {target} ({target.stat().st_size / 2**20:.1f} MiB)")
    return target


def _download(package: str, work: Path) -> Path:
    """apt-get download package into the directory work; the .deb."""
    _require("apt-get", package)
    say(f"fetching {package}{_package_size(package)} ...")
    work.chmod(0o755)  # apt's _apt user may then download here (no "unsandboxed" warning)
    _apt(["apt-get", "download", "-q", package], package, cwd=work)
    debs = sorted(work.glob(f"{package}_*.deb"))
    if not debs:
        raise PlinthError(f"apt-get download {package} left no .deb; run `sudo apt-get update` and retry.")
    return debs[0]


def fetch_kernel(cache: Path = CACHE) -> Path:
    """cache/vmlinuz-*: Debian's stock kernel, downloaded on the first call only."""
    cached = sorted(cache.glob("vmlinuz-*"))
    if cached:
        return cached[-1]
    return _fetch(kernel_package(), r"boot/vmlinuz-.*", cache)


def fetch_busybox(cache: Path = CACHE) -> Path:
    """cache/busybox: the static busybox from busybox-static, downloaded on the first call only."""
    cached = cache / "busybox"
    if cached.is_file():
        return cached
    return _fetch(BUSYBOX_PACKAGE, r"bin/busybox", cache)


def fetch_debian(cache: Path = CACHE) -> tuple[Path, Path]:
    """(vmlinuz, busybox) from the Debian archive, cached in cache: the network is used only
    when the cache lacks one of them."""
    return fetch_kernel(cache), fetch_busybox(cache)


# --- kernel modules for a variant initramfs ------------------------------------------------

MODULE_SUFFIXES = (".ko", ".ko.xz")  # Debian 12 ships .ko; later kernels compress with xz


def module_name(name: str) -> str:
    """The kernel's name of a module: its file name's, with "_" for "-" (kmod's rule)."""
    for suffix in MODULE_SUFFIXES:
        name = name.removesuffix(suffix)
    return name.replace("-", "_")


def module_depends(data: bytes, what: str) -> list[str]:
    """The modules that module object data needs loaded first: its .modinfo `depends=` entry
    (what names it in the error when the bytes are no module)."""
    try:
        section = ELFFile(io.BytesIO(data)).get_section_by_name(".modinfo")
    except ELFError as err:
        raise PlinthError(f"{what} is not a kernel module ({err}).") from None
    if section is None:
        raise PlinthError(f"{what} is not a kernel module (it has no .modinfo section).")
    for entry in section.data().split(b"\0"):
        if entry.startswith(b"depends="):
            return [module_name(d) for d in entry[len(b"depends=") :].decode().split(",") if d]
    return []


def _module_plain(member: str, data: bytes) -> bytes:
    """A module file's object: .ko as it is, .ko.xz decompressed (busybox insmod takes no xz)."""
    if not member.endswith(".xz"):
        return data
    try:
        return lzma.decompress(data)
    except lzma.LZMAError as err:
        raise PlinthError(f"cannot decompress {member} ({err}).") from None


def _extract_modules(deb: Path, release: str, names: set[str], dest: Path) -> set[str]:
    """Extract the modules names (kernel names) of deb's /lib/modules/release tree into dest as
    NAME.ko, uncompressed; the names found. One pass over the package's data."""
    prefix = f"lib/modules/{release}/"
    found: set[str] = set()

    def wanted(path: str) -> bool:
        base = Path(path).name
        return path.startswith(prefix) and base.endswith(MODULE_SUFFIXES) and module_name(base) in names - found

    files = _deb_files(deb, wanted)
    for path, _, data in files:
        name = module_name(Path(path).name)
        (dest / f"{name}.ko").write_bytes(_module_plain(path, data))
        found.add(name)
        if found == names:
            files.close()
    return found


def fetch_modules(release: str, modules: Sequence[str], cache: Path = CACHE) -> list[Path]:
    """cache/modules-release/NAME.ko for modules and every module they depend on, in an order
    that loads dependencies first; the kernel package linux-image-release (the one the cached
    vmlinuz-release came from) is downloaded only when the cache lacks one of them."""
    where = cache / f"modules-{release}"
    wanted = [module_name(m) for m in modules]
    package = f"linux-image-{release}"
    deb: Path | None = None
    with tempfile.TemporaryDirectory(dir=cache if cache.is_dir() else None, prefix="download-") as tmp:
        order: list[str] = []
        visiting: list[str] = []

        def visit(name: str) -> None:
            nonlocal deb
            if name in order:
                return
            if name in visiting:
                raise PlinthError(f"the modules of {package} depend on each other in a cycle: {' -> '.join(visiting)}.")
            path = where / f"{name}.ko"
            if not path.is_file():
                if deb is None:
                    deb = _download(package, Path(tmp))
                where.mkdir(parents=True, exist_ok=True)
                if name not in _extract_modules(deb, release, {name}, where):
                    raise PlinthError(f"{package} has no module {name} (looked under /lib/modules/{release}).")
            visiting.append(name)
            for dep in module_depends(path.read_bytes(), str(path)):
                visit(dep)
            visiting.pop()
            order.append(name)

        for name in wanted:
            visit(name)
    return [where / f"{name}.ko" for name in order]


def module_initramfs(modules: Sequence[str], cache: Path = CACHE) -> Path:
    """cache/initramfs-NAMES.cpio.gz: the default initramfs with modules (and what they depend
    on) from the cached kernel's own package, loaded by /init before the shell; rebuilt only when
    its content would change."""
    kernel = fetch_kernel(cache)
    release = kernel.name.removeprefix("vmlinuz-")
    paths = fetch_modules(release, modules, cache)
    names = [p.name.removesuffix(".ko") for p in paths]
    out = cache / f"initramfs-{'-'.join(module_name(m) for m in modules)}.cpio.gz"
    return build_initramfs(
        fetch_busybox(cache), out, module_init(names), [(n, p.read_bytes()) for n, p in zip(names, paths, strict=True)]
    )


def guest_files(kernel: Path | None, initrd: Path | None, cache: Path = CACHE) -> tuple[Path, Path]:
    """(kernel, initrd) for the default VM: the user's files where given (they must exist),
    otherwise Debian's kernel and the busybox initramfs built in cache."""
    for option, path in (("--kernel", kernel), ("--initrd", initrd)):
        if path is not None and not Path(path).is_file():
            raise PlinthError(f"{option} {path} does not exist (or is not a file).")
    if kernel is None:
        kernel = fetch_kernel(cache)
    if initrd is None:
        initrd = build_initramfs(fetch_busybox(cache), cache / INITRAMFS_NAME)
    return Path(kernel), Path(initrd)


def guest_cmdline(extra: str = "") -> str:
    """The guest kernel's command line: the serial console defaults, then the user's words
    (later words win in Linux, so the user can override a default)."""
    return f"{DEFAULT_CMDLINE} {extra}".strip()
