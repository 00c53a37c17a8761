"""Where things live in the source tree and under build/."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
GENERATED = BUILD / "generated"
ELF = BUILD / "plinth.elf"
ISO = BUILD / "plinth.iso"
TEST_LOGS = BUILD / "test-logs"
# PLINTH_RUN_LOGS moves them (the tests of `run` keep theirs in their own log directory).
RUN_LOGS = Path(os.environ.get("PLINTH_RUN_LOGS") or BUILD / "run-logs")
CONSOLE_LOGS = BUILD / "console-logs"
ISO_CACHE = BUILD / "iso-cache"
VENV = ROOT / ".venv"
