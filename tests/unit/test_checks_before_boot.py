"""Mistakes are refused before anything boots: run's options against the emulator's real
limits, and every kernel and module by Plinth's own loader rules (tools/guestimage.py), in
`run` and `image`; one sentence, exit 1, no build, no emulator."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from tools import cli, guestimage
from tools import layout
from tools.errors import PlinthError
from tools.paths import BUILD

MIB = 1 << 20
GUEST = BUILD / "guests" / "testguest.bin"


def bzimage(version: int = 0x20F, loadflags: int = 1, xloadflags: int = 1, size: int = 64 * 1024, **kw: int) -> bytes:
    """A file with a Linux setup header: setup_sects 4, the fields linux.c reads."""
    data = bytearray(size)
    data[0x1F1] = kw.get("setup_sects", 4)
    struct.pack_into("<H", data, 0x1FE, 0xAA55)
    struct.pack_into("<I", data, 0x202, 0x53726448)
    struct.pack_into("<H", data, 0x206, version)
    data[0x211] = loadflags
    struct.pack_into("<I", data, 0x22C, 0x7FFFFFFF)  # initrd_addr_max
    struct.pack_into("<I", data, 0x230, 2 * MIB)
    data[0x234] = kw.get("relocatable", 1)
    struct.pack_into("<H", data, 0x236, xloadflags)
    struct.pack_into("<I", data, 0x238, kw.get("cmdline_size", 2047))
    struct.pack_into("<Q", data, 0x258, kw.get("pref", 16 * MIB))
    struct.pack_into("<I", data, 0x260, kw.get("init_size", 32 * MIB))
    return bytes(data)


def mb1_aout(load: int = 0x100000, size: int = 4096, bss: int = 0x2000, flags: int = 0x10003) -> bytes:
    data = bytearray(size)
    checksum = -(0x1BADB002 + flags) & 0xFFFFFFFF
    struct.pack_into("<8I", data, 0, 0x1BADB002, flags, checksum, load, load, load + size, load + size + bss, load)
    return bytes(data)


def mb1_elf(paddr: int = 0x100000, filesz: int = 0x100, phnum: int = 1, elf64: bool = False) -> bytes:
    """An ELF with a multiboot header (no a.out kludge) right after its headers."""
    data = bytearray(8192)
    data[:4] = b"\x7fELF"
    data[4], data[5], data[6] = (2 if elf64 else 1), 1, 1
    if elf64:
        struct.pack_into("<HHIQQQIHHH", data, 16, 2, 62, 1, paddr, 64, 0, 0, 64, 56, phnum)
        struct.pack_into("<IIQQQQQQ", data, 64, 1, 5, 0x1000, paddr, paddr, filesz, filesz, 0x1000)
    else:
        struct.pack_into("<HHIIIIIHHH", data, 16, 2, 3, 1, paddr, 52, 0, 0, 52, 32, phnum)
        struct.pack_into("<IIIIIIII", data, 52, 1, 0x1000, paddr, paddr, filesz, filesz, 5, 0x1000)
    flags = 0x3
    struct.pack_into("<3I", data, 0x200, 0x1BADB002, flags, -(0x1BADB002 + flags) & 0xFFFFFFFF)
    return bytes(data)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (bzimage(version=0x20B), "boot protocol older than 2.12"),
        (bzimage(loadflags=0), "not a bzImage (zImage kernels load below 1 MiB)"),
        (bzimage(xloadflags=0), "no 64-bit kernel inside (xloadflags bit 0 clear)"),
        (bzimage(size=2560), "truncated: the file ends inside the real-mode setup code"),
        (bzimage(pref=2 * MIB, relocatable=0), "no room for it in the VM's RAM"),
        (mb1_aout(flags=0x10008), "requires features Plinth lacks (flags 0x10008)"),
        (mb1_aout(load=0x1F0000, size=0x20000), "overlaps Plinth's range"),
        (mb1_elf(phnum=0), "names no program headers"),
        (mb1_elf(filesz=0x10000), "runs past the end of the file"),
        (mb1_elf(paddr=layout.LOAD_BASE), "overlaps Plinth's range"),
        (b"just some text\n" * 100, "neither a Linux bzImage nor a multiboot kernel"),
    ],
)
def test_kernels_plinth_refuses(data: bytes, why: str) -> None:
    with pytest.raises(guestimage.BadKernel, match=why.replace("(", r"\(").replace(")", r"\)")):
        guestimage.inspect_kernel(data)


@pytest.mark.parametrize(
    ("data", "kind"),
    [(bzimage(), "Linux"), (mb1_aout(), "multiboot"), (mb1_elf(), "multiboot"), (mb1_elf(elf64=True), "multiboot")],
)
def test_kernels_plinth_boots(data: bytes, kind: str) -> None:
    assert guestimage.inspect_kernel(data).kind == kind


def test_the_test_guest_passes_and_a_relocatable_kernel_moves_past_plinth() -> None:
    if GUEST.exists():
        assert guestimage.inspect_kernel(GUEST.read_bytes()).kind == "multiboot"
    kernel = guestimage.inspect_kernel(bzimage(pref=2 * MIB, init_size=4 * MIB))
    assert kernel.need_bytes == 16 * MIB + 4 * MIB


def test_a_kernel_command_line_longer_than_the_kernel_takes(tmp_path: Path) -> None:
    with pytest.raises(guestimage.BadKernel, match="command line is longer than the kernel accepts"):
        guestimage.inspect_kernel(bzimage(cmdline_size=10), "x" * 11)


def test_modules_memory_initrd_and_plinths_limits(tmp_path: Path) -> None:
    kernel = tmp_path / "bzImage"
    kernel.write_bytes(bzimage())
    initrd = tmp_path / "initrd"
    initrd.write_bytes(b"random bytes, not an archive" * 10)
    _, warnings = guestimage.check_modules([(kernel, ""), (initrd, "")])
    assert warnings and "neither a cpio archive nor compressed" in warnings[0]
    with pytest.raises(PlinthError, match="--memory 32 is too small for bzImage: .* at least 49 MiB"):
        guestimage.check_modules([(kernel, ""), (initrd, "")], memory_mib=32)
    with pytest.raises(PlinthError, match="Plinth keeps at most 255 of a module's"):
        guestimage.check_modules([(kernel, "x" * 256)])
    with pytest.raises(PlinthError, match="17 modules: Plinth reads at most 16"):
        guestimage.check_modules([(kernel, "")] * 17)
    with pytest.raises(PlinthError, match="is a directory"):
        guestimage.check_modules([(tmp_path, "")])


@pytest.fixture
def no_build(monkeypatch: pytest.MonkeyPatch) -> None:
    from tools import build, emulators

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the mistake must be reported before building or booting")

    monkeypatch.setattr(build, "build", refuse)
    monkeypatch.setattr(emulators.Emulator, "start", refuse)


@pytest.mark.usefixtures("no_build")
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--cpus", "0"], "--cpus 0: Bochs (corei7_haswell_4770) runs 1 to 15 CPUs"),
        (["--cpus", "999"], "--cpus 999: Bochs (corei7_haswell_4770) runs 1 to 15 CPUs"),
        (["--memory", "-5"], "--memory -5: Plinth needs at least 16 MiB"),
        (["--memory", "8192"], "--memory 8192: Bochs's BIOS maps at most 3072 MiB"),
        (["--cpu-model", "nosuch"], "--cpu-model nosuch: Bochs knows no such CPU; its models: bx_generic,"),
        (["--cpu-model", "pentium"], "--cpu-model pentium: Plinth needs an x86-64 CPU"),
        (["--emulator", "qemu", "--cpus", "0"], "--cpus 0: QEMU (max) runs 1 to 255 CPUs under TCG"),
        (["--emulator", "qemu", "--cpus", "999"], "--cpus 999: QEMU (max) runs 1 to 255 CPUs"),
        (["--emulator", "qemu", "--cpu-model", "nosuch"], "--cpu-model nosuch: QEMU knows no such CPU"),
        (["--timeout", "0"], "--timeout 0: give a number of seconds above 0"),
        (["--vtd", "intremap"], "--vtd intremap is for --emulator qemu; Bochs has no IOMMU"),
        (["--no-guest", "--module", "x"], "--no-guest boots Plinth alone"),
        (
            ["--kernel", "README.md"],
            "README.md is not a kernel Plinth can boot: neither a Linux bzImage nor a multiboot",
        ),
        (["--module", "README.md"], "README.md is not a kernel Plinth can boot"),
    ],
)
def test_run_refuses_before_anything_boots(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    backend = "qemu-system-x86_64" if "qemu" in argv else "bochs"
    import shutil

    if shutil.which(backend) is None:
        pytest.skip(f"{backend} is not installed")
    assert cli.main(["run", *argv]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("==> error: " + message) and len(err.splitlines()) == 1, err


@pytest.mark.usefixtures("no_build")
def test_image_refuses_a_text_kernel_and_a_pxe_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a kernel\n")
    assert cli.main(["image", "--kernel", str(text)]) == 1
    assert capsys.readouterr().err.strip() == (
        f"==> error: {text} is not a kernel Plinth can boot: neither a Linux bzImage nor a multiboot kernel."
    )
    assert cli.main(["image", "--pxe", str(text)]) == 1
    assert capsys.readouterr().err.strip() == (
        f"==> error: --pxe {text} is a file; give a directory (the TFTP root, made if missing)."
    )
