"""Compile once, judge many: every judgement is drawn before the first one runs.

Once a failure's shrink budget is spent, a shrinking candidate whose draws never ran
before is turned away at its first new draw (tests/shrink_budget.py). A candidate that
changed only a later judgement's values used to compile or export at its first call
before its later draws came: on onnxruntime a report came up to a minute past its
budget. judged_cases now draws every judgement, and what a property draws for each (a
grad_output), before the first runs, in the order they were drawn one by one.
"""

from __future__ import annotations

import torch
from hypothesis import given, settings, strategies as st

from spec.registry import layer_named
from tests import cases, flight_recorder
from tests.paths import by_name
from tests.paths.routing import active


class _Logged:
    """A test's `data`, logging each draw to `events`."""

    def __init__(self, data: st.DataObject, events: list[str]) -> None:
        self._data, self._events = data, events

    def draw(self, strategy: st.SearchStrategy, label: object = None) -> object:
        self._events.append("draw")
        return self._data.draw(strategy, label=label)


def test_every_judgement_is_drawn_before_the_first_runs(monkeypatch):
    events: list[str] = []
    monkeypatch.setattr(flight_recorder, "record", lambda *_: events.append("record"))
    path = by_name("compile:aot_eager")
    ran: list[int] = []

    @settings(max_examples=3, database=None, deadline=None)
    @given(st.data())
    def judge(data: st.DataObject) -> None:
        logged = _Logged(data, events)
        with active(path):
            case = cases.draw_case(logged, layer_named("Linear"), "float32", "cpu", torch.nn)
            events.clear()
            judged = cases.judged_cases(
                logged, case, draw_more=lambda _case: logged.draw(st.integers(0, 9))
            )
            # Drawn: the other judgements' values and one more draw each, none run yet.
            assert "record" not in events
            assert events.count("draw") >= path.judgements
            events.clear()
            extras = [extra for _case, extra in judged]
            # Each judgement recorded as it runs, with nothing more drawn.
            assert events == ["record"] * len(extras)
            assert all(isinstance(extra, int) for extra in extras)
            ran.append(len(extras))

    judge()
    assert ran and max(ran) == path.judgements > 1
