"""Emulator launchers behind one interface (see base.Emulator), chosen by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tools.emulators.base import (
    ConsoleFailure,
    ConsoleTimeout,
    Emulator,
    EmulatorError,
    EmulatorExited,
)
from tools.emulators.bochs import BOCHS_MODELS, BochsEmulator
from tools.emulators.qemu import QemuEmulator
from tools.errors import PlinthError

BACKENDS: dict[str, type[Emulator]] = {"bochs": BochsEmulator, "qemu": QemuEmulator}

__all__ = [
    "BACKENDS",
    "BOCHS_MODELS",
    "BochsEmulator",
    "ConsoleFailure",
    "ConsoleTimeout",
    "Emulator",
    "EmulatorError",
    "EmulatorExited",
    "QemuEmulator",
    "create",
]


def create(backend: str, iso: Path, logdir: Path, **kw: Any) -> Emulator:
    """An (unstarted) emulator of the named backend; kw go to its constructor."""
    try:
        cls = BACKENDS[backend]
    except KeyError:
        raise PlinthError(f"Unknown emulator '{backend}': choose one of {', '.join(sorted(BACKENDS))}.") from None
    return cls(iso, logdir, **kw)
