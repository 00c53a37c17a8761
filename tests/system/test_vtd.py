"""VT-d DMA remapping: the capability report, and a device's DMA reaching the VM's RAM but not
Plinth's memory; VT-d interrupt remapping: a device's MSI reaching the CPU only through an entry
Plinth wrote for that device.

QEMU's TCG has no VMX but emulates the Intel IOMMU and the DMA-capable `edu` device: there the
boot option iommu_selftest makes Plinth run its DMA self-test (hypervisor/arch/x86/
dma_selftest.c, dma_selftest_irq.c) instead of a guest. It reports in the test guest's check/summary format under
the source word "dma-selftest" (tools/hvabi.py), read here with the same patterns. Everything
together runs under KVM with nested VMX only.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tools import consoleproto as cp
from tools import hvabi
from tools.emulators import qemu

QEMU_IOMMU_BASE = 0xFED90000  # QEMU's Q35_HOST_BRIDGE_IOMMU_ADDR
# Names the capability report must show; matched loosely (name, then anything on the line).
CAPABILITIES = ["SAGAW", "MGAW", "ND", "CM", "RWBF", "QI", "IR", "SLLPS"]
SELFTEST_CHECKS = ["identification", "translation", "allowed-dma", "plinth-dma", "blocked-dma"]
# The interrupt part (dma_selftest_irq.c), with interrupt remapping.
IRQ_CHECKS = [
    "irq-remapping",
    "irq-remapped",
    "irq-wrong-source",
    "irq-absent",
    "irq-routed",
    "irq-route-refused",
    "irq-compat",
]
# VT-d appendix A: the interrupt-remapping fault reasons each blocked MSI should leave.
IRQ_FAULT_REASONS = {"irq-wrong-source": 0x26, "irq-absent": 0x22, "irq-compat": 0x25}
IRQ_REMAPPED_RE = re.compile(
    r"MSI through entry (?P<index>\d+) \(address (?P<addr>0x[0-9a-f]+), data 0x0\) arrived at APIC 0 "
    r"as vector 0xe0; test vectors pending 0x1$"
)
IRQ_BLOCKED_RE = re.compile(
    r"(?P<what>.*?)(?: (?P<index>\d+))?(?: of requester (?P<other>[0-9a-f:.]+))? \(address (?P<addr>0x[0-9a-f]+), "
    r"data (?P<data>0x[0-9a-f]+)\): (?P<verdict>blocked, no|DELIVERED as) vector (?P<vector>0x[0-9a-f]+), "
    r"(?P<fault>.*)$"
)
KVM_NESTED = Path("/sys/module/kvm_intel/parameters/nested")
TIMEOUT_S = 180

UNIT_RE = cp.VTD_UNIT.fill(unit="0")
PCI_EDU_RE = cp.PCI_FUNCTION.fill(vendor="1234", device="11e8")
RESERVED_RE = cp.RESERVED.regex
# The self-test's lines are Plinth's log lines in the test guest's report format (tools/hvabi.py).
SELFTEST_CHECK_RE = re.compile(re.escape(cp.LOG_PREFIX) + hvabi.DMA_SELFTEST_CHECK_RE.pattern)
SELFTEST_SUMMARY_RE = re.compile(re.escape(cp.LOG_PREFIX) + hvabi.DMA_SELFTEST_SUMMARY_RE.pattern)
SELFTEST_INFO_RE = re.compile(re.escape(cp.LOG_PREFIX) + hvabi.DMA_SELFTEST_INFO_RE.pattern)
BLOCKED_ADDR_RE = re.compile(r"write to (?P<addr>0x[0-9a-f]+) \(the host chunk behind Plinth's range\)")
PLINTH_DMA_RE = re.compile(r"write to Plinth's address (?P<addr>0x[0-9a-f]+): no fault, arrived in the VM's RAM")
# edu reaches only the first 256 MiB (dma_selftest.c): with this much RAM the host chunk that
# stands in for Plinth's range (taken from the top of RAM) lies within its reach.
SELFTEST_MEMORY_MIB = 256
FAULT_RE = cp.VTD_FAULT.regex
TRANSLATION_ON_RE = cp.VTD_ENABLED.regex
# VT-d 3.x, 7.1.3: a write that meets a second-level entry without W (not present: no R, no W).
REASON_WRITE_DENIED = 0x5


def qemu_devices(iommu: str | None) -> list[str]:
    return (["-device", iommu] if iommu else []) + ["-device", "edu"]


def qemu_records_ir_faults() -> bool:
    return qemu.version(qemu.QemuEmulator.binary) >= qemu.QEMU_IR_FAULTS_RECORDED_SINCE


def assert_interrupt_checks(out: str, checks: dict[str, tuple[str, str]], edu_bdf: str, cpus: int = 1) -> None:
    """The interrupt part: remapping enabled with compatibility format blocked; edu's MSI through
    its entry arrives with the entry's vector and nothing else; through another requester's entry
    and a removed entry it is blocked; a guest's pair taken by partitions' MSI routing arrives
    through the entry it became, and rewritten for an APIC ID outside the CPUs it is refused, the
    MSI turned off and the entry freed. Each blocked MSI's fault is decoded on the console with
    edu's requester id, the index and the reason by name where QEMU records such faults (8.2 on),
    and none is claimed where it does not. QEMU delivers the compatibility-format MSI (it does not
    model CFI): irq-compat must say exactly that, so the day QEMU blocks it this test notices."""
    enabled = cp.VTD_IR_ENABLED.regex.search(out)
    assert enabled and enabled["format"] == "xAPIC (8-bit)", "no line saying interrupt remapping is enabled"
    assert int(enabled["entries"]) == (256 if cpus == 1 else 512), enabled.group(0)  # 224 vectors per CPU
    for name in IRQ_CHECKS[:-1]:
        assert checks[name][0] == "pass", (name, checks[name])
    remapped = IRQ_REMAPPED_RE.search(checks["irq-remapped"][1])
    assert remapped, checks["irq-remapped"]
    assert int(remapped["addr"], 16) == 0xFEE00010 | int(remapped["index"]) << 5  # remappable format, SHV 0
    faults = {int(m["index"]): m for m in cp.VTD_IR_FAULT.regex.finditer(out)}
    indices = []
    for name in ("irq-wrong-source", "irq-absent", "irq-compat"):
        m = IRQ_BLOCKED_RE.search(checks[name][1])
        assert m, (name, checks[name])
        if name == "irq-compat":
            assert (int(m["addr"], 16), int(m["data"], 16)) == (0xFEE00000, 0xE3), m.group(0)
            assert qemu.QEMU_BLOCKS_COMPAT_FORMAT or (checks[name][0], m["verdict"]) == ("fail", "DELIVERED as"), (
                "QEMU now blocks compatibility-format MSIs: make irq-compat a required pass"
            )
            continue
        assert m["verdict"] == "blocked, no", m.group(0)
        index = int(m["index"]) if m["index"] else (int(m["addr"], 16) >> 5) & 0x7FFF
        indices.append(index)
        reason = IRQ_FAULT_REASONS[name]
        if qemu_records_ir_faults():
            assert m["fault"].startswith(f"fault recorded: reason 0x{reason:x}"), m.group(0)
            fault = faults.get(index)
            assert fault and fault["bdf"] == edu_bdf and int(fault["reason"], 16) == reason, (name, faults)
        else:
            assert m["fault"] == "no fault recorded by the unit", m.group(0)
    assert checks["irq-wrong-source"][1].split(" of requester ")[1].split(" ")[0] != edu_bdf
    assert len(set(indices)) == len(indices), f"two blocked checks used the same entry: {indices}"
    if not qemu_records_ir_faults():
        assert not faults, f"QEMU {qemu.version(qemu.QemuEmulator.binary)} recorded interrupt faults: {faults}"


def selftest_checks(out: str) -> dict[str, tuple[str, str]]:
    """Each self-test check's result and detail: a failure's detail is on its check line, a
    pass's on the info line "NAME: detail" Plinth prints before it."""
    info = dict(m["text"].partition(": ")[::2] for m in SELFTEST_INFO_RE.finditer(out))
    return {m["name"]: (m["result"], m["detail"] or info.get(m["name"], "")) for m in SELFTEST_CHECK_RE.finditer(out)}


