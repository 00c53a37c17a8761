"""`tools/plinth check-host`'s output: the report for people (render) and for programs (to_json),
from what tools/hostcheck.py read and judged."""

from __future__ import annotations

import json
from dataclasses import asdict

from tools import chipset, hostcheck_ir
from tools.acpi_tables import DMAR_INTR_REMAP
from tools.hostcheck import MSR_NAMES, MSRS, NO, VMX_BASIC, Report, _decode, describe_vtd


def _cpu_section(r: Report) -> list[str]:
    c = r.cpu
    if c.problem and not c.vendor:
        return [f"  {c.problem}"]
    lines = [
        f"  vendor      {c.vendor}",
        f"  model       {c.model_name} (family {c.family}, model {c.model}, stepping {c.stepping})",
        f"  CPUs        {c.count}",
        f"  VMX flag    {'yes' if 'vmx' in c.flags else 'no'} (CPUID.1:ECX.VMX as /proc/cpuinfo shows it)",
    ]
    if "hypervisor" in c.flags:
        lines.append("  hypervisor  yes: this Linux runs in a virtual machine (Plinth would need nested VT-x)")
    if r.msrs is not None:
        lines.append(
            f"  MSRs        {'read from ' + r.msrs.source if r.msrs.values else 'not read: ' + r.msrs.problem}"
        )
    return lines


def _vmx_section(r: Report) -> list[str]:
    if r.msrs is None:
        return [f"  not checked: VMX is Intel's; this CPU is {r.cpu.describe()}"]
    basic = r.msrs.values.get(MSRS["IA32_VMX_BASIC"])
    lines = (
        []
        if basic is None
        else [f"  IA32_VMX_BASIC 0x{basic:016x}: VMCS revision 0x{_decode(VMX_BASIC, basic).VMX_BASIC_REVISION:x}"]
    )
    width = max(len(f.name) for f in r.features)
    for f in r.features:
        status = {NO: "NO"}.get(f.status, f.status)
        lines.append(f"  {f.need:<8}  {status:<7}  {f.name:<{width}}  {f.detail}".rstrip())
    return lines


def _vtd_section(r: Report) -> list[str]:
    d = r.dmar
    if d.state != "present" or d.dmar is None:
        lines = [
            f"  {d.path}: "
            + {
                "absent": "no such table",
                "unreadable": "readable only by root",
                "unparsed": f"not parsed: {d.problem}",
                "no-acpi": "no ACPI tables in sysfs",
            }[d.state]
        ]
    else:
        t = d.dmar
        lines = [
            f"  {d.path}: {t.length} bytes from {t.oem_id} {t.oem_table_id}, host address width "
            f"{t.host_address_width}, interrupt remapping {'announced' if t.flags & DMAR_INTR_REMAP else 'not announced'}"
        ]
        if t.error:
            lines.append(f"  error: {t.error}")
        lines += [f"  warning: {w}" for w in t.warnings]
    for i, u in enumerate(r.units):
        where = (
            ""
            if u.drhd is None
            else (
                f", segment {u.drhd.segment}"
                + (", all devices not named by another unit" if u.drhd.include_pci_all else "")
            )
        )
        lines.append(f"  unit {i} at 0x{u.base:x}{where}")
        if u.cap is not None and u.ecap is not None:
            lines += [f"    registers from {u.source}: version {u.version}"]
            lines += [f"    {line}" for line in describe_vtd(u.cap, u.ecap)]
        else:
            lines.append(f"    capability registers {u.source}")
        if u.drhd is not None and u.drhd.scopes:
            lines.append(f"    scope: {', '.join(str(s) for s in u.drhd.scopes)}")
    for m in d.dmar.rmrrs if d.dmar else []:
        lines.append(f"  RMRR 0x{m.base:x}-0x{m.limit:x}: {', '.join(str(s) for s in m.scopes) or 'no device'}")
    return lines


def _ir_section(r: Report) -> list[str]:
    if r.dmar.dmar is None:
        return ["  not checked: no DMAR was read"]
    return hostcheck_ir.section(r.dmar.dmar, [hostcheck_ir.unit_ir(u) for u in r.units], r.apic_id_max)


def _iommu_section(r: Report) -> list[str]:
    s = r.iommu
    units = ", ".join(u.name + ("" if u.address is None else f" at 0x{u.address:x}") for u in s.units)
    groups = "no such directory" if s.groups is None else f"{s.groups} groups, {s.devices} devices"
    return [
        f"  /sys/class/iommu: {units or 'no units (Linux uses no IOMMU)'}",
        f"  /sys/kernel/iommu_groups: {groups}",
        f"  kernel options: {' '.join(s.cmdline) or 'none about the IOMMU'}",
        "  (Plinth drives VT-d itself: what matters is that the firmware enables it, not Linux's use of it.)",
    ]


def _smram_section(r: Report) -> list[str]:
    s = r.smram
    if s is None:
        return [f"  not checked: {r.cpu.describe()}"]
    if s.vendor is None:
        return [f"  {s.problem}"]
    lines = [f"  host bridge {s.vendor:04x}:{s.device:04x}: {s.bridge or 'not one Plinth knows (tools/chipset.py)'}"]
    if s.value is not None:
        lines.append(
            f"  SMRAM control 0x{s.value:02x} at 0x{s.offset:x}: {chipset.smram_state(s.value)} "
            f"(D_OPEN {int(bool(s.value & chipset.D_OPEN))}, D_CLS {int(bool(s.value & chipset.D_CLS))}, "
            f"D_LCK {int(bool(s.value & chipset.D_LCK))}, G_SMRAME {int(bool(s.value & chipset.G_SMRAME))})"
        )
    elif s.problem:
        lines.append(f"  {s.problem}")
    return lines


def _verdict_section(r: Report) -> list[str]:
    width = max(len(row.check) for row in r.rows)
    lines = [f"  {'need':<8}  {'status':<7}  {'check':<{width}}  detail"]
    for row in r.rows:
        status = {NO: "MISSING"}.get(row.status, row.status)
        lines.append(f"  {row.need:<8}  {status:<7}  {row.check:<{width}}  {row.detail}")
        if row.remedy:
            lines.append(f"  {'':<8}  {'':<7}  {'':<{width}}  remedy: {row.remedy}")
    return lines


def render(report: Report) -> str:
    """The report for people: CPU, VMX features, VT-d units and their interrupt remapping, IOMMU
    state, SMRAM, verdict."""
    sections = [
        ("CPU", _cpu_section),
        ("VMX features", _vmx_section),
        ("VT-d units", _vtd_section),
        ("VT-d interrupt remapping", _ir_section),
        ("IOMMU state (Linux)", _iommu_section),
        ("SMRAM", _smram_section),
        ("Verdict", _verdict_section),
    ]
    text = "\n\n".join("\n".join([title, *fn(report)]) for title, fn in sections)
    return f"{text}\n\n{report.summary}"


def to_json(report: Report) -> str:
    """The report for programs: the Report's fields, with MSR values by name as hex strings."""
    doc = asdict(report)
    doc["features"] = [f._asdict() for f in report.features]
    doc["rows"] = [row._asdict() for row in report.rows]
    if report.msrs is not None:
        doc["msrs"]["values"] = {MSR_NAMES.get(n, f"0x{n:x}"): f"0x{v:016x}" for n, v in report.msrs.values.items()}
    return json.dumps(doc, indent=2, default=sorted)  # sorted: the frozensets of cpuinfo flags
