"""`tools/plinth check-host`: can this Linux machine run Plinth?

Run under Linux on the target machine. It reads the CPU's vendor and model (/proc/cpuinfo), the
VMX capability MSRs (/dev/cpu/N/msr: root and the msr module; or a JSON file of values), the
DMAR table (/sys/firmware/acpi/tables/DMAR: root) with each remapping unit's capability
registers (Linux's /sys/class/iommu, or /dev/mem for root), and what Linux does with the IOMMU.
It judges them as Plinth does at boot, from the same definitions: the VMX registers, capabilities
and requirements of tools/vmxcaps.py (which generate the table vmx_detect() iterates) and the
VT-d CAP/ECAP fields of tools/vtdregs.py (which generate vtd.c's); the DMAR goes through
Plinth's own C parser, built for this machine with the host gcc (tools.acpi_tables.parse_dmar),
so it is rejected exactly when Plinth would reject it. The host bridge's SMRAM control
(/sys/bus/pci/devices/0000:00:00.0/config: root beyond the first 64 bytes) is read where
tools/chipset.py, which generates the table smram.c uses, says it is. Interrupt remapping is
judged by Plinth's own decision code too (tools/hostcheck_ir.py).

What cannot be read is said, with the remedy, and the rest is still reported. Exit status: 0 the
host can run Plinth, 1 it cannot (a requirement is missing), 2 a requirement could not be checked.
Every path lies under a root directory (default /), so tests run against a fake tree.
"""

from __future__ import annotations

import json
import mmap
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from construct import BitsInteger, BitStruct, ByteSwapped, Construct, Container, Flag, Padding, Struct

from tools import chipset, hostc, hostcheck_ir, vmxcaps, vtdregs
from tools.acpi_tables import Dmar, Drhd, parse_dmar
from tools.errors import PlinthError
from tools.hostcheck_smram import Smram, read_smram

# --- Registers: names and bits from tools/vmxcaps.py, as Plinth's C side has them ---

# The MSRs check-host reads: the capability registers vmx_detect() reads (plain and TRUE_*)
# and IA32_FEATURE_CONTROL, by name without MSR_.
_READ = {vmxcaps.FEATURE_CONTROL.msr} | {r.msr for r in vmxcaps.REGISTERS}
_READ |= {r.true_msr for r in vmxcaps.REGISTERS if r.true_msr}
MSRS = {name: number for name, number in vmxcaps.MSRS.items() if name in _READ}
MSR_NAMES = {number: name for name, number in MSRS.items()}


def register(width: int, fields: dict[str, int | tuple[int, int]]) -> Construct:
    """A little-endian register as a construct layout. A field is `name: bit` (a Flag) or
    `name: (low bit, bits)`; they are laid out from the top bit down, as the SDM draws them."""
    spans = sorted(((f, 1, True) if isinstance(f, int) else (*f, False), name) for name, f in fields.items())
    subcons: list[Construct] = []
    top = width
    for (low, bits, flag), name in reversed(spans):
        if low + bits < top:
            subcons.append(Padding(top - low - bits))
        subcons.append(name / (Flag if flag else BitsInteger(bits)))
        top = low
    if top:
        subcons.append(Padding(top))
    return ByteSwapped(BitStruct(*subcons))


def controls(word: Construct) -> Construct:
    """A control capability MSR: allowed-0 settings in the low half, allowed-1 in the high."""
    return Struct("allowed0" / word, "allowed1" / word)


def layout(reg: vmxcaps.Register) -> Construct:
    """The construct layout of a vmxcaps register: its fields by name, a control word twice."""
    fields: dict[str, int | tuple[int, int]] = {f.name: f.low if f.width == 1 else (f.low, f.width) for f in reg.fields}
    return controls(register(32, fields)) if reg.controls else register(64, fields)


LAYOUTS = {r.key: layout(r) for r in vmxcaps.REGISTERS}
FEATURE_CONTROL = layout(vmxcaps.FEATURE_CONTROL)
VMX_BASIC, VMX_MISC, EPT_VPID_CAP = LAYOUTS["basic"], LAYOUTS["misc"], LAYOUTS["ept_vpid"]
PIN_CTLS, PROC_CTLS, PROC_CTLS2 = LAYOUTS["pin"], LAYOUTS["proc"], LAYOUTS["proc2"]
EXIT_CTLS, ENTRY_CTLS = LAYOUTS["exit"], LAYOUTS["entry"]
VMX_MEMTYPE_WB = vmxcaps.VMX_MEMTYPE_WB

