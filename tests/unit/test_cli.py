"""The CLI: help works, user mistakes end in one sentence and exit 1, never a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tools import bootstrap, cli
from tools.paths import ROOT

PLINTH = str(ROOT / "tools" / "plinth")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, **{bootstrap.IN_VENV_FLAG: "1", "PYTHONPATH": str(ROOT)})
    return subprocess.run([sys.executable, PLINTH, *args], capture_output=True, text=True, env=env)


def test_help_lists_the_commands() -> None:
    res = run("--help")
    assert res.returncode == 0
    for name in ("run", "test", "build", "image", "setup", "check-elf"):
        assert name in res.stdout


def test_check_elf_on_a_missing_file_is_one_sentence(tmp_path: Path) -> None:
    res = run("check-elf", str(tmp_path / "missing.elf"))
    assert res.returncode == 1
    assert "Traceback" not in res.stderr
    assert res.stderr.strip().startswith("==> error: cannot read")
    assert len(res.stderr.strip().splitlines()) == 1


def test_check_elf_on_the_real_image(plinth_elf: Path) -> None:
    res = run("check-elf", str(plinth_elf))
    assert res.returncode == 0, res.stderr
    assert "multiboot2 header" in res.stdout


def test_missing_module_is_one_sentence(tmp_path: Path, plinth_elf: Path) -> None:
    res = run("image", "--out", str(tmp_path / "x.iso"), "--module", str(tmp_path / "nope.bin=arg"))
    assert res.returncode == 1
    assert "Traceback" not in res.stderr
    assert "nope.bin does not exist" in res.stderr


def test_unknown_command_is_a_usage_error() -> None:
    res = run("frobnicate")
    assert res.returncode == 2
    assert "invalid choice" in res.stderr


def test_module_argument_splits_on_the_first_equals() -> None:
    assert cli.module_arg("a/b.bin=x=1 y") == (Path("a/b.bin"), "x=1 y")
    assert cli.module_arg("k") == (Path("k"), "")


def test_without_privileges_the_exact_apt_line_is_printed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(bootstrap, "apt_missing", lambda pkgs: [p for p in pkgs if p in ("bochs", "xorriso")])
    monkeypatch.setattr(bootstrap, "venv_package", list)
    monkeypatch.setattr(bootstrap, "privilege_prefix", lambda: None)
    assert bootstrap.ensure_apt() is False
    err = capsys.readouterr().err
    assert "sudo apt-get install -y xorriso bochs" in err


def test_with_privileges_missing_packages_are_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr(bootstrap, "apt_missing", lambda pkgs: ["mtools"] if "mtools" in pkgs else [])
    monkeypatch.setattr(bootstrap, "venv_package", list)
    monkeypatch.setattr(bootstrap, "privilege_prefix", lambda: ["sudo", "-n"])

    def apt_install(pkgs: list[str], prefix: list[str]) -> bool:
        calls.append(prefix + pkgs)
        return True

    monkeypatch.setattr(bootstrap, "apt_install", apt_install)
    assert bootstrap.ensure_apt() is True
    assert calls == [["sudo", "-n", "mtools"]]


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("run", ["--emulator", "--cpu-model", "--cpus", "--memory", "--timeout", "--firmware", "--vtd"]),
        ("bench", ["--cpu-model", "--cpus"]),
    ],
)
def test_every_option_says_what_it_does(command: str, options: list[str]) -> None:
    sub = next(a for a in cli.parser()._actions if a.dest == "command")
    parser = sub.choices[command]  # type: ignore[index]
    helps = {o: a.help for a in parser._actions for o in a.option_strings}
    assert all(helps.get(o) for o in options), {o: helps.get(o) for o in options}


def test_the_build_prints_a_line_per_step_and_a_closing_line(plinth_elf: Path) -> None:
    """Up to date: no SCons chatter (no "is up to date", no action reprs), one closing line."""
    env = dict(os.environ, **{bootstrap.IN_VENV_FLAG: "1", "PYTHONPATH": str(ROOT)})
    res = subprocess.run(
        [sys.executable, "-m", "tools.cli", "build"], cwd=ROOT, capture_output=True, text=True, env=env
    )
    assert res.returncode == 0, res.stderr
    lines = res.stderr.rstrip().splitlines()
    assert lines[-1].startswith("==> built build/plinth.elf, build/plinth.iso, build/guests/testguest.bin (")
    assert not [ln for ln in lines if "scons:" in ln or "([" in ln or "is up to date" in ln], lines
    assert all(ln.startswith(("  ", "==> ")) for ln in lines), lines


def test_decode_refuses_an_elf_that_is_not_the_one_that_ran(plinth_elf: Path, tmp_path: Path) -> None:
    from tools import fatal

    version, build_id = fatal.elf_build(plinth_elf) or ("", "")
    assert re.fullmatch(r"[0-9a-f]{12}", build_id)
    report = "FATAL: CPU exception in Plinth (#UD invalid opcode at rip 0x200000)\n  rip 0x0000000000200000\n"
    log = tmp_path / "console.log"
    log.write_text(f"plinth: Plinth hypervisor {version} build 0123456789ab (x86-64)\n{report}")
    res = run("decode", str(log), "--elf", str(plinth_elf))
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert res.stderr.strip() == (
        f"==> error: the log is from Plinth {version} build 0123456789ab, but {plinth_elf} is {version} build "
        f"{build_id}: give the plinth.elf that ran (--elf)."
    )
    log.write_text(f"plinth: Plinth hypervisor {version} build {build_id} (x86-64)\n{report}")
    res = run("decode", str(log), "--elf", str(plinth_elf))
    assert res.returncode == 0 and "=> rip " in res.stdout, res.stderr


def test_test_passes_every_argument_to_pytest(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []

    def fake_test(args: object) -> int:
        seen.append(list(getattr(args, "pytest_args")))  # noqa: B009
        return 0

    monkeypatch.setattr(cli, "cmd_test", fake_test)
    for argv in (["-m", "qemu", "-n", "2"], ["--lg-env", "lab.yaml", "tests/system/test_boot.py"], []):
        assert cli.main(["test", *argv]) == 0
        assert seen[-1] == argv
