"""Images for real hardware: --serial, the PXE tree, and writing a USB stick only when safe.

The two boots at the end prove in QEMU that what these functions write actually boots: the
ISO made with --serial com1,115200, and the PXE tree over QEMU's built-in DHCP and TFTP.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from typing import Any
from pathlib import Path

import pytest

from tools import bootstrap, consoleproto, image, pxe, usb
from tools.errors import PlinthError
from tools.paths import ROOT

PLINTH = str(ROOT / "tools" / "plinth")
HAVE_MKIMAGE = shutil.which("grub-mkimage") is not None and (pxe.GRUB_LIB / "i386-pc").is_dir()
needs_mkimage = pytest.mark.skipif(
    not HAVE_MKIMAGE, reason="grub-mkimage or /usr/lib/grub/i386-pc missing (grub-common, grub-pc-bin)"
)
needs_grub = pytest.mark.skipif(
    not all(shutil.which(t) for t in image.REQUIRED_TOOLS),
    reason="grub-mkrescue, xorriso or mformat missing (grub-pc-bin xorriso mtools)",
)
# iPXE's ROM for QEMU's e1000: the PXE firmware of the network-boot test (package ipxe-qemu).
IPXE_ROM = Path("/usr/lib/ipxe/82540em.rom")


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, **{bootstrap.IN_VENV_FLAG: "1", "PYTHONPATH": str(ROOT)})
    return subprocess.run(
        [sys.executable, PLINTH, *args], capture_output=True, text=True, env=env, input=stdin, cwd=ROOT
    )


def files(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A stand-in ELF, kernel and initrd (the PXE tree only copies them)."""
    elf, kernel, initrd = tmp_path / "plinth.elf", tmp_path / "bzImage", tmp_path / "initrd.img"
    elf.write_bytes(b"\x7fELF plinth")
    kernel.write_bytes(b"kernel")
    initrd.write_bytes(b"initrd")
    return elf, kernel, initrd


# --- --serial ---------------------------------------------------------------------------------


def test_serial_sets_grub_unit_and_plinth_console_alike() -> None:
    com2 = image.parse_serial("com2,9600")
    assert com2.grub_command == "serial --unit=1 --speed=9600"
    assert com2.plinth_option == "console=com2,9600"
    assert image.parse_serial("ttyS1,9600") == com2
    assert image.parse_serial("COM1").grub_command == "serial --unit=0 --speed=115200"
    port = image.parse_serial("0x2e8,57600")
    assert port.grub_command == "serial --port=0x2e8 --speed=57600"
    assert port.plinth_option == "console=0x2e8,57600"


@pytest.mark.parametrize(
    "text, message",
    [
        ("com5", r"Serial port 'com5' is not one Plinth knows"),
        ("0x10000", r"Serial port '0x10000'"),
        ("com1,12345", r"Serial speed '12345' is not one a PC UART can run at"),
        ("com1,fast", r"Serial speed 'fast'"),
    ],
)
def test_a_serial_plinth_would_refuse_is_refused_here(text: str, message: str) -> None:
    with pytest.raises(PlinthError, match=message):
        image.parse_serial(text)


def test_serial_goes_in_front_of_the_cmdline_and_must_agree_with_a_console_there() -> None:
    com2 = image.parse_serial("com2,9600")
    assert image.with_serial("fault=ud -- console=ttyS0", com2) == "console=com2,9600 fault=ud -- console=ttyS0"
    assert image.with_serial("console=0x2f8,9600 x", com2) == "console=0x2f8,9600 x"  # the same port
    with pytest.raises(PlinthError, match=r"console=com1 disagrees with --serial \(com2 at 9600 baud\)"):
        image.with_serial("console=com1", com2)


def test_grub_cfg_takes_the_serial_terminal() -> None:
    cfg = image.grub_cfg("console=com3,38400", serial=image.parse_serial("com3,38400"))
    assert cfg.splitlines()[1] == "serial --unit=2 --speed=38400"
    assert image.grub_cfg().splitlines()[1] == "serial --unit=0 --speed=115200"  # unchanged default