# VT-d capability and extended capability registers, from tools/vtdregs.py (raw field values;
# vtdregs.decode gives them as Plinth prints them).
VTD_CAP = register(64, {f.name: f.low if f.width == 1 else (f.low, f.width) for f in vtdregs.CAP})
VTD_ECAP = register(64, {f.name: f.low if f.width == 1 else (f.low, f.width) for f in vtdregs.ECAP})
SAGAW_39, SAGAW_48, SLLPS_2M, SLLPS_1G = vtdregs.SAGAW_39, vtdregs.SAGAW_48, vtdregs.SLLPS_2M, vtdregs.SLLPS_1G
FOUR_GIB = 1 << 32

REQUIRED, OPTIONAL, INFO = "required", "optional", "info"
CPU_CHECK = "Intel CPU with VT-x"
YES, NO, UNKNOWN = "yes", "no", "unknown"
REMEDY_FIRMWARE_VTX = "enable VT-x in firmware setup"
REMEDY_FIRMWARE_VTD = "VT-d is off: enable it in firmware"
REMEDY_MSR_MODULE = "load the msr module (modprobe msr)"
REMEDY_ROOT = "run check-host as root"


class Feature(NamedTuple):
    """One capability: status yes, no or unknown; need required, optional or info."""

    name: str
    status: str
    detail: str = ""
    need: str = REQUIRED
    remedy: str = ""


class Row(NamedTuple):
    """One line of the verdict table."""

    check: str
    need: str
    status: str
    detail: str
    remedy: str = ""


# --- VMX capabilities, judged as vmx_detect() judges them (tools/vmxcaps.py) ---


@dataclass
class Caps:
    """The capability MSRs as vmx_detect() holds them: raw values by register key (a register
    that does not exist is 0), decoded regs (None: not read; missing names the MSR)."""

    values: dict[str, int]
    regs: dict[str, Container | None]
    missing: dict[str, str]


def _decode(layout: Construct, value: int) -> Container:
    return layout.parse(value.to_bytes(8, "little"))


def _parse(layout: Construct, value: int | None) -> Container | None:
    return None if value is None else _decode(layout, value)


def vmx_caps(msrs: dict[int, int]) -> Caps:
    """The registers vmx_detect() reads, from the same MSRs (TRUE_* when VMX_BASIC says so)."""
    caps = Caps({}, {}, {})

    def read(reg: vmxcaps.Register, name: str) -> None:
        value = msrs.get(MSRS[name])
        caps.regs[reg.key] = _parse(LAYOUTS[reg.key], value)
        if value is None:
            caps.missing[reg.key] = f"{name} (0x{MSRS[name]:x})"
        else:
            caps.values[reg.key] = value

    def absent(key: str) -> None:
        caps.values[key] = 0
        caps.regs[key] = _parse(LAYOUTS[key], 0)

    reg = vmxcaps.REGISTER
    read(reg["basic"], "IA32_VMX_BASIC")
    use_true = vmxcaps.has("basic", "VMX_BASIC_TRUE_CTLS").holds(caps.values) if "basic" in caps.values else False
    for key in ("pin", "proc", "exit", "entry"):
        read(reg[key], (reg[key].true_msr if use_true else None) or reg[key].msr)
    read(reg["misc"], "IA32_VMX_MISC")
    # Appendix A.3.3, A.10: these two MSRs exist only when the controls that use them do.
    if "proc" not in caps.values or vmxcaps.has("proc", "CPU_ACTIVATE_SECONDARY").holds(caps.values):
        read(reg["proc2"], "IA32_VMX_PROCBASED_CTLS2")
    else:
        absent("proc2")
    if "proc2" not in caps.values or vmxcaps.any_of("proc2", "CPU2_ENABLE_EPT", "CPU2_ENABLE_VPID").holds(caps.values):
        read(reg["ept_vpid"], "IA32_VMX_EPT_VPID_CAP")
    else:
        absent("ept_vpid")
    return caps


INVVPID_REQUIRED = next(c.name for c in vmxcaps.CAPS if c.when is not None)


def feature_control(value: int | None) -> Feature:
    """IA32_FEATURE_CONTROL as vmx_cpu_enable() treats it: unlocked is fine, Plinth locks it."""
    name = "VMX enabled in IA32_FEATURE_CONTROL"
    fc = _parse(FEATURE_CONTROL, value)
    if fc is None:
        return Feature(name, UNKNOWN, "IA32_FEATURE_CONTROL (0x3a) not read")
    if not fc.FEATURE_CONTROL_LOCKED:
        return Feature(name, YES, f"unlocked (0x{value:x}): Plinth sets VMX on and locks it")
    if fc.FEATURE_CONTROL_VMX_OUTSIDE_SMX:
        return Feature(name, YES, f"locked by the firmware with VMX on (0x{value:x})")
    return Feature(
        name, NO, f"locked by the firmware with VMX outside SMX off (0x{value:x})", remedy=REMEDY_FIRMWARE_VTX
    )


