"""`check-host`: the verdict on fake machines built from fixtures, and on this machine itself.

A fake machine is a directory tree with what check-host reads on Linux: proc/cpuinfo,
proc/cmdline, sys/firmware/acpi/tables/DMAR, sys/class/iommu and sys/kernel/iommu_groups; its MSR
values are a JSON file (--msr-file), since a plain file cannot serve MSRs as the msr driver does
(8 bytes at file offset = MSR number, with neighbouring numbers overlapping). The driver path is
tested on its own with os.pread answering as the driver does. The fixtures are described in
fixtures/hostcheck/README.md.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from construct import Construct
from test_acpi_tables import BAD, ENDPOINT, INCLUDE_PCI_ALL, Q35_IOAPIC_SCOPE, USB, dmar, drhd, rmrr, scope, table

from tools import chipset, hostc, hostcheck, hostcheck_output
from tools.acpi_tables import DMAR_FIXED, parse_dmar
from tools.errors import PlinthError
from tools.hostcheck import MSRS, NO, OPTIONAL, REQUIRED, UNKNOWN, YES
from tools.paths import ROOT

FIXTURES = Path(__file__).parent / "fixtures" / "hostcheck"
QEMU_DMAR = Path(__file__).parent / "fixtures" / "qemu-q35-intel-iommu.dmar"


def msrs(fixture: str = "msrs-haswell.json", **changes: int) -> dict[int, int]:
    """A fixture's MSR values, with some replaced (by MSR name)."""
    values = hostcheck.load_msr_file(FIXTURES / fixture).values
    return values | {MSRS[name]: value for name, value in changes.items()}


def register(layout: Construct, **fields: Any) -> int:
    """A register value built with its construct layout from named fields (the rest 0)."""
    value = layout.parse(bytes(8))
    value.update(fields)
    return int.from_bytes(layout.build(value), "little")


# A remapping unit as Linux shows it: 39- and 48-bit tables, 2M pages, 256 domains, QI, IR.
UNIT_CAP = register(
    hostcheck.VTD_CAP, CAP_ND=2, CAP_SAGAW=0b110, CAP_MGAW=47, CAP_FRO=0x22, CAP_SLLPS=1, CAP_PSI=True, CAP_NFR=7
)
UNIT_ECAP = register(hostcheck.VTD_ECAP, ECAP_QI=True, ECAP_IR=True, ECAP_PT=True, ECAP_IRO=0x20)


def bridge_config(vendor: int, device: int, registers: dict[int, int] | None = None) -> bytes:
    """A host bridge's configuration space as root reads it from sysfs: its ids, some bytes set."""
    data = bytearray(256)
    data[0:4] = vendor.to_bytes(2, "little") + device.to_bytes(2, "little")
    for offset, value in (registers or {}).items():
        data[offset] = value
    return bytes(data)


# Bochs's 440FX as its BIOS leaves it: SMRAM closed, G_SMRAME, locked (0x1a).
I440FX_LOCKED = bridge_config(0x8086, 0x1237, {0x72: chipset.D_LCK | chipset.G_SMRAME | 2})


def fake_host(
    root: Path,
    cpuinfo: str = "cpuinfo-intel-haswell.txt",
    msr_values: dict[int, int] | None = None,
    dmar_table: bytes | None = None,
    linux_units: dict[str, tuple[int, int, int]] | None = None,
    groups: int = 0,
    cmdline: str = "quiet",
    host_bridge: bytes | None = I440FX_LOCKED,
) -> Path:
    """A machine tree under root; cpuinfo names a fixture or is the text itself; host_bridge is
    the configuration space of PCI 00:00.0 as sysfs gives it."""
    (root / "proc").mkdir(parents=True)
    text = (FIXTURES / cpuinfo).read_text() if cpuinfo.endswith(".txt") else cpuinfo
    (root / "proc" / "cpuinfo").write_text(text)
    (root / "proc" / "cmdline").write_text(cmdline + "\n")
    if msr_values is not None:
        doc = {"msrs": {f"0x{number:x}": f"0x{value:x}" for number, value in msr_values.items()}}
        (root / "msrs.json").write_text(json.dumps(doc))
    tables = root / "sys" / "firmware" / "acpi" / "tables"
    tables.mkdir(parents=True)
    if dmar_table is not None:
        (tables / "DMAR").write_bytes(dmar_table)
    (root / "sys" / "class" / "iommu").mkdir(parents=True)
    for name, (address, cap, ecap) in (linux_units or {}).items():
        regs = root / "sys" / "class" / "iommu" / name / "intel-iommu"
        regs.mkdir(parents=True)
        for attr, value in (
            ("address", f"{address:x}"),
            ("cap", f"{cap:x}"),
            ("ecap", f"{ecap:x}"),
            ("version", "1:0"),
        ):
            (regs / attr).write_text(value + "\n")
    for group in range(groups):
        devices = root / "sys" / "kernel" / "iommu_groups" / str(group) / "devices"
        devices.mkdir(parents=True)
        (devices / f"0000:00:{group:02x}.0").touch()
    if host_bridge is not None:
        bridge = root / "sys" / "bus" / "pci" / "devices" / "0000:00:00.0"
        bridge.mkdir(parents=True)
        (bridge / "config").write_bytes(host_bridge)
    return root


