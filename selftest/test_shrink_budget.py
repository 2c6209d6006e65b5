"""Shrinking stops when its budget runs out, and the report says the example is not minimal.

Hypothesis has no public setting that bounds shrinking by time. tests/shrink_budget.py
gets it from outside: once the budget since a test's first failure is spent, an example
whose draws no earlier example ran past is rejected at its first such draw. These tests
use bodies whose "expensive" part (a compile, on a compiling path) comes after the draws,
as the properties' does; some also call the gate themselves between draws.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import Phase, given, seed, settings, strategies as st

from report import interface
from tests import shrink_budget

FAILS_ABOVE = 1000
PHASES = [p for p in Phase if p is not Phase.explain]


def _run(body, budget: float | None, expected: type[BaseException] = AssertionError) -> str:
    """Run a Hypothesis test of `body(data)` under `budget`, expecting it to raise
    `expected`; why the report calls its example not minimal."""
    test = given(data=st.data())(shrink_budget.budgeted(body))
    test = settings(max_examples=200, database=None, phases=PHASES)(test)
    shrink_budget.start_test(budget)
    with interface.running(interface.Declared()) as declared, pytest.raises(expected):
        seed(7)(test)()
    return declared.not_minimal


def _failing_run(budget: float | None) -> tuple[list[list[int]], int, str]:
    """(the lists the expensive part ran on, how many ran after the first failure, why
    the report calls the example not minimal) for a body failing on sums above 1000."""
    ran: list[list[int]] = []
    first_failure = [None]

    def body(data):
        values = data.draw(st.lists(st.integers(0, 2000), min_size=1, max_size=8))
        shrink_budget.gate()
        ran.append(values)
        if sum(values) > FAILS_ABOVE:
            if first_failure[0] is None:
                first_failure[0] = len(ran)
            raise AssertionError(f"sum {sum(values)} is above {FAILS_ABOVE}")

    not_minimal = _run(body, budget)
    return ran, len(ran) - first_failure[0], not_minimal


def test_without_a_budget_the_failure_is_shrunk_as_far_as_hypothesis_goes():
    ran, _, not_minimal = _failing_run(None)
    assert ran[-1] == [FAILS_ABOVE + 1]
    assert not_minimal == ""


def test_a_spent_budget_runs_nothing_but_what_ran_before():
    ran, after, not_minimal = _failing_run(0.0)
    assert sum(ran[-1]) > FAILS_ABOVE  # the reported example still fails
    assert all(values in ran[:-after] or sum(values) > FAILS_ABOVE for values in ran[-after:])
    assert after <= 3  # Hypothesis' replays of the failure, not a shrinker's hundreds
    assert "--shrink-budget of 0 s ran out" in not_minimal
    _, unbudgeted_after, _ = _failing_run(None)
    assert unbudgeted_after > 10 * max(after, 1)


def test_a_spent_budget_never_makes_the_draws_inconsistent(monkeypatch):
    """The gate between two draws: after the budget, a candidate whose first draw an
    earlier example ran past must run past it again, or Hypothesis ends the run with
    FlakyStrategyDefinition instead of the failure (what rejecting every prefix of no
    failing example did on compile:inductor's Conv2d gradients cell)."""
    calls = [0]
    monkeypatch.setattr(shrink_budget, "clock", lambda: float(calls[0]))
    ran_past_first: list[int] = []

    def body(data):
        calls[0] += 1
        first = data.draw(st.integers(0, 100))
        shrink_budget.gate()
        ran_past_first.append(first)
        second = data.draw(st.integers(0, 100))
        shrink_budget.gate()
        assert first + second < 150, "the sum is too large"

    not_minimal = _run(body, budget=20.0)  # spent 20 examples after the first failure
    assert "ran out" in not_minimal
    assert len(set(ran_past_first)) > 1


def test_a_draw_after_the_last_gate_is_gated_too():
    """A body that runs, draws again and runs on (a training step after a step) is gated
    at its draws: a candidate changing only the later draw does not run after the budget."""
    ran: list[tuple[int, int]] = []
    failed_at = [None]

    def body(data):
        first = data.draw(st.integers(0, 1000))
        shrink_budget.gate()
        second = data.draw(st.integers(0, 1000))  # no gate after it: only the draw's own
        ran.append((first, second))
        if first + second > FAILS_ABOVE:
            failed_at[0] = failed_at[0] or len(ran)
            raise AssertionError("the sum is too large")

    _run(body, budget=0.0)
    after = ran[failed_at[0] :]
    assert len(after) <= 3, f"{len(after)} examples ran after the first failure"


def test_outside_a_budgeted_body_the_gate_turns_nothing_away():
    _failing_run(0.0)  # its budget is spent, and it stays the module's last
    shrink_budget.gate()  # a property's helper called by a selftest: no rejection


def test_draws_are_fingerprinted_by_value():
    same = shrink_budget.fingerprint({"x": np.arange(3.0), "hp": (1, "a")})
    assert same == shrink_budget.fingerprint({"x": np.arange(3.0), "hp": (1, "a")})
    assert same != shrink_budget.fingerprint({"x": np.arange(3.0) + 1e-9, "hp": (1, "a")})
    big = np.zeros(5000)
    changed = big.copy()
    changed[2500] = 1.0  # repr() would print both as the same summary
    assert shrink_budget.fingerprint(big) != shrink_budget.fingerprint(changed)


def test_a_function_made_afresh_for_each_draw_matches_itself():
    def made() -> object:
        return lambda x: x  # a new object, at a new address, each call

    assert shrink_budget.fingerprint({"f": made()}) == shrink_budget.fingerprint({"f": made()})
