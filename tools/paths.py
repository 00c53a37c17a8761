"""Where things live in the source tree and under build/."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
GENERATED = BUILD / "generated"
ELF = BUILD / "plinth.elf"
ISO = BUILD / "plinth.iso"
TEST_LOGS = BUILD / "test-logs"
RUN_LOGS = BUILD / "run-logs"
CONSOLE_LOGS = BUILD / "console-logs"
ISO_CACHE = BUILD / "iso-cache"
VENV = ROOT / ".venv"
