"""Every VM exit Plinth's VMX controls can produce, and what Plinth does with it, defined once.

Two tables:

- CONTROLS: the VM-execution, exit and entry controls Plinth asks for (`want`, required by
  tools/vmxcaps.py), uses when the CPU allows them (`optional`), or sets at run time
  (`dynamic`). The control words a vCPU runs with are these bits forced by the capability
  MSRs' allowed-0 and allowed-1 settings (SDM Vol. 3D, Appendix A.3-A.5): control_words().
- EXITS: every basic exit reason of tools/vmcs.py, with the condition under which it can
  happen (SDM Vol. 3C, 26.1.2 instructions that exit unconditionally, 26.1.3 those that exit
  under a control, 26.2 other causes, 27.8 VM-entry failures) and Plinth's policy: the C
  handler that emulates it, or `stop`, a reason why the VM stops with its report.

unhandled() lists the exits that can happen under given control words and have neither
handler nor stop policy; tests/unit/test_exits.py proves it empty for the CPUs Plinth runs
on. SCons generates build/generated/vmx_exits.h from this (vmx_exits_h): the wanted control
bits, the bits whose exits Plinth knows (vmcs.c refuses to run with any other bit forced on),
the handler prototypes and the dispatch table vmexit.c builds.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tools import vmcs, vmxcaps

# --- Conditions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ctl:
    """The exit can happen when this control is 1 in the control word of register reg."""

    reg: str
    name: str

    def holds(self, words: dict[str, int]) -> bool:
        return bool(words[self.reg] >> vmxcaps.REGISTER[self.reg].field(self.name).low & 1)

    def bits(self) -> set[tuple[str, str]]:
        return {(self.reg, self.name)}


@dataclass(frozen=True)
class Always:
    """The exit can happen whatever the controls (why: the SDM's rule); also: controls that
    make it happen in more cases (the handler covers those too)."""

    why: str
    also: tuple[Ctl, ...] = ()

    def holds(self, words: dict[str, int]) -> bool:
        return True

    def bits(self) -> set[tuple[str, str]]:
        return set().union(*(t.bits() for t in self.also))


@dataclass(frozen=True)
class Never:
    """The exit cannot happen under Plinth (why: what Plinth never does)."""

    why: str

    def holds(self, words: dict[str, int]) -> bool:
        return False

    def bits(self) -> set[tuple[str, str]]:
        return set()


@dataclass(frozen=True)
class AnyOf:
    terms: tuple[Ctl, ...]

    def holds(self, words: dict[str, int]) -> bool:
        return any(t.holds(words) for t in self.terms)

    def bits(self) -> set[tuple[str, str]]:
        return set().union(*(t.bits() for t in self.terms))


@dataclass(frozen=True)
class AllOf:
    terms: tuple[Ctl, ...]

    def holds(self, words: dict[str, int]) -> bool:
        return all(t.holds(words) for t in self.terms)

    def bits(self) -> set[tuple[str, str]]:
        return set().union(*(t.bits() for t in self.terms))


Condition = Always | Never | Ctl | AnyOf | AllOf


def pin(name: str) -> Ctl:
    return Ctl("pin", name)


def proc(name: str) -> Ctl:
    return Ctl("proc", name)


def proc2(name: str) -> Ctl:
    return Ctl("proc2", name)


# --- The controls Plinth runs with ----------------------------------------------------------


@dataclass(frozen=True)
class Controls:
    """One control register: bits Plinth requires, uses when allowed, or toggles at run time."""

    want: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    dynamic: tuple[str, ...] = ()


CONTROLS = {
    # NMIs exit (Plinth's kicks and stop requests); the guest's own NMI blocking is virtual, so
    # it cannot block the physical NMIs Plinth sends (SDM 26.3: with virtual NMIs, NMIs are not
    # blocked by virtual-NMI blocking).
    # The VMX-preemption timer only on the boot CPU's vCPU of a partition: it reads the console's
    # input about every 10 ms (vm_console.c).
    "pin": Controls(want=("PIN_NMI_EXITING", "PIN_VIRTUAL_NMIS"), dynamic=("PIN_PREEMPTION_TIMER",)),
    # NMI-window exiting only while a guest NMI waits for the guest to unblock NMIs.
    "proc": Controls(
        want=("CPU_USE_IO_BITMAPS", "CPU_USE_MSR_BITMAPS", "CPU_ACTIVATE_SECONDARY"),
        dynamic=("CPU_NMI_WINDOW_EXITING",),
    ),
    # Without RDTSCP, INVPCID and XSAVES enabled the guest would get #UD for instructions its
    # CPUID offers; the XSS-exiting bitmap stays 0, so XSAVES and XRSTORS never exit.
    "proc2": Controls(
        want=("CPU2_ENABLE_EPT", "CPU2_UNRESTRICTED_GUEST"),
        optional=("CPU2_ENABLE_VPID", "CPU2_ENABLE_RDTSCP", "CPU2_ENABLE_INVPCID", "CPU2_ENABLE_XSAVES"),
    ),
    # PAT is saved and loaded only when both directions can (vmcs.c): PAT_CONTROLS.
    "exit": Controls(
        want=("EXIT_HOST_ADDR_SPACE_SIZE", "EXIT_SAVE_EFER", "EXIT_LOAD_EFER", "EXIT_SAVE_DEBUG_CONTROLS")
    ),
    "entry": Controls(want=("ENTRY_LOAD_EFER", "ENTRY_LOAD_DEBUG_CONTROLS"), dynamic=("ENTRY_IA32E_MODE_GUEST",)),
}
PAT_CONTROLS = {"exit": ("EXIT_SAVE_PAT", "EXIT_LOAD_PAT"), "entry": ("ENTRY_LOAD_PAT",)}

# Control bits that are reserved and default to 1 (SDM Vol. 3D, A.2): a CPU may force them,
# and they change nothing. CR3-load and CR3-store exiting are default-1 too but do cause exits
# (exit_cr.c handles them); they are not in this list.
RESERVED_DEFAULT1 = {
    "pin": (1, 2, 4),
    "proc": (1, 4, 5, 6, 8, 13, 14, 26),
    "proc2": (),
    "exit": (0, 1, 3, 4, 5, 6, 7, 8, 10, 11, 13, 14, 16, 17),
    "entry": (0, 1, 3, 4, 5, 6, 7, 8, 12),
}
CONTROL_REGISTERS = tuple(CONTROLS)


def bit(reg: str, name: str) -> int:
    return 1 << vmxcaps.REGISTER[reg].field(name).low


def mask(reg: str, names: Iterable[str]) -> int:
    out = 0
    for name in names:
        out |= bit(reg, name)
    return out


def vmx_ctl(msr: int, want: int) -> int:
    """The control word for wanted bits under a capability MSR (vmx.h vmx_ctl)."""
    return (want | (msr & 0xFFFFFFFF)) & (msr >> 32)


def control_words(caps: dict[str, int], dynamic: bool = True) -> dict[str, int]:
    """The control words vmcs.c computes from the capability registers (by vmxcaps key: the
    TRUE_* values where IA32_VMX_BASIC offers them), with the run-time bits set where the CPU
    allows them when dynamic."""
    words = {}
    for reg, c in CONTROLS.items():
        words[reg] = vmx_ctl(caps[reg], mask(reg, c.want + c.optional))
    pat_allowed = all((caps[reg] >> 32) & mask(reg, names) == mask(reg, names) for reg, names in PAT_CONTROLS.items())
    if pat_allowed:
        for reg, names in PAT_CONTROLS.items():
            words[reg] |= mask(reg, names)
    if dynamic:
        for reg, c in CONTROLS.items():
            words[reg] |= mask(reg, c.dynamic) & (caps[reg] >> 32)
    return words


# --- The exits ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Exit:
    """A basic exit reason (its vmcs.EXIT_REASONS name): when it happens, and Plinth's handler
    (a C function) or stop policy (why the VM stops); neither for an exit that cannot happen."""

    reason: str
    when: Condition
    handler: str = ""
    stop: str = ""

    @property
    def number(self) -> int:
        return next(n for n, r in vmcs.EXIT_REASONS.items() if r.name == self.reason)

    @property
    def policy(self) -> str:
        return self.handler or (f"stop: {self.stop}" if self.stop else "")


UNDEFINED = "exit_undefined_instruction"  # #UD, as on a CPU without the feature
U2 = "SDM 26.1.2: exits unconditionally in VMX non-root operation"
VMX_HIDDEN = "VMX is hidden from guests (CPUID.1:ECX.VMX = 0): #UD, as without VMX"

EXITS = (
    # The exception bitmap is 0: only NMIs exit here.
    Exit("EXCEPTION_NMI", pin("PIN_NMI_EXITING"), "exit_exception_nmi"),
    Exit("EXTERNAL_INTERRUPT", pin("PIN_EXTERNAL_INTERRUPT_EXITING")),
    Exit("TRIPLE_FAULT", Always("SDM 26.2: a triple fault always exits"), "exit_triple_fault"),
    Exit("INIT_SIGNAL", Always("SDM 26.2: INIT always exits in VMX non-root"), "exit_init"),
    Exit(
        "SIPI",
        Always(
            "SDM 26.2: a SIPI exits in the wait-for-SIPI activity state, where a vCPU waits after a guest INIT "
            "that reached it through the xAPIC page its VM owns (apic_passthrough.c)"
        ),
        "exit_sipi",
    ),
    Exit("IO_SMI", Never("SMIs exit only under the dual-monitor treatment of SMM, which Plinth never activates")),
    Exit("OTHER_SMI", Never("SMIs exit only under the dual-monitor treatment of SMM, which Plinth never activates")),
    Exit("INTERRUPT_WINDOW", proc("CPU_INTERRUPT_WINDOW_EXITING")),
    Exit("NMI_WINDOW", proc("CPU_NMI_WINDOW_EXITING"), "exit_nmi_window"),
    Exit(
        "TASK_SWITCH",
        Always("SDM 26.4.2: every task switch in VMX non-root exits"),
        stop="hardware task switches are not emulated",
    ),
    Exit("CPUID", Always(U2), "exit_cpuid"),
    Exit(
        "GETSEC", Never("GETSEC exits only with CR4.SMXE = 1, which Plinth owns and refuses (#UD otherwise)"), UNDEFINED
    ),
    Exit("HLT", proc("CPU_HLT_EXITING")),
    Exit("INVD", Always(U2), "exit_invd"),
    Exit("INVLPG", proc("CPU_INVLPG_EXITING")),
    Exit("RDPMC", proc("CPU_RDPMC_EXITING")),
    Exit("RDTSC", proc("CPU_RDTSC_EXITING")),
    Exit("RSM", Never("RSM exits only in SMM under the dual-monitor treatment")),
    Exit("VMCALL", Always(U2), "exit_vmcall"),
    *(
        Exit(name, Always(U2 + "; " + VMX_HIDDEN), UNDEFINED)
        for name in (
            "VMCLEAR",
            "VMLAUNCH",
            "VMPTRLD",
            "VMPTRST",
            "VMREAD",
            "VMRESUME",
            "VMWRITE",
            "VMXOFF",
            "VMXON",
        )
    ),
    # The CR0/CR4 guest/host masks always own some bits (vmcs_guest.c); CR3 accesses exit only
    # where the CPU forces CR3-load/store exiting (no TRUE controls). CR8 exiting is never set.
    Exit(
        "CR_ACCESS",
        Always(
            "SDM 26.1.3: CR0/CR4 writes to bits of the guest/host masks exit",
            also=(proc("CPU_CR3_LOAD_EXITING"), proc("CPU_CR3_STORE_EXITING")),
        ),
        "exit_cr_access",
    ),
    Exit("DR_ACCESS", proc("CPU_MOV_DR_EXITING")),
    Exit("IO_INSTRUCTION", AnyOf((proc("CPU_UNCOND_IO_EXITING"), proc("CPU_USE_IO_BITMAPS"))), "exit_io"),
    Exit("MSR_READ", Always("SDM 26.1.3: RDMSR exits per the MSR bitmap, always outside its ranges"), "exit_msr_read"),
    Exit(
        "MSR_WRITE", Always("SDM 26.1.3: WRMSR exits per the MSR bitmap, always outside its ranges"), "exit_msr_write"
    ),
    Exit(
        "INVALID_GUEST_STATE",
        Always("SDM 27.8: a VM entry that fails the guest-state checks"),
        stop="VM entry failed: invalid guest state",
    ),
    Exit(
        "MSR_LOADING",
        Never("Plinth loads no MSRs on VM entry (MSR-load count 0)"),
        stop="VM entry failed while loading MSRs",
    ),
    Exit("MWAIT", proc("CPU_MWAIT_EXITING")),
    Exit("MONITOR_TRAP_FLAG", proc("CPU_MONITOR_TRAP_FLAG")),
    Exit("MONITOR", proc("CPU_MONITOR_EXITING")),
    Exit("PAUSE", AnyOf((proc("CPU_PAUSE_EXITING"), proc2("CPU2_PAUSE_LOOP_EXITING")))),
    Exit(
        "MACHINE_CHECK",
        Always("SDM 27.8: a machine check during VM entry"),
        stop="VM entry failed: machine-check event",
    ),
    Exit("TPR_BELOW_THRESHOLD", proc("CPU_USE_TPR_SHADOW")),
    Exit("APIC_ACCESS", proc2("CPU2_VIRTUALIZE_APIC_ACCESSES")),
    Exit("VIRTUALIZED_EOI", proc2("CPU2_VIRTUAL_INTERRUPT_DELIVERY")),
    Exit("GDTR_IDTR", proc2("CPU2_DESCRIPTOR_TABLE_EXITING")),
    Exit("LDTR_TR", proc2("CPU2_DESCRIPTOR_TABLE_EXITING")),
    Exit("EPT_VIOLATION", proc2("CPU2_ENABLE_EPT"), "exit_ept_violation"),
    Exit(
        "EPT_MISCONFIG",
        proc2("CPU2_ENABLE_EPT"),
        stop="EPT misconfiguration (Plinth built a bad EPT entry; the VM's own memory map is suspect)",
    ),
    Exit("INVEPT", Always(U2 + "; " + VMX_HIDDEN), UNDEFINED),
    Exit("RDTSCP", AllOf((proc("CPU_RDTSC_EXITING"), proc2("CPU2_ENABLE_RDTSCP")))),
    Exit("PREEMPTION_TIMER", pin("PIN_PREEMPTION_TIMER"), "exit_preemption_timer"),
    Exit("INVVPID", Always(U2 + "; " + VMX_HIDDEN), UNDEFINED),
    Exit("WBINVD", proc2("CPU2_WBINVD_EXITING")),
    Exit("XSETBV", Always(U2), "exit_xsetbv"),
    Exit("APIC_WRITE", proc2("CPU2_APIC_REGISTER_VIRTUALIZATION")),
    Exit("RDRAND", proc2("CPU2_RDRAND_EXITING")),
    Exit("INVPCID", AllOf((proc("CPU_INVLPG_EXITING"), proc2("CPU2_ENABLE_INVPCID")))),
    Exit("VMFUNC", proc2("CPU2_ENABLE_VMFUNC")),
    Exit("ENCLS", proc2("CPU2_ENCLS_EXITING")),
    Exit("RDSEED", proc2("CPU2_RDSEED_EXITING")),
    Exit("PML_FULL", proc2("CPU2_ENABLE_PML")),
    Exit("XSAVES", Never("only for XSS-exiting bitmap bits, and Plinth's bitmap is 0")),
    Exit("XRSTORS", Never("only for XSS-exiting bitmap bits, and Plinth's bitmap is 0")),
    Exit("PCONFIG", proc2("CPU2_ENABLE_PCONFIG")),
    Exit("SPP_EVENT", proc2("CPU2_SUBPAGE_WRITE_PERMISSIONS")),
    Exit("UMWAIT", proc2("CPU2_ENABLE_USER_WAIT_PAUSE")),
    Exit("TPAUSE", proc2("CPU2_ENABLE_USER_WAIT_PAUSE")),
    Exit("LOADIWKEY", proc("CPU_ACTIVATE_TERTIARY")),
    Exit("ENCLV", proc2("CPU2_ENCLV_EXITING")),
    Exit("ENQCMD_PASID_FAILURE", proc2("CPU2_PASID_TRANSLATION")),
    Exit("ENQCMDS_PASID_FAILURE", proc2("CPU2_PASID_TRANSLATION")),
    Exit("BUS_LOCK", proc2("CPU2_BUS_LOCK_DETECTION")),
    Exit("INSTRUCTION_TIMEOUT", proc2("CPU2_INSTRUCTION_TIMEOUT")),
    Exit("SEAMCALL", Never("only in SEAM VMX operation")),
    Exit("TDCALL", Never("only in SEAM VMX operation")),
    Exit("RDMSRLIST", proc("CPU_ACTIVATE_TERTIARY")),
    Exit("WRMSRLIST", proc("CPU_ACTIVATE_TERTIARY")),
    Exit("URDMSR", proc("CPU_ACTIVATE_TERTIARY")),
    Exit("UWRMSR", proc("CPU_ACTIVATE_TERTIARY")),
    # The immediate forms exit per the MSR bitmap like RDMSR and WRMSR, on CPUs that have them
    # (CPUID.(7,1):ECX.MSR_IMM); Plinth hides that bit and does not emulate them.
    Exit(
        "RDMSR_IMM",
        Always("SDM 26.1.3: per the MSR bitmap, on CPUs with MSR_IMM"),
        stop="RDMSR with an immediate operand is not emulated (CPUID hides it)",
    ),
    Exit(
        "WRMSRNS_IMM",
        Always("SDM 26.1.3: per the MSR bitmap, on CPUs with MSR_IMM"),
        stop="WRMSRNS with an immediate operand is not emulated (CPUID hides it)",
    ),
)
BY_REASON = {e.reason: e for e in EXITS}


@dataclass
class Gap:
    """An exit that can happen and that Plinth neither handles nor stops on."""

    reason: str
    why: str


def unhandled(words: dict[str, int], table: Iterable[Exit] = EXITS) -> list[Gap]:
    """The exits the control words can produce without a handler or stop policy in table;
    every exit reason the SDM defines must be in the table at all."""
    by_reason = {e.reason: e for e in table}
    gaps = [Gap(r.name, "not in the exit table") for r in vmcs.EXIT_REASONS.values() if r.name not in by_reason]
    for e in by_reason.values():
        if e.when.holds(words) and not e.policy:
            gaps.append(Gap(e.reason, "can happen under these controls but has no handler or stop policy"))
    return gaps


def known_bits(reg: str, table: Iterable[Exit] = EXITS) -> int:
    """The control bits of reg Plinth can run with: its own, the reserved default-1 ones, and
    those whose every exit has a policy in table. vmcs.c refuses to run with any other bit set."""
    table = list(table)
    out = mask(reg, CONTROLS[reg].want + CONTROLS[reg].optional + CONTROLS[reg].dynamic)
    out |= mask(reg, PAT_CONTROLS.get(reg, ()))
    for low in RESERVED_DEFAULT1[reg]:
        out |= 1 << low
    for f in vmxcaps.REGISTER[reg].fields:
        exits = [e for e in table if (reg, f.name) in e.when.bits()]
        if exits and all(e.policy for e in exits):
            out |= 1 << f.low
    return out


def unknown_forced(words: dict[str, int]) -> dict[str, int]:
    """Bits set in the control words that known_bits() does not cover, by register."""
    return {reg: words[reg] & ~known_bits(reg) for reg in CONTROL_REGISTERS if words[reg] & ~known_bits(reg)}


def _validate() -> None:
    names = {r.name for r in vmcs.EXIT_REASONS.values()}
    seen: set[str] = set()
    for e in EXITS:
        if e.reason not in names:
            raise ValueError(f"exit table: {e.reason} is no exit reason of tools/vmcs.py")
        if e.reason in seen:
            raise ValueError(f"exit table: {e.reason} is listed twice")
        if e.handler and e.stop:
            raise ValueError(f"exit table: {e.reason} has both a handler and a stop policy")
        for reg, name in e.when.bits():
            vmxcaps.REGISTER[reg].field(name)
        seen.add(e.reason)
    for reg, c in CONTROLS.items():
        mask(reg, c.want + c.optional + c.dynamic)


_validate()


# --- The generated header -------------------------------------------------------------------


def _c_mask(names: Iterable[str]) -> str:
    names = list(names)
    return "(" + " | ".join(names) + ")" if names else "0"


def vmx_exits_h() -> str:
    """The text of build/generated/vmx_exits.h."""
    from tools.gen import _header, c_string

    body = [
        "#include <vmx_caps.h>",
        "",
        "/* Control bits Plinth asks for (required ones checked by vmx_detect), uses when allowed,",
        " * or sets at run time; and every bit it can run with (vmcs.c refuses others). */",
    ]
    for reg, c in CONTROLS.items():
        up = reg.upper()
        body += [
            f"#define VMX_{up}_WANT {_c_mask(c.want)}",
            f"#define VMX_{up}_OPTIONAL {_c_mask(c.optional)}",
            f"#define VMX_{up}_KNOWN 0x{known_bits(reg):08x}u",
        ]
    body += [
        "",
        "/* Handlers, by basic exit reason (tools/exits.py names them). */",
        "struct vcpu;",
    ]
    body += [f"void {h}(struct vcpu *v);" for h in sorted({e.handler for e in EXITS if e.handler})]
    handled = [e for e in EXITS if e.handler]
    stops = [e for e in EXITS if e.stop]
    body += ["/* X(reason, handler) */"]
    body += vmcs._x_list("VMX_EXIT_HANDLERS(X)", [f"X({e.reason}, {e.handler})" for e in handled])
    body += ["/* X(reason, why the VM stops) */"]
    body += vmcs._x_list("VMX_EXIT_STOPS(X)", [f"X({e.reason}, {c_string(e.stop)})" for e in stops])
    return _header("vmx_exits.h", "tools/exits.py", body)


def table_text() -> str:
    """The table for people: reason, when it happens, Plinth's policy."""
    rows = []
    for e in sorted(EXITS, key=lambda e: e.number):
        when = e.when
        if isinstance(when, (Always, Never)):
            cond = ("always: " if isinstance(when, Always) else "never: ") + when.why
        else:
            cond = "with " + " + ".join(sorted(n for _, n in when.bits()))
        rows.append(f"{e.number:3} {e.reason:<22} {e.policy or '-':<40} {cond}")
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tools.exits OUT", file=sys.stderr)
        return 2
    from tools.gen import write_if_changed

    write_if_changed(Path(argv[0]), vmx_exits_h())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