def capable_host(root: Path, **kw: Any) -> Path:
    """The Haswell fixture with QEMU's DMAR, its one unit driven by Linux (intel_iommu=on)."""
    args: dict[str, Any] = {
        "msr_values": msrs(),
        "dmar_table": QEMU_DMAR.read_bytes(),
        "linux_units": {"dmar0": (0xFED90000, UNIT_CAP, UNIT_ECAP)},
        "groups": 7,
        "cmdline": "quiet intel_iommu=on",
    }
    return fake_host(root, **(args | kw))


def check(root: Path, **kw: Any) -> hostcheck.Report:
    """check-host on a fake machine, with its MSR file when it has one."""
    msr_file = root / "msrs.json"
    return hostcheck.check_host(root, msr_file=msr_file if msr_file.is_file() else None, **kw)


def row(report: hostcheck.Report, check: str) -> hostcheck.Row:
    return next(r for r in report.rows if r.check == check)


def feature(report: hostcheck.Report, name: str) -> hostcheck.Feature:
    return next(f for f in report.features if f.name == name)


# --- Fake machines ---


def test_capable_intel_host(tmp_path: Path) -> None:
    """The Haswell MSRs through the msr device, QEMU's DMAR and a unit Linux drives: Plinth runs."""
    report = check(capable_host(tmp_path))
    assert report.status == 0, report.rows
    assert [r.status for r in report.rows] == [YES] * 8, report.rows
    assert report.summary == "This host can run Plinth."
    assert row(report, "VT-d remapping units").detail == (
        "1 usable; Plinth would use 4-level (48-bit) tables with 2M large pages"
    )
    assert all(f.status == YES for f in report.features if f.need in (REQUIRED, OPTIONAL)), report.features
    assert feature(report, "VMCS region fits in 4 KiB").detail == "4096 bytes"
    assert report.msrs is not None and report.msrs.source == str(tmp_path / "msrs.json")
    unit = report.units[0]
    assert (unit.base, unit.version, unit.cap, unit.ecap) == (0xFED90000, "1.0", UNIT_CAP, UNIT_ECAP)
    assert unit.source == str(tmp_path / "sys" / "class" / "iommu" / "dmar0")
    text = hostcheck_output.render(report)
    for section in (
        "CPU",
        "VMX features",
        "VT-d units",
        "VT-d interrupt remapping",
        "IOMMU state (Linux)",
        "SMRAM",
        "Verdict",
    ):
        assert f"\n{section}\n" in f"\n{text}", section
    assert "GenuineIntel" in text and "Intel(R) Core(TM) i7-4770" in text
    assert "SAGAW 0x6 (39-bit 3-level, 48-bit 4-level), MGAW 48, ND 2 (256 domains)" in text
    assert "fault records 8 at 0x220, IOTLB registers at 0x200, C no, QI yes, IR yes" in text
    assert "scope: ioapic 0 at ff:00.0, endpoint 00:00.0" in text
    assert "7 groups, 7 devices" in text and "intel_iommu=on" in text


def msr_driver(monkeypatch: pytest.MonkeyPatch, root: Path, values: dict[int, int]) -> Path:
    """Makes root/dev/cpu/0/msr answer as Linux's msr driver: pread(fd, 8, number) gives the MSR,
    an MSR the CPU lacks fails with EIO."""
    device = root / "dev" / "cpu" / "0" / "msr"
    device.parent.mkdir(parents=True)
    device.touch()
    real_pread = os.pread

    def pread(fd: int, size: int, offset: int) -> bytes:
        if os.readlink(f"/proc/self/fd/{fd}") != str(device):
            return real_pread(fd, size, offset)
        if size != 8 or offset not in values:
            raise OSError(5, "Input/output error")
        return values[offset].to_bytes(8, "little")

    monkeypatch.setattr(hostcheck.os, "pread", pread)
    return device


