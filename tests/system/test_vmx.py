"""Plinth in VMX root runs the test guest in a VM and survives everything it does.

The guest (tests/guests/) reports one line per check; these tests assert every check and the
summary, and the hypervisor's side of each event (capability report, VM stops, FATAL reports).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tools.emulators.bochs import NO_IOMMU_CMDLINE as NO_IOMMU
from tools import consoleproto as cp
from tools import fatal, hvabi, vmcs
from tools.paths import BUILD

GUEST = BUILD / "guests" / "testguest.bin"
NON_DESTRUCTIVE = ["cpuid", "vmcall", "cr4", "msr", "xsetbv", "io", "vmxon"]
CAPABILITIES = [
    "EPT",
    "VPID",
    "unrestricted guest",
    "2M pages",
    "1G pages",
    "INVEPT",
    "INVVPID",
    "wait-for-SIPI",
    "TRUE controls",
]

BOCHS_MODELS = [pytest.param(m, marks=pytest.mark.bochs, id=m) for m in ("corei7_haswell_4770", "tigerlake")]


@pytest.fixture
def guest(plinth_elf: Path) -> Path:
    assert GUEST.exists(), f"{GUEST} was not built"
    return GUEST


def checks(out: str) -> dict[str, tuple[str, str | None]]:
    return {m["name"]: (m["result"], m["detail"]) for m in hvabi.GUEST_CHECK_RE.finditer(out)}


@pytest.mark.parametrize("cpus", [1, 2], ids=["1cpu", "2cpu"])
@pytest.mark.parametrize("model", BOCHS_MODELS)
def test_guest_checks_pass(boot, target_for, guest: Path, model: str, cpus: int) -> None:
    """Capability report, every CPU in VMX root, and every non-destructive guest check passing;
    with 2 CPUs the guest also starts its AP through INIT/SIPI into long mode."""
    wanted = NON_DESTRUCTIVE + (["ap"] if cpus == 2 else [])
    emu = boot(target_for("bochs", model), cpus=cpus, cmdline=NO_IOMMU, modules=[(guest, "checks=" + ",".join(wanted))])
    summary = emu.wait_for(hvabi.GUEST_SUMMARY_RE, timeout=240)
    out = emu.output

    reported = {k: v for m in cp.VMX_REPORT.finditer(out) for k, v in cp.report_items(m["items"]).items()}
    missing = [cap for cap in CAPABILITIES if reported.get(cap) != "yes"]
    assert not missing, f"capabilities not reported as present: {missing}"
    assert sorted(int(m["cpu"]) for m in cp.CPU_IN_VMX_ROOT.finditer(out)) == list(range(cpus))
    online = cp.CPUS_ONLINE.search(out)
    assert online and int(online["count"]) == cpus and online["vmx"], "not every CPU online in VMX root"
    results = checks(out)
    assert list(results) == wanted, f"checks reported: {list(results)}"
    failed = {name: detail for name, (res, detail) in results.items() if res != "pass"}
    assert not failed, failed
    assert summary["failed"] == "0" and int(summary["passed"]) == len(wanted)
    assert cp.GUEST_HYPERCALL_CONSOLE in out, "the console-write hypercall did not print"
    roundtrip = cp.GUEST_CPUID_ROUNDTRIP.search(out)
    assert roundtrip and int(roundtrip["ticks"]) > 0


@pytest.mark.bochs
def test_write_into_plinth_stops_the_vm_and_plinth_answers(boot, target_for, guest: Path) -> None:
    """A guest write to the host chunk that backs its RAM at Plinth's addresses (reserved in its
    memory map) is an EPT violation: the VM stops with a report that names the address, the
    access and the guest RIP, and Plinth's monitor still answers."""
    emu = boot(target_for("bochs", "corei7_haswell_4770"), cmdline=NO_IOMMU, modules=[(guest, "checks=plinth_write")])
    stop = emu.wait_for(cp.EPT_VIOLATION_STOP.fill(vm="vm0", vcpu="0"), timeout=120)
    backing = cp.PLINTH_BACKING.search(emu.output)
    assert backing, "Plinth did not say which host chunk backs its range"
    assert stop["access"] == "write"
    assert int(stop["gpa"], 16) == int(backing["host_start"], 16)
    assert "not mapped" in stop["why"]
    assert int(stop["rip"], 16) > 0
    emu.wait_for(re.escape(cp.MONITOR_PROMPT), timeout=30)
    emu.send("stats\r")
    emu.wait_for(cp.EXIT_STATS_REASON.fill(reason="EPT_VIOLATION", count="1"), timeout=30)
    emu.send("vms\r")
    emu.wait_for(cp.VMS_LINE.fill(vm="vm0", state="stopped"), timeout=30)


@pytest.mark.bochs
def test_triple_fault_stops_the_vm(boot, target_for, guest: Path) -> None:
    emu = boot(target_for("bochs", "corei7_haswell_4770"), cmdline=NO_IOMMU, modules=[(guest, "checks=triple_fault")])
    emu.wait_for(cp.TRIPLE_FAULT_STOP.fill(vm="vm0", vcpu="0"), timeout=120)
    emu.wait_for(re.escape(cp.MONITOR_PROMPT), timeout=30)
    assert cp.FATAL_PREFIX not in emu.output


