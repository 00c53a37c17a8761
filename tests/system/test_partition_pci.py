"""PCI functions of partitions (issue 15, Devices): the configuration's `devices`, checked at boot
against the machine, and what each VM sees of PCI configuration space.

Each test boots a configuration written here (test_partition.py's helpers) with the test guest
in every VM, or Debian's Linux in one of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.system.test_linux import BOOT_TIMEOUT, guest_files  # noqa: F401 (a fixture)
from tests.system.test_partition import (
    CTRL_A,
    MODEL,
    BootFn,
    assert_all_pass,
    config_modules,
    results,
    vm_lines,
    wait_all,
    wait_summaries,
)
from tools import consoleproto as cp
from tools import linux
from tools.emulators.base import Emulator
from tools.emulators.bochs import NO_IOMMU_CMDLINE as NO_IOMMU

pytestmark = pytest.mark.bochs


def test_vm_naming_a_missing_function_is_not_built_and_the_other_runs(boot: BootFn, target_for, tmp_path: Path) -> None:
    """A VM whose devices name a function the machine does not have (00:1f.7 on Bochs's i440FX) is
    one line naming the function and is not built; the other VM runs its checks."""
    vms = [
        {"name": "good", "cpus": [0], "memory": "16M", "cmdline": "ram=16M checks=partition,cpuid"},
        {"name": "ghost", "cpus": [1], "memory": "16M", "devices": ["00:1f.7"]},
    ]
    emu = boot(target_for("bochs", MODEL), cpus=2, cmdline=NO_IOMMU, modules=config_modules(tmp_path, vms))
    emu.wait_for(cp.VM_NOT_BUILT.fill(vm="ghost"), timeout=120)
    wait_summaries(emu, ["good"])
    down = cp.VM_NOT_BUILT.fill(vm="ghost").search(emu.output)
    assert down and down["why"].strip() == "its PCI function 00:1f.7 does not exist (vendor ID reads 0xffff)", down
    assert_all_pass(emu.output, "good", ["partition", "cpuid"])
    assert cp.FATAL_PREFIX not in emu.output


E1000_MAC = "52:54:00:12:34:56"
E1000 = "8086:100e"  # Bochs's e1000 (82540EM)
E1000_BDF = "00:02.0"  # Bochs's i440FX puts PCI slot 1 there


def hostile_vm(name: str) -> dict[str, Any]:
    """A test-guest VM on CPU 1 that owns nothing: it must see no function on bus 0 and the e1000
    as absent, then reads the BAR address it is sent (and its VM stops there)."""
    return {
        "name": name,
        "cpus": [1],
        "memory": "16M",
        "cmdline": f"ram=16M checks=partition,pci,pci_hostile pci_hides={E1000} pci_victim={E1000_BDF}",
    }


def assert_linux_pci_view(emu: Emulator) -> None:
    """Linux (VM linux, its shell's input) lists only the host bridge and the e1000 in
    /sys/bus/pci/devices, and eth0 has the MAC Bochs gave the card."""
    emu.send("echo devs: $(ls /sys/bus/pci/devices) mac: $(cat /sys/class/net/eth0/address)\r")
    seen = emu.wait_for(
        re.compile(r"^\[linux\] devs: (?P<devs>[^\n]*) mac: (?P<mac>[0-9a-f]{2}(:[0-9a-f]{2}){5})\r?\n", re.M),
        timeout=120,
    )
    assert seen["devs"].split() == ["0000:00:00.0", "0000:00:02.0"], seen.group(0)
    assert seen["mac"] == E1000_MAC, seen.group(0)


def boot_with_e1000(boot: BootFn, target_for, tmp_path: Path, vms: Sequence[dict[str, Any]]) -> Emulator:
    """Bochs with two CPUs and the e1000 (MAC E1000_MAC) in slot 1, booting Plinth with vms."""
    return boot(
        target_for("bochs", MODEL),
        cpus=2,
        cmdline=NO_IOMMU,
        modules=config_modules(tmp_path, vms),
        e1000_mac=E1000_MAC,
    )


def test_vm_owning_the_e1000_sees_it_and_a_hostile_vm_stops_alone(boot: BootFn, target_for, tmp_path: Path) -> None:
    """Issue 15 test 3 with test guests: VM nic owns the e1000 and sees it on bus 0 (and the host
    bridge, read-only), sizes its BAR with decoding off, cannot move it onto memory that is not
    its own with decoding on, and reads the device through the BAR (mapped in its EPT). VM
    hostile owns nothing: it sees no function at all, reads the e1000's configuration space as
    absent, writes its command register and BAR (dropped: nic's device still decodes at the same
    address afterwards), then reads the e1000's BAR and stops there, alone."""
    vms = [
        {
            "name": "nic",
            "cpus": [0],
            "memory": "16M",
            "devices": [E1000_BDF],
            "cmdline": f"ram=16M checks=pci,wait,pci_intact pci_sees={E1000}",
        },
        hostile_vm("hostile"),
    ]
    emu = boot_with_e1000(boot, target_for, tmp_path, vms)
    wait_all(
        emu,
        [re.compile(r"^\[nic\] guest: wait: ready", re.M), re.compile(r"^\[hostile\] guest: pci_hostile: ready", re.M)],
        timeout=240,
    )
    out = emu.output
    fn = cp.VM_PCI_FUNCTION.fill(vm="nic").search(out)
    assert fn and fn["bdf"] == E1000_BDF and f"{fn['vendor']}:{fn['device']}" == E1000, fn
    assert not cp.VM_PCI_FUNCTION.fill(vm="hostile").search(out), "hostile owns a PCI function"
    bar = cp.VM_PCI_BAR.fill(vm="nic", bar="BAR0").search(out)
    assert bar and bar["kind"] == "mem" and bar["note"] == "", bar
    # The hostile VM has the input after Ctrl-A 2: the e1000's BAR address, which it reads.
    emu.send(CTRL_A + "2")
    emu.wait_for(cp.INPUT_OWNER.fill(owner="hostile"), timeout=30)
    emu.send(bar["start"] + "\r")
    stop = emu.wait_for(cp.EPT_VIOLATION_STOP.fill(vm="hostile"), timeout=120)
    assert int(stop["gpa"], 16) == int(bar["start"], 16) and stop["access"] == "read", stop.group(0)
    emu.send(CTRL_A + "1")
    emu.wait_for(cp.INPUT_OWNER.fill(owner="nic"), timeout=30)
    emu.send("go\r")
    wait_summaries(emu, ["nic"])
    out = emu.output
    assert_all_pass(out, "nic", ["pci", "wait", "pci_intact"])
    nic = vm_lines(out, "nic")
    assert f"pci: {E1000_BDF} {E1000}" in nic and "pci: 00:00.0 8086:1237" in nic and "pci: 2 functions on bus 0" in nic
    assert f"pci: BAR 0 at {bar['start']}, 128 KiB" in nic, nic
    assert f"pci_intact: BAR 0 {bar['start']}" in nic, "the hostile VM's BAR write reached the e1000"
    hostile = vm_lines(out, "hostile")
    got = results(hostile)
    assert got.get("partition", ("",))[0] == "pass" and got.get("pci", ("",))[0] == "pass", got
    assert "pci: 0 functions on bus 0" in hostile
    assert "pci_hostile" not in got, "the hostile VM went on after reading another VM's BAR"
    assert not cp.VM_STOPPED.fill(vm="nic").search(out)
    emu.send(CTRL_A + "0")
    emu.wait_for(cp.INPUT_OWNER.fill(owner="monitor"), timeout=30)
    emu.send("vms\r")
    assert emu.wait_for(cp.VMS_LINE.fill(vm="hostile"), timeout=30)["state"] == "stopped"
    assert cp.FATAL_PREFIX not in emu.output


def test_owns_rest_takes_every_function_no_vm_lists(boot: BootFn, target_for, tmp_path: Path) -> None:
    """`owns_rest` on a real bus: nic lists the e1000, rest owns everything else. Plinth gives
    rest every function of Bochs's i440FX but the e1000 and the host bridge (read-only to both),
    and nic the e1000 alone; each guest enumerates bus 0 and sees exactly that, the e1000 absent
    for rest."""
    vms: list[dict[str, Any]] = [
        {
            "name": "nic",
            "cpus": [0],
            "memory": "16M",
            "devices": [E1000_BDF],
            "cmdline": f"ram=16M checks=pci pci_sees={E1000}",
        },
        {
            "name": "rest",
            "cpus": [1],
            "memory": "16M",
            "owns_rest": True,
            "cmdline": f"ram=16M checks=pci pci_hides={E1000}",
        },
    ]
    emu = boot_with_e1000(boot, target_for, tmp_path, vms)
    wait_summaries(emu, ["nic", "rest"])
    out = emu.output
    assert_all_pass(out, "nic", ["pci"])
    assert_all_pass(out, "rest", ["pci"])
    owned = {vm: {m["bdf"] for m in cp.VM_PCI_FUNCTION.fill(vm=vm).finditer(out)} for vm in ("nic", "rest")}
    assert owned["nic"] == {E1000_BDF}, owned
    assert E1000_BDF not in owned["rest"] and "00:00.0" not in owned["rest"], owned
    assert "00:01.0" in owned["rest"], f"rest does not own the PIIX's ISA bridge: {owned}"
    seen = {
        vm: set(re.findall(r"info pci: (\d\d:\d\d\.\d) [0-9a-f]{4}:[0-9a-f]{4}$", vm_lines(out, vm), re.M))
        for vm in ("nic", "rest")
    }
    assert seen["nic"] == {"00:00.0", E1000_BDF}, seen
    assert seen["rest"] == owned["rest"] | {"00:00.0"}, seen
    assert cp.FATAL_PREFIX not in out


def test_a_stopped_vms_device_stops_with_it_and_restarts_as_the_firmware_left_it(
    boot: BootFn, target_for, tmp_path: Path
) -> None:
    """VM nic owns the e1000, turns its bus mastering on and stops (it reads memory that is not
    its own) with the device still enabled: Plinth turns bus mastering off and disables INTx as
    the VM stops, so the device can reach no memory and raise no interrupt. The monitor's restart
    gives the VM the device with the command register the firmware left, which the check sees
    on its second start."""
    vms = [
        {
            "name": "nic",
            "cpus": [0],
            "memory": "16M",
            "devices": [E1000_BDF],
            "cmdline": f"ram=16M checks=pci,pci_master_stop pci_sees={E1000}",
        },
    ]
    emu = boot_with_e1000(boot, target_for, tmp_path, vms)
    command = re.compile(r"^\[nic\] guest: info pci: BAR 0 at \S+, \d+ KiB, command (?P<cmd>0x[0-9a-f]+)", re.M)
    first = emu.wait_for(command, timeout=240)
    enabled = emu.wait_for(re.compile(r"pci_master_stop: command (?P<cmd>0x[0-9a-f]+)"), timeout=60)
    assert int(enabled["cmd"], 16) & 0x4, enabled.group(0)
    emu.wait_for(cp.EPT_VIOLATION_STOP.fill(vm="nic"), timeout=60)
    quiesced = emu.wait_for(cp.VM_PCI_QUIESCED.fill(vm="nic"), timeout=60)
    assert quiesced["bdf"] == E1000_BDF and int(quiesced["before"], 16) == int(enabled["cmd"], 16), quiesced.group(0)
    after = int(quiesced["after"], 16)
    assert not after & 0x4 and after & 0x400, f"bus mastering still on or INTx enabled: {quiesced.group(0)}"
    if not cp.VM_IDLE.regex.search(emu.output):  # the VM's report ends with it, before or after
        emu.wait_for(cp.VM_IDLE.regex, timeout=60)
    emu.send(CTRL_A + "0")
    emu.wait_for(cp.INPUT_OWNER.fill(owner="monitor"), timeout=30)
    since = len(emu.output)
    emu.send("restart nic\r")
    emu.wait_for(cp.VM_RESTARTED.fill(vm="nic", start="2"), timeout=60)
    second = command.search(emu.output, since) or emu.wait_for(command, timeout=240)
    assert second["cmd"] == first["cmd"], (
        f"the restarted VM found command {second['cmd']}, not the firmware's {first['cmd']}"
    )
    assert len(cp.VM_PCI_QUIESCED.fill(vm="nic").findall(emu.output)) == 1, "quiesced more than once for one stop"
    assert cp.FATAL_PREFIX not in emu.output


# Linux in a partition finds PCI through its ACPI tables (the DSDT's PCI root bridge), with the
# default command line. pci=noacpi would not do: it also turns off ACPI interrupt routing and
# PNP, so Linux's 8250 driver never registers COM1 and /init finds no console.
LINUX_PCI_CMDLINE = linux.DEFAULT_CMDLINE


# The ping test (test_partition_irq.py) boots Linux with the e1000 too and checks its PCI view:
# this one, the test guest's side with Linux, runs when `-m extended` asks for it.
@pytest.mark.slow
@pytest.mark.extended
def test_linux_probes_its_e1000_beside_a_hostile_vm(boot: BootFn, target_for, guest_files, tmp_path: Path) -> None:  # noqa: F811
    """Issue 15 test 3 with Linux: unmodified Debian Linux (CPU 0, 256 MiB) owns the e1000 and its
    driver (e1000.ko from the kernel's package, loaded by the initramfs) probes it, with the MAC
    Bochs gave it; /sys/bus/pci/devices lists only the host bridge and the e1000. The test guest
    beside it (CPU 1) owns nothing: it sees no function on bus 0, reads the e1000's configuration
    space as absent (its writes dropped), then reads the e1000's BAR and its VM stops there; Linux
    still runs commands at its shell afterwards, and its e1000 still answers (MAC from the EEPROM
    the driver read, registers through the BAR)."""
    kernel, _ = guest_files
    initrd = linux.module_initramfs(["e1000"])
    vms = [
        {
            "name": "linux",
            "cpus": [0],
            "memory": "256M",
            "kernel": str(kernel),
            "initrd": str(initrd),
            "devices": [E1000_BDF],
            "cmdline": LINUX_PCI_CMDLINE,
        },
        hostile_vm("tg"),
    ]
    emu = boot_with_e1000(boot, target_for, tmp_path, vms)
    probe = re.compile(r"^\[linux\] \[[ \d.]+\] e1000 0000:00:02\.0 eth0: \(PCI:[^)]*\) (?P<mac>[0-9a-f:]{17})$", re.M)
    wait_all(
        emu,
        [
            re.compile(r"^\[tg\] guest: pci_hostile: ready", re.M),
            probe,
            re.compile(r"^\[linux\] " + re.escape(linux.GUEST_UP), re.M),
            re.compile(r"^\[linux\] Enter 'help' for a list of built-in commands\.", re.M),
        ],
        timeout=2 * BOOT_TIMEOUT,  # the decompressor alone takes minutes of Bochs under load
    )
    out = emu.output
    m = probe.search(out)
    assert m and m["mac"] == E1000_MAC, "Linux's e1000 driver did not probe the card with Bochs's MAC"
    text = vm_lines(out, "linux")
    assert "insmod e1000 failed" not in text
    bar = cp.VM_PCI_BAR.fill(vm="linux", bar="BAR0").search(out)
    assert bar and bar["kind"] == "mem" and bar["note"] == "", bar
    assert f"[mem {bar['start']}-" in text, "Linux did not find the e1000's BAR 0 where the firmware put it"
    # The test guest owns nothing: no function on bus 0, the e1000 absent (pci_hostile's checks
    # ran before its "ready"), then it reads the e1000's BAR and stops alone.
    tg = vm_lines(out, "tg")
    got = results(tg)
    assert got.get("partition", ("",))[0] == "pass" and got.get("pci", ("",))[0] == "pass", got
    assert "pci: 0 functions on bus 0" in tg, tg
    emu.send(CTRL_A + "2")
    emu.wait_for(cp.INPUT_OWNER.fill(owner="tg"), timeout=30)
    emu.send(bar["start"] + "\r")
    stop = emu.wait_for(cp.EPT_VIOLATION_STOP.fill(vm="tg"), timeout=120)
    assert int(stop["gpa"], 16) == int(bar["start"], 16) and stop["access"] == "read", stop.group(0)
    got = results(vm_lines(emu.output, "tg"))
    assert "pci_hostile" not in got, "the test guest went on after reading Linux's BAR"
    # Linux, afterwards: its shell answers, PCI shows its two functions, the card its MAC.
    emu.send(CTRL_A + "1")
    emu.wait_for(cp.INPUT_OWNER.fill(owner="linux"), timeout=30)
    assert_linux_pci_view(emu)
    assert not cp.VM_STOPPED.fill(vm="linux").search(emu.output)
    emu.send(CTRL_A + "0")
    emu.wait_for(cp.INPUT_OWNER.fill(owner="monitor"), timeout=30)
    emu.send("vms\r")
    assert emu.wait_for(cp.VMS_LINE.fill(vm="tg"), timeout=30)["state"] == "stopped"  # listed after linux
    running = cp.VMS_LINE.fill(vm="linux").search(emu.output, emu.output.rindex("vms"))
    assert running and running["state"] == "running", "Linux is not running after the test guest stopped"
    assert cp.FATAL_PREFIX not in emu.output
