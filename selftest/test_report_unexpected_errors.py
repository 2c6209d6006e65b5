"""An exception no property anticipated (torch raising where it should not) is reported
with the example that raised it and that example's repro, as the suite recorded them;
never with an earlier example's."""

from __future__ import annotations

import json

import pytest

from selftest.test_report_fakes import run_fake_suite, write_fake_suite

TEST_MODES = """
import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from report.interface import record_example

@pytest.mark.parametrize("layer", ["Tanh"])
def test_modes(layer):
    record_example("Tanh() on (2,)", "print('replays the raising call')")
    raise RuntimeError("torch raised where it should not")

@pytest.mark.parametrize("layer", ["Sigmoid"])
@settings(max_examples=10, database=None, derandomize=True, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(0, 9))
def test_modes_early(layer, n):
    if n >= 3:
        raise RuntimeError("raised before its example was recorded")
    record_example(f"n={n}", f"print({n})")
"""


@pytest.fixture
def failures(pytester: pytest.Pytester) -> dict[str, dict]:
    write_fake_suite(pytester)
    (pytester.path / "tests/test_modes.py").write_text(TEST_MODES, encoding="utf-8")
    run_fake_suite(pytester, "tests/test_modes.py")
    document = json.loads((pytester.path / "reports/conformance.json").read_text())
    return {r["nodeid"].rpartition("::")[2]: r["failure"] for r in document["results"]}


def test_the_raising_example_and_its_repro_are_reported(failures):
    failure = failures["test_modes[Tanh]"]
    assert "torch raised where it should not" in failure["message"]
    assert failure["example"] == "Tanh() on (2,)"
    assert failure["repro"] == "print('replays the raising call')"


def test_an_example_that_raised_before_recording_gets_no_earlier_repro(failures):
    failure = failures["test_modes_early[Sigmoid]"]
    assert "raised before its example was recorded" in failure["message"]
    assert failure["repro"] == ""
