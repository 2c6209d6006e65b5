"""The kernel set a process is in when its capping variables are set by hand.

torch's libraries read ATEN_CPU_CAPABILITY and ONEDNN_MAX_CPU_ISA however they are set,
not only through --cpu-isa. Seen before: a run with both at AVX2, set by hand on an
AVX-512 CPU, called itself "avx512", applied none of the avx2 known failures, and lost a
worker to the recorded oneDNN AVX2 crash (a Conv2d 1x1 channels_last backward) instead
of carving it out. No test here depends on the CPU: each asks only for sets it supports.
"""

from __future__ import annotations

import pytest

from tests import kernel_sets

VARIABLES = (kernel_sets.ATEN_VARIABLE, kernel_sets.ONEDNN_VARIABLE, kernel_sets.SET_VARIABLE)


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for variable in VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


@pytest.mark.parametrize("name", kernel_sets.supported())
def test_a_sets_own_variables_put_a_process_in_that_set(environment, name):
    for variable, value in kernel_sets.KERNEL_SETS[name].environment().items():
        if variable != kernel_sets.SET_VARIABLE:
            environment.setenv(variable, value)
    assert kernel_sets.current() == name
    assert kernel_sets.resolve([kernel_sets.NATIVE]) == [name]


def test_no_variables_is_native(environment):
    assert kernel_sets.by_environment() is None
    assert kernel_sets.current() == kernel_sets.native()


def test_the_set_a_worker_was_started_for_wins(environment):
    environment.setenv(kernel_sets.ATEN_VARIABLE, "default")
    environment.setenv(kernel_sets.ONEDNN_VARIABLE, "SSE41")
    environment.setenv(kernel_sets.SET_VARIABLE, "default")
    assert kernel_sets.current() == "default"


def test_libraries_at_two_levels_are_refused(environment):
    environment.setenv(kernel_sets.ATEN_VARIABLE, "default")
    environment.setenv(kernel_sets.ONEDNN_VARIABLE, "AVX2")
    with pytest.raises(ValueError, match="no one kernel set"):
        kernel_sets.current()


def test_an_unknown_level_is_refused(environment):
    environment.setenv(kernel_sets.ONEDNN_VARIABLE, "AVX1024")
    with pytest.raises(ValueError, match="not a level this suite knows"):
        kernel_sets.by_environment()
