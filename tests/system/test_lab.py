"""The system tests run on a labgrid lab: here an emulated one (tools/labsim.py), with labgrid's
coordinator and exporter on localhost, the target's serial console exported as a network
serial port (ser2net, started by the exporter), power through labgrid's ExternalPowerDriver,
and Plinth booted over PXE from the tree `image --pxe` writes into the exported TFTP
directory. The boot test of tests/system/test_boot.py runs through the place end to end, as
`tools/plinth test --lg-env lab.yaml` runs it against a real lab."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tools import bootstrap, labsim, pxe
from tools.logs import SESSION_ENV
from tools.paths import ROOT

INNER_TIMEOUT_S = 240


@pytest.mark.qemu
@pytest.mark.lab
def test_the_boot_test_runs_through_a_labgrid_place(plinth_elf: Path, logdir: Path) -> None:
    why = labsim.missing()
    if why:
        pytest.skip(f"the emulated lab needs {why}")
    with labsim.EmulatedLab(logdir / "lab") as lab:
        res = subprocess.run(
            # The command a lab's user runs (set-up skipped: this is .venv's Python already).
            [
                sys.executable,
                "-m",
                "tools.cli",
                "test",
                "--lg-env",
                str(lab.env_file),
                "tests/system/test_boot.py",
                "-q",
            ],
            cwd=ROOT,
            env=dict(
                os.environ, **{SESSION_ENV: str(logdir / "inner"), bootstrap.IN_VENV_FLAG: "1", "PYTHONPATH": str(ROOT)}
            ),
            capture_output=True,
            text=True,
            timeout=INNER_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
        (logdir / "inner-pytest.txt").write_text(res.stdout + res.stderr)
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
        assert re.search(r"\b1 passed\b", res.stdout), res.stdout[-2000:]
        exporter_log = (lab.root / "exporter.log").read_text()
    assert "started ser2net for /dev/pts/" in exporter_log, "the console did not go through the exported port"
    test_log = next((logdir / "inner").glob("*test_boot*lab*"))
    assert b"Plinth hypervisor" in (test_log / "console.log").read_bytes()
    # Booted over the network: the tree was written into the exported TFTP directory (there is
    # no disk), and GRUB's network image and grub.cfg are the ones `image --pxe` writes.
    assert str(lab.tftp) in (test_log / "pxe-tree.txt").read_text()
    assert (lab.tftp / labsim.BIOS_BOOT_FILE).is_file()
    assert pxe.MARKER in (lab.tftp / "boot" / "grub" / "grub.cfg").read_text()
