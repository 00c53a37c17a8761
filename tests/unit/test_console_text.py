"""What people and tests see of the console: plain text without CRs or GRUB's escape
sequences (console.log keeps the bytes), and signs of life while it is quiet."""

from __future__ import annotations

import io

from tools import progress, terminal, textfilter

GRUB = b"\x1b[0m\x1b[30m\x1b[40m\x1b[2J\x1b[01;01H\x1b[?25lBooting `Plinth'\r\n\r\n\x1b(Bplinth: Plinth hyper"


def test_escapes_and_crs_are_dropped_even_split_across_reads() -> None:
    plain = textfilter.PlainText()
    out = "".join(plain.feed(GRUB[i : i + 1]) for i in range(len(GRUB)))
    assert out == "Booting `Plinth'\n\nplinth: Plinth hyper"
    assert textfilter.strip(GRUB.decode()) == out


def test_the_terminal_shows_grub_plain_and_the_guest_as_it_is() -> None:
    view = terminal.TerminalView(raw_after_banner=True)
    assert view.feed(GRUB, started=False) == b"Booting `Plinth'\n\nplinth: Plinth hyper"
    assert view.feed(b"guest# \x1b[6n\r", started=True) == b"guest# \x1b[6n\r"
    pipe = terminal.TerminalView(raw_after_banner=False)
    assert pipe.feed(b"guest# \x1b[6n\r\n", started=True) == b"guest# \n"


def test_plain_progress_lines_every_ten_seconds_of_silence() -> None:
    out = io.StringIO()
    shown = progress.Progress(out, interactive=False)
    shown.quiet(3.0, "waiting")
    assert out.getvalue() == ""
    shown.quiet(10.5, "waiting for Plinth")
    shown.quiet(11.0, "waiting for Plinth")  # not again within ten seconds
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("==> 0:") and "(no console output for 10 s)" in lines[0]


def test_the_phase_follows_the_console() -> None:
    assert "firmware and GRUB" in progress.phase("", None)
    banner = "plinth: Plinth hypervisor 0.1.0 build 0123456789ab (x86-64)\n"
    assert progress.phase(banner, "Linux") == "Plinth is setting up"
    booted = banner + "plinth: boot path: 5 TSC ticks from Plinth's first instruction to VM entry\n"
    assert "decompresses" in progress.phase(booted, "Linux")
    assert progress.phase(booted + "Linux version 6.1\n", "Linux") == "the guest runs"
    assert progress.elapsed(3725) == "1:02:05" and progress.elapsed(75) == "1:15"
