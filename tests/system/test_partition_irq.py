"""Interrupts of partitions' devices (issue 16, I/O APIC): the pin of an owned PCI function's INTx
is its VM's, programmed into the physical I/O APIC from that VM's entries; a VM that owns no
device reprograms every pin and changes nothing.

Bochs's e1000 is 00:02.0 (PCI slot 1) with INTA routed by the BIOS to an ISA IRQ; Bochs has no
IOMMU, so interrupts take the path without remapping.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.system.test_linux import guest_files  # noqa: F401 (a fixture)
from tests.system.test_partition import (
    CTRL_A,
    MODEL,
    BootFn,
    assert_all_pass,
    config_modules,
    wait_summaries,
)
from tools import bench, vmconfig
from tools import consoleproto as cp
from tools.emulators.bochs import NO_IOMMU_CMDLINE as NO_IOMMU

pytestmark = pytest.mark.bochs

E1000_MAC = "52:54:00:12:34:56"
E1000_BDF = "00:02.0"


def test_hostile_vm_reprograms_every_pin_beside_a_vm_owning_the_e1000s(
    boot: BootFn, target_for, tmp_path: Path
) -> None:
    """VM nic owns the e1000, so its INTA's I/O APIC pin is nic's (one line says which); VM
    hostile owns no device and no pin: it writes every pin but its COM1's with entries aimed at
    nic's CPU and its own, logical, NMI, INIT, ExtINT, and reads each back masked. Plinth drops
    and counts those writes; none is programmed."""
    vms = [
        {"name": "nic", "cpus": [0], "memory": "16M", "devices": [E1000_BDF], "cmdline": "ram=16M checks=cpuid"},
        {"name": "hostile", "cpus": [1], "memory": "16M", "cmdline": "ram=16M checks=ioapic_hostile"},
    ]
    emu = boot(
        target_for("bochs", MODEL), cpus=2, cmdline=NO_IOMMU, modules=config_modules(tmp_path, vms), e1000_mac=E1000_MAC
    )
    wait_summaries(emu, ["nic", "hostile"])
    out = emu.output
    intx = cp.VM_INTX_PIN.fill(vm="nic").search(out)
    assert intx and intx["bdf"] == E1000_BDF and intx["intx"] == "A", "no I/O APIC pin for the e1000's INTA"
    assert intx["pin"] == intx["line"], intx.group(0)  # Bochs: no override for PCI IRQs
    owned = {vm: cp.VM_IOAPIC.fill(vm=vm).search(out) for vm in ("nic", "hostile")}
    assert owned["nic"] and owned["nic"]["owned"] == "1", owned["nic"]
    assert owned["hostile"] and owned["hostile"]["owned"] == "0", owned["hostile"]
    assert_all_pass(out, "nic", ["cpuid"])
    assert_all_pass(out, "hostile", ["ioapic_hostile"])
    assert cp.IOAPIC_DROPPED.fill(vm="hostile").search(out)
    emu.send(CTRL_A + "0")
    emu.wait_for(cp.INPUT_OWNER.fill(owner="monitor"), timeout=30)
    emu.send("stats\r")
    stats = emu.wait_for(cp.IOAPIC_STATS.fill(vm="hostile"), timeout=30)
    pins = int(owned["hostile"]["pins"])
    # Each of pins - 1 pins: 21 entries of two halves, then the two reads do not count.
    assert int(stats["dropped"]) >= (pins - 1) * 42 and stats["programmed"] == "0", stats.group(0)
    assert cp.FATAL_PREFIX not in emu.output


def test_e1000_interrupts_reach_the_handler_of_the_vm_owning_it_with_one_exit_each(
    boot: BootFn, target_for, tmp_path: Path
) -> None:
    """Issue 16's benchmark as a behaviour: configs/e1000-irq.toml (what `tools/plinth bench`
    boots), VM nic on CPU 1 owning the e1000. Its bench_irq check finds the card's INTA line and,
    in its own MADT, the I/O APIC pin Plinth gave it (level, active low), programs it with vector
    0x40 to its own APIC ID, and raises the interrupt 101 times through the card's ICS register:
    each arrives once, at 0x40, in service in the local APIC as level-triggered, with the cause in
    ICR (the check fails otherwise). Delivery takes no VM exit (a partition's interrupts go to its
    own CPU's APIC and IDT); the EOI is the one exit per interrupt, a trapped xAPIC write, so
    costs more than the store the software-INT baseline makes. Plinth programmed the pin into the
    physical I/O APIC from the VM's entry."""
    config = vmconfig.load(bench.IRQ_CONFIG)
    blob = vmconfig.write_blob(config, tmp_path / "vms.blob")
    emu = boot(
        target_for("bochs", MODEL),
        cpus=2,
        cmdline=NO_IOMMU,
        modules=[(blob, vmconfig.MODULE_WORD), *config.modules()],
        e1000_mac=bench.E1000_MAC,
    )
    wait_summaries(emu, ["nic"], timeout=300)
    out = emu.output
    assert_all_pass(out, "nic", ["bench_irq"])
    intx = cp.VM_INTX_PIN.fill(vm="nic").search(out)
    assert intx and intx["bdf"] == E1000_BDF, "no I/O APIC pin for the e1000's INTA"
    di = bench.device_irq_figures(out)
    route = di["route"]
    assert route["bdf"] == E1000_BDF and route["intx"] == intx["intx"] and route["line"] == intx["line"], route
    assert route["pin"] == intx["pin"] and route["trigger"] == "level" and route["polarity"] == "active low", route
    cpu1 = {m["cpu"]: m["apic_id"] for m in cp.CPU_IN_VMX_ROOT.regex.finditer(out)}.get("1")
    assert route["vector"] == "0x40" and route["apic_id"] == cpu1, (route, cpu1)
    assert di["interrupts"] == 101
    assert di["exits_by_reason"] == {"EPT_VIOLATION": 101}, di["exits_by_reason"]
    assert di["exits_per_interrupt"] == 1.0
    assert di["eoi"]["net_min"] > 0 and di["trip"]["net_min"] >= di["eoi"]["net_min"] - 10, di
    emu.send(CTRL_A + "0")
    emu.wait_for(cp.INPUT_OWNER.fill(owner="monitor"), timeout=30)
    emu.send("stats\r")
    stats = emu.wait_for(cp.IOAPIC_STATS.fill(vm="nic"), timeout=30)
    assert int(stats["programmed"]) >= 1 and stats["dropped"] == "0" and stats["refused"] == "0", stats.group(0)
    assert cp.FATAL_PREFIX not in emu.output
