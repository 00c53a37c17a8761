"""Every console line the tools read is printed by its C format and read back by its regex.

Each Line in tools/consoleproto.py is formatted here with sample values the way C formats them
(c_printf) and must be read back by its regular expression with the values named; a Line
without samples fails, so a new line cannot go untested. The generated formats (C_FORMATS) are
the ones in build/generated/console_proto.h.
"""

from __future__ import annotations

import re

import pytest

from tools import consoleproto as cp

# name -> [(arguments, groups the regex must read)]: sample i is printed with format i (the last
# format for the samples after it), so every format has one at least.
SAMPLES: dict[str, list[tuple[tuple[object, ...], dict[str, str]]]] = {
    "BANNER_LINE": [
        (("0.1.0-145102a-dirty build 985b0613ed9a",), {"version": "0.1.0-145102a-dirty", "build_id": "985b0613ed9a"})
    ],
    "WARNING": [(("vm0: no room",), {"what": "vm0: no room"})],
    "LINUX_PANIC": [
        (
            ("VFS: Unable to mount root fs on unknown-block(0,0)",),
            {"why": "VFS: Unable to mount root fs on unknown-block(0,0)"},
        )
    ],
    "COMMAND_LINE": [(("console=com1,115200 x='y'",), {"cmdline": "console=com1,115200 x='y'"})],
    "MEMMAP_HEADER": [((6,), {"count": "6"})],
    "MEMMAP_LINE": [
        ((0x100000, 0x1FFF0000, "acpi-reclaimable"), {"end": "0x000000001fff0000", "type": "acpi-reclaimable"})
    ],
    "MODULES_COUNT": [((3,), {"count": "3"})],
    "MODULE_LINE": [
        ((1, 0x110000, 0x111388, 5000, "a b"), {"index": "1", "start": "0x110000", "size": "5000", "cmdline": "a b"})
    ],
    "ACPI_RSDP": [(("ACPI 1.0", 20, 0x221E80), {"tag": "ACPI 1.0", "size": "20", "addr": "0x0000000000221e80"})],
    "RESERVED": [((0x200000, 0x800000, 6144, 228, 5916), {"start": "0x200000", "end": "0x800000", "pool": "5916"})],
    "CPU_IN_VMX_ROOT": [((1, 2), {"cpu": "1", "apic_id": "2"})],
    "CPU_ONLINE": [((63, 63), {"cpu": "63", "apic_id": "63"})],
    "SMP_POOL": [((63, 1764, 28, 3652), {"aps": "63", "kib": "1764", "each": "28", "free": "3652"})],
    "CPUS_ONLINE": [((1, ", all in VMX root operation"), {"count": "1"}), ((8, ""), {"count": "8", "vmx": None})],  # type: ignore[dict-item]
    "VMX_REPORT": [
        (
            (0x2B, 4096, "WB", "yes", "no"),
            {"items": "revision 0x2b, region 4096 bytes, memory type WB, TRUE controls yes, INS/OUTS info no"},
        ),
        (("yes",) * 5, {}),
        (("yes", "yes", "no", "yes", "no", "yes", "yes"), {}),
        (("yes",) * 5, {}),
    ],
    "VTD_UNIT": [
        ((0, 0xFED90000, 1, 0, ""), {"unit": "0", "base": "0xfed90000", "version": "1.0", "include_all": None}),  # type: ignore[dict-item]
        ((1, 0xFED91000, 6, 0, ", all devices not named by another unit"), {"version": "6.0"}),
    ],
    "VTD_UNIT_REPORT": [
        ((0, 0x2, "39-bit 3-level ", "", 39, 6, 65536, "no", "no", 3, "2M ", "1G", "yes"), {"unit": "0"}),
        ((2, 1, 0x220, 0xF0, "no", "yes", "yes", "no", "yes", "no"), {"unit": "2"}),
    ],
    "VTD_ENABLED": [((0, "register-based"), {"invalidation": "register-based"})],
    "VTD_FAULT": [
        (
            (0, 0, 3, 0, "write", 0x241000, 5, "write to a page the domain does not map writable"),
            {"bdf": "00:03.0", "access": "write", "addr": "0x241000", "reason": "0x5"},
        ),
    ],
    "VTD_IR_AVAILABLE": [
        (
            (256, "xAPIC (8-bit)", "the CPUs run xAPIC: 8-bit destinations"),
            {"entries": "256", "format": "xAPIC (8-bit)", "why": "the CPUs run xAPIC: 8-bit destinations"},
        ),
        ((512, "x2APIC (32-bit)", "the CPUs run x2APIC: 32-bit destinations (EIME)"), {"format": "x2APIC (32-bit)"}),
    ],
    "VTD_IR_OFF": [
        (
            ("the DMAR does not announce it (flag INTR_REMAP clear)",),
            {"why": "the DMAR does not announce it (flag INTR_REMAP clear)"},
        )
    ],
    "VTD_IR_ENABLED": [
        ((0, 256, 0x265000, "xAPIC (8-bit)"), {"unit": "0", "entries": "256", "table": "0x265000"}),
    ],
    "VTD_IR_FAULT": [
        (
            (0, 0, 3, 0, 2, 0x22, "remapping entry not present"),
            {"bdf": "00:03.0", "index": "2", "reason": "0x22", "why": "remapping entry not present"},
        ),
    ],
    "VTD_UNIT_REFUSED": [
        (
            (
                0,
                0x1000000,
                "its registers 0x1000000-0x1001000 lie in available memory (memory map 0x100000-0x1ffe0000)",
            ),
            {
                "unit": "0",
                "base": "0x1000000",
                "why": "its registers 0x1000000-0x1001000 lie in available memory (memory map 0x100000-0x1ffe0000)",
            },
        )
    ],
    "VTD_RMRR_REFUSED": [
        (
            (0, 0xFFFFFFFFFF, "it spans 1048576 MiB"),
            {"base": "0x0", "limit": "0xffffffffff", "why": "it spans 1048576 MiB"},
        )
    ],
    "VTD_NO_UNIT": [((3,), {"count": "3"})],
    "VTD_POOL_EXHAUSTED": [
        (
            ("vm0", 5900, "its top-level table", 0),
            {"vm": "vm0", "pool": "5900", "what": "its top-level table", "free": "0"},
        )
    ],
    "VM_POOL_EXHAUSTED": [
        (("vm1", 5900, "its EPT", 40), {"vm": "vm1", "pool": "5900", "what": "its EPT", "free": "40"})
    ],
    "DEBUG_POOL_LEFT": [((5852, 16), {"taken": "5852", "left": "16"})],
    "PCI_FUNCTION": [
        (
            (0, 3, 0, 0x1234, 0x11E8, 0, 0xFF, 0),
            {"bdf": "00:03.0", "vendor": "1234", "device": "11e8", "class_code": "00ff00"},
        )
    ],
    "NO_DMA_ISOLATION": [(("vm0",), {"vm": "vm0"})],
    "VM_STOPPED": [(("vm1", "triple fault in vCPU 0"), {"vm": "vm1", "why": "triple fault in vCPU 0"})],
    "EPT_VIOLATION_STOP": [
        (
            ("vm0", "read write", 0x200000, "not mapped: Plinth's memory or a hole", 1, 0x102412),
            {
                "access": "read write",
                "gpa": "0x200000",
                "why": "not mapped: Plinth's memory or a hole",
                "vcpu": "1",
                "rip": "0x102412",
            },
        ),
    ],
    "TRIPLE_FAULT_STOP": [
        (("vm0", 0, 0x1000, 0x80000011, 0), {"vcpu": "0", "rip": "0x1000", "cr0": "0x80000011", "idtr_limit": "0x0"})
    ],
    "ACPI_SLEEP": [(("vm0", 5), {"vm": "vm0", "slp_typ": "5"})],
    "HOST_PAGE_TABLES": [((8, 0, 2, "yes"), {"leaves_1g": "8", "leaves_2m": "0", "tables": "2", "one_gib": "yes"})],
    "MONITOR_MEM": [((0x200000, 0x800000, 3900), {"start": "0x200000", "end": "0x800000", "free_kib": "3900"})],
    "PLINTH_BACKING": [
        (
            (0x200000, 0x800000, 0x1F800000, 0x1FE00000),
            {"start": "0x200000", "end": "0x800000", "host_start": "0x1f800000", "host_end": "0x1fe00000"},
        )
    ],
    "BAD_MULTIBOOT": [
        (
            ("vm0", 0, "bss_end_addr 0x101000 lies below the end of the loaded bytes 0x120000"),
            {"module": "0", "why": "bss_end_addr 0x101000 lies below the end of the loaded bytes 0x120000"},
        )
    ],
    "MULTIBOOT_LOADED": [
        (
            ("vm0", 0, "ELF64", 2, 0x400000, 0x423000, 0x400020, 0x9000, "checks=cpuid x='y'"),
            {"format": "ELF64", "segments": "2", "start": "0x400000", "entry": "0x400020", "info": "0x9000"},
        )
    ],
    "LINUX_LOADED": [
        (
            ("vm0", 0, 2, 15, 0x1000000, 7000, 40, 20000, 0x9000000, 0x10000, "console=ttyS0"),
            {"version": "2.15", "load": "0x1000000", "initrd": "0x9000000", "boot_params": "0x10000"},
        )
    ],
    "BAD_KERNEL": [
        (
            ("vm0", 0, "truncated: the file ends inside the real-mode setup code"),
            {"module": "0", "why": "truncated: the file ends inside the real-mode setup code"},
        )
    ],
    "VMS_LINE": [
        (
            ("vm0", "stopped", 2, 3, 5, 0x800000, 1234, 7),
            {
                "vm": "vm0",
                "state": "stopped",
                "vcpus": "2",
                "cpus": "0x3",
                "ranges": "5",
                "exits": "1234",
                "dropped": "7",
            },
        ),
        (("b", "not built", 1, 2, 0, 0, 0, 0), {"vm": "b", "state": "not built", "host": "0x0"}),
    ],
    "EXIT_STATS_VCPU": [
        (
            ("vm0", 1, 1, 123456, 2500, 900000),
            {"vm": "vm0", "vcpu": "1", "cpu": "1", "total": "123456", "plinth": "2500", "since": "900000"},
        )
    ],
    "EXIT_STATS_REASON": [(("EPT_VIOLATION", 1, 180), {"reason": "EPT_VIOLATION", "count": "1", "ticks": "180"})],
    "BOOT_PATH": [((11620800,), {"ticks": "11620800"})],
    "APIC_PAGE_OPEN": [(("vm0", 2), {"vm": "vm0", "vcpus": "2"})],
    "INIT_LATCHED": [(("vm0", 1), {"vm": "vm0", "vcpu": "1"})],
    "FOOTPRINT": [((6144, 228, 5916, 88, 24, 0), {"reserved": "6144", "used": "88", "ept": "24", "vtd": "0"})],
    "FATAL": [
        (
            ("VM entry failed", "exit reason 33 INVALID_GUEST_STATE (x)"),
            {"what": "VM entry failed", "why": "exit reason 33 INVALID_GUEST_STATE (x)"},
        )
    ],
    "FATAL_NESTED": [(("CPU exception in Plinth",), {"what": "CPU exception in Plinth"})],
    "FATAL_SILENCED": [((1, ""), {"count": "1"}), ((7, "s"), {"count": "7"})],
    "EXCEPTION_VECTOR": [
        ((14, "#PF page fault", 2, 3), {"vector": "14", "name": "#PF page fault", "error_code": "0x2", "cpu": "3"})
    ],
    "REGISTERS": [
        ((0x10, 0x8, 0x2), {"name": "rip", "value": "0000000000000010"}),
        ((1, 2, 3), {"name": "rax"}),
        ((1, 2, 3), {"name": "rbp"}),
    ],
    "BACKTRACE": [((0x201000, 0x202000), {"addresses": " 0x201000 0x202000"})],
    "VMCS_DUMP_LINE": [((0x4402, 48), {"encoding": "4402", "value": "0000000000000030"})],
    "VCPU_SIPI_START": [(("vm0", 7, 7, 0x700), {"vm": "vm0", "vcpu": "7", "vector": "0x07"})],
    "VMX_MSRS": [
        (
            (0xD810000000002B, 0x200401E0, 0x7F00000016, 0xF7F9FFFE04006172, 0x47FFF00000000, 1, 2, 0xF0106334141),
            {"basic": "0xd810000000002b", "proc": "0xf7f9fffe04006172", "ept_vpid": "0xf0106334141"},
        )
    ],
    "VMX_CONTROLS": [
        ((0x3E, 0x96006172, 0x10AA, 0x3F6FFF, 0xD1FF), {"pin": "0x3e", "proc2": "0x10aa", "entry": "0xd1ff"})
    ],
    "VM_EXIT_STOP": [
        (
            ("vm0", 9, "TASK_SWITCH", 1, 0x1234, 0x40000008, "hardware task switches are not emulated"),
            {"reason": "9", "name": "TASK_SWITCH", "vcpu": "1", "qualification": "0x40000008"},
        )
    ],
    "VMRESUME_STOP": [
        (("vm0", 0, 7, "VM entry with invalid control field(s)", 0x100), {"vm": "vm0", "vcpu": "0", "error": "7"})
    ],
    "VM_IDLE": [((), {})],
    "CONFIG_REFUSED": [
        (
            ("VM 'b': CPU 7 does not exist or is not online (online mask 0x3)",),
            {"why": "VM 'b': CPU 7 does not exist or is not online (online mask 0x3)"},
        )
    ],
    "CONFIG_ACCEPTED": [((2, 3, 96), {"count": "2", "cpus": "0x3", "mib": "96"})],
    "VM_RAM": [
        (("alpha", 0, 0x2000000, 0x6000000, 0x8000000), {"vm": "alpha", "end": "0x2000000", "host_start": "0x6000000"})
    ],
    "VM_RAM_IDENTITY": [(("nic",), {"vm": "nic"})],
    "VM_RAM_DMA_UNREACHABLE": [(("tg-1",), {"vm": "tg-1"})],
    "VM_PCI_FUNCTION": [
        (("nic", 0, 3, 0, 0x8086, 0x100E), {"vm": "nic", "bdf": "00:03.0", "vendor": "8086", "device": "100e"})
    ],
    "VM_PCI_BAR": [
        (
            ("nic", 0, 3, 0, "BAR0", "mem", 0xFEBC0000, 0xFEBE0000, ""),
            {"vm": "nic", "bdf": "00:03.0", "bar": "BAR0", "kind": "mem", "start": "0xfebc0000", "note": ""},
        ),
        (
            ("nic", 0, 3, 0, "BAR1", "I/O", 0xC000, 0xC040, ", passed through"),
            {"kind": "I/O", "end": "0xc040", "note": ", passed through"},
        ),
    ],
    "VM_PCI_QUIESCED": [
        (("nic", 0, 2, 0, 0x0107, 0x0503), {"vm": "nic", "bdf": "00:02.0", "before": "0x0107", "after": "0x0503"})
    ],
    "VM_MSI_ROUTING": [
        (
            ("checked against each VM's CPUs, without interrupt remapping", "the DMAR does not announce it"),
            {
                "how": "checked against each VM's CPUs, without interrupt remapping",
                "why": "the DMAR does not announce it",
            },
        )
    ],
    "VM_MSIX": [
        (
            ("nvme", 1, 0, 0, 33, 0, 0xFEB02000, 0xFEB02000, 0xFEB03000),
            {"vm": "nvme", "bdf": "01:00.0", "entries": "33", "bar": "0", "table": "0xfeb02000", "end": "0xfeb03000"},
        )
    ],
    "VM_MSIX_OFF": [
        (
            ("nic", 0, 3, 0, "the table's BIR is 6 or 7 (reserved)"),
            {"vm": "nic", "bdf": "00:03.0", "why": "the table's BIR is 6 or 7 (reserved)"},
        )
    ],
    "VM_MSI_REFUSED": [
        (
            ("nic", 1, 0, 3, 0, "MSI-X entry", 5, "destination outside the VM"),
            {
                "vm": "nic",
                "vcpu": "1",
                "bdf": "00:03.0",
                "what": "MSI-X entry",
                "n": "5",
                "why": "destination outside the VM",
            },
        )
    ],
    "VM_MSIX_ODD_ACCESS": [
        (
            ("nic", 0, 0, 3, 0, 2, 0x10C),
            {"vm": "nic", "vcpu": "0", "bdf": "00:03.0", "size": "2", "off": "0x10c"},
        )
    ],
    "VM_PCI_WRITE_DROPPED": [
        (
            ("nic", 0, 0x7, 0, 3, 0, 4, "it would turn decoding on"),
            {
                "vm": "nic",
                "vcpu": "0",
                "value": "0x7",
                "bdf": "00:03.0",
                "reg": "0x4",
                "why": "it would turn decoding on",
            },
        )
    ],
    "VM_NOT_BUILT": [(("beta", "its kernel did not load"), {"vm": "beta", "why": "its kernel did not load"})],
    "VM_READY": [(("my-vm_2", 6, 64, 2, 2), {"vm": "my-vm_2", "cpus": "0x6", "mib": "64", "chunks": "2", "key": "2"})],
    "INPUT_OWNER": [(("alpha", 2), {"owner": "alpha", "count": "2"}), (("monitor", 4), {"owner": "monitor"})],
    "IPI_DROPPED": [(("b", 0, 0xC4500), {"vm": "b", "vcpu": "0", "icr": "0xc4500"})],
    "VM_POOL_COST": [
        (
            ("a", 60, 12, 1, 4, 28, 8),
            {"vm": "a", "kib": "60", "ept": "12", "vcpus": "1", "state": "28", "vm_state": "8"},
        )
    ],
    "VM_RESTARTED": [(("b", 2), {"vm": "b", "start": "2"})],
    "VM_ACPI_TABLES": [(("linux", 1, 0xE0000, 484), {"vm": "linux", "cpus": "1", "addr": "0xe0000", "bytes": "484"})],
    "CLOCK_RATES": [((50008, 50009, 10000), {"tsc_khz": "50008", "apic_khz": "50009"})],
    "POWER_OFF_STOP": [(("linux", 0, 0x34, 5, ", S5"), {"vm": "linux", "value": "0x34", "slp_typ": "5"})],
    "RESET_STOP": [
        (("linux", 0, 6, 0xCF9), {"vm": "linux", "value": "0x6", "port": "0xcf9", "on_reset": "restart"}),
        (("b", 1, 0xFE, 0x64), {"vm": "b", "vcpu": "1", "port": "0x64", "on_reset": "stop"}),
    ],
    "VM_IOAPIC": [
        (
            ("one", 0xFEC00000, 2, 0x11, 24, 4, 1),
            {"vm": "one", "addr": "0xfec00000", "id": "2", "version": "0x11", "pins": "24", "pin": "4", "owned": "1"},
        )
    ],
    "VM_INTX_PIN": [
        (("nic", 0, 2, 0, ord("A"), 11, 11), {"vm": "nic", "bdf": "00:02.0", "intx": "A", "line": "11", "pin": "11"})
    ],
    "VM_INTX_REFUSED": [
        (
            ("b", 0, 3, 1, ord("B"), 11, "its pin is shared with an earlier VM's device"),
            {"vm": "b", "bdf": "00:03.1", "intx": "B", "why": "its pin is shared with an earlier VM's device"},
        )
    ],
    "IOAPIC_DROPPED": [(("one", 0, 0x23), {"vm": "one", "vcpu": "0", "reg": "0x23"})],
    "IOAPIC_REFUSED": [
        (
            ("one", 1, 0x18, "destination outside the VM"),
            {"vm": "one", "vcpu": "1", "why": "destination outside the VM"},
        )
    ],
    "IOAPIC_STATS": [
        (
            ("one", 2, 1, 7, 0, 3),
            {"vm": "one", "dropped": "2", "refused": "1", "sent": "7", "lost": "0", "programmed": "3"},
        )
    ],
    "MSI_STATS": [(("one", 4), {"vm": "one", "refused": "4"})],
    "VM_NOT_IDLE": [(("vm0", 1), {"vm": "vm0", "count": "1"})],
    "KICK_ROUNDS": [(("vm0", 2, 410), {"vm": "vm0", "rounds": "2", "us": "410"})],
    "INIT_NOT_SENT": [(("vm0", 1), {"vm": "vm0", "vcpu": "1"})],
    "CONSOLE_RECLAIMED": [
        ((0x3F8, 0x83, 0x1B, 0, 12), {"port": "0x3f8", "lcr": "0x83", "mcr": "0x1b", "divisor": "12"})
    ],
    "MONITOR_MEMORY_TYPE": [(("WB",), {"type": "WB"})],
    "GUEST_TEXT": [(("vm0", "plinth: vm0 stopped: forged"), {"vm": "vm0", "text": "plinth: vm0 stopped: forged"})],
    "APIC_REFUSED": [
        (
            ("vm0", 1, "an IPI", "SMI"),
            {"vm": "vm0", "vcpu": "1", "what": "an IPI", "mode": "SMI"},
        )
    ],
    "SMI_COMMAND_DROPPED": [(("vm0", 0, 0x5A, 0xB2), {"value": "0x5a", "port": "0xb2"})],
    "PCI_CONFIG_DROPPED": [(("vm0", 0, "SMRAM control", 0x72), {"what": "SMRAM control", "offset": "0x72"})],
    "SMRAM": [
        (
            ("Intel 440FX PMC", 0x8086, 0x1237, 0x1A, 0x72, "locked by Plinth (the firmware had left it unlocked)"),
            {
                "bridge": "Intel 440FX PMC",
                "vendor": "8086",
                "value": "0x1a",
                "state": "locked by Plinth (the firmware had left it unlocked)",
            },
        ),
        (("Intel Q35 MCH", 0x8086, 0x29C0, 0x0A, 0x9D, "closed but unlocked"), {"device": "29c0", "offset": "0x9d"}),
    ],
    "SMRAM_UNKNOWN": [((0x8086, 0x3E0F), {"vendor": "8086", "device": "3e0f"})],
    "GUEST_START": [(("checks=boot_info hello=world",), {"cmdline": "checks=boot_info hello=world"})],
    "GUEST_BENCH": [(("cpuid", 286, 290, 101), {"name": "cpuid", "min": "286", "median": "290", "runs": "101"})],
    "GUEST_BENCH_IRQ_ROUTE": [
        (
            (2, 0xC0000000, "A", 9, 9, 0xFEC00000, 9, "level", "active low", 0x40, 1),
            {"bdf": "00:02.0", "bar": "0xc0000000", "intx": "A", "gsi": "9", "pin": "9", "polarity": "active low"},
        )
    ],
    "GUEST_BENCH_IRQ_EXITS": [
        ((102, 101, " 48=101 18=1"), {"total": "102", "interrupts": "101", "reasons": " 48=101 18=1"}),
        ((0, 101, " none"), {"total": "0", "reasons": " none"}),
    ],
    "GUEST_HEARTBEAT": [((3,), {"beat": "3"})],
    "GUEST_CPUID_ROUNDTRIP": [((240,), {"ticks": "240"})],
    "GUEST_MMAP": [
        ((0x200000, 0x800000, 2), {"start": "0x0000000000200000", "end": "0x0000000000800000", "type": "2"})
    ],
    "GUEST_AP_INFO": [
        ((0, 2, "apic id 1 efer 0x500, apic id 2 efer 0x500"), {"bsp": "0", "count": "2"}),
        ((0, 0, "none"), {"aps": "none"}),
    ],
    "GUEST_AP_CHECKIN": [((3, 0x500), {"apic_id": "3", "efer": "0x500"})],
    "MTRR_EPT": [
        (("vm0", 1, 2, 1019, 1024), {"vm": "vm0", "vcpu": "1", "pages_1g": "2", "pages_4k": "1024", "error": None}),  # type: ignore[dict-item]
        (("vm1", 0, -12), {"vm": "vm1", "vcpu": "0", "error": "-12", "pages_1g": None}),  # type: ignore[dict-item]
    ],
    "MTRR_EPT_RETIRED": [(("vm0", 6), {"vm": "vm0", "pages": "6"})],
    "ACPI_FIELD_REFUSED": [
        (
            ("FADT offset 0x40: PM1a_CNT_BLK 0xfffe with 255 ports runs past port 0xffff; refused",),
            {
                "table": "FADT",
                "offset": "0x40",
                "what": "PM1a_CNT_BLK 0xfffe with 255 ports runs past port 0xffff; refused",
            },
        ),
        ((3, "FADT"), {"more": "3", "of": "FADT", "table": None}),  # type: ignore[dict-item]
    ],
    "PORT_ABSENT": [
        (
            ("b", 0, "wrote", 0x21, "PIC"),
            {"vm": "b", "vcpu": "0", "access": "wrote", "device": "PIC", "port": "0x21"},
        ),
        (("b", 1, "read", 0x71, "CMOS/RTC"), {"access": "read", "device": "CMOS/RTC", "port": "0x71"}),
    ],
    "PORTS_ABSENT_STATS": [
        (("b", " PIC 12, PIT 3, CMOS/RTC 7"), {"vm": "b", "counts": " PIC 12, PIT 3, CMOS/RTC 7"}),
        (("a", " serial 1"), {"vm": "a", "counts": " serial 1"}),
    ],
    "GUEST_MODULE": [
        (
            (0, 0x159000, 0x15E040, "second module arg"),
            {"index": "0", "start": "0x159000", "cmdline": "second module arg"},
        )
    ],
}


