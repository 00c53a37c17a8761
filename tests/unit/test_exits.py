"""The exit table of tools/exits.py is complete for the controls Plinth runs with.

The control words come from capability MSRs as vmcs.c computes them (exits.control_words):
the two CPUs Plinth is tested on (Bochs 2.7 corei7_haswell_4770 and tigerlake, the values
Plinth printed at boot), the Haswell-like check-host fixture, and machines built to force what
a real CPU may force (no TRUE controls: CR3-load and CR3-store exiting stay on; every control
allowed). For each, every exit reason that can happen has a handler or a stop policy, and no
control bit is on whose exits Plinth does not know (vmx.c refuses such a CPU at boot). The
checker itself is proven to find a missing handler and a forced control it does not know.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from tools import exits, hostcheck, vmcs, vmxcaps
from tools.paths import GENERATED

FIXTURES = Path(__file__).parent / "fixtures" / "hostcheck"


def caps(fixture: str, **changes: int) -> dict[str, int]:
    """The capability registers vmx_detect() reads (by vmxcaps key) from a fixture's MSRs."""
    values = hostcheck.vmx_caps(hostcheck.load_msr_file(FIXTURES / fixture).values).values
    return values | changes


HASWELL = caps("msrs-haswell.json")
NON_TRUE = hostcheck.load_msr_file(FIXTURES / "msrs-haswell.json").values
# The same CPU without TRUE controls: the plain MSRs' allowed-0 halves force every default-1
# bit, CR3-load and CR3-store exiting among them (SDM Vol. 3D, A.2).
NO_TRUE = hostcheck.vmx_caps(
    NON_TRUE | {hostcheck.MSRS["IA32_VMX_BASIC"]: NON_TRUE[hostcheck.MSRS["IA32_VMX_BASIC"]] & ~(1 << 55)}
).values
EVERYTHING_ALLOWED = HASWELL | {reg: HASWELL[reg] | 0xFFFFFFFF << 32 for reg in exits.CONTROL_REGISTERS}
MACHINES = {
    "bochs-haswell": caps("msrs-bochs-haswell.json"),
    "bochs-tigerlake": caps("msrs-bochs-tigerlake.json"),
    "haswell-fixture": HASWELL,
    "no-true-controls": NO_TRUE,
    "every-control-allowed": EVERYTHING_ALLOWED,
}


@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_every_exit_the_controls_produce_has_a_policy(machine: str) -> None:
    words = exits.control_words(MACHINES[machine])
    assert exits.unhandled(words) == []
    assert exits.unknown_forced(words) == {}


def test_forced_cr3_exiting_is_covered() -> None:
    """Without TRUE controls the CPU forces CR3-load/store exiting: those exits are CR_ACCESS,
    which exit_cr.c handles, so the bits count as known."""
    words = exits.control_words(NO_TRUE)
    for name in ("CPU_CR3_LOAD_EXITING", "CPU_CR3_STORE_EXITING"):
        assert words["proc"] & exits.bit("proc", name)
        assert exits.known_bits("proc") & exits.bit("proc", name)


def test_plinth_asks_for_what_the_table_relies_on() -> None:
    """NMI exiting with virtual NMIs (the kicks), the bitmaps, EPT and unrestricted guest are on
    for every machine; NMI-window exiting can be set at run time."""
    for machine in MACHINES.values():
        words = exits.control_words(machine)
        assert words["pin"] & exits.mask("pin", ("PIN_NMI_EXITING", "PIN_VIRTUAL_NMIS"))
        assert words["proc"] & exits.bit("proc", "CPU_USE_IO_BITMAPS")
        assert words["proc"] & exits.bit("proc", "CPU_USE_MSR_BITMAPS")
        assert words["proc2"] & exits.bit("proc2", "CPU2_ENABLE_EPT")
        assert exits.control_words(machine, dynamic=False)["proc"] & exits.bit("proc", "CPU_NMI_WINDOW_EXITING") == 0


def test_a_missing_handler_is_found() -> None:
    table = [dataclasses.replace(e, handler="") if e.reason == "CPUID" else e for e in exits.EXITS]
    gaps = exits.unhandled(exits.control_words(HASWELL), table)
    assert [g.reason for g in gaps] == ["CPUID"]
    missing = [e for e in exits.EXITS if e.reason != "XSETBV"]
    assert [g.reason for g in exits.unhandled(exits.control_words(HASWELL), missing)] == ["XSETBV"]


def test_a_forced_control_without_policy_is_found() -> None:
    """A CPU that forced HLT exiting on (allowed-0) would produce HLT exits Plinth does not
    handle: the checker names them, and the bit is not among those vmx.c accepts."""
    forcing = HASWELL | {"proc": HASWELL["proc"] | exits.bit("proc", "CPU_HLT_EXITING")}
    words = exits.control_words(forcing)
    assert [g.reason for g in exits.unhandled(words)] == ["HLT"]
    assert exits.unknown_forced(words) == {"proc": exits.bit("proc", "CPU_HLT_EXITING")}


def test_every_sdm_exit_reason_is_in_the_table_once() -> None:
    reasons = [e.reason for e in exits.EXITS]
    assert sorted(reasons) == sorted(r.name for r in vmcs.EXIT_REASONS.values())
    assert len(set(reasons)) == len(reasons)
    for e in exits.EXITS:
        assert not (e.handler and e.stop), e.reason
        if isinstance(e.when, (exits.Always, exits.Never)):
            assert e.when.why, e.reason


def test_the_generated_dispatch_table_is_the_definition(plinth_elf: Path) -> None:
    """vmx_exits.h (what vmexit.c builds its table from) names the same handlers and stop
    policies, and the control masks vmx.c uses."""
    text = (GENERATED / "vmx_exits.h").read_text()
    assert text == exits.vmx_exits_h()
    handlers = dict(re.findall(r"X\((\w+), (exit_\w+)\)", text))
    assert handlers == {e.reason: e.handler for e in exits.EXITS if e.handler}
    stops = re.findall(r'X\((\w+), "([^"]*)"\)', text)
    assert dict(stops) == {e.reason: e.stop for e in exits.EXITS if e.stop}
    for reg in exits.CONTROL_REGISTERS:
        known = re.search(rf"#define VMX_{reg.upper()}_KNOWN 0x([0-9a-f]+)u", text)
        assert known and int(known[1], 16) == exits.known_bits(reg)


def test_handlers_exist_in_the_sources() -> None:
    """Each handler the table names is defined in hypervisor/arch/x86 (the link would fail
    otherwise; this says which)."""
    from tools.paths import ROOT

    sources = "\n".join(p.read_text() for p in (ROOT / "hypervisor" / "arch" / "x86").glob("*.c"))
    for handler in {e.handler for e in exits.EXITS if e.handler}:
        assert re.search(rf"^void {handler}\(struct vcpu \*v\)$", sources, re.M), handler


def test_table_text_lists_every_reason() -> None:
    text = exits.table_text()
    assert len(text.splitlines()) == len(exits.EXITS)
    assert "TASK_SWITCH" in text and "stop: hardware task switches are not emulated" in text


def test_conditions_name_existing_controls() -> None:
    for e in exits.EXITS:
        for reg, name in e.when.bits():
            assert vmxcaps.REGISTER[reg].controls
            vmxcaps.REGISTER[reg].field(name)
