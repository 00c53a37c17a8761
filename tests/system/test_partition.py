"""Static partitioning (issue 14): VMs from a checked configuration, each on its own CPUs with its
own RAM, console and life cycle.

Each test boots a configuration written here (the test guest in every VM) and reads Plinth's
lines and each VM's prefixed console lines with tools/consoleproto.py and tools/hvabi.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from tools import consoleproto as cp
from tools import hvabi, vmconfig
from tools.emulators.base import Emulator
from tools.emulators.bochs import NO_IOMMU_CMDLINE as NO_IOMMU
from tools.paths import BUILD, ROOT

GUEST = BUILD / "guests" / "testguest.bin"
MODEL = "corei7_haswell_4770"
CTRL_A = "\x01"

pytestmark = pytest.mark.bochs


def toml(vms: Sequence[dict[str, Any]]) -> str:
    out = []
    for vm in vms:
        out.append("[[vm]]")
        out += [
            f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {str(v).lower() if isinstance(v, bool) else v}"
            for k, v in vm.items()
        ]
    return "\n".join(out).replace("'", '"') + "\n"


def config_modules(tmp_path: Path, vms: Sequence[dict[str, Any]]) -> list[tuple[Path, str]]:
    """The modules `run --config` boots for these VMs: the packed blob, then each kernel."""
    path = tmp_path / "vms.toml"
    path.write_text(toml([{"kernel": str(GUEST)} | vm for vm in vms]))
    config = vmconfig.load(path)
    blob = vmconfig.write_blob(config, tmp_path / "vms.blob")
    return [(blob, vmconfig.MODULE_WORD), *config.modules()]


def vm_lines(out: str, vm: str) -> str:
    """What VM vm wrote on its COM1, one line each, without the prefix."""
    return "\n".join(m["text"] for m in cp.GUEST_TEXT.finditer(out) if m["vm"] == vm)


def results(text: str) -> dict[str, tuple[str, str | None]]:
    return {m["name"]: (m["result"], m["detail"]) for m in hvabi.GUEST_CHECK_RE.finditer(text)}


SUMMARY = re.compile(r"^\[(?P<vm>[a-z0-9_-]+)\] " + hvabi.GUEST_SUMMARY_RE.pattern, re.M)


def wait_summaries(emu: Emulator, vms: Sequence[str], since: int = 0, timeout: float = 240) -> None:
    """Waits until each VM in vms has printed its summary line after output offset since, in
    whatever order (a line an earlier wait consumed counts too)."""
    left = set(vms) - {m["vm"] for m in SUMMARY.finditer(emu.output[since:])}
    while left:
        left.discard(emu.wait_for(SUMMARY, timeout=timeout)["vm"])


def wait_all(emu: Emulator, patterns: Sequence[re.Pattern[str]], timeout: float = 240) -> list[re.Match[str]]:
    """Waits until every pattern has matched the output, in whatever order; the matches."""
    for pattern in patterns:
        if not pattern.search(emu.output):
            emu.wait_for(pattern, timeout=timeout)
    return [m for m in (p.search(emu.output) for p in patterns) if m]


def assert_all_pass(out: str, vm: str, wanted: Sequence[str]) -> None:
    got = results(vm_lines(out, vm))
    assert list(got) == list(wanted), f"{vm}: checks reported: {list(got)}"
    failed = {name: detail for name, (res, detail) in got.items() if res != "pass"}
    assert not failed, f"{vm}: {failed}"


BootFn = Callable[..., Emulator]


def test_two_vms_each_see_their_own_ram_and_cpu(boot: BootFn, target_for, tmp_path: Path) -> None:
    """Test 1: two VMs on CPUs 0 and 1 with different RAM sizes and command lines: each VM's RAM
    is placed apart in host memory, each guest's memory map is its RAM only (its size), it runs
    on its own CPU, passes its checks, and its lines carry its own prefix. alpha's
    apic_cross_page writes its (write-trapped) local APIC with instructions that cross a page
    boundary."""
    vms = [
        {
            "name": "alpha",
            "cpus": [0],
            "memory": "32M",
            "cmdline": "ram=32M checks=partition,cpuid,io,vmcall,apic_cross_page",
        },
        {"name": "beta", "cpus": [1], "memory": "64M", "cmdline": "ram=64M checks=partition,msr,xsetbv,cr4"},
    ]
    emu = boot(target_for("bochs", MODEL), cpus=2, cmdline=NO_IOMMU, modules=config_modules(tmp_path, vms))
    wait_summaries(emu, ["alpha", "beta"])
    out = emu.output
    accepted = cp.CONFIG_ACCEPTED.search(out)
    assert accepted and accepted["count"] == "2" and accepted["cpus"] == "0x3" and accepted["mib"] == "96"
    ram = {m["vm"]: m for m in cp.VM_RAM.finditer(out)}
    assert int(ram["alpha"]["end"], 16) == 32 << 20 and int(ram["beta"]["end"], 16) == 64 << 20
    a = range(int(ram["alpha"]["host_start"], 16), int(ram["alpha"]["host_end"], 16))
    b = range(int(ram["beta"]["host_start"], 16), int(ram["beta"]["host_end"], 16))
    assert a.stop <= b.start or b.stop <= a.start, "the VMs' RAM overlaps in host memory"
    assert_all_pass(out, "alpha", ["partition", "cpuid", "io", "vmcall", "apic_cross_page"])
    assert_all_pass(out, "beta", ["partition", "msr", "xsetbv", "cr4"])
    ids = {}
    for vm in ("alpha", "beta"):
        info = re.search(r"partition: (?P<mib>\d+) MiB of RAM from 0, APIC id (?P<id>\d+)", vm_lines(out, vm))
        assert info, f"{vm} did not report its RAM and CPU"
        ids[vm] = info["id"]
        assert info["mib"] == ("32" if vm == "alpha" else "64")
    assert ids["alpha"] != ids["beta"]
    assert cp.FATAL_PREFIX not in out
    # Exits per character of console output: beta's checks do no port I/O but its COM1's.
    emu.send(CTRL_A + "0")
    emu.wait_for(cp.INPUT_OWNER.fill(owner="monitor"), timeout=30)
    since = len(emu.output)
    emu.send("stats\r")
    emu.wait_for(cp.EXIT_STATS_VCPU.fill(vm="beta"), timeout=30)
    emu.wait_for(re.escape(cp.MONITOR_PROMPT), timeout=30)
    block = emu.output[since:].split("beta vCPU 0", 1)[1]
    io = next(int(m["count"]) for m in cp.EXIT_STATS_REASON.finditer(block) if m["reason"] == "IO_INSTRUCTION")
    chars = sum(len(m["text"]) + 1 for m in cp.GUEST_TEXT.finditer(out) if m["vm"] == "beta")
    print(f"exits per character of console output: {io} I/O exits for {chars} characters = {io / chars:.2f}")
    assert 2 <= io / chars <= 2.1, "a 16550 byte costs an LSR read and a THR write, each one exit"


def test_four_vms_on_four_cpus_all_complete(boot: BootFn, target_for, tmp_path: Path) -> None:
    """Test 2: the example configs/four-guests.toml, four VMs of one CPU each: all complete their
    checks, each on its own CPU, and each VM's cost in Plinth's pool is one boot line."""
    config = vmconfig.load(ROOT / "configs" / "four-guests.toml")
    blob = vmconfig.write_blob(config, tmp_path / "four.blob")
    modules = [(blob, vmconfig.MODULE_WORD), *config.modules()]
    emu = boot(target_for("bochs", MODEL), cpus=4, cmdline=NO_IOMMU, modules=modules)
    names = [vm.name for vm in config.vms]
    wait_summaries(emu, names)
    out = emu.output
    ids = set()
    for vm in config.vms:
        assert_all_pass(out, vm.name, vm.cmdline.split("checks=", 1)[1].split(","))
        info = re.search(r"partition: (?P<mib>\d+) MiB of RAM from 0, APIC id (?P<id>\d+)", vm_lines(out, vm.name))
        assert info and int(info["mib"]) == vm.memory >> 20
        ids.add(info["id"])
    assert len(ids) == 4, f"the VMs share CPUs: APIC ids {ids}"
    assert cp.FATAL_PREFIX not in out
    cost = {m["vm"]: m for m in cp.VM_POOL_COST.finditer(out)}
    assert sorted(cost) == sorted(names)
    for n in names:
        print(f"{n}: {cost[n].group(0)}")
        assert int(cost[n]["ept"]) > 0 and cost[n]["vcpus"] == "1"


def test_hostile_vms_end_alone_and_restart(boot: BootFn, target_for, tmp_path: Path) -> None:
    """Test 3: VM b sends INIT, SIPI, NMI and fixed IPIs in every destination form (to VM a's APIC
    id, logical, broadcast, shorthands; xAPIC and x2APIC) and triple-faults; VM c writes past its
    RAM. Each stops alone with its report; every IPI that named another VM's CPU is dropped and
    counted; VM a, held until then, completes all its checks afterwards; `restart b` reloads b,
    which then completes too."""
    vms = [
        {"name": "a", "cpus": [0], "memory": "32M", "cmdline": "ram=32M checks=wait,partition,cpuid,io,vmcall"},
        {"name": "b", "cpus": [1], "memory": "32M", "cmdline": "ram=32M checks=isolation,partition,cpuid"},
        {"name": "c", "cpus": [2], "memory": "16M", "cmdline": "ram=16M checks=write_past_ram"},
    ]
    emu = boot(target_for("bochs", MODEL), cpus=3, cmdline=NO_IOMMU, modules=config_modules(tmp_path, vms))
    _, stop = wait_all(emu, [cp.TRIPLE_FAULT_STOP.fill(vm="b"), cp.EPT_VIOLATION_STOP.fill(vm="c")])
    assert int(stop["gpa"], 16) == 16 << 20 and stop["access"] == "write"
    wait_all(emu, [re.compile(r"^\[a\] guest: wait: ready", re.M)], timeout=60)
    emu.send("go\r")
    wait_summaries(emu, ["a"])
    out = emu.output
    assert_all_pass(out, "a", ["wait", "partition", "cpuid", "io", "vmcall"])
    assert "x2APIC IPIs sent" in vm_lines(out, "b"), "b did not get through its x2APIC IPIs"
    assert cp.IPI_DROPPED.fill(vm="b").search(out), "no IPI of b was dropped"
    assert not re.search(r"^plinth: a: vCPU 0 took an INIT", out, re.M)
    assert not cp.VM_STOPPED.fill(vm="a").search(out)
    emu.send(CTRL_A + "0")
    emu.wait_for(cp.INPUT_OWNER.fill(owner="monitor"), timeout=30)
    emu.send("vms\r")
    b = emu.wait_for(cp.VMS_LINE.fill(vm="b"), timeout=30)
    assert b["state"] == "stopped" and int(b["dropped"]) >= 20, b.group(0)
    emu.send("restart b\r")
    emu.wait_for(cp.VM_RESTARTED.fill(vm="b", start="2"), timeout=60)
    wait_summaries(emu, ["b"], since=len(out))
    again = emu.output[len(out) :]
    got = results(vm_lines(again, "b"))
    assert list(got) == ["isolation", "partition", "cpuid"] and all(r == "pass" for r, _ in got.values()), got
    emu.send("vms\r")
    a = emu.wait_for(cp.VMS_LINE.fill(vm="a"), timeout=30)
    assert a["state"] == "running"
    assert cp.FATAL_PREFIX not in emu.output


def test_input_goes_to_the_vm_chosen_with_ctrl_a(boot: BootFn, target_for, tmp_path: Path) -> None:
    """Test 4: Ctrl-A 2, Ctrl-A 1 and Ctrl-A 0 hand the console's input to VM 2, VM 1 and the
    monitor; each VM echoes only the line it was given, and Plinth says who has the input."""
    vms = [
        {"name": "one", "cpus": [0], "memory": "16M", "cmdline": "checks=echo"},
        {"name": "two", "cpus": [1], "memory": "16M", "cmdline": "checks=echo"},
    ]
    emu = boot(target_for("bochs", MODEL), cpus=2, cmdline=NO_IOMMU, modules=config_modules(tmp_path, vms))
    emu.wait_for(cp.INPUT_OWNER.fill(owner="one", count="2"), timeout=120)
    wait_all(emu, [re.compile(rf"^\[{vm}\] guest: echo: ready", re.M) for vm in ("one", "two")], timeout=120)
    emu.send(CTRL_A + "2")
    emu.wait_for(cp.INPUT_OWNER.fill(owner="two"), timeout=30)
    emu.send("to-two\r")
    emu.wait_for(re.compile(r"^\[two\] guest: info echo: 'to-two'", re.M), timeout=60)
    emu.send(CTRL_A + "1")
    emu.wait_for(cp.INPUT_OWNER.fill(owner="one"), timeout=30)
    emu.send("to-one\r")
    emu.wait_for(re.compile(r"^\[one\] guest: info echo: 'to-one'", re.M), timeout=60)
    wait_summaries(emu, ["one", "two"])
    emu.send(CTRL_A + "0")
    emu.wait_for(cp.INPUT_OWNER.fill(owner="monitor"), timeout=30)
    emu.send("vms\r")
    emu.wait_for(cp.VMS_LINE.fill(vm="two", state="running"), timeout=30)
    out = emu.output
    assert "to-one" not in vm_lines(out, "two") and "to-two" not in vm_lines(out, "one")
    assert_all_pass(out, "one", ["echo"])
    assert_all_pass(out, "two", ["echo"])


def damaged(tmp_path: Path, damage: str) -> tuple[list[tuple[Path, str]], int, str]:
    """Modules of a one-VM configuration damaged as named, the CPUs to boot with, and the text
    Plinth's refusal must contain."""
    vm: dict[str, Any] = {"name": "x", "cpus": [0], "memory": "32M", "cmdline": "checks=cpuid"}
    cpus, expected = 1, ""
    if damage == "cpu":
        vm["cpus"] = [3]
        expected = "CPU 3 does not exist or is not online (online mask 0x1)"
    elif damage == "memory":
        vm["memory"] = "1G"
        expected = "needs 1024 MiB; only"
    modules = config_modules(tmp_path, [vm])
    blob = bytearray(modules[0][0].read_bytes())
    if damage == "flip":
        blob[vmconfig.HEADER_SIZE + 20] ^= 0x04  # in the CPU mask, after the CRC was computed
        expected = "the blob was damaged"
    elif damage == "truncate":
        del blob[-5:]
        expected = "does not match 1 VM records"
    elif damage == "version":
        blob[8] = 7
        blob = bytearray(vmconfig.seal(bytes(blob)))
        expected = f"version 7; this Plinth reads version {vmconfig.VERSION}"
    modules[0][0].write_bytes(bytes(blob))
    return modules, cpus, expected


