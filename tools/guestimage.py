"""What Plinth will boot, checked before anything boots: the rules of its guest loaders, once.

Plinth boots the first module as its guest (hypervisor/guest/loader.c): a Linux bzImage
(guest/linux.c, the x86 boot protocol) or else a multiboot 1 kernel (guest/multiboot.c); the
modules after it are the guest's (a Linux kernel's initrd, a multiboot kernel's modules).
check_modules() applies the same rules to the files, so `run` and `image` refuse with the
sentence Plinth would print, without booting: the reasons are the C loaders' own words
(tests/system/test_linux.py checks that Plinth prints the same ones for the same files).

Multiboot kernels are accepted in both forms of the specification (3.1.3): with the a.out
kludge (header flag 16: the header's address fields say what to load) and without it, as an
ELF32 or ELF64 file loaded by its program headers (which must be present and inside the file).
Plinth's C loader reads the first form today; the ELF form is being added to it.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tools import layout
from tools.errors import PlinthError

MIB = 1 << 20
GIB = 1 << 30

# --- Linux boot protocol (guest/linux.c; Documentation/arch/x86/boot.rst) ----------------
HDR_SETUP_SECTS = 0x1F1
HDR_BOOT_FLAG = 0x1FE
HDR_MAGIC = 0x202
HDR_VERSION = 0x206
HDR_LOADFLAGS = 0x211
HDR_INITRD_ADDR_MAX = 0x22C
HDR_KERNEL_ALIGNMENT = 0x230
HDR_RELOCATABLE = 0x234
HDR_XLOADFLAGS = 0x236
HDR_CMDLINE_SIZE = 0x238
HDR_PREF_ADDRESS = 0x258
HDR_INIT_SIZE = 0x260
HDR_MIN_SIZE = 0x268
BOOT_FLAG = 0xAA55
HDRS_MAGIC = 0x53726448  # "HdrS"
PROTOCOL_MIN = 0x020C
LOADED_HIGH = 1 << 0
XLF_KERNEL_64 = 1 << 0
CMDLINE_MAX = 4096
RELOCATE_FROM = 16 * MIB  # kernel_address(): the lowest address a relocated kernel goes to

# --- Multiboot 1 (guest/multiboot.c, include/plinth/multiboot1.h; specification 3.1) ---
MB1_HEADER_MAGIC = 0x1BADB002
MB1_SEARCH = 8192
MB1_PAGE_ALIGN = 1 << 0
MB1_MEMORY_INFO = 1 << 1
MB1_VIDEO_MODE = 1 << 2
MB1_AOUT_KLUDGE = 1 << 16
MB1_REQUIRED_MASK = 0xFFFF

# --- What Plinth keeps of the loader's information (core/boot_info.c, multiboot2.h) -------
BOOT_MODULES_MAX = 16
MODULE_CMDLINE_MAX = 255  # MODULE_CMDLINE_COPY_LEN - 1
PLINTH_CMDLINE_MAX = 1023  # CMDLINE_COPY_LEN - 1

# The formats Linux unpacks as an initramfs (init/initramfs.c, lib/decompress.c): newc cpio,
# or one of the compressions a distribution kernel is built with.
INITRD_MAGICS = {
    b"070701": "cpio",
    b"070702": "cpio",
    b"\x1f\x8b": "gzip",
    b"\xfd7zXZ": "xz",
    b"(\xb5/\xfd": "zstd",
    b"\x02!L\x18": "lz4",
    b"BZh": "bzip2",
    b"\x5d\x00\x00": "lzma",
    b"\x89LZO": "lzo",
}

# Plinth's own range, which no guest gets (loader_place_room refuses a kernel that needs it).
PLINTH_START = layout.LOAD_BASE
PLINTH_END = layout.LOAD_BASE + layout.RESERVED_MAX


class BadKernel(PlinthError):
    """The file is a kernel Plinth refuses; the message is Plinth's reason."""


@dataclass(frozen=True)
class Kernel:
    kind: str  # "Linux" or "multiboot"
    describe: str  # for people: "Linux boot protocol 2.15, 64-bit", "multiboot (a.out kludge)"
    need_bytes: int = 0  # guest RAM the kernel needs up to (its load end), when known
    initrd_limit: int = 4 * GIB  # an initrd must end below this


def _u16(data: bytes, off: int) -> int:
    return int(struct.unpack_from("<H", data, off)[0])


def _u32(data: bytes, off: int) -> int:
    return int(struct.unpack_from("<I", data, off)[0])


def _u64(data: bytes, off: int) -> int:
    return int(struct.unpack_from("<Q", data, off)[0])


def is_linux(data: bytes) -> bool:
    return len(data) >= HDR_MIN_SIZE and _u16(data, HDR_BOOT_FLAG) == BOOT_FLAG and _u32(data, HDR_MAGIC) == HDRS_MAGIC