def test_msrs_through_the_driver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The msr device gives the same features as --msr-file with the same values; MSRs that
    fail to read (EIO) are left out; --save-msrs writes what --msr-file reads back."""
    values = msrs()
    del values[MSRS["IA32_VMX_PINBASED_CTLS"]]
    root = capable_host(tmp_path / "host", msr_values=None)
    device = msr_driver(monkeypatch, root, values)
    from_device = hostcheck.check_host(root)
    assert from_device.msrs is not None and from_device.msrs.source == str(device)
    assert from_device.msrs.values == values
    from_file = check(capable_host(tmp_path / "other", msr_values=values))
    assert from_device.features == from_file.features and from_device.status == 0
    saved = tmp_path / "saved.json"
    hostcheck.save_msr_file(from_device, saved)
    assert hostcheck.load_msr_file(saved).values == values
    assert json.loads(saved.read_text())["source"] == (
        f"check-host on GenuineIntel (Intel(R) Core(TM) i7-4770 CPU @ 3.40GHz) from {device}"
    )


def test_host_with_vtd_off(tmp_path: Path) -> None:
    """No DMAR table: VT-d is off in the firmware, and Plinth refuses guests without it."""
    report = check(fake_host(tmp_path, msr_values=msrs()))
    assert report.status == 1
    vtd = row(report, "VT-d (DMAR table)")
    assert (vtd.status, vtd.remedy) == (NO, "VT-d is off: enable it in firmware")
    assert all(r.status == YES for r in report.rows if r is not vtd)
    assert report.summary.startswith("Plinth cannot run on this host: VT-d (DMAR table): no DMAR table")
    assert report.summary.endswith("; remedy: VT-d is off: enable it in firmware.")
    assert "remedy: VT-d is off: enable it in firmware" in hostcheck_output.render(report)


def test_feature_control_locked_off(tmp_path: Path) -> None:
    """IA32_FEATURE_CONTROL 0x1 (locked, VMX off): VMXON would fault; the firmware must enable VT-x.
    Linux hides the vmx flag then, so the fixture's cpuinfo loses it too."""
    cpuinfo = re.sub(r" vmx | ?vmx flags\t: .*\n", " ", (FIXTURES / "cpuinfo-intel-haswell.txt").read_text())
    root = fake_host(
        tmp_path, cpuinfo=cpuinfo, msr_values=msrs("msrs-vmx-locked-off.json"), dmar_table=QEMU_DMAR.read_bytes()
    )
    report = check(root)
    assert report.status == 1
    fc = row(report, "VMX enabled in IA32_FEATURE_CONTROL")
    assert fc.status == NO and "locked by the firmware with VMX outside SMX off (0x1)" in fc.detail
    assert fc.remedy == "enable VT-x in firmware setup"
    assert row(report, "Intel CPU with VT-x").status == YES  # the MSRs show the CPU has VMX
    assert report.summary == (
        "Plinth cannot run on this host: VMX enabled in IA32_FEATURE_CONTROL: locked by the "
        "firmware with VMX outside SMX off (0x1); remedy: enable VT-x in firmware setup."
    )


def test_feature_control_unlocked_is_fine(tmp_path: Path) -> None:
    report = check(capable_host(tmp_path, msr_values=msrs(IA32_FEATURE_CONTROL=0)))
    assert report.status == 0
    assert "Plinth sets VMX on and locks it" in row(report, "VMX enabled in IA32_FEATURE_CONTROL").detail


def test_missing_requirement_is_named(tmp_path: Path) -> None:
    """A CPU without unrestricted guest (allowed-1 bit 7 of PROCBASED_CTLS2) cannot run Plinth."""
    proc2 = msrs()[MSRS["IA32_VMX_PROCBASED_CTLS2"]] & ~(1 << (32 + 7))
    report = check(capable_host(tmp_path, msr_values=msrs(IA32_VMX_PROCBASED_CTLS2=proc2)))
    assert report.status == 1
    assert row(report, "VMX capabilities Plinth requires").detail == "missing: unrestricted guest"


