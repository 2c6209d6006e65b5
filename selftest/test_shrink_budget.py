"""Shrinking stops when its budget runs out, and the report says the example is not minimal.

Hypothesis has no public setting that bounds shrinking by time. tests/shrink_budget.py
gets it from outside: once the budget since a test's first failure is spent, an example
whose draws are not those of a failing one is rejected where the harness is about to run
it. These tests use a body whose "expensive" part (a compile, on a compiling path) comes
after the gate, as the properties' does after flight_recorder.record.
"""

from __future__ import annotations

import pytest
from hypothesis import Phase, given, seed, settings, strategies as st

from report import interface
from tests import shrink_budget

FAILS_ABOVE = 1000


def _failing_run(budget: float | None) -> tuple[list[list[int]], int, str]:
    """(the lists the expensive part ran on, how many ran after the first failure, why
    the report calls the example not minimal) for a body failing on sums above 1000."""
    ran: list[list[int]] = []
    first_failure = [None]

    def inner(data):
        values = data.draw(st.lists(st.integers(0, 2000), min_size=1, max_size=8))
        shrink_budget.gate()
        ran.append(values)
        if sum(values) > FAILS_ABOVE:
            if first_failure[0] is None:
                first_failure[0] = len(ran)
            raise AssertionError(f"sum {sum(values)} is above {FAILS_ABOVE}")

    test = given(data=st.data())(shrink_budget.budgeted(inner))
    test = settings(
        max_examples=200, database=None, phases=[p for p in Phase if p is not Phase.explain]
    )(test)
    shrink_budget.start_test(budget)
    with interface.running(interface.Declared()) as declared, pytest.raises(AssertionError):
        seed(7)(test)()
    return ran, len(ran) - first_failure[0], declared.not_minimal


def test_without_a_budget_the_failure_is_shrunk_as_far_as_hypothesis_goes():
    ran, _, not_minimal = _failing_run(None)
    assert ran[-1] == [FAILS_ABOVE + 1]
    assert not_minimal == ""


def test_a_spent_budget_runs_nothing_but_failing_examples_again():
    ran, after, not_minimal = _failing_run(0.0)
    assert sum(ran[-1]) > FAILS_ABOVE  # the reported example still fails
    failing = [values for values in ran if sum(values) > FAILS_ABOVE]
    assert all(values in failing for values in ran[-after:])
    assert after <= 3  # Hypothesis' replays of the failure, not a shrinker's hundreds
    assert "--shrink-budget of 0 s ran out" in not_minimal
    _, unbudgeted_after, _ = _failing_run(None)
    assert unbudgeted_after > 10 * max(after, 1)


def test_draws_are_fingerprinted_by_value():
    import numpy as np

    same = shrink_budget.fingerprint({"x": np.arange(3.0), "hp": (1, "a")})
    assert same == shrink_budget.fingerprint({"x": np.arange(3.0), "hp": (1, "a")})
    assert same != shrink_budget.fingerprint({"x": np.arange(3.0) + 1e-9, "hp": (1, "a")})
    big = np.zeros(5000)
    changed = big.copy()
    changed[2500] = 1.0  # repr() would print both as the same summary
    assert shrink_budget.fingerprint(big) != shrink_budget.fingerprint(changed)


def test_outside_a_budgeted_body_the_gate_turns_nothing_away():
    _failing_run(0.0)  # its budget is spent, and it stays the module's last
    shrink_budget.gate()  # a property's helper called by a selftest: no rejection
