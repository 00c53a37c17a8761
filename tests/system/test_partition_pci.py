"""PCI functions of partitions (issue 15, Devices): the configuration's `devices`, checked at boot
against the machine, and what each VM sees of PCI configuration space.

Each test boots a configuration written here (test_partition.py's helpers) with the test guest
in every VM.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.system.test_partition import MODEL, BootFn, assert_all_pass, config_modules, wait_summaries
from tools import consoleproto as cp
from tools.emulators.bochs import NO_IOMMU_CMDLINE as NO_IOMMU

pytestmark = pytest.mark.bochs


def test_vm_naming_a_missing_function_is_not_built_and_the_other_runs(boot: BootFn, target_for, tmp_path: Path) -> None:
    """A VM whose devices name a function the machine does not have (00:1f.7 on Bochs's i440FX) is
    one line naming the function and is not built; the other VM runs its checks."""
    vms = [
        {"name": "good", "cpus": [0], "memory": "16M", "cmdline": "ram=16M checks=partition,cpuid"},
        {"name": "ghost", "cpus": [1], "memory": "16M", "devices": ["00:1f.7"]},
    ]
    emu = boot(target_for("bochs", MODEL), cpus=2, cmdline=NO_IOMMU, modules=config_modules(tmp_path, vms))
    emu.wait_for(cp.VM_NOT_BUILT.fill(vm="ghost"), timeout=120)
    wait_summaries(emu, ["good"])
    down = cp.VM_NOT_BUILT.fill(vm="ghost").search(emu.output)
    assert down and down["why"].strip() == "its PCI function 00:1f.7 does not exist (vendor ID reads 0xffff)", down
    assert_all_pass(emu.output, "good", ["partition", "cpuid"])
    assert cp.FATAL_PREFIX not in emu.output
