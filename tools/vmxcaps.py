"""Plinth's VMX capabilities, defined once (Intel SDM Vol. 3C, Appendix A).

The capability MSRs and the fields Plinth reads in them; every capability Plinth requires, uses
when present or only reports, by the name both sides print, with the test on the MSR values and
what Plinth does without an optional one; and the lines of the boot-time report.

SCons generates build/generated/vmx_caps.h from this (vmx_caps_h): MSR numbers, a BIT() or
accessor macro per field, the capability table that vmx_detect() (hypervisor/arch/x86/vmx.c)
iterates to report and require, and the report lines. tools/hostcheck.py judges a Linux host
with the same definitions, so check-host and Plinth at boot agree by construction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

REQUIRED, OPTIONAL, INFO = "required", "optional", "info"


@dataclass(frozen=True)
class Field:
    """Bits [low, low + width) of a register; width 1 is a flag."""

    name: str
    low: int
    width: int = 1

    @property
    def mask(self) -> int:
        return (1 << self.width) - 1


@dataclass(frozen=True)
class Register:
    """A capability MSR as vmx_detect() keeps it (key: its member in C's struct vmx_caps).
    For a control MSR (controls=True) the fields are bits of the 32-bit control word: the MSR's
    low half holds the allowed-0 settings, the high half the allowed-1 settings (Appendix A.3).
    true_msr is the TRUE_* twin read instead when IA32_VMX_BASIC says so (Appendix A.2)."""

    key: str
    msr: str
    fields: tuple[Field, ...]
    controls: bool = False
    true_msr: str | None = None

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


# MSR numbers (SDM Vol. 4, Table 2-2), by name without MSR_: all the VMX ones, so C can
# intercept the whole range.
MSRS = {
    "IA32_FEATURE_CONTROL": 0x3A,
    "IA32_VMX_BASIC": 0x480,
    "IA32_VMX_PINBASED_CTLS": 0x481,
    "IA32_VMX_PROCBASED_CTLS": 0x482,
    "IA32_VMX_EXIT_CTLS": 0x483,
    "IA32_VMX_ENTRY_CTLS": 0x484,
    "IA32_VMX_MISC": 0x485,
    "IA32_VMX_CR0_FIXED0": 0x486,
    "IA32_VMX_CR0_FIXED1": 0x487,
    "IA32_VMX_CR4_FIXED0": 0x488,
    "IA32_VMX_CR4_FIXED1": 0x489,
    "IA32_VMX_VMCS_ENUM": 0x48A,
    "IA32_VMX_PROCBASED_CTLS2": 0x48B,
    "IA32_VMX_EPT_VPID_CAP": 0x48C,
    "IA32_VMX_TRUE_PINBASED_CTLS": 0x48D,
    "IA32_VMX_TRUE_PROCBASED_CTLS": 0x48E,
    "IA32_VMX_TRUE_EXIT_CTLS": 0x48F,
    "IA32_VMX_TRUE_ENTRY_CTLS": 0x490,
    "IA32_VMX_VMFUNC": 0x491,
}
VMX_MSR_FIRST = MSRS["IA32_VMX_BASIC"]
VMX_MSR_END = max(MSRS.values()) + 1  # one past the last VMX capability MSR

# IA32_FEATURE_CONTROL (SDM Vol. 3C, 24.7): read by vmx_cpu_enable(), not part of struct vmx_caps.
FEATURE_CONTROL = Register(
    "feature_control",
    "IA32_FEATURE_CONTROL",
    (Field("FEATURE_CONTROL_LOCKED", 0), Field("FEATURE_CONTROL_VMX_OUTSIDE_SMX", 2)),
)

# The registers vmx_detect() reads, in struct vmx_caps order.
REGISTERS = (
    Register(
        "basic",
        "IA32_VMX_BASIC",
        (
            Field("VMX_BASIC_REVISION", 0, 31),
            Field("VMX_BASIC_REGION_SIZE", 32, 13),
            Field("VMX_BASIC_MEMTYPE", 50, 4),
            Field("VMX_BASIC_INS_OUTS_INFO", 54),
            Field("VMX_BASIC_TRUE_CTLS", 55),
        ),
    ),
    Register(
        "misc",
        "IA32_VMX_MISC",
        (
            Field("VMX_MISC_ACTIVITY_HLT", 6),
            Field("VMX_MISC_ACTIVITY_SHUTDOWN", 7),
            Field("VMX_MISC_ACTIVITY_WAIT_SIPI", 8),
        ),
    ),
    Register(
        "ept_vpid",
        "IA32_VMX_EPT_VPID_CAP",
        (
            Field("EPT_CAP_EXEC_ONLY", 0),
            Field("EPT_CAP_WALK_4", 6),
            Field("EPT_CAP_WALK_5", 7),
            Field("EPT_CAP_UC", 8),
            Field("EPT_CAP_WB", 14),
            Field("EPT_CAP_2M", 16),
            Field("EPT_CAP_1G", 17),
            Field("EPT_CAP_INVEPT", 20),
            Field("EPT_CAP_AD", 21),
            Field("EPT_CAP_INVEPT_SINGLE", 25),
            Field("EPT_CAP_INVEPT_ALL", 26),
            Field("VPID_CAP_INVVPID", 32),
            Field("VPID_CAP_INVVPID_ADDR", 40),
            Field("VPID_CAP_INVVPID_SINGLE", 41),
            Field("VPID_CAP_INVVPID_ALL", 42),
            Field("VPID_CAP_INVVPID_SINGLE_GLOBALS", 43),
        ),
    ),
    Register(
        "pin",
        "IA32_VMX_PINBASED_CTLS",
        (
            Field("PIN_EXTERNAL_INTERRUPT_EXITING", 0),
            Field("PIN_NMI_EXITING", 3),
            Field("PIN_VIRTUAL_NMIS", 5),
            Field("PIN_PREEMPTION_TIMER", 6),
            Field("PIN_POSTED_INTERRUPTS", 7),
        ),
        controls=True,
        true_msr="IA32_VMX_TRUE_PINBASED_CTLS",
    ),
    Register(
        "proc",
        "IA32_VMX_PROCBASED_CTLS",
        (
            Field("CPU_INTERRUPT_WINDOW_EXITING", 2),
            Field("CPU_TSC_OFFSETTING", 3),
            Field("CPU_HLT_EXITING", 7),
            Field("CPU_INVLPG_EXITING", 9),
            Field("CPU_MWAIT_EXITING", 10),
            Field("CPU_RDPMC_EXITING", 11),
            Field("CPU_RDTSC_EXITING", 12),
            Field("CPU_CR3_LOAD_EXITING", 15),
            Field("CPU_CR3_STORE_EXITING", 16),
            Field("CPU_ACTIVATE_TERTIARY", 17),
            Field("CPU_CR8_LOAD_EXITING", 19),
            Field("CPU_CR8_STORE_EXITING", 20),
            Field("CPU_USE_TPR_SHADOW", 21),
            Field("CPU_NMI_WINDOW_EXITING", 22),
            Field("CPU_MOV_DR_EXITING", 23),
            Field("CPU_UNCOND_IO_EXITING", 24),
            Field("CPU_USE_IO_BITMAPS", 25),
            Field("CPU_MONITOR_TRAP_FLAG", 27),
            Field("CPU_USE_MSR_BITMAPS", 28),
            Field("CPU_MONITOR_EXITING", 29),
            Field("CPU_PAUSE_EXITING", 30),
            Field("CPU_ACTIVATE_SECONDARY", 31),
        ),
        controls=True,
        true_msr="IA32_VMX_TRUE_PROCBASED_CTLS",
    ),
    Register(
        "proc2",
        "IA32_VMX_PROCBASED_CTLS2",
        (
            Field("CPU2_VIRTUALIZE_APIC_ACCESSES", 0),
            Field("CPU2_ENABLE_EPT", 1),
            Field("CPU2_DESCRIPTOR_TABLE_EXITING", 2),
            Field("CPU2_ENABLE_RDTSCP", 3),
            Field("CPU2_VIRTUALIZE_X2APIC", 4),
            Field("CPU2_ENABLE_VPID", 5),
            Field("CPU2_WBINVD_EXITING", 6),
            Field("CPU2_UNRESTRICTED_GUEST", 7),
            Field("CPU2_APIC_REGISTER_VIRTUALIZATION", 8),
            Field("CPU2_VIRTUAL_INTERRUPT_DELIVERY", 9),
            Field("CPU2_PAUSE_LOOP_EXITING", 10),
            Field("CPU2_RDRAND_EXITING", 11),
            Field("CPU2_ENABLE_INVPCID", 12),
            Field("CPU2_ENABLE_VMFUNC", 13),
            Field("CPU2_VMCS_SHADOWING", 14),
            Field("CPU2_ENCLS_EXITING", 15),
            Field("CPU2_RDSEED_EXITING", 16),
            Field("CPU2_ENABLE_PML", 17),
            Field("CPU2_EPT_VIOLATION_VE", 18),
            Field("CPU2_ENABLE_XSAVES", 20),
            Field("CPU2_PASID_TRANSLATION", 21),
            Field("CPU2_SUBPAGE_WRITE_PERMISSIONS", 23),
            Field("CPU2_ENABLE_USER_WAIT_PAUSE", 26),
            Field("CPU2_ENABLE_PCONFIG", 27),
            Field("CPU2_ENCLV_EXITING", 28),
            Field("CPU2_BUS_LOCK_DETECTION", 30),
            Field("CPU2_INSTRUCTION_TIMEOUT", 31),
        ),
        controls=True,
    ),
    Register(
        "exit",
        "IA32_VMX_EXIT_CTLS",
        (
            Field("EXIT_SAVE_DEBUG_CONTROLS", 2),
            Field("EXIT_HOST_ADDR_SPACE_SIZE", 9),
            Field("EXIT_ACK_INTR_ON_EXIT", 15),
            Field("EXIT_SAVE_PAT", 18),
            Field("EXIT_LOAD_PAT", 19),
            Field("EXIT_SAVE_EFER", 20),
            Field("EXIT_LOAD_EFER", 21),
        ),
        controls=True,
        true_msr="IA32_VMX_TRUE_EXIT_CTLS",
    ),
    Register(
        "entry",
        "IA32_VMX_ENTRY_CTLS",
        (
            Field("ENTRY_LOAD_DEBUG_CONTROLS", 2),
            Field("ENTRY_IA32E_MODE_GUEST", 9),
            Field("ENTRY_LOAD_PAT", 14),
            Field("ENTRY_LOAD_EFER", 15),
        ),
        controls=True,
        true_msr="IA32_VMX_TRUE_ENTRY_CTLS",
    ),
)
REGISTER = {r.key: r for r in REGISTERS}
VMX_MEMTYPE_WB = 6  # IA32_VMX_BASIC memory type: write-back (Appendix A.1)

ALL, ANY, EQ, LE = "all", "any", "eq", "le"


@dataclass(frozen=True)
class Term:
    """A test on one register: all or any of the flag fields set (for a control register: allowed
    to be 1), or one field's value equal to or at most value."""

    reg: str
    fields: tuple[str, ...]
    op: str = ALL
    value: int = 0

    def shift_mask(self) -> tuple[int, int]:
        """Where the test looks in the 64-bit MSR value: (shift, mask) of the bits it takes."""
        reg = REGISTER[self.reg]
        fields = [reg.field(name) for name in self.fields]
        if self.op in (EQ, LE):
            (field,) = fields
            return field.low, field.mask
        mask = 0
        for field in fields:
            mask |= field.mask << field.low
        return (32 if reg.controls else 0), mask

    def holds(self, values: dict[str, int]) -> bool:
        shift, mask = self.shift_mask()
        bits = (values[self.reg] >> shift) & mask
        return {ALL: bits == mask, ANY: bits != 0, EQ: bits == self.value, LE: bits <= self.value}[self.op]


def has(reg: str, *fields: str) -> Term:
    """Every one of the flag fields is set (a control: may be set to 1)."""
    return Term(reg, fields)


def any_of(reg: str, *fields: str) -> Term:
    return Term(reg, fields, ANY)


@dataclass(frozen=True)
class Cap:
    """One capability, by the name both sides print. All its terms must hold. A required one with
    `when` is required only while that holds (when_absent says why not otherwise); an optional
    one says what Plinth does `without` it
    (and vmx_detect() warns when `warn` is set). linux_flag: Linux's name for it in /proc/cpuinfo's
    "vmx flags" (arch/x86/include/asm/vmxfeatures.h), which check-host falls back on."""

    name: str
    need: str
    terms: tuple[Term, ...]
    when: Term | None = None
    when_absent: str = ""  # why it is not needed when `when` does not hold
    without: str = ""
    warn: bool = False
    linux_flag: str = ""

    @property
    def id(self) -> str:
        """The C enum name: "VMX_CAP_" and the name's words ("EPT 2M pages": VMX_CAP_EPT_2M_PAGES)."""
        return "VMX_CAP_" + "_".join(re.findall(r"[A-Z0-9]+", self.name.upper()))

    @property
    def registers(self) -> tuple[str, ...]:
        """The registers the capability's tests read, in the order they are named."""
        keys = [t.reg for t in self.terms] + ([self.when.reg] if self.when else [])
        return tuple(dict.fromkeys(keys))

    def holds(self, values: dict[str, int]) -> bool:
        return all(t.holds(values) for t in self.terms)

    def applies(self, values: dict[str, int]) -> bool:
        """False for a required capability whose condition does not hold (not needed then)."""
        return self.when is None or self.when.holds(values)


# vmx_detect() requires these in this order, so the first one missing is the one it names.
CAPS = (
    Cap("VMCS region fits in 4 KiB", REQUIRED, (Term("basic", ("VMX_BASIC_REGION_SIZE",), LE, 4096),)),
    Cap("write-back VMCS memory type", REQUIRED, (Term("basic", ("VMX_BASIC_MEMTYPE",), EQ, VMX_MEMTYPE_WB),)),
    Cap("secondary processor-based controls", REQUIRED, (has("proc", "CPU_ACTIVATE_SECONDARY"),)),
    Cap("MSR bitmaps", REQUIRED, (has("proc", "CPU_USE_MSR_BITMAPS"),)),
    Cap("I/O bitmaps", REQUIRED, (has("proc", "CPU_USE_IO_BITMAPS"),)),
    Cap("EPT", REQUIRED, (has("proc2", "CPU2_ENABLE_EPT"),), linux_flag="ept"),
    Cap("unrestricted guest", REQUIRED, (has("proc2", "CPU2_UNRESTRICTED_GUEST"),), linux_flag="unrestricted_guest"),
    Cap("EPT 4-level page walk", REQUIRED, (has("ept_vpid", "EPT_CAP_WALK_4"),)),
    Cap("EPT write-back memory type", REQUIRED, (has("ept_vpid", "EPT_CAP_WB"),)),
    Cap("INVEPT", REQUIRED, (has("ept_vpid", "EPT_CAP_INVEPT"),)),
    Cap(
        "INVEPT single- or all-context",
        REQUIRED,
        (any_of("ept_vpid", "EPT_CAP_INVEPT_SINGLE", "EPT_CAP_INVEPT_ALL"),),
    ),
    Cap("wait-for-SIPI activity state", REQUIRED, (has("misc", "VMX_MISC_ACTIVITY_WAIT_SIPI"),)),
    Cap("HLT activity state", REQUIRED, (has("misc", "VMX_MISC_ACTIVITY_HLT"),)),
    Cap("64-bit host (exit control)", REQUIRED, (has("exit", "EXIT_HOST_ADDR_SPACE_SIZE"),)),
    Cap(
        "save/load IA32_EFER on VM exit and entry",
        REQUIRED,
        (has("exit", "EXIT_SAVE_EFER", "EXIT_LOAD_EFER"), has("entry", "ENTRY_LOAD_EFER")),
    ),
    Cap("NMI exiting", REQUIRED, (has("pin", "PIN_NMI_EXITING"),)),
    # Guest NMIs are virtual, so a guest cannot block the NMIs Plinth sends (tools/exits.py).
    Cap("virtual NMIs", REQUIRED, (has("pin", "PIN_VIRTUAL_NMIS"),)),
    Cap("NMI-window exiting", REQUIRED, (has("proc", "CPU_NMI_WINDOW_EXITING"),)),
    Cap(
        "INVVPID single-context (VPID is offered)",
        REQUIRED,
        (has("ept_vpid", "VPID_CAP_INVVPID", "VPID_CAP_INVVPID_SINGLE"),),
        when=has("proc2", "CPU2_ENABLE_VPID"),
        when_absent="VPID is not offered",
    ),
    # Used when present (vmcs.c, vm.c), with what Plinth does without them.
    Cap(
        "VPID",
        OPTIONAL,
        (has("proc2", "CPU2_ENABLE_VPID"),),
        without="every VM exit and entry flushes the TLB",
        warn=True,
        linux_flag="vpid",
    ),
    Cap("EPT 2M pages", OPTIONAL, (has("ept_vpid", "EPT_CAP_2M"),), without="EPT maps guest memory with 4 KiB pages"),
    Cap(
        "EPT 1G pages",
        OPTIONAL,
        (has("ept_vpid", "EPT_CAP_1G"),),
        without="EPT maps guest memory with 2 MiB pages at most",
        linux_flag="ept_1gb",
    ),
    Cap(
        "save/load IA32_PAT",
        OPTIONAL,
        (has("exit", "EXIT_SAVE_PAT", "EXIT_LOAD_PAT"), has("entry", "ENTRY_LOAD_PAT")),
        without="the guest and Plinth share one IA32_PAT",
    ),
    # Reported at boot, not acted on (EPT A/D bits included: Plinth's EPT does not enable them).
    Cap("TRUE control MSRs", INFO, (has("basic", "VMX_BASIC_TRUE_CTLS"),)),
    Cap("INS/OUTS exit information", INFO, (has("basic", "VMX_BASIC_INS_OUTS_INFO"),)),
    Cap("EPT A/D bits", INFO, (has("ept_vpid", "EPT_CAP_AD"),), linux_flag="ept_ad"),
    Cap("EPT execute-only", INFO, (has("ept_vpid", "EPT_CAP_EXEC_ONLY"),), linux_flag="ept_x_only"),
    Cap("EPT uncacheable memory type", INFO, (has("ept_vpid", "EPT_CAP_UC"),)),
    Cap("INVEPT single-context", INFO, (has("ept_vpid", "EPT_CAP_INVEPT_SINGLE"),)),
    Cap("INVEPT all-context", INFO, (has("ept_vpid", "EPT_CAP_INVEPT_ALL"),)),
    Cap("INVVPID", INFO, (has("ept_vpid", "VPID_CAP_INVVPID"),)),
    Cap("INVVPID individual-address", INFO, (has("ept_vpid", "VPID_CAP_INVVPID_ADDR"),)),
    Cap("INVVPID single-context", INFO, (has("ept_vpid", "VPID_CAP_INVVPID_SINGLE"),)),
    Cap("INVVPID all-context", INFO, (has("ept_vpid", "VPID_CAP_INVVPID_ALL"),)),
    Cap("shutdown activity state", INFO, (has("misc", "VMX_MISC_ACTIVITY_SHUTDOWN"),)),
)
CAP = {c.name: c for c in CAPS}

# The boot report's capability lines: each "%s" is the next capability's yes or NO. (The first
# line, with the VMCS revision and region size, prints values and stays in vmx.c.)
REPORT = (
    (
        "vmx: EPT %s, VPID %s, unrestricted guest %s, MSR bitmaps %s, I/O bitmaps %s",
        ("EPT", "VPID", "unrestricted guest", "MSR bitmaps", "I/O bitmaps"),
    ),
    (
        "vmx: EPT 4-level walk %s, WB %s, UC %s, 2M pages %s, 1G pages %s, A/D bits %s, execute-only %s",
        (
            "EPT 4-level page walk",
            "EPT write-back memory type",
            "EPT uncacheable memory type",
            "EPT 2M pages",
            "EPT 1G pages",
            "EPT A/D bits",
            "EPT execute-only",
        ),
    ),
    (
        "vmx: INVEPT %s (single-context %s, all-context %s), "
        "INVVPID %s (address %s, single-context %s, all-context %s)",
        (
            "INVEPT",
            "INVEPT single-context",
            "INVEPT all-context",
            "INVVPID",
            "INVVPID individual-address",
            "INVVPID single-context",
            "INVVPID all-context",
        ),
    ),
    (
        "vmx: activity states HLT %s, shutdown %s, wait-for-SIPI %s; save/load EFER %s, PAT %s",
        (
            "HLT activity state",
            "shutdown activity state",
            "wait-for-SIPI activity state",
            "save/load IA32_EFER on VM exit and entry",
            "save/load IA32_PAT",
        ),
    ),
)
REPORT_ITEMS_MAX = 8  # capabilities on one report line (the C table's array size)


def report_lines(values: dict[str, int]) -> list[str]:
    """The report lines as vmx_detect() prints them (without the log prefix) for these values."""
    return [fmt % tuple("yes" if CAP[n].holds(values) else "NO" for n in names) for fmt, names in REPORT]


def _c_field(f: Field) -> str:
    if f.width == 1:
        return f"#define {f.name} BIT({f.low})"
    return f"#define {f.name}(v) (((u64)(v) >> {f.low}) & 0x{f.mask:x})"


def _c_term(t: Term) -> str:
    shift, mask = t.shift_mask()
    return f"{{ VMX_CAP_REG_{t.reg.upper()}, VMX_CAP_{t.op.upper()}, {shift}, 0x{mask:x}ULL, {t.value} }}"


def _c_cap(c: Cap) -> str:
    from tools.gen import c_string

    terms = ", ".join(_c_term(t) for t in c.terms)
    when = _c_term(c.when) if c.when else "{ 0 }"
    return (
        f"\t[{c.id}] = {{ {c_string(c.name)}, VMX_CAP_{c.need.upper()}, {len(c.terms)}, {{ {terms} }}, "
        f"{'true' if c.when else 'false'}, {when}, {c_string(c.without)}, {'true' if c.warn else 'false'} }},"
    )


def _c_report_line(fmt: str, names: tuple[str, ...]) -> str:
    """A report line as the texts before each capability's yes/NO and the tail after the last."""
    from tools.gen import c_string

    *texts, tail = fmt.split("%s")
    assert len(texts) == len(names) <= REPORT_ITEMS_MAX, fmt
    items = ", ".join(f"{{ {c_string(text)}, {CAP[name].id} }}" for text, name in zip(texts, names, strict=True))
    return f"\t{{ {len(names)}, {{ {items} }}, {c_string(tail)} }},"


def vmx_caps_h() -> str:
    from tools.gen import _header

    body = ["/* MSR numbers (SDM Vol. 4, Table 2-2). */"]
    body += [f"#define MSR_{name} 0x{number:x}" for name, number in MSRS.items()]
    body += [
        f"#define MSR_IA32_VMX_FIRST 0x{VMX_MSR_FIRST:x}",
        f"#define MSR_IA32_VMX_END 0x{VMX_MSR_END:x} /* one past the last VMX capability MSR */",
        "",
        "/* Register fields: flags as BIT(n), wider fields as accessors of the MSR value. Control",
        " * bits are bits of the control word (allowed-1 settings: the MSR's high half). */",
    ]
    for reg in (FEATURE_CONTROL, *REGISTERS):
        body.append(f"/* {reg.msr} */")
        body += [_c_field(f) for f in reg.fields]
    body += [f"#define VMX_MEMTYPE_WB {VMX_MEMTYPE_WB}", ""]
    body += [
        "/* The capabilities vmx_detect() reports and requires, in the order it requires them. */",
        "enum vmx_cap_reg {",
        *(f"\tVMX_CAP_REG_{r.key.upper()}," for r in REGISTERS),
        "\tVMX_CAP_REG_COUNT",
        "};",
        "/* X(ID, member of struct vmx_caps) for each register. */",
        "#define VMX_CAP_REGS(X) " + " ".join(f"X({r.key.upper()}, {r.key})" for r in REGISTERS),
        "enum vmx_cap_op { VMX_CAP_ALL, VMX_CAP_ANY, VMX_CAP_EQ, VMX_CAP_LE };",
        "enum vmx_cap_need { VMX_CAP_REQUIRED, VMX_CAP_OPTIONAL, VMX_CAP_INFO };",
        "/* (register >> shift) & mask: all bits set, any bit set, == value or <= value. */",
        "struct vmx_cap_term {",
        "\tu8 reg, op, shift;",
        "\tu64 mask, value;",
        "};",
        "struct vmx_cap {",
        "\tconst char *name;",
        "\tu8 need;",
        "\tu8 term_count;",
        "\tstruct vmx_cap_term terms[2];",
        "\tbool conditional; /* required only while `when` holds */",
        "\tstruct vmx_cap_term when;",
        "\tconst char *without; /* optional: what Plinth does without it */",
        "\tbool warn;	      /* optional: vmx_detect() warns when it is missing */",
        "};",
        "enum vmx_cap_id {",
        *(f"\t{c.id}," for c in CAPS),
        "\tVMX_CAP_COUNT",
        "};",
        "#define VMX_CAP_TABLE { \\",
        *(line + " \\" for line in map(_c_cap, CAPS)),
        "}",
        "",
        "/* The report's capability lines: text before each capability's yes/NO, then the tail. */",
        f"#define VMX_REPORT_ITEMS_MAX {REPORT_ITEMS_MAX}",
        "struct vmx_report_line {",
        "\tu8 count;",
        "\tstruct {",
        "\t\tconst char *text;",
        "\t\tu8 cap;",
        "\t} items[VMX_REPORT_ITEMS_MAX];",
        "\tconst char *tail;",
        "};",
        "#define VMX_REPORT_TABLE { \\",
        *(_c_report_line(fmt, names) + " \\" for fmt, names in REPORT),
        "}",
    ]
    return _header("vmx_caps.h", "tools/vmxcaps.py", ["#include <plinth/types.h>", "", *body])
