"""Firmware tables and a page pool that do not hold up: Plinth refuses what it cannot trust
with one line each and goes on; a VM it cannot build fails alone, never Plinth.

- A DMAR of our own (QEMU's -acpitable; no intel-iommu device, whose own DMAR QEMU would list
  first) names units whose registers are ordinary RAM, Plinth's own range, and an address
  where nothing answers, and RMRRs that span the address space, cover Plinth or cover
  unreserved RAM, beside one sane RMRR: each bad one is refused, and without a unit the DMA
  self-test finds no remapping hardware instead of DMA-ing into Plinth behind a fake unit.
- The boot option debug_pool_left leaves a VM's construction too little pool: in Bochs the
  VM's EPT cannot be built, in QEMU its VT-d domain; each fails that VM with one line and
  gives back what it had taken.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tools import consoleproto as cp
from tools import hvabi
from tools.acpi_tables import dmar, drhd, rmrr, scope
from tools.emulators.bochs import NO_IOMMU_CMDLINE as NO_IOMMU
from tools.paths import BUILD

GUEST = BUILD / "guests" / "testguest.bin"
ENDPOINT = 1
INCLUDE_PCI_ALL = 1
EDU = scope(ENDPOINT, 0, 0, [(3, 0)])  # -device edu is 00:03.0 on q35
RAM_UNIT, PLINTH_UNIT, EMPTY_UNIT = 0x1000000, 0x200000, 0xFED90000
# base, limit, the reason Plinth gives (None: accepted).
RMRRS = [
    (0x0, 0xFF_FFFF_FFFF, "it spans 1048576 MiB, more than the 1024 MiB a real one needs"),
    (0x200000, 0x2FFFFF, "it overlaps Plinth's range 0x200000-0x800000"),
    (
        0x1000000,
        0x10FFFFF,
        "it covers available memory (memory map 0x100000-0x1ffdf000) that the firmware did not reserve",
    ),
    (0xF0000, 0xFFFFF, None),  # the BIOS area, reserved in QEMU's map
]


def bad_dmar() -> bytes:
    units = [
        drhd(0, RAM_UNIT, [scope(ENDPOINT, 0, 0, [(4, 0)])]),
        drhd(0, PLINTH_UNIT, [scope(ENDPOINT, 0, 0, [(5, 0)])]),
        drhd(INCLUDE_PCI_ALL, EMPTY_UNIT, []),
    ]
    return dmar(units + [rmrr(base, limit, [EDU]) for base, limit, _ in RMRRS], haw_bits=48)


@pytest.mark.qemu
def test_dmar_units_and_rmrrs_that_cannot_be_real_are_refused(boot, target_for, logdir: Path) -> None:
    table = logdir / "dmar.bin"
    table.write_bytes(bad_dmar())
    emu = boot(
        target_for("qemu", None),
        cmdline="iommu_selftest",
        extra_args=["-acpitable", f"file={table}", "-device", "edu"],
    )
    emu.wait_for(re.escape(cp.NO_GUEST), timeout=120)
    out = emu.output

    refused = {int(m["base"], 16): m["why"] for m in cp.VTD_UNIT_REFUSED.finditer(out)}
    assert set(refused) == {RAM_UNIT, PLINTH_UNIT, EMPTY_UNIT}, refused
    assert refused[RAM_UNIT] == (
        "its registers 0x1000000-0x1001000 lie in available memory (memory map 0x100000-0x1ffdf000), "
        "not in device space"
    )
    assert refused[PLINTH_UNIT].startswith("its registers 0x200000-0x201000 overlap Plinth's range")
    assert "no device answers at that address" in refused[EMPTY_UNIT]
    none = cp.VTD_NO_UNIT.search(out)
    assert none and none["count"] == "3"
    assert not cp.VTD_UNIT.search(out), "a refused unit was reported as a unit"

    rmrr_refused = {(int(m["base"], 16), int(m["limit"], 16)): m["why"] for m in cp.VTD_RMRR_REFUSED.finditer(out)}
    assert rmrr_refused == {(base, limit): why for base, limit, why in RMRRS if why}
    assert "translation is unavailable" in out
    assert cp.FATAL_PREFIX not in out


@pytest.mark.bochs
def test_vm_whose_ept_does_not_fit_the_pool_fails_alone(boot, target_for, plinth_elf: Path) -> None:
    """40 KiB of pool: the VM's state, bitmaps and two vCPUs fit (8 pages), its EPT does not.
    The VM is not built, its pages go back (40 KiB free again), Plinth stays up."""
    assert GUEST.exists()
    emu = boot(
        target_for("bochs", "corei7_haswell_4770"),
        cpus=2,
        cmdline=f"{NO_IOMMU} debug_pool_left=40",
        modules=[(GUEST, "checks=cpuid")],
    )
    emu.wait_for(re.escape(cp.NO_GUEST), timeout=120)
    out = emu.output
    left = cp.DEBUG_POOL_LEFT.search(out)
    assert left and left["left"] == "40"
    failed = cp.VM_POOL_EXHAUSTED.search(out)
    assert failed and failed["vm"] == "vm0" and failed["what"] == "its EPT", out[-2000:]
    assert failed["free"] == "40", "the failed VM kept pages"
    assert not re.search(hvabi.GUEST_SUMMARY_RE, out) and cp.FATAL_PREFIX not in out


@pytest.mark.qemu
def test_dma_domain_that_does_not_fit_the_pool_fails_alone(boot, target_for) -> None:
    emu = boot(
        target_for("qemu", None),
        cmdline="iommu_selftest debug_pool_left=0",
        extra_args=["-device", "intel-iommu", "-device", "edu"],
    )
    emu.wait_for(re.escape(cp.NO_GUEST), timeout=120)
    out = emu.output
    failed = cp.VTD_POOL_EXHAUSTED.search(out)
    assert failed and failed["vm"] == "vm0" and failed["free"] == "0", out[-2000:]
    assert re.search(r"check translation: fail: no DMA domain for vm0", out)
    assert cp.FATAL_PREFIX not in out