@pytest.mark.parametrize("damage", ["flip", "truncate", "version", "cpu", "memory"])
def test_refused_blob_starts_no_vm_and_the_monitor_answers(
    boot: BootFn, target_for, tmp_path: Path, damage: str
) -> None:
    """Test 5: a blob that fails a check at boot is one line naming the check; no VM starts and
    the monitor answers."""
    modules, cpus, expected = damaged(tmp_path, damage)
    emu = boot(target_for("bochs", MODEL), cpus=cpus, cmdline=NO_IOMMU, modules=modules)
    refused = emu.wait_for(cp.CONFIG_REFUSED.regex, timeout=120)
    assert expected in refused["why"], refused["why"]
    emu.wait_for(re.escape(cp.MONITOR_PROMPT), timeout=30)
    emu.send("help\r")
    emu.wait_for(r"commands: help, vms", timeout=30)
    out = emu.output
    assert len(cp.CONFIG_REFUSED.regex.findall(out)) == 1
    assert cp.NO_GUEST in out
    assert not cp.GUEST_TEXT.search(out) and "starts the multiboot image" not in out


def test_vm_of_two_cpus_starts_its_ap_and_restarts_after_a_stop(boot: BootFn, target_for, tmp_path: Path) -> None:
    """A VM of two CPUs: its second vCPU waits for the guest's INIT-SIPI-SIPI, which reaches it
    and no other VM's CPU. `stop duo` from the monitor takes both vCPUs out of guest mode while
    VM solo runs on; `restart duo` starts both again, and the AP comes up a second time."""
    vms = [
        {"name": "solo", "cpus": [0], "memory": "16M", "cmdline": "ram=16M checks=partition,cpuid"},
        {"name": "duo", "cpus": [1, 2], "memory": "32M", "cmdline": "ram=32M checks=partition,ap"},
    ]
    emu = boot(target_for("bochs", MODEL), cpus=3, cmdline=NO_IOMMU, modules=config_modules(tmp_path, vms))
    wait_summaries(emu, ["solo", "duo"])
    out = emu.output
    assert_all_pass(out, "solo", ["partition", "cpuid"])
    assert_all_pass(out, "duo", ["partition", "ap"])
    emu.send(CTRL_A + "0")
    emu.wait_for(cp.INPUT_OWNER.fill(owner="monitor"), timeout=30)
    emu.send("stop duo\r")
    emu.wait_for(cp.VM_STOPPED.fill(vm="duo"), timeout=60)
    wait_all(emu, [cp.VM_IDLE.regex], timeout=60)
    emu.send("restart duo\r")
    emu.wait_for(cp.VM_RESTARTED.fill(vm="duo", start="2"), timeout=60)
    wait_summaries(emu, ["duo"], since=len(out))
    again = emu.output[len(out) :]
    assert_all_pass(again, "duo", ["partition", "ap"])
    emu.send("vms\r")
    solo = emu.wait_for(cp.VMS_LINE.fill(vm="solo"), timeout=30)
    assert solo["state"] == "running"
    assert cp.FATAL_PREFIX not in emu.output


