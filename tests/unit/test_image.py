"""tools/image.py: grub.cfg text, input and tool checks, and a real grub-mkrescue run."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tools import image
from tools.consoleproto import FATAL_PREFIX
from tools.errors import PlinthError

HAVE_GRUB = all(shutil.which(tool) for tool in image.REQUIRED_TOOLS)
needs_grub = pytest.mark.skipif(
    not HAVE_GRUB,
    reason="grub-mkrescue, xorriso or mformat missing (grub-pc-bin xorriso mtools)",
)


def entry_lines(cfg: str) -> list[str]:
    return [line.strip() for line in cfg.splitlines() if line.startswith("    ")]


def test_grub_cfg_uses_serial_no_delay_and_boots_one_entry() -> None:
    lines = image.grub_cfg().splitlines()
    assert lines[:4] == [
        "set timeout=0",
        "serial --unit=0 --speed=115200",
        "terminal_input serial console",
        "terminal_output serial console",
    ]
    assert sum(line.startswith("menuentry ") for line in lines) == 1
    assert entry_lines(image.grub_cfg())[:2] == ["multiboot2 /boot/plinth.elf", "boot"]


def test_grub_cfg_quotes_every_word_so_grub_expands_nothing() -> None:
    cfg = image.grub_cfg("log=debug  $HOME;reboot {x}", [("/boot/modules/0-a b", "it's 1")])
    multiboot, module = entry_lines(cfg)[:2]
    assert multiboot == "multiboot2 /boot/plinth.elf 'log=debug' '$HOME;reboot' '{x}'"
    assert module == "module2 '/boot/modules/0-a b' 'it'\\''s' '1'"


def test_grub_cfg_reports_a_failed_load_in_the_fatal_format() -> None:
    # GRUB goes on after `boot` fails; the line after it is what harnesses stop on.
    after_boot = entry_lines(image.grub_cfg())[-1]
    assert after_boot.startswith(f"echo '{FATAL_PREFIX}GRUB could not boot Plinth")


def test_grub_quote_closes_and_reopens_around_a_quote() -> None:
    assert image.grub_quote("a'b") == "'a'\\''b'"
    assert image.grub_quote("") == "''"


def test_missing_elf_is_one_sentence_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "plinth.elf"
    with pytest.raises(PlinthError, match=r"Plinth ELF '.*plinth\.elf' does not exist\.$"):
        image.make_iso(missing, tmp_path / "out.iso")


def test_missing_module_is_named_with_its_index(tmp_path: Path) -> None:
    elf = tmp_path / "plinth.elf"
    elf.write_bytes(b"\x7fELF")
    with pytest.raises(PlinthError, match=r"module 1 '.*nope' does not exist"):
        image.make_iso(elf, tmp_path / "out.iso", [(elf, ""), (tmp_path / "nope", "")])


def test_missing_tool_names_its_apt_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elf = tmp_path / "plinth.elf"
    elf.write_bytes(b"\x7fELF")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PlinthError, match=r"no 'grub-mkrescue' on PATH \(apt package: grub-pc-bin\)"):
        image.make_iso(elf, tmp_path / "out.iso")


def test_grub_mkrescue_failure_reports_its_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in image.REQUIRED_TOOLS:
        script = bindir / tool
        script.write_text("#!/bin/sh\necho 'grub-mkrescue: error: disk full.' >&2\nexit 1\n")
        script.chmod(0o755)
    monkeypatch.setenv("PATH", str(bindir))
    monkeypatch.setattr(image, "BIOS_GRUB_DIR", tmp_path)
    elf = tmp_path / "plinth.elf"
    elf.write_bytes(b"\x7fELF")
    with pytest.raises(PlinthError, match=r"grub-mkrescue failed \(exit 1\): .*disk full"):
        image.make_iso(elf, tmp_path / "out.iso")


def test_main_reports_a_missing_file_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert image.main(["--elf", str(tmp_path / "none.elf"), "--out", str(tmp_path / "o.iso")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Cannot build the ISO: Plinth ELF")
    assert "Traceback" not in err


def test_module_option_splits_at_the_first_equals_sign() -> None:
    assert image.parse_module("a/b.bin=x=1 y") == (Path("a/b.bin"), "x=1 y")
    assert image.parse_module("a/b.bin") == (Path("a/b.bin"), "")


@needs_grub
def test_make_iso_lays_out_kernel_modules_and_config(tmp_path: Path) -> None:
    elf = tmp_path / "plinth.elf"
    elf.write_bytes(b"kernel")
    first, second = tmp_path / "initrd.img", tmp_path / "vm config.bin"
    first.write_bytes(b"one")
    second.write_bytes(b"two")
    tree, iso = tmp_path / "tree", tmp_path / "out" / "plinth.iso"
    result = image.make_iso(elf, iso, [(first, "root=/dev/ram0"), (second, "")], "log=debug", tree)
    assert result == iso and iso.stat().st_size > 0
    assert (tree / "boot/modules/0-initrd.img").read_bytes() == b"one"
    assert (tree / "boot/modules/1-vm config.bin").read_bytes() == b"two"
    cfg = (tree / "boot/grub/grub.cfg").read_text()
    assert "multiboot2 /boot/plinth.elf 'log=debug'" in cfg
    assert "module2 '/boot/modules/0-initrd.img' 'root=/dev/ram0'" in cfg
    listing = subprocess.run(
        ["xorriso", "-indev", str(iso), "-find", "/boot", "-type", "f"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for path in (
        "/boot/plinth.elf",
        "/boot/modules/0-initrd.img",
        "/boot/grub/grub.cfg",
    ):
        assert f"'{path}'" in listing
