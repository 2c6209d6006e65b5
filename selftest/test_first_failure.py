"""A cell's first failure is on the terminal at once, before shrinking, with its replay.

The report gives a failing cell once shrinking ends, up to --shrink-budget seconds later
(report/first_failure.py). A real run of the suite against a mutant, on an xdist
worker as CI runs it: the announcement reaches stderr past the worker's capture, and names
the cell's replay line with the options that decided the verdict.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

from report import first_failure
from report.first_failure import HEADLINE
from selftest.test_report_fakes import REPO

# A mutant the forward property catches on its first examples (selftest/zoo).
MUTANT = "selftest.zoo.linear_drops_bias"
RUN_TIMEOUT_S = 300
NODEID = "tests/test_forward.py::test_forward[Linear-cpu-float32-eager]"


def _run(*extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable, "-m", "pytest", NODEID, "-p", "no:cacheprovider", "-q",
            "--impl", MUTANT, "--device", "cpu", "--dtype", "float32", "--no-report",
            "--hypothesis-profile=dev", "--hypothesis-seed=7", "-n", "1", *extra,
        ],
        cwd=REPO, capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
    )  # fmt: skip


def test_the_first_failure_is_announced_with_its_replay_line():
    done = _run("--ignore-known-failures")
    assert done.returncode == 1, done.stdout[-2000:]
    (headline,) = [line for line in done.stderr.splitlines() if line.startswith(HEADLINE)]
    assert NODEID in headline
    replay = next(line for line in done.stderr.splitlines() if line.startswith("  replay: "))
    assert f"pytest {NODEID}" in replay.replace("'", "")
    assert "--impl" in replay and "--ignore-known-failures" in replay
    assert "shrinking it for up to 60 s" in done.stderr


def test_a_failure_reported_at_once_is_not_announced_twice():
    done = _run("--shrink-budget", "0")
    assert done.returncode == 1, done.stdout[-2000:]
    assert HEADLINE not in done.stderr


def test_the_rediscovery_bench_times_the_announcement():
    path = Path(REPO) / "bench" / "rediscovery.py"
    spec = importlib.util.spec_from_file_location("rediscovery_bench_first", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    script = (
        "import sys, time; time.sleep(0.3); "
        f"sys.stderr.write({HEADLINE!r} + ' t::x: E\\n'); sys.stderr.flush(); "
        "time.sleep(3.0); print('FAILED t::x'); sys.exit(1)"
    )
    started = time.perf_counter()
    went_red, stopped, first = bench.red([sys.executable, "-c", script])
    total = time.perf_counter() - started
    assert went_red and not stopped
    # The line's time, not the exit's: seconds apart, so no load can blur them.
    assert first is not None and 0.3 <= first < total - 1.0


class _Plugins:
    @staticmethod
    def getplugin(name: str) -> None:
        return None


class _Config:
    pluginmanager = _Plugins()


class _BareItem:
    """An item with no stash: building the announcement raises inside it."""

    nodeid = "t::x"
    config = _Config()


def test_an_announcement_that_cannot_be_built_still_names_the_failure(capsys):
    announce = first_failure.announcer(_BareItem(), 60.0)
    announce(ValueError("boom"))
    said = capsys.readouterr().err
    assert f"{HEADLINE} t::x: ValueError" in said
