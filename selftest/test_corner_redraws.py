"""A corner whose draw a known failure carves out draws again before it gives up.

Found by the rediscovery bench on export:strict: the exact case "constant channels, tiny
eps" ran once per cell as a corner, and when its free draws included BatchNorm's momentum
None (which export cannot trace: a recorded entry carves the case out), the corner
stopped unreached and the float16 invstd bug went unjudged (3 and 4 seeds of 5). A
left-out corner draw is now drawn again, CORNER_REDRAWS times, before the corner counts
as unreachable (tests/corners.py: leave_out).
"""

from __future__ import annotations

import pytest
from hypothesis import strategies as st

from tests import corners

CORNER = {"exact case": "constant groups, tiny eps"}


def test_a_corner_left_out_on_a_free_draw_draws_again_and_runs():
    calls: list[int] = []

    def inner(data):
        calls.append(data.draw(st.integers(0, 100), label="free"))
        if len(calls) <= 2:
            corners.leave_out("a known failure covers this free draw")

    assert list(corners.run(inner, {}, [CORNER], run_seed=1)) == []
    assert len(calls) == 3


def test_a_corner_left_out_on_every_draw_is_reported_unreached():
    calls: list[int] = []

    def inner(data):
        calls.append(data.draw(st.integers(0, 100), label="free"))
        corners.leave_out("a known failure covers the corner's own classes")

    unreached = list(corners.run(inner, {}, [CORNER], run_seed=1))
    assert unreached == ["exact case=constant groups, tiny eps"]
    assert len(calls) > corners.CORNER_REDRAWS


def test_a_corner_that_gives_up_is_not_shrunk():
    """Hypothesis takes the error that stops a corner for a failure: shrinking it reran the
    body up to its left-out draw 286 times here, a fifth of a conformance cell's time."""
    calls: list[int] = []

    def inner(data):
        calls.append(data.draw(st.integers(0, 100), label="free"))
        corners.leave_out("a known failure covers the corner's own classes")

    assert list(corners.run(inner, {}, [CORNER], run_seed=1)) != []
    assert len(calls) <= corners.CORNER_REDRAWS + 2


def test_a_failing_corner_is_still_shrunk():
    seen: list[int] = []

    def inner(data):
        value = data.draw(st.integers(0, 100), label="free")
        seen.append(value)
        assert value < 10

    with pytest.raises(AssertionError):
        list(corners.run(inner, {}, [CORNER], run_seed=1))
    assert seen[-1] == 10  # the smallest failing value, as a shrunk run reports it
