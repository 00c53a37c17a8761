"""The ELF check accepts the real image and names the problem in each corrupted copy."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from tools import elfcheck, layout
from tools.errors import PlinthError

MAGIC = struct.pack("<I", layout.MB2_HEADER_MAGIC)


@pytest.fixture
def image(plinth_elf: Path) -> bytearray:
    return bytearray(plinth_elf.read_bytes())


def header_offset(data: bytes | bytearray) -> int:
    return elfcheck.find_mb2_header(bytes(data))


def rejected(tmp_path: Path, data: bytes | bytearray, match: str) -> None:
    path = tmp_path / "bad.elf"
    path.write_bytes(data)
    with pytest.raises(PlinthError, match=match) as err:
        elfcheck.check(path)
    msg = str(err.value)
    assert msg.endswith(".") and "\n" not in msg, "one sentence"


def phdrs(data: bytes | bytearray) -> list[int]:
    """File offsets of the program headers (ELF64 little-endian)."""
    (phoff,) = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    return [phoff + i * phentsize for i in range(phnum)]


def test_real_image_passes(plinth_elf: Path) -> None:
    summary = elfcheck.check(plinth_elf)
    assert "multiboot2 header at file offset" in summary


def test_header_within_first_32k_and_aligned(image: bytearray) -> None:
    off = header_offset(image)
    assert off < layout.MB2_SEARCH_LIMIT and off % 8 == 0


def test_bad_checksum(tmp_path: Path, image: bytearray) -> None:
    off = header_offset(image)
    image[off + 12] ^= 0xFF
    rejected(tmp_path, image, "wrong checksum")


def test_missing_header(tmp_path: Path, image: bytearray) -> None:
    off = header_offset(image)
    image[off : off + 4] = b"\0\0\0\0"
    rejected(tmp_path, image, "no multiboot2 header in the first 32 KiB")


def test_header_beyond_32k(tmp_path: Path, image: bytearray) -> None:
    off = header_offset(image)
    header = bytes(image[off : off + 24])
    image[off : off + 4] = b"\0\0\0\0"
    image.extend(b"\0" * (40 * 1024 - len(image) % 8))
    image.extend(header)
    rejected(tmp_path, image, "no multiboot2 header in the first 32 KiB")


def test_unaligned_header(tmp_path: Path, image: bytearray) -> None:
    off = header_offset(image)
    header = bytes(image[off : off + 24])
    image[off : off + 28] = b"\0" * 4 + header
    rejected(tmp_path, image, "not 8-byte aligned")


def test_writable_and_executable_segment(tmp_path: Path, image: bytearray) -> None:
    ph = phdrs(image)[0]
    (flags,) = struct.unpack_from("<I", image, ph + 4)
    struct.pack_into("<I", image, ph + 4, flags | 0x2 | 0x1)
    rejected(tmp_path, image, "both writable and executable")


def test_entry_outside_executable_segment(tmp_path: Path, image: bytearray) -> None:
    ph = phdrs(image)[-1]  # the data segment
    (vaddr,) = struct.unpack_from("<Q", image, ph + 0x10)
    struct.pack_into("<Q", image, 0x18, vaddr)
    rejected(tmp_path, image, "entry point 0x[0-9a-f]+ is not inside an executable load segment")


def test_load_address_outside_range(tmp_path: Path, image: bytearray) -> None:
    ph = phdrs(image)[-1]
    addr = layout.LOAD_BASE + layout.RESERVED_MAX
    struct.pack_into("<QQ", image, ph + 0x10, addr, addr)
    rejected(tmp_path, image, "outside Plinth's range")


def test_not_an_elf(tmp_path: Path, image: bytearray) -> None:
    image[0:4] = b"JUNK"
    rejected(tmp_path, image, "not a valid ELF file")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PlinthError, match="cannot read"):
        elfcheck.check(tmp_path / "nope.elf")
