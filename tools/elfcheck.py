"""Checks a linked plinth.elf before anyone boots it.

- a multiboot2 header in the first 32 KiB of the file, 8-byte aligned, with a valid checksum
  and a length that fits (multiboot2 specification 3.1.1);
- the entry point inside an executable load segment;
- no load segment both writable and executable;
- every load segment inside [LOAD_BASE, LOAD_BASE + RESERVED_MAX), physical = virtual.

`check()` raises PlinthError with one sentence naming the first problem.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.constants import P_FLAGS
from elftools.elf.elffile import ELFFile

from tools import layout
from tools.errors import PlinthError

U32 = 0xFFFFFFFF


def find_mb2_header(data: bytes) -> int:
    """Offset of the first valid multiboot2 header in data's first 32 KiB; PlinthError if none."""
    limit = min(len(data), layout.MB2_SEARCH_LIMIT)
    magic = struct.pack("<I", layout.MB2_HEADER_MAGIC)
    found_unaligned = None
    bad_checksum = None
    off = data.find(magic, 0, limit)
    while off >= 0:
        if off % layout.MB2_HEADER_ALIGN:
            found_unaligned = off
        elif off + 16 <= len(data):
            magic_v, arch, length, checksum = struct.unpack_from("<IIII", data, off)
            if (magic_v + arch + length + checksum) & U32 == 0:
                if length < 24 or off + length > len(data):
                    raise PlinthError(f"the multiboot2 header at offset 0x{off:x} has an invalid length {length}.")
                if arch != layout.MB2_ARCH_I386:
                    raise PlinthError(
                        f"the multiboot2 header at offset 0x{off:x} names architecture {arch}, not i386 (0)."
                    )
                return off
            bad_checksum = off
        off = data.find(magic, off + 1, limit)
    if bad_checksum is not None:
        raise PlinthError(f"the multiboot2 header at offset 0x{bad_checksum:x} has a wrong checksum.")
    if found_unaligned is not None:
        raise PlinthError(
            f"the multiboot2 magic at offset 0x{found_unaligned:x} is not 8-byte aligned, so loaders ignore it."
        )
    raise PlinthError(f"no multiboot2 header in the first {layout.MB2_SEARCH_LIMIT // 1024} KiB of the image.")


def check(path: str | Path) -> str:
    """Runs every check on the ELF at path; returns a one-line summary, raises PlinthError."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise PlinthError(f"cannot read {path}: {err.strerror}.") from None
    hdr_off = find_mb2_header(data)
    try:
        with open(path, "rb") as f:
            elf = ELFFile(f)
            loads = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
            entry = elf["e_entry"]
            machine = elf["e_machine"]
    except ELFError as err:
        raise PlinthError(f"{path} is not a valid ELF file ({err}).") from None
    if machine != "EM_X86_64":
        raise PlinthError(f"{path} is built for {machine}, not x86-64.")
    if not loads:
        raise PlinthError(f"{path} has no loadable segments.")

    lo, hi = layout.LOAD_BASE, layout.LOAD_BASE + layout.RESERVED_MAX
    for seg in loads:
        flags, paddr, vaddr, memsz = seg["p_flags"], seg["p_paddr"], seg["p_vaddr"], seg["p_memsz"]
        if flags & P_FLAGS.PF_W and flags & P_FLAGS.PF_X:
            raise PlinthError(f"the load segment at 0x{vaddr:x} is both writable and executable.")
        if paddr != vaddr:
            raise PlinthError(
                f"the load segment at 0x{vaddr:x} loads at physical 0x{paddr:x}; Plinth expects them equal."
            )
        if paddr < lo or paddr + memsz > hi:
            raise PlinthError(
                f"the load segment 0x{paddr:x}-0x{paddr + memsz:x} lies outside Plinth's range 0x{lo:x}-0x{hi:x}."
            )
    if not any(s["p_flags"] & P_FLAGS.PF_X and s["p_vaddr"] <= entry < s["p_vaddr"] + s["p_memsz"] for s in loads):
        raise PlinthError(f"the entry point 0x{entry:x} is not inside an executable load segment.")
    end = max(s["p_paddr"] + s["p_memsz"] for s in loads)
    return (
        f"{path.name}: multiboot2 header at file offset 0x{hdr_off:x}, entry 0x{entry:x}, "
        f"{len(loads)} load segments, range 0x{lo:x}-0x{end:x} ({(end - lo) // 1024} KiB)"
    )


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tools.elfcheck PLINTH.ELF", file=sys.stderr)
        return 2
    try:
        print(check(argv[0]))
    except PlinthError as err:
        print(f"==> ELF check failed: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
