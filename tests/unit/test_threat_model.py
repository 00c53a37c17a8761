"""docs/threat-model.md and the tests follow each other point by point: every rule names a
test-guest check that exists and a system test that exists, every hostile check of the test
guest backs a rule, and each such check runs in tests/system/test_hostile.py."""

from __future__ import annotations

import re

from tools.paths import ROOT

DOC = ROOT / "docs" / "threat-model.md"
GUESTS = ROOT / "tests" / "guests"
SYSTEM = ROOT / "tests" / "system"
RULE = re.compile(r"^\| (?P<id>[EDSC]\d+) \|.*\| (?P<proof>[^|]+) \|$", re.M)
NAME = re.compile(r"`(\w+)`")


def rules() -> dict[str, list[str]]:
    return {m["id"]: NAME.findall(m["proof"]) for m in RULE.finditer(DOC.read_text())}


def guest_checks() -> set[str]:
    """The names the test guest runs checks by (main.c's table)."""
    return set(re.findall(r'^\t\{ "(\w+)", check_\w+ \},$', (GUESTS / "main.c").read_text(), re.M))


def system_tests() -> set[str]:
    return {name for p in SYSTEM.glob("test_*.py") for name in re.findall(r"^def (test_\w+)\(", p.read_text(), re.M)}


def test_every_rule_has_a_check_and_a_system_test() -> None:
    found = rules()
    assert len(found) >= 19, found
    checks, tests = guest_checks(), system_tests()
    for rule, names in found.items():
        assert any(n in checks for n in names), f"{rule} names no test-guest check: {names}"
        assert any(n in tests for n in names), f"{rule} names no system test: {names}"
        unknown = [n for n in names if n not in checks and n not in tests]
        assert not unknown, f"{rule} names what does not exist: {unknown}"


def test_every_hostile_check_backs_a_rule_and_runs() -> None:
    hostile = {
        name
        for p in GUESTS.glob("checks_hostile_*.c")
        for name in re.findall(r"^void check_(\w+)\(void\)$", p.read_text(), re.M)
    }
    assert len(hostile) >= 20, hostile
    named = {n for names in rules().values() for n in names}
    assert sorted(hostile - named) == [], "hostile checks no rule names"
    suite = (SYSTEM / "test_hostile.py").read_text()
    assert sorted(n for n in hostile if not re.search(rf"\b{n}\b", suite)) == [], (
        "hostile checks test_hostile.py never runs"
    )


def test_readme_links_the_threat_model() -> None:
    assert "(docs/threat-model.md)" in (ROOT / "README.md").read_text()
