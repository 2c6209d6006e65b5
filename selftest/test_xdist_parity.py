"""pytest -n 2 gives the same outcomes as a serial run, and the report stays complete."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# A fixed seed makes every Hypothesis test draw the same examples in any process, so
# serial and parallel runs must agree cell for cell, example counts included.
SEED = "20261125"
PROPERTIES = ["tests/test_shape.py", "tests/test_parameters.py", "tests/test_errors.py"]


def run_report(tmp_path: Path, *extra: str) -> dict:
    report_dir = tmp_path / ("xdist" if extra else "serial")
    command = [
        sys.executable, "-m", "pytest", *PROPERTIES, "-q", "-p", "no:cacheprovider",
        "--hypothesis-profile", "dev", "--hypothesis-seed", SEED,
        "--dtype", "float32", "--report-dir", str(report_dir), *extra,
    ]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads((report_dir / "conformance.json").read_text())


def cells(report: dict) -> set[tuple]:
    return {
        (r["layer"], r["property"], r["device"], r["dtype"], r["outcome"], r["examples"])
        for r in report["results"]
    }


def test_xdist_outcomes_equal_serial(tmp_path):
    serial = run_report(tmp_path)
    parallel = run_report(tmp_path, "-n", "2")
    assert cells(parallel) == cells(serial)
    assert len(parallel["results"]) == len(serial["results"]) > 0
    assert parallel["run"]["seed"] == serial["run"]["seed"] == int(SEED)
