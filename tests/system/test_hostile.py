"""Hostile guests (issue 13): a guest can neither escape Plinth nor bring it down, and sees a CPU
that behaves like the hardware. docs/threat-model.md names the test of each rule.

The test guest's hostile checks (tests/guests/checks_hostile_*.c) assert the architectural
result of each attack; these tests assert every one of them passed and Plinth's side: what it
refused (said once on its console), what it still shows (SMRAM locked, its own memory type, its
exit table complete for the controls it runs with), and, after each boot's VM stops, that every
vCPU left guest mode and the monitor answers. Non-destructive checks share a boot; each
destructive one has its own.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tools import consoleproto as cp
from tools import exits, fatal, hvabi, vmcs
from tools.emulators.bochs import NO_IOMMU_CMDLINE

# The hostile suite runs with the xAPIC page write-trapped for good (ipi_filter), the model of
# every VM that does not own the whole machine: with the default VM's page given to the guest
# once its CPUs are up (apic_passthrough.c), its xAPIC stores and IPIs are the hardware's
# business, not Plinth's (Bochs ends on a 16-bit APIC store).
NO_IOMMU = NO_IOMMU_CMDLINE + " ipi_filter"

if TYPE_CHECKING:
    from tools.emulators.base import Emulator

HASWELL = "corei7_haswell_4770"
BOCHS_MODELS = [pytest.param(m, marks=pytest.mark.bochs, id=m) for m in (HASWELL, "tigerlake")]
# One CPU: SMM, APIC base, MTRRs, INVD, OSXSAVE, RF, CR0 and the legacy-mode lab, EIP wrap, port
# wrap, string I/O, forged console text, xAPIC store forms.
UP_CHECKS = [
    "smm",
    "apic_base",
    "mtrr",
    "invd",
    "osxsave",
    "rf",
    "cr0",
    "cr_legacy",
    "cpuid_wrap",
    "io_wrap",
    "io_string",
    "console_forge",
    "apic_forms",
]
# Two CPUs: real-mode injection on an AP, logical IPIs, INIT-SIPI to a running AP, NMI storms,
# x2APIC self-NMIs (last: it leaves the AP in x2APIC mode).
SMP_CHECKS = ["exc_mode", "ipi_logical", "ipi_running", "nmi_storm", "x2apic_nmi"]
FORGED = "plinth: vm0 stopped: forged by the guest"
MONITOR_WAIT = 30


def assert_passed(out: str, wanted: list[str]) -> None:
    got = hvabi.guest_checks(out)
    assert [name for name in got if name in wanted] == wanted, f"checks reported: {list(got)}"
    failed = {name: detail for name, (res, detail) in got.items() if name in wanted and res != "pass"}
    assert not failed, failed


def run_until_stopped(
    boot: Callable[..., Emulator], target: object, guest: Path, checks: list[str], cpus: int, timeout: int
) -> tuple[Emulator, str]:
    """Boots the test guest with checks and then plinth_write, whose write into Plinth's range
    ends the VM; returns once the VM's CPUs are idle, with the console so far."""
    emu = boot(target, cpus=cpus, cmdline=NO_IOMMU, modules=[(guest, "checks=" + ",".join([*checks, "plinth_write"]))])
    emu.wait_for(cp.EPT_VIOLATION_STOP.fill(vm="vm0", vcpu="0"), timeout=timeout)
    emu.wait_for(cp.VM_IDLE.regex, timeout=MONITOR_WAIT)
    return emu, emu.output


def assert_monitor_answers(emu: Emulator) -> None:
    """The monitor answers help and vms: the console is Plinth's, no vCPU takes its input."""
    emu.wait_for(re.escape(cp.MONITOR_PROMPT), timeout=MONITOR_WAIT)
    emu.send("help\r")
    emu.wait_for(re.escape(cp.MONITOR_HELP), timeout=MONITOR_WAIT)
    emu.send("vms\r")
    emu.wait_for(cp.VMS_LINE.fill(vm="vm0", state="stopped"), timeout=MONITOR_WAIT)


def assert_exit_table_complete(out: str) -> None:
    """The control words Plinth printed are tools/exits.py's for the capability MSRs it printed,
    and every exit they can produce has a handler or a stop policy."""
    msrs = cp.VMX_MSRS.search(out)
    printed = cp.VMX_CONTROLS.search(out)
    assert msrs and printed, "no vmx: MSRs / controls lines"
    caps = {key: int(msrs[key], 16) for key in ("basic", "misc", "pin", "proc", "proc2", "exit", "entry", "ept_vpid")}
    words = exits.control_words(caps, dynamic=False)
    assert {reg: int(printed[reg], 16) for reg in exits.CONTROL_REGISTERS} == words
    assert exits.unhandled(exits.control_words(caps)) == []


