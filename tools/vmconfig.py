"""VM configurations: the TOML file users write, its checks, and the blob Plinth reads at boot.

A configuration is a TOML file with one `[[vm]]` table per VM (docs/config.md). The tools check
it (`tools/plinth config check FILE`: one summary line, or one sentence naming the VM and the
key at fault), then pack it with `construct` into a versioned, checksummed blob that GRUB loads
as a module. The blob's layout is defined once, below: `vmconfig_h()` generates the C header
(build/generated/vmconfig.h) that Plinth's parser (hypervisor/core/config.c) reads it with, and
Plinth checks everything again at boot, because a blob can be made by hand.

Modules on the GRUB command line, in this order: the blob, then each VM's kernel (its command
line is the module's) and, for a Linux VM, its initrd. The blob names them by module index.
"""

from __future__ import annotations

import os
import re
import tomllib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from construct import Array, Bytes, Const, Int8ul, Int16ul, Int32ul, Int64ul, Padding, Struct

from tools.errors import PlinthError

MAGIC = b"PLINTHVM"
VERSION = 2  # 2: devices, owns_rest and on_reset
VM_MAX = 8  # matches Plinth's VM table (VM_MAX in plinth/vm.h)
NAME_LEN = 16  # 15 characters and the NUL
DEVICES_MAX = 16  # PCI functions one VM may own (VM_DEVICES_MAX in plinth/vm.h is this)
CPUS_MAX = 64  # PLINTH_MAX_CPUS (tools/layout.py): the CPU mask is one u64
MODULE_NONE = 0xFFFF
MEMORY_ALIGN = 2 << 20
# What a machine needs beside its VMs' RAM (firmware, Plinth, GRUB's modules), for `run`'s
# check that --memory is enough: a round figure, Plinth itself checks exactly at boot.
HOST_OVERHEAD_MIB = 64
# Module command-line word that marks the blob in grub.cfg (for people reading it: Plinth
# finds the blob by its magic, not by this word).
MODULE_WORD = "plinth-config"

NAME_RE = re.compile(r"[a-z0-9_-]{1,15}")
SIZE_RE = re.compile(r"(?P<num>\d+)\s*(?P<unit>[KMG]?)(?:i?B)?", re.IGNORECASE)
KEYS = {"name", "cpus", "memory", "kernel", "cmdline", "initrd", "devices", "owns_rest", "on_reset"}
# What a VM's reset request (reboot) does; the values are VM_ON_RESET_* in plinth/vm.h.
ON_RESET = {"restart": 0, "stop": 1}
# A PCI function as lspci prints it: bus:device.function in hex, optionally after segment 0000.
BDF_RE = re.compile(
    r"(?:(?P<seg>[0-9a-fA-F]{1,4}):)?(?P<bus>[0-9a-fA-F]{1,3}):(?P<dev>[0-9a-fA-F]{1,3})\.(?P<fn>[0-9a-fA-F]{1,2})"
)

# Blob layout. Each field once: (name, construct type, C type, comment). The construct
# structures and the C structs are both built from these lists, so they cannot drift.
HEADER_FIELDS = [
    ("magic", Const(MAGIC), "char magic[8]", 'the bytes "PLINTHVM"'),
    ("version", Int16ul, "u16 version", "VMCONFIG_VERSION"),
    ("header_size", Int16ul, "u16 header_size", "bytes of this header"),
    ("length", Int32ul, "u32 length", "bytes of the whole blob, header included"),
    ("crc32", Int32ul, "u32 crc32", "CRC-32 (IEEE, as zlib) of the blob with this field zero"),
    ("vm_count", Int16ul, "u16 vm_count", "VM records that follow the header"),
    ("vm_size", Int16ul, "u16 vm_size", "bytes of one VM record"),
    ("reserved", Padding(8), "u8 reserved[8]", "zero"),
]
VM_FIELDS = [
    ("name", Bytes(NAME_LEN), f"char name[{NAME_LEN}]", "NUL-padded, [a-z0-9_-]{1,15}"),
    ("cpu_mask", Int64ul, "u64 cpu_mask", "physical CPU indices (0 = the boot CPU)"),
    ("memory", Int64ul, "u64 memory", "RAM bytes, a non-zero multiple of 2 MiB"),
    ("kernel_module", Int16ul, "u16 kernel_module", "module index of the kernel"),
    ("initrd_module", Int16ul, "u16 initrd_module", "module index of the initrd, or VMCONFIG_MODULE_NONE"),
    ("on_reset", Int8ul, "u8 on_reset", "VMCONFIG_ON_RESET_RESTART or VMCONFIG_ON_RESET_STOP"),
    ("owns_rest", Int8ul, "u8 owns_rest", "1: the VM owns every PCI function no VM lists (one VM at most)"),
    ("reserved1", Padding(2), "u8 reserved1[2]", "zero"),
    ("device_count", Int16ul, "u16 device_count", "entries of devices[] in use, at most VMCONFIG_DEVICES_MAX"),
    ("reserved0", Padding(6), "u8 reserved0[6]", "zero"),
    (
        "devices",
        Array(DEVICES_MAX, Int16ul),
        f"u16 devices[{DEVICES_MAX}]",
        "PCI functions owned, bus << 8 | dev << 3 | fn, each once in the blob; zero past device_count",
    ),
]


