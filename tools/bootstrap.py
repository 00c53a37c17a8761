"""Set-up before any other tool runs: apt packages, then .venv, then re-run inside .venv.

Standard library only: on a fresh Debian/Ubuntu machine nothing else exists yet. Packages are
installed with apt-get when we are root or have password-less sudo; otherwise the exact
apt-get line is printed and we stop.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tools.msg import say

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
REQUIREMENTS = ROOT / "requirements.txt"
STAMP = VENV / ".requirements.sha256"
IN_VENV_FLAG = "PLINTH_BOOTSTRAPPED"

# What building and testing Plinth needs, by Debian package name.
APT_REQUIRED = [
    "gcc",
    "binutils",
    "libc6-dev",
    "cpio",  # host unit tests link against libc; cpio checks initramfs images
    "grub-pc-bin",
    "grub-common",
    "xorriso",
    "mtools",  # bootable ISO (BIOS)
    "bochs",
    "bochsbios",
    "vgabios",
    "bochs-term",  # VMX emulator (bochs-term: its GUI dependency without X)
    "qemu-system-x86",  # VT-d emulator
    "ovmf",  # UEFI firmware for QEMU (the UEFI boot test, `run --firmware uefi`)
    "ser2net",  # the labgrid exporter serves serial ports with it (the lab test)
    "clang",
    "libclang-rt-14-dev",  # libFuzzer harnesses (tests/fuzz/): clang and its fuzzer/sanitizer runtimes
]
# UEFI boot in the ISO when this installs; Plinth works without it.
APT_OPTIONAL = ["grub-efi-amd64-bin"]

# Commands that need nothing installed.
NO_SETUP = {"-h", "--help", "help"}
# Commands for a target machine or a log: Python packages only, no emulators or compilers.
VENV_ONLY = {"check-host", "console", "decode", "exits", "check-elf"}


def apt_missing(packages: list[str]) -> list[str]:
    """The packages dpkg does not list as installed."""
    missing = []
    for pkg in packages:
        res = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", pkg], capture_output=True, text=True)
        if res.returncode != 0 or not res.stdout.startswith("ii"):
            missing.append(pkg)
    return missing


def venv_package() -> list[str]:
    """The distribution's venv package when this Python lacks ensurepip (Debian splits it out)."""
    res = subprocess.run([sys.executable, "-c", "import ensurepip, venv"], capture_output=True)
    if res.returncode == 0:
        return []
    return [f"python{sys.version_info.major}.{sys.version_info.minor}-venv"]


def privilege_prefix() -> list[str] | None:
    """[] as root, ['sudo', '-n'] with password-less sudo, None when apt cannot be run."""
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        return ["sudo", "-n"]
    return None


def apt_install(packages: list[str], prefix: list[str]) -> bool:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    say(f"installing {' '.join(packages)} (apt-get; this takes a minute the first time)")
    subprocess.run(prefix + ["apt-get", "update", "-qq"], env=env, stdout=subprocess.DEVNULL)
    res = subprocess.run(
        prefix + ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if res.returncode != 0:
        tail = res.stderr.strip().splitlines()[-3:]
        say("apt-get failed: " + " / ".join(tail))
    return res.returncode == 0


def ensure_apt() -> bool:
    if not shutil.which("dpkg-query"):
        say(
            "this is not a Debian/Ubuntu system (no dpkg-query); install the equivalents of: "
            + " ".join(APT_REQUIRED + APT_OPTIONAL)
        )
        return True
    required = apt_missing(APT_REQUIRED) + venv_package()
    optional = apt_missing(APT_OPTIONAL)
    if not required and not optional:
        return True
    prefix = privilege_prefix()
    if prefix is None:
        if required:
            line = "sudo apt-get install -y " + " ".join(required + optional)
            say(f"missing packages: {' '.join(required)}. Run this once, then try again:\n  {line}")
            return False
        return True  # only optional packages missing: carry on without them
    if required and not apt_install(required, prefix):
        say("could not install the required packages; run: sudo apt-get install -y " + " ".join(required))
        return False
    if optional and not apt_install(optional, prefix):
        say(f"optional {' '.join(optional)} not installed: the ISO will boot with BIOS only")
    return True


def requirements_digest() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()


def ensure_venv() -> bool:
    python = VENV / "bin" / "python"
    digest = requirements_digest()
    if python.exists() and STAMP.exists() and STAMP.read_text().strip() == digest:
        return True
    say("setting up .venv from requirements.txt")
    if not python.exists():
        res = subprocess.run([sys.executable, "-m", "venv", str(VENV)], capture_output=True, text=True)
        if res.returncode != 0:
            say(f"could not create .venv: {res.stderr.strip().splitlines()[-1:]}")
            return False
    elif subprocess.run([str(python), "-m", "pip", "show", "-q", "pyserial"], capture_output=True).returncode == 0:
        # pyserial-labgrid replaced pyserial; both install the `serial` module, so both go and
        # the fork is installed afresh below.
        pip_uninstall = [str(python), "-m", "pip", "uninstall", "-y", "-q", "pyserial", "pyserial-labgrid"]
        subprocess.run(pip_uninstall, capture_output=True)
    res = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(REQUIREMENTS)],
        capture_output=True,
        text=True,
    )
    if res.returncode != 0:
        say("pip install -r requirements.txt failed: " + " / ".join(res.stderr.strip().splitlines()[-3:]))
        return False
    STAMP.write_text(digest + "\n")
    return True


def main(argv: list[str]) -> int:
    if os.environ.get(IN_VENV_FLAG) or (argv[:1] and argv[0] in NO_SETUP) or not argv:
        from tools import cli

        return cli.main(argv)
    needs_apt = argv[0] not in VENV_ONLY
    if (needs_apt and not ensure_apt()) or not ensure_venv():
        return 1
    # Replace this process: the terminal, signals and exit status belong to the real command.
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = dict(os.environ, **{IN_VENV_FLAG: "1", "PYTHONPATH": pythonpath})
    python = str(VENV / "bin" / "python")
    os.execve(python, [python, "-m", "tools.cli", *argv], env)