@pytest.mark.parametrize("model", BOCHS_MODELS)
def test_hostile_checks_on_one_cpu(boot, target_for, guest: Path, model: str) -> None:
    """Every one-CPU attack fails as on hardware, and Plinth says what it refused: the SMI
    command and the SMRAM write (once each), the SMI IPI; the forged line comes out as the
    guest's; the guest's MTRR over Plinth's range left the boot CPU's own type alone; the exit
    table covers the controls this CPU model gives."""
    emu, out = run_until_stopped(boot, target_for("bochs", model), guest, UP_CHECKS, cpus=1, timeout=300)
    assert_passed(out, UP_CHECKS)
    smram = cp.SMRAM.search(out)
    assert smram and smram["bridge"] == "Intel 440FX PMC" and smram["state"].startswith("locked"), smram
    assert cp.SMI_COMMAND_DROPPED.fill(vm="vm0", value="0x5a", port="0xb2").search(out)
    assert cp.PCI_CONFIG_DROPPED.fill(vm="vm0", what="SMRAM control").search(out)
    assert cp.APIC_REFUSED.fill(vm="vm0", what="an IPI", mode="SMI").search(out)
    assert len(cp.PCI_CONFIG_DROPPED.regex.findall(out)) == 1, "said more than once"
    assert cp.GUEST_TEXT.fill(vm="vm0", text=FORGED).search(out)
    assert not any(m["why"].startswith("forged") for m in cp.VM_STOPPED.finditer(out)), (
        "a guest line passed for Plinth's"
    )
    assert_exit_table_complete(out)
    assert cp.FATAL_PREFIX not in out
    assert_monitor_answers(emu)
    emu.send("mem\r")
    memory = emu.wait_for(cp.MONITOR_MEMORY_TYPE.regex, timeout=MONITOR_WAIT)
    assert memory["type"] == "WB", "the guest's MTRR write reached the boot CPU's MTRRs"


@pytest.mark.bochs
def test_hostile_checks_on_two_cpus(boot, target_for, guest: Path) -> None:
    """Every IPI the guest may send arrives where its destination says, NMIs are not lost, an
    AP in real mode gets exceptions without error codes; and the final stop gets the AP out of
    guest mode (one round of INIT kicks)."""
    emu, out = run_until_stopped(boot, target_for("bochs", HASWELL), guest, SMP_CHECKS, cpus=2, timeout=400)
    assert_passed(out, SMP_CHECKS)
    assert not cp.INIT_NOT_SENT.regex.search(out), "a vCPU got an INIT Plinth did not send"
    kick = cp.KICK_ROUNDS.fill(vm="vm0").search(out)
    assert kick and int(kick["rounds"]) >= 1
    assert cp.FATAL_PREFIX not in out
    assert_monitor_answers(emu)


STOPS = {
    # check -> the vCPU whose write into Plinth's range stops the VM
    "stop_nmi_blocked": "0",
    "stop_x2apic": "0",
    "stop_bsp_nmi": "1",
    "console_reprogram": "0",
}


@pytest.mark.bochs
@pytest.mark.parametrize("check", sorted(STOPS))
def test_a_stopped_vm_runs_no_guest_code(boot, target_for, guest: Path, check: str) -> None:
    """The other vCPU spins where NMIs cannot reach it (inside an NMI handler, in x2APIC mode; the
    BSP itself for stop_bsp_nmi), printing heartbeats and reading COM1; or the guest reprogrammed
    COM1. After the stop no heartbeat follows, the report is readable, and the monitor answers
    (its input is not stolen)."""
    emu = boot(target_for("bochs", HASWELL), cpus=2, cmdline=NO_IOMMU, modules=[(guest, f"checks={check}")])
    emu.wait_for(cp.EPT_VIOLATION_STOP.fill(vm="vm0", vcpu=STOPS[check]), timeout=180)
    emu.wait_for(cp.VM_IDLE.regex, timeout=MONITOR_WAIT)
    if check == "console_reprogram":
        assert cp.CONSOLE_RECLAIMED.search(emu.output)
    else:
        assert cp.GUEST_HEARTBEAT.search(emu.output), "the busy vCPU never ran"
    assert_monitor_answers(emu)
    time.sleep(3.0)  # wall time for a vCPU that still ran to print its next heartbeat
    out = emu.output
    later = out[cp.VM_IDLE.search(out).end() :]  # type: ignore[union-attr]
    assert not cp.GUEST_HEARTBEAT.search(later), f"guest code ran after the stop:\n{later}"
    assert cp.FATAL_PREFIX not in out