def test_vm_that_cannot_be_built_stays_down_alone(boot: BootFn, target_for, tmp_path: Path) -> None:
    """A VM whose kernel Plinth cannot boot is one line and stays down (`vms`: not built, its
    CPU idle); the other VM runs its checks."""
    junk = tmp_path / "not-a-kernel.bin"
    junk.write_bytes(b"no kernel here\n" * 64)
    vms = [
        {"name": "good", "cpus": [0], "memory": "16M", "cmdline": "ram=16M checks=partition,cpuid"},
        {"name": "junk", "cpus": [1], "memory": "16M", "kernel": str(junk)},
    ]
    emu = boot(target_for("bochs", MODEL), cpus=2, cmdline=NO_IOMMU, modules=config_modules(tmp_path, vms))
    emu.wait_for(cp.VM_NOT_BUILT.fill(vm="junk"), timeout=120)
    wait_summaries(emu, ["good"])
    down = cp.VM_NOT_BUILT.fill(vm="junk").search(emu.output)  # the whole line by now
    assert down and down["why"].strip() == "its kernel did not load", down
    assert_all_pass(emu.output, "good", ["partition", "cpuid"])
    emu.send(CTRL_A + "0")
    emu.wait_for(cp.INPUT_OWNER.fill(owner="monitor"), timeout=30)
    emu.send("vms\r")
    assert emu.wait_for(cp.VMS_LINE.fill(vm="junk"), timeout=30)["state"] == "not built"
    emu.send("restart junk\r")
    emu.wait_for(r"restart: junk was never built", timeout=30)


