"""libFuzzer harnesses of Plinth's parsers of outside input: `tools/plinth fuzz`, and the short
runs `tools/plinth test` makes (tests/unit/test_fuzz.py).

A harness is one file, tests/fuzz/fuzz_NAME.c, whose first line names the hypervisor sources it
fuzzes as the C unit tests do (`// sources: @loader-parse`, groups from tools/hostc.py): clang
builds it with those sources, libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer into
build/fuzz/fuzz_NAME. Its seeds are tests/fuzz/corpus/NAME/ (in the repository, small);
inputs that once crashed it are tests/fuzz/crashes/NAME/, replayed by every test run. What a
run finds beyond the seeds goes to build/fuzz/corpus/NAME/, a crash to build/fuzz/crashes/NAME/.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tools import hostc
from tools.errors import PlinthError
from tools.paths import BUILD, ROOT

FUZZ_DIR = ROOT / "tests" / "fuzz"
SEEDS = FUZZ_DIR / "corpus"
CRASHES = FUZZ_DIR / "crashes"
OUT = BUILD / "fuzz"
CLANG_MISSING = "clang with libFuzzer is not installed (Debian/Ubuntu: sudo apt-get install clang libclang-rt-14-dev)"
# libFuzzer's engine and both sanitizers; a finding stops the run at once.
FLAGS = ("-fsanitize=fuzzer,address,undefined", "-fno-sanitize-recover=all")
# Per input: an input that takes longer, or more memory, is a finding too.
INPUT_TIMEOUT_S = 10
RSS_LIMIT_MB = 2048
_DONE = re.compile(r"Done (\d+) runs in (\d+) second")
_ARTIFACT = re.compile(r"Test unit written to (\S+)")


@dataclass(frozen=True)
class Result:
    name: str
    runs: int
    crash: Path | None
    log: str

    @property
    def ok(self) -> bool:
        return self.crash is None


def harnesses() -> list[str]:
    """The harness names, from tests/fuzz/fuzz_NAME.c."""
    return sorted(p.stem.removeprefix("fuzz_") for p in FUZZ_DIR.glob("fuzz_*.c"))


def check_name(name: str) -> str:
    if name not in harnesses():
        raise PlinthError(f"there is no fuzz harness {name!r}: the harnesses are {', '.join(harnesses())}.")
    return name


def clang() -> str:
    path = shutil.which("clang")
    if path is None:
        raise PlinthError(f"{CLANG_MISSING}.")
    return path


def build(name: str, program: Path | None = None, out_dir: Path = OUT) -> Path:
    """The harness's executable, built when missing or out of date (program: another harness
    file, for tests of this module)."""
    program = program or FUZZ_DIR / f"fuzz_{name}.c"
    named = hostc.sources_line(program)
    if not named:
        raise PlinthError(f"{program}: the first line must be '// sources: ...' naming what it fuzzes.")
    return hostc.build(program, named, out_dir / f"fuzz_{name}", compiler=clang(), flags=FLAGS)


def _env() -> dict[str, str]:
    return dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0", UBSAN_OPTIONS="print_stacktrace=1")


def _crash(log: str) -> Path | None:
    m = _ARTIFACT.search(log)
    return Path(m.group(1)) if m else None


def run(name: str, seconds: int, exe: Path | None = None, work: Path = OUT) -> Result:
    """Fuzzes for seconds from the seeds (and what earlier runs found); the first crash ends it."""
    exe = exe or build(name)
    found = work / "corpus" / name
    artifacts = work / "crashes" / name
    found.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    seeds = [str(d) for d in (SEEDS / name, CRASHES / name) if d.is_dir()]
    cmd = [
        str(exe),
        f"-max_total_time={seconds}",
        f"-timeout={INPUT_TIMEOUT_S}",
        f"-rss_limit_mb={RSS_LIMIT_MB}",
        f"-artifact_prefix={artifacts}/",
        "-print_final_stats=1",
        str(found),
        *seeds,
    ]
    res = subprocess.run(
        cmd, capture_output=True, text=True, errors="replace", env=_env(), timeout=seconds + 120, check=False
    )
    log = res.stdout + res.stderr
    done = _DONE.search(log)
    crash = _crash(log) if res.returncode else None
    if res.returncode and crash is None:
        raise PlinthError(f"fuzzing {name} failed without a crash input (exit {res.returncode}):\n{log[-2000:]}")
    return Result(name, int(done.group(1)) if done else 0, crash, log)


def inputs(name: str) -> list[Path]:
    """The seeds and the kept crash inputs of a harness."""
    return sorted(p for d in (SEEDS / name, CRASHES / name) if d.is_dir() for p in d.iterdir() if p.is_file())


def replay(name: str, exe: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Runs the harness once on each seed and kept crash input (what CI checks every time)."""
    exe = exe or build(name)
    return subprocess.run(
        [str(exe), *map(str, inputs(name))],
        capture_output=True,
        text=True,
        errors="replace",
        env=_env(),
        timeout=300,
        check=False,
    )


def report(result: Result) -> str:
    """One or two sentences for the user about a run."""
    if result.ok:
        return f"fuzz {result.name}: {result.runs} inputs, no crash"
    rel = result.crash.relative_to(ROOT) if result.crash and result.crash.is_relative_to(ROOT) else result.crash
    exe = (OUT / f"fuzz_{result.name}").relative_to(ROOT)
    return (
        f"fuzz {result.name}: CRASH, input {rel}. Reproduce: {exe} {rel}. Keep it as a regression: copy it to "
        f"tests/fuzz/crashes/{result.name}/ (every test run replays it) and fix the parser."
    )
