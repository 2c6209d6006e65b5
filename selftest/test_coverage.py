"""Every class, and every pair of classes, reaches every property in every run.

The corner pass (tests/corners.py) makes it so; this proves it from a run's own record:
the suite runs on torch.nn at the `corners` profile (one random example per cell, then the
corner pass, so the corner pass alone must meet them: a profile with more examples only
adds draws) and every cell of
every property that draws a layer's configurations lists all of that layer's classes
in its coverage, the mode's included where the property draws it; every optimizer cell
lists every class of its optimizer and of the training plans, and every implementation
torch offers. One run serves every check here, whichever xdist worker runs it.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

from spec.optimizer_plans import PLAN_CLASSES
from spec.registry import layer_named, optimizer_named
from tests.corners import CORNER_DIMENSIONS

ROOT = Path(__file__).resolve().parents[1]
SEED = "20261201"
# Properties that draw configurations of their own, not the spec's classes.
OWN_DRAWS = {"errors", "exact", "known_failures"}
# Properties whose cells no check here reads: their own draws, or no layer's classes.
NOT_READ = OWN_DRAWS | {"models", "training_steps", "chapter_claims", "fusion"}
PROPERTY_FILES = sorted(
    f"tests/{path.name}"
    for path in (ROOT / "tests").glob("test_*.py")
    if path.stem.removeprefix("test_") not in NOT_READ
)
# The optimizer implementations torch 2.13.0 offers on the CPU in float32 (the run
# probes them).
OFFERED = ("for-loop", "foreach", "fused")


@pytest.fixture(scope="session")
def corners_run(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> list[dict]:
    """The corners run's results. One run serves every xdist worker of this session: the
    first worker to ask runs it, another waits on the lock and reads the same report
    (xdist's loadgroup cannot be relied on to keep these tests on one worker)."""
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        shared = shared.parent  # the session's directory, above the workers' own
    out = shared / "coverage-corners-run"
    with FileLock(f"{out}.lock"):
        report = out / "conformance.json"
        if not report.exists():
            _run_at_corners(out)
    return json.loads(report.read_text())["results"]


def _run_at_corners(out: Path) -> None:
    # Serial, as selftest/test_student_impl.py's runs: the session's workers fill the cores.
    command = [
        sys.executable, "-m", "pytest", *PROPERTY_FILES, "-p", "no:cacheprovider", "-q",
        "--hypothesis-profile=corners", f"--hypothesis-seed={SEED}", "--device", "cpu",
        "--dtype", "float32", "--report-dir", str(out),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert (out / "conformance.json").exists(), result.stdout[-3000:] + result.stderr[-3000:]


def test_every_class_reaches_every_property_in_a_corners_run(corners_run):
    missing = []
    for result in corners_run:
        if result["outcome"] != "passed":
            continue
        try:
            spec = layer_named(result["layer"])
        except KeyError:
            continue  # a model or an init function: no layer classes
        covered = set(result.get("coverage") or ())
        seen_dims = {label.split("=", 1)[0] for label in covered}
        for dim, values in _dimensions_covered(result["property"], spec).items():
            # The mode counts where the property draws it; hyperparameters always.
            if dim == "mode" and dim not in seen_dims:
                continue
            lacking = [v for v in values if f"{dim}={v}" not in covered]
            if lacking:
                missing.append(f"{result['layer']}/{result['property']}: {dim} {lacking}")
    assert not missing, "classes never reached:\n" + "\n".join(missing)


def _dimensions_covered(prop: str, spec) -> dict[str, tuple[str, ...]]:
    """The dimensions the property's corner pass covers (CORNERS in its file): the
    hyperparameters alone where the input is incidental (contract, init, parameters)."""
    kind = getattr(importlib.import_module(f"tests.test_{prop}"), "CORNERS", "classes")
    return CORNER_DIMENSIONS[kind](spec)


def test_every_pair_of_classes_meets_in_every_property_in_a_corners_run(corners_run):
    """The corner pass's covering array (tests/corners.py): every possible pair of classes
    met in one example, unless a row could not be drawn (a known failure covers it)."""
    missing = [
        f"{r['layer']}/{r['property']}/{r['dtype']}: {len(r['pairs'])} of {r['pairs_possible']}"
        for r in corners_run
        if r["outcome"] == "passed"
        and r.get("pairs_possible")
        and len(r["pairs"]) < r["pairs_possible"]
        and not r.get("corners_unreached")
    ]
    assert not missing, "pairs never met:\n" + "\n".join(missing)


def test_every_interaction_meets_whole_in_every_property_in_a_corners_run(corners_run):
    """A layer's interactions (LayerSpec.interactions), each met whole in one example of
    every cell whose corners draw its dimensions, as the record shows."""
    recording = [r for r in corners_run if r.get("interactions_possible")]
    assert {r["layer"] for r in recording} >= {"Conv2d"}
    missing = [
        f"{r['layer']}/{r['property']}: {len(r['interactions'])} of {r['interactions_possible']}"
        for r in recording
        if r["outcome"] == "passed"
        and len(r["interactions"]) < r["interactions_possible"]
        and not r.get("corners_unreached")
    ]
    assert not missing, "interactions never met whole:\n" + "\n".join(missing)


def test_the_record_shows_coverage(corners_run):
    with_coverage = [r for r in corners_run if r.get("coverage")]
    assert len(with_coverage) > 50, "the report lists no coverage"


def test_every_class_reaches_every_optimizer_cell_in_a_corners_run(corners_run):
    cells = [r for r in corners_run if "::test_optimizer_steps[" in r["nodeid"]]
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
