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
from tools.paths import BUILD

GUEST = BUILD / "guests" / "testguest.bin"
MODEL = "corei7_haswell_4770"
CTRL_A = "\x01"

pytestmark = pytest.mark.bochs


def toml(vms: Sequence[dict[str, Any]]) -> str:
    out = []
    for vm in vms:
        out.append("[[vm]]")
        out += [f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v}" for k, v in vm.items()]
    return "\n".join(out).replace("'", '"') + "\n"


def config_modules(tmp_path: Path, vms: Sequence[dict[str, Any]]) -> list[tuple[Path, str]]:
    """The modules `run --config` boots for these VMs: the packed blob, then each kernel."""
    path = tmp_path / "vms.toml"
    path.write_text(toml([{"kernel": str(GUEST), **vm} for vm in vms]))
    config = vmconfig.load(path)
    blob = vmconfig.write_blob(config, tmp_path / "vms.blob")
    return [(blob, vmconfig.MODULE_WORD), *config.modules()]


def vm_lines(out: str, vm: str) -> str:
    """What VM vm wrote on its COM1, one line each, without the prefix."""
    return "\n".join(m["text"] for m in cp.GUEST_TEXT.finditer(out) if m["vm"] == vm)


def results(text: str) -> dict[str, tuple[str, str | None]]:
    return {m["name"]: (m["result"], m["detail"]) for m in hvabi.GUEST_CHECK_RE.finditer(text)}


SUMMARY = re.compile(r"^\[(?P<vm>[a-z0-9_-]+)\] " + hvabi.GUEST_SUMMARY_RE.pattern, re.M)


def wait_summaries(emu: Emulator, vms: Sequence[str], timeout: float = 240) -> None:
    """Waits until each VM in vms has printed its summary line, in whatever order."""
    left = set(vms)
    while left:
        left.discard(emu.wait_for(SUMMARY, timeout=timeout)["vm"])


def assert_all_pass(out: str, vm: str, wanted: Sequence[str]) -> None:
    got = results(vm_lines(out, vm))
    assert list(got) == list(wanted), f"{vm}: checks reported: {list(got)}"
    failed = {name: detail for name, (res, detail) in got.items() if res != "pass"}
    assert not failed, f"{vm}: {failed}"


BootFn = Callable[..., Emulator]


def test_two_vms_each_see_their_own_ram_and_cpu(boot: BootFn, target_for, tmp_path: Path) -> None:
    """Test 1: two VMs on CPUs 0 and 1 with different RAM sizes and command lines: each VM's RAM
    is placed apart in host memory, each guest's memory map is its RAM only (its size), it runs
    on its own CPU, passes its checks, and its lines carry its own prefix."""
    vms = [
        {"name": "alpha", "cpus": [0], "memory": "32M", "cmdline": "ram=32M checks=partition,cpuid,io,vmcall"},
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
    assert_all_pass(out, "alpha", ["partition", "cpuid", "io", "vmcall"])
    assert_all_pass(out, "beta", ["partition", "msr", "xsetbv", "cr4"])
    ids = {}
    for vm in ("alpha", "beta"):
        info = re.search(r"partition: (?P<mib>\d+) MiB of RAM from 0, APIC id (?P<id>\d+)", vm_lines(out, vm))
        assert info, f"{vm} did not report its RAM and CPU"
        ids[vm] = info["id"]
        assert info["mib"] == ("32" if vm == "alpha" else "64")
    assert ids["alpha"] != ids["beta"]
    assert cp.FATAL_PREFIX not in out