def decode_vmx(msrs: dict[int, int], vmx_flags: frozenset[str] | None = None) -> list[Feature]:
    """Every VMX capability Plinth needs, uses or reports, by name, from the MSR values. Where an
    MSR was not read, Linux's "vmx flags" (when given) still answer for the features they name."""
    caps = vmx_caps(msrs)

    def judge(cap: vmxcaps.Cap, need: str, detail: str = "") -> Feature:
        absent = [caps.missing[t.reg] for t in cap.terms if t.reg in caps.missing]
        if not absent:
            have = cap.holds(caps.values)
            return Feature(cap.name, YES if have else NO, "" if have else detail, need)
        if vmx_flags is not None and cap.linux_flag:
            have = cap.linux_flag in vmx_flags
            return Feature(cap.name, YES if have else NO, "from /proc/cpuinfo vmx flags", need)
        return Feature(cap.name, UNKNOWN, f"{', '.join(dict.fromkeys(absent))} not read", need)

    features = [feature_control(msrs.get(MSRS["IA32_FEATURE_CONTROL"]))]
    basic = caps.regs["basic"]
    for cap in vmxcaps.CAPS:
        if cap.when is not None:
            condition = vmxcaps.Cap(cap.name, cap.need, (cap.when,), linux_flag=_flag_of(cap.when))
            if judge(condition, cap.need).status == NO:
                features.append(Feature(cap.name, NO, f"not needed: {cap.when_absent}", OPTIONAL))
                continue
        feature = judge(cap, cap.need, f"without it {cap.without}" if cap.without else "")
        if basic is not None and cap.name.startswith("VMCS region"):
            feature = feature._replace(detail=f"{basic.VMX_BASIC_REGION_SIZE} bytes")
        elif basic is not None and cap.name.startswith("write-back VMCS"):
            feature = feature._replace(detail=f"memory type {basic.VMX_BASIC_MEMTYPE} (6 is write-back)")
        features.append(feature)
    return features


def _flag_of(term: vmxcaps.Term) -> str:
    """Linux's vmx flag for a condition that is itself a capability's whole test, if any."""
    return next((c.linux_flag for c in vmxcaps.CAPS if c.terms == (term,) and c.linux_flag), "")


# --- Reading the machine ---


@dataclass
class CpuInfo:
    """The first processor of /proc/cpuinfo; problem says why fields are empty."""

    vendor: str = ""
    model_name: str = ""
    family: str = ""
    model: str = ""
    stepping: str = ""
    count: int = 0
    flags: frozenset[str] = frozenset()
    vmx_flags: frozenset[str] | None = None
    problem: str = ""

    @property
    def intel(self) -> bool:
        return self.vendor == "GenuineIntel"

    def describe(self) -> str:
        return f"{self.vendor or 'unknown vendor'} ({self.model_name or 'unknown model'})"


def read_cpuinfo(proc_root: Path) -> CpuInfo:
    path = proc_root / "cpuinfo"
    try:
        text = path.read_text(errors="replace")
    except OSError as err:
        return CpuInfo(problem=f"cannot read {path}: {err.strerror}")
    fields: dict[str, str] = {}
    for line in text.split("\n\n")[0].splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    vmx_flags = fields.get("vmx flags")
    return CpuInfo(
        vendor=fields.get("vendor_id", ""),
        model_name=fields.get("model name", ""),
        family=fields.get("cpu family", ""),
        model=fields.get("model", ""),
        stepping=fields.get("stepping", ""),
        count=sum(line.startswith("processor") for line in text.splitlines()),
        flags=frozenset(fields.get("flags", "").split()),
        vmx_flags=None if vmx_flags is None else frozenset(vmx_flags.split()),
        problem="" if "vendor_id" in fields else f"{path} names no vendor_id",
    )


@dataclass
class MsrRead:
    """MSR values by number; source says where they came from, problem why there are none."""

    values: dict[int, int] = field(default_factory=dict)
    source: str = ""
    problem: str = ""
    remedy: str = ""