def assert_capability_report(out: str) -> None:
    unit = UNIT_RE.search(out)
    assert unit, "no 'vtd: unit 0 at ...: version' line"
    assert int(unit["base"], 16) == QEMU_IOMMU_BASE
    reported = unit_capabilities(out)
    missing = [cap for cap in CAPABILITIES if cap not in reported]
    assert not missing, f"capabilities not reported: {missing}\n{reported}"


def unit_capabilities(out: str) -> dict[str, str]:
    """Unit 0's capability report, by name."""
    return {
        k: v for m in cp.VTD_UNIT_REPORT.fill(unit="0").finditer(out) for k, v in cp.report_items(m["items"]).items()
    }


@pytest.mark.qemu
@pytest.mark.parametrize(
    ("caching_mode", "invalidation"),
    [(False, "queued"), (True, "queued"), (False, "register-based")],
    ids=["cm-off", "cm-on", "register-invalidation"],
)
def test_dma_selftest(boot, target_for, caching_mode: bool, invalidation: str) -> None:
    """The unit is reported by name; edu's DMA through the VM's domain arrives intact; its write
    to the address of Plinth's pool lands in the VM's RAM that stands in for Plinth's range
    (Plinth unchanged, no fault); its write to that stand-in's own host address faults, is
    reported with edu's requester id and the page's address, and changes nothing.
    caching-mode=on makes QEMU cache not-present entries, so it also proves Plinth invalidates
    after making the context entry present. With intremap=on the interrupt part runs too
    (assert_interrupt_checks); with register-based invalidation interrupt remapping stays off,
    since the interrupt entry cache is invalidated only through the queue, and says so."""
    cmdline = "iommu_selftest" + (" vtd_register_invalidation" if invalidation == "register-based" else "")
    emu = boot(
        target_for("qemu", None),
        cmdline=cmdline,
        memory_mib=SELFTEST_MEMORY_MIB,
        extra_args=qemu.intel_iommu_args(intremap=True, caching_mode=caching_mode),
    )
    summary = emu.wait_for(SELFTEST_SUMMARY_RE, timeout=TIMEOUT_S)
    emu.wait_for(re.escape(cp.NO_GUEST), timeout=60)
    out = emu.output

    assert_capability_report(out)
    assert unit_capabilities(out).get("CM") == ("yes" if caching_mode else "no"), "CM not reported as QEMU set it"
    edu = PCI_EDU_RE.search(out)
    assert edu, "edu (1234:11e8) missing from the PCI listing"
    assert f"plinth: dma-selftest: info edu at {edu['bdf']}" in out

    checks = selftest_checks(out)
    irq = invalidation == "queued"
    assert list(checks) == SELFTEST_CHECKS + (IRQ_CHECKS if irq else []), f"checks reported: {list(checks)}"
    assert not hvabi.GUEST_CHECK_RE.search(out) and not hvabi.GUEST_SUMMARY_RE.search(out), "taken for a guest's"
    failed = {name: detail for name, (res, detail) in checks.items() if res != "pass" and name in SELFTEST_CHECKS}
    assert not failed, failed
    passed = sum(res == "pass" for res, _ in checks.values())
    assert (summary["passed"], summary["failed"]) == (str(passed), str(len(checks) - passed))
    enabled = TRANSLATION_ON_RE.search(out)
    assert enabled, "no line saying DMA remapping is enabled"
    assert enabled["invalidation"] == invalidation
    if irq:
        assert cp.VTD_IR_AVAILABLE.regex.search(out), "no line saying interrupt remapping is available"
        assert_interrupt_checks(out, checks, edu["bdf"])
    else:
        off = cp.VTD_IR_OFF.regex.search(out)
        assert off and "vtd_register_invalidation" in off["why"], "interrupt remapping not said to be off"
        assert not cp.VTD_IR_ENABLED.regex.search(out)
        assert re.search(r"plinth: dma-selftest: info no interrupt remapping \(vtd_register_invalidation", out)

    plinth = PLINTH_DMA_RE.search(checks["plinth-dma"][1])
    reserved = RESERVED_RE.search(out)
    assert plinth and reserved, checks["plinth-dma"]
    assert int(reserved["start"], 16) <= int(plinth["addr"], 16) < int(reserved["end"], 16), (
        "the DMA to Plinth's address did not aim at Plinth's range"
    )
    blocked = BLOCKED_ADDR_RE.search(checks["blocked-dma"][1])
    assert blocked, checks["blocked-dma"]
    addr = int(blocked["addr"], 16)
    backing = cp.PLINTH_BACKING.search(out)
    assert backing and int(backing["host_start"], 16) <= addr < int(backing["host_end"], 16), (
        "the blocked DMA did not aim at the host chunk behind Plinth's range"
    )
    faults = [m for m in FAULT_RE.finditer(out) if int(m["addr"], 16) == addr]
    assert faults, f"no fault line for 0x{addr:x}"
    fault = faults[0]
    assert fault["bdf"] == edu["bdf"], f"fault from {fault['bdf']}, edu is {edu['bdf']}"
    assert fault["access"] == "write"
    assert int(fault["reason"], 16) == REASON_WRITE_DENIED, fault.group(0)
    other = [m.group(0) for m in FAULT_RE.finditer(out) if int(m["addr"], 16) != addr]
    assert not other, f"faults besides the blocked write: {other}"


