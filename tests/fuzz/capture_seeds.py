"""Captures the real-machine seeds of tests/fuzz/corpus/ from a QEMU boot of Plinth.

QEMU (q35, intel-iommu, edu, TCG) boots Plinth's ISO through GRUB with the test guest as a
module; Plinth finds no VMX and waits in its monitor, leaving GRUB's multiboot2 information
and the firmware's ACPI tables where they were. QMP's pmemsave then dumps guest RAM, in which
this script finds the multiboot2 information (a structure whose tags walk to an end tag at its
total_size and include a memory map) and the ACPI tables (RSDP -> XSDT -> each table).

    .venv/bin/python tests/fuzz/capture_seeds.py      (after tools/plinth build)

Writes corpus/multiboot2/grub-qemu-q35.bin and corpus/acpi/qemu-q35-iommu.bin (the fuzz_acpi
input format: a flags byte 0, then the tables back to back).
"""

from __future__ import annotations

import struct
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "unit" / "fixtures")]

from capture_qemu_dmar import ram_dump, tables  # type: ignore[import-not-found]  # noqa: E402

from tools import image  # noqa: E402
from tools.paths import BUILD, ELF  # noqa: E402

CORPUS = Path(__file__).with_name("corpus")
BOOT_WAIT_S = 20.0


def find_mbi(ram: bytes) -> bytes:
    for off in range(0, len(ram) - 16, 8):
        total, reserved = struct.unpack_from("<II", ram, off)
        if reserved or not 16 <= total <= 0x10000 or off + total > len(ram):
            continue
        pos, types = off + 8, set()
        while pos + 8 <= off + total:
            kind, size = struct.unpack_from("<II", ram, pos)
            if size < 8 or kind > 32:
                break
            types.add(kind)
            if kind == 0 and size == 8 and pos + 8 == off + total:
                if {1, 3, 6} <= types:
                    return ram[off : off + total]
                break
            pos += (size + 7) & ~7
    raise SystemExit("no multiboot2 information in RAM: did GRUB boot Plinth?")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        guest = BUILD / "guests" / "testguest.bin"
        iso = image.make_iso(ELF, Path(tmp) / "plinth.iso", modules=[(guest, "checks=cpuid")])
        ram = ram_dump(["-cdrom", str(iso)], BOOT_WAIT_S)
    outputs = {
        CORPUS / "multiboot2" / "grub-qemu-q35.bin": find_mbi(ram),
        CORPUS / "acpi" / "qemu-q35-iommu.bin": b"\0" + b"".join(tables(ram)),
    }
    for path, data in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"{path}: {len(data)} bytes")