def _struct(fields: Sequence[tuple[str, object, str, str]]) -> Struct:
    return Struct(*[name / ctype for name, ctype, _, _ in fields])  # type: ignore[operator]


HEADER = _struct(HEADER_FIELDS)
VM_RECORD = _struct(VM_FIELDS)
HEADER_SIZE = HEADER.sizeof()
VM_SIZE = VM_RECORD.sizeof()
BLOB_MAX = HEADER_SIZE + VM_MAX * VM_SIZE
# Offset of each VM record field (tests edit blobs by hand with them).
VM_OFFSETS = {f[0]: _struct(VM_FIELDS[:i]).sizeof() for i, f in enumerate(VM_FIELDS)}
# Offset of the crc32 field: the sizes of the fields before it.
CRC_OFFSET = sum(_struct(HEADER_FIELDS[:i]).sizeof() for i, f in enumerate(HEADER_FIELDS) if f[0] == "crc32")


class ConfigError(PlinthError):
    """A configuration mistake: the message is one sentence that names the VM and the key."""


@dataclass
class VmConfig:
    name: str
    cpus: list[int]
    memory: int  # bytes
    kernel: Path
    cmdline: str = ""
    initrd: Path | None = None
    devices: list[int] = field(default_factory=list)  # bus << 8 | dev << 3 | fn, in file order
    owns_rest: bool = False
    on_reset: str = "restart"


@dataclass
class Config:
    path: Path
    vms: list[VmConfig] = field(default_factory=list)

    @property
    def cpu_count(self) -> int:
        """CPUs the machine needs: one more than the highest index any VM names."""
        return max(c for vm in self.vms for c in vm.cpus) + 1

    def summary(self) -> str:
        cpus = sum(len(vm.cpus) for vm in self.vms)
        memory = sum(vm.memory for vm in self.vms)
        vms = ", ".join(
            f"{vm.name} (CPU{'s' if len(vm.cpus) > 1 else ''} {','.join(map(str, vm.cpus))}, {vm.memory >> 20} MiB)"
            for vm in self.vms
        )
        return (
            f"{self.path}: {len(self.vms)} VM{'s' if len(self.vms) != 1 else ''}, {cpus} CPUs "
            f"(the machine needs at least {self.cpu_count}), {memory >> 20} MiB of guest RAM: {vms}"
        )

    def modules(self) -> list[tuple[Path, str]]:
        """The guest modules in blob order (after the blob itself): kernel, then initrd."""
        out: list[tuple[Path, str]] = []
        for vm in self.vms:
            out.append((vm.kernel, vm.cmdline))
            if vm.initrd is not None:
                out.append((vm.initrd, ""))
        return out


def parse_size(text: object, where: str) -> int:
    """'32M', '1G', '2048K' or a byte count -> bytes."""
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise ConfigError(f'{where}: a size is a string such as "32M" or "1G", not {type(text).__name__}.')
    if isinstance(text, int):
        value = text
    else:
        m = SIZE_RE.fullmatch(text.strip())
        if m is None:
            raise ConfigError(f'{where}: "{text}" is not a size (write it like "32M", "512M" or "1G").')
        value = int(m["num"]) << {"": 0, "K": 10, "M": 20, "G": 30}[m["unit"].upper()]
    if value <= 0:
        raise ConfigError(f"{where}: the size is zero; a VM needs RAM.")
    if value % MEMORY_ALIGN:
        raise ConfigError(f"{where}: {text} is not a multiple of 2 MiB (Plinth maps VM RAM in 2 MiB pages).")
    return value


