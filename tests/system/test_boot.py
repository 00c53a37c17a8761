"""Plinth boots from GRUB in every emulator and reports what the loader gave it."""

from __future__ import annotations

import re
from pathlib import Path

from tools import consoleproto as cp
from tools import layout


def write_module(path: Path, size: int) -> Path:
    path.write_bytes(bytes((i * 7) & 0xFF for i in range(size)))
    return path


def test_boot_reports_banner_memory_map_and_modules(boot, target, logdir: Path) -> None:
    """The banner, a memory map that holds Plinth's range, and both modules with their command
    lines and exact sizes, then the no-guest line."""
    mods = [
        (write_module(logdir / "first.bin", 5000), "first module arg=1"),
        (write_module(logdir / "second.bin", 12345), "second"),
    ]
    emu = boot(target, cmdline="console=com1,115200", modules=mods)
    emu.wait_for(re.escape(cp.BANNER), timeout=60)
    emu.wait_for(re.escape(cp.NO_GUEST), timeout=60)
    out = emu.output

    command_line = cp.COMMAND_LINE.search(out)
    assert command_line and command_line["cmdline"] == "console=com1,115200"
    entries = [m.groupdict() for m in cp.MEMMAP_LINE.finditer(out)]
    assert entries, "no memory map lines"
    header = cp.MEMMAP_HEADER.search(out)
    assert header and int(header["count"]) == len(entries)
    available = [(int(e["start"], 16), int(e["end"], 16)) for e in entries if e["type"] == "available"]
    assert any(s <= layout.LOAD_BASE and e >= layout.LOAD_BASE + layout.RESERVED_MAX for s, e in available), (
        "Plinth's range is not inside an available memory map entry"
    )

    count = cp.MODULES_COUNT.search(out)
    assert count and int(count["count"]) == 2
    modules = [m.groupdict() for m in cp.MODULE_LINE.finditer(out)]
    assert [m["cmdline"] for m in modules] == ["first module arg=1", "second"]
    assert [int(m["size"]) for m in modules] == [5000, 12345]
    # Plinth's range is what it reserves (its image and pool, at most RESERVED_MAX): GRUB may put
    # a module right after it.
    reserved = cp.RESERVED.search(out)
    assert reserved and int(reserved["start"], 16) == layout.LOAD_BASE
    plinth_end = int(reserved["end"], 16)
    assert plinth_end <= layout.LOAD_BASE + layout.RESERVED_MAX
    for m in modules:
        start, end = int(m["start"], 16), int(m["end"], 16)
        assert start % 4096 == 0, "modules are page aligned (multiboot2 module-align tag)"
        assert not (start < plinth_end and end > layout.LOAD_BASE), "a module overlaps Plinth's range"
    assert cp.ACPI_RSDP.search(out), "no ACPI RSDP line"
    assert out.count(cp.BANNER) == 1