def test_true_controls_are_used_when_vmx_basic_says_so(tmp_path: Path) -> None:
    """With VMX_BASIC bit 55 the TRUE_* MSRs decide, without it the plain ones (as in vmx_detect):
    MSR bitmaps offered only in the TRUE MSR count only when the TRUE MSRs are in use."""
    plain = msrs()[MSRS["IA32_VMX_PROCBASED_CTLS"]] & ~(1 << (32 + 28))
    with_true = hostcheck.decode_vmx(msrs(IA32_VMX_PROCBASED_CTLS=plain))
    basic = msrs()[MSRS["IA32_VMX_BASIC"]] & ~(1 << 55)
    without_true = hostcheck.decode_vmx(msrs(IA32_VMX_PROCBASED_CTLS=plain, IA32_VMX_BASIC=basic))
    assert next(f for f in with_true if f.name == "MSR bitmaps").status == YES
    assert next(f for f in without_true if f.name == "MSR bitmaps").status == NO


def test_without_vpid_invvpid_is_not_required(tmp_path: Path) -> None:
    """No VPID: INVVPID is not needed (vmx_detect only warns); the host runs, with the TLB note."""
    proc2 = msrs()[MSRS["IA32_VMX_PROCBASED_CTLS2"]] & ~(1 << (32 + 5))
    ept = msrs()[MSRS["IA32_VMX_EPT_VPID_CAP"]] & ~(0xF01 << 32)
    report = check(capable_host(tmp_path, msr_values=msrs(IA32_VMX_PROCBASED_CTLS2=proc2, IA32_VMX_EPT_VPID_CAP=ept)))
    assert report.status == 0, report.rows
    assert feature(report, hostcheck.INVVPID_REQUIRED) == hostcheck.Feature(
        hostcheck.INVVPID_REQUIRED, NO, "not needed: VPID is not offered", OPTIONAL
    )
    assert "VPID (without it every VM exit and entry flushes the TLB)" in report.summary


def test_secondary_controls_absent_means_no_ept(tmp_path: Path) -> None:
    """Without "activate secondary controls" PROCBASED_CTLS2 and EPT_VPID_CAP do not exist and
    are not consulted, even if something answers at their numbers."""
    proc = msrs()[MSRS["IA32_VMX_TRUE_PROCBASED_CTLS"]] & ~(1 << 63)
    features = {f.name: f.status for f in hostcheck.decode_vmx(msrs(IA32_VMX_TRUE_PROCBASED_CTLS=proc))}
    assert features["secondary processor-based controls"] == NO
    assert features["EPT"] == features["unrestricted guest"] == features["EPT 4-level page walk"] == NO