@needs_grub
def test_image_serial_com2_reaches_grub_cfg_and_plinth_cmdline(tmp_path: Path, plinth_elf: Path) -> None:
    iso = tmp_path / "com2.iso"
    res = run_cli("image", "--out", str(iso), "--serial", "com2,9600")
    assert res.returncode == 0, res.stderr
    assert "com2 at 9600 baud" in res.stderr
    subprocess.run(
        [
            "xorriso",
            "-osirrox",
            "on",
            "-indev",
            str(iso),
            "-extract",
            "/boot/grub/grub.cfg",
            str(tmp_path / "grub.cfg"),
        ],
        capture_output=True,
        check=True,
    )
    cfg = (tmp_path / "grub.cfg").read_text()
    assert "serial --unit=1 --speed=9600" in cfg.splitlines()
    assert "    multiboot2 /boot/plinth.elf 'console=com2,9600'" in cfg.splitlines()


def test_image_refuses_an_initrd_without_a_kernel(tmp_path: Path) -> None:
    res = run_cli("image", "--initrd", str(tmp_path / "initrd.img"))
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert res.stderr.strip() == "==> error: --initrd needs --kernel: the initrd is the module after the kernel."


# --- --pxe ------------------------------------------------------------------------------------


@needs_mkimage
def test_pxe_tree_holds_what_grub_needs_and_says_what_dhcp_must_name(tmp_path: Path) -> None:
    elf, kernel, initrd = files(tmp_path)
    root = tmp_path / "tftp"
    tree = pxe.make_pxe(
        elf, root, [(kernel, "console=ttyS0 quiet"), (initrd, "")], "iommu=optional", image.parse_serial("com2,57600")
    )
    core = root / "boot/grub/i386-pc/core.0"
    # A PXE image starts with GRUB's pxeboot.img, the code a PXE ROM runs first.
    assert core.read_bytes().startswith((pxe.GRUB_LIB / "i386-pc/pxeboot.img").read_bytes())
    # normal.mod and command.lst next to it, as grub-mknetdir leaves them (GRUB loads on demand).
    for name in ("normal.mod", "tftp.mod", "multiboot2.mod", "command.lst", "moddep.lst"):
        assert (root / "boot/grub/i386-pc" / name).is_file(), name
    assert tree.boot_files["BIOS (legacy PXE)"] == "boot/grub/i386-pc/core.0"
    assert (root / "boot/plinth.elf").read_bytes() == elf.read_bytes()
    assert (root / "boot/modules/0-bzImage").read_bytes() == b"kernel"
    assert (root / "boot/modules/1-initrd.img").read_bytes() == b"initrd"
    cfg = (root / "boot/grub/grub.cfg").read_text().splitlines()
    assert pxe.MARKER in cfg[0]
    assert "serial --unit=1 --speed=57600" in cfg
    assert "    multiboot2 /boot/plinth.elf 'console=com2,57600' 'iommu=optional'" in cfg
    assert "    module2 '/boot/modules/0-bzImage' 'console=ttyS0' 'quiet'" in cfg
    assert "    module2 '/boot/modules/1-initrd.img'" in cfg
    readme = tree.readme.read_text()
    assert f"TFTP root: {root.resolve()}" in readme
    assert "boot/grub/i386-pc/core.0" in readme
    assert "console=com2,57600 iommu=optional" in readme
    if (pxe.GRUB_LIB / "x86_64-efi").is_dir():
        efi = root / "boot/grub/x86_64-efi/bootx64.efi"
        assert efi.read_bytes()[:2] == b"MZ"  # a PE image, as UEFI loads
        assert (root / "boot/grub/x86_64-efi/normal.mod").is_file()
        assert tree.boot_files["UEFI"] == "boot/grub/x86_64-efi/bootx64.efi"
        assert "UEFI:" in readme and "bootx64.efi" in readme


@needs_mkimage
def test_pxe_without_efi_files_writes_bios_only_and_says_what_to_install(tmp_path: Path) -> None:
    elf, _, _ = files(tmp_path)
    lib = tmp_path / "grub-lib"
    lib.mkdir()
    (lib / "i386-pc").symlink_to(pxe.GRUB_LIB / "i386-pc")
    tree = pxe.make_pxe(elf, tmp_path / "tftp", grub_lib=lib)
    assert list(tree.boot_files) == ["BIOS (legacy PXE)"]
    assert not (tree.root / "boot/grub/x86_64-efi").exists()
    assert "No UEFI image: install grub-efi-amd64-bin" in tree.readme.read_text()