def test_com1_interrupts_reach_the_vm_through_its_io_apic(boot: BootFn, target_for, tmp_path: Path) -> None:
    """Issue 15: each VM's emulated COM1 interrupts through the VM's own I/O APIC (at the host's
    address, pin 4 emulated): the guest programs pin 4 with its APIC ID and a vector, gets a
    THR-empty interrupt (a self-IPI from its own exit), then halts and is woken by the receive
    interrupt of the character sent to it with Ctrl-A N, which its handler reads: VM one's
    input is raised by CPU 0 on its own CPU, VM two's by CPU 0 across to CPU 1. A pin that is
    not the VM's reads masked, and its two writes are dropped and counted."""
    vms = [
        {"name": "one", "cpus": [0], "memory": "16M", "cmdline": "checks=ioapic,cpuid"},
        {"name": "two", "cpus": [1], "memory": "16M", "cmdline": "checks=ioapic,cpuid"},
    ]
    emu = boot(target_for("bochs", MODEL), cpus=2, cmdline=NO_IOMMU, modules=config_modules(tmp_path, vms))
    ready = [re.compile(rf"^\[{vm}\] guest: ioapic: ready for input", re.M) for vm in ("one", "two")]
    wait_all(emu, ready, timeout=180)
    for key, vm, char in (("2", "two", "y"), ("1", "one", "x")):
        emu.send(CTRL_A + key)
        emu.wait_for(cp.INPUT_OWNER.fill(owner=vm), timeout=30)
        emu.send(char)
        emu.wait_for(
            re.compile(rf"^\[{vm}\] guest: info ioapic: received '{char}' in the interrupt handler", re.M), timeout=60
        )
    wait_summaries(emu, ["one", "two"])
    out = emu.output
    for vm in ("one", "two"):
        assert_all_pass(out, vm, ["ioapic", "cpuid"])
        built = cp.VM_IOAPIC.fill(vm=vm).search(out)
        assert built and built["addr"] == "0xfec00000" and built["pin"] == "4", f"{vm}: no I/O APIC line"
    assert cp.IOAPIC_DROPPED.fill(vm="one").search(out) and cp.IOAPIC_DROPPED.fill(vm="two").search(out)
    emu.send(CTRL_A + "0")
    emu.wait_for(cp.INPUT_OWNER.fill(owner="monitor"), timeout=30)
    emu.send("stats\r")
    stats = {vm: emu.wait_for(cp.IOAPIC_STATS.fill(vm=vm), timeout=30) for vm in ("one", "two")}
    for vm, m in stats.items():
        print(f"{vm}: {m.group(0).strip()}")
        assert m["dropped"] == "2", f"{vm}: the two writes to pin 9 were not both dropped: {m.group(0)}"
        assert m["refused"] == "0" and m["lost"] == "0", m.group(0)
        assert int(m["sent"]) >= 2, f"{vm}: fewer than a THR-empty and a receive interrupt sent: {m.group(0)}"
    assert cp.FATAL_PREFIX not in emu.output
