"""VM configurations (tools/vmconfig.py): every mistake `config check` names, and the blob."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tools import hostc, vmconfig
from tools.paths import ROOT
from tools.vmconfig import ConfigError

MB_KERNEL = b"\x02\xb0\xad\x1b" + bytes(60)  # starts like a multiboot image; not a bzImage


def linux_image() -> bytes:
    img = bytearray(0x300)
    img[0x1FE:0x200] = b"\x55\xaa"
    img[0x202:0x206] = b"HdrS"
    return bytes(img)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "guest.bin").write_bytes(MB_KERNEL)
    (tmp_path / "bzImage").write_bytes(linux_image())
    (tmp_path / "initrd.gz").write_bytes(b"initrd")
    return tmp_path


def write(tree: Path, text: str) -> Path:
    path = tree / "vms.toml"
    path.write_text(text)
    return path


VM_A = "[[vm]]\nname = 'a'\ncpus = [0]\nmemory = '2M'\nkernel = 'guest.bin'\n"
VM_B = "[[vm]]\nname = 'b'\ncpus = [1]\nmemory = '2M'\nkernel = 'guest.bin'\n"

TWO_VMS = """
[[vm]]
name = "rtos"
cpus = [1]
memory = "32M"
kernel = "guest.bin"
cmdline = "checks=cpuid"

