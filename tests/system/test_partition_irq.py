"""Interrupts of partitions' devices (issue 16, I/O APIC): the pin of an owned PCI function's INTx
is its VM's, programmed into the physical I/O APIC from that VM's entries; a VM that owns no
device reprograms every pin and changes nothing.

Bochs's e1000 is 00:02.0 (PCI slot 1) with INTA routed by the BIOS to an ISA IRQ; Bochs has no
IOMMU, so interrupts take the path without remapping.
"""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

import pytest

from tests.system.test_linux import guest_files  # noqa: F401 (a fixture)
from tests.system.test_partition import (
    CTRL_A,
    MODEL,
    BootFn,
    assert_all_pass,
    config_modules,
    vm_lines,
    wait_summaries,
)
from tools import consoleproto as cp
from tools import linux
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


# The e1000 driver of the kernel the tests boot (linux.KERNEL_PACKAGE's), unpacked by hand until
# the initramfs carries modules (PLINTH_E1000_KO names it).
E1000_KO = Path(
    os.environ.get(
        "PLINTH_E1000_KO", "/tmp/d15-deb/lib/modules/6.1.0-57-amd64/kernel/drivers/net/ethernet/intel/e1000/e1000.ko"
    )
)

# busybox udhcpc runs this with the lease in its environment (busybox's udhcpc docs).
UDHCPC_SCRIPT = """#!/bin/sh
case "$1" in
bound|renew)
    ifconfig "$interface" "$ip" netmask "${subnet:-255.255.255.0}" up
    for r in $router; do route add default gw "$r" dev "$interface"; break; done
    echo "udhcpc: $interface has $ip"
    ;;
deconfig)
    ifconfig "$interface" 0.0.0.0 up
    ;;
esac
exit 0
"""


def e1000_initramfs(tmp_path: Path) -> Path:
    init = linux.DEFAULT_INIT.replace("hostname plinth-guest", "insmod /e1000.ko\nhostname plinth-guest")
    entries = linux.initramfs_entries(linux.fetch_busybox(linux.CACHE).read_bytes(), init)
    entries += [
        linux.cpio_dir("usr/share"),
        linux.cpio_dir("usr/share/udhcpc"),
        linux.cpio_file("usr/share/udhcpc/default.script", UDHCPC_SCRIPT.encode(), 0o755),
        linux.cpio_file("e1000.ko", E1000_KO.read_bytes()),
    ]
    out = tmp_path / "initrd-e1000.gz"
    out.write_bytes(gzip.compress(linux.cpio_newc(entries), mtime=0))
    return out


@pytest.mark.slow
def test_linux_owning_the_e1000_pings_the_gateway_while_a_hostile_vm_reprograms_every_pin(
    boot: BootFn,
    target_for,
    guest_files,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Issue 16 (Bochs): Linux in VM linux owns the e1000 on Bochs's slirp network; its INTA's pin
    is linux's, Linux programs it (level, active low, as the MADT's override says) and Plinth
    writes it into the physical I/O APIC aimed at linux's CPU. VM hostile reprograms every pin
    over and over. Linux brings eth0 up, gets 10.0.2.15 from slirp's DHCP with udhcpc and pings
    the gateway; /proc/interrupts counts the e1000's interrupts on the IO-APIC pin, level.

    Linux finds the e1000 through the DSDT's PCI root bridge (not pci=noacpi: that also sets
    acpi_noirq, and Linux then ignores the MADT's I/O APIC and routes through a PIC partitions
    do not have); without a _PRT it registers the function's interrupt line as a level, active
    low GSI (acpi_pci_irq_enable's ISA fallback), which the MADT's override says too."""
    if not E1000_KO.is_file():
        pytest.skip(f"no e1000.ko at {E1000_KO} (set PLINTH_E1000_KO): the initramfs has no modules yet")
    kernel, _ = guest_files
    vms = [
        {
            "name": "linux",
            "cpus": [0],
            "memory": "256M",
            "kernel": str(kernel),
            "initrd": str(e1000_initramfs(tmp_path)),
            "devices": [E1000_BDF],
            "cmdline": linux.DEFAULT_CMDLINE,
        },
        {"name": "hostile", "cpus": [1], "memory": "16M", "cmdline": "ram=16M checks=ioapic_hostile ioapic_forever"},
    ]
    emu = boot(
        target_for("bochs", MODEL),
        cpus=2,
        cmdline=NO_IOMMU,
        modules=config_modules(tmp_path, vms),
        e1000_mac=E1000_MAC,
        e1000_net="slirp",
    )
    emu.wait_for(re.compile(r"^\[hostile\] guest: ioapic_hostile: going on", re.M), timeout=600)
    # The driver is loaded by /init before it says userspace is up.
    emu.wait_for(re.compile(r"^\[linux\] .*e1000 0000:00:02\.0 eth0: Intel\(R\) PRO/1000", re.M), timeout=900)
    emu.wait_for(re.compile(r"^\[linux\] .*" + re.escape(linux.GUEST_UP), re.M), timeout=120)
    intx = cp.VM_INTX_PIN.fill(vm="linux").search(emu.output)
    assert intx, "no I/O APIC pin for the e1000's INTA"
    pin = intx["pin"]
    for command, expect, timeout in (
        ("ifconfig eth0 up && udhcpc -i eth0 -n -q -t 10", r"udhcpc: eth0 has 10\.0\.2\.\d+", 600),
        ("ping -c 3 10.0.2.2", r"3 packets transmitted, 3 (packets )?received", 600),
        (f"grep -E '^ *{pin}:' /proc/interrupts", rf"{pin}:\s+(?P<n>\d+)\s+IO-APIC\s+{pin}-fasteoi\s+eth0", 120),
    ):
        emu.send(command + "\r")
        m = emu.wait_for(re.compile(r"^\[linux\] .*" + expect, re.M), timeout=timeout)
    assert int(m["n"]) > 0, m.group(0)
    text = vm_lines(emu.output, "hostile")
    assert "FAILED" not in text and re.search(r"ioapic_hostile: \d+ rounds", text), "the hostile VM stopped"
    emu.send(CTRL_A + "0")
    emu.wait_for(cp.INPUT_OWNER.fill(owner="monitor"), timeout=30)
    emu.send("stats\r")
    mine = emu.wait_for(cp.IOAPIC_STATS.fill(vm="linux"), timeout=30)
    theirs = emu.wait_for(cp.IOAPIC_STATS.fill(vm="hostile"), timeout=30)
    print(mine.group(0).strip(), theirs.group(0).strip(), m.group(0), sep="\n")
    assert int(mine["programmed"]) > 0 and mine["refused"] == "0", mine.group(0)
    assert int(theirs["dropped"]) > 0 and theirs["programmed"] == "0", theirs.group(0)
    assert cp.FATAL_PREFIX not in emu.output
