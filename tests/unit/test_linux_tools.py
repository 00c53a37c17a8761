"""The Linux guest's files (tools/linux.py): the newc cpio writer, the busybox initramfs and
its incremental rebuild, the user's --kernel/--initrd checks, and fetching Debian's kernel and
busybox with apt (against fake apt tools on PATH; one slow test uses the real archive)."""

from __future__ import annotations

import argparse
import gzip
import io
import lzma
import shutil
import stat
import struct
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tools import cli, linux
from tools.errors import PlinthError

# --- a newc reader, independent of the writer --------------------------------------------


@dataclass
class Member:
    name: str
    mode: int
    nlink: int
    rdev: tuple[int, int]
    data: bytes
    offset: int  # of its header


def read_newc(archive: bytes) -> list[Member]:
    """Parse a newc archive up to and including TRAILER!!!, checking magic and alignment."""
    members = []
    pos = 0
    while True:
        assert pos % 4 == 0, f"header at {pos} is not 4-aligned"
        assert archive[pos : pos + 6] == b"070701", f"bad magic at {pos}"
        fields = [int(archive[pos + 6 + 8 * i : pos + 14 + 8 * i], 16) for i in range(13)]
        _ino, mode, _uid, _gid, nlink, _mtime, size, _dmaj, _dmin, rmaj, rmin, namesize, check = fields
        assert check == 0
        name_start = pos + 110
        name = archive[name_start : name_start + namesize]
        assert name.endswith(b"\0") and b"\0" not in name[:-1]
        data_start = name_start + namesize
        data_start += -data_start % 4
        assert archive[name_start + namesize : data_start] == b"\0" * (data_start - name_start - namesize)
        data = archive[data_start : data_start + size]
        assert len(data) == size, "archive truncated"
        members.append(Member(name[:-1].decode(), mode, nlink, (rmaj, rmin), data, pos))
        pos = data_start + size
        pad = -pos % 4
        assert archive[pos : pos + pad] == b"\0" * pad
        pos += pad
        if members[-1].name == "TRAILER!!!":
            assert pos == len(archive), "bytes after the trailer"
            return members


def by_name(members: list[Member]) -> dict[str, Member]:
    return {m.name: m for m in members}


# --- the cpio writer --------------------------------------------------------------------


def test_cpio_writer_round_trips_every_kind_of_entry() -> None:
    # Names of 1..4 characters and data of 0..5 bytes exercise every padding remainder.
    entries = [
        linux.cpio_dir("d"),
        linux.cpio_dir("d/e", 0o700),
        linux.cpio_file("d/a", b"x", 0o644),
        linux.cpio_file("d/bb", b"xy" * 3, 0o755),
        linux.cpio_file("d/ccc", b"", 0o600),
        linux.cpio_file("/abcd", b"12345"),
        linux.cpio_symlink("d/l", "../abcd"),
        linux.cpio_chardev("d/c", 5, 1),
    ]
    members = read_newc(linux.cpio_newc(entries))
    assert [m.name for m in members] == ["d", "d/e", "d/a", "d/bb", "d/ccc", "abcd", "d/l", "d/c", "TRAILER!!!"]
    m = by_name(members)
    assert m["d"].mode == stat.S_IFDIR | 0o755 and m["d"].nlink == 2
    assert m["d/e"].mode == stat.S_IFDIR | 0o700
    assert m["d/a"].mode == stat.S_IFREG | 0o644 and m["d/a"].data == b"x" and m["d/a"].nlink == 1
    assert m["d/bb"].mode == stat.S_IFREG | 0o755 and m["d/bb"].data == b"xyxyxy"
    assert m["d/ccc"].data == b""
    assert m["abcd"].data == b"12345", "a leading / is dropped, the contents kept"
    assert stat.S_ISLNK(m["d/l"].mode) and m["d/l"].data == b"../abcd"
    assert stat.S_ISCHR(m["d/c"].mode) and m["d/c"].rdev == (5, 1) and m["d/c"].data == b""
    assert m["TRAILER!!!"].mode == 0 and m["TRAILER!!!"].data == b""