@pytest.mark.qemu
def test_interrupt_remapping_off_without_intremap(boot, target_for) -> None:
    """intremap=off: the DMAR does not announce interrupt remapping, Plinth says so and leaves it
    off, the DMA checks still pass and no interrupt check runs."""
    emu = boot(
        target_for("qemu", None),
        cmdline="iommu_selftest",
        memory_mib=SELFTEST_MEMORY_MIB,
        extra_args=qemu.intel_iommu_args(intremap=False),
    )
    summary = emu.wait_for(SELFTEST_SUMMARY_RE, timeout=TIMEOUT_S)
    out = emu.output
    off = cp.VTD_IR_OFF.regex.search(out)
    assert off and off["why"] == "the DMAR does not announce it (flag INTR_REMAP clear)", off
    assert unit_capabilities(out).get("IR") == "no"
    assert list(selftest_checks(out)) == SELFTEST_CHECKS
    assert (summary["passed"], summary["failed"]) == (str(len(SELFTEST_CHECKS)), "0")
    assert not cp.VTD_IR_ENABLED.regex.search(out)


@pytest.mark.qemu
def test_interrupt_remapping_with_eim(boot, target_for) -> None:
    """A unit with EIM (x-buggy-eim lets TCG offer it) while the CPUs run xAPIC: Plinth keeps the
    xAPIC format, which is what the CPUs understand, and the interrupt checks come out the same.
    Two CPUs: a two-page table (512 entries); edu's MSI aims at the boot CPU, one of the VM's."""
    emu = boot(
        target_for("qemu", None),
        cmdline="iommu_selftest",
        cpus=2,
        memory_mib=SELFTEST_MEMORY_MIB,
        extra_args=["-device", "intel-iommu,intremap=on,eim=on,x-buggy-eim=on", "-device", "edu"],
    )
    emu.wait_for(SELFTEST_SUMMARY_RE, timeout=TIMEOUT_S)
    out = emu.output
    assert unit_capabilities(out).get("EIM") == "yes"
    available = cp.VTD_IR_AVAILABLE.regex.search(out)
    assert available and available["why"] == "the CPUs run xAPIC: 8-bit destinations", available
    edu = PCI_EDU_RE.search(out)
    assert edu
    assert_interrupt_checks(out, selftest_checks(out), edu["bdf"], cpus=2)


