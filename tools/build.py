"""Runs the SCons build (SConstruct) from the tools and the tests."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

from tools.errors import PlinthError
from tools.paths import BUILD, ROOT


def scons_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "SCons", "-Q", "-C", str(ROOT), f"-j{os.cpu_count() or 2}", *args]


def build(*args: str, quiet: bool = False) -> None:
    """Builds build/plinth.elf and build/plinth.iso (or the given SCons targets/arguments).

    A file lock keeps concurrent callers (pytest-xdist workers) from building at once.
    """
    BUILD.mkdir(exist_ok=True)
    with open(BUILD / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        res = subprocess.run(scons_command(*args), capture_output=quiet, text=True)
    if res.returncode != 0:
        detail = ""
        if quiet:
            lines = (res.stdout + res.stderr).strip().splitlines()
            detail = "\n" + "\n".join(lines[-30:])
        raise PlinthError(f"the build failed (scons exit {res.returncode}); the messages above say why.{detail}")


def clean() -> None:
    """Removes build/ entirely (generated headers, objects, images, logs)."""
    import shutil

    if BUILD.exists():
        shutil.rmtree(BUILD)


def artifact(path: Path) -> Path:
    if not path.exists():
        raise PlinthError(f"{path.relative_to(ROOT)} does not exist; run tools/plinth build first.")
    return path