def linux_kernel(data: bytes, cmdline: str = "") -> Kernel:
    """linux_load()'s header checks, in its order and with its words."""
    version = _u16(data, HDR_VERSION)
    if version < PROTOCOL_MIN:
        raise BadKernel("boot protocol older than 2.12")
    if not data[HDR_LOADFLAGS] & LOADED_HIGH:
        raise BadKernel("not a bzImage (zImage kernels load below 1 MiB)")
    if not _u16(data, HDR_XLOADFLAGS) & XLF_KERNEL_64:
        raise BadKernel("no 64-bit kernel inside (xloadflags bit 0 clear)")
    setup_sects = data[HDR_SETUP_SECTS] or 4
    pm_offset = (setup_sects + 1) * 512
    if pm_offset >= len(data):
        raise BadKernel("truncated: the file ends inside the real-mode setup code")
    if len(cmdline) + 1 > min(CMDLINE_MAX, _u32(data, HDR_CMDLINE_SIZE) + 1):
        raise BadKernel("its command line is longer than the kernel accepts")
    room = max(_u32(data, HDR_INIT_SIZE), len(data) - pm_offset)
    pref = _u64(data, HDR_PREF_ADDRESS)
    align = _u32(data, HDR_KERNEL_ALIGNMENT)
    if not align or align & (align - 1):
        align = 2 * MIB
    if not pref + room <= PLINTH_START and pref < PLINTH_END:
        if not data[HDR_RELOCATABLE]:
            raise BadKernel("no room for it in the VM's RAM (it needs its init_size from its preferred address)")
        pref = -(-max(RELOCATE_FROM, PLINTH_END) // align) * align
    return Kernel(
        "Linux",
        f"Linux boot protocol {version >> 8}.{version & 0xFF:02d}",
        need_bytes=pref + room,
        initrd_limit=min(_u32(data, HDR_INITRD_ADDR_MAX) + 1, 4 * GIB),
    )


def find_mb1_header(data: bytes) -> int | None:
    """The offset of the multiboot 1 header (find_header(): first 8 KiB, 4-byte aligned,
    magic and checksum), or None."""
    for off in range(0, min(len(data), MB1_SEARCH) - 11, 4):
        magic, flags, checksum = struct.unpack_from("<3I", data, off)
        if magic == MB1_HEADER_MAGIC and (magic + flags + checksum) & 0xFFFFFFFF == 0:
            return off
    return None


def multiboot_kernel(data: bytes, off: int) -> Kernel:
    """multiboot_load()'s header checks, in its order and with its words; the ELF form by its
    program headers."""
    flags = _u32(data, off + 4)
    if flags & MB1_REQUIRED_MASK & ~(MB1_PAGE_ALIGN | MB1_MEMORY_INFO | MB1_VIDEO_MODE):
        raise BadKernel(f"its multiboot header requires features Plinth lacks (flags 0x{flags:x})")
    if not flags & MB1_AOUT_KLUDGE:
        return elf_multiboot_kernel(data)
    if off + 32 > len(data):
        raise BadKernel("its multiboot header is cut off by the end of the file")
    header, load, load_end, bss_end = struct.unpack_from("<4I", data, off + 12)
    if load > header or (load_end and load_end < load) or (bss_end and bss_end < max(load_end, load)):
        raise BadKernel(
            f"its multiboot header has inconsistent addresses (header 0x{header:x}, load 0x{load:x}-0x{load_end:x}, "
            f"bss end 0x{bss_end:x})"
        )
    src = off - (header - load)
    if src < 0:
        raise BadKernel("its multiboot header puts load_addr before the file's start")
    copy = load_end - load if load_end else len(data) - src
    if copy > len(data) - src:
        raise BadKernel(f"it is {len(data)} bytes, shorter than the {copy} at offset {src} its header describes")
    end = max(bss_end, load + copy)
    _check_ram(load, end)
    return Kernel("multiboot", "multiboot kernel (a.out kludge)", need_bytes=end)


def elf_multiboot_kernel(data: bytes) -> Kernel:
    """A multiboot kernel without the a.out kludge is an ELF file: ELF32 or ELF64, little
    endian, with program headers inside the file and every loaded segment's bytes too."""
    if data[:4] != b"\x7fELF":
        raise BadKernel("a multiboot kernel without load addresses (header flag 16) must be an ELF file, and it is not")
    elf_class, endian = data[4], data[5]
    if elf_class not in (1, 2) or endian != 1:
        raise BadKernel("its ELF header is neither ELF32 nor ELF64 little-endian")
    if elf_class == 1:
        fmt_hdr, fmt_ph, hdr_size = "<16xHHIIIIIHHH", "<IIIIIIII", 52
    else:
        fmt_hdr, fmt_ph, hdr_size = "<16xHHIQQQIHHH", "<IIQQQQQQ", 64
    if len(data) < hdr_size:
        raise BadKernel("its ELF header is cut off by the end of the file")
    _type, _machine, _version, _entry, phoff, _shoff, _flags, _ehsize, phentsize, phnum = struct.unpack_from(
        fmt_hdr, data
    )
    if not phnum:
        raise BadKernel("its ELF header names no program headers, so there is nothing to load")
    if phentsize < struct.calcsize(fmt_ph) or phoff + phnum * phentsize > len(data):
        raise BadKernel("its ELF program headers lie outside the file")
    end = 0
    loads = 0
    for i in range(phnum):
        fields = struct.unpack_from(fmt_ph, data, phoff + i * phentsize)
        if elf_class == 1:
            p_type, p_offset, _vaddr, p_paddr, p_filesz, p_memsz, _pflags, _align = fields
        else:
            p_type, _pflags, p_offset, _vaddr, p_paddr, p_filesz, p_memsz, _align = fields
        if p_type != 1:  # PT_LOAD
            continue
        loads += 1
        if p_offset + p_filesz > len(data):
            raise BadKernel(f"its ELF load segment {i} runs past the end of the file")
        if p_memsz:
            _check_ram(p_paddr, p_paddr + p_memsz)
            end = max(end, p_paddr + p_memsz)
    if not loads:
        raise BadKernel("its ELF file has no load segment")
    return Kernel("multiboot", f"multiboot kernel (ELF{32 if elf_class == 1 else 64})", need_bytes=end)


def _check_ram(start: int, end: int) -> None:
    """loader_place_room(): the range must be the VM's RAM, which Plinth's range is not."""
    if start < PLINTH_END and PLINTH_START < end:
        raise BadKernel(
            f"it wants 0x{start:x}-0x{end:x}, which is not the VM's RAM (it overlaps Plinth's range "
            f"0x{PLINTH_START:x}-0x{PLINTH_END:x})"
        )


def inspect_kernel(data: bytes, cmdline: str = "") -> Kernel:
    """The kernel Plinth sees in data (loader_load(): a bzImage, else multiboot), or BadKernel."""
    if is_linux(data):
        return linux_kernel(data, cmdline)
    off = find_mb1_header(data)
    if off is not None:
        return multiboot_kernel(data, off)
    raise BadKernel("neither a Linux bzImage nor a multiboot kernel")


def initrd_format(data: bytes) -> str | None:
    """The initramfs format Linux would recognise ("cpio", "gzip", ...), or None."""
    return next((name for magic, name in INITRD_MAGICS.items() if data.startswith(magic)), None)


def read(path: Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except IsADirectoryError:
        raise PlinthError(f"{what} {path} is a directory, not a file.") from None
    except FileNotFoundError:
        raise PlinthError(f"{what} {path} does not exist.") from None
    except OSError as err:
        raise PlinthError(f"cannot read {what} {path}: {err.strerror}.") from None


def check_modules(
    modules: Sequence[tuple[Path, str]], cmdline: str = "", memory_mib: int | None = None
) -> tuple[Kernel | None, list[str]]:
    """Checks the modules as Plinth would see them at boot: the first is the kernel, the rest
    its modules (Linux: the initrd first). Raises PlinthError with one sentence naming the
    file; returns the kernel (None without modules) and warnings (one sentence each)."""
    if len(cmdline) > PLINTH_CMDLINE_MAX:
        raise PlinthError(f"Plinth's command line is {len(cmdline)} bytes; Plinth keeps at most {PLINTH_CMDLINE_MAX}.")
    if len(modules) > BOOT_MODULES_MAX:
        raise PlinthError(f"{len(modules)} modules: Plinth reads at most {BOOT_MODULES_MAX}.")
    blobs = []
    for index, (path, module_cmdline) in enumerate(modules):
        blobs.append(read(path, "module" if index else "the kernel"))
        if len(module_cmdline) > MODULE_CMDLINE_MAX:
            raise PlinthError(
                f"the command line of module {index} ({path}) is {len(module_cmdline)} bytes; "
                f"Plinth keeps at most {MODULE_CMDLINE_MAX} of a module's."
            )
    if not modules:
        return None, []
    path, kernel_cmdline = modules[0]
    try:
        kernel = inspect_kernel(blobs[0], kernel_cmdline)
    except BadKernel as err:
        raise PlinthError(f"{path} is not a kernel Plinth can boot: {err}.") from None
    warnings = []
    need = max(kernel.need_bytes, PLINTH_END) + sum(len(b) for b in blobs)
    if kernel.kind == "Linux" and len(modules) > 1:
        initrd_path, initrd = modules[1][0], blobs[1]
        if len(initrd) and initrd_format(initrd) is None:
            warnings.append(
                f"the initrd {initrd_path} is neither a cpio archive nor compressed in a format Linux unpacks; "
                "Linux will probably panic (no root filesystem)"
            )
        if len(initrd) > kernel.initrd_limit:
            raise PlinthError(
                f"the initrd {initrd_path} is larger than the kernel accepts below 0x{kernel.initrd_limit:x}."
            )
    if memory_mib is not None and need > memory_mib * MIB:
        raise PlinthError(
            f"--memory {memory_mib} is too small for {path.name}: Plinth, the kernel's working space and the "
            f"modules need at least {-(-need // MIB)} MiB."
        )
    return kernel, warnings