def read_msrs(cpu: int, dev_root: Path) -> MsrRead:
    """The MSRs Plinth reads, through Linux's msr driver (dev_root/cpu/N/msr: pread at the MSR
    number). An MSR the CPU lacks fails with EIO and is left out."""
    path = dev_root / "cpu" / str(cpu) / "msr"
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return MsrRead(problem=f"{path} does not exist (the msr driver is not loaded)", remedy=REMEDY_MSR_MODULE)
    except PermissionError as err:
        if os.geteuid() == 0:  # root without CAP_SYS_RAWIO, e.g. in a container
            return MsrRead(problem=f"{path}: {err.strerror} even to root (the msr driver needs CAP_SYS_RAWIO)")
        return MsrRead(problem=f"{path} is readable only by root", remedy=REMEDY_ROOT)
    except OSError as err:
        return MsrRead(problem=f"cannot open {path}: {err.strerror}")
    values = {}
    try:
        for number in MSRS.values():
            try:
                data = os.pread(fd, 8, number)
            except OSError:
                continue
            if len(data) == 8:
                values[number] = int.from_bytes(data, "little")
    finally:
        os.close(fd)
    return MsrRead(values, source=str(path))


def load_msr_file(path: Path) -> MsrRead:
    """MSR values from a JSON file: {"msrs": {"IA32_VMX_BASIC": "0x...", "0x48c": "0x...", ...}}."""
    try:
        doc = json.loads(path.read_text())
    except OSError as err:
        raise PlinthError(f"cannot read the MSR file {path}: {err.strerror}.") from None
    except json.JSONDecodeError as err:
        raise PlinthError(f"the MSR file {path} is not JSON ({err.msg} at line {err.lineno}).") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("msrs"), dict):
        raise PlinthError(f'the MSR file {path} has no "msrs" object of name: value pairs.')
    values = {}
    for key, value in doc["msrs"].items():
        try:
            number = MSRS[key] if key in MSRS else int(key, 16)
            values[number] = int(value, 16) if isinstance(value, str) else int(value)
        except (TypeError, ValueError):
            raise PlinthError(
                f'the MSR file {path} has "{key}": {value!r}; names are those of tools/vmxcaps.py '
                "(IA32_VMX_BASIC, ...) or hex numbers, and values hex strings."
            ) from None
    return MsrRead(values, source=str(path))


def save_msr_file(report: Report, path: Path) -> None:
    """Writes the MSR values read in load_msr_file's format, to capture a machine for a fixture."""
    msrs = report.msrs
    if msrs is None or not msrs.values:
        why = msrs.problem if msrs is not None else f"this CPU is {report.cpu.describe()}, not Intel"
        raise PlinthError(f"no MSR values to save in {path}: {why or 'none were read'}.")
    doc = {
        "source": f"check-host on {report.cpu.describe()} from {msrs.source}",
        "msrs": {MSR_NAMES.get(n, f"0x{n:x}"): f"0x{v:016x}" for n, v in sorted(msrs.values.items())},
    }
    try:
        path.write_text(json.dumps(doc, indent=2) + "\n")
    except OSError as err:
        raise PlinthError(f"cannot write {path}: {err.strerror}.") from None


@dataclass
class IommuUnit:
    """A remapping unit Linux drives: /sys/class/iommu/NAME (intel-iommu/ holds its registers)."""

    name: str
    path: str
    address: int | None = None
    cap: int | None = None
    ecap: int | None = None
    version: str = ""  # as VT-d prints it: "1.0"


@dataclass
class IommuState:
    """What Linux does with the IOMMU: its units, its groups, the kernel's iommu options."""

    units: list[IommuUnit] = field(default_factory=list)
    groups: int | None = None  # None: no /sys/kernel/iommu_groups
    devices: int = 0
    cmdline: list[str] = field(default_factory=list)


def _hex_file(path: Path) -> int | None:
    try:
        return int(path.read_text().strip(), 16)
    except (OSError, ValueError):
        return None


def iommu_state(sys_root: Path, proc_root: Path | None = None) -> IommuState:
    state = IommuState()
    class_dir = sys_root / "class" / "iommu"
    for unit in sorted(class_dir.iterdir()) if class_dir.is_dir() else []:
        regs = unit / "intel-iommu"
        try:
            version = (regs / "version").read_text().strip().replace(":", ".")  # Linux prints "1:0"
        except OSError:
            version = ""
        state.units.append(
            IommuUnit(
                unit.name,
                str(unit),
                _hex_file(regs / "address"),
                _hex_file(regs / "cap"),
                _hex_file(regs / "ecap"),
                version,
            )
        )
    groups_dir = sys_root / "kernel" / "iommu_groups"
    if groups_dir.is_dir():
        groups = [g for g in groups_dir.iterdir() if (g / "devices").is_dir()]
        state.groups = len(groups)
        state.devices = sum(len(list((g / "devices").iterdir())) for g in groups)
    if proc_root is not None:
        try:
            words = (proc_root / "cmdline").read_text().split()
        except OSError:
            words = []
        state.cmdline = [w for w in words if w.startswith(("intel_iommu=", "iommu=", "amd_iommu=", "iommu."))]
    return state


