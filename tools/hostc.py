"""Plinth's pure C code built for this machine: for host tools (check-host) and tests alike.

The C unit tests (tests/unit/test_c_logic.py) and `check-host` compile hypervisor sources with
the host gcc from the lists here, so a file that moves is renamed in one place. A C program's
first line names what it is built with (`// sources: hypervisor/core/pmm.c` or a group,
`// sources: @acpi-parser`); build() compiles it into build/host/ when it is missing or older
than its inputs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

from tools.errors import PlinthError
from tools.paths import BUILD, ROOT

HOST_BUILD = BUILD / "host"
# Include directories, relative to the tree's root.
# Headers generated from Python (tools/gen.py and friends) for host builds: written by
# write_generated() before every compile, so no hypervisor build is needed first.
GENERATED_DIR = "build/host/generated"
INCLUDE_DIRS = ("hypervisor/include", "hypervisor/arch/x86/include", "tests/unit/c", GENERATED_DIR)
# Named source lists, relative to the tree's root.
SOURCE_GROUPS: dict[str, tuple[str, ...]] = {
    # Plinth's ACPI parser (RSDP, root tables, MADT, DMAR, FADT, MCFG) and the format() it reports with.
    "acpi-parser": (
        "hypervisor/arch/x86/acpi.c",
        "hypervisor/arch/x86/acpi_dmar.c",
        "hypervisor/arch/x86/acpi_fadt.c",
        "hypervisor/arch/x86/acpi_madt.c",
        "hypervisor/arch/x86/acpi_mcfg.c",
        "hypervisor/arch/x86/acpi_parse.c",
        "hypervisor/core/format.c",
    ),
    # The guest loaders' pure half: image bytes to load plans, hand-over data, free guest RAM.
    "loader-parse": (
        "hypervisor/guest/mb1_parse.c",
        "hypervisor/guest/elf_parse.c",
        "hypervisor/guest/plan.c",
        "hypervisor/guest/mb1_info.c",
        "hypervisor/guest/bzimage_parse.c",
        "hypervisor/guest/bzimage_params.c",
        "hypervisor/core/pmm.c",
        "hypervisor/core/format.c",
    ),
}
# The host program around the ACPI parser that check-host runs (--json) and tests drive.
ACPI_TABLE_FILE = "tests/unit/c/acpi_table_file.c"
VTD_IR_CHOOSE_FILE = "tests/unit/c/vtd_ir_choose_file.c"
CFLAGS = ("-std=gnu11", "-O1", "-g", "-Wall", "-Wextra", "-Werror", *(f"-I{d}" for d in INCLUDE_DIRS))
# For tests: a bad read or undefined behaviour ends the program at once, with the place.
SANITIZE = ("-fsanitize=address,undefined", "-fno-sanitize-recover=all")
GCC_MISSING = "the host gcc is not installed (Debian/Ubuntu: sudo apt-get install gcc libc6-dev)"
TIMEOUT_S = 120
_SOURCES_LINE = re.compile(r"//\s*sources:\s*(.*)")


def write_generated() -> Path:
    """Writes the Python-generated headers host programs may include; returns their folder."""
    from tools import chipset, exits, gen, hvabi, vmconfig, vmcs, vmxcaps, vtdregs

    out = ROOT / GENERATED_DIR
    headers = {
        "layout.h": gen.layout_h,
        "console_proto.h": gen.console_proto_h,
        "plinth_abi.h": hvabi.plinth_abi_h,
        "vmcs_fields.h": vmcs.vmcs_fields_h,
        "vmconfig.h": vmconfig.vmconfig_h,
        "vtd_caps.h": vtdregs.vtd_caps_h,
        "vmx_caps.h": vmxcaps.vmx_caps_h,
        "vmx_exits.h": exits.vmx_exits_h,
        "chipset.h": chipset.chipset_h,
    }
    for name, make in headers.items():
        gen.write_if_changed(out / name, make())
    return out


def gcc() -> str:
    """The host gcc's path, or a PlinthError saying how to install it."""
    path = shutil.which("gcc")
    if path is None:
        raise PlinthError(f"{GCC_MISSING}.")
    return path


def expand(names: Iterable[str]) -> list[str]:
    """Source paths (relative to the root) for names: paths as they are, @GROUP from
    SOURCE_GROUPS; each checked to exist."""
    sources: list[str] = []
    for name in names:
        if name.startswith("@"):
            if name[1:] not in SOURCE_GROUPS:
                raise PlinthError(
                    f"there is no C source group {name}: tools/hostc.py knows {', '.join(SOURCE_GROUPS)}."
                )
            sources += SOURCE_GROUPS[name[1:]]
        else:
            sources.append(name)
    missing = [s for s in sources if not (ROOT / s).is_file()]
    if missing:
        raise PlinthError(
            f"the C source {missing[0]} does not exist: fix its path in tools/hostc.py (or the sources line naming it)."
        )
    return sources


def sources_line(program: Path) -> list[str]:
    """What program's first line, `// sources: ...`, names (unexpanded); [] when it has none."""
    with program.open() as f:
        match = _SOURCES_LINE.fullmatch(f.readline().strip())
    return match.group(1).split() if match else []


def _newest_input(program: Path, sources: Sequence[str]) -> float:
    headers = [h for d in INCLUDE_DIRS for h in (ROOT / d).rglob("*.h")]
    return max(p.stat().st_mtime for p in [program, Path(__file__), *(ROOT / s for s in sources), *headers])


def build(
    program: Path,
    sources: Sequence[str],
    out: Path,
    *,
    sanitize: bool = False,
    compiler: str | None = None,
    flags: Sequence[str] = (),
) -> Path:
    """program compiled with sources (expanded by expand()) into out, unless out is newer than
    every input; returns out. compiler (default: gcc) gets CFLAGS, the sanitizers when asked, and
    flags. A compile error is a PlinthError with the compiler's message."""
    program = program if program.is_absolute() else ROOT / program
    files = expand(sources)
    write_generated()
    if out.is_file() and out.stat().st_mtime > _newest_input(program, files):
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    # Built beside out and renamed over it: a program another process is running (parallel
    # tests, a second check-host) is never half written.
    tmp = out.with_name(f".{out.name}.{os.getpid()}")
    cmd = [compiler or gcc(), *CFLAGS, *(SANITIZE if sanitize else ()), *flags, str(program), *files, "-o", str(tmp)]
    try:
        res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
        if res.returncode:
            raise PlinthError(
                f"compiling {program.name} for this machine failed:\n$ {' '.join(cmd)}\n{res.stderr.strip()}"
            )
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def acpi_table_file(out_dir: Path | None = None, *, sanitize: bool = False) -> Path:
    """The ACPI parser's host program (tests/unit/c/acpi_table_file.c), built into out_dir
    (default build/host/); gcc is needed only when it is missing or out of date."""
    program = ROOT / ACPI_TABLE_FILE
    name = "acpi_table_file-asan" if sanitize else "acpi_table_file"
    return build(program, sources_line(program), (out_dir or HOST_BUILD) / name, sanitize=sanitize)


def vtd_ir_choose_file(out_dir: Path | None = None) -> Path:
    """The host program that runs Plinth's interrupt-remapping decision (tests/unit/c/
    vtd_ir_choose_file.c), built into out_dir (default build/host/) when missing or out of date."""
    program = ROOT / VTD_IR_CHOOSE_FILE
    return build(program, sources_line(program), (out_dir or HOST_BUILD) / "vtd_ir_choose_file")
