"""UEFI boot: the same ISO that boots with BIOS boots in QEMU with OVMF (TCG), through GRUB's
EFI path, and Plinth reads what the EFI loader hands over: the memory map GRUB builds from the
EFI one and the ACPI 2.0 RSDP tag (15); QEMU's TCG has no VMX, which Plinth reports."""

from __future__ import annotations

import re

import pytest

from tools import consoleproto as cp
from tools import image
from tools.emulators import qemu


@pytest.mark.qemu
def test_the_iso_boots_with_uefi_and_plinth_reads_the_efi_tags(boot, target_for) -> None:
    if not image.has_uefi():
        pytest.skip(f"no UEFI GRUB in the ISO: {image.UEFI_GRUB_DIR} is missing (apt package: grub-efi-amd64-bin)")
    if not qemu.OVMF_CODE.is_file():
        pytest.skip(f"{qemu.OVMF_CODE} is missing (apt package: ovmf)")
    emu = boot(target_for("qemu", None), firmware="uefi")
    emu.wait_for(re.escape(cp.NO_GUEST), timeout=180)
    out = emu.output
    assert "BdsDxe: starting" in out, "not booted by OVMF"  # the firmware's own boot manager line
    rsdp = cp.ACPI_RSDP.search(out)
    assert rsdp and rsdp["tag"] == "ACPI 2.0+" and int(rsdp["size"]) >= 36, "no ACPI 2.0 RSDP tag from the EFI loader"
    header = cp.MEMMAP_HEADER.search(out)
    entries = list(cp.MEMMAP_LINE.finditer(out))
    assert header and int(header["count"]) == len(entries) > 0
    # EFI's map has runtime and ACPI NVS ranges that SeaBIOS's e820 map lacks.
    assert any(e["type"] == "acpi-nvs" for e in entries)
    assert cp.RESERVED.search(out), "Plinth did not set up its memory from the map"
    assert cp.NO_VMX in out
    assert out.count(cp.BANNER) == 1
