"""The pieces of the lab path that need no lab: the PXE tree under a TFTP provider's external
path, the emulated lab's null-modem cable and environment file, and the example environment."""

from __future__ import annotations

import os
import select
import shutil
from pathlib import Path

import pytest
import yaml

from tools import labsim, pxe
from tools.paths import ROOT


@pytest.mark.skipif(shutil.which("grub-mkimage") is None, reason="grub-mkimage missing (apt package: grub-common)")
def test_a_pxe_tree_under_a_tftp_sub_directory_names_its_files_there(tmp_path: Path) -> None:
    elf = tmp_path / "plinth.elf"
    elf.write_bytes(b"\x7fELF")
    module = tmp_path / "mod.bin"
    module.write_bytes(b"x")
    tree = pxe.make_pxe(elf, tmp_path / "tftp", [(module, "a=1")], "iommu=optional", tftp_dir="nuc-1/")
    cfg = (tree.root / "boot" / "grub" / "grub.cfg").read_text()
    assert "multiboot2 /nuc-1/boot/plinth.elf 'iommu=optional'" in cfg
    assert "module2 '/nuc-1/boot/modules/0-mod.bin' 'a=1'" in cfg
    assert (tree.root / "boot" / "modules" / "0-mod.bin").read_bytes() == b"x"


def test_the_null_modem_cable_joins_its_two_ends() -> None:
    cable = labsim.NullModem()
    try:
        a = os.open(cable.paths[0], os.O_RDWR | os.O_NOCTTY)
        b = os.open(cable.paths[1], os.O_RDWR | os.O_NOCTTY)
        for fd in (a, b):  # raw, so that the bytes pass as they are
            import tty

            tty.setraw(fd)
        os.write(b, b"from the target\n")
        assert select.select([a], [], [], 5)[0] and os.read(a, 100) == b"from the target\n"
        os.write(a, b"keys")
        assert select.select([b], [], [], 5)[0] and os.read(b, 100) == b"keys"
        os.close(a)
        os.close(b)
    finally:
        cable.close()


def test_the_environments_name_a_main_target_with_power_console_and_tftp(tmp_path: Path) -> None:
    lab = labsim.EmulatedLab(tmp_path)
    lab.address = "127.0.0.1:4242"
    for text in (lab.environment(), (ROOT / "docs" / "lab-example.yaml").read_text()):
        env = yaml.safe_load(text)
        main = env["targets"]["main"]
        assert "RemotePlace" in main["resources"]
        drivers = set(main["drivers"])
        assert (
            drivers & {"ExternalPowerDriver", "NetworkPowerDriver"}
            and {"SerialDriver", "TFTPProviderDriver"} <= drivers
        )
        assert env["options"]["coordinator_address"]
    exporter = yaml.safe_load((ROOT / "docs" / "lab-exporter-example.yaml").read_text())
    assert {"NetworkPowerPort", "USBSerialPort", "TFTPProvider"} <= set(exporter["nuc-1"])
