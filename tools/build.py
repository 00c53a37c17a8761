"""Runs the SCons build (SConstruct) from the tools and the tests."""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import sys
from pathlib import Path

from tools.errors import PlinthError
from tools.msg import say
from tools.paths import BUILD, ROOT


def scons_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "SCons", "-Q", "-C", str(ROOT), f"-j{os.cpu_count() or 2}", *args]


# SCons's own chatter that says nothing a person needs ("scons: `x' is up to date.").
NOISE = re.compile(r"^scons: `.*' is up to date\.$|^scons: (?:done )?(?:building|reading)")
# What a build makes by default (SConstruct's Default), for the closing line.
PRODUCTS = ("build/plinth.elf", "build/plinth.iso", "build/guests/testguest.bin")


def build(*args: str, quiet: bool = False) -> None:
    """Builds build/plinth.elf, build/plinth.iso and the test guest (or the given SCons
    targets/arguments): one line per step, then a closing "built ..." line on stderr (quiet:
    nothing unless it fails).

    A file lock keeps concurrent callers (pytest-xdist workers) from building at once.
    """
    BUILD.mkdir(exist_ok=True)
    with open(BUILD / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = subprocess.Popen(
            scons_command(*args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
        assert proc.stdout is not None
        lines, steps = [], 0
        for line in proc.stdout:
            line = line.rstrip("\n")
            if NOISE.match(line):
                continue
            lines.append(line)
            steps += line.startswith("  ")
            if not quiet:
                print(line, file=sys.stderr, flush=True)
        returncode = proc.wait()
    if returncode != 0:
        detail = "\n" + "\n".join(lines[-30:]) if quiet else ""
        raise PlinthError(f"the build failed (scons exit {returncode}); the messages above say why.{detail}")
    if not quiet:
        what = ", ".join(args) if args else ", ".join(PRODUCTS)
        say(f"built {what} ({f'{steps} steps' if steps else 'up to date'})")


# What `clean` removes under build/, by kind (tools/logs.py keeps the logs within bounds).
CACHES = ("linux-cache", "iso-cache")
LOGS = ("run-logs", "test-logs", "console-logs", "bench")


def clean(products: bool = True, cache: bool = False, logs: bool = False) -> list[tuple[str, str]]:
    """Removes build products (everything under build/ but the caches and logs), and the
    caches and/or logs when asked; returns (what, its size) for each thing removed."""
    import shutil

    removed: list[tuple[str, str]] = []
    product_bytes = None
    if not BUILD.is_dir():
        return removed
    for path in sorted(BUILD.iterdir()):
        kind = "cache" if path.name in CACHES else "logs" if path.name in LOGS else "products"
        if not {"cache": cache, "logs": logs, "products": products}[kind] or path.name == ".build.lock":
            continue
        size = _size(path)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
        if kind == "products":
            product_bytes = (product_bytes or 0) + size
        else:
            removed.append((f"build/{path.name}/", f"{size / 2**20:.1f} MiB"))
    if product_bytes is not None:
        removed.insert(0, ("the build products", f"{product_bytes / 2**20:.1f} MiB"))
    return removed


def _size(path: Path) -> int:
    if path.is_file() or path.is_symlink():
        return path.lstat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*"))


def require_writable() -> None:
    """One sentence, before any work, when build/ cannot be written (a read-only checkout or
    file system)."""
    probe = BUILD / f".writable.{os.getpid()}"
    try:
        BUILD.mkdir(exist_ok=True)
        probe.touch()
        probe.unlink()
    except OSError as err:
        raise PlinthError(
            f"cannot write to {BUILD} ({err.strerror}): the tools build and log there; make it writable "
            "(or work in a writable clone)."
        ) from None


def artifact(path: Path) -> Path:
    if not path.exists():
        raise PlinthError(f"{path.relative_to(ROOT)} does not exist; run tools/plinth build first.")
    return path