def test_cpio_writer_is_deterministic() -> None:
    entries = [linux.cpio_dir("x"), linux.cpio_file("x/y", b"data")]
    assert linux.cpio_newc(entries) == linux.cpio_newc(entries)


def test_empty_archive_is_just_the_trailer() -> None:
    members = read_newc(linux.cpio_newc([]))
    assert [m.name for m in members] == ["TRAILER!!!"]


@pytest.mark.skipif(shutil.which("cpio") is None, reason="GNU cpio is not installed (apt package: cpio)")
def test_gnu_cpio_reads_the_archive(tmp_path: Path) -> None:
    archive = linux.cpio_newc([linux.cpio_dir("d"), linux.cpio_file("d/f", b"hello\n"), linux.cpio_symlink("d/l", "f")])
    res = subprocess.run(["cpio", "-idm", "--quiet"], input=archive, cwd=tmp_path, capture_output=True)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "d/f").read_bytes() == b"hello\n"
    assert (tmp_path / "d/l").is_symlink() and (tmp_path / "d/l").readlink() == Path("f")


# --- the initramfs ----------------------------------------------------------------------

FAKE_BUSYBOX = b"\x7fELF fake busybox"


@pytest.fixture
def busybox(tmp_path: Path) -> Path:
    path = tmp_path / "busybox"
    path.write_bytes(FAKE_BUSYBOX)
    return path


def test_initramfs_has_busybox_applets_mount_points_and_init(tmp_path: Path, busybox: Path) -> None:
    out = linux.build_initramfs(busybox, tmp_path / "initramfs.cpio.gz")
    members = read_newc(gzip.decompress(out.read_bytes()))
    m = by_name(members)
    names = [x.name for x in members]
    for d in ("bin", "dev", "proc", "sys", "tmp", "root"):
        assert stat.S_ISDIR(m[d].mode), d
    assert m["tmp"].mode & 0o7777 == 0o1777
    assert m["bin/busybox"].data == FAKE_BUSYBOX and m["bin/busybox"].mode == stat.S_IFREG | 0o755
    for applet in ("sh", "ls", "cat", "mount", "echo", "poweroff", "dmesg", "grep", "od", "dd", "setsid", "cttyhack"):
        assert stat.S_ISLNK(m[f"bin/{applet}"].mode) and m[f"bin/{applet}"].data == b"busybox", applet
    # The kernel opens /dev/console for init before /init can mount devtmpfs.
    assert stat.S_ISCHR(m["dev/console"].mode) and m["dev/console"].rdev == (5, 1)
    init = m["init"]
    assert init.mode == stat.S_IFREG | 0o755
    text = init.data.decode()
    assert text.startswith("#!/bin/sh\n")
    for needed in (
        "mount -t proc",
        "mount -t sysfs",
        "mount -t devtmpfs",
        linux.GUEST_UP,
        f"PS1='{linux.GUEST_PROMPT}'",
        "setsid cttyhack sh",
        "poweroff -f",
    ):
        assert needed in text, needed
    # Every parent directory comes before what it holds.
    for i, name in enumerate(names[:-1]):
        if "/" in name:
            assert name.rsplit("/", 1)[0] in names[:i], name


def test_initramfs_custom_init_and_uncompressed_output(tmp_path: Path, busybox: Path) -> None:
    out = linux.build_initramfs(busybox, tmp_path / "initramfs.cpio", init_script="#!/bin/sh\necho hi\n")
    m = by_name(read_newc(out.read_bytes()))  # no .gz: a plain cpio
    assert m["init"].data == b"#!/bin/sh\necho hi\n"


