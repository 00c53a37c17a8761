"""How the tools speak: every line they print starts with PREFIX.

Plinth's own console lines start with "plinth: " (tools/consoleproto.py); the tools' lines
start with "==> " instead, so that in a run's output, a log or CI's transcript the two are told
apart at a glance. Standard library only: tools/bootstrap.py uses it before .venv exists.
"""

from __future__ import annotations

import sys

PREFIX = "==> "
ERROR_PREFIX = PREFIX + "error: "


def say(message: str) -> None:
    """One tool line on stderr (stdout stays the command's result or the console)."""
    print(PREFIX + message, file=sys.stderr, flush=True)


def error(message: str) -> None:
    """The one sentence a failed command ends with."""
    print(ERROR_PREFIX + message, file=sys.stderr, flush=True)
