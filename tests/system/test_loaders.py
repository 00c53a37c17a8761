"""Plinth's guest loaders on the images other people write (issue 12): ELF multiboot kernels,
kernels linked inside the addresses of Plinth's own range or in low memory, a non-relocatable
low bzImage, and malformed headers that are refused with one line while Plinth keeps
answering. Each image is built by tests/guests/SConscript; each boot takes seconds in Bochs.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from tools import consoleproto as cp
from tools import hvabi
from tools.emulators.bochs import NO_IOMMU_CMDLINE as NO_IOMMU
from tools.paths import BUILD

GUESTS = BUILD / "guests"
CHECKS = ["cpuid", "vmcall", "io", "boot_info"]
MB1_MAGIC = 0x1BADB002
HASWELL = ("bochs", "corei7_haswell_4770")


def run_guest(boot, target_for, image: Path, cmdline: str, cpus: int = 1):
    assert image.exists(), f"{image} was not built"
    payload = image.parent / "testguest.bin"  # any file: boot_info wants a module after the kernel
    emu = boot(target_for(*HASWELL), cpus=cpus, cmdline=NO_IOMMU, modules=[(image, cmdline), (payload, "payload")])
    summary = emu.wait_for(hvabi.GUEST_SUMMARY_RE, timeout=180)
    return emu, summary


def assert_all_passed(out: str, summary: re.Match[str], wanted: list[str]) -> None:
    results = {m["name"]: (m["result"], m["detail"]) for m in hvabi.GUEST_CHECK_RE.finditer(out)}
    assert list(results) == wanted, f"checks reported: {list(results)}"
    failed = {name: detail for name, (res, detail) in results.items() if res != "pass"}
    assert not failed, failed
    assert (summary["passed"], summary["failed"]) == (str(len(wanted)), "0")
    assert cp.FATAL_PREFIX not in out


@pytest.mark.bochs
@pytest.mark.parametrize(
    ("image", "fmt", "start"),
    [
        ("testguest-elf64.elf", "ELF64", 0x100000),
        ("testguest-elf32.elf", "ELF32", 0x100000),
        ("testguest-4m.elf", "ELF64", 0x400000),
    ],
    ids=["elf64", "elf32", "elf64-at-4mib"],
)
def test_elf_multiboot_kernels_load_by_program_headers(boot, target_for, image: str, fmt: str, start: int) -> None:
    """ELF multiboot kernels (no a.out kludge) load by their PT_LOAD headers, .bss zeroed; one
    linked at 4 MiB, inside the addresses of Plinth's own range, loads and runs too, since the
    VM's RAM there is backed elsewhere."""
    emu, summary = run_guest(boot, target_for, GUESTS / image, "checks=" + ",".join(CHECKS))
    out = emu.output
    loaded = cp.MULTIBOOT_LOADED.search(out)
    assert loaded, "no line saying how the multiboot kernel was loaded"
    assert (loaded["format"], loaded["segments"], int(loaded["start"], 16)) == (fmt, "2", start)
    assert_all_passed(out, summary, CHECKS)


@pytest.mark.bochs
def test_low_multiboot_kernel_keeps_its_bytes(boot, target_for) -> None:
    """A kernel linked at 0x8000 covers 0x9000, where the multiboot information used to go: the
    information goes elsewhere, and the kernel runs with its AP start-up at 0x7000 intact."""
    emu, summary = run_guest(boot, target_for, GUESTS / "testguest-low.bin", "checks=" + ",".join([*CHECKS, "ap"]), 2)
    out = emu.output
    loaded = cp.MULTIBOOT_LOADED.search(out)
    assert loaded and loaded["format"] == "a.out kludge" and int(loaded["start"], 16) == 0x8000
    info = int(loaded["info"], 16)
    assert not int(loaded["start"], 16) <= info < int(loaded["end"], 16), "the information lies in the kernel"
    assert_all_passed(out, summary, [*CHECKS, "ap"])


