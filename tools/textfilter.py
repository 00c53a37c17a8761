"""Console bytes as plain text: CRs and terminal escape sequences dropped.

GRUB draws its serial console as a VT100 (colours, clear screen, cursor moves) and every line
ends in CR LF; console.log keeps those bytes as they came, but the text that tests match and
that a log reader or a pipe sees is plain: PlainText.feed() drops CRs and ANSI/VT100 escape
sequences, also when a sequence is split across reads.
"""

from __future__ import annotations

import codecs
import re

# ECMA-48: CSI (ESC [ params intermediates final), OSC (ESC ] ... BEL or ESC \), and the
# two- and three-byte escapes (charset selection ESC ( B, keypad modes ESC =, ...).
ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[()*+#%][ -~]|[ -/]*[0-~])")
# An escape that may still be growing at the end of a read: held back until it is complete.
UNFINISHED = re.compile(r"\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*\x1b?|[()*+#%]|[ -/]*)?$")


def strip(text: str) -> str:
    """text without CRs and escape sequences (a whole string: nothing held back)."""
    return ESCAPE.sub("", text).replace("\r", "")


class PlainText:
    """Incremental: bytes in, plain text out (UTF-8, invalid bytes replaced)."""

    def __init__(self) -> None:
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.pending = ""

    def feed(self, data: bytes, final: bool = False) -> str:
        text = self.pending + self.decoder.decode(data, final)
        self.pending = ""
        held = UNFINISHED.search(text)
        if held and not final:
            self.pending = text[held.start() :]
            text = text[: held.start()]
        return strip(text)