@pytest.mark.bochs
def test_a_task_switch_stops_the_vm_with_its_report(boot, target_for, guest: Path, plinth_elf: Path) -> None:
    emu = boot(target_for("bochs", HASWELL), cmdline=NO_IOMMU, modules=[(guest, "checks=task_switch")])
    stop = emu.wait_for(cp.VM_EXIT_STOP.fill(vm="vm0", vcpu="0"), timeout=180)
    assert (stop["reason"], stop["name"]) == ("9", "TASK_SWITCH")
    assert_monitor_answers(emu)
    fields = dict(vmcs.decode_dump(emu.output))
    assert fields["VM_EXIT_REASON"] == 9
    assert "=> exit reason 9 TASK_SWITCH" in fatal.decode(emu.output, plinth_elf)
    assert cp.FATAL_PREFIX not in emu.output


@pytest.mark.bochs
def test_event_delivery_onto_the_apic_page_stops_the_vm(boot, target_for, guest: Path) -> None:
    """The CPU itself writes the read-only APIC page while delivering #UD (the stack is there):
    Plinth emulates no instruction for that, the VM stops saying so."""
    emu = boot(target_for("bochs", HASWELL), cmdline=NO_IOMMU, modules=[(guest, "checks=apic_event_delivery")])
    emu.wait_for(cp.VM_IDLE.regex, timeout=180)
    stop = cp.VM_STOPPED.fill(vm="vm0").search(emu.output)
    assert stop and "event delivery wrote the local APIC page" in stop["why"], stop
    assert_monitor_answers(emu)


@pytest.mark.qemu
def test_smram_is_locked_at_boot_on_q35(boot, target_for) -> None:
    """On QEMU's q35 (no VMX under TCG, so no guest) Plinth still finds the MCH and reports SMRAM
    locked, by the firmware or by itself."""
    emu = boot(target_for("qemu", None))
    emu.wait_for(re.escape(cp.NO_GUEST), timeout=60)
    smram = cp.SMRAM.search(emu.output)
    assert smram and smram["bridge"] == "Intel Q35 MCH" and smram["offset"] == "0x9d", emu.output[-2000:]
    assert smram["state"].startswith("locked"), smram["state"]


@pytest.mark.bochs
def test_guest_mtrrs_type_its_memory_on_every_vcpu(boot, target_for, guest: Path) -> None:
    """The guest's MTRRs become its VM's EPT memory types (mtrr_ept asks the EPT through the debug
    hypercall): UC over RAM, WC over UC MMIO, never WB over MMIO. With both CPUs running (the ap
    check starts the AP), every change rebuilds the EPT once, no more: four changes, the rewrite of
    the same values none; and every old EPT is freed, which needs both vCPUs to have left it."""
    emu = boot(
        target_for("bochs", HASWELL),
        cpus=2,
        cmdline="debug_hypercalls " + NO_IOMMU,
        modules=[(guest, "checks=ap,mtrr_ept")],
    )
    summary = emu.wait_for(hvabi.GUEST_SUMMARY_RE, timeout=300)
    out = emu.output
    assert_passed(out, ["ap", "mtrr_ept"])
    assert summary["failed"] == "0"
    rebuilds = [m for m in cp.MTRR_EPT.finditer(out) if m["vm"] == "vm0"]
    assert not [m[0] for m in rebuilds if m["error"]], "a new EPT could not be built"
    assert len(rebuilds) == 4, [m[0] for m in rebuilds]
    assert len(cp.MTRR_EPT_RETIRED.fill(vm="vm0").findall(out)) == 4, "an old EPT was not freed"
    assert cp.FATAL_PREFIX not in out


@pytest.mark.bochs
def test_ept_memory_type_hypercall_is_refused_without_the_boot_option(boot, target_for, guest: Path) -> None:
    emu = boot(target_for("bochs", HASWELL), cmdline=NO_IOMMU, modules=[(guest, "checks=mtrr_ept")])
    emu.wait_for(hvabi.GUEST_SUMMARY_RE, timeout=120)
    result, detail = hvabi.guest_checks(emu.output)["mtrr_ept"]
    assert result == "fail" and f"-{hvabi.ERRORS['EPERM']}" in (detail or "")


