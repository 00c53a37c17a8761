"""The VT-d remapping unit's capability registers, defined once (VT-d specification 11.4.2 and
11.4.3): the fields Plinth reads in CAP and ECAP, by the names both sides print; and the
interrupt-remapping bits of the global command and status registers (11.4.4, 11.4.5) and of the
interrupt remapping table address register (IRTA_REG).

SCons generates build/generated/vtd_caps.h from this (vtd_caps_h): a BIT() or accessor macro
per field, used by vtd.c to report and choose what it uses; tools/hostcheck.py decodes a host's
units with the same definitions.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    """Bits [low, low + width) of a register; width 1 is a flag. A wider field's value is
    raw * scale + offset (MGAW and NFR count from one, FRO and IRO are in 16-byte units)."""

    name: str
    low: int
    width: int = 1
    scale: int = 1
    offset: int = 0

    @property
    def mask(self) -> int:
        return (1 << self.width) - 1

    def value(self, register: int) -> int:
        """The field's value in a register value, as the C accessor gives it."""
        return ((register >> self.low) & self.mask) * self.scale + self.offset


CAP = (
    Field("CAP_ND", 0, 3),  # domains supported: 2^(4 + 2 * ND)
    Field("CAP_RWBF", 4),  # write-buffer flushing required
    Field("CAP_CM", 7),  # caching mode: not-present entries may be cached
    Field("CAP_SAGAW", 8, 5),  # supported adjusted guest address widths (SAGAW_* bits)
    Field("CAP_MGAW", 16, 6, offset=1),  # maximum guest address width, in bits
    Field("CAP_FRO", 24, 10, scale=16),  # fault recording registers' offset, in bytes
    Field("CAP_SLLPS", 34, 4),  # second-level large page sizes (SLLPS_* bits)
    Field("CAP_PSI", 39),  # page-selective invalidation
    Field("CAP_NFR", 40, 8, offset=1),  # number of fault recording registers
    Field("CAP_PI", 59),  # posted interrupts
)
ECAP = (
    Field("ECAP_C", 0),  # page walks snoop the caches (coherent)
    Field("ECAP_QI", 1),  # queued invalidation
    Field("ECAP_IR", 3),  # interrupt remapping
    Field("ECAP_EIM", 4),  # extended interrupt mode (x2APIC)
    Field("ECAP_PT", 6),  # pass-through translation
    Field("ECAP_SC", 7),  # snoop control
    Field("ECAP_IRO", 8, 10, scale=16),  # IOTLB registers' offset, in bytes
)
# Interrupt remapping's bits of the 32-bit global command and status registers (the DMA
# remapping ones are in vtd_regs.h, by hand): enable, set the table pointer, compatibility
# format interrupts.
GCMD = (
    Field("GCMD_IRE", 25),
    Field("GCMD_SIRTP", 24),
    Field("GCMD_CFI", 23),
)
GSTS = (
    Field("GSTS_IRES", 25),
    Field("GSTS_IRTPS", 24),
    Field("GSTS_CFIS", 23),
)
# The interrupt remapping table address register: the table holds 2^(S + 1) entries; EIME
# selects x2APIC (32-bit) destinations; the table's address, 4 KiB aligned.
IRTA = (
    Field("IRTA_S", 0, 4),
    Field("IRTA_EIME", 11),
    Field("IRTA_ADDR", 12, 52, scale=4096),
)
FIELDS = {f.name: f for f in CAP + ECAP + GCMD + GSTS + IRTA}

# Bits of the SAGAW and SLLPS field values.
SAGAW_39 = 1 << 1  # 3-level second-level tables
SAGAW_48 = 1 << 2  # 4-level
SLLPS_2M = 1 << 0
SLLPS_1G = 1 << 1
VALUE_BITS = {"SAGAW_39": SAGAW_39, "SAGAW_48": SAGAW_48, "SLLPS_2M": SLLPS_2M, "SLLPS_1G": SLLPS_1G}


def decode(cap: int, ecap: int) -> dict[str, int]:
    """Every field's value, by name, as the C accessors give them."""
    return {f.name: f.value(cap) for f in CAP} | {f.name: f.value(ecap) for f in ECAP}


def _c_field(f: Field) -> str:
    if f.width == 1:
        return f"#define {f.name} BIT({f.low})"
    value = f"(((u64)(v) >> {f.low}) & 0x{f.mask:x})"
    if f.scale != 1:
        value = f"({value} * {f.scale})"
    if f.offset:
        value = f"({value} + {f.offset})"
    return f"#define {f.name}(v) {value}"


def vtd_caps_h() -> str:
    from tools.gen import _header

    body = ["#include <plinth/types.h>", "", "/* Capability register (VT-d 11.4.2). */"]
    body += [_c_field(f) for f in CAP]
    body += ["", "/* Extended capability register (VT-d 11.4.3). */"]
    body += [_c_field(f) for f in ECAP]
    body += ["", "/* Interrupt remapping in the global command and status registers (VT-d 11.4.4, 11.4.5). */"]
    body += [_c_field(f) for f in GCMD + GSTS]
    body += ["", "/* Interrupt remapping table address register. */"]
    body += [_c_field(f) for f in IRTA]
    body += ["", "/* Bits of the SAGAW and SLLPS values. */"]
    body += [f"#define {name} BIT({bit.bit_length() - 1})" for name, bit in VALUE_BITS.items()]
    return _header("vtd_caps.h", "tools/vtdregs.py", body)
