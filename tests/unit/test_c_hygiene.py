"""The C tree's structure rules, checked on the sources and the objects: every constant has one
home (no macro defined twice, none left unused), no `extern` in a .c file, and the only knot of
files that call each other is the one VM entry forces."""

from __future__ import annotations

import re
import subprocess
from collections import defaultdict
from pathlib import Path

from tools.paths import BUILD, GENERATED, ROOT

SOURCE_DIRS = ("hypervisor", "boot")
# Where a macro of hypervisor/ may be used: Plinth itself, the test guest (it includes
# multiboot1.h and x86/idmap.h) and the host-compiled unit tests.
USER_DIRS = (*SOURCE_DIRS, "tests/guests", "tests/unit/c")

DIRECTIVE = re.compile(r"^\s*#\s*(?P<kw>define|undef|ifndef|ifdef|if|elif|else|endif)\b\s*(?P<name>\w*)")


def c_files(*dirs: str) -> list[Path]:
    return sorted(p for d in dirs for p in (ROOT / d).rglob("*") if p.suffix in (".c", ".h", ".S"))


def definitions(path: Path) -> list[tuple[str, int, tuple[tuple[int, int], ...]]]:
    """The macros a file defines: (name, line, the #if branches it sits in). Two exemptions:
    a header's include guard (its first directive is #ifndef X, the next #define X), and a
    local helper the file #undefs again (DEFINE_READ_CR in x86/cpu.h): both are meant to be
    private to the file."""
    defs: list[tuple[str, int, tuple[tuple[int, int], ...]]] = []
    undefs: set[str] = set()
    stack: list[tuple[int, int]] = []  # (conditional number, branch number)
    conditionals = 0
    directives: list[tuple[str, str]] = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        m = DIRECTIVE.match(line)
        if not m:
            continue
        kw, name = m["kw"], m["name"]
        directives.append((kw, name))
        if kw in ("if", "ifdef", "ifndef"):
            conditionals += 1
            stack.append((conditionals, 0))
        elif kw in ("elif", "else"):
            stack[-1] = (stack[-1][0], stack[-1][1] + 1)
        elif kw == "endif":
            stack.pop()
        elif kw == "undef":
            undefs.add(name)
        elif len(directives) == 2 and directives[0] == ("ifndef", name):
            continue  # the include guard
        else:
            defs.append((name, number, tuple(stack)))
    return [d for d in defs if d[0] not in undefs]


def alternatives(a: tuple[tuple[int, int], ...], b: tuple[tuple[int, int], ...]) -> bool:
    """Whether two places are in different branches of one #if chain, so only one is compiled
    (types.h's BIT(), once for C and once for assembly)."""
    return any(x[0] == y[0] and x[1] != y[1] for x, y in zip(a, b, strict=False))


def test_no_macro_is_defined_twice() -> None:
    """Each constant has one home: no macro name is defined in two files under hypervisor/ or
    boot/, nor twice in one file except as #if/#else alternatives. (Include guards and #undef'd
    local helpers are exempt, see definitions(); the test guest keeps its own copies on purpose,
    tests/guests/x86.h says why.)"""
    places: dict[str, list[tuple[Path, int, tuple[tuple[int, int], ...]]]] = defaultdict(list)
    files = c_files(*SOURCE_DIRS)
    assert len(files) > 100
    for path in files:
        for name, line, branches in definitions(path):
            places[name].append((path, line, branches))
    twice = []
    for name, where in places.items():
        distinct: list[tuple[Path, int, tuple[tuple[int, int], ...]]] = []
        for place in where:
            if not any(p[0] == place[0] and alternatives(p[2], place[2]) for p in distinct):
                distinct.append(place)
        if len(distinct) > 1:
            twice.append(f"{name}: " + ", ".join(f"{p.relative_to(ROOT)}:{line}" for p, line, _ in distinct))
    assert not twice, "\n".join(twice)


def test_the_duplicate_check_sees_what_it_must(tmp_path: Path) -> None:
    """The scanner above on a file of its own: guard and #undef'd helper exempt, #if/#else
    alternatives one definition, a second plain definition caught."""
    src = tmp_path / "sample.h"
    src.write_text(
        "#ifndef SAMPLE_H\n#define SAMPLE_H\n#ifdef __ASSEMBLY__\n#define ONE 1\n#else\n#define ONE 1u\n#endif\n"
        "#define HELPER(x) x\n#undef HELPER\n#define TWICE 1\n#define TWICE 2\n#endif\n"
    )
    defs = definitions(src)
    assert [d[0] for d in defs] == ["ONE", "ONE", "TWICE", "TWICE"]
    assert alternatives(defs[0][2], defs[1][2]) and not alternatives(defs[2][2], defs[3][2])


