"""A crash is an outcome, not a lost run: the worker dies, the run goes on, and the cell is
reported "crashed" with the example that killed it and a repro that crashes alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.flight_recorder import DIRECTORY_VARIABLE

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("xdist") is None,
    reason="crashes are survived under xdist",
)
def test_a_crashing_example_is_reported_with_its_repro(tmp_path):
    command = [
        sys.executable, "-m", "pytest", "tests/test_forward.py", "tests/test_shape.py",
        "--impl", "selftest.crashing_nn", "-k", "Linear or ReLU", "--device", "cpu",
        "--dtype", "float32", "-n", "2", "-p", "no:cacheprovider", "--hypothesis-profile=dev",
        "--hypothesis-seed=5", "--report-dir", str(tmp_path),
    ]  # fmt: skip
    # As under an outer xdist run: a parent's recorder directory, which the nested run
    # must leave alone (its workers are named gw0, gw1 as the parent's are).
    parent_recorder = tmp_path / "parent-recorder"
    parent_recorder.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), DIRECTORY_VARIABLE: str(parent_recorder)}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert not any(parent_recorder.iterdir()), "the nested run recorded into its parent's"
    report = json.loads((tmp_path / "conformance.json").read_text())
    outcomes = {(r["layer"], r["property"]): r for r in report["results"]}
    crashed = [r for r in report["results"] if r["outcome"] == "crashed"]
    assert crashed, result.stdout[-3000:]
    for cell in crashed:
        assert cell["layer"] == "Linear", cell
        failure = cell["failure"]
        assert "in_features': 3" in failure["example"], failure["example"]
        assert "the replay crashed too" in failure["message"], failure["message"]
        assert "selftest.crashing_nn" in failure["repro"]
    # The run went on: the other layer's cells ran and passed.
    assert outcomes[("ReLU", "forward")]["outcome"] == "passed"
    assert outcomes[("ReLU", "shape")]["outcome"] == "passed"