@pytest.mark.bochs
def test_low_bzimage_gets_its_boot_params_elsewhere(boot, target_for) -> None:
    """A non-relocatable bzImage at 0x10000 (pref_address = code32_start), where boot_params,
    the GDT and the command line used to go: it loads there, and boot_params, the GDT and the
    command line go to guest RAM outside its working space (lowbz checks each)."""
    image = GUESTS / "lowbz.bzImage"
    assert image.exists()
    emu = boot(target_for(*HASWELL), cmdline=NO_IOMMU, modules=[(image, "lowbz hello")])
    summary = emu.wait_for(hvabi.GUEST_SUMMARY_RE, timeout=120)
    out = emu.output
    loaded = cp.LINUX_LOADED.search(out)
    assert loaded and int(loaded["load"], 16) == 0x10000
    assert not 0x10000 <= int(loaded["boot_params"], 16) < 0x20000
    start = cp.GUEST_START.search(out)
    assert start and start["cmdline"].strip() == "lowbz hello"
    assert_all_passed(out, summary, ["bzimage_low"])


def kludge_header(data: bytes | bytearray) -> int:
    off = data.find(struct.pack("<I", MB1_MAGIC))
    assert off >= 0 and off % 4 == 0
    return off


def malformed(src: Path, dst: Path, case: str) -> tuple[Path, str]:
    """src with its multiboot header made to lie; the reason Plinth must give."""
    blob = bytearray(src.read_bytes())
    if case == "bss-below-file-end":
        # Issue 12: load_end_addr 0 ("to the end of the file") and bss_end_addr below that end.
        off = kludge_header(blob)
        flags, _, header, load = struct.unpack_from("<4I", blob, off + 4)
        struct.pack_into("<II", blob, off + 20, 0, load + 0x1000)
        why = f"bss_end_addr 0x{load + 0x1000:x} lies below the end of the loaded bytes 0x{load + len(blob):x}"
    elif case == "load-end-past-file":
        off = kludge_header(blob)
        load = struct.unpack_from("<I", blob, off + 16)[0]
        struct.pack_into("<I", blob, off + 20, load + len(blob) + 0x10000)
        why = f"load_addr-load_end_addr is 0x{len(blob) + 0x10000:x} bytes, the file has 0x{len(blob):x} from load_addr"
    else:  # an ELF program header whose file bytes lie past the end of the file
        ph = struct.unpack_from("<Q", blob, 32)[0]
        struct.pack_into("<Q", blob, ph + 8, len(blob))  # p_offset of the first PT_LOAD
        why = "segment 0: file bytes 0x{:x}+0x{:x} lie beyond the image's {} bytes"
        filesz = struct.unpack_from("<Q", blob, ph + 32)[0]
        why = why.format(len(blob), filesz, len(blob))
    dst.write_bytes(blob)
    return dst, why


@pytest.mark.bochs
@pytest.mark.parametrize("case", ["bss-below-file-end", "load-end-past-file", "elf-segment-past-file"])
def test_malformed_multiboot_header_is_refused_and_plinth_answers(boot, target_for, logdir: Path, case: str) -> None:
    """A lying header is refused with one line naming the field (before the fix, the first case
    zero-filled 2^64 bytes from the load address, Plinth included, and the console went
    silent); no guest runs, nothing is FATAL, and Plinth's monitor answers."""
    src = GUESTS / ("testguest-elf64.elf" if case.startswith("elf") else "testguest.bin")
    bad, why = malformed(src, logdir / "bad-kernel", case)
    emu = boot(target_for(*HASWELL), cmdline=NO_IOMMU, modules=[(bad, "checks=cpuid")])
    emu.wait_for(re.escape(cp.NO_GUEST), timeout=120)
    refused = cp.BAD_MULTIBOOT.search(emu.output)
    assert refused and (refused["vm"], refused["module"], refused["why"]) == ("vm0", "0", why)
    emu.wait_for(re.escape(cp.MONITOR_PROMPT), timeout=30)
    emu.send("mem\r")
    emu.wait_for(cp.MONITOR_MEM.regex, timeout=30)
    out = emu.output
    assert cp.FATAL_PREFIX not in out and not cp.GUEST_START.search(out)
