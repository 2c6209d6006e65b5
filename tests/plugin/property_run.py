"""A property's run: its random examples, then the corner pass, with what they left out
and the statistical assertions they made.

A cell whose every drawn case a known failure covers ends as that known failure; one whose
every case needs an argument the torch release lacks ends "not-in-release" (the tally is
in the item's stash, tests/left_out.py).
"""

from __future__ import annotations

import pytest
from hypothesis.errors import FailedHealthCheck, Unsatisfiable

from report import interface
from spec import statistics
from tests import left_out
from tests.plugin.corner_pass import run_corners


# trylast: inside the report plugin's own wrapper, so the corner pass's examples and
# coverage count for the item.
@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_call(item: pytest.Item) -> object:
    made_before = statistics.assertions_made()
    with left_out.tracking(item) as tally:
        try:
            result = yield
            run_corners(item)
            return result
        except (FailedHealthCheck, Unsatisfiable) as error:
            _everything_left_out(tally, error)
            raise
        finally:
            # Each statistical assertion spends the run's alpha: the report sums them.
            made = statistics.assertions_made() - made_before
            interface.count_statistical_assertions(item, made)
            # Draws an argument the constructor lacks rejected: part of the cell's coverage.
            interface.count_rejected_draws(item, dict(tally.missing_arguments))


def _everything_left_out(tally: left_out.LeftOut, error: BaseException) -> None:
    """End the cell by why every case was left out, if a known reason covers them all."""
    if not tally.known_failures and tally.missing_arguments:
        missing = "; ".join(sorted(tally.missing_arguments))
        outcome = "not-in-release" if tally.torch_lacks else "not-provided"
        interface.not_run(outcome, f"every case drawn here needs an argument: {missing}")
    if tally.known_failures:
        ids = ", ".join(sorted(tally.known_failures))
        reason = f"every case drawn here is inside known torch failure {ids}"
        interface.known_failure(reason, interface.Failure(reason, example=str(error)[:500]))