# Issue 15, test 4 with test guests: b (CPU 0) owns no legacy device and reprograms them, then
# takes each reset and power-off path, one per start; a (CPU 1) times its own work meanwhile.
LEGACY_VMS = [
    # pm1a: the host FADT's PM1a control, at the Bochs BIOS's PIIX4 PM base 0xb000 + 4.
    # on_reset = "stop": the monitor restarts b after each path, so every stop is seen alone.
    {
        "name": "b",
        "cpus": [0],
        "memory": "16M",
        "on_reset": "stop",
        "cmdline": "ram=16M pm1a=0xb004 checks=legacy_ports,reset_paths",
    },
    {"name": "a", "cpus": [1], "memory": "16M", "cmdline": "ram=16M checks=timing,cpuid,io"},
]
# What stops b, step by step (reset_paths): port and value written, or the ACPI sleep request.
RESET_STOPS = [
    "wrote 0x6 to port 0xcf9",
    "wrote 0xff to port 0x92",
    "wrote 0xfe to port 0x64",
    "wrote 0xf0 to port 0x64",
    "requests an ACPI sleep state (SLP_TYP 0)",
]
LEGACY_DEVICES = {"PIC", "PIT", "CMOS/RTC", "DMA controller", "keyboard controller", "serial"}
PIC_ACCESSES_PER_RUN = 23  # legacy_ports' PIC reads and writes (checks_hostile_legacy.c pics())
COST_TRIES = 8  # and its timed reads of port 0x21 (in_cost)


