"""Host-compiled unit tests of Plinth's pure C modules (tests/unit/c/test_*.c).

Each C test file names the hypervisor sources it tests on its first line, for example
`// sources: hypervisor/core/pmm.c`, or a group that tools/hostc.py lists (`@acpi-parser`:
check-host builds the same parser); it is compiled with them by the host gcc under
AddressSanitizer and UndefinedBehaviorSanitizer, with tools/hostc.py's flags, and run. A new test_*.c is picked up by the
glob. gcc is a hard requirement, so a missing gcc fails rather than skips.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tools import hostc
from tools.errors import PlinthError
from tools.paths import ROOT

C_DIR = ROOT / "tests" / "unit" / "c"
CFLAGS = [*hostc.CFLAGS, *hostc.SANITIZE]
SUMMARY_LINE = re.compile(r"(\d+) passed, (\d+) failed")
TIMEOUT = 120


def c_tests() -> list[Path]:
    return sorted(C_DIR.glob("test_*.c"))


def gcc() -> str:
    try:
        return hostc.gcc()
    except PlinthError as err:
        pytest.fail(f"the C unit tests need the host gcc: {err}", pytrace=False)


def sources_of(test_file: Path) -> list[str]:
    """The hypervisor sources named on the test file's first line, expanded and checked to exist."""
    named = hostc.sources_line(test_file)
    if not named:
        pytest.fail(
            f"{test_file.relative_to(ROOT)}: the first line must be "
            "'// sources: hypervisor/core/<module>.c ...' (or @GROUP from tools/hostc.py).",
            pytrace=False,
        )
    try:
        sources = hostc.expand(named)
    except PlinthError as err:
        pytest.fail(f"{test_file.relative_to(ROOT)}: {err}", pytrace=False)
    if "hypervisor/core/string.c" in sources:
        pytest.fail(
            f"{test_file.relative_to(ROOT)}: do not compile hypervisor/core/string.c, "
            "the host C library provides memset and the rest.",
            pytrace=False,
        )
    return sources


def compile_and_run(test_file: Path, sources: list[str], out_dir: Path) -> subprocess.CompletedProcess[str]:
    """Builds test_file with sources into out_dir and runs it; stdout and stderr together."""
    exe = out_dir / test_file.stem
    src = test_file.relative_to(ROOT) if test_file.is_relative_to(ROOT) else test_file
    hostc.write_generated()
    cmd = [gcc(), *CFLAGS, str(src), *sources, "-o", str(exe)]
    build = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    if build.returncode:
        pytest.fail(
            f"compiling {test_file.name} failed:\n$ {' '.join(cmd)}\n{build.stdout}{build.stderr}", pytrace=False
        )
    env = dict(os.environ, ASAN_OPTIONS="abort_on_error=0:detect_leaks=1", UBSAN_OPTIONS="print_stacktrace=1")
    return subprocess.run(
        [str(exe)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=TIMEOUT,
        env=env,
        check=False,
    )


@pytest.mark.parametrize("test_file", c_tests(), ids=lambda p: p.stem)
def test_c_unit(test_file: Path, tmp_path: Path) -> None:
    """Every test in the C file passes, and it ran at least one."""
    result = compile_and_run(test_file, sources_of(test_file), tmp_path)
    output = result.stdout
    assert result.returncode == 0, f"{test_file.name} exited {result.returncode}:\n{output}"
    last = output.rstrip().splitlines()[-1] if output.strip() else ""
    summary = SUMMARY_LINE.fullmatch(last)
    assert summary and int(summary.group(1)) > 0 and summary.group(2) == "0", (
        f"{test_file.name} exited 0 without a passing summary line:\n{output}"
    )


def test_c_tests_found() -> None:
    """The glob finds the C tests (an empty parametrization would pass silently)."""
    names = {p.name for p in c_tests()}
    assert {"test_format.c", "test_cmdline.c", "test_multiboot2.c", "test_pmm.c"} <= names


FAILING_CHECK = """\
#include "test.h"

TEST(deliberately_fails)
{
\tCHECK_EQ_U64(1 + 1, 3);
}
"""

NO_CHECKS = """\
#include "test.h"

TEST(proves_nothing)
{
}
"""

HEAP_OVERFLOW = """\
#include <stdlib.h>
#include "test.h"

TEST(reads_past_malloc)
{
\tchar *p = calloc(1, 4);
\tvolatile int past_end = 4;

\tCHECK(p[past_end] == 0);
\tfree(p);
}
"""


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            FAILING_CHECK,
            ["FAIL deliberately_fails: {file}:5: 1 + 1 == 3: got 0x2 (2), expected 0x3 (3)", "0 passed, 1 failed"],
        ),
        (NO_CHECKS, ["FAIL proves_nothing:", "ran no checks", "0 passed, 1 failed"]),
        (HEAP_OVERFLOW, ["{file}:9", "reads_past_malloc"]),
    ],
    ids=["failing-check", "no-checks", "heap-overflow"],
)
def test_harness_reports_failure(source: str, expected: list[str], tmp_path: Path) -> None:
    """The framework and the sanitizers turn a broken test into a non-zero exit with the place."""
    test_file = tmp_path / "test_broken.c"
    test_file.write_text(source)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    result = compile_and_run(test_file, [], out_dir)
    output = result.stdout
    assert result.returncode != 0, f"a broken test exited 0:\n{output}"
    for text in expected:
        assert text.format(file=test_file) in output, f"{text!r} missing from:\n{output}"
    if "passed," in expected[-1]:
        assert output.rstrip().splitlines()[-1] == expected[-1]
