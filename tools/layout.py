"""Plinth's physical layout and boot contract, defined once.

linker.ld, boot/ and the C code see these through build/generated/layout.h; the ELF check
(tools/elfcheck.py) and the tests import them from here.
"""

MIB = 1 << 20

# Plinth links and loads at 2 MiB: below it sit the BIOS areas, real-mode memory that Linux
# guests want, and the future AP trampoline; 2 MiB alignment lets EPT map around Plinth's range
# with 2 MiB pages.
LOAD_BASE = 2 * MIB
# Everything Plinth owns (image, boot page tables, stacks, the page pool) lies inside
# [LOAD_BASE, LOAD_BASE + RESERVED_MAX). The ELF check rejects an image that does not fit.
RESERVED_MAX = 8 * MIB
# Page pool for Plinth's own allocations (page tables, stacks, later VMCS and VT-d tables).
# The linker rounds its end up to a 2 MiB boundary, so the reserved range is 2 MiB aligned.
POOL_SIZE = 4 * MIB
BOOT_STACK_SIZE = 16 * 1024
# Stack of each CPU once it runs C (the boot CPU moves to one too), from the page pool.
CPU_STACK_SIZE = 16 * 1024
PAGE_SIZE = 4096
MAX_CPUS = 64
# Real-mode entry of the application processors: the SIPI vector is this address >> 12, so it
# is page aligned and below 1 MiB. Plinth's RAM allocator never hands out the first MiB.
TRAMPOLINE_BASE = 0x8000

# Multiboot2 specification, section 3.1 (header) and 3.2 (machine state).
MB2_HEADER_MAGIC = 0xE85250D6
MB2_BOOTLOADER_MAGIC = 0x36D76289
MB2_ARCH_I386 = 0
# The header must lie in the first 32 KiB of the image, 64-bit aligned.
MB2_SEARCH_LIMIT = 32 * 1024
MB2_HEADER_ALIGN = 8

C_CONSTANTS = {
    "PLINTH_LOAD_BASE": LOAD_BASE,
    "PLINTH_RESERVED_MAX": RESERVED_MAX,
    "PLINTH_POOL_SIZE": POOL_SIZE,
    "PLINTH_BOOT_STACK_SIZE": BOOT_STACK_SIZE,
    "PLINTH_PAGE_SIZE": PAGE_SIZE,
    "PLINTH_CPU_STACK_SIZE": CPU_STACK_SIZE,
    "PLINTH_MAX_CPUS": MAX_CPUS,
    "TRAMPOLINE_BASE": TRAMPOLINE_BASE,
    "MB2_HEADER_MAGIC": MB2_HEADER_MAGIC,
    "MB2_BOOTLOADER_MAGIC": MB2_BOOTLOADER_MAGIC,
    "MB2_ARCH_I386": MB2_ARCH_I386,
}