def test_initramfs_is_rebuilt_only_when_its_inputs_change(
    tmp_path: Path, busybox: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cache" / "initramfs.cpio.gz"
    linux.build_initramfs(busybox, out)
    assert "wrote" in capsys.readouterr().err
    first = out.stat().st_mtime_ns
    first_bytes = out.read_bytes()

    linux.build_initramfs(busybox, out)
    assert out.stat().st_mtime_ns == first, "unchanged inputs must not rewrite the image"
    assert "wrote" not in capsys.readouterr().err

    linux.build_initramfs(busybox, out, init_script="#!/bin/sh\nexec sh\n")
    assert b"exec sh" in by_name(read_newc(gzip.decompress(out.read_bytes())))["init"].data

    linux.build_initramfs(busybox, out)
    assert out.read_bytes() == first_bytes, "the same inputs give the same bytes (reproducible)"

    busybox.write_bytes(FAKE_BUSYBOX + b" v2")
    linux.build_initramfs(busybox, out)
    assert by_name(read_newc(gzip.decompress(out.read_bytes())))["bin/busybox"].data == FAKE_BUSYBOX + b" v2"

    out.write_bytes(b"damaged")  # a stamp alone is not trusted: the image must match it
    stamp = out.with_name(out.name + ".sha256")
    stamp.write_text("0" * 64 + "\n")
    linux.build_initramfs(busybox, out)
    assert read_newc(gzip.decompress(out.read_bytes()))


def test_initramfs_from_a_missing_busybox_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(PlinthError, match=r"cannot read the busybox binary .*nope") as exc:
        linux.build_initramfs(tmp_path / "nope", tmp_path / "out.cpio.gz")
    assert "\n" not in str(exc.value)


# --- guest_files and the command line -------------------------------------------------------


def test_guest_files_uses_the_users_files_without_fetching(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # any apt call would fail
    kernel, initrd = tmp_path / "bzImage", tmp_path / "initrd.img"
    kernel.write_bytes(b"k")
    initrd.write_bytes(b"i")
    assert linux.guest_files(kernel, initrd, tmp_path / "cache") == (kernel, initrd)
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("missing", ["--kernel", "--initrd"])
def test_guest_files_missing_user_file_is_one_sentence(tmp_path: Path, missing: str) -> None:
    present = tmp_path / "present"
    present.write_bytes(b"x")
    absent = tmp_path / "absent.img"
    kernel, initrd = (absent, present) if missing == "--kernel" else (present, absent)
    with pytest.raises(PlinthError) as exc:
        linux.guest_files(kernel, initrd, tmp_path / "cache")
    message = str(exc.value)
    assert message.startswith(f"{missing} {absent} does not exist")
    assert message.endswith(".") and "\n" not in message


def test_guest_files_builds_the_initramfs_from_the_cached_busybox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "busybox").write_bytes(FAKE_BUSYBOX)
    (cache / "vmlinuz-6.1.0-1-amd64").write_bytes(b"kernel")
    kernel, initrd = linux.guest_files(None, None, cache)
    assert kernel == cache / "vmlinuz-6.1.0-1-amd64"
    assert initrd == cache / linux.INITRAMFS_NAME
    assert by_name(read_newc(gzip.decompress(initrd.read_bytes())))["bin/busybox"].data == FAKE_BUSYBOX


def test_guest_cmdline_puts_the_serial_console_first_and_the_users_words_last() -> None:
    assert linux.guest_cmdline() == "console=ttyS0,115200 earlyprintk=serial,ttyS0,115200 panic=-1"
    assert linux.guest_cmdline("loglevel=7 quiet").endswith(" panic=-1 loglevel=7 quiet")


# --- fetch_debian against fake apt tools ------------------------------------------------------

KERNEL_PKG = "linux-image-6.1.0-99-amd64"
VMLINUZ = b"MZ fake bzImage " + b"\0" * 100

FAKE_APT_GET = """#!/bin/sh
echo "apt-get $*" >> "$FAKE_LOG"
[ "$1" = download ] || exit 100
for pkg; do :; done
if [ -n "$FAKE_FAIL" ]; then
    echo "W: some warning" >&2
    echo "E: Failed to fetch http://deb.debian.org/debian/pool/main/$pkg.deb  Temporary failure resolving 'deb.debian.org'" >&2
    exit 100
fi
cp "$FAKE_DEBS/$pkg.tar" "./${pkg}_1.0_amd64.deb"
"""

FAKE_APT_CACHE = f"""#!/bin/sh
echo "apt-cache $*" >> "$FAKE_LOG"
case "$1 $2" in
"depends linux-image-amd64") printf 'linux-image-amd64\\n  Depends: {KERNEL_PKG}\\n' ;;
"show --no-all-versions") echo "Package: $3"; echo "Size: 71303168" ;;
*) echo "E: No packages found" >&2; exit 100 ;;
esac
"""

FAKE_DPKG_DEB = """#!/bin/sh
echo "dpkg-deb $*" >> "$FAKE_LOG"
[ "$1" = --fsys-tarfile ] && exec cat "$2"
exit 2
"""


def tar_of(files: dict[str, bytes]) -> bytes:
    """A package's data.tar as dpkg-deb --fsys-tarfile prints it: ./-relative names, dirs too."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        dirs = sorted({str(Path(name).parent) for name in files} - {"."})
        for d in dirs:
            info = tarfile.TarInfo(f"./{d}/")
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo(f"./{name}")
            info.size, info.mode = len(data), 0o755 if "bin/" in name else 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@dataclass
class FakeApt:
    log: Path

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


@pytest.fixture
def fake_apt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeApt:
    bin_dir, debs = tmp_path / "fakebin", tmp_path / "debs"
    bin_dir.mkdir()
    debs.mkdir()
    for name, text in (("apt-get", FAKE_APT_GET), ("apt-cache", FAKE_APT_CACHE), ("dpkg-deb", FAKE_DPKG_DEB)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    (debs / f"{KERNEL_PKG}.tar").write_bytes(
        tar_of(
            {
                "boot/config-6.1.0-99-amd64": b"CONFIG_X=y\n",
                "boot/vmlinuz-6.1.0-99-amd64": VMLINUZ,
                "lib/modules/6.1.0-99-amd64/kernel/big.ko": b"\0" * 100_000,
            }
        )
    )
    (debs / "busybox-static.tar").write_bytes(
        tar_of(
            {
                "bin/busybox": FAKE_BUSYBOX,
                "usr/share/doc/busybox-static/copyright": b"GPL-2\n",
            }
        )
    )
    log = tmp_path / "apt.log"
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    monkeypatch.setenv("FAKE_LOG", str(log))
    monkeypatch.setenv("FAKE_DEBS", str(debs))
    monkeypatch.delenv("FAKE_FAIL", raising=False)
    return FakeApt(log)


def test_fetch_debian_downloads_and_keeps_only_vmlinuz_and_busybox(
    tmp_path: Path, fake_apt: FakeApt, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    vmlinuz, busybox = linux.fetch_debian(cache)
    assert vmlinuz == cache / "vmlinuz-6.1.0-99-amd64" and vmlinuz.read_bytes() == VMLINUZ
    assert busybox == cache / "busybox" and busybox.read_bytes() == FAKE_BUSYBOX
    assert busybox.stat().st_mode & 0o111, "busybox stays executable"
    # Nothing else is kept: no modules tree, no config, no .debs, no download directory.
    assert sorted(p.name for p in cache.iterdir()) == ["busybox", "vmlinuz-6.1.0-99-amd64"]
    calls = fake_apt.calls()
    assert "apt-cache depends linux-image-amd64" in calls
    assert f"apt-get download -q {KERNEL_PKG}" in calls and "apt-get download -q busybox-static" in calls
    err = capsys.readouterr().err
    assert f"==> fetching {KERNEL_PKG} (68 MiB) ..." in err
    assert "==> fetching busybox-static" in err


def test_fetch_debian_reuses_the_cache_without_apt(tmp_path: Path, fake_apt: FakeApt) -> None:
    cache = tmp_path / "cache"
    first = linux.fetch_debian(cache)
    calls = len(fake_apt.calls())
    assert calls > 0
    assert linux.fetch_debian(cache) == first
    assert len(fake_apt.calls()) == calls, "a second run must not call apt (no network)"


def test_fetch_debian_download_failure_is_one_sentence(
    tmp_path: Path, fake_apt: FakeApt, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_FAIL", "1")
    with pytest.raises(PlinthError) as exc:
        linux.fetch_debian(tmp_path / "cache")
    message = str(exc.value)
    assert message.startswith(f"cannot fetch {KERNEL_PKG} (Failed to fetch")
    assert "Temporary failure resolving" in message
    assert "apt-get update" in message and "--kernel" in message
    assert "\n" not in message and message.endswith(".")
    assert not list((tmp_path / "cache").glob("download-*")), "no half-done download is left behind"


def test_fetch_debian_unknown_kernel_package_is_one_sentence(
    tmp_path: Path, fake_apt: FakeApt, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = Path(str(fake_apt.log.parent / "fakebin" / "apt-cache"))
    fake.write_text('#!/bin/sh\necho "E: No packages found" >&2\nexit 100\n')
    with pytest.raises(PlinthError, match=r"^apt-cache knows no kernel package .*apt-get update.*--kernel"):
        linux.fetch_debian(tmp_path / "cache")


def test_fetch_debian_without_apt_get_is_one_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "vmlinuz-6.1.0-1-amd64").write_bytes(b"k")  # kernel cached: only busybox is fetched
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(PlinthError) as exc:
        linux.fetch_debian(cache)
    message = str(exc.value)
    assert message.startswith("cannot fetch busybox-static: no apt-get on PATH")
    assert "\n" not in message


# --- the real archive ----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None,
    reason="apt-get/dpkg-deb missing: not a Debian or Ubuntu host",
)
def test_fetch_debian_from_the_real_archive(tmp_path: Path) -> None:
    vmlinuz, busybox = linux.fetch_debian(tmp_path)
    kernel = vmlinuz.read_bytes()
    assert kernel[0x202:0x206] == b"HdrS", "a bzImage (Linux boot protocol header)"
    assert int.from_bytes(kernel[0x206:0x208], "little") >= 0x20C, "boot protocol 2.12+: 64-bit entry"
    assert busybox.read_bytes()[:4] == b"\x7fELF"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([vmlinuz.name, "busybox"])
    initrd = linux.build_initramfs(busybox, tmp_path / "initramfs.cpio.gz")
    assert by_name(read_newc(gzip.decompress(initrd.read_bytes())))["bin/busybox"].data == busybox.read_bytes()


# --- `plinth run`'s guest options -------------------------------------------------------------


def run_args(*argv: str) -> argparse.Namespace:
    return cli.parser().parse_args(["run", *argv])


def test_run_boots_the_linux_guest_on_two_cpus_by_default(tmp_path: Path) -> None:
    kernel, initrd = tmp_path / "bzImage", tmp_path / "initrd"
    kernel.write_bytes(b"k")
    initrd.write_bytes(b"i")
    args = run_args("--kernel", str(kernel), "--initrd", str(initrd), "--guest-cmdline", "loglevel=8")
    assert args.cpus == 2
    assert cli.guest_modules(args) == [(kernel, f"{linux.DEFAULT_CMDLINE} loglevel=8"), (initrd, "")]
    assert cli.guest_modules(run_args("--no-guest")) == []
    assert cli.guest_modules(run_args("--module", str(kernel))) == [], "--module replaces the default guest"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--kernel", "/nonexistent/bzImage"], "==> error: --kernel /nonexistent/bzImage does not exist"),
        (["--no-guest", "--initrd", "x"], "==> error: --initrd cannot be combined with --no-guest."),
        (
            ["--module", "x", "--guest-cmdline", "quiet"],
            "==> error: --guest-cmdline cannot be combined with --module.",
        ),
    ],
)
def test_run_guest_option_mistakes_are_one_sentence_before_any_build(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tools import build

    def no_build(*_: object, **__: object) -> None:
        raise AssertionError("the mistake must be reported before building")

    monkeypatch.setattr(build, "build", no_build)
    assert cli.main(["run", *argv]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(message) and len(err.splitlines()) == 1


# --- kernel modules for a variant initramfs ------------------------------------------------


def fake_module(modinfo: dict[str, str], extra_section: bool = True) -> bytes:
    """A minimal ELF64 relocatable object like a kernel module: a .modinfo section of
    NUL-separated key=value strings (and, when extra_section, a .text before it)."""
    info = b"".join(f"{k}={v}".encode() + b"\0" for k, v in modinfo.items())
    names = b"\0.text\0.modinfo\0.shstrtab\0"
    text = b"\xc3" * 16
    body = text + info + names
    shoff = 64 + len(body) + (-(64 + len(body)) % 8)
    sections = [(0, 0, 0, 0)]  # (name offset, type, file offset, size)
    if extra_section:
        sections.append((1, 1, 64, len(text)))
    sections += [(7, 1, 64 + len(text), len(info)), (16, 3, 64 + len(text) + len(info), len(names))]
    ident = b"\x7fELF\x02\x01\x01" + b"\0" * 9
    header = ident + struct.pack(
        "<HHIQQQIHHHHHH", 1, 0x3E, 1, 0, 0, shoff, 0, 64, 0, 0, 64, len(sections), len(sections) - 1
    )
    out = header + body + b"\0" * (shoff - 64 - len(body))
    for name, kind, off, size in sections:
        out += struct.pack("<IIQQQQIIQQ", name, kind, 0, 0, off, size, 0, 0, 1, 0)
    return out


def test_module_depends_reads_the_modinfo_section() -> None:
    ko = fake_module({"license": "GPL", "depends": "mii,libphy-x", "name": "e1000"})
    assert linux.module_depends(ko, "e1000.ko") == ["mii", "libphy_x"]
    assert linux.module_depends(fake_module({"depends": "", "name": "e1000"}, extra_section=False), "x") == []
    assert linux.module_depends(fake_module({"name": "e1000"}), "x") == []
    with pytest.raises(PlinthError, match=r"^junk\.ko is not a kernel module \(.*\)\.$"):
        linux.module_depends(b"not an ELF file at all", "junk.ko")
    with pytest.raises(PlinthError, match=r"no \.modinfo section"):
        linux.module_depends(fake_module({}).replace(b".modinfo", b".modjunk"), "odd.ko")


def test_module_names_follow_the_kernels_rule() -> None:
    assert linux.module_name("snd-hda-intel.ko.xz") == "snd_hda_intel"
    assert linux.module_name("e1000.ko") == linux.module_name("e1000") == "e1000"


def test_module_init_loads_modules_in_order_before_the_shell() -> None:
    text = linux.module_init(["mii", "e1000"])
    mii, e1000 = text.index("insmod /lib/modules/mii.ko"), text.index("insmod /lib/modules/e1000.ko")
    assert text.index("mount -t sysfs") < mii < e1000 < text.index(linux.GUEST_UP) < text.index("setsid cttyhack sh")
    assert 'echo "plinth-guest: insmod e1000 failed"' in text
    assert linux.module_init([]) == linux.DEFAULT_INIT


def test_initramfs_carries_modules_under_lib_modules(tmp_path: Path, busybox: Path) -> None:
    out = tmp_path / "initramfs-x.cpio.gz"
    linux.build_initramfs(busybox, out, linux.module_init(["x"]), [("x", b"\x7fELF x")])
    members = read_newc(gzip.decompress(out.read_bytes()))
    m = by_name(members)
    names = [x.name for x in members]
    assert stat.S_ISDIR(m["lib/modules"].mode) and names.index("lib") < names.index("lib/modules")
    assert m["lib/modules/x.ko"].data == b"\x7fELF x" and m["lib/modules/x.ko"].mode == stat.S_IFREG | 0o644
    assert b"insmod /lib/modules/x.ko" in m["init"].data
    first = out.read_bytes()
    linux.build_initramfs(busybox, out, linux.module_init(["x"]), [("x", b"\x7fELF x v2")])
    assert out.read_bytes() != first, "a changed module must rebuild the image"
    assert "lib/modules" not in by_name(read_newc(gzip.decompress(linux.build_initramfs(busybox, out).read_bytes())))


RELEASE = "6.1.0-99-amd64"
MODDIR = f"lib/modules/{RELEASE}/kernel"


@pytest.fixture
def module_apt(fake_apt: FakeApt, tmp_path: Path) -> FakeApt:
    """fake_apt whose kernel package linux-image-RELEASE holds modules: e1000 needs mii (shipped
    xz-compressed), which needs nothing; loop_a and loop_b need each other."""
    files = {
        "lib/modules/6.1.0-1-other/kernel/e1000.ko": b"another kernel's module",
        f"boot/vmlinuz-{RELEASE}": VMLINUZ,
        f"{MODDIR}/drivers/net/e1000.ko": fake_module({"depends": "mii", "name": "e1000"}),
        f"{MODDIR}/drivers/net/mii.ko.xz": lzma.compress(fake_module({"depends": "", "name": "mii"})),
        f"{MODDIR}/lib/loop-a.ko": fake_module({"depends": "loop_b", "name": "loop_a"}),
        f"{MODDIR}/lib/loop_b.ko": fake_module({"depends": "loop_a", "name": "loop_b"}),
    }
    (tmp_path / "debs" / f"linux-image-{RELEASE}.tar").write_bytes(tar_of(files))
    return fake_apt


def test_fetch_modules_takes_dependencies_first_uncompressed_and_caches_them(
    tmp_path: Path, module_apt: FakeApt
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    paths = linux.fetch_modules(RELEASE, ["e1000"], cache)
    where = cache / f"modules-{RELEASE}"
    assert paths == [where / "mii.ko", where / "e1000.ko"]
    assert paths[0].read_bytes() == fake_module({"depends": "", "name": "mii"}), "mii.ko.xz was not decompressed"
    assert linux.module_depends(paths[1].read_bytes(), "e1000") == ["mii"]
    assert f"apt-get download -q linux-image-{RELEASE}" in module_apt.calls()
    assert sorted(p.name for p in cache.iterdir()) == [f"modules-{RELEASE}"], "the .deb is not kept"
    calls = len(module_apt.calls())
    assert linux.fetch_modules(RELEASE, ["e1000"], cache) == paths
    assert len(module_apt.calls()) == calls, "cached modules must not call apt"


def test_fetch_modules_refuses_missing_and_circular_modules(tmp_path: Path, module_apt: FakeApt) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    with pytest.raises(PlinthError, match=rf"^linux-image-{RELEASE} has no module nope \(.*{RELEASE}\)\.$"):
        linux.fetch_modules(RELEASE, ["nope"], cache)
    with pytest.raises(PlinthError, match=r"depend on each other in a cycle: loop_a -> loop_b\.$"):
        linux.fetch_modules(RELEASE, ["loop-a"], cache)


def test_module_initramfs_builds_on_the_cached_kernels_release(tmp_path: Path, module_apt: FakeApt) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / f"vmlinuz-{RELEASE}").write_bytes(VMLINUZ)
    (cache / "busybox").write_bytes(FAKE_BUSYBOX)
    out = linux.module_initramfs(["e1000"], cache)
    assert out == cache / "initramfs-e1000.cpio.gz"
    m = by_name(read_newc(gzip.decompress(out.read_bytes())))
    assert {"lib/modules/mii.ko", "lib/modules/e1000.ko"} <= set(m)
    init = m["init"].data.decode()
    assert init.index("insmod /lib/modules/mii.ko") < init.index("insmod /lib/modules/e1000.ko")
    assert not any("apt-cache depends" in c for c in module_apt.calls()), "the release is the cached kernel's"