@needs_mkimage
def test_pxe_rewrites_its_own_tree_but_not_another_grub_cfg(tmp_path: Path) -> None:
    elf, kernel, _ = files(tmp_path)
    root = tmp_path / "tftp"
    pxe.make_pxe(elf, root, [(kernel, "")])
    pxe.make_pxe(elf, root)  # again, without the module: the old one goes
    assert list((root / "boot/modules").iterdir()) == []
    other = tmp_path / "other"
    (other / "boot/grub").mkdir(parents=True)
    (other / "boot/grub/grub.cfg").write_text("menuentry Debian {}\n")
    with pytest.raises(PlinthError, match=r"grub\.cfg exists and was not written by Plinth"):
        pxe.make_pxe(elf, other)
    assert (other / "boot/grub/grub.cfg").read_text() == "menuentry Debian {}\n"


def test_pxe_without_grub_files_names_the_packages(tmp_path: Path) -> None:
    elf, _, _ = files(tmp_path)
    if shutil.which("grub-mkimage") is None:
        pytest.skip("grub-mkimage missing (grub-common)")
    with pytest.raises(PlinthError, match=r"apt packages: grub-pc-bin, grub-efi-amd64-bin"):
        pxe.make_pxe(elf, tmp_path / "tftp", grub_lib=tmp_path / "none")


# --- --usb ------------------------------------------------------------------------------------


