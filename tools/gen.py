"""Header generators: Python definitions -> C headers under build/generated/.

Each header carries a banner naming its source so nobody edits it by hand. SCons calls these
functions directly; `python -m tools.gen NAME OUT` does the same from a shell.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from tools import consoleproto, layout

BANNER = "/* Generated from {src} by tools/gen.py: do not edit. */\n"


def _guard(name: str) -> str:
    return "PLINTH_GENERATED_" + re.sub(r"\W", "_", name).upper()


def _header(name: str, src: str, body: list[str]) -> str:
    guard = _guard(name)
    lines = [BANNER.format(src=src), f"#ifndef {guard}", f"#define {guard}", "", *body, "", "#endif"]
    return "\n".join(lines) + "\n"


def c_string(text: str) -> str:
    """A C string literal for text (ASCII only: the console is plain ASCII)."""
    text.encode("ascii")
    escapes = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return '"' + "".join(escapes.get(ch, ch) for ch in text) + '"'


def layout_h() -> str:
    # Plain integers (no UL suffix) so the linker script and assembly can use them too.
    body = [f"#define {k} 0x{v:x}" for k, v in layout.C_CONSTANTS.items()]
    return _header("layout.h", "tools/layout.py", body)


def console_proto_h() -> str:
    body = [f"#define {k} {c_string(v)}" for k, v in consoleproto.C_STRINGS.items()]
    body += [f"#define {k} {c_string(v)}" for k, v in consoleproto.C_FORMATS.items()]
    return _header("console_proto.h", "tools/consoleproto_c.py", body)


def version_h(version: str, build_id: str) -> str:
    """PLINTH_VERSION as the banner prints it: "<version> build <id>" (consoleproto.BANNER_LINE)."""
    return _header(
        "version.h",
        "SConstruct (git describe, build_id())",
        [f"#define PLINTH_VERSION {c_string(f'{version} build {build_id}')}"],
    )


_ASM_OFFSET_RE = re.compile(r'"->(?P<sym>\w+) \$?(?P<val>-?\d+)"')


def asm_offsets_h(compiler_output: str) -> str:
    """Turn the '->SYM value' markers of asm-offsets.c's assembly output into #defines."""
    body = [f"#define {m['sym']} {m['val']}" for m in _ASM_OFFSET_RE.finditer(compiler_output)]
    if not body:
        raise ValueError("asm-offsets: the compiler output holds no '->SYM value' markers")
    return _header("asm-offsets.h", "hypervisor/arch/x86/asm-offsets.c", body)


GENERATORS = {"layout.h": layout_h, "console_proto.h": console_proto_h}


def write_if_changed(path: Path, text: str) -> None:
    """Write text to path unless it already holds it (keeps timestamps for incremental builds).
    The new text goes to a temporary file renamed over path: parallel test processes that
    write the same header never let a compiler read half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_text() == text:
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in GENERATORS:
        print(f"usage: python -m tools.gen {{{','.join(GENERATORS)}}} OUT", file=sys.stderr)
        return 2
    write_if_changed(Path(argv[1]), GENERATORS[argv[0]]())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