@dataclass
class DmarFile:
    """The firmware's DMAR: state present, absent, unreadable, unparsed (Plinth's parser could
    not run: problem says why) or no-acpi; dmar when present."""

    path: str
    state: str
    dmar: Dmar | None = None
    problem: str = ""


def read_dmar(sys_root: Path) -> DmarFile:
    tables = sys_root / "firmware" / "acpi" / "tables"
    path = tables / "DMAR"
    if not tables.is_dir():
        return DmarFile(str(path), "no-acpi")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return DmarFile(str(path), "absent")
    except OSError:
        return DmarFile(str(path), "unreadable")
    try:
        return DmarFile(str(path), "present", parse_dmar(data))
    except PlinthError as err:
        return DmarFile(str(path), "unparsed", problem=str(err).rstrip("."))


@dataclass
class VtdUnit:
    """A remapping unit: its DRHD (None when known only from Linux) and registers, if readable."""

    base: int
    drhd: Drhd | None = None
    version: str = ""
    cap: int | None = None
    ecap: int | None = None
    source: str = ""  # where the registers came from, or why they could not be read


def read_vtd_registers(dev_root: Path, base: int) -> tuple[str, int, int] | str:
    """VER, CAP and ECAP of the unit at base through dev_root/mem (root), with aligned 32-bit loads
    as the VT-d specification wants; or why they could not be read."""
    path = dev_root / "mem"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_SYNC)
    except OSError as err:
        return f"not readable ({path}: {err.strerror})"
    try:
        with (
            mmap.mmap(fd, 0x1000, mmap.MAP_SHARED, mmap.PROT_READ, offset=base) as regs,
            memoryview(regs) as view,
            view.cast("I") as words,
        ):
            ver, cap, ecap = words[0], words[2] | words[3] << 32, words[4] | words[5] << 32
    except (OSError, ValueError) as err:
        return f"not readable ({path} at 0x{base:x}: {getattr(err, 'strerror', None) or err})"
    finally:
        os.close(fd)
    if ver == 0xFFFFFFFF:
        return f"not readable (the registers at 0x{base:x} read as all ones: the unit is off)"
    return f"{ver >> 4 & 0xF}.{ver & 0xF}", cap, ecap


def vtd_units(dmar: DmarFile, iommu: IommuState, dev_root: Path) -> list[VtdUnit]:
    """The DMAR's units with their registers from Linux's sysfs, else /dev/mem; without a readable
    DMAR, the units Linux drives."""
    by_address = {u.address: u for u in iommu.units if u.address is not None and u.cap is not None}
    if dmar.dmar is None:
        return [VtdUnit(address, None, u.version, u.cap, u.ecap, u.path) for address, u in by_address.items()]
    units = []
    for drhd in dmar.dmar.drhds:
        linux = by_address.get(drhd.base)
        if linux is not None:
            units.append(VtdUnit(drhd.base, drhd, linux.version, linux.cap, linux.ecap, linux.path))
            continue
        regs = read_vtd_registers(dev_root, drhd.base)
        if isinstance(regs, str):
            units.append(VtdUnit(drhd.base, drhd, source=regs))
        else:
            units.append(VtdUnit(drhd.base, drhd, regs[0], regs[1], regs[2], str(dev_root / "mem")))
    return units


def describe_vtd(cap: int, ecap: int) -> list[str]:
    """The capabilities Plinth's vtd.c reports, decoded the same way (tools/vtdregs.py)."""
    f = vtdregs.decode(cap, ecap)
    walks = ", ".join(
        w for bit, w in ((SAGAW_39, "39-bit 3-level"), (SAGAW_48, "48-bit 4-level")) if f["CAP_SAGAW"] & bit
    )
    pages = " ".join(p for bit, p in ((SLLPS_2M, "2M"), (SLLPS_1G, "1G")) if f["CAP_SLLPS"] & bit)
    yes = {1: "yes", 0: "no"}
    return [
        f"SAGAW 0x{f['CAP_SAGAW']:x} ({walks or 'none Plinth uses'}), MGAW {f['CAP_MGAW']}, ND {f['CAP_ND']} "
        f"({1 << (4 + 2 * f['CAP_ND'])} domains), CM {yes[f['CAP_CM']]}, RWBF {yes[f['CAP_RWBF']]}, "
        f"SLLPS 0x{f['CAP_SLLPS']:x} ({pages or '4K only'}), PSI {yes[f['CAP_PSI']]}",
        f"fault records {f['CAP_NFR']} at 0x{f['CAP_FRO']:x}, IOTLB registers at 0x{f['ECAP_IRO']:x}, "
        f"C {yes[f['ECAP_C']]}, QI {yes[f['ECAP_QI']]}, IR {yes[f['ECAP_IR']]}, EIM {yes[f['ECAP_EIM']]}, "
        f"PT {yes[f['ECAP_PT']]}, SC {yes[f['ECAP_SC']]}",
    ]


