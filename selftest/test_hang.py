"""A hang is an outcome, not a stalled run: the watchdog stops the worker, the run goes on,
and the cell is reported "crashed", saying it hung, with the example and its repro.

Found by the rediscovery bench: with MaxPool1d's empty-window entry forgotten, a worker
waited forever in glibc's free() on the heap that backward had corrupted, and the run
with it (tests/flight_recorder.py: HANG_LIMIT_VARIABLE).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.flight_recorder import HANG_LIMIT_VARIABLE

ROOT = Path(__file__).resolve().parents[1]
HANG_LIMIT_S = 5


@pytest.mark.skipif(
    __import__("importlib").util.find_spec("xdist") is None,
    reason="hangs are survived under xdist",
)
def test_a_hanging_example_is_stopped_and_reported_with_its_repro(tmp_path):
    command = [
        sys.executable, "-m", "pytest", "tests/test_forward.py", "tests/test_shape.py",
        "--impl", "selftest.hanging_nn", "-k", "Linear or ReLU", "--device", "cpu",
        "--dtype", "float32", "-n", "2", "-p", "no:cacheprovider", "--hypothesis-profile=dev",
        "--hypothesis-seed=5", "--report-dir", str(tmp_path),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), HANG_LIMIT_VARIABLE: str(HANG_LIMIT_S)}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    report = json.loads((tmp_path / "conformance.json").read_text())
    outcomes = {(r["layer"], r["property"]): r for r in report["results"]}
    crashed = [r for r in report["results"] if r["outcome"] == "crashed"]
    assert crashed, result.stdout[-3000:]
    for cell in crashed:
        assert cell["layer"] == "Linear", cell
        failure = cell["failure"]
        assert "in_features': 3" in failure["example"], failure["example"]
        assert (
            f"hung running this example and was stopped after {HANG_LIMIT_S} s"
            in (failure["message"])
        ), failure["message"]
        assert f"the replay hung for {HANG_LIMIT_S} s" in failure["message"]
        assert "selftest.hanging_nn" in failure["repro"]
    # The run went on: the other layer's cells ran and passed.
    assert outcomes[("ReLU", "forward")]["outcome"] == "passed"
    assert outcomes[("ReLU", "shape")]["outcome"] == "passed"
