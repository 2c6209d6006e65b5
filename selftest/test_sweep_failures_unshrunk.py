"""A sweep's failure is reported as found, not shrunk.

The rediscovery bench put 100 to 190 s between a Conv2d sweep's first wrong configuration
(about 10 s into the cell) and its red: Hypothesis shrank the sweep's one draw, the seed of
its configurations, and every shrink step reran up to a whole sweep. A smaller seed is
only another sweep, so the corner pass runs a sweep's corner without the shrink phase
(tests/corners.py: CORNER_SHRINKS), and every other corner as before. The report says
which examples were not shrunk, and why (Failure.not_minimal).
"""

from __future__ import annotations

from hypothesis import strategies as st

from report import interface
from spec.exact import Sweep
from spec.registry import LAYERS, layer_named
from tests import corners

CORNER = {"exact case": "a sweep"}


def _values_run(shrinks: bool, runs_that_fail: int = 2) -> tuple[list[int], str]:
    """The values a corner whose body fails on any value above 0, in its first
    `runs_that_fail` runs (the first, and the rerun that shrinks), was called with, and
    why the report calls its example not minimal."""
    values: list[int] = []
    runs = [0]
    run_corner = corners._run_corner

    def counting_runs(*args, **kwargs):
        runs[0] += 1
        return run_corner(*args, **kwargs)

    def inner(data):
        values.append(data.draw(st.integers(0, 2**20), label="sweep seed"))
        if runs[0] <= runs_that_fail:
            assert values[-1] == 0, "every configuration of this seed's sweep is wrong"

    corners._run_corner = counting_runs
    try:
        with interface.running(interface.Declared()) as declared:
            list(corners.run(inner, {}, [CORNER], run_seed=3, shrinks=lambda corner: shrinks))
    except AssertionError:
        return values, declared.not_minimal
    finally:
        corners._run_corner = run_corner
    raise AssertionError("the corner's failure was not raised")


def test_a_corner_that_does_not_shrink_reports_its_first_failure():
    values, not_minimal = _values_run(shrinks=False)
    assert values[-1] == values[0] > 1  # the first failing draw, replayed as found
    assert len(set(values)) == 1
    assert not_minimal == corners.NOT_SHRUNK_CORNER


def test_a_corner_that_shrinks_reports_the_smallest_failure():
    values, not_minimal = _values_run(shrinks=True)
    assert values[-1] == 1
    assert not_minimal == ""


def test_a_failure_that_does_not_recur_is_reported_as_found():
    values, not_minimal = _values_run(shrinks=True, runs_that_fail=1)
    assert values[0] > 1 and not_minimal == corners.NOT_RECURRED


def test_only_the_sweeps_among_exact_corners_go_unshrunk():
    conv2d = layer_named("Conv2d")
    shrinks = corners.CORNER_SHRINKS["exact cases"](conv2d)
    verdicts = {case.name: shrinks({"exact case": case.name}) for case in conv2d.exact}
    assert verdicts == {case.name: not isinstance(case, Sweep) for case in conv2d.exact}
    assert False in verdicts.values() and True in verdicts.values()
    swept = [spec.name for spec in LAYERS if any(isinstance(c, Sweep) for c in spec.exact)]
    assert "Conv1d" in swept and "Conv2d" in swept