def looks_like_linux(path: Path) -> bool:
    """Whether the file starts like a Linux bzImage (boot flag 0xAA55 and "HdrS")."""
    with path.open("rb") as f:
        head = f.read(0x206)
    return len(head) >= 0x206 and head[0x1FE:0x200] == b"\x55\xaa" and head[0x202:0x206] == b"HdrS"


def bdf_text(bdf: int) -> str:
    """bus << 8 | dev << 3 | fn -> "bb:dd.f", as lspci prints it."""
    return f"{bdf >> 8:02x}:{(bdf >> 3) & 0x1F:02x}.{bdf & 7}"


def parse_bdf(text: object, where: str) -> int:
    """A function as lspci prints it, "00:03.0" (or "0000:00:03.0") -> bus << 8 | dev << 3 | fn."""
    if not isinstance(text, str):
        raise ConfigError(f'{where}: a PCI function is a string such as "00:03.0", not {type(text).__name__}.')
    m = BDF_RE.fullmatch(text.strip())
    if m is None:
        raise ConfigError(f'{where}: "{text}" is not a PCI function; write bus:device.function in hex, like "00:03.0".')
    if m["seg"] is not None and int(m["seg"], 16):
        raise ConfigError(f'{where}: "{text}" is in PCI segment {m["seg"]}; Plinth knows segment 0000 only.')
    bus, dev, fn = int(m["bus"], 16), int(m["dev"], 16), int(m["fn"], 16)
    if bus > 0xFF:
        raise ConfigError(f'{where}: "{text}": bus {bus:x} is above ff (PCI has 256 buses).')
    if dev > 0x1F:
        raise ConfigError(f'{where}: "{text}": device {dev:02x} is above 1f (a bus has 32 devices).')
    if fn > 7:
        raise ConfigError(f'{where}: "{text}": function {fn:x} is above 7 (a device has 8 functions).')
    return bus << 8 | dev << 3 | fn


def _claim(owners: dict[int, str], item: int, name: str, what: str, rule: str) -> None:
    """Gives item (a CPU, a PCI function) to vm name; ConfigError when a VM has it already."""
    if item in owners:
        other = owners[item]
        raise ConfigError(
            f"{what} is " + ("listed twice." if other == name else f'also given to vm "{other}"; {rule}.')
        )
    owners[item] = name


def _devices(table: dict[str, object], where: str, name: str, owners: dict[int, str]) -> list[int]:
    value = table.get("devices", [])
    if not isinstance(value, list):
        raise ConfigError(f'{where}: devices is a list of PCI functions such as ["00:03.0"].')
    if len(value) > DEVICES_MAX:
        raise ConfigError(f"{where}: devices names {len(value)} functions; a VM owns at most {DEVICES_MAX}.")
    out = []
    for text in value:
        bdf = parse_bdf(text, f"{where}: devices")
        _claim(owners, bdf, name, f"{where}: devices: {bdf_text(bdf)}", "a function has one owner")
        out.append(bdf)
    return out