@pytest.mark.bochs
def test_partition_reprogramming_legacy_devices_and_resetting_ends_alone(boot, target_for, tmp_path: Path) -> None:
    """b's PICs, PIT, DMA, keyboard controller, COM2 and CMOS index/extended ports are absent
    (legacy_ports reads all ones before and after its writes), its RTC is the emulated read-only
    one (its writes to the seconds and status B change nothing, said once); every reset and power-off
    path stops b alone (reset_paths, one per start; b has on_reset = "stop" and the monitor
    restarts it). Plinth says each device once for b and counts every
    access; a's timing rounds run through all of it on the TSC, none slower than ten times the
    fastest, a is never stopped, and its checks all pass."""
    from tests.system.test_partition import CTRL_A, MODEL, SUMMARY, assert_all_pass, config_modules, results, vm_lines

    emu = boot(
        target_for("bochs", MODEL), cpus=2, cmdline=NO_IOMMU_CMDLINE, modules=config_modules(tmp_path, LEGACY_VMS)
    )
    emu.wait_for(re.compile(r"^\[a\] guest: info timing: rounds", re.M), timeout=240)
    stops: list[str] = []
    # Whole lines: a wait may end where the console's text does, in the middle of one.
    b_stopped = re.compile(r"^plinth: b stopped: (?P<why>[^\r\n]+)\r?\n", re.M)
    b_summary = re.compile(SUMMARY.pattern.replace("(?P<vm>[a-z0-9_-]+)", "b", 1) + r"\r?\n", re.M)
    while True:
        m = emu.wait_for([b_stopped, b_summary], timeout=240)
        if not m.groupdict().get("why"):
            break
        stops.append(m["why"])
        assert len(stops) <= len(RESET_STOPS) + 1, f"b stopped more often than it has paths: {stops}"
        emu.wait_for(cp.VM_IDLE.regex, timeout=MONITOR_WAIT)
        if len(stops) == 1:
            emu.send(CTRL_A + "0")
            emu.wait_for(cp.INPUT_OWNER.fill(owner="monitor"), timeout=MONITOR_WAIT)
        emu.send("restart b\r")
        emu.wait_for(cp.VM_RESTARTED.fill(vm="b", start=str(len(stops) + 1)), timeout=60)
    for want, got in zip(RESET_STOPS, stops, strict=False):
        assert want in got, f"b's stop was '{got}', not after '{want}'"
    assert len(stops) >= len(RESET_STOPS), stops
    emu.send(CTRL_A + "2")
    emu.wait_for(cp.INPUT_OWNER.fill(owner="a"), timeout=MONITOR_WAIT)
    emu.send("go\r")
    emu.wait_for(re.compile(r"^\[a\] " + hvabi.GUEST_SUMMARY_RE.pattern, re.M), timeout=240)
    out = emu.output
    assert_all_pass(out, "a", ["timing", "cpuid", "io"])
    timing = re.search(r"timing: (\d+) rounds in \d+ TSC ticks, fastest (\d+), slowest (\d+)", vm_lines(out, "a"))
    assert timing, "a did not report its rounds"
    print(f"a, beside b: {timing[0]}")
    cost = re.search(r"legacy_ports: an IN costs .*", vm_lines(out, "b"))
    print(f"b: {cost[0] if cost else 'no cost line'}")
    b_lines = vm_lines(out, "b")
    starts = len(re.findall(r"check legacy_ports: pass", b_lines))
    assert starts == len(stops) + 1, f"b ran legacy_ports {starts} times in {len(stops) + 1} starts"
    assert results(b_lines)["reset_paths"] == ("pass", None), results(b_lines)["reset_paths"]
    said = [m for m in cp.PORT_ABSENT.finditer(out)]
    assert {m["vm"] for m in said} == {"b"}, [m[0] for m in said if m["vm"] != "b"]
    devices = [m["device"] for m in said]
    assert sorted(devices) == sorted(set(devices)), f"a device was said more than once: {devices}"
    assert LEGACY_DEVICES <= set(devices), f"not said: {LEGACY_DEVICES - set(devices)}"
    assert re.search(r"b: vCPU \d+ wrote 0x59 to RTC register 0x00: dropped", out), "b's RTC write was not said"
    assert len(re.findall(r"wrote 0x[0-9a-f]{2} to RTC register", out)) == 1, "an RTC write was said twice"
    assert not cp.VM_STOPPED.fill(vm="a").search(out)
    emu.send(CTRL_A + "0")
    emu.wait_for(cp.INPUT_OWNER.fill(owner="monitor"), timeout=MONITOR_WAIT)
    emu.send("stats\r")
    since = len(emu.output)
    emu.wait_for(cp.PORTS_ABSENT_STATS.fill(vm="b"), timeout=MONITOR_WAIT)
    emu.wait_for(re.escape(cp.MONITOR_PROMPT), timeout=MONITOR_WAIT)  # the whole line is there
    counted = cp.PORTS_ABSENT_STATS.fill(vm="b").search(emu.output, since)
    assert counted, "no count of b's accesses to absent ports"
    counts = cp.absent_counts(counted["counts"])
    print(f"b's accesses to absent ports: {counts}")
    assert counts["PIC"] == (PIC_ACCESSES_PER_RUN + COST_TRIES) * starts, counts
    assert LEGACY_DEVICES <= set(counts), counts
    emu.send("vms\r")
    assert emu.wait_for(cp.VMS_LINE.fill(vm="a"), timeout=MONITOR_WAIT)["state"] == "running"
    assert cp.FATAL_PREFIX not in emu.output


@pytest.mark.bochs
def test_a_partition_with_on_reset_stop_stays_stopped(boot, target_for, tmp_path: Path) -> None:
    """on_reset = "stop": b's first reset request (0xcf9) stops b with that reason and b is not
    restarted; a runs its checks to the end and stays running."""
    from tests.system.test_partition import CTRL_A, MODEL, assert_all_pass, config_modules

    vms = [
        {"name": "b", "cpus": [0], "memory": "16M", "on_reset": "stop", "cmdline": "ram=16M checks=reset_paths"},
        {"name": "a", "cpus": [1], "memory": "16M", "cmdline": "ram=16M checks=cpuid,io"},
    ]
    emu = boot(target_for("bochs", MODEL), cpus=2, cmdline=NO_IOMMU_CMDLINE, modules=config_modules(tmp_path, vms))
    stop = emu.wait_for(cp.RESET_STOP.fill(vm="b"), timeout=240)
    assert stop["on_reset"] == "stop" and stop["port"] == "0xcf9", stop.group(0)
    emu.wait_for(re.compile(r"^\[a\] " + hvabi.GUEST_SUMMARY_RE.pattern, re.M), timeout=240)
    emu.wait_for(cp.VM_IDLE.regex, timeout=MONITOR_WAIT)
    emu.send(CTRL_A + "0")
    emu.wait_for(cp.INPUT_OWNER.fill(owner="monitor"), timeout=MONITOR_WAIT)
    emu.send("vms\r")
    assert emu.wait_for(cp.VMS_LINE.fill(vm="b"), timeout=MONITOR_WAIT)["state"] == "stopped"
    out = emu.output
    assert_all_pass(out, "a", ["cpuid", "io"])
    assert not cp.VM_RESTARTED.fill(vm="b").search(out), "b restarted although on_reset is stop"
    assert cp.FATAL_PREFIX not in out