def test_without_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As an ordinary user: the msr device and the DMAR are root's. What Linux shows everyone
    (cpuinfo's vmx flags, the unit's registers in sysfs) is still reported; the rest is unknown,
    with the remedy, and the exit status says "not all checked"."""
    root = capable_host(tmp_path)
    real_open, real_read = os.open, Path.read_bytes

    def root_only_open(path: Any, *args: Any) -> int:
        if str(path).endswith("/msr"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args)

    def root_only_read(path: Path) -> bytes:
        if path.name == "DMAR":
            raise PermissionError(13, "Permission denied")
        return real_read(path)

    monkeypatch.setattr(hostcheck.os, "open", root_only_open)
    monkeypatch.setattr(hostcheck.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(Path, "read_bytes", root_only_read)
    report = hostcheck.check_host(root)
    assert report.status == 2, report.rows
    assert report.summary.startswith("Could not check everything Plinth requires (VMX capabilities Plinth requires)")
    assert report.summary.endswith(": run check-host as root.")
    assert feature(report, "EPT") == hostcheck.Feature("EPT", YES, "from /proc/cpuinfo vmx flags", REQUIRED)
    assert feature(report, "MSR bitmaps").status == UNKNOWN
    assert row(report, "VMX enabled in IA32_FEATURE_CONTROL").status == YES  # Linux kept the vmx flag
    assert row(report, "VT-d (DMAR table)").status == YES  # Linux drives dmar0
    assert report.units[0].cap == UNIT_CAP
    assert "not read: " in hostcheck_output.render(report) and "is readable only by root" in hostcheck_output.render(
        report
    )


def test_without_the_msr_module(tmp_path: Path) -> None:
    report = check(capable_host(tmp_path, msr_values=None))
    assert report.status == 2
    assert row(report, "VMX capabilities Plinth requires").remedy == "load the msr module (modprobe msr)"


def test_amd_host(tmp_path: Path) -> None:
    """An AMD CPU: Plinth needs Intel VT-x; no Intel MSR is read (there is no msr device here)."""
    report = check(fake_host(tmp_path, cpuinfo="cpuinfo-amd-epyc.txt"))
    assert report.status == 1 and report.msrs is None and report.features == []
    assert report.summary.startswith(
        "Plinth cannot run on this host: Plinth needs Intel VT-x; this CPU is "
        "AuthenticAMD (AMD EPYC), and Plinth does not support AMD-V (SVM)."
    )
    assert "not checked: VMX is Intel's" in hostcheck_output.render(report)


# --- SMRAM ---


def test_smram_locked_by_the_firmware(tmp_path: Path) -> None:
    report = check(capable_host(tmp_path))
    smram = row(report, hostcheck.SMRAM_CHECK)
    assert smram.status == YES
    assert smram.detail == "Intel 440FX PMC 8086:1237, SMRAM control 0x1a at 0x72: locked by the firmware"
    assert "SMRAM control 0x1a at 0x72: locked (D_OPEN 0, D_CLS 0, D_LCK 1, G_SMRAME 1)" in hostcheck_output.render(
        report
    )


@pytest.mark.parametrize("value, state", [(0x0A, "closed but unlocked"), (0x4A, "open and unlocked")])
def test_smram_left_unlocked_is_locked_by_plinth(tmp_path: Path, value: int, state: str) -> None:
    """Unlocked by the firmware on a bridge Plinth knows: Plinth locks it at boot (smram.c)."""
    report = check(capable_host(tmp_path, host_bridge=bridge_config(0x8086, 0x1237, {0x72: value})))
    smram = row(report, hostcheck.SMRAM_CHECK)
    assert smram.status == YES and report.status == 0
    assert smram.detail.endswith(f": {state} by the firmware; Plinth locks it at boot, before any guest runs")


def test_smram_of_q35_is_at_its_own_offset(tmp_path: Path) -> None:
    config = bridge_config(0x8086, 0x29C0, {0x72: 0, 0x9D: chipset.D_LCK | chipset.G_SMRAME | 2})
    smram = row(check(capable_host(tmp_path, host_bridge=config)), hostcheck.SMRAM_CHECK)
    assert smram.detail == "Intel Q35 MCH 8086:29c0, SMRAM control 0x1a at 0x9d: locked by the firmware"


def test_smram_without_root(tmp_path: Path) -> None:
    """Others than root read 64 bytes of configuration space: the ids, not the SMRAM control."""
    report = check(capable_host(tmp_path, host_bridge=I440FX_LOCKED[:64]))
    smram = row(report, hostcheck.SMRAM_CHECK)
    assert (smram.status, smram.remedy) == (UNKNOWN, "run check-host as root")
    assert "readable only by root beyond its first 64 bytes" in smram.detail
    assert report.status == 0
    assert report.summary == f"This host can run Plinth. Not checked: {hostcheck.SMRAM_CHECK}."


def test_smram_of_a_bridge_plinth_does_not_know(tmp_path: Path) -> None:
    report = check(capable_host(tmp_path, host_bridge=bridge_config(0x8086, 0x3E0F, {0x88: 0x1A})))
    smram = row(report, hostcheck.SMRAM_CHECK)
    assert smram.status == UNKNOWN and report.status == 0
    assert smram.detail.startswith("host bridge 8086:3e0f is not one Plinth knows (tools/chipset.py)")
    assert "the firmware must have locked SMRAM" in smram.detail and "tools/chipset.py" in smram.remedy


def test_smram_without_a_host_bridge_in_sysfs(tmp_path: Path) -> None:
    smram = row(check(capable_host(tmp_path, host_bridge=None)), hostcheck.SMRAM_CHECK)
    assert smram.status == UNKNOWN and "0000:00:00.0/config does not read" in smram.detail


def test_smram_not_looked_for_on_amd(tmp_path: Path) -> None:
    report = check(fake_host(tmp_path, cpuinfo="cpuinfo-amd-epyc.txt", host_bridge=I440FX_LOCKED))
    assert report.smram is None and all(r.check != hostcheck.SMRAM_CHECK for r in report.rows)


def test_intel_vm_without_nested_vmx(tmp_path: Path) -> None:
    """An Intel guest whose hypervisor hides VMX: the MSRs answer but IA32_VMX_BASIC does not."""
    cpuinfo = (FIXTURES / "cpuinfo-intel-haswell.txt").read_text().replace(" vmx ", " hypervisor ")
    values = {MSRS["IA32_FEATURE_CONTROL"]: 0x1}
    report = check(fake_host(tmp_path, cpuinfo=cpuinfo, msr_values=values))
    cpu = row(report, "Intel CPU with VT-x")
    assert cpu.status == NO and "has no VMX (IA32_VMX_BASIC does not read)" in cpu.detail
    assert cpu.remedy == "enable nested VT-x in the hypervisor this machine runs under"
    assert "QEMU -device intel-iommu" in row(report, "VT-d (DMAR table)").remedy


def test_cpu_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(PlinthError, match="there is no CPU 5: this machine has CPUs 0 to 1"):
        check(capable_host(tmp_path), cpu=5)


# --- VT-d units ---


def test_qemu_dmar() -> None:
    """QEMU's DMAR: one unit at 0xfed90000 naming the IOAPIC and the root-bus devices, no RMRR."""
    table = parse_dmar(QEMU_DMAR.read_bytes())
    assert table.error is None and table.warnings == []
    assert (table.host_address_width, table.flags, table.oem_id) == (39, 1, "BOCHS")
    assert [(u.base, u.flags) for u in table.drhds] == [(0xFED90000, 0)] and table.rmrrs == []
    assert [str(s) for s in table.drhds[0].scopes][:2] == ["ioapic 0 at ff:00.0", "endpoint 00:00.0"]


