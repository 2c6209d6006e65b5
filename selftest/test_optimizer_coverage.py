"""Every class of every optimizer and of the plans reaches every optimizer_steps cell, at
`dev` too, and every implementation torch offers runs: proven from a run's own record."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from spec.optimizer_plans import PLAN_CLASSES
from spec.registry import optimizer_named

ROOT = Path(__file__).resolve().parents[1]
SEED = "20261205"
# The implementations torch 2.13.0 offers on the CPU in float32 (the run probes them).
OFFERED = ("for-loop", "foreach", "fused")


@pytest.fixture(scope="module")
def dev_run(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    out = tmp_path_factory.mktemp("optimizer-coverage")
    command = [
        sys.executable, "-m", "pytest", "tests/test_optimizer_steps.py", "-p", "no:cacheprovider",
        "-q", "--hypothesis-profile=dev", f"--hypothesis-seed={SEED}", "--device", "cpu",
        "--dtype", "float32", "--report-dir", str(out), "-k", "not test_maximize",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    report = out / "conformance.json"
    assert report.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(report.read_text())["results"]


def test_every_class_reaches_every_optimizer_cell_at_dev(dev_run):
    cells = [r for r in dev_run if "::test_optimizer_steps[" in r["nodeid"]]
    assert {r["layer"] for r in cells} == {"SGD", "Adam", "AdamW"}
    missing = []
    for result in cells:
        assert result["outcome"] == "passed", result
        spec = optimizer_named(result["layer"])
        covered = set(result.get("coverage") or ())
        for dim, values in {**spec.classes, **PLAN_CLASSES}.items():
            lacking = [v for v in values if f"{dim}={v}" not in covered]
            if lacking:
                missing.append(f"{result['layer']}: {dim} {lacking}")
        lacking = [name for name in OFFERED if f"implementation={name}" not in covered]
        if lacking:
            missing.append(f"{result['layer']}: implementations {lacking}")
        # Exact elements of the parameter and of every state value (spec/dyadic.py).
        names = {"param", *spec.state_names({"momentum": 1.0, "amsgrad": True})} - {"step"}
        lacking = sorted(name for name in names if f"exact={name}" not in covered)
        if lacking:
            missing.append(f"{result['layer']}: no exact element of {lacking}")
    assert not missing, "never reached:\n" + "\n".join(missing)
