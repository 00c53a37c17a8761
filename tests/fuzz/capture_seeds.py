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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from qemu.qmp.legacy import QEMUMonitorProtocol

from tools import image
from tools.paths import BUILD, ELF

CORPUS = Path(__file__).with_name("corpus")
MEMORY_MIB = 128
BOOT_WAIT_S = 20.0
BIOS_AREA = range(0xE0000, 0x100000, 16)


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


def acpi_tables(ram: bytes) -> list[bytes]:
    rsdp = next((a for a in BIOS_AREA if ram[a : a + 8] == b"RSD PTR "), None)
    if rsdp is None:
        raise SystemExit("no RSDP in the BIOS area")
    if ram[rsdp + 15] >= 2 and (xsdt := struct.unpack_from("<Q", ram, rsdp + 24)[0]):
        root, size, fmt = xsdt, 8, "<Q"
    else:
        root, size, fmt = struct.unpack_from("<I", ram, rsdp + 16)[0], 4, "<I"
    length = struct.unpack_from("<I", ram, root + 4)[0]
    tables = []
    for off in range(root + 36, root + length, size):
        addr = struct.unpack_from(fmt, ram, off)[0]
        tables.append(ram[addr : addr + struct.unpack_from("<I", ram, addr + 4)[0]])
    return tables


def capture() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        sock, dump = Path(tmp) / "qmp.sock", Path(tmp) / "ram.bin"
        iso = image.make_iso(
            ELF, Path(tmp) / "plinth.iso", modules=[(BUILD / "guests" / "testguest.bin", "checks=cpuid")]
        )
        qemu = subprocess.Popen(
            [
                "qemu-system-x86_64",
                "-M",
                "q35",
                "-accel",
                "tcg",
                "-m",
                str(MEMORY_MIB),
                "-device",
                "intel-iommu",
                "-device",
                "edu",
                "-cdrom",
                str(iso),
                "-display",
                "none",
                "-serial",
                "none",
                "-qmp",
                f"unix:{sock},server=on,wait=off",
            ]
        )
        try:
            deadline = time.monotonic() + 10
            while not sock.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            monitor = QEMUMonitorProtocol(str(sock))
            monitor.connect()
            time.sleep(BOOT_WAIT_S)
            monitor.cmd("pmemsave", val=0, size=MEMORY_MIB << 20, filename=str(dump))
            monitor.close()
        finally:
            qemu.terminate()
            qemu.wait(timeout=10)
        return dump.read_bytes()


if __name__ == "__main__":
    ram = capture()
    outputs = {
        CORPUS / "multiboot2" / "grub-qemu-q35.bin": find_mbi(ram),
        CORPUS / "acpi" / "qemu-q35-iommu.bin": b"\0" + b"".join(acpi_tables(ram)),
    }
    for path, data in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"{path}: {len(data)} bytes")