@pytest.mark.slow
@pytest.mark.bochs
def test_linux_keeps_its_time_beside_a_partition_that_resets_and_reprograms(boot, target_for, tmp_path: Path) -> None:
    """Issue 15, test 4: Linux (CPU 0) at its shell prints its uptime every second while b (CPU 1)
    reprograms the legacy devices and takes every reset and power-off path, one per start (each
    start of b waits for a "go"). b alone stops each time; Linux's uptime goes on a second per
    line, it is never stopped, and its log has no clocksource or timer complaint."""
    from tests.system.test_partition import CTRL_A, MODEL, config_modules, vm_lines

    from tools import linux

    kernel, initrd = linux.guest_files(None, None)
    vms = [
        {"name": "lin", "cpus": [0], "memory": "256M", "kernel": str(kernel), "initrd": str(initrd)}
        | {"cmdline": linux.DEFAULT_CMDLINE},
        {"name": "b", "cpus": [1], "memory": "16M", "cmdline": "pm1a=0xb004 checks=wait,legacy_ports,reset_paths"},
    ]
    emu = boot(target_for("bochs", MODEL), cpus=2, cmdline=NO_IOMMU_CMDLINE, modules=config_modules(tmp_path, vms))
    emu.wait_for(re.escape(linux.GUEST_UP), timeout=900)
    # A partition's console is line by line: the prompt, without its newline, never shows.
    emu.wait_for("Enter 'help' for a list of built-in commands.", timeout=120)
    time.sleep(5)
    emu.send("while :; do cat /proc/uptime; sleep 1; done &\r")
    begin = len(emu.output)
    ready = re.compile(r"^\[b\] guest: wait: ready", re.M)
    b_stopped = re.compile(r"^plinth: b stopped: (?P<why>[^\r\n]+)\r?\n", re.M)
    b_summary = re.compile(r"^\[b\] " + hvabi.GUEST_SUMMARY_RE.pattern, re.M)
    stops: list[str] = []
    while len(stops) <= len(RESET_STOPS) + 1:
        if stops or not ready.search(emu.output):  # b's first start was ready while Linux booted
            emu.wait_for(ready, timeout=300)
        emu.send(CTRL_A + "2")
        emu.send("go\r")
        m = emu.wait_for([b_stopped, b_summary], timeout=300)
        if not m.groupdict().get("why"):
            break
        stops.append(m["why"])
        if "it restarts" not in m["why"]:
            emu.wait_for(cp.VM_IDLE.regex, timeout=MONITOR_WAIT)
            emu.send(CTRL_A + "0")
            emu.send("restart b\r")
    for want, got in zip(RESET_STOPS, stops, strict=False):
        assert want in got, f"b's stop was '{got}', not after '{want}'"
    assert len(stops) == len(RESET_STOPS) + 1, stops  # and the sleep control register
    time.sleep(5)
    emu.send(CTRL_A + "1")
    emu.send("kill %1; dmesg | grep -ciE 'clocksource.*unstable|timer.*not working|watchdog.*stuck'\r")
    complaints = emu.wait_for(re.compile(r"^\[lin\] (\d+)\r?$", re.M), timeout=120)
    out = emu.output
    uptimes = [float(u) for u in re.findall(r"^(\d+\.\d\d) \d+\.\d\d$", vm_lines(out[begin:], "lin"), re.M)]
    steps = [b - a for a, b in zip(uptimes, uptimes[1:], strict=False)]
    print(f"Linux's uptime lines beside b: {len(uptimes)}, {uptimes[0] if uptimes else '-'} to {uptimes[-1:]}")
    print(f"seconds between them: min {min(steps, default=0):.2f}, max {max(steps, default=0):.2f}")
    # b's seven starts take a few seconds of emulated time (many minutes of Bochs's wall time).
    assert len(uptimes) >= 3, "Linux printed too few uptime lines while b ran"
    assert all(0.95 <= s <= 1.5 for s in steps), steps
    assert complaints[1] == "0", "Linux complained about its clock or timer"
    assert not cp.VM_STOPPED.fill(vm="lin").search(out)
    assert cp.FATAL_PREFIX not in out
