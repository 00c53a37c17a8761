"""The VMX capabilities are defined once, in tools/vmxcaps.py: the generated vmx_caps.h is that
definition (same fields, same bits, same table), the C code that vmx_detect() runs on the table
(hypervisor/arch/x86/vmx_cap.c, built here for the host) judges every capability as check-host
does, and it prints the same report lines.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from test_c_logic import CFLAGS, C_DIR, TIMEOUT, gcc, sources_of

from tools import hostcheck, vmxcaps
from tools.paths import GENERATED, ROOT

FIXTURES = Path(__file__).parent / "fixtures" / "hostcheck"
INCLUDES = ["-Ihypervisor/include", f"-I{GENERATED}"]


def fixture_msrs(name: str = "msrs-haswell.json", **changes: int) -> dict[int, int]:
    values = {
        hostcheck.MSRS[k] if k in hostcheck.MSRS else int(k, 16): int(v, 16)
        for k, v in json.loads((FIXTURES / name).read_text())["msrs"].items()
    }
    return values | {hostcheck.MSRS[k]: v for k, v in changes.items()}


HASWELL = fixture_msrs()
BASIC, PROC2, EPT = (
    HASWELL[hostcheck.MSRS[n]] for n in ("IA32_VMX_BASIC", "IA32_VMX_PROCBASED_CTLS2", "IA32_VMX_EPT_VPID_CAP")
)
TRUE_PROC = HASWELL[hostcheck.MSRS["IA32_VMX_TRUE_PROCBASED_CTLS"]]
# The fixture and machines that lack one thing each, so every test of the table is exercised.
MACHINES = {
    "haswell": HASWELL,
    "no-ept": fixture_msrs(IA32_VMX_PROCBASED_CTLS2=PROC2 & ~(1 << 33)),
    "no-vpid": fixture_msrs(IA32_VMX_PROCBASED_CTLS2=PROC2 & ~(1 << 37), IA32_VMX_EPT_VPID_CAP=EPT & ~(0xF01 << 32)),
    "vpid-without-invvpid": fixture_msrs(IA32_VMX_EPT_VPID_CAP=EPT & ~(1 << 41)),
    "no-unrestricted-guest": fixture_msrs(IA32_VMX_PROCBASED_CTLS2=PROC2 & ~(1 << 39)),
    "no-true-controls": fixture_msrs(IA32_VMX_BASIC=BASIC & ~(1 << 55)),
    "no-secondary-controls": fixture_msrs(IA32_VMX_TRUE_PROCBASED_CTLS=TRUE_PROC & ~(1 << 63)),
    "large-vmcs-uc": fixture_msrs(IA32_VMX_BASIC=(BASIC & ~(0x1FFF << 32) & ~(0xF << 50)) | (8192 << 32)),
    "invept-all-only-no-1g": fixture_msrs(IA32_VMX_EPT_VPID_CAP=EPT & ~(1 << 25) & ~(1 << 17)),
    "no-invept-types": fixture_msrs(IA32_VMX_EPT_VPID_CAP=EPT & ~(3 << 25)),
}


def assert_compiles_alone(header: str, tmp_path: Path) -> None:
    """The generated header compiles on its own with the hypervisor's warnings, twice over."""
    src = tmp_path / "inc.c"
    src.write_text(f"#include <{header}>\n#include <{header}>\nint header_probe(void);\n")
    res = subprocess.run(
        ["gcc", "-fsyntax-only", "-ffreestanding", "-std=gnu11", "-Wall", "-Wextra", "-Werror", *INCLUDES, str(src)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr


def compile_program(tmp_path: Path, source: Path, extra_sources: list[str], name: str) -> Path:
    exe = tmp_path / name
    cmd = [gcc(), *CFLAGS, *INCLUDES, str(source), *extra_sources, "-o", str(exe)]
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert res.returncode == 0, f"compiling {source.name} failed:\n$ {' '.join(cmd)}\n{res.stdout}{res.stderr}"
    return exe


@pytest.fixture(scope="module")
def run_table(plinth_elf: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[dict[str, int]], list[str]]:
    """Builds tests/unit/c/vmx_caps_file.c with vmx_cap.c once; runs it on register values."""
    driver = C_DIR / "vmx_caps_file.c"
    exe = compile_program(tmp_path_factory.mktemp("vmxcaps"), driver, sources_of(driver), "vmx_caps_file")

    def run(values: dict[str, int]) -> list[str]:
        args = [f"{key}=0x{value:x}" for key, value in values.items()]
        res = subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=TIMEOUT, check=False)
        assert res.returncode == 0, res.stdout + res.stderr
        return res.stdout.splitlines()

    return run


def test_generated_header_is_the_definition(plinth_elf: Path, tmp_path: Path) -> None:
    """What SCons wrote is what tools/vmxcaps.py generates, with the banner; it compiles on its
    own with the hypervisor's warnings, twice over (include guard)."""
    text = (GENERATED / "vmx_caps.h").read_text()
    assert text == vmxcaps.vmx_caps_h()
    assert text.splitlines()[0] == "/* Generated from tools/vmxcaps.py by tools/gen.py: do not edit. */"
    for name, number in vmxcaps.MSRS.items():
        assert f"#define MSR_{name} 0x{number:x}\n" in text
    assert_compiles_alone("vmx_caps.h", tmp_path)


def probe_values(field: vmxcaps.Field) -> list[int]:
    """Register values that tell a field's bits apart: all ones, the field alone, its neighbours
    without it, and two patterns."""
    bits = field.mask << field.low
    return [0, (1 << 64) - 1, bits, ((1 << 64) - 1) & ~bits, 0x5555_5555_5555_5555, 0x0123_4567_89AB_CDEF]


@pytest.mark.parametrize("reg", [vmxcaps.FEATURE_CONTROL, *vmxcaps.REGISTERS], ids=lambda r: r.key.replace("_", "-"))
def test_field_macros_are_the_definition(reg: vmxcaps.Register, plinth_elf: Path, tmp_path: Path) -> None:
    """Every field of the register, as the C side reads it (the generated BIT() and accessor
    macros, compiled), as Python reads it (vmxcaps.Field) and as check-host decodes it (its
    construct layout): the same value for every probe. A control register's fields are bits of
    the control word, which check-host finds in the allowed-1 half."""
    lines = ["#include <stdio.h>", "#include <vmx_caps.h>", "int main(void)", "{"]
    expected = []
    for field in reg.fields:
        for value in probe_values(field):
            macro = f"!!(0x{value:x}ULL & {field.name})" if field.width == 1 else f"{field.name}(0x{value:x}ULL)"
            lines.append(f'\tprintf("%s %llu\\n", "{field.name}", (unsigned long long)({macro}));')
            expected.append(f"{field.name} {(value >> field.low) & field.mask}")
            word = value & 0xFFFF_FFFF
            msr = word << 32 if reg.controls else value
            decoded = hostcheck.layout(reg).parse(msr.to_bytes(8, "little"))
            got = decoded.allowed1[field.name] if reg.controls else decoded[field.name]
            assert int(got) == ((word if reg.controls else value) >> field.low) & field.mask, field.name
    src = tmp_path / "fields.c"
    src.write_text("\n".join([*lines, "\treturn 0;", "}", ""]))
    exe = compile_program(tmp_path, src, [], "fields")
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == expected


def parse_table(lines: list[str]) -> tuple[list[tuple[str, int, bool, bool, str, bool]], list[str]]:
    caps, report = [], []
    for line in lines:
        kind, _, rest = line.partition(" ")
        if kind == "cap":
            name, need, applies, holds, without, warn = rest.split("|")
            caps.append((name, int(need), applies == "1", holds == "1", without, warn == "1"))
        else:
            assert kind == "report", line
            report.append(rest)
    return caps, report


NEEDS = {vmxcaps.REQUIRED: 0, vmxcaps.OPTIONAL: 1, vmxcaps.INFO: 2}


@pytest.mark.parametrize("machine", MACHINES, ids=list(MACHINES))
def test_c_table_judges_as_check_host(machine: str, run_table: Callable[[dict[str, int]], list[str]]) -> None:
    """The C table holds every capability of the definition, in its order, with its need and
    messages; on each machine it finds each capability present or absent exactly as check-host
    does, so both name the same first missing requirement."""
    caps = hostcheck.vmx_caps(MACHINES[machine])
    table, _ = parse_table(run_table(caps.values))
    assert [row[0] for row in table] == [c.name for c in vmxcaps.CAPS]
    features = {f.name: f for f in hostcheck.decode_vmx(MACHINES[machine])}
    for (name, need, applies, holds, without, warn), cap in zip(table, vmxcaps.CAPS, strict=True):
        assert (need, without, warn) == (NEEDS[cap.need], cap.without, cap.warn), name
        assert (applies, holds) == (cap.applies(caps.values), cap.holds(caps.values)), name
        assert features[name].status == (hostcheck.YES if holds and applies else hostcheck.NO), name
    c_missing = [name for name, need, applies, holds, _, _ in table if need == 0 and applies and not holds]
    check_host_missing = [f.name for f in features.values() if f.need == hostcheck.REQUIRED and f.status != "yes"]
    assert c_missing == check_host_missing


@pytest.mark.parametrize("machine", MACHINES, ids=list(MACHINES))
def test_report_lines_are_the_definition(machine: str, run_table: Callable[[dict[str, int]], list[str]]) -> None:
    values = hostcheck.vmx_caps(MACHINES[machine]).values
    assert parse_table(run_table(values))[1] == vmxcaps.report_lines(values)


def test_report_lines_read_as_before(run_table: Callable[[dict[str, int]], list[str]]) -> None:
    """The lines vmx.c printed by hand before the table existed, for the Haswell fixture: the
    table changed where they come from, not what they say."""
    assert parse_table(run_table(hostcheck.vmx_caps(HASWELL).values))[1] == [
        "vmx: EPT yes, VPID yes, unrestricted guest yes, MSR bitmaps yes, I/O bitmaps yes",
        "vmx: EPT 4-level walk yes, WB yes, UC yes, 2M pages yes, 1G pages yes, A/D bits yes, execute-only yes",
        "vmx: INVEPT yes (single-context yes, all-context yes), "
        "INVVPID yes (address yes, single-context yes, all-context yes)",
        "vmx: activity states HLT yes, shutdown yes, wait-for-SIPI yes; save/load EFER yes, PAT yes",
    ]
    no_vpid = hostcheck.vmx_caps(MACHINES["no-vpid"]).values
    assert parse_table(run_table(no_vpid))[1][0] == (
        "vmx: EPT yes, VPID NO, unrestricted guest yes, MSR bitmaps yes, I/O bitmaps yes"
    )


def test_definition_is_consistent() -> None:
    """Names and C identifiers are unique; tests name fields their registers have; the report
    names capabilities; requirements come first, as vmx_detect() requires them in table order;
    an optional capability says what Plinth does without it."""
    names = [c.name for c in vmxcaps.CAPS]
    assert len(set(names)) == len(names)
    assert len({c.id for c in vmxcaps.CAPS}) == len(names)
    assert all(c.id.isidentifier() and c.id.isupper() for c in vmxcaps.CAPS)
    needs = [c.need for c in vmxcaps.CAPS]
    assert needs == sorted(needs, key=[vmxcaps.REQUIRED, vmxcaps.OPTIONAL, vmxcaps.INFO].index)
    for cap in vmxcaps.CAPS:
        assert 1 <= len(cap.terms) <= 2, cap.name
        for term in (*cap.terms, *([cap.when] if cap.when else [])):
            for field in term.fields:
                vmxcaps.REGISTER[term.reg].field(field)  # raises when the register lacks it
        assert bool(cap.without) == (cap.need == vmxcaps.OPTIONAL), cap.name
        assert not cap.warn or cap.need == vmxcaps.OPTIONAL
        assert bool(cap.when) == bool(cap.when_absent)
    for fmt, items in vmxcaps.REPORT:
        assert fmt.count("%s") == len(items) <= vmxcaps.REPORT_ITEMS_MAX
        assert all(name in vmxcaps.CAP for name in items), fmt
    for reg in vmxcaps.REGISTERS:
        width = 32 if reg.controls else 64
        assert all(f.low + f.width <= width for f in reg.fields), reg.key
        assert reg.msr in vmxcaps.MSRS and (reg.true_msr is None or reg.true_msr in vmxcaps.MSRS)
    assert hostcheck.INVVPID_REQUIRED in names
