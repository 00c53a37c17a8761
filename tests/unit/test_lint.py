"""The Python code passes ruff (check and format, ruff.toml) and mypy (mypy.ini)."""

from __future__ import annotations

import shutil
import subprocess
import sys

from tools.paths import ROOT

PYTHON_FILES = ["tools", "tests", "SConstruct", "tests/guests/SConscript"]


def run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The tool from .venv (or PATH, or as a module of this Python), run in the tree's root."""
    path = shutil.which(tool, path=str(ROOT / ".venv" / "bin")) or shutil.which(tool)
    cmd = [path] if path else [sys.executable, "-m", tool]
    return subprocess.run([*cmd, *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_is_clean() -> None:
    res = run("ruff", "check", *PYTHON_FILES)
    assert res.returncode == 0, res.stdout + res.stderr


def test_ruff_format_leaves_every_file_as_it_is() -> None:
    """tools/ and tests/ (the SCons scripts keep their hand-made layout of flag lists)."""
    res = run("ruff", "format", "--check", "tools", "tests")
    assert res.returncode == 0, res.stdout + res.stderr


def test_mypy_finds_no_errors() -> None:
    """tools/ and tests/ as mypy.ini configures (the SCons scripts are not Python modules)."""
    res = run("mypy")
    assert res.returncode == 0, res.stdout + res.stderr