def test_absent_counts_read_the_stats_line() -> None:
    line = "  b: accesses to ports not its own: PIC 12, keyboard controller 3, CMOS/RTC 7"
    m = cp.PORTS_ABSENT_STATS.search(line)
    assert m and cp.absent_counts(m["counts"]) == {"PIC": 12, "keyboard controller": 3, "CMOS/RTC": 7}


def test_every_line_has_samples() -> None:
    assert set(SAMPLES) == set(cp.LINES), "add samples for new lines (and drop those of removed ones)"
    for name, samples in SAMPLES.items():
        assert len(samples) >= len(cp.LINES[name].formats), f"{name}: a sample for every format"


@pytest.mark.parametrize("name", sorted(cp.LINES))
def test_line_round_trip(name: str) -> None:
    """Formatted as C formats it, the line is read back with the sample's values."""
    line = cp.LINES[name]
    for i, (args, groups) in enumerate(SAMPLES[name]):
        text = cp.c_printf(line.formats[min(i, len(line.formats) - 1)], *args)
        before = "console noise\n"
        match = line.search(before + text + "\nplinth: next line\n")
        assert match, f"{name}: {line.regex.pattern!r} does not read {text!r}"
        assert len(before) <= match.start() and match.end() <= len(before + text), f"{name}: matched beyond the line"
        for group, value in groups.items():
            assert match[group] == value, f"{name}: {group} read {match[group]!r} from {text!r}, expected {value!r}"