@pytest.mark.qemu
def test_ram_above_4gib_is_reached_and_remapped(boot, target_for) -> None:
    """With 6 GiB of RAM, 4 of them above 4 GiB: Plinth's page tables map it all, the chunk
    behind Plinth's range comes from the top of RAM, above 4 GiB, and edu's write to Plinth's
    address lands there (Plinth zeroes, then reads, that RAM beyond the 4 GiB its boot code
    maps). edu cannot reach the chunk's own address: blocked-dma says so, by name."""
    emu = boot(
        target_for("qemu", None), cmdline="iommu_selftest", memory_mib=6144, extra_args=qemu_devices("intel-iommu")
    )
    emu.wait_for(SELFTEST_SUMMARY_RE, timeout=TIMEOUT_S)
    out = emu.output
    tables = cp.HOST_PAGE_TABLES.search(out)
    assert tables, "no line about Plinth's page tables"
    assert int(tables["leaves_1g"]) * 2**30 + int(tables["leaves_2m"]) * 2**21 >= 8 * 2**30, tables.group(0)
    backing = cp.PLINTH_BACKING.search(out)
    assert backing and int(backing["host_start"], 16) >= 4 * 2**30, "the chunk is not above 4 GiB"
    checks = selftest_checks(out)
    landed = re.search(r"arrived in the VM's RAM at host (?P<host>0x[0-9a-f]+)", checks["plinth-dma"][1])
    assert checks["plinth-dma"][0] == "pass" and landed, checks["plinth-dma"]
    assert int(backing["host_start"], 16) <= int(landed["host"], 16) < int(backing["host_end"], 16)
    assert checks["blocked-dma"] == (
        "fail",
        f"page {backing['host_start']} is the VM's, or beyond edu's 256 MiB reach",
    )
    assert cp.FATAL_PREFIX not in out


