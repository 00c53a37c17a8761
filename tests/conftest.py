"""Shared fixtures: the built hypervisor, a log directory per test, and booting in emulators."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tools import build, logs
from tools.paths import ELF, TEST_LOGS

if TYPE_CHECKING:
    from tools.emulators.base import Emulator


def deselect_extended(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `extended` (the rest of a matrix whose representative subset runs by
    default) run only when the -m expression names the marker or a test id is given."""
    if "extended" in (config.option.markexpr or "") or any("::" in arg for arg in config.args):
        return
    extended = [item for item in items if item.get_closest_marker("extended")]
    if extended:
        config.hook.pytest_deselected(items=extended)
        items[:] = [item for item in items if not item.get_closest_marker("extended")]


@dataclass(frozen=True)
class Target:
    """An emulator and CPU model that system tests boot on."""

    backend: str
    cpu_model: str | None

    @property
    def binary(self) -> str | None:
        """The emulator's program; None for a lab target."""
        return {"bochs": "bochs", "qemu": "qemu-system-x86_64"}.get(self.backend)


# Every system test with a `target` argument runs on each of these.
TARGETS = [
    pytest.param(Target("bochs", "corei7_haswell_4770"), marks=pytest.mark.bochs, id="bochs-haswell"),
    pytest.param(Target("bochs", "tigerlake"), marks=pytest.mark.bochs, id="bochs-tigerlake"),
    pytest.param(Target("qemu", None), marks=pytest.mark.qemu, id="qemu-q35"),
]


LAB = Target("lab", None)


def lab_mode(config: pytest.Config) -> bool:
    """`--lg-env LAB.yaml` (labgrid's pytest plugin): the system tests boot the lab's target."""
    return bool(getattr(config.option, "lg_env", None))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every system test with a `target` argument runs on each emulator of TARGETS, or on the
    lab's target alone with --lg-env."""
    if "target" in metafunc.fixturenames:
        metafunc.parametrize("target", [pytest.param(LAB, id="lab")] if lab_mode(metafunc.config) else TARGETS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The `extended` matrix left out unless asked for; with --lg-env, the system tests that pick
    their own emulator skipped."""
    deselect_extended(config, items)
    if not lab_mode(config):
        return
    skip = pytest.mark.skip(reason="picks its own emulator; with --lg-env only the tests taking `target` run")
    for item in items:
        if "system" in Path(str(item.path)).parts and "target" not in getattr(item, "fixturenames", ()):
            item.add_marker(skip)


@pytest.fixture
def target_for() -> Callable[[str, str | None], Target]:
    """target_for(backend, cpu_model) for tests that pick their machine themselves."""
    return Target


@pytest.fixture(scope="session")
def plinth_elf() -> Path:
    """build/plinth.elf, built (or found up to date) once per test process."""
    build.build(quiet=True)
    return ELF


SESSION_ENV = logs.SESSION_ENV


def pytest_configure(config: pytest.Config) -> None:
    """The session's log directory, build/test-logs/<time>/, named once by the controlling
    process (xdist workers inherit it) and made when a test first logs there."""
    if not hasattr(config, "workerinput") and SESSION_ENV not in os.environ:
        os.environ[SESSION_ENV] = str(TEST_LOGS / time.strftime("%Y%m%d-%H%M%S"))


def pytest_unconfigure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput") and Path(os.environ.get(SESSION_ENV, "/nonexistent")).is_dir():
        logs.prune(TEST_LOGS, logs.KEEP_TEST_SESSIONS)


@pytest.fixture
def logdir(request: pytest.FixtureRequest) -> Path:
    """build/test-logs/<session>/<test>/ (build/test-logs/latest/<test>/), emptied at the start
    of the test and kept afterwards; the newest KEEP_TEST_SESSIONS sessions are kept."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid.replace("::", "."))
    session = Path(os.environ.get(SESSION_ENV) or TEST_LOGS / "unnamed")
    path = session / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    logs.point_latest(TEST_LOGS, session)
    return path


BootFn = Callable[..., "Emulator"]


def progress_reporter(config: pytest.Config) -> Callable[[Emulator, str, float], None] | None:
    """When tests run one at a time (-n 0), a line on the terminal every PROGRESS_S that a
    test waits on a console: the wait, its length and the console's last line."""
    from tools.progress import elapsed

    if hasattr(config, "workerinput") or config.getoption("capture", "fd") == "no":
        return None
    capture = config.pluginmanager.getplugin("capturemanager")
    reporter = config.pluginmanager.getplugin("terminalreporter")
    if capture is None or reporter is None:
        return None

    def report(emu: Emulator, what: str, waited: float) -> None:
        last = next((ln for ln in reversed(emu.output.splitlines()) if ln.strip()), "")
        what = re.sub(r"\\(.)", r"\1", what)  # the patterns as people read them
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"    {elapsed(waited)} {emu.title} waits for {what}; last line: {last[:100]!r}")

    return report


@pytest.fixture
def boot(request: pytest.FixtureRequest, plinth_elf: Path, logdir: Path) -> Iterator[BootFn]:
    """boot(target, cmdline=..., modules=[(path, cmdline)], cpus=...) -> a started Emulator.

    The ISO comes from build/iso-cache/ (built once per content) and is linked into the test's
    log directory; every emulator is stopped at teardown.
    """
    from tools import emulators, image

    started: list[Emulator] = []
    progress = progress_reporter(request.config)

    def _boot(
        target: Target,
        cmdline: str = "",
        modules: Sequence[tuple[Path, str]] = (),
        cpus: int = 1,
        memory_mib: int = 512,
        **kw: object,
    ) -> Emulator:
        if target == LAB:
            return boot_lab(request, plinth_elf, logdir, modules, cmdline, started)
        if target.binary is None or not shutil.which(target.binary):
            pytest.skip(f"{target.binary} is not installed (tools/plinth setup installs it)")
        iso = image.cached_iso(plinth_elf, modules=modules, cmdline=cmdline)
        logs.link_iso(iso, logdir)
        emu = emulators.create(
            target.backend, iso, logdir, cpu_model=target.cpu_model, cpus=cpus, memory_mib=memory_mib, **kw
        )
        emu.progress = progress
        started.append(emu)
        return emu.start()

    yield _boot
    for emu in started:
        emu.stop()


def boot_lab(
    request: pytest.FixtureRequest,
    plinth_elf: Path,
    logdir: Path,
    modules: Sequence[tuple[Path, str]],
    cmdline: str,
    started: list[Emulator],
) -> Emulator:
    """The lab's target "main" (labgrid's env fixture), booted over PXE from a tree written
    into its TFTP directory; the machine's CPUs and memory are what it has."""
    from tools import lab

    env = request.getfixturevalue("env")
    lg_target = env.get_target("main")
    tree = lab.stage_pxe(lg_target, plinth_elf, modules, cmdline)
    (logdir / "pxe-tree.txt").write_text(f"{tree.root}\n{tree.boot_files}\n")
    machine = lab.LabMachine(lg_target, logdir)
    machine.progress = progress_reporter(request.config)
    started.append(machine)
    return machine.start()