@pytest.mark.bochs
def test_failed_vm_entry_stops_the_vm_with_decoded_vmcs(boot, target_for, guest: Path, plinth_elf: Path) -> None:
    """The debug hypercall clears guest RFLAGS bit 1; the VM entry after it fails its guest-state
    checks. That is the guest's VM's end, not Plinth's: the VM stops with a report naming the
    failure and the VMCS dumped, which the host tools decode into field names, and the monitor
    answers."""
    emu = boot(
        target_for("bochs", "corei7_haswell_4770"),
        cmdline="debug_hypercalls " + NO_IOMMU,
        modules=[(guest, "checks=corrupt_state")],
    )
    stop = emu.wait_for(cp.VM_EXIT_STOP.fill(vm="vm0", vcpu="0"), timeout=120)
    assert (stop["reason"], stop["name"]) == ("33", "INVALID_GUEST_STATE")
    emu.wait_for(re.escape(cp.MONITOR_PROMPT), timeout=30)
    emu.send("vms\r")
    emu.wait_for(cp.VMS_LINE.fill(vm="vm0", state="stopped"), timeout=30)
    out = emu.output
    assert cp.FATAL_PREFIX not in out
    fields = dict(vmcs.decode_dump(out))
    assert fields["VM_EXIT_REASON"] == 0x80000021
    assert not fields["GUEST_RFLAGS"] & 0x2, "the dump shows the corrupted RFLAGS"
    assert "GUEST_RIP" in fields and "HOST_RIP" in fields
    decoded = fatal.decode(out, plinth_elf)
    assert "=> exit reason 33 INVALID_GUEST_STATE (VM entry failure)" in decoded


@pytest.mark.bochs
def test_debug_hypercall_is_refused_without_the_boot_option(boot, target_for, guest: Path) -> None:
    emu = boot(target_for("bochs", "corei7_haswell_4770"), cmdline=NO_IOMMU, modules=[(guest, "checks=corrupt_state")])
    emu.wait_for(hvabi.GUEST_SUMMARY_RE, timeout=120)
    result, detail = checks(emu.output)["corrupt_state"]
    assert result == "fail" and f"-{hvabi.ERRORS['EPERM']}" in (detail or "")


@pytest.mark.qemu
def test_without_vmx_plinth_says_so_and_runs_no_guest(boot, target_for, guest: Path) -> None:
    emu = boot(target_for("qemu", None), modules=[(guest, "checks=cpuid")])
    emu.wait_for(re.escape(cp.NO_GUEST), timeout=60)
    assert cp.NO_VMX in emu.output


@pytest.mark.bochs
def test_without_dma_isolation_guests_are_refused_by_default(boot, target_for, guest: Path) -> None:
    """Bochs has no VT-d: without iommu=optional Plinth will not start a guest."""
    emu = boot(target_for("bochs", "corei7_haswell_4770"), modules=[(guest, "checks=cpuid")])
    emu.wait_for(re.escape(cp.NO_GUEST), timeout=120)
    out = emu.output
    assert cp.NO_DMAR in out
    refused = cp.NO_DMA_ISOLATION.search(out)
    assert refused and refused["vm"] == "vm0"
    assert not cp.GUEST_START.search(out)


@pytest.mark.bochs
def test_multiboot_guest_sees_memory_map_cmdline_and_modules(boot, target_for, guest: Path, logdir: Path) -> None:
    """Plinth's multiboot loader hands the guest its memory map (Plinth's range available RAM,
    the host chunk behind it reserved), its command line and the modules after it, with theirs."""
    payload = logdir / "payload.bin"
    payload.write_bytes(b"plinth module payload\n" * 100)
    emu = boot(
        target_for("bochs", "corei7_haswell_4770"),
        cmdline=NO_IOMMU,
        modules=[(guest, "checks=boot_info hello=world"), (payload, "second module arg")],
    )
    emu.wait_for(hvabi.GUEST_SUMMARY_RE, timeout=120)
    out = emu.output
    start = cp.GUEST_START.search(out)
    assert start and start["cmdline"] == "checks=boot_info hello=world"
    assert checks(out)["boot_info"] == ("pass", None)
    mmap = {(int(m["start"], 16), int(m["end"], 16), int(m["type"])) for m in cp.GUEST_MMAP.finditer(out)}
    backing = cp.PLINTH_BACKING.search(out)
    assert backing and (int(backing["start"], 16), int(backing["end"], 16)) == (0x200000, 0x800000)
    host = (int(backing["host_start"], 16), int(backing["host_end"], 16), 2)
    assert host in mmap, "the chunk behind Plinth's range is not reserved in the guest's memory map"
    assert any(s <= 0x200000 and 0x800000 <= e and t == 1 for s, e, t in mmap), "Plinth's range is not RAM"
    module = cp.GUEST_MODULE.search(out)
    assert module and module["index"] == "0" and module["cmdline"] == "second module arg"
    assert int(module["end"], 16) - int(module["start"], 16) == payload.stat().st_size