def test_every_macro_is_used() -> None:
    """No dead constants: each macro defined under hypervisor/ or boot/ is named somewhere else
    too (in Plinth, the test guest, the C unit tests or a generated header)."""
    users = c_files(*USER_DIRS) + sorted(GENERATED.glob("*.h"))
    # The test guest keeps copies of some constants under the same names: its uses are its own.
    own = {name for path in c_files("tests/guests") for name, _, _ in definitions(path)}
    uses: dict[str, int] = defaultdict(int)
    for path in users:
        guest = path.is_relative_to(ROOT / "tests" / "guests")
        for line in path.read_text().splitlines():
            words = [w for w in re.findall(r"\b\w+\b", line) if not (guest and w in own)]
            if m := DIRECTIVE.match(line):
                if m["kw"] == "define" and m["name"] in words:
                    words.remove(m["name"])  # a definition is no use
                elif m["kw"] in ("ifndef", "ifdef", "undef"):
                    words = []
            for word in words:
                uses[word] += 1
    unused = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in c_files(*SOURCE_DIRS)
        for name, line, _ in definitions(path)
        if not uses[name]
    ]
    assert not unused, "\n".join(unused)


def test_no_extern_in_c_files() -> None:
    """Declarations of what other files define live in headers: linker symbols in
    plinth/layout_symbols.h, boot/*.S symbols in x86/boot_symbols.h."""
    files = [p for p in c_files("hypervisor") if p.suffix == ".c"]
    found = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in files
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if re.match(r"\s*extern\b", line)
    ]
    assert not found, "\n".join(found)


def symbol_graph() -> dict[str, set[str]]:
    """Which object file of build/obj/hypervisor calls (or reads) which, from nm."""
    objs = {}
    for obj in sorted((BUILD / "obj" / "hypervisor").rglob("*.o")):
        rel = obj.relative_to(BUILD / "obj" / "hypervisor").with_suffix("")
        if any((ROOT / "hypervisor" / rel).with_suffix(s).exists() for s in (".c", ".S")):
            objs[str(rel)] = obj  # objects of renamed sources may linger in build/
    defined: dict[str, str] = {}
    undefined: dict[str, set[str]] = {}
    for name, obj in objs.items():
        out = subprocess.run(["nm", str(obj)], capture_output=True, text=True, check=True).stdout
        undefined[name] = set()
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "TDBR":
                defined[parts[2]] = name
            elif len(parts) == 2 and parts[0] == "U":
                undefined[name].add(parts[1])
    return {n: {defined[s] for s in syms if s in defined and defined[s] != n} for n, syms in undefined.items()}


def knots(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected groups of more than one file (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


# The loop VM entry forces: a vCPU's first entry (vcpu.c) sets up its VMCS, whose host RIP is
# the exit stub (vmentry.S), which calls the dispatcher (vmexit.c) and, before each entry, the
# vCPU's events (vcpu_events.c); the handlers use the vCPU's services, set guest state through
# the VMCS again, and stop the VM where they must (vm_stop.c parks the vCPU); an MTRR write
# (vmtrr.c) that changes the VM's memory types posts EPT switches (vm_mtrr.c) that the other
# vCPUs take among their events. (The CPUID and VMCALL handlers call back into none of them:
# they advance RIP inline.)
VM_ENTRY_LOOP = {
    "arch/x86/vmtrr",
    "arch/x86/vm_mtrr",
    "arch/x86/vcpu",
    "arch/x86/vcpu_events",
    "arch/x86/vm_stop",
    "arch/x86/vmcs",
    "arch/x86/vmentry",
    "arch/x86/vmexit",
    "arch/x86/exit_cr",
    "arch/x86/exit_ept",
    "arch/x86/exit_io",
    "arch/x86/exit_io_string",
    "arch/x86/exit_msr",
    "arch/x86/exit_nmi",
    "arch/x86/exit_xsetbv",
    "arch/x86/apic_passthrough",
    "arch/x86/pci_filter",
    "arch/x86/vm_pci_cfg",  # a partition's configuration accesses (its exits, its MMCONFIG window)
    "arch/x86/vapic",
    "arch/x86/emulate",
    "arch/x86/exit_ioapic",  # a partition's I/O APIC page, emulated like the xAPIC's
    # A partition's MSI-X table pages, emulated the same way (vm_msix), and its MSI state, which
    # its stop and restart clear (vm_msi).
    "arch/x86/vm_msix",
    "arch/x86/vm_msi",
    # A partition's console (its COM1 exits, the boot CPU's exits reading the input for the
    # monitor), a parked vCPU of a partition, which waits in core/launch.c for its VM's restart,
    # and the monitor's `restart`, which runs the vCPUs again.
    "arch/x86/vm_console",
    "arch/x86/io_reset",  # a partition's reset request stops its VM
    "core/launch",
    "core/monitor",
    # A partition's own reset request restarts it from the vCPU that made it, as the monitor's
    # `restart` does (both through partition_restart).
    "core/partition_restart",
}
# The panic path: core's panic stops the other CPUs and dumps this one (arch), arch's exception
# handler panics, and allocating the CPU table may panic.
PANIC_LOOP = {"core/panic", "core/memory", "arch/x86/trap", "arch/x86/nmi", "arch/x86/percpu"}


def test_only_vm_entry_and_panic_form_knots(plinth_elf: Path) -> None:
    """Files call each other in a loop only where VM entry (VMCS -> stub -> dispatch -> handlers
    -> vCPU) and the panic path force it; VM building, the loaders, the platform and every core
    module stay out of them."""
    assert sorted(map(sorted, knots(symbol_graph()))) == sorted(map(sorted, [VM_ENTRY_LOOP, PANIC_LOOP]))
