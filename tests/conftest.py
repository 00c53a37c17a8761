"""Shared fixtures: the built hypervisor, a log directory per test, and booting in emulators."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tools import build
from tools.paths import ELF, TEST_LOGS

if TYPE_CHECKING:
    from tools.emulators.base import Emulator


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
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
    def binary(self) -> str:
        return {"bochs": "bochs", "qemu": "qemu-system-x86_64"}[self.backend]


# Every system test with a `target` argument runs on each of these.
TARGETS = [
    pytest.param(Target("bochs", "corei7_haswell_4770"), marks=pytest.mark.bochs, id="bochs-haswell"),
    pytest.param(Target("bochs", "tigerlake"), marks=pytest.mark.bochs, id="bochs-tigerlake"),
    pytest.param(Target("qemu", None), marks=pytest.mark.qemu, id="qemu-q35"),
]


@pytest.fixture(params=TARGETS)
def target(request: pytest.FixtureRequest) -> Target:
    return request.param


@pytest.fixture
def target_for() -> Callable[[str, str | None], Target]:
    """target_for(backend, cpu_model) for tests that pick their machine themselves."""
    return Target


@pytest.fixture(scope="session")
def plinth_elf() -> Path:
    """build/plinth.elf, built (or found up to date) once per test process."""
    build.build(quiet=True)
    return ELF


@pytest.fixture
def logdir(request: pytest.FixtureRequest) -> Path:
    """build/test-logs/<test>/, emptied at the start of the test and kept afterwards."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid.replace("::", "."))
    path = TEST_LOGS / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


BootFn = Callable[..., "Emulator"]


@pytest.fixture
def boot(plinth_elf: Path, logdir: Path) -> Iterator[BootFn]:
    """boot(target, cmdline=..., modules=[(path, cmdline)], cpus=...) -> a started Emulator.

    Builds an ISO for this test in its log directory; every emulator is stopped at teardown.
    """
    from tools import emulators, image

    started: list[Emulator] = []

    def _boot(
        target: Target,
        cmdline: str = "",
        modules: Sequence[tuple[Path, str]] = (),
        cpus: int = 1,
        memory_mib: int = 512,
        **kw: object,
    ) -> Emulator:
        if not shutil.which(target.binary):
            pytest.skip(f"{target.binary} is not installed (tools/plinth setup installs it)")
        iso = image.make_iso(plinth_elf, logdir / "plinth.iso", modules=modules, cmdline=cmdline)
        emu = emulators.create(
            target.backend, iso, logdir, cpu_model=target.cpu_model, cpus=cpus, memory_mib=memory_mib, **kw
        )
        started.append(emu)
        return emu.start()

    yield _boot
    for emu in started:
        emu.stop()