def test_registers_through_dev_mem(tmp_path: Path) -> None:
    """Units Linux does not drive: root reads VER/CAP/ECAP through /dev/mem; a unit whose page
    cannot be mapped is "not readable", and one above 4 GiB is skipped as Plinth skips it."""
    table = dmar(
        [
            drhd(0, 0x2000, [scope(ENDPOINT, 0, 0, [(2, 0)])]),
            drhd(0, 0x8000, []),
            drhd(INCLUDE_PCI_ALL, 0x1_0000_0000, [Q35_IOAPIC_SCOPE]),
        ]
    )
    root = fake_host(tmp_path, msr_values=msrs(), dmar_table=table)
    (root / "dev").mkdir()
    mem = bytearray(0x3000)
    mem[0x2000:0x2018] = (0x10).to_bytes(8, "little") + UNIT_CAP.to_bytes(8, "little") + UNIT_ECAP.to_bytes(8, "little")
    (root / "dev" / "mem").write_bytes(mem)
    report = check(root)
    first, second, high = report.units
    assert (first.version, first.cap, first.ecap, first.source) == (
        "1.0",
        UNIT_CAP,
        UNIT_ECAP,
        str(root / "dev" / "mem"),
    )
    assert second.cap is None and second.source.startswith("not readable")
    assert high.base == 0x1_0000_0000
    units = row(report, "VT-d remapping units")
    assert units.status == YES
    assert units.detail == "2 usable, 1 above 4 GiB skipped; registers of 1 not readable, not checked"


def test_units_without_a_common_table_format(tmp_path: Path) -> None:
    """One unit walks only 3-level tables, the other only 4-level: vtd_init() gives up."""
    only39 = register(hostcheck.VTD_CAP, CAP_SAGAW=0b010)
    only48 = register(hostcheck.VTD_CAP, CAP_SAGAW=0b100)
    table = dmar([drhd(0, 0xFED90000, [scope(ENDPOINT, 0, 0, [(2, 0)])]), drhd(INCLUDE_PCI_ALL, 0xFED91000, [])])
    root = fake_host(
        tmp_path,
        msr_values=msrs(),
        dmar_table=table,
        linux_units={"dmar0": (0xFED90000, only39, 0), "dmar1": (0xFED91000, only48, 0)},
    )
    report = check(root)
    assert report.status == 1
    assert (
        row(report, "VT-d remapping units").detail == "the units share neither 3-level nor 4-level second-level tables"
    )


def test_only_units_above_4gib(tmp_path: Path) -> None:
    table = dmar([drhd(INCLUDE_PCI_ALL, 0x2_0000_0000, [Q35_IOAPIC_SCOPE])])
    report = check(fake_host(tmp_path, msr_values=msrs(), dmar_table=table))
    assert row(report, "VT-d remapping units") == hostcheck.Row(
        "VT-d remapping units", REQUIRED, NO, "no unit below 4 GiB, where Plinth maps them"
    )


