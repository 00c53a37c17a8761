"""A minimal Linux boot protocol image (Documentation/arch/x86/boot.rst): a setup header in
front of protected-mode code, for the test guests (tests/guests/lowbz.S) and the fuzzers' seeds.

It is what Plinth's loader (hypervisor/guest/bzimage_parse.c) reads: boot flag, "HdrS",
protocol 2.15, loaded high, a 64-bit kernel inside (Plinth insists), and the load fields.
"""

from __future__ import annotations

import struct

SETUP_SECTS = 1  # the boot sector and one sector of setup: the code starts at 1024
PROTOCOL = 0x020F
HDRS_MAGIC = 0x53726448
BOOT_FLAG = 0xAA55
LOADED_HIGH = 0x01
XLF_KERNEL_64 = 0x01
# lowbz's working space from its load address: image and stack, rounded to 64 KiB.
LOWBZ_ROOM = 0x10000


def image(pm: bytes, *, load: int, room: int, relocatable: bool = False, cmdline_size: int = 255) -> bytes:
    """The bzImage for protected-mode code pm linked at load, needing room bytes there."""
    setup = bytearray((SETUP_SECTS + 1) * 512)
    setup[0x1F1] = SETUP_SECTS
    struct.pack_into("<H", setup, 0x1FE, BOOT_FLAG)
    setup[0x200:0x202] = bytes([0xEB, 0x66])  # jmp to 0x268: the header ends there
    struct.pack_into("<IH", setup, 0x202, HDRS_MAGIC, PROTOCOL)
    setup[0x211] = LOADED_HIGH
    struct.pack_into("<I", setup, 0x214, load)  # code32_start
    struct.pack_into("<I", setup, 0x22C, 0x7FFFFFFF)  # initrd_addr_max
    struct.pack_into("<I", setup, 0x230, 0x1000)  # kernel_alignment
    setup[0x234] = int(relocatable)
    struct.pack_into("<H", setup, 0x236, XLF_KERNEL_64)
    struct.pack_into("<I", setup, 0x238, cmdline_size)
    struct.pack_into("<Q", setup, 0x258, load)  # pref_address
    struct.pack_into("<I", setup, 0x260, max(room, len(pm)))  # init_size
    return bytes(setup) + pm