# --- SMRAM: is System Management Mode out of guests' reach? (tools/chipset.py, smram.c) ---

SMRAM_CHECK = "SMRAM locked (SMM out of guests' reach)"


def smram_row(s: Smram) -> Row:
    """Whether SMRAM is locked, as smram_lock() will find it at boot."""
    if s.vendor is None or s.device is None:
        return Row(SMRAM_CHECK, OPTIONAL, UNKNOWN, s.problem)
    ids = f"{s.vendor:04x}:{s.device:04x}"
    if not s.bridge:
        return Row(
            SMRAM_CHECK,
            OPTIONAL,
            UNKNOWN,
            f"host bridge {ids} is not one Plinth knows (tools/chipset.py): Plinth can neither read nor lock its "
            "SMRAM control, nor keep guests from it; the firmware must have locked SMRAM",
            "check the firmware's SMRAM lock (D_LCK) in the chipset datasheet, or add the bridge to tools/chipset.py",
        )
    if s.value is None or s.offset is None:
        return Row(SMRAM_CHECK, OPTIONAL, UNKNOWN, f"{s.bridge} {ids}: {s.problem}", REMEDY_ROOT)
    where = f"{s.bridge} {ids}, SMRAM control 0x{s.value:02x} at 0x{s.offset:x}"
    if s.value & chipset.D_LCK:
        return Row(SMRAM_CHECK, OPTIONAL, YES, f"{where}: locked by the firmware")
    return Row(
        SMRAM_CHECK,
        OPTIONAL,
        YES,
        f"{where}: {chipset.smram_state(s.value)} by the firmware; Plinth locks it at boot, before any guest runs",
    )


# --- The verdict ---


@dataclass
class Report:
    """Everything check-host read, the verdict rows, the exit status and the conclusion."""

    cpu: CpuInfo
    msrs: MsrRead | None  # None: not read (not an Intel CPU)
    features: list[Feature]
    dmar: DmarFile
    units: list[VtdUnit]
    iommu: IommuState
    smram: Smram | None = None  # None: not looked for (not an Intel CPU)
    apic_id_max: int | None = None  # the largest apicid of /proc/cpuinfo (None: none named)
    rows: list[Row] = field(default_factory=list)
    status: int = 0
    summary: str = ""


def _cpu_rows(cpu: CpuInfo, msrs: MsrRead | None, features: list[Feature]) -> list[Row]:
    if cpu.vendor and not cpu.intel:
        other = "AMD-V (SVM)" if cpu.vendor in ("AuthenticAMD", "HygonGenuine") else "its virtualisation extensions"
        return [
            Row(
                CPU_CHECK,
                REQUIRED,
                NO,
                f"Plinth needs Intel VT-x; this CPU is {cpu.describe()}, and Plinth does not support {other}",
            )
        ]
    in_vm = "hypervisor" in cpu.flags
    if msrs is not None and msrs.values and MSRS["IA32_VMX_BASIC"] not in msrs.values:
        vmx = Row(
            CPU_CHECK,
            REQUIRED,
            NO,
            f"{cpu.describe()} has no VMX (IA32_VMX_BASIC does not read)",
            "enable nested VT-x in the hypervisor this machine runs under" if in_vm else "",
        )
    elif msrs is not None and msrs.values:
        vmx = Row(CPU_CHECK, REQUIRED, YES, f"{cpu.describe()}, IA32_VMX_BASIC reads")
    elif not cpu.vendor:
        return [Row(CPU_CHECK, REQUIRED, UNKNOWN, cpu.problem)]
    elif "vmx" in cpu.flags:
        vmx = Row(CPU_CHECK, REQUIRED, YES, f"{cpu.describe()}, vmx in /proc/cpuinfo flags")
    else:
        vmx = Row(
            CPU_CHECK,
            REQUIRED,
            NO,
            f"{cpu.describe()} shows no vmx flag: the CPU lacks VMX or "
            "the firmware turned it off (Linux then hides the flag)",
            "enable nested VT-x in the hypervisor this machine runs under" if in_vm else REMEDY_FIRMWARE_VTX,
        )
    if vmx.status == NO:
        return [vmx]
    reading = msrs.remedy if msrs is not None else ""
    fc = features[0]
    if fc.status == UNKNOWN and "vmx" in cpu.flags:
        fc = fc._replace(
            status=YES, detail="vmx in /proc/cpuinfo flags: Linux 5.6 and later hide it when the firmware locks VMX off"
        )
    rows = [vmx, Row(fc.name, REQUIRED, fc.status, fc.detail, fc.remedy or (reading if fc.status == UNKNOWN else ""))]
    for need, title in (
        (REQUIRED, "VMX capabilities Plinth requires"),
        (OPTIONAL, "VMX features Plinth uses when present"),
    ):
        group = [f for f in features[1:] if f.need == need]
        lacking = [f.name for f in group if f.status == NO]
        unknown = [f.name for f in group if f.status == UNKNOWN]
        if lacking:
            without = [f"{f.name} ({f.detail})" if need == OPTIONAL else f.name for f in group if f.status == NO]
            rows.append(Row(title, need, NO, "missing: " + ", ".join(without)))
        elif unknown:
            rows.append(
                Row(title, need, UNKNOWN, f"{len(unknown)} of {len(group)} unknown: the MSRs were not read", reading)
            )
        else:
            rows.append(Row(title, need, YES, f"all {len(group)} present"))
    return rows


