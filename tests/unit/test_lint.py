"""The Python code passes ruff with the project's rules (ruff.toml)."""

from __future__ import annotations

import shutil
import subprocess
import sys

from tools.paths import ROOT


def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff", path=str(ROOT / ".venv" / "bin")) or shutil.which("ruff")
    cmd = [ruff] if ruff else [sys.executable, "-m", "ruff"]
    res = subprocess.run(
        [*cmd, "check", "tools", "tests", "SConstruct", "tests/guests/SConscript"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stdout + res.stderr