def _vm(
    table: object, index: int, base: Path, seen: dict[str, int], cpus: dict[int, str], owners: dict[int, str]
) -> VmConfig:
    ordinal = f"[[vm]] number {index + 1}"
    if not isinstance(table, dict):
        raise ConfigError(f"{ordinal}: each VM is a table of keys ([[vm]]), not a {type(table).__name__}.")
    name = table.get("name")
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        shown = f'"{name}"' if isinstance(name, str) else "missing" if name is None else repr(name)
        raise ConfigError(f"{ordinal}: name is {shown}; a VM name is 1 to 15 of a-z, 0-9, '-' and '_'.")
    where = f'vm "{name}"'
    if name in seen:
        raise ConfigError(
            f"{where}: name is used again (also by [[vm]] number {seen[name] + 1}); names must be unique."
        )
    seen[name] = index
    unknown = sorted(set(table) - KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known keys: {', '.join(sorted(KEYS))}).")
    for key in ("cpus", "memory", "kernel"):
        if key not in table:
            raise ConfigError(f"{where}: {key} is missing.")

    cpu_list = table["cpus"]
    if (
        not isinstance(cpu_list, list)
        or not cpu_list
        or not all(isinstance(c, int) and not isinstance(c, bool) for c in cpu_list)
    ):
        raise ConfigError(f"{where}: cpus is a non-empty list of CPU indices such as [1] or [2, 3].")
    for c in cpu_list:
        if not 0 <= c < CPUS_MAX:
            raise ConfigError(f"{where}: cpus: CPU {c} is outside 0..{CPUS_MAX - 1}.")
        _claim(cpus, c, name, f"{where}: cpus: CPU {c}", "VMs cannot share CPUs")

    memory = parse_size(table["memory"], f"{where}: memory")

    def file_key(key: str) -> Path:
        value = table[key]
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where}: {key} is a file name (a string).")
        path = Path(value) if Path(value).is_absolute() else Path(os.path.normpath(base / value))
        if not path.is_file():
            raise ConfigError(f"{where}: {key}: {path} does not exist.")
        return path

    kernel = file_key("kernel")
    cmdline = table.get("cmdline", "")
    if not isinstance(cmdline, str):
        raise ConfigError(f"{where}: cmdline is a string.")
    if "\n" in cmdline or len(cmdline) > 255:
        raise ConfigError(f"{where}: cmdline must be one line of at most 255 characters.")
    initrd = None
    if "initrd" in table:
        initrd = file_key("initrd")
        if not looks_like_linux(kernel):
            raise ConfigError(
                f"{where}: initrd is only for a Linux kernel, and {kernel} is not a bzImage "
                "(a multiboot kernel gets its modules otherwise)."
            )
    devices = _devices(table, where, name, owners)
    owns_rest = table.get("owns_rest", False)
    if not isinstance(owns_rest, bool):
        raise ConfigError(f"{where}: owns_rest is true or false.")
    on_reset = table.get("on_reset", "restart")
    if on_reset not in ON_RESET:
        shown = f'"{on_reset}"' if isinstance(on_reset, str) else repr(on_reset)
        raise ConfigError(f'{where}: on_reset is {shown}; it is "restart" (the default) or "stop".')
    return VmConfig(name, sorted(cpu_list), memory, kernel, cmdline, initrd, devices, owns_rest, str(on_reset))


def load(path: Path) -> Config:
    """Reads and checks a configuration file; ConfigError (one sentence) on any mistake."""
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file.") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read it ({err}).") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}.") from None
    unknown = sorted(set(data) - {"vm"})
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key {unknown[0]!r}; each VM is a [[vm]] table.")
    tables = data.get("vm")
    if not tables:
        raise ConfigError(f"{path}: no VM: add at least one [[vm]] table.")
    if not isinstance(tables, list):
        raise ConfigError(f"{path}: vm must be an array of tables ([[vm]]), not a single table ([vm]).")
    if len(tables) > VM_MAX:
        raise ConfigError(f"{path}: {len(tables)} VMs; Plinth runs at most {VM_MAX}.")
    config = Config(path)
    seen: dict[str, int] = {}
    cpus: dict[int, str] = {}
    owners: dict[int, str] = {}
    for i, table in enumerate(tables):
        vm = _vm(table, i, path.parent, seen, cpus, owners)
        rest = [other.name for other in config.vms if other.owns_rest]
        if vm.owns_rest and rest:
            raise ConfigError(
                f'vm "{vm.name}": owns_rest is true, and vm "{rest[0]}" owns the rest already; one VM at most may.'
            )
        config.vms.append(vm)
    return config


def pack(config: Config) -> bytes:
    """The blob for config (modules numbered from 1: module 0 is the blob itself)."""
    records = []
    module = 1
    for vm in config.vms:
        kernel = module
        module += 1
        initrd = MODULE_NONE
        if vm.initrd is not None:
            initrd = module
            module += 1
        records.append(
            VM_RECORD.build(
                {
                    "name": vm.name.encode().ljust(NAME_LEN, b"\0"),
                    "cpu_mask": sum(1 << c for c in vm.cpus),
                    "memory": vm.memory,
                    "kernel_module": kernel,
                    "initrd_module": initrd,
                    "on_reset": ON_RESET[vm.on_reset],
                    "owns_rest": int(vm.owns_rest),
                    "device_count": len(vm.devices),
                    "devices": vm.devices + [0] * (DEVICES_MAX - len(vm.devices)),
                }
            )
        )
    length = HEADER_SIZE + VM_SIZE * len(records)
    header = {
        "version": VERSION,
        "header_size": HEADER_SIZE,
        "length": length,
        "crc32": 0,
        "vm_count": len(records),
        "vm_size": VM_SIZE,
    }
    blob = HEADER.build(header) + b"".join(records)
    return seal(blob)


def seal(blob: bytes) -> bytes:
    """blob with its CRC-32 field computed (tests use it to hand-make corrupt blobs)."""
    body = bytearray(blob)
    body[CRC_OFFSET : CRC_OFFSET + 4] = bytes(4)
    crc = zlib.crc32(body)
    body[CRC_OFFSET : CRC_OFFSET + 4] = crc.to_bytes(4, "little")
    return bytes(body)