def _vtd_rows(cpu: CpuInfo, dmar: DmarFile, units: list[VtdUnit], iommu: IommuState) -> list[Row]:
    name = "VT-d (DMAR table)"
    linux_units = [u for u in iommu.units if u.name.startswith("dmar")]
    if dmar.state == "no-acpi":
        return [Row(name, REQUIRED, UNKNOWN, f"{Path(dmar.path).parent} does not exist (sysfs not mounted?)")]
    if dmar.state == "absent":
        if not cpu.intel and cpu.vendor:
            return [
                Row(
                    name,
                    REQUIRED,
                    NO,
                    "no DMAR table (a non-Intel machine describes its IOMMU otherwise, "
                    "e.g. AMD's IVRS, which Plinth does not use)",
                )
            ]
        remedy = REMEDY_FIRMWARE_VTD
        if "hypervisor" in cpu.flags:
            remedy += " (in a virtual machine: give it an Intel IOMMU, e.g. QEMU -device intel-iommu)"
        return [
            Row(
                name,
                REQUIRED,
                NO,
                "no DMAR table: Plinth refuses guests without DMA isolation (unless booted with iommu=optional)",
                remedy,
            )
        ]
    if dmar.state == "unparsed":
        remedy = "install gcc (sudo apt-get install gcc libc6-dev)" if hostc.GCC_MISSING in dmar.problem else ""
        return [Row(name, REQUIRED, UNKNOWN, f"present, but not checked: {dmar.problem}", remedy)]
    if dmar.state == "unreadable":
        if not linux_units:
            return [Row(name, REQUIRED, UNKNOWN, f"{dmar.path} is readable only by root", REMEDY_ROOT)]
        rows = [Row(name, REQUIRED, YES, f"present (readable only by root); Linux drives {len(linux_units)} unit(s)")]
    else:
        assert dmar.dmar is not None
        if dmar.dmar.error:
            return [
                Row(
                    name,
                    REQUIRED,
                    NO,
                    f"Plinth rejects this table: {dmar.dmar.error}",
                    "a firmware update may correct the table",
                )
            ]
        rows = [
            Row(
                name,
                REQUIRED,
                YES,
                f"{len(dmar.dmar.drhds)} remapping unit(s), host address width {dmar.dmar.host_address_width}",
            )
        ]
    usable = [u for u in units if u.base + 0x1000 <= FOUR_GIB]
    known = [u for u in usable if u.cap is not None]
    if not usable:
        rows.append(
            Row(
                "VT-d remapping units",
                REQUIRED,
                NO,
                "no unit below 4 GiB, where Plinth maps them" if units else "the DMAR describes no remapping unit",
            )
        )
    elif known and not any(
        all(_decode(VTD_CAP, u.cap).CAP_SAGAW & walk for u in known if u.cap is not None)
        for walk in (SAGAW_39, SAGAW_48)
    ):
        rows.append(
            Row("VT-d remapping units", REQUIRED, NO, "the units share neither 3-level nor 4-level second-level tables")
        )
    else:
        note = f"; registers of {len(usable) - len(known)} not readable, not checked"
        if len(known) == len(usable):  # the domain format vtd_init() picks
            caps = [_decode(VTD_CAP, u.cap) for u in known if u.cap is not None]
            four = all(c.CAP_SAGAW & SAGAW_48 for c in caps)
            pages = (
                "1G and 2M"
                if all(c.CAP_SLLPS & SLLPS_1G for c in caps)
                else "2M"
                if all(c.CAP_SLLPS & SLLPS_2M for c in caps)
                else "no"
            )
            note = f"; Plinth would use {'4-level (48-bit)' if four else '3-level (39-bit)'} tables with {pages} large pages"
        skipped = len(units) - len(usable)
        rows.append(
            Row(
                "VT-d remapping units",
                REQUIRED,
                YES,
                f"{len(usable)} usable" + (f", {skipped} above 4 GiB skipped" if skipped else "") + note,
            )
        )
    return rows


