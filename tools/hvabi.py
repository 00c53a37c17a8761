"""Plinth's interface to guests, defined once: CPUID leaves, hypercalls, emulated I/O ports,
and the line format test guests report in.

SCons generates build/generated/plinth_abi.h from this for the hypervisor and the test guests;
the tests import the same names from here.

Hypercalls (VMCALL from CPL 0):
    RAX = function number; RBX, RCX, RDX = arguments; result in RAX: >= 0 on success,
    a negative error number otherwise. Other registers are preserved. Guest buffers are
    passed by guest-physical address.
"""

from __future__ import annotations

import re

ABI_VERSION = (1, 0)

CPUID_LEAF_BASE = 0x40000000
CPUID_LEAF_MAX = 0x40000001
# 12 bytes in EBX, ECX, EDX of leaf CPUID_LEAF_BASE.
CPUID_SIGNATURE = "PlinthPlinth"
# Leaf CPUID_LEAF_BASE + 1: EAX = ABI version (major << 16 | minor), EBX = feature bits.
CPUID_FEATURE_EXIT_STATS = 1 << 0
CPUID_FEATURE_TEST_PORT = 1 << 1

HYPERCALLS = {
    # name: (number, what it does)
    "VERSION": (0, "returns the ABI version, major << 16 | minor"),
    "CONSOLE_WRITE": (
        1,
        "RBX = guest-physical address, RCX = length (at most 1024): writes the text to Plinth's console as lines of "
        "its own, each after [VM name] (control characters as ?); returns the length",
    ),
    "EXIT_STATS": (
        2,
        "RBX = guest-physical address of a u64 array, RCX = its size in bytes: fills in this vCPU's VM exits by basic exit reason; returns the number of entries written",
    ),
    "DEBUG_CORRUPT_GUEST_STATE": (
        0x100,
        "only with Plinth's boot option debug_hypercalls: makes the next VM entry fail (guest RFLAGS bit 1 cleared), to prove the failed-entry report (the VM stops with its VMCS); -EPERM otherwise",
    ),
}

ERRORS = {"EPERM": 1, "EFAULT": 14, "EINVAL": 22, "ENOSYS": 38}
CONSOLE_WRITE_MAX = 1024

# An emulated device: a read-only identification register and a read/write scratch register,
# both 32 bits wide; narrower accesses see the low bytes.
TEST_PORT_ID = 0x0B00
TEST_PORT_SCRATCH = 0x0B04
TEST_PORT_ID_VALUE = 0x48544C50  # "PLTH" in little-endian bytes

# Test guests report one line per check, free-form info lines and a final summary. Plinth's
# own DMA self-test reports in the same shape under its own source word, after the log prefix
# ("plinth: dma-selftest: check ..."), so one pair of patterns reads both and never mixes them.
CHECK_SOURCE_GUEST = "guest"
CHECK_SOURCE_DMA_SELFTEST = "dma-selftest"
CHECK_NAME = r"[a-z0-9_-]+"


def check_re(source: str) -> re.Pattern[str]:
    """One check's result line from source ("guest" or "dma-selftest")."""
    return re.compile(rf"{re.escape(source)}: check (?P<name>{CHECK_NAME}): (?P<result>pass|fail)(?:: (?P<detail>.*))?")


def summary_re(source: str) -> re.Pattern[str]:
    """The summary line that ends source's report."""
    return re.compile(rf"{re.escape(source)}: summary: (?P<passed>\d+) passed, (?P<failed>\d+) failed")


def info_re(source: str) -> re.Pattern[str]:
    """An info line of source's report (what a check saw, or why nothing was checked)."""
    return re.compile(rf"{re.escape(source)}: info (?P<text>.*)")


def check_formats(macro_prefix: str, source: str, newline: bool) -> dict[str, str]:
    """The C printf formats of source's report lines, by macro name; newline for a program that
    prints whole lines itself (the guest), none for Plinth's log, which adds prefix and newline."""
    end = "\n" if newline else ""
    return {
        f"{macro_prefix}_FMT_CHECK_PASS": f"{source}: check %s: pass{end}",
        f"{macro_prefix}_FMT_CHECK_FAIL": f"{source}: check %s: fail: %s{end}",
        f"{macro_prefix}_FMT_SUMMARY": f"{source}: summary: %u passed, %u failed{end}",
        f"{macro_prefix}_FMT_INFO": f"{source}: info %s{end}",
    }


GUEST_CHECK_PREFIX = f"{CHECK_SOURCE_GUEST}: check "
GUEST_CHECK_RE = check_re(CHECK_SOURCE_GUEST)
GUEST_SUMMARY_RE = summary_re(CHECK_SOURCE_GUEST)
GUEST_INFO_RE = info_re(CHECK_SOURCE_GUEST)
GUEST_C_FORMATS = check_formats("GUEST", CHECK_SOURCE_GUEST, newline=True)
DMA_SELFTEST_CHECK_RE = check_re(CHECK_SOURCE_DMA_SELFTEST)
DMA_SELFTEST_SUMMARY_RE = summary_re(CHECK_SOURCE_DMA_SELFTEST)
DMA_SELFTEST_INFO_RE = info_re(CHECK_SOURCE_DMA_SELFTEST)
DMA_SELFTEST_C_FORMATS = check_formats("DMA_SELFTEST", CHECK_SOURCE_DMA_SELFTEST, newline=False)


def plinth_abi_h() -> str:
    from tools.gen import _header, c_string

    major, minor = ABI_VERSION
    body = [
        f"#define PLINTH_ABI_VERSION 0x{major << 16 | minor:x}",
        f"#define PLINTH_CPUID_LEAF_BASE 0x{CPUID_LEAF_BASE:x}",
        f"#define PLINTH_CPUID_LEAF_MAX 0x{CPUID_LEAF_MAX:x}",
        f"#define PLINTH_CPUID_SIGNATURE {c_string(CPUID_SIGNATURE)}",
        f"#define PLINTH_CPUID_FEATURE_EXIT_STATS 0x{CPUID_FEATURE_EXIT_STATS:x}",
        f"#define PLINTH_CPUID_FEATURE_TEST_PORT 0x{CPUID_FEATURE_TEST_PORT:x}",
    ]
    for name, (number, what) in HYPERCALLS.items():
        body += [f"/* {what} */", f"#define PLINTH_HC_{name} 0x{number:x}"]
    body += [f"#define PLINTH_{name} {num}" for name, num in ERRORS.items()]
    body += [
        f"#define PLINTH_CONSOLE_WRITE_MAX {CONSOLE_WRITE_MAX}",
        f"#define PLINTH_TEST_PORT_ID 0x{TEST_PORT_ID:x}",
        f"#define PLINTH_TEST_PORT_SCRATCH 0x{TEST_PORT_SCRATCH:x}",
        f"#define PLINTH_TEST_PORT_ID_VALUE 0x{TEST_PORT_ID_VALUE:x}",
    ]
    body += [f"#define {k} {c_string(v)}" for k, v in (GUEST_C_FORMATS | DMA_SELFTEST_C_FORMATS).items()]
    return _header("plinth_abi.h", "tools/hvabi.py", body)
