"""Interrupts of partitions' devices (issue 16, I/O APIC): the pin of an owned PCI function's INTx
is its VM's, programmed into the physical I/O APIC from that VM's entries; a VM that owns no
device reprograms every pin and changes nothing.

Bochs's e1000 is 00:02.0 (PCI slot 1) with INTA routed by the BIOS to an ISA IRQ; Bochs has no
IOMMU, so interrupts take the path without remapping.
"""

from __future__ import annotations

import gzip
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
from tests.system.test_partition_pci import assert_linux_pci_view
from tools import bench, vmconfig
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
    # A test guest runs at fixed addresses: its RAM stays at 0 upwards, and Plinth says that the
    # e1000's DMA cannot reach it (no DMA remapping in Bochs).
    assert cp.VM_RAM_DMA_UNREACHABLE.fill(vm="nic").search(out) and not cp.VM_RAM_IDENTITY.search(out)
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


# busybox udhcpc runs this with the lease in its environment (busybox's udhcpc help): the
# address on the interface, the default route through the first router. Debian's busybox looks
# for it at /etc/udhcpc/default.script (the path compiled into it).
UDHCPC_SCRIPT_PATH = "etc/udhcpc/default.script"
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
    """The default initramfs with e1000.ko (from the cached kernel's package, loaded by /init)
    and udhcpc's default script."""
    kernel = linux.fetch_kernel(linux.CACHE)
    paths = linux.fetch_modules(kernel.name.removeprefix("vmlinuz-"), ["e1000"], linux.CACHE)
    names = [p.name.removesuffix(".ko") for p in paths]
    entries = linux.initramfs_entries(linux.fetch_busybox(linux.CACHE).read_bytes(), linux.module_init(names))
    entries += [linux.cpio_dir("lib"), linux.cpio_dir(linux.MODULES_DIR)]
    entries += [
        linux.cpio_file(f"{linux.MODULES_DIR}/{n}.ko", p.read_bytes()) for n, p in zip(names, paths, strict=True)
    ]
    entries += [
        linux.cpio_dir("etc/udhcpc"),
        linux.cpio_file(UDHCPC_SCRIPT_PATH, UDHCPC_SCRIPT.encode(), 0o755),
    ]
    out = tmp_path / "initrd-e1000-udhcpc.gz"
    out.write_bytes(gzip.compress(linux.cpio_newc(entries), mtime=0))
    return out


@pytest.mark.slow
def test_linux_owning_the_e1000_pings_the_gateway_while_a_hostile_vm_reprograms_every_pin(
    boot: BootFn,
    target_for,
    guest_files,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Issue 16 (Bochs): unmodified Debian Linux in VM linux owns the e1000 on Bochs's slirp
    network. Bochs has no IOMMU, so the e1000's DMA uses the addresses Linux gives it as host
    addresses: Plinth gives linux RAM at guest-physical = host-physical above 1 MiB (and says
    so). Linux finds the e1000's INTA through the DSDT's _PRT on its I/O APIC pin's GSI, level
    and active low, and Plinth writes its entry into the physical I/O APIC aimed at linux's CPU.
    VM hostile reprograms every pin over and over meanwhile. Linux brings eth0 up, gets an
    address from slirp's DHCP with udhcpc and pings the gateway 10.0.2.2; /proc/interrupts
    counts eth0's interrupts on that IO-APIC pin, level (fasteoi); the hostile VM's writes
    were all dropped, none programmed."""
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
    out = emu.output
    assert cp.VM_RAM_IDENTITY.fill(vm="linux").search(out), "linux did not get RAM at guest = host physical"
    for ram in cp.VM_RAM.finditer(out):
        if ram["vm"] == "linux" and int(ram["end"], 16) > 1 << 20:
            assert ram["start"] == ram["host_start"] and ram["end"] == ram["host_end"], ram.group(0)
    # The driver is loaded by /init before it says userspace is up.
    emu.wait_for(re.compile(r"^\[linux\] .*e1000 0000:00:02\.0 eth0: Intel\(R\) PRO/1000", re.M), timeout=900)
    emu.wait_for(re.compile(r"^\[linux\] .*" + re.escape(linux.GUEST_UP), re.M), timeout=120)
    emu.wait_for(re.compile(r"^\[linux\] Enter 'help' for a list of built-in commands\.", re.M), timeout=120)
    intx = cp.VM_INTX_PIN.fill(vm="linux").search(emu.output)
    assert intx, "no I/O APIC pin for the e1000's INTA"
    pin = intx["pin"]
    for command, expect, timeout in (
        ("ifconfig eth0 up && udhcpc -i eth0 -n -q -t 10", r"udhcpc: eth0 has 10\.0\.2\.\d+", 300),
        ("ping -c 3 10.0.2.2", r"3 packets transmitted, 3 (packets )?received", 300),
        # Linux numbers the IRQ itself (no legacy IRQs without a PIC); the pin is the chip's.
        ("grep eth0 /proc/interrupts", rf"\d+:\s+(?P<n>\d+)\s+IO-APIC\s+{pin}-fasteoi\s+eth0", 120),
    ):
        emu.send(command + "\r")
        m = emu.wait_for(re.compile(r"^\[linux\] .*" + expect, re.M), timeout=timeout)
    assert int(m["n"]) > 0, m.group(0)
    # Its PCI, as Linux found it through its DSDT: the (read-only) host bridge and its e1000,
    # none of the host's other functions; the card with the MAC Bochs gave it.
    assert_linux_pci_view(emu)
    text = vm_lines(emu.output, "linux")
    assert "insmod e1000 failed" not in text and "Tx Unit Hang" not in text, "the e1000's DMA went astray"
    hostile = vm_lines(emu.output, "hostile")
    assert "FAILED" not in hostile and re.search(r"ioapic_hostile: \d+ rounds", hostile), "the hostile VM stopped"
    emu.send(CTRL_A + "0")
    emu.wait_for(cp.INPUT_OWNER.fill(owner="monitor"), timeout=30)
    emu.send("stats\r")
    mine = emu.wait_for(cp.IOAPIC_STATS.fill(vm="linux"), timeout=30)
    theirs = emu.wait_for(cp.IOAPIC_STATS.fill(vm="hostile"), timeout=30)
    print(mine.group(0).strip(), theirs.group(0).strip(), m.group(0), sep="\n")
    assert int(mine["programmed"]) > 0 and mine["refused"] == "0", mine.group(0)
    assert int(theirs["dropped"]) > 0 and theirs["programmed"] == "0", theirs.group(0)
    assert cp.FATAL_PREFIX not in emu.output
