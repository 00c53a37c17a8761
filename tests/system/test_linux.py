"""Debian's stock Linux kernel runs on Plinth in Bochs: boot to a shell with 1, 2 and 4 CPUs, the
hypervisor visible, commands over the serial console, RAM at Plinth's addresses (backed by a
host chunk that the e820 map shows reserved and the guest cannot reach), and a clean power-off.
Slow: each boot is one to two minutes of Bochs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tools.emulators.bochs import NO_IOMMU_CMDLINE as NO_IOMMU
from tools import consoleproto as cp
from tools import exitstats, layout, linux
from tools.emulators.base import EmulatorExited

BOOT_TIMEOUT = 600


@pytest.fixture(scope="session")
def guest_files() -> tuple[Path, Path]:
    """Debian's kernel and the busybox initramfs (fetched once into build/linux-cache; a lock
    keeps parallel test workers from fetching at the same time)."""
    import fcntl

    linux.CACHE.mkdir(parents=True, exist_ok=True)
    with open(linux.CACHE / ".fetch.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return linux.guest_files(None, None)


def run(emu, command: str, expect: str, timeout: float = 120) -> re.Match[str]:
    emu.send(command + "\r")
    return emu.wait_for(expect, timeout=timeout)


@pytest.mark.slow
@pytest.mark.bochs
@pytest.mark.parametrize("cpus", [1, 2, 4], ids=["1cpu", "2cpu", "4cpu"])
def test_linux_reaches_its_shell(boot, target_for, guest_files, cpus: int) -> None:
    kernel, initrd = guest_files
    emu = boot(
        target_for("bochs", "corei7_haswell_4770"),
        cpus=cpus,
        cmdline=NO_IOMMU,
        modules=[(kernel, linux.guest_cmdline()), (initrd, "")],
    )
    emu.wait_for(re.escape(linux.GUEST_UP), timeout=BOOT_TIMEOUT)
    emu.wait_for(re.escape(linux.GUEST_PROMPT), timeout=120)
    out = emu.output

    # The guest's e820 map, as Linux printed it: Plinth's range is usable RAM (the e820 entry
    # from 1 MiB covers it), the host chunk behind it reserved.
    backing = cp.PLINTH_BACKING.search(out)
    assert backing
    start, end = int(backing["host_start"], 16), int(backing["host_end"], 16) - 1
    assert re.search(rf"BIOS-e820: \[mem 0x{start:016x}-0x{end:016x}\] reserved", out), "the backing not reserved"
    usable = [
        (int(a, 16), int(b, 16)) for a, b in re.findall(r"BIOS-e820: \[mem (0x[0-9a-f]+)-(0x[0-9a-f]+)\] usable", out)
    ]
    assert any(a <= layout.LOAD_BASE and layout.LOAD_BASE + layout.RESERVED_MAX <= b + 1 for a, b in usable), usable
    if cpus > 1:
        assert f"smp: Brought up 1 node, {cpus} CPUs" in out
    assert "Call Trace" not in out and "WARNING:" not in out, "a kernel warning during boot"

    run(emu, "nproc", rf"\r?\n{cpus}\r?\n")
    run(emu, "grep -c ^processor /proc/cpuinfo", rf"\r?\n{cpus}\r?\n")
    run(emu, "grep -o -m1 -w hypervisor /proc/cpuinfo", r"\r?\nhypervisor\r?\n")
    run(emu, "cat /sys/devices/system/cpu/online", rf"\r?\n0-{cpus - 1}\r?\n" if cpus > 1 else r"\r?\n0\r?\n")
    run(emu, "echo plinth-$((6 * 7))", r"plinth-42")

    emu.send("poweroff -f\r")
    emu.wait_for(r"reboot: Power down", timeout=120)
    # The power-off ends the emulator: read everything up to that.
    with pytest.raises(EmulatorExited):
        emu.wait_for(r"a line Plinth never prints", timeout=120)
    out = emu.output
    assert cp.FATAL_PREFIX not in out
    # Plinth saw the ACPI power-off and reported the boot's VM exits per vCPU.
    assert cp.ACPI_SLEEP.search(out), "no ACPI sleep request reported"
    stats = exitstats.parse(out)
    assert len(stats) == cpus and stats["vm0 vCPU 0"].get("CPUID", 0) > 0


@pytest.mark.slow
@pytest.mark.bochs
def test_reading_plinth_memory_through_dev_mem(boot, target_for, guest_files) -> None:
    """A guest read through /dev/mem of the host chunk behind its RAM at Plinth's addresses (a
    reserved range in its e820 map, so /dev/mem allows it) never returns that memory: the page
    is absent from the VM's EPT, so the access is an EPT violation that stops the VM with a
    report naming the read and the address; Plinth itself keeps answering on its console."""
    kernel, initrd = guest_files
    emu = boot(
        target_for("bochs", "corei7_haswell_4770"),
        cmdline=NO_IOMMU,
        modules=[(kernel, linux.guest_cmdline()), (initrd, "")],
    )
    emu.wait_for(re.escape(linux.GUEST_PROMPT), timeout=BOOT_TIMEOUT)
    backing = cp.PLINTH_BACKING.search(emu.output)
    assert backing
    host_start, host_end = int(backing["host_start"], 16), int(backing["host_end"], 16)
    emu.send(f"dd if=/dev/mem bs=4096 skip={host_start // 4096} count=1 | od -A x -t x1 | head -2\r")
    stop = emu.wait_for(cp.EPT_VIOLATION_STOP.fill(vm="vm0"), timeout=180)
    assert stop["access"] == "read"
    assert host_start <= int(stop["gpa"], 16) < host_end
    emu.wait_for(re.escape(cp.MONITOR_PROMPT), timeout=60)
    emu.send("vms\r")
    emu.wait_for(cp.VMS_LINE.fill(vm="vm0", state="stopped"), timeout=30)


def corrupt(src: Path, dst: Path, offset: int, data: bytes) -> Path:
    blob = bytearray(src.read_bytes())
    blob[offset : offset + len(data)] = data
    dst.write_bytes(blob)
    return dst


@pytest.mark.bochs
@pytest.mark.parametrize("case", ["old-protocol", "truncated"])
def test_bad_bzimage_is_named(boot, target_for, guest_files, logdir: Path, case: str) -> None:
    kernel, initrd = guest_files
    if case == "old-protocol":
        bad = corrupt(kernel, logdir / "old.bzImage", 0x206, b"\x00\x02")
        why = "boot protocol older than 2.12"
    else:
        bad = logdir / "short.bzImage"
        bad.write_bytes(kernel.read_bytes()[:4096])
        why = "truncated: the file ends inside the real-mode setup code"
    emu = boot(target_for("bochs", "corei7_haswell_4770"), cmdline=NO_IOMMU, modules=[(bad, ""), (initrd, "")])
    emu.wait_for(re.escape(cp.NO_GUEST), timeout=120)
    refused = cp.BAD_KERNEL.search(emu.output)
    assert refused and (refused["vm"], refused["module"], refused["why"]) == ("vm0", "0", why)
