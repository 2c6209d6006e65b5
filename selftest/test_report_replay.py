"""The replay line of a failing cell: what it names, and that it replays the cell for real."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

from report import replay
from selftest.test_report_fakes import REPO

RUN = {
    "profile": "ci",
    "seed": 1234,
    "impl": "torch.nn",
    "devices": ["cpu"],
    "dtypes": ["float32"],
    "paths": ["eager"],
    "isas": ["avx2"],
    "args": ["tests", "-n", "2"],
}
RESULT = {
    "nodeid": "tests/test_forward.py::test_forward[Conv2d-cpu-float32-eager]",
    "device": "cpu",
    "dtype": "float32",
    "path": "eager",
    "isa": "avx2",
}
# A mutant the forward property catches on its first examples (selftest/zoo).
MUTANT = "selftest.zoo.linear_drops_bias"
RUN_TIMEOUT_S = 300


def test_a_plain_run_names_profile_seed_device_and_dtype():
    assert replay.command(RESULT, RUN) == (
        "pytest 'tests/test_forward.py::test_forward[Conv2d-cpu-float32-eager]' "
        "--hypothesis-profile=ci --hypothesis-seed=1234 --device cpu --dtype float32 --no-report"
    )


def test_chosen_paths_kernel_sets_and_impl_are_named():
    run = RUN | {"impl": "student_nn", "isas": ["default", "avx2"], "args": ["--path=compile"]}
    words = shlex.split(replay.command(RESULT | {"path": "compile:inductor"}, run))
    assert words[words.index("--impl") + 1] == "student_nn"
    assert words[words.index("--cpu-isa") + 1] == "avx2"
    assert words[words.index("--path") + 1] == "compile:inductor"
    # A device-free cell (init) names neither device nor dtype.
    free = replay.command({"nodeid": "t::x", "device": "-", "dtype": "-", "isa": "avx2"}, RUN)
    assert "--device" not in free and "--dtype" not in free and "--cpu-isa" not in free


def test_a_run_with_a_shared_database_replays_from_it_not_from_a_seed():
    words = shlex.split(replay.command(RESULT, RUN | {"example_db": "/shared/db"}))
    assert "--example-db=/shared/db" in words
    assert not any(w.startswith("--hypothesis-seed") for w in words)


def test_a_run_that_lifted_known_failures_replays_with_them_lifted():
    """Without the options the replay's known failures carve the case out again, and the
    replay passes where the run failed."""
    lifted = RUN | {"known_failures_ignored": True, "impl_known": "mine/known.py"}
    words = shlex.split(replay.command(RESULT, lifted))
    assert "--ignore-known-failures" in words
    assert words[words.index("--impl-known") + 1] == "mine/known.py"
    forgot = RUN | {"known_failures_forgotten": ["a-id", "b-id"]}
    assert "--forget-known-failure=a-id,b-id" in shlex.split(replay.command(RESULT, forgot))
    plain = shlex.split(replay.command(RESULT, RUN | {"known_failures_forgotten": []}))
    assert not any("known" in word for word in plain)


def _pytest(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )


def test_the_replay_line_fails_the_same_way_alone(tmp_path: Path):
    """A real run of the suite against a mutant; its failing cell's line, run by itself."""
    whole = tmp_path / "whole"
    _pytest(
        "tests/test_forward.py",
        "-k",
        "Linear",
        "--impl",
        MUTANT,
        "--device",
        "cpu",
        "--dtype",
        "float32",
        "--hypothesis-profile=dev",
        "--hypothesis-seed=7",
        "--report-dir",
        str(whole),
        cwd=REPO,
    )
    results = json.loads((whole / "conformance.json").read_text(encoding="utf-8"))["results"]
    (failed,) = [r for r in results if r["outcome"] == "failed"]
    words = shlex.split(failed["replay"])
    assert words[:2] == ["pytest", failed["nodeid"]] and "--impl" in words
    # Run the line as given, but with a report of its own to compare (not --no-report).
    alone = tmp_path / "alone"
    done = _pytest(*words[1:-1], "--report-dir", str(alone), cwd=REPO)
    assert done.returncode == 1, done.stdout[-2000:]
    (again,) = json.loads((alone / "conformance.json").read_text(encoding="utf-8"))["results"]
    assert (again["nodeid"], again["outcome"]) == (failed["nodeid"], "failed")
    assert again["failure"]["example"] == failed["failure"]["example"]
    assert again["failure"]["message"] == failed["failure"]["message"]
