"""Fixtures of the system tests that boot the test guest (tests/guests/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.paths import BUILD

GUEST = BUILD / "guests" / "testguest.bin"


@pytest.fixture
def guest(plinth_elf: Path) -> Path:
    """build/guests/testguest.bin, built with Plinth."""
    assert GUEST.exists(), f"{GUEST} was not built"
    return GUEST