[[vm]]
name = "linux"
cpus = [0, 2]
memory = "256M"
kernel = "bzImage"
initrd = "initrd.gz"
"""


def test_a_good_configuration_loads_and_summarises(tree: Path) -> None:
    config = vmconfig.load(write(tree, TWO_VMS))
    assert [vm.name for vm in config.vms] == ["rtos", "linux"]
    assert config.vms[0].cpus == [1] and config.vms[1].cpus == [0, 2]
    assert config.vms[0].memory == 32 << 20 and config.vms[1].memory == 256 << 20
    assert config.vms[1].initrd == tree / "initrd.gz"
    assert config.cpu_count == 3
    summary = config.summary()
    assert "2 VMs" in summary and "3 CPUs" in summary and "288 MiB" in summary
    assert config.modules() == [(tree / "guest.bin", "checks=cpuid"), (tree / "bzImage", ""), (tree / "initrd.gz", "")]


def test_devices_owns_rest_and_on_reset_pack_as_plinth_reads_them(tree: Path) -> None:
    text = VM_A + "devices = ['00:03.0', '0000:ff:1f.7', '1:0.1']\non_reset = 'stop'\n" + VM_B + "owns_rest = true\n"
    config = vmconfig.load(write(tree, text))
    assert config.vms[0].devices == [0x0018, 0xFFFF, 0x0101]
    assert config.vms[0].on_reset == "stop" and not config.vms[0].owns_rest
    assert config.vms[1].devices == [] and config.vms[1].owns_rest and config.vms[1].on_reset == "restart"
    records = vmconfig.unpack(vmconfig.pack(config))
    assert records[0]["devices"] == [0x0018, 0xFFFF, 0x0101] and records[0]["on_reset"] == vmconfig.ON_RESET["stop"]
    assert records[1]["owns_rest"] == 1 and records[1]["on_reset"] == vmconfig.ON_RESET["restart"]
    shown = vmconfig.describe(config)
    assert "devices 00:03.0 ff:1f.7 01:00.1, on reset stop" in shown and "owns the rest, on reset restart" in shown


def test_the_limits_are_defined_once() -> None:
    """plinth/vm.h takes VM_DEVICES_MAX and VM_ON_RESET_* from the generated header."""
    header = vmconfig.vmconfig_h()
    assert f"#define VMCONFIG_DEVICES_MAX {vmconfig.DEVICES_MAX}" in header
    assert "#define VMCONFIG_ON_RESET_RESTART 0" in header and "#define VMCONFIG_ON_RESET_STOP 1" in header
    vm_h = (ROOT / "hypervisor/include/plinth/vm.h").read_text()
    assert "#define VM_DEVICES_MAX VMCONFIG_DEVICES_MAX" in vm_h
    assert "#define VM_ON_RESET_RESTART VMCONFIG_ON_RESET_RESTART" in vm_h
    assert "#define VM_ON_RESET_STOP VMCONFIG_ON_RESET_STOP" in vm_h


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[[vm]]\nname = 'a'\ncpus = [0]\nmemory = '2M'\nkernel = 'guest.bin'\n"
            "[[vm]]\nname = 'b'\ncpus = [0]\nmemory = '2M'\nkernel = 'guest.bin'\n",
            'vm "b": cpus: CPU 0 is also given to vm "a"',
        ),
        ("[[vm]]\nname = 'a'\ncpus = [1, 1]\nmemory = '2M'\nkernel = 'guest.bin'\n", "CPU 1 is listed twice"),
        (
            "[[vm]]\nname = 'a'\ncpus = [0]\nmemory = '2M'\nkernel = 'guest.bin'\n"
            "[[vm]]\nname = 'a'\ncpus = [1]\nmemory = '2M'\nkernel = 'guest.bin'\n",
            'vm "a": name is used again',
        ),
        ("[[vm]]\nname = 'Big'\ncpus = [0]\nmemory = '2M'\nkernel = 'guest.bin'\n", 'name is "Big"'),
        ("[[vm]]\nname = 'a23456789012345x'\ncpus = [0]\nmemory = '2M'\nkernel = 'guest.bin'\n", "1 to 15"),
        ("[[vm]]\ncpus = [0]\nmemory = '2M'\nkernel = 'guest.bin'\n", "[[vm]] number 1: name is missing"),
        ("[[vm]]\nname = 'a'\ncpus = [0]\nmemory = '3M'\nkernel = 'guest.bin'\n", "not a multiple of 2 MiB"),
        ("[[vm]]\nname = 'a'\ncpus = [0]\nmemory = '0M'\nkernel = 'guest.bin'\n", "the size is zero"),
        ("[[vm]]\nname = 'a'\ncpus = [0]\nmemory = 'lots'\nkernel = 'guest.bin'\n", '"lots" is not a size'),
        ("[[vm]]\nname = 'a'\ncpus = [0]\nmemory = '2M'\nkernel = 'nosuch.bin'\n", "kernel: "),
        ("[[vm]]\nname = 'a'\ncpus = [0]\nmemory = '2M'\nkernel = 'bzImage'\ninitrd = 'no.gz'\n", "initrd: "),
        (
            "[[vm]]\nname = 'a'\ncpus = [0]\nmemory = '2M'\nkernel = 'guest.bin'\ninitrd = 'initrd.gz'\n",
            "initrd is only for a Linux kernel",
        ),
        (
            "[[vm]]\nname = 'a'\ncpus = [0]\nmemory = '2M'\nkernel = 'guest.bin'\ncolour = 'red'\n",
            "unknown key 'colour'",
        ),
        ("[[vm]]\nname = 'a'\ncpus = []\nmemory = '2M'\nkernel = 'guest.bin'\n", "cpus is a non-empty list"),
        ("[[vm]]\nname = 'a'\ncpus = [64]\nmemory = '2M'\nkernel = 'guest.bin'\n", "CPU 64 is outside"),
        ("[[vm]]\nname = 'a'\nmemory = '2M'\nkernel = 'guest.bin'\n", 'vm "a": cpus is missing'),
        ("", "no VM"),
        ("title = 'x'\n", "unknown top-level key 'title'"),
        ("[vm]\nname = 'a'\n", "array of tables"),
        ("[[vm]]\nname = 'a'\ncpus = [0\n", "not valid TOML"),
        (VM_A + "devices = ['00:03.0', '00:03.0']\n", 'vm "a": devices: 00:03.0 is listed twice'),
        (
            VM_A + "devices = ['00:03.0']\n" + VM_B + "devices = ['0:3.0']\n",
            'vm "b": devices: 00:03.0 is also given to vm "a"; a function has one owner',
        ),
        (VM_A + "devices = ['100:00.0']\n", "bus 100 is above ff"),
        (VM_A + "devices = ['00:20.0']\n", "device 20 is above 1f"),
        (VM_A + "devices = ['00:03.8']\n", "function 8 is above 7"),
        (VM_A + "devices = ['00:03']\n", '"00:03" is not a PCI function'),
        (VM_A + "devices = ['eth0']\n", '"eth0" is not a PCI function'),
        (VM_A + "devices = ['0001:00:03.0']\n", "segment 0001"),
        (VM_A + "devices = [3]\n", "a PCI function is a string"),
        (VM_A + "devices = '00:03.0'\n", "devices is a list"),
        (VM_A + "devices = [" + ", ".join(f"'00:{d:02x}.0'" for d in range(17)) + "]\n", "at most 16"),
        (VM_A + "owns_rest = true\n" + VM_B + "owns_rest = true\n", 'vm "a" owns the rest already'),
        (VM_A + "owns_rest = 1\n", "owns_rest is true or false"),
        (VM_A + "on_reset = 'reboot'\n", 'on_reset is "reboot"; it is "restart" (the default) or "stop"'),
        (VM_A + "on_reset = 1\n", "on_reset is 1"),
    ],
)
def test_each_mistake_is_one_sentence_naming_the_vm_and_key(tree: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        vmconfig.load(write(tree, text))
    message = str(err.value)
    assert expected in message
    assert message.endswith(".") and "\n" not in message


def test_the_toml_error_names_its_line(tree: Path) -> None:
    with pytest.raises(ConfigError, match=r"line 3"):
        vmconfig.load(write(tree, "[[vm]]\nname = 'a'\ncpus = = [0]\n"))


def test_a_missing_file_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        vmconfig.load(tmp_path / "nope.toml")


def test_the_blob_round_trips(tree: Path) -> None:
    blob = vmconfig.pack(vmconfig.load(write(tree, TWO_VMS)))
    assert blob[:8] == vmconfig.MAGIC
    assert len(blob) == vmconfig.HEADER_SIZE + 2 * vmconfig.VM_SIZE
    records = vmconfig.unpack(blob)
    assert records[0] == {
        "name": "rtos",
        "cpu_mask": 0b10,
        "memory": 32 << 20,
        "kernel_module": 1,
        "initrd_module": vmconfig.MODULE_NONE,
        "on_reset": 0,
        "owns_rest": 0,
        "devices": [],
    }
    assert records[1] == {
        "name": "linux",
        "cpu_mask": 0b101,
        "memory": 256 << 20,
        "kernel_module": 2,
        "initrd_module": 3,
        "on_reset": 0,
        "owns_rest": 0,
        "devices": [],
    }


@pytest.mark.parametrize("damage", ["flip", "truncate", "version", "magic"])
def test_a_damaged_blob_is_refused(tree: Path, damage: str) -> None:
    blob = bytearray(vmconfig.pack(vmconfig.load(write(tree, TWO_VMS))))
    if damage == "flip":
        blob[vmconfig.HEADER_SIZE + 20] ^= 0x40
    elif damage == "truncate":
        del blob[-1]
    elif damage == "version":
        blob[8] = 9
        blob = bytearray(vmconfig.seal(bytes(blob)))
    else:
        blob[0] = ord("Q")
    with pytest.raises(ConfigError):
        vmconfig.unpack(bytes(blob))


def test_the_c_header_describes_the_same_layout() -> None:
    header = vmconfig.vmconfig_h()
    assert f"#define VMCONFIG_HEADER_SIZE {vmconfig.HEADER_SIZE}" in header
    assert f"#define VMCONFIG_VM_SIZE {vmconfig.VM_SIZE}" in header
    for name, _, ctype, _ in vmconfig.HEADER_FIELDS + vmconfig.VM_FIELDS:
        assert f"\t{ctype};" in header, name


@pytest.fixture(scope="module")
def c_parser(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Plinth's blob parser (core/config.c) built for this machine, with the sanitizers."""
    program = ROOT / "tests/unit/c/config_blob_file.c"
    return hostc.build(program, hostc.sources_line(program), tmp_path_factory.mktemp("c") / "cfg", sanitize=True)


