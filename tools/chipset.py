"""The host bridges Plinth knows, defined once: where each keeps its SMRAM control register, and
which of its configuration registers no guest may write.

System Management Mode runs outside VMX and EPT: code a guest got into SMRAM would own the
machine. The firmware closes SMRAM and sets its lock bit (D_LCK), after which it cannot be
opened before a reset; where the firmware left it unlocked, Plinth locks it at boot
(hypervisor/arch/x86/smram.c), and guests never write the registers below, through 0xCF8/0xCFC
(exit_io) or the PCI Express configuration space (pci_filter.c). `tools/plinth check-host`
reads the same register on a Linux machine (tools/hostcheck.py).

The SMRAM control register has the same layout on every Intel host bridge that has one, from
the 440FX's PMC (offset 72h) through the 3 and 4 Series MCH that
QEMU's q35 models (9Dh) to the Core processors' host bridges (88h): D_OPEN bit 6, D_CLS bit
5, D_LCK bit 4, G_SMRAME bit 3, C_BASE_SEG bits 2:0. With D_LCK set, D_OPEN reads 0 and the
register (and the extended SMRAM controls) become read-only.

SCons generates build/generated/chipset.h from this (chipset_h).
"""

from __future__ import annotations

from dataclasses import dataclass

# SMRAM control bits (the datasheets above).
D_OPEN = 1 << 6
D_CLS = 1 << 5
D_LCK = 1 << 4
G_SMRAME = 1 << 3


@dataclass(frozen=True)
class Register:
    """Configuration bytes [offset, offset + length) of the host bridge, named for reports."""

    offset: int
    length: int
    what: str


@dataclass(frozen=True)
class Bridge:
    """A host bridge (bus 0, device 0, function 0) by PCI vendor and device id."""

    name: str
    vendor: int
    device: int
    smram: int  # offset of the SMRAM control register
    protected: tuple[Register, ...]


SMRAM_CONTROL = "SMRAM control"
BRIDGES = (
    # Bochs and QEMU's pc machine.
    Bridge("Intel 440FX PMC", 0x8086, 0x1237, 0x72, (Register(0x72, 1, SMRAM_CONTROL),)),
    # QEMU's q35 machine (an Intel 3 Series MCH): also the extended SMRAM control (TSEG) and the
    # PCI Express configuration window, which a guest must not move over Plinth's memory.
    Bridge(
        "Intel Q35 MCH",
        0x8086,
        0x29C0,
        0x9D,
        (
            Register(0x60, 8, "PCI Express configuration base (PCIEXBAR)"),
            Register(0x9D, 1, SMRAM_CONTROL),
            Register(0x9E, 1, "extended SMRAM control (ESMRAMC)"),
        ),
    ),
)
PROTECTED_MAX = 4


def bridge(vendor: int, device: int) -> Bridge | None:
    return next((b for b in BRIDGES if (b.vendor, b.device) == (vendor, device)), None)


def smram_state(value: int) -> str:
    """What an SMRAM control value means for SMM's safety, in a few words."""
    if value & D_LCK:
        return "locked"
    if value & D_OPEN:
        return "open and unlocked"
    return "closed but unlocked"


def _validate() -> None:
    for b in BRIDGES:
        assert len(b.protected) <= PROTECTED_MAX, b.name
        assert any(r.offset == b.smram and r.what == SMRAM_CONTROL for r in b.protected), b.name
        assert all(0x40 <= r.offset and r.offset + r.length <= 0x100 for r in b.protected), b.name


_validate()


def chipset_h() -> str:
    from tools.gen import _header, c_string

    rows = []
    for b in BRIDGES:
        regs = ", ".join(f"{{ 0x{r.offset:02x}, {r.length}, {c_string(r.what)} }}" for r in b.protected)
        rows.append(
            f"\t{{ 0x{b.vendor:04x}, 0x{b.device:04x}, {c_string(b.name)}, 0x{b.smram:02x}, {len(b.protected)}, "
            f"{{ {regs} }} }}, \\"
        )
    body = [
        "#include <plinth/types.h>",
        "",
        "/* SMRAM control register bits (tools/chipset.py). */",
        f"#define SMRAM_D_OPEN 0x{D_OPEN:02x}",
        f"#define SMRAM_D_CLS 0x{D_CLS:02x}",
        f"#define SMRAM_D_LCK 0x{D_LCK:02x}",
        f"#define SMRAM_G_SMRAME 0x{G_SMRAME:02x}",
        "",
        "/* Configuration bytes of a host bridge no guest writes. */",
        "struct host_bridge_reg {",
        "\tu8 offset, length;",
        "\tconst char *what;",
        "};",
        f"#define HOST_BRIDGE_PROTECTED_MAX {PROTECTED_MAX}",
        "struct host_bridge {",
        "\tu16 vendor, device;",
        "\tconst char *name;",
        "\tu8 smram; /* offset of the SMRAM control register */",
        "\tu8 protected_count;",
        "\tstruct host_bridge_reg protected_regs[HOST_BRIDGE_PROTECTED_MAX];",
        "};",
        f"#define HOST_BRIDGE_COUNT {len(BRIDGES)}",
        "#define HOST_BRIDGE_TABLE { \\",
        *rows,
        "}",
    ]
    return _header("chipset.h", "tools/chipset.py", body)
