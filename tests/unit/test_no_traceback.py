"""Inputs that used to end in a Python traceback end in one sentence and exit 1 instead: a
closed stdout pipe (`check-host --json | head`), `image --pxe` naming a file, and `build`,
`run` or `image` with a read-only build/ directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from pathlib import Path

from tools import bootstrap
from tools.paths import BUILD, ROOT

ENV = dict(os.environ, **{bootstrap.IN_VENV_FLAG: "1", "PYTHONPATH": str(ROOT)})
CLI = [sys.executable, "-m", "tools.cli"]


def one_sentence(stderr: str, starts: str) -> None:
    assert "Traceback" not in stderr, stderr
    lines = [ln for ln in stderr.splitlines() if ln.startswith("==> error: ")]
    assert len(lines) == 1 and lines[0].startswith("==> error: " + starts), stderr


def test_check_host_into_a_closed_pipe() -> None:
    """As `check-host --json | head -0`: the reader is gone before the first write."""
    proc = subprocess.Popen(
        [*CLI, "check-host", "--json"],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    stderr = proc.stderr.read()
    assert proc.wait(timeout=120) == 1
    one_sentence(stderr, "the output pipe closed before the command finished")


def test_image_pxe_naming_a_file(tmp_path: Path) -> None:
    existing = tmp_path / "tftp-root"
    existing.write_text("a file, not a directory\n")
    res = subprocess.run([*CLI, "image", "--pxe", str(existing)], cwd=ROOT, env=ENV, capture_output=True, text=True)
    assert res.returncode == 1
    one_sentence(res.stderr, f"--pxe {existing} is a file")


READ_ONLY = ["build"], ["run", "--emulator", "qemu", "--no-guest"], ["image", "--out", "/tmp/plinth-ro-test.iso"]


@pytest.mark.parametrize("argv", READ_ONLY, ids=[a[0] for a in READ_ONLY])
def test_a_read_only_build_directory(argv: list[str]) -> None:
    """build/ bind-mounted read-only in a private mount namespace (this process's own view
    of the file system is unchanged)."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs root and unshare(1) to mount build/ read-only in a private namespace")
    BUILD.mkdir(exist_ok=True)
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"no mount namespaces here: {probe.stderr.decode().strip()}")
    script = f'mount --bind -o ro "{BUILD}" "{BUILD}" && exec "$@"'
    res = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", *CLI, *argv],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    assert res.returncode == 1, res.stderr
    one_sentence(res.stderr, f"cannot write to {BUILD} (Read-only file system)")