def test_generated_formats_are_the_lines_formats() -> None:
    """The C formats of console_proto.h are those the Lines pair their regexes with (after the
    log, warning or FATAL prefix)."""
    used = {fmt for line in cp.LINES.values() for fmt in line.formats}
    for macro, fmt in cp.C_FORMATS.items():
        prefixes = (cp.LOG_PREFIX, cp.WARN_PREFIX, cp.FATAL_PREFIX)
        assert any(prefix + fmt in used for prefix in prefixes), f"{macro} pairs with no Line"


def test_c_printf_formats_as_c_does() -> None:
    assert cp.c_printf("%u %lu 0x%016lx %-6s| %02x %zu %llx", 1, 2, 0xAB, "ab", 7, 3, 255) == (
        "1 2 0x00000000000000ab ab    | 07 3 ff"
    )


def test_fill_fixes_named_groups_to_literal_text() -> None:
    regex = cp.EPT_VIOLATION_STOP.fill(vm="vm0", vcpu="0")
    line = cp.c_printf(cp.EPT_VIOLATION_STOP.formats[0], "vm0", "write", 0x200000, "not mapped", 0, 0x1)
    other = line.replace("vm0", "vm1")
    assert regex.search(line) and not regex.search(other)
    assert cp.fill(re.compile(r"(?P<a>[)(]+)(?P<b>\d)"), a="a.b").pattern == r"(?P<a>a\.b)(?P<b>\d)"
    with pytest.raises(KeyError):
        cp.VMS_LINE.fill(nope="x")


def test_report_items_reads_name_value_pairs() -> None:
    items = cp.report_items(
        "INVEPT yes (single-context yes, all-context no), VPID no; save/load EFER yes, region 4096 bytes"
    )
    assert items == {"INVEPT": "yes", "VPID": "no", "save/load EFER": "yes", "region 4096": "bytes"}
