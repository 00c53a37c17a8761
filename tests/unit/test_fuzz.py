"""The libFuzzer harnesses of Plinth's parsers of outside input (tests/fuzz/, tools/fuzz.py).

Every run replays each harness's seeds and kept crash inputs, then fuzzes each for a short
bounded time (PLINTH_FUZZ_SECONDS, default 10 s) so that CI catches a regression the seeds
lead to; `-m fuzz` runs each for PLINTH_FUZZ_LONG_SECONDS (default 300 s) instead. clang with
libFuzzer is a hard requirement (tools/bootstrap.py installs it): a missing clang fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tools import fuzz
from tools.errors import PlinthError

SHORT_S = int(os.environ.get("PLINTH_FUZZ_SECONDS", "10"))
LONG_S = int(os.environ.get("PLINTH_FUZZ_LONG_SECONDS", "300"))
# Every parser of outside input (issues 12 and 14), and what decides on a partition guest's
# device accesses (guestio).
PARSERS = {"multiboot2", "acpi", "cmdline", "bzimage", "multiboot1", "config", "guestio"}


def executable(name: str) -> Path:
    try:
        return fuzz.build(name)
    except PlinthError as err:
        pytest.fail(f"fuzz harness {name}: {err}", pytrace=False)


def test_every_parser_has_a_harness_and_seeds() -> None:
    assert PARSERS <= set(fuzz.harnesses())
    for name in fuzz.harnesses():
        assert list((fuzz.SEEDS / name).iterdir()), f"tests/fuzz/corpus/{name}/ has no seeds"


@pytest.mark.parametrize("name", fuzz.harnesses())
def test_seeds_and_kept_crashes_replay_cleanly(name: str) -> None:
    """Each seed and each input that once crashed the harness runs through it without a finding."""
    res = fuzz.replay(name, executable(name))
    assert res.returncode == 0, f"fuzz_{name} failed on a kept input:\n{(res.stdout + res.stderr)[-3000:]}"
    assert res.stderr.count("Running: ") == len(fuzz.inputs(name)) > 0


@pytest.mark.parametrize("name", fuzz.harnesses())
def test_short_fuzz_run_finds_nothing(name: str, tmp_path: Path) -> None:
    result = fuzz.run(name, SHORT_S, executable(name), work=tmp_path)
    assert result.ok, fuzz.report(result)
    assert result.runs > 0


@pytest.mark.fuzz
@pytest.mark.parametrize("name", fuzz.harnesses())
def test_long_fuzz_run_finds_nothing(name: str, request: pytest.FixtureRequest) -> None:
    if "fuzz" not in (request.config.option.markexpr or ""):
        pytest.skip("long fuzzing runs only with -m fuzz")
    result = fuzz.run(name, LONG_S, executable(name))
    assert result.ok, fuzz.report(result)


def test_a_planted_bug_is_found_and_reported(tmp_path: Path) -> None:
    """The machinery can fail: a harness that reads past its input when it starts with "PL" is
    caught within seconds, and the report names the input and how to reproduce it."""
    program = tmp_path / "fuzz_planted.c"
    program.write_text(
        "// sources: hypervisor/core/format.c\n"
        '#include "fuzz.h"\n'
        "int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)\n"
        "{\n"
        "\tuint8_t *p = fuzz_copy(data, size);\n"
        "\tvolatile uint8_t x = size >= 2 && p[0] == 'P' && p[1] == 'L' ? p[size] : 0;\n"
        "\t(void)x;\n\tfree(p);\n\treturn 0;\n}\n"
    )
    os.symlink(fuzz.FUZZ_DIR / "fuzz.h", tmp_path / "fuzz.h")
    exe = fuzz.build("planted", program, tmp_path)
    result = fuzz.run("planted", 60, exe, work=tmp_path)
    assert not result.ok and result.crash and result.crash.is_file()
    assert result.crash.read_bytes().startswith(b"PL")
    assert "heap-buffer-overflow" in result.log
    assert f"Reproduce: build/fuzz/fuzz_planted {result.crash}" in fuzz.report(result)
