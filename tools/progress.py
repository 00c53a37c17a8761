"""Signs of life while a console is quiet: no stretch of more than about ten seconds without one.

On a terminal the sign is one transient status line drawn with `rich` (a spinner, the elapsed
time and what the run waits for), erased before the console's next output; it is drawn only
while the console's last line is complete, so it never overwrites a prompt. When the output is
not a terminal (a pipe, a CI log), a plain tool line is printed instead every PLAIN_EVERY_S of
silence.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from tools import consoleproto as cp
from tools.msg import PREFIX

# Quiet this long before the terminal's status line appears.
SHOW_AFTER_S = 2.0
# Without a terminal: a line after this much silence, and again after as much more.
PLAIN_EVERY_S = 10.0


def elapsed(seconds: float) -> str:
    """0:07, 3:12, 1:02:03."""
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def phase(text: str, guest: str | None) -> str:
    """What a boot is doing, judged from the console text so far (plain text)."""
    if cp.BANNER not in text:
        return "waiting for Plinth's first line (firmware and GRUB come first)"
    if not (cp.BOOT_PATH.search(text) or cp.GUEST_START.search(text)):
        return "Plinth is setting up"
    if guest == "Linux" and "Linux version" not in text:
        return "the Linux guest runs; it prints nothing while it decompresses (a minute or more in Bochs)"
    return "the guest runs"


class Progress:
    """Shows that a run is alive while its console is quiet (see the module's text)."""

    def __init__(self, stream: TextIO | None = None, interactive: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.start = time.monotonic()
        self.live: Any = None
        self.spinner: Any = None
        self.last_plain = 0.0

    def quiet(self, quiet_s: float, what: str, line_complete: bool = True) -> None:
        """The console has been quiet for quiet_s while the run waits for `what`."""
        now = time.monotonic()
        text = f"{elapsed(now - self.start)} {what}"
        if not self.interactive:
            if quiet_s >= PLAIN_EVERY_S and now - self.last_plain >= PLAIN_EVERY_S:
                print(f"{PREFIX}{text} (no console output for {quiet_s:.0f} s)", file=self.stream, flush=True)
                self.last_plain = now
            return
        if quiet_s < SHOW_AFTER_S or not line_complete:
            return
        self._draw(f"{text} · quiet for {quiet_s:.0f} s")

    def _draw(self, text: str) -> None:
        from rich.console import Console
        from rich.live import Live
        from rich.spinner import Spinner

        if self.live is None:
            self.spinner = Spinner("dots", text=text, style="dim")
            console = Console(file=self.stream, highlight=False)
            self.live = Live(
                self.spinner,
                console=console,
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
                refresh_per_second=8,
            )
            self.live.start()
        else:
            self.spinner.update(text=text)

    def clear(self) -> None:
        """Erase the status line (before the console writes again)."""
        if self.live is not None:
            self.live.stop()
            self.live = None