def unpack(blob: bytes) -> list[dict[str, object]]:
    """The VM records of a blob, for tests and `config show`; ConfigError when it is corrupt."""
    if len(blob) < HEADER_SIZE:
        raise ConfigError(f"the blob has {len(blob)} bytes, fewer than its {HEADER_SIZE}-byte header.")
    try:
        header = HEADER.parse(blob)
    except Exception:  # construct's ConstError: the magic
        raise ConfigError('the blob does not start with the magic "PLINTHVM".') from None
    if header.version != VERSION:
        raise ConfigError(f"the blob is version {header.version}; these tools know version {VERSION}.")
    if header.length != len(blob) or seal(blob) != blob:
        raise ConfigError("the blob's length or CRC-32 is wrong: it was changed after packing.")
    records = []
    for i in range(header.vm_count):
        r = VM_RECORD.parse(blob[HEADER_SIZE + i * header.vm_size :])
        records.append(
            {
                "name": r.name.rstrip(b"\0").decode(),
                "cpu_mask": r.cpu_mask,
                "memory": r.memory,
                "kernel_module": r.kernel_module,
                "initrd_module": r.initrd_module,
                "on_reset": r.on_reset,
                "owns_rest": r.owns_rest,
                "devices": list(r.devices[: r.device_count]),
            }
        )
    return records


def _c_struct(name: str, fields: Sequence[tuple[str, object, str, str]]) -> list[str]:
    lines = [f"struct {name} {{"]
    lines += [f"\t{ctype}; /* {comment} */" for _, _, ctype, comment in fields]
    lines.append("} __packed;")
    return lines


def vmconfig_h() -> str:
    from tools.gen import _header, c_string

    body = [
        "#include <plinth/types.h>",
        "",
        f"#define VMCONFIG_MAGIC {c_string(MAGIC.decode())}",
        f"#define VMCONFIG_VERSION {VERSION}",
        f"#define VMCONFIG_VM_MAX {VM_MAX}",
        f"#define VMCONFIG_NAME_LEN {NAME_LEN}",
        f"#define VMCONFIG_DEVICES_MAX {DEVICES_MAX}",
        *[f"#define VMCONFIG_ON_RESET_{k.upper()} {v}" for k, v in ON_RESET.items()],
        f"#define VMCONFIG_MODULE_NONE 0x{MODULE_NONE:x}",
        f"#define VMCONFIG_MEMORY_ALIGN 0x{MEMORY_ALIGN:x}",
        f"#define VMCONFIG_HEADER_SIZE {HEADER_SIZE}",
        f"#define VMCONFIG_VM_SIZE {VM_SIZE}",
        f"#define VMCONFIG_CRC_OFFSET {CRC_OFFSET}",
        f"#define VMCONFIG_BLOB_MAX {BLOB_MAX}",
        "",
        *_c_struct("vmconfig_header", HEADER_FIELDS),
        "",
        *_c_struct("vmconfig_vm", VM_FIELDS),
        "",
        '_Static_assert(sizeof(struct vmconfig_header) == VMCONFIG_HEADER_SIZE, "header layout");',
        '_Static_assert(sizeof(struct vmconfig_vm) == VMCONFIG_VM_SIZE, "VM record layout");',
        '_Static_assert(__builtin_offsetof(struct vmconfig_header, crc32) == VMCONFIG_CRC_OFFSET, "crc offset");',
    ]
    return _header("vmconfig.h", "tools/vmconfig.py", body)


def write_blob(config: Config, path: Path) -> Path:
    """Packs config into path (made if missing); returns path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pack(config))
    return path


def describe(config: Config) -> str:
    """Each VM on a line, as `config show` prints it: what Plinth will be told."""
    lines = [config.summary()]
    for vm in config.vms:
        initrd = f", initrd {vm.initrd}" if vm.initrd else ""
        devices = ", devices " + " ".join(map(bdf_text, vm.devices)) if vm.devices else ""
        rest = ", owns the rest" if vm.owns_rest else ""
        lines.append(
            f"  {vm.name}: CPUs {','.join(map(str, vm.cpus))}, {vm.memory >> 20} MiB, kernel {vm.kernel}{initrd}, "
            f"cmdline '{vm.cmdline}'{devices}{rest}, on reset {vm.on_reset}"
        )
    return "\n".join(lines)
