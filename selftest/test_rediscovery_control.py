"""The rediscovery bench counts a seed only where the red is the forgotten entry's.

A forgotten entry's cell can be red for another bug: a recorded one met outside its
entry's scope, as cross_entropy_loss-half-smoothing-sum-overflows was on
compile:inductor-freezing while the mean entry's row counted its seeds. So a red seed is
rerun with the entry in force, and counted only if that control is green. The pytest
commands are pretended here, so the test holds on any machine and costs nothing.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_PATH = Path(__file__).resolve().parents[1] / "bench" / "rediscovery.py"
_spec = importlib.util.spec_from_file_location("rediscovery_bench_control", _PATH)
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

ENTRY = next(known for known in bench.KNOWN_FAILURES if known.id.endswith("mean-sum-overflows"))
FORGET = f"--forget-known-failure={ENTRY.id}"


def _pretend(monkeypatch, red_forgotten: bool, red_in_force: bool) -> list[list[str]]:
    ran = []

    def red(argv):
        ran.append(argv)
        return (red_forgotten if FORGET in argv else red_in_force), False, None

    monkeypatch.setattr(bench, "red", red)
    return ran


def test_a_red_that_the_entry_cannot_explain_is_not_counted(monkeypatch):
    ran = _pretend(monkeypatch, red_forgotten=True, red_in_force=True)
    assert not bench.run_once(ENTRY, "eager", 1)["found"]
    assert [FORGET in argv for argv in ran] == [True, False]


def test_a_red_that_goes_green_with_the_entry_is_counted(monkeypatch):
    _pretend(monkeypatch, red_forgotten=True, red_in_force=False)
    assert bench.run_once(ENTRY, "eager", 1)["found"]


def test_a_green_seed_runs_no_control(monkeypatch):
    ran = _pretend(monkeypatch, red_forgotten=False, red_in_force=False)
    assert not bench.run_once(ENTRY, "eager", 1)["found"]
    assert len(ran) == 1