def verdict(
    cpu: CpuInfo,
    msrs: MsrRead | None,
    features: list[Feature],
    dmar: DmarFile,
    units: list[VtdUnit],
    iommu: IommuState,
    smram: Smram | None = None,
    apic_id_max: int | None = None,
) -> list[Row]:
    """The verdict table: what Plinth requires or uses, and whether this host has it."""
    rows = _cpu_rows(cpu, msrs, features) + _vtd_rows(cpu, dmar, units, iommu)
    if dmar.dmar is not None and not dmar.dmar.error:
        ir = hostcheck_ir.judge(dmar.dmar, [hostcheck_ir.unit_ir(u) for u in units], apic_id_max, max(cpu.count, 1))
        rows.append(Row(hostcheck_ir.CHECK, OPTIONAL, *ir))
    return rows + ([smram_row(smram)] if smram is not None else [])


def outcome(rows: list[Row]) -> tuple[int, str]:
    """Exit status and the one-sentence conclusion."""
    missing = [r for r in rows if r.need == REQUIRED and r.status == NO]
    unknown = [r for r in rows if r.need == REQUIRED and r.status == UNKNOWN]
    if missing:
        first = missing[0]
        what = first.detail if first.check == CPU_CHECK else f"{first.check}: {first.detail}"
        remedy = f"; remedy: {first.remedy}" if first.remedy else ""
        also = f" Also missing: {', '.join(r.check for r in missing[1:])}." if missing[1:] else ""
        return 1, f"Plinth cannot run on this host: {what}{remedy}.{also}"
    if unknown:
        remedies = sorted({r.remedy for r in unknown if r.remedy})
        return 2, (
            f"Could not check everything Plinth requires ({', '.join(r.check for r in unknown)})"
            + (f": {'; '.join(remedies)}." if remedies else ".")
        )
    lacking = [r.detail for r in rows if r.need == OPTIONAL and r.status == NO]
    unchecked = [r.check for r in rows if r.check == SMRAM_CHECK and r.status == UNKNOWN]
    return 0, (
        "This host can run Plinth."
        + (f" Optional: {'; '.join(lacking)}." if lacking else "")
        + (f" Not checked: {'; '.join(unchecked)}." if unchecked else "")
    )


def check_host(root: Path = Path("/"), cpu: int = 0, msr_file: Path | None = None) -> Report:
    """Reads root/proc, root/sys and root/dev (or msr_file for the MSRs) and judges the host; the
    report is written out by tools/hostcheck_output.py."""
    if not root.is_dir():
        raise PlinthError(f"--root {root} is not a directory.")
    info = read_cpuinfo(root / "proc")
    if info.count and not 0 <= cpu < info.count:
        raise PlinthError(f"there is no CPU {cpu}: this machine has CPUs 0 to {info.count - 1}.")
    msrs = None
    if msr_file is not None:
        msrs = load_msr_file(msr_file)
    elif info.intel or not info.vendor:
        msrs = read_msrs(cpu, root / "dev")
    features = decode_vmx(msrs.values, info.vmx_flags if msrs.problem else None) if msrs is not None else []
    dmar = read_dmar(root / "sys")
    iommu = iommu_state(root / "sys", root / "proc")
    units = vtd_units(dmar, iommu, root / "dev")
    smram = read_smram(root / "sys") if info.intel or not info.vendor else None
    report = Report(info, msrs, features, dmar, units, iommu, smram, hostcheck_ir.max_apic_id(root / "proc"))
    report.rows = verdict(info, msrs, features, dmar, units, iommu, smram, report.apic_id_max)
    report.status, report.summary = outcome(report.rows)
    return report