def parse_in_c(
    parser: Path, blob: bytes, tmp_path: Path, cpus: int = 0xF, modules: int = 4, free_mib: int = 1024
) -> str:
    path = tmp_path / "blob"
    path.write_bytes(blob)
    res = subprocess.run(
        [str(parser), str(path), hex(cpus), str(modules), str(free_mib)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return res.stdout.strip()


def test_plinth_reads_the_packed_blob_as_the_tools_meant_it(tree: Path, c_parser: Path, tmp_path: Path) -> None:
    text = TWO_VMS.replace('cmdline = "checks=cpuid"', 'devices = ["00:03.0", "02:1f.7"]\non_reset = "stop"')
    blob = vmconfig.pack(vmconfig.load(write(tree, text + "owns_rest = true\n")))
    assert parse_in_c(c_parser, blob, tmp_path).splitlines() == [
        f"vm rtos cpus 0x2 memory {32 << 20} kernel 1 initrd -1 on_reset 1 owns_rest 0 devices 00:03.0 02:1f.7",
        f"vm linux cpus 0x5 memory {256 << 20} kernel 2 initrd 3 on_reset 0 owns_rest 1 devices",
    ]


def test_plinth_refuses_a_function_the_tools_would_refuse(tree: Path, c_parser: Path, tmp_path: Path) -> None:
    """A hand-made blob that gives one function to two VMs (the tools refuse the file) is refused at boot."""
    blob = bytearray(vmconfig.pack(vmconfig.load(write(tree, VM_A + "devices = ['00:03.0']\n" + VM_B))))
    count = vmconfig.HEADER_SIZE + vmconfig.VM_SIZE + vmconfig.VM_OFFSETS["device_count"]  # vm b's
    devices = vmconfig.HEADER_SIZE + vmconfig.VM_SIZE + vmconfig.VM_OFFSETS["devices"]
    assert blob[count - vmconfig.VM_SIZE] == 1 and blob[devices - vmconfig.VM_SIZE] == 0x18
    blob[count] = 1
    blob[devices] = 0x18
    out = parse_in_c(c_parser, vmconfig.seal(bytes(blob)), tmp_path, modules=3)
    assert out == "error: VMs 'a' and 'b' both own PCI function 00:03.0", out


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("flip", "CRC-32"),
        ("truncate", "length field"),
        ("version", "version 9"),
        ("cpu", "CPU 5 does not exist"),
        ("memory", "needs 256 MiB; only 32 MiB"),
        ("module", "kernel module 2 does not exist"),
    ],
)
def test_plinth_refuses_damaged_and_lying_blobs(
    tree: Path, c_parser: Path, tmp_path: Path, damage: str, expected: str
) -> None:
    blob = bytearray(vmconfig.pack(vmconfig.load(write(tree, TWO_VMS))))
    limits = {"cpus": 0xF, "modules": 4, "free_mib": 1024}
    if damage == "flip":
        blob[vmconfig.HEADER_SIZE + 17] ^= 0x01
    elif damage == "truncate":
        del blob[-3:]
    elif damage == "version":
        blob[8] = 9
        blob = bytearray(vmconfig.seal(bytes(blob)))
    elif damage == "cpu":
        limits["cpus"] = 0x3  # CPUs 0 and 1 only; linux wants CPU 2 (and the blob lies)
        blob[vmconfig.HEADER_SIZE + vmconfig.VM_SIZE + 16] = 0x21  # CPUs 0 and 5
        blob = bytearray(vmconfig.seal(bytes(blob)))
    elif damage == "memory":
        limits["free_mib"] = 64
    else:
        limits["modules"] = 2
    out = parse_in_c(c_parser, bytes(blob), tmp_path, limits["cpus"], limits["modules"], limits["free_mib"])
    assert out.startswith("error: ") and expected in out, out


