"""A crash or a hang is an outcome, not a lost run: the worker dies (or is stopped), the
run goes on, and the cell is reported "crashed" with the example that killed it and a
repro that crashes alone.

The hang was found by the rediscovery bench: with MaxPool1d's empty-window entry
forgotten, a worker waited forever in glibc's free() on the heap that backward had
corrupted, and the run with it (tests/flight_recorder.py: HANG_LIMIT_VARIABLE).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.flight_recorder import DIRECTORY_VARIABLE, HANG_LIMIT_VARIABLE

ROOT = Path(__file__).resolve().parents[1]
HANG_LIMIT_S = 5

needs_xdist = pytest.mark.skipif(
    __import__("importlib").util.find_spec("xdist") is None,
    reason="crashes and hangs are survived under xdist",
)


def _crashed_cells(
    impl: str, tmp_path: Path, env: dict[str, str], properties: tuple[str, ...]
) -> list[dict]:
    """Run `properties` on Linear and ReLU of `impl` under xdist; the crashed cells, after
    checking that the run went on: ReLU's cells ran and passed."""
    command = [
        sys.executable, "-m", "pytest", *(f"tests/test_{name}.py" for name in properties),
        "--impl", impl, "-k", "Linear or ReLU", "--device", "cpu",
        "--dtype", "float32", "-n", "2", "-p", "no:cacheprovider", "--hypothesis-profile=dev",
        "--hypothesis-seed=5", "--report-dir", str(tmp_path),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    report = json.loads((tmp_path / "conformance.json").read_text())
    outcomes = {(r["layer"], r["property"]): r for r in report["results"]}
    for name in properties:
        assert outcomes[("ReLU", name)]["outcome"] == "passed"
    crashed = [r for r in report["results"] if r["outcome"] == "crashed"]
    assert crashed, result.stdout[-3000:]
    for cell in crashed:
        assert cell["layer"] == "Linear", cell
        assert "in_features': 3" in cell["failure"]["example"], cell["failure"]["example"]
        assert impl in cell["failure"]["repro"]
        assert "crash is reported as found" in cell["failure"]["not_minimal"]
    return crashed


@needs_xdist
def test_a_crashing_example_is_reported_with_its_repro(tmp_path):
    # As under an outer xdist run: a parent's recorder directory, which the nested run
    # must leave alone (its workers are named gw0, gw1 as the parent's are).
    parent_recorder = tmp_path / "parent-recorder"
    parent_recorder.mkdir()
    crashed = _crashed_cells(
        "selftest.crashing_nn",
        tmp_path,
        {DIRECTORY_VARIABLE: str(parent_recorder)},
        ("forward", "shape"),
    )
    assert not any(parent_recorder.iterdir()), "the nested run recorded into its parent's"
    for cell in crashed:
        assert "the replay crashed too" in cell["failure"]["message"], cell["failure"]


@needs_xdist
def test_a_hanging_example_is_stopped_and_reported_with_its_repro(tmp_path):
    # One property: every cell of Linear waits out the limit and a replay as long.
    crashed = _crashed_cells(
        "selftest.hanging_nn", tmp_path, {HANG_LIMIT_VARIABLE: str(HANG_LIMIT_S)}, ("forward",)
    )
    for cell in crashed:
        message = cell["failure"]["message"]
        assert f"hung running this example and was stopped after {HANG_LIMIT_S} s" in message
        assert f"the replay hung for {HANG_LIMIT_S} s" in message
