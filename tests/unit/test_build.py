"""The build graph's promises: warnings are errors, generated headers come from Python."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tools import consoleproto, gen, layout
from tools.build import scons_command
from tools.paths import GENERATED


def scons(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        scons_command(f"build_dir={tmp_path / 'build'}", *args, str(tmp_path / "build" / "plinth.elf")),
        capture_output=True,
        text=True,
    )


def test_compiler_warning_fails_the_build(tmp_path: Path) -> None:
    bad = tmp_path / "warns.c"
    bad.write_text("int plinth_warns(int x);\nint plinth_warns(int x) { int unused; return x; }\n")
    res = scons(tmp_path, f"extra_c={bad}")
    out = res.stdout + res.stderr
    assert res.returncode != 0, out
    assert "unused variable" in out and "-Werror" in out
    assert not (tmp_path / "build" / "plinth.elf").exists()


def test_clean_extra_file_builds_and_rebuilds_incrementally(tmp_path: Path) -> None:
    """Same mechanism with a warning-free file links: the failure above is the warning's."""
    good = tmp_path / "fine.c"
    good.write_text("int plinth_fine(int x);\nint plinth_fine(int x) { return x + 1; }\n")
    res = scons(tmp_path, f"extra_c={good}")
    assert res.returncode == 0, res.stdout + res.stderr
    assert (tmp_path / "build" / "plinth.elf").exists()
    # Incremental: nothing changed, so the second run compiles and links nothing.
    again = scons(tmp_path, f"extra_c={good}")
    assert again.returncode == 0 and "gcc" not in again.stdout, again.stdout
    assert "is up to date" in again.stdout


def test_core_cannot_include_x86_headers(tmp_path: Path) -> None:
    """core/ and guest/ build without the x86 include path: an x86 header there fails the build,
    while the same file builds in the arch environment (so the include is the only fault)."""
    src = tmp_path / "core_uses_x86.c"
    src.write_text("#include <x86/cpu.h>\nint plinth_core_x86(void);\nint plinth_core_x86(void) { return 0; }\n")
    res = scons(tmp_path, f"extra_core_c={src}")
    out = res.stdout + res.stderr
    assert res.returncode != 0, out
    assert "x86/cpu.h: No such file or directory" in out, out
    assert not (tmp_path / "build" / "plinth.elf").exists()
    assert scons(tmp_path, f"extra_c={src}").returncode == 0


X86_INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]x86/', re.M)


def test_no_core_or_guest_file_includes_x86_headers() -> None:
    """The boundary in the sources themselves: no core/ or guest/ file names an x86 header, and
    the shared headers under hypervisor/include stay architecture-neutral."""
    from tools.paths import ROOT

    files = [
        f
        for d in ("hypervisor/core", "hypervisor/guest", "hypervisor/include")
        for f in sorted((ROOT / d).rglob("*"))
        if f.suffix in (".c", ".h", ".S")
    ]
    assert len(files) > 20
    offenders = [str(f.relative_to(ROOT)) for f in files if X86_INCLUDE.search(f.read_text())]
    assert not offenders, offenders
    assert not (ROOT / "hypervisor" / "include" / "x86").exists()


def test_generated_headers_carry_banner_and_values(plinth_elf: Path) -> None:
    text = (GENERATED / "layout.h").read_text()
    assert "do not edit" in text.splitlines()[0]
    assert f"#define PLINTH_LOAD_BASE 0x{layout.LOAD_BASE:x}" in text
    proto = (GENERATED / "console_proto.h").read_text()
    assert f'#define CONSOLE_LOG_PREFIX "{consoleproto.LOG_PREFIX}"' in proto
    offsets = (GENERATED / "asm-offsets.h").read_text()
    assert re.search(r"#define TF_RIP \d+", offsets)


def test_asm_offsets_parser_rejects_empty_output() -> None:
    import pytest

    with pytest.raises(ValueError, match="no '->SYM value' markers"):
        gen.asm_offsets_h("\t.text\n")


def test_c_string_escapes() -> None:
    assert gen.c_string('a "b" \\c') == '"a \\"b\\" \\\\c"'


def test_every_header_stands_alone(plinth_elf: Path, tmp_path: Path) -> None:
    """Each header compiles on its own with the hypervisor's flags: it includes what it uses.
    The shared headers compile with core's include path alone (no x86 header behind them)."""
    from tools.paths import ROOT

    core_inc, arch_inc = ROOT / "hypervisor" / "include", ROOT / "hypervisor" / "arch" / "x86" / "include"
    headers = [(h, core_inc, [core_inc]) for h in sorted(core_inc.rglob("*.h"))]
    headers += [(h, arch_inc, [core_inc, arch_inc]) for h in sorted(arch_inc.rglob("*.h"))]
    assert len(headers) > 30
    failures = []
    for h, base, include_path in headers:
        rel = h.relative_to(base)
        src = tmp_path / "inc.c"
        src.write_text(f"#include <{rel}>\n")
        res = subprocess.run(
            [
                "gcc",
                "-fsyntax-only",
                "-ffreestanding",
                "-std=gnu11",
                "-Wall",
                "-Wextra",
                "-Werror",
                *(f"-I{d}" for d in include_path),
                f"-I{GENERATED}",
                str(src),
            ],
            capture_output=True,
            text=True,
        )
        if res.returncode:
            failures.append(f"{rel}: {res.stderr.strip()}")
    assert not failures, "\n".join(failures)