class Tty(io.StringIO):
    """A terminal's stdin with the user's answer typed in."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def stick(tmp_path: Path) -> dict[str, Path]:
    """An ISO, a regular file named like a disk, and empty /sys and /proc/mounts stand-ins."""
    iso = tmp_path / "plinth.iso"
    iso.write_bytes(os.urandom(usb.CHUNK * 2 + 12345))  # three chunks, the last partial
    dev = tmp_path / "dev"
    dev.mkdir()
    sdb = dev / "sdb"
    sdb.write_bytes(b"\xaa" * 4096)
    sysfs = tmp_path / "sys"
    (sysfs / "block").mkdir(parents=True)
    mounts = tmp_path / "mounts"
    mounts.write_text("proc /proc proc rw 0 0\n/dev/sda1 / ext4 rw 0 0\n")
    return {"iso": iso, "sdb": sdb, "sysfs": sysfs, "mounts": mounts}


def fake(stick: dict[str, Path]) -> dict[str, Any]:
    return {
        "check_block": False,
        "sysfs": stick["sysfs"],
        "mounts": stick["mounts"],
        "swaps": stick["mounts"].parent / "no-swaps",
    }


def test_usb_refuses_what_is_not_a_block_device(stick: dict[str, Path]) -> None:
    with pytest.raises(PlinthError, match=r"sdb is not a block device; give the whole stick"):
        usb.write_usb(stick["iso"], stick["sdb"], assume_yes=True, sysfs=stick["sysfs"], mounts=stick["mounts"])
    assert stick["sdb"].read_bytes() == b"\xaa" * 4096


def test_usb_refuses_a_partition(stick: dict[str, Path]) -> None:
    part = stick["sdb"].with_name("sdb1")
    part.write_bytes(b"\xaa")
    with pytest.raises(PlinthError, match=r"sdb1 is a partition; give the whole device \(/dev/sdb\)"):
        usb.write_usb(stick["iso"], part, assume_yes=True, **fake(stick))
    nvme = stick["sdb"].with_name("nvme0n1p2")
    nvme.write_bytes(b"\xaa")
    with pytest.raises(PlinthError, match=r"give the whole device \(/dev/nvme0n1\)"):
        usb.write_usb(stick["iso"], nvme, assume_yes=True, **fake(stick))
    assert part.read_bytes() == nvme.read_bytes() == b"\xaa"


def test_usb_refuses_a_device_with_a_mounted_partition(stick: dict[str, Path]) -> None:
    stick["mounts"].write_text("/dev/sdb1 /media/me/STICK\\040A vfat rw 0 0\n")
    with pytest.raises(PlinthError, match=r"in use: /dev/sdb1 is mounted on /media/me/STICK A; unmount it first"):
        usb.write_usb(stick["iso"], stick["sdb"], assume_yes=True, **fake(stick))
    assert stick["sdb"].read_bytes() == b"\xaa" * 4096


def test_usb_refuses_without_a_terminal_to_ask_on_unless_yes(
    stick: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", None)  # a program started without stdin
    # No stdin at all, /dev/null, or a pipe: a "yes" from a script is no answer.
    for stdin in (None, io.StringIO(""), io.StringIO("yes\n")):
        with pytest.raises(PlinthError, match=r"refusing to overwrite .*sdb without a confirmation.*add --yes"):
            usb.write_usb(stick["iso"], stick["sdb"], stdin=stdin, out=io.StringIO(), **fake(stick))
    assert stick["sdb"].read_bytes() == b"\xaa" * 4096
    usb.write_usb(stick["iso"], stick["sdb"], assume_yes=True, out=io.StringIO(), **fake(stick))
    assert stick["sdb"].read_bytes() == stick["iso"].read_bytes()


def test_usb_asks_naming_the_device_and_its_size_and_stops_unless_yes(stick: dict[str, Path]) -> None:
    disk = stick["sysfs"] / "block/sdb"
    (disk / "device").mkdir(parents=True)
    (disk / "size").write_text("30031872\n")  # 512-byte sectors: 14.3 GiB
    (disk / "device/vendor").write_text("SanDisk \n")
    (disk / "device/model").write_text("Cruzer Blade    \n")
    (disk / "removable").write_text("1\n")
    prompt = io.StringIO()
    with pytest.raises(PlinthError, match=r"not confirmed: .*sdb was left untouched"):
        usb.write_usb(stick["iso"], stick["sdb"], stdin=Tty("y\n"), out=prompt, **fake(stick))
    assert f"to {stick['sdb']} (SanDisk Cruzer Blade, 14.3 GiB, removable)" in prompt.getvalue()
    assert "Type 'yes'" in prompt.getvalue()
    assert stick["sdb"].read_bytes() == b"\xaa" * 4096
    usb.write_usb(stick["iso"], stick["sdb"], stdin=Tty("yes\n"), out=io.StringIO(), **fake(stick))
    assert stick["sdb"].read_bytes() == stick["iso"].read_bytes()


def test_usb_with_yes_writes_the_iso_bytes_and_reports_progress(stick: dict[str, Path]) -> None:
    progress = io.StringIO()
    target = usb.write_usb(stick["iso"], stick["sdb"], assume_yes=True, out=progress, **fake(stick))
    assert stick["sdb"].read_bytes() == stick["iso"].read_bytes()
    assert target.model == "a regular file"
    lines = progress.getvalue().splitlines()
    first = 100 * usb.CHUNK // stick["iso"].stat().st_size
    assert lines == [
        f"==> writing {stick['sdb']}:  {first}% (4.0 MiB of 8.0 MiB)",
        f"==> writing {stick['sdb']}: 100% (8.0 MiB of 8.0 MiB)",
    ]


def test_usb_refuses_a_stick_smaller_than_the_iso(stick: dict[str, Path]) -> None:
    (stick["sysfs"] / "block/sdb").mkdir()
    (stick["sysfs"] / "block/sdb/size").write_text("2048\n")  # 1 MiB
    with pytest.raises(PlinthError, match=r"1\.0 MiB.* is smaller than plinth\.iso \(8\.0 MiB\)"):
        usb.write_usb(stick["iso"], stick["sdb"], assume_yes=True, **fake(stick))


def test_cli_usb_always_checks_for_a_block_device(stick: dict[str, Path]) -> None:
    res = run_cli("image", "--usb", str(stick["sdb"]), "--yes")
    assert res.returncode == 1
    assert res.stderr.strip() == (
        f"==> error: {stick['sdb']} is not a block device; give the whole stick, e.g. /dev/sdb (`lsblk` lists them)."
    )
    assert stick["sdb"].read_bytes() == b"\xaa" * 4096


# --- boots ------------------------------------------------------------------------------------


@pytest.mark.qemu
def test_iso_with_serial_com1_boots_to_the_banner(plinth_elf: Path, logdir: Path) -> None:
    from tools import emulators

    if not shutil.which("qemu-system-x86_64"):
        pytest.skip("qemu-system-x86_64 is not installed (tools/plinth setup installs it)")
    iso = image.make_iso(plinth_elf, logdir / "plinth.iso", serial=image.parse_serial("com1,115200"))
    with emulators.create("qemu", iso, logdir) as emu:
        emu.wait_for(consoleproto.BANNER, timeout=60)
        emu.wait_for(consoleproto.COMMAND_LINE.fill(cmdline="console=com1,115200"), timeout=10)


@pytest.mark.qemu
def test_a_written_stick_boots_from_usb_storage(plinth_elf: Path, logdir: Path) -> None:
    """The hybrid ISO, written by write_usb to a disk image, boots as a USB mass-storage disk
    (the path a real stick takes: MBR, not El Torito)."""
    from tools import emulators

    if not shutil.which("qemu-system-x86_64"):
        pytest.skip("qemu-system-x86_64 is not installed (tools/plinth setup installs it)")
    iso = image.make_iso(
        plinth_elf, logdir / "plinth.iso", cmdline="iommu=optional", serial=image.parse_serial("com1,115200")
    )
    stick = logdir / "stick.img"
    with stick.open("wb") as f:
        f.truncate(64 << 20)
    usb.write_usb(
        iso,
        stick,
        assume_yes=True,
        out=io.StringIO(),
        check_block=False,
        sysfs=logdir / "no-sys",
        mounts=logdir / "no-mounts",
    )
    no_cd = logdir / "no-cd.iso"
    no_cd.write_bytes(b"")
    disk = [
        "-drive",
        f"file={stick},format=raw,if=none,id=stick",
        "-device",
        "qemu-xhci",
        "-device",
        "usb-storage,drive=stick,bootindex=0",
    ]
    with emulators.create("qemu", no_cd, logdir, extra_args=disk) as emu:
        emu.wait_for(consoleproto.BANNER, timeout=60)
        emu.wait_for(consoleproto.COMMAND_LINE.fill(cmdline="console=com1,115200 iommu=optional"), timeout=10)


@pytest.mark.qemu
def test_pxe_tree_boots_over_the_network(plinth_elf: Path, logdir: Path, tmp_path: Path) -> None:
    """QEMU's user network has a DHCP and TFTP server: iPXE loads core.0, GRUB reads grub.cfg,
    Plinth and a module over TFTP, and Plinth sees its command line and the module."""
    from tools import emulators

    if not shutil.which("qemu-system-x86_64"):
        pytest.skip("qemu-system-x86_64 is not installed (tools/plinth setup installs it)")
    if not IPXE_ROM.is_file():
        pytest.skip(f"{IPXE_ROM} missing (apt package: ipxe-qemu)")
    if not HAVE_MKIMAGE:
        pytest.skip("grub-mkimage or /usr/lib/grub/i386-pc missing (grub-common, grub-pc-bin)")
    module = tmp_path / "payload.bin"
    module.write_bytes(b"\0" * 4096)
    tree = pxe.make_pxe(plinth_elf, logdir / "tftp", [(module, "net=1")], "iommu=optional", image.parse_serial("com1"))
    no_cd = logdir / "no-cd.iso"
    no_cd.write_bytes(b"")
    net = [
        "-netdev",
        f"user,id=n0,tftp={tree.root},bootfile={tree.boot_files['BIOS (legacy PXE)']}",
        "-device",
        f"e1000,netdev=n0,romfile={IPXE_ROM}",
        "-boot",
        "n",  # after the backend's "-boot d": network first
    ]
    with emulators.create("qemu", no_cd, logdir, extra_args=net) as emu:
        emu.wait_for(consoleproto.BANNER, timeout=90)
        emu.wait_for(consoleproto.COMMAND_LINE.fill(cmdline="console=com1,115200 iommu=optional"), timeout=10)
        emu.wait_for(consoleproto.MODULE_LINE.fill(index="0", size="4096", cmdline="net=1"), timeout=10)