ONE_UNIT = drhd(INCLUDE_PCI_ALL, 0xFED90000, [Q35_IOAPIC_SCOPE])
MALFORMED = {
    # The corrupt DMARs Plinth's C parser is tested with (test_acpi_tables.py), same messages.
    **{name: (data, message) for name, (data, message) in BAD.items() if not name.startswith("madt")},
    "empty-file": (b"", "DMAR offset 0x0: 0 bytes, shorter than the 36-byte table header"),
    "not-a-dmar": (table(b"APIC", bytes(12)), 'DMAR offset 0x0: signature "APIC" is not DMAR'),
    "file-shorter-than-length": (dmar([ONE_UNIT])[:-8], "DMAR offset 0x4: length 72 runs past the 64 bytes"),
    "header-only": (table(b"DMAR", b""), "DMAR offset 0x4: length 36 below the 48-byte fixed part"),
    "host-address-width-65": (
        table(b"DMAR", DMAR_FIXED.build({"host_address_width": 64, "flags": 0})),
        "DMAR offset 0x24: host address width field 64 means more than 64 bits",
    ),
    "structure-length-0": (dmar([bytes(4)]), "DMAR offset 0x30: DRHD (type 0) has length 0, below its 4-byte header"),
    "drhd-base-0": (dmar([drhd(0, 0, [])]), "DMAR offset 0x30: DRHD register base 0x0 is not a non-zero"),
    "drhd-base-unaligned": (dmar([drhd(0, 0xFED90800, [])]), "DRHD register base 0xfed90800 is not a non-zero"),
    "scope-device-32": (
        dmar([drhd(0, 0xFED90000, [scope(ENDPOINT, 0, 0, [(32, 0)])])]),
        "DMAR offset 0x40: DRHD device scope path entry 0 is 20.0, beyond device 31 function 7",
    ),
    "scope-past-drhd": (
        dmar([drhd(0, 0xFED90000, [scope(ENDPOINT, 0, 0, [(2, 0)], length=10)])]),
        "DMAR offset 0x40: DRHD device scope of 10 bytes runs past the DRHD's end (8 bytes left)",
    ),
    "rmrr-too-short": (
        dmar([ONE_UNIT, rmrr(0x7D000000, 0x7D01FFFF, [])[:20]]),
        "DMAR offset 0x48: RMRR (type 1) of 24 bytes runs past the table's end (20 bytes left)",
    ),
    "structure-header-cut": (
        dmar([ONE_UNIT, b"\x01\x00"]),
        "DMAR offset 0x48: structure header cut off by the table's end (2 bytes left)",
    ),
}


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_dmar(name: str, tmp_path: Path) -> None:
    """A DMAR Plinth would reject: the problem is named with its offset, as Plinth names it, and
    the verdict says Plinth rejects the table."""
    data, message = MALFORMED[name]
    table = parse_dmar(data)
    assert table.error is not None and message in table.error, table.error
    report = check(fake_host(tmp_path, msr_values=msrs(), dmar_table=data))
    vtd = row(report, "VT-d (DMAR table)")
    assert vtd.status == NO and vtd.detail == f"Plinth rejects this table: {table.error}"
    assert report.status == 1
    assert f"error: {table.error}" in hostcheck_output.render(report)


def test_dmar_warnings_do_not_reject() -> None:
    """An RMRR naming no device and a unit after its segment's INCLUDE_PCI_ALL unit are warnings.
    Plinth keeps the first warning of a table, so check-host shows that one."""
    late_unit = parse_dmar(dmar([ONE_UNIT, drhd(0, 0xFED91000, [scope(ENDPOINT, 0, 0, [(2, 0)])])]))
    assert late_unit.error is None and [u.base for u in late_unit.drhds] == [0xFED90000, 0xFED91000]
    assert late_unit.warnings == [
        "DMAR offset 0x48: DRHD for segment 0 follows that segment's INCLUDE_PCI_ALL unit, which must come last"
    ]
    table = parse_dmar(dmar([ONE_UNIT, rmrr(0x7D000000, 0x7D01FFFF, []), rmrr(0x7E000000, 0x7E000FFF, [USB])]))
    assert table.error is None
    assert table.warnings == ["DMAR offset 0x48: RMRR 0x7d000000-0x7d01ffff names no device"]
    assert [(r.base, [str(s) for s in r.scopes]) for r in table.rmrrs] == [
        (0x7D000000, []),
        (0x7E000000, ["endpoint 00:14.0"]),
    ]


