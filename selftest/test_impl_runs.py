"""Other implementations, judged as users run them (issue 17's failures, each end to end).

- A run that judged nothing is NOT CONFORMING and exits 1; an implementation without
  containers or `init` ends those cells "not provided", not in AttributeErrors.
- torch's known failures carve nothing out of another implementation (its cells on torch's
  bugs fail), unless the implementation records them as its own (--impl-known), which then
  run as strict xfails; --compare-torch says whether torch passes a failing cell.
- A sibling whose constructor raises is charged to its own class, not to the layer beside it.
- Claims count in the verdict; a replay line carries the PYTHONPATH an import needed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from report import json_report, outcomes, replay, verdict

ROOT = Path(__file__).resolve().parents[1]
# Fixed draws. The verdicts below need the dev run to meet a BatchNorm2d constant channel
# that torch gets wrong on every kernel set: the FMA sets get every one wrong, the default
# set only one whose bias folds inexactly, which the exact case "constant channels,
# cancelling bias" meets (11 seeds of 12 at dev). Checked at the default kernel set and
# AVX-512.
SEED = "4"


def run(tmp_path: Path, name: str, *arguments: str) -> tuple[int, dict]:
    """The suite on `arguments`; its exit status and report."""
    out = tmp_path / name
    command = [
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
        "--hypothesis-profile=dev", f"--hypothesis-seed={SEED}", "--device", "cpu",
        "--dtype", "float32", "--report-dir", str(out), *arguments,
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    report = out / "conformance.json"
    assert report.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    return done.returncode, json.loads(report.read_text())


def outcomes_of(document: dict, prop: str) -> set[tuple[str, str]]:
    return {(r["layer"], r["outcome"]) for r in document["results"] if r["property"] == prop}


def test_an_implementation_that_provides_nothing_is_never_green(tmp_path):
    status, document = run(
        tmp_path,
        "nothing",
        "tests/test_forward.py",
        "tests/test_models.py",
        "tests/test_init.py",
        "tests/test_chapter_claims.py",
        "-k",
        "Linear or MyNetwork or kaiming or linear",
        "--impl",
        "selftest/impls/nothing_nn.py",
    )
    results = document["results"]
    assert results and all(r["outcome"] in outcomes.NOT_RUN for r in results), {
        (r["layer"], r["property"], r["outcome"]) for r in results
    }
    assert {r["outcome"] for r in results} == {"not-provided"}
    decided = verdict.decide(document)
    assert not decided.conforming and "nothing was judged" in decided.headline
    assert status == 1


def test_torch_failures_judge_torch_alone(tmp_path):
    impl = ["--impl", "selftest/impls/torch_again_nn.py"]
    status, document = run(
        tmp_path,
        "unrecorded",
        "tests/test_exact.py",
        "tests/test_known_failures.py",
        "-k",
        "BatchNorm2d or batch_norm2d",
        *impl,
        "--compare-torch",
    )
    # torch's constant-channel bug, in an implementation that did not record it: judged.
    assert ("BatchNorm2d", "failed") in outcomes_of(document, "exact")
    failure = next(r for r in document["results"] if r["outcome"] == "failed")["failure"]
    assert "torch.nn fails this cell too" in failure["message"], failure["message"]
    # torch's own strict xfails do not run for another implementation.
    assert outcomes_of(document, "known_failures") == {("BatchNorm2d", "not-applicable")}
    assert status == 1

    status, document = run(
        tmp_path,
        "recorded",
        "tests/test_exact.py",
        "tests/test_known_failures.py",
        "tests/test_modes.py",
        "-k",
        "BatchNorm2d or batch_norm2d",
        *impl,
        "--impl-known",
        "selftest/impls/torch_again_known.py",
    )
    # Recorded as its own: carved out of the cell, and its repro runs as a strict xfail.
    assert ("BatchNorm2d", "failed") not in outcomes_of(document, "exact")
    assert ("BatchNorm2d", "xfailed") in outcomes_of(document, "known_failures")
    # Its LayerNorm cannot be built: BatchNorm2d's modes cells, built beside it, pass.
    assert outcomes_of(document, "modes") == {("BatchNorm2d", "passed")}
    assert status == 0, document["summary"]


def test_failed_claims_make_a_run_not_conforming():
    tally = outcomes.counts(["passed"])
    summary = {"by_outcome": tally, "claims": outcomes.counts(["failed"])}
    assert not verdict.decide({"summary": summary}).conforming


def test_a_replay_line_carries_the_pythonpath_the_import_needed():
    result = {"nodeid": "tests/test_shape.py::test_shape[Linear-cpu-float32-eager]"}
    result |= {"device": "cpu", "dtype": "float32", "path": "eager", "isa": "avx2"}
    run_fields = {"impl": "timm_nn", "impl_details": {"pythonpath": "/opt/adapters"}}
    line = replay.command(result, {**run_fields, "profile": "dev", "seed": 1})
    assert line.startswith("PYTHONPATH=/opt/adapters pytest "), line
    assert "--impl timm_nn" in line


def test_the_schema_takes_the_impl_details():
    assert "impl_details" in json_report.schema()["$defs"]["run"]["properties"]
