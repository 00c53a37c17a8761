"""Plinth's console protocol, defined once.

The C side gets these strings from build/generated/console_proto.h (written by tools/gen.py);
tests and tools import them from here, so neither side guesses the other's format.
"""

import re

LOG_PREFIX = "plinth: "
FATAL_PREFIX = "FATAL: "
# Message texts; the C side prints them after LOG_PREFIX.
BANNER_TEXT = "Plinth hypervisor"
NO_GUEST_TEXT = "no guest to launch"
HALTED_TEXT = "all CPUs halted"
# The whole lines as they appear on the console.
BANNER = LOG_PREFIX + BANNER_TEXT
NO_GUEST = LOG_PREFIX + NO_GUEST_TEXT
# Printed after a FATAL report's dump, once every CPU has been told to halt.
HALTED = LOG_PREFIX + HALTED_TEXT

# Lines whose shape the tests parse. The C side prints them with the C_FORMATS below (after
# the log prefix); the regular expressions here read them back.
MEMMAP_HEADER = "plinth: memory map"
MODULES_HEADER = "plinth: modules"
MODULE_LINE_RE = re.compile(
    r"plinth:   module (?P<index>\d+): (?P<start>0x[0-9a-f]+)-(?P<end>0x[0-9a-f]+) "
    r"(?P<size>\d+) bytes cmdline='(?P<cmdline>[^']*)'"
)
MEMMAP_LINE_RE = re.compile(r"plinth:   (?P<start>0x[0-9a-f]{16})-(?P<end>0x[0-9a-f]{16}) (?P<type>[a-z-]+)")
MODULES_COUNT_RE = re.compile(r"plinth: modules: (?P<count>\d+)")
FATAL_RE = re.compile(r"FATAL: (?P<what>.*?) \((?P<why>.*)\)")

# The strings the C side needs, by the macro name it sees.
C_STRINGS = {
    "CONSOLE_LOG_PREFIX": LOG_PREFIX,
    "CONSOLE_FATAL_PREFIX": FATAL_PREFIX,
    "CONSOLE_HALTED_TEXT": HALTED_TEXT,
    "CONSOLE_BANNER_TEXT": BANNER_TEXT,
    "CONSOLE_NO_GUEST_TEXT": NO_GUEST_TEXT,
}

# printf formats for the parsed lines; each pairs with a regular expression above.
C_FORMATS = {
    "CONSOLE_FMT_MEMMAP_HEADER": "memory map: %u entries, [start, end) by type",
    "CONSOLE_FMT_MEMMAP_LINE": "  0x%016lx-0x%016lx %s",
    "CONSOLE_FMT_MODULES_HEADER": "modules: %u",
    "CONSOLE_FMT_MODULE_LINE": "  module %u: 0x%lx-0x%lx %lu bytes cmdline='%s'",
}