def test_without_gcc_the_dmar_is_not_checked_and_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """check-host builds Plinth's DMAR parser with the host gcc; without gcc (and no parser
    built before) the DMAR row is unknown with the remedy, and the rest is still judged."""
    monkeypatch.setattr(hostc, "HOST_BUILD", tmp_path / "host")
    monkeypatch.setattr(hostc.shutil, "which", lambda name: None)
    report = check(fake_host(tmp_path / "root", msr_values=msrs(), dmar_table=dmar([ONE_UNIT])))
    vtd = row(report, "VT-d (DMAR table)")
    assert vtd.status == UNKNOWN and "the host gcc is not installed" in vtd.detail
    assert vtd.remedy == "install gcc (sudo apt-get install gcc libc6-dev)"
    assert report.status == 2 and row(report, "VMX capabilities Plinth requires").status == YES
    assert "not parsed: the host gcc is not installed" in hostcheck_output.render(report)


def test_a_moved_parser_source_is_one_sentence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(hostc.SOURCE_GROUPS, "acpi-parser", ("hypervisor/arch/x86/no_such_dmar.c",))
    with pytest.raises(PlinthError) as err:
        hostc.acpi_table_file(tmp_path)
    assert str(err.value) == (
        "the C source hypervisor/arch/x86/no_such_dmar.c does not exist: fix its path in tools/hostc.py "
        "(or the sources line naming it)."
    )


# --- The command ---


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.cli", "check-host", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        timeout=60,
    )


def test_this_machine() -> None:
    """check-host on the machine the tests run on, with its real /proc/cpuinfo. The test machine
    is an AMD CPU without VMX, where the verdict must say plainly that Plinth cannot run; on an
    Intel machine the verdict must at least name the vendor and agree with its exit status."""
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.is_file():
        pytest.skip("this machine has no /proc/cpuinfo (not Linux?)")
    vendor = hostcheck.read_cpuinfo(Path("/proc")).vendor
    result = run()
    assert "Traceback" not in result.stderr, result.stderr
    verdict = result.stdout.strip().splitlines()[-1]
    assert vendor in result.stdout
    if vendor != "GenuineIntel":
        assert result.returncode == 1, result.stdout
        assert verdict.startswith(f"Plinth cannot run on this host: Plinth needs Intel VT-x; this CPU is {vendor}"), (
            verdict
        )
    else:
        expected = {0: "This host can run Plinth.", 1: "Plinth cannot run", 2: "Could not check"}
        assert verdict.startswith(expected[result.returncode]), verdict


def test_json_output(tmp_path: Path) -> None:
    root = capable_host(tmp_path)
    result = run("--json", "--root", str(root), "--msr-file", str(root / "msrs.json"))
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["status"] == 0 and doc["summary"] == "This host can run Plinth."
    assert doc["msrs"]["values"]["IA32_VMX_EPT_VPID_CAP"] == "0x00000f0106334141"
    assert {
        "check": "VT-d (DMAR table)",
        "need": "required",
        "status": "yes",
        "detail": "1 remapping unit(s), host address width 39",
        "remedy": "",
    } in doc["rows"]
    assert doc["dmar"]["dmar"]["drhds"][0]["base"] == 0xFED90000


@pytest.mark.parametrize(
    "args, message",
    [
        (["--root", "/nonexistent/plinth-root"], "--root /nonexistent/plinth-root is not a directory."),
        (["--msr-file", "/nonexistent/msrs.json"], "cannot read the MSR file /nonexistent/msrs.json: No such file"),
        (["--msr-file", "BAD-JSON"], "is not JSON"),
        (["--msr-file", "BAD-NAME"], "\"IA32_NOPE\": '0x1'; names are those of tools/vmxcaps.py"),
        (
            ["--root", "AMD-HOST", "--save-msrs", "SAVED"],
            "/saved.json: this CPU is AuthenticAMD (AMD EPYC), not Intel.",
        ),
    ],
)
def test_user_mistakes_are_one_sentence(args: list[str], message: str, tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "name.json").write_text('{"msrs": {"IA32_NOPE": "0x1"}}')
    names = {
        "BAD-JSON": str(tmp_path / "bad.json"),
        "BAD-NAME": str(tmp_path / "name.json"),
        "AMD-HOST": str(fake_host(tmp_path / "amd", cpuinfo="cpuinfo-amd-epyc.txt")),
        "SAVED": str(tmp_path / "saved.json"),
    }
    result = run(*[names.get(a, a) for a in args])
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("==> error: ") and message in lines[0], result.stderr
