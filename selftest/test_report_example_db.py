"""A shared Hypothesis example database: a failure found on one machine replays on another.

Two checkouts of a fake suite in two folders, run by two processes, stand in for two
machines; a third folder stands in for the storage they share (an NFS mount, a CI cache).
The fake conftest selects the database the way the suite's conftest.py does (README,
"Runs that span machines"): `--example-db=DIR` puts Hypothesis' own
DirectoryBasedExampleDatabase on DIR and leaves the run unseeded, because Hypothesis
consults no database at all under a fixed seed (`--hypothesis-seed`, or `@seed`).

Machine A runs many examples and finds the bug (any x >= 1000, shrunk to 1000); machine
B, with a budget of one example, fails on A's example as its very first. The control, B
with an empty database, draws something else and passes. The last test does the same
with the real suite and its own option, on a zoo mutant.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from report import json_report
from selftest.test_report_fakes import REPO

CONFTEST = """
import pytest
from hypothesis import settings
from hypothesis.database import DirectoryBasedExampleDatabase

from report import interface

settings.register_profile("thorough", max_examples=200, deadline=None)
settings.register_profile("quick", max_examples=1, deadline=None)


def pytest_addoption(parser):
    parser.addoption("--example-db", default=None, help="shared example database folder")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    # tryfirst: before Hypothesis' plugin loads the profile.
    profile = config.getoption("hypothesis_profile")
    path = config.getoption("example_db")
    seed = config.getoption("hypothesis_seed")
    if path:
        database = DirectoryBasedExampleDatabase(path)
        settings.register_profile(profile, settings.get_profile(profile), database=database)
    interface.declare_run(
        config, devices=["cpu"], dtypes=["float32"], impl="torch.nn",
        profile=profile, seed=seed, example_db=path,
    )


def pytest_collection_modifyitems(config, items):
    for item in items:
        layer = item.callspec.params["layer"]
        interface.declare_cell(item, interface.Cell(layer, "forward", "cpu", "float32"))
"""

TEST = """
import os

import pytest
from hypothesis import given, strategies as st


@pytest.mark.parametrize("layer", ["Linear"])
@given(x=st.integers(0, 10**6))
def test_forward(layer, x):
    with open(os.environ["EXAMPLE_LOG"], "a", encoding="utf-8") as log:
        log.write(f"{x}\\n")
    assert x < 1000, "the bug: every x from 1000 on"
"""
FOUND = 1000  # the shrunk failing example
NODEID = "test_forward.py::test_forward[Linear]"
RUN_TIMEOUT_S = 300
# The real suite's run: a zoo mutant whose Linear fails the forward property.
SUITE_MUTANT = "selftest.zoo.linear_weight_in_out"


def machine(root: Path, name: str) -> Path:
    """A checkout of the fake suite, as on another machine."""
    checkout = root / name
    checkout.mkdir()
    (checkout / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (checkout / "test_forward.py").write_text(TEST, encoding="utf-8")
    return checkout


def run(
    checkout: Path, database: Path, profile: str, *options: str, report: bool = False
) -> tuple[int, list[str]]:
    """One process: its exit status and the examples it ran, in order.

    `report`: with the report plugin (it imports torch, which costs seconds).
    """
    log = checkout / "examples.log"
    log.unlink(missing_ok=True)
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "EXAMPLE_LOG": str(log),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *(["-p", "report.plugin"] if report else []),
            "-p",
            "no:cacheprovider",
            "-q",
            f"--hypothesis-profile={profile}",
            # One word: pytest reads paths out of the arguments before conftest.py has
            # declared the option, and a separate existing folder would move the rootdir.
            f"--example-db={database}",
            *options,
        ],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    examples = log.read_text(encoding="utf-8").split() if log.exists() else []
    return done.returncode, examples


def test_a_failure_found_on_one_machine_replays_first_on_another(tmp_path: Path):
    shared = tmp_path / "shared-example-db"
    a, b = machine(tmp_path, "machine-a"), machine(tmp_path, "machine-b")

    status, examples = run(a, shared, "thorough")
    assert status == 1 and examples[-1] == str(FOUND), "machine A did not find and shrink the bug"
    assert any(p.is_file() for p in shared.rglob("*")), "nothing was saved to the shared database"

    control = machine(tmp_path, "machine-b-alone")
    status, examples = run(control, tmp_path / "empty-db", "quick")
    assert status == 0 and examples and examples[0] != str(FOUND), "B alone must not find it"

    status, examples = run(b, shared, "quick", report=True)
    assert status == 1, "machine B did not fail on machine A's example"
    assert examples[0] == str(FOUND), f"B's first example was {examples[0]}, not A's {FOUND}"

    report = json_report.load(b / "reports" / "conformance.json")
    (failed,) = [r for r in report["results"] if r["outcome"] == "failed"]
    assert failed["nodeid"] == NODEID
    # The replay line names the database (the failing example comes from it) and no seed.
    assert f"--example-db={shared}" in failed["replay"]
    assert "--hypothesis-seed" not in failed["replay"]


def test_hypothesis_consults_no_database_under_a_fixed_seed(tmp_path: Path):
    """Why --example-db leaves the run unseeded: with a seed, B never replays A's failure."""
    shared = tmp_path / "db"
    assert run(machine(tmp_path, "a"), shared, "thorough")[0] == 1
    status, examples = run(machine(tmp_path, "b"), shared, "quick", "--hypothesis-seed=2")
    assert status == 0 and examples[0] != str(FOUND)


def _suite(database: Path, report_dir: Path, profile: str, *more: str) -> tuple[int, dict]:
    """The real suite on a zoo mutant's Linear, with the shared database: status, report."""
    command = [
        sys.executable, "-m", "pytest", "tests/test_forward.py", "-k", "Linear",
        "--impl", SUITE_MUTANT, "--device", "cpu", "--dtype", "float32",
        "-p", "no:cacheprovider", "-q", f"--hypothesis-profile={profile}",
        f"--example-db={database}", "--report-dir", str(report_dir), *more,
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S
    )
    report = report_dir / "conformance.json"
    assert report.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    return done.returncode, json_report.load(report)


def test_the_suites_own_option_replays_a_failure_from_the_shared_database(tmp_path: Path):
    """conftest.py's --example-db, end to end: A (compile: 3 examples, with shrinking)
    saves its failure to the folder; B (smoke: one example, reported as found:
    --shrink-budget 0) fails first on A's shrunk one, which B could not have drawn and
    shrunk by itself. The mutant fails two ways (a shape error, wrong values); both
    profiles report one failure, the smallest, so both report the same one."""
    shared = tmp_path / "shared-example-db"
    status, a = _suite(shared, tmp_path / "a", "compile")
    assert status == 1 and any(p.is_file() for p in shared.rglob("*"))
    assert a["run"]["example_db"] == str(shared) and a["run"]["seed"] is None
    (found,) = [r for r in a["results"] if r["outcome"] == "failed"]
    assert f"--example-db={shared}" in found["replay"]

    status, b = _suite(shared, tmp_path / "b", "smoke", "--shrink-budget", "0")
    (again,) = [r for r in b["results"] if r["outcome"] == "failed"]
    assert status == 1 and again["nodeid"] == found["nodeid"]
    assert again["failure"]["example"] == found["failure"]["example"]
