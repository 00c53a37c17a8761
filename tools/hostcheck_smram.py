"""check-host's SMRAM reader: the host bridge's ids and, for a bridge tools/chipset.py knows, its
SMRAM control byte, from sysfs. tools/hostcheck.py judges what it read (smram_row)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tools import chipset

HOST_BRIDGE = Path("bus/pci/devices/0000:00:00.0")


@dataclass
class Smram:
    """The host bridge (bus 0, device 0, function 0) and its SMRAM control byte, as read."""

    path: str
    vendor: int | None = None
    device: int | None = None
    bridge: str = ""  # the name tools/chipset.py gives it; "" if it is not one Plinth knows
    offset: int | None = None
    value: int | None = None  # None: not read (problem says why)
    problem: str = ""


def read_smram(sys_root: Path) -> Smram:
    """Reads the host bridge's ids and, for a bridge Plinth knows, its SMRAM control register
    from sysfs (Linux gives others than root the first 64 bytes of configuration space only)."""
    config = sys_root / HOST_BRIDGE / "config"
    s = Smram(str(config))
    try:
        data = config.read_bytes()
    except OSError as e:
        s.problem = f"{config} does not read ({e.strerror})"
        return s
    if len(data) < 4:
        s.problem = f"{config} holds {len(data)} bytes, not a configuration space"
        return s
    s.vendor, s.device = int.from_bytes(data[0:2], "little"), int.from_bytes(data[2:4], "little")
    known = chipset.bridge(s.vendor, s.device)
    if known is None:
        return s
    s.bridge, s.offset = known.name, known.smram
    if len(data) <= known.smram:
        s.problem = f"{config} is readable only by root beyond its first {len(data)} bytes"
    else:
        s.value = data[known.smram]
    return s
