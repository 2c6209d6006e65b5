"""A sweep's failure is reported as found, not shrunk.

The rediscovery bench put 100 to 190 s between a Conv2d sweep's first wrong configuration
(about 10 s into the cell) and its red: Hypothesis shrank the sweep's one draw, the seed of
its configurations, and every shrink step reran up to a whole sweep. A smaller seed is
only another sweep, so the corner pass runs a sweep's corner without the shrink phase
(tests/corners.py: CORNER_SHRINKS), and every other corner as before.
"""

from __future__ import annotations

from hypothesis import strategies as st

from spec.exact import Sweep
from spec.registry import LAYERS, layer_named
from tests import corners

CORNER = {"exact case": "a sweep"}


def _values_run(shrinks: bool) -> list[int]:
    """The values a corner whose body fails on any value above 0 was called with."""
    values: list[int] = []

    def inner(data):
        values.append(data.draw(st.integers(0, 2**20), label="sweep seed"))
        assert values[-1] == 0, "every configuration of this seed's sweep is wrong"

    try:
        list(corners.run(inner, {}, [CORNER], run_seed=3, shrinks=lambda corner: shrinks))
    except AssertionError:
        return values
    raise AssertionError("the corner's failure was not raised")


def test_a_corner_that_does_not_shrink_reports_its_first_failure():
    values = _values_run(shrinks=False)
    assert values[-1] == values[0] > 1  # the first failing draw, replayed as found
    assert len(set(values)) == 1


def test_a_corner_that_shrinks_reports_the_smallest_failure():
    assert _values_run(shrinks=True)[-1] == 1


def test_only_the_sweeps_among_exact_corners_go_unshrunk():
    conv2d = layer_named("Conv2d")
    shrinks = corners.CORNER_SHRINKS["exact cases"](conv2d)
    verdicts = {case.name: shrinks({"exact case": case.name}) for case in conv2d.exact}
    assert verdicts == {case.name: not isinstance(case, Sweep) for case in conv2d.exact}
    assert False in verdicts.values() and True in verdicts.values()
    swept = [spec.name for spec in LAYERS if any(isinstance(c, Sweep) for c in spec.exact)]
    assert "Conv1d" in swept and "Conv2d" in swept
