"""Run and test logs, and the ISOs they booted, kept within bounds.

- `tools/plinth run` logs to build/run-logs/<time>/, `tools/plinth test` to
  build/test-logs/<time>/<test>/; build/run-logs/latest and build/test-logs/latest point at the
  newest. Only the newest KEEP_RUNS runs and KEEP_TEST_SESSIONS test sessions are kept.
- An ISO is built once per content (Plinth's ELF, the modules, grub.cfg) into build/iso-cache/
  and each log directory holds a symbolic link to the one it booted, not a copy; an ISO that
  no kept log has used since the oldest kept log began is deleted with the logs.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from tools.paths import ISO_CACHE, RUN_LOGS, TEST_LOGS

__all__ = ["ISO_CACHE", "RUN_LOGS", "TEST_LOGS"]

LATEST = "latest"
TIME_NAME = re.compile(r"\d{8}-\d{6}(?:-\d+)?")
# The test session's log directory, named by the controlling pytest process (tests/conftest.py).
SESSION_ENV = "PLINTH_TEST_SESSION"
KEEP_RUNS = 10
KEEP_TEST_SESSIONS = 3


def new_log_dir(root: Path, keep: int, name: str | None = None) -> Path:
    """root/<time> (or root/name), made now; root/latest points at it; all but the newest
    `keep` earlier ones are removed."""
    root.mkdir(parents=True, exist_ok=True)
    base = name or time.strftime("%Y%m%d-%H%M%S")
    path, n = root / base, 1
    while path.exists():
        n += 1
        path = root / f"{base}-{n}"
    path.mkdir()
    point_latest(root, path)
    prune(root, keep)
    return path


def point_latest(root: Path, path: Path) -> None:
    """root/latest -> path (a name inside root), replaced atomically when it differs."""
    link = root / LATEST
    if link.is_symlink() and os.readlink(link) == path.name:
        return
    tmp = root / f".{LATEST}.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(path.name)
    tmp.replace(link)


def sessions(root: Path) -> list[Path]:
    """root's log directories (named by their time), oldest first."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if TIME_NAME.fullmatch(p.name) and p.is_dir() and not p.is_symlink())


def prune(root: Path, keep: int) -> None:
    """Remove all but the newest `keep` log directories of root, then the ISOs only they used."""
    kept = sessions(root)
    for old in kept[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    prune_isos()


def prune_isos() -> None:
    """Delete cached ISOs used (mtime: last use) before the oldest kept log of any kind."""
    oldest = [s[0].stat().st_mtime for s in (sessions(RUN_LOGS), sessions(TEST_LOGS)) if s]
    if not ISO_CACHE.is_dir():
        return
    for iso in ISO_CACHE.glob("*.iso"):
        if not oldest or iso.stat().st_mtime < min(oldest) - 60:
            iso.unlink(missing_ok=True)


def iso_key(elf: Path, modules: Sequence[tuple[Path, str]], grub_cfg: str) -> str:
    """A digest of everything an ISO holds."""
    digest = hashlib.sha256(grub_cfg.encode())
    for path in [elf, *(p for p, _ in modules)]:
        digest.update(b"\0file\0")
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:24]


def link_iso(iso: Path, logdir: Path) -> Path:
    """logdir/plinth.iso as a symbolic link to the cached iso; returns the link."""
    link = logdir / "plinth.iso"
    link.unlink(missing_ok=True)
    link.symlink_to(os.path.relpath(iso, logdir))
    return link