@pytest.mark.qemu
def test_without_iommu_translation_is_unavailable(boot, target_for, guest: Path) -> None:
    """Without intel-iommu there is no DMAR: Plinth says so, and the self-test says translation
    is unavailable and lets edu do no DMA at all (it would reach Plinth). Plinth's refusal to
    launch a guest without DMA isolation needs VMX, which TCG lacks: see the KVM test."""
    emu = boot(
        target_for("qemu", None),
        cmdline="iommu_selftest",
        modules=[(guest, "checks=cpuid")],
        extra_args=qemu_devices(None),
    )
    emu.wait_for(re.escape(cp.NO_DMAR), timeout=TIMEOUT_S)
    emu.wait_for(r"plinth: dma-selftest: info .*translation.*unavailable", timeout=60)
    emu.wait_for(re.escape(cp.NO_GUEST), timeout=60)
    out = emu.output
    assert not UNIT_RE.search(out), "a VT-d unit reported without a DMAR"
    assert not re.search(r"dma-selftest: check (?:allowed|blocked)-dma", out), "DMA attempted without VT-d"
    assert not SELFTEST_SUMMARY_RE.search(out), "a self-test ran without VT-d"
    assert not TRANSLATION_ON_RE.search(out)


@pytest.mark.qemu
def test_selftest_without_edu(boot, target_for) -> None:
    """No edu device: the self-test says how to add one, does nothing else, and Plinth goes on."""
    emu = boot(target_for("qemu", None), cmdline="iommu_selftest", extra_args=["-device", "intel-iommu"])
    emu.wait_for(re.escape("plinth: dma-selftest: info no edu device (QEMU: -device edu)"), timeout=TIMEOUT_S)
    emu.wait_for(re.escape(cp.NO_GUEST), timeout=60)
    assert not SELFTEST_CHECK_RE.search(emu.output) and not SELFTEST_SUMMARY_RE.search(emu.output)


def kvm_nested_missing() -> str | None:
    """Why the nested-KVM test cannot run here, or None."""
    if not os.path.exists("/dev/kvm"):
        return "/dev/kvm does not exist (no KVM on this host)"
    if not KVM_NESTED.exists() or KVM_NESTED.read_text().strip() not in ("Y", "1"):
        return f"nested VMX is off: {KVM_NESTED} is missing or not Y/1 (needs an Intel host with kvm_intel nested=1)"
    return None


@pytest.mark.kvm
def test_guest_behind_vtd_under_nested_kvm(boot, target_for, guest: Path) -> None:
    """With VMX and VT-d together, the guest runs its checks behind DMA remapping."""
    reason = kvm_nested_missing()
    if reason:
        pytest.skip(reason)
    emu = boot(
        target_for("qemu", "host"),
        modules=[(guest, "checks=cpuid,vmcall,io")],
        accel="kvm",
        extra_args=qemu_devices("intel-iommu"),
    )
    summary = emu.wait_for(hvabi.GUEST_SUMMARY_RE, timeout=TIMEOUT_S)
    out = emu.output
    assert_capability_report(out)
    assert TRANSLATION_ON_RE.search(out), "no line saying DMA remapping is enabled"
    assert summary["failed"] == "0" and int(summary["passed"]) == 3, summary.group(0)