def test_config_check_prints_one_summary_line(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tools import cli

    assert cli.main(["config", "check", str(write(tree, TWO_VMS))]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "2 VMs" in err[0]


def test_config_check_names_the_mistake_and_exits_2(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tools import cli

    path = write(tree, TWO_VMS.replace('memory = "32M"', 'memory = "33M"'))
    assert cli.main(["config", "check", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ['==> error: vm "rtos": memory: 33M is not a multiple of 2 MiB (Plinth maps VM RAM in 2 MiB pages).']


def test_run_refuses_a_configuration_the_machine_cannot_hold(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tools import cli

    path = write(tree, TWO_VMS)
    assert cli.main(["run", "--config", str(path), "--cpus", "2"]) == 1
    assert "run with --cpus 3" in capsys.readouterr().err
    assert cli.main(["run", "--config", str(path), "--cpus", "3", "--memory", "256"]) == 1
    assert "run with --memory 352 or more" in capsys.readouterr().err
    assert cli.main(["run", "--config", str(path), "--cpus", "3", "--module", str(path)]) == 1
    assert "cannot be combined with --module" in capsys.readouterr().err


def test_run_prints_each_vms_input_key(tree: Path) -> None:
    """`run --config` names the Ctrl-A key of every VM, in configuration order, and the monitor's."""
    from tools import cli

    keys = cli.console_keys(vmconfig.load(write(tree, TWO_VMS)))
    names = [vm.name for vm in vmconfig.load(write(tree, TWO_VMS)).vms]
    assert keys.startswith("console input: ") and "Ctrl-A 0 Plinth's monitor" in keys
    for n, name in enumerate(names, start=1):
        assert f"Ctrl-A {n} {name}" in keys
