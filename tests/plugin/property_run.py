"""A property's run: its random examples, then the corner pass, with what they left out
and the statistical assertions they made.

A cell whose every drawn case a known failure covers ends as that known failure; one whose
every case needs an argument the torch release lacks ends "not-in-release", one none of
whose cases the execution path could run "unsupported" (the tally is in the item's
stash, tests/left_out.py).
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable

import pytest
import torch
from hypothesis.errors import FailedHealthCheck, Unsatisfiable

from report import interface
from spec import statistics
from tests import corners, impl, left_out, shrink_budget
from tests.paths import PathCannotRun
from tests.plugin import options
from tests.plugin.corner_pass import run_corners


# trylast: inside the report plugin's own wrapper, so the corner pass's examples and
# coverage count for the item.
@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_call(item: pytest.Item) -> object:
    made_before = statistics.assertions_made()
    budget_s = item.config.stash[options.SHRINK_BUDGET_S]
    shrink_budget.start_test(budget_s, interface.first_failure_announcer(item, budget_s))
    _wrap_the_body(getattr(item, "obj", None))
    with left_out.tracking(item) as tally:
        try:
            result = yield
            run_corners(item)
            return result
        except (FailedHealthCheck, Unsatisfiable) as error:
            _everything_left_out(tally, error)
            raise
        except AssertionError as error:
            compared = compare_with_torch(item, error)
            if compared is None:
                raise
            raise compared from error
        finally:
            # Each statistical assertion spends the run's alpha: the report sums them.
            made = statistics.assertions_made() - made_before
            interface.count_statistical_assertions(item, made)
            # Draws an argument the constructor lacks, or the path, rejected: part of the
            # cell's coverage.
            rejected = {**tally.missing_arguments, **tally.unsupported}
            interface.count_rejected_draws(item, rejected)


def leaving_out_what_the_path_cannot_run(inner: Callable) -> Callable:
    """A Hypothesis test body (its public `hypothesis.inner_test`) under which an example
    the execution path cannot run is left out, counted by the path's reason, and another
    drawn (the zoo's runner wraps its copies the same way)."""
    if getattr(inner, "leaves_out", False):
        return inner

    @functools.wraps(inner)
    def body(*args: object, **kwargs: object) -> object:
        try:
            return inner(*args, **kwargs)
        except PathCannotRun as cannot:
            left_out.running().unsupported[cannot.reason] += 1
            corners.leave_out(cannot.reason)

    body.leaves_out = True  # type: ignore[attr-defined]
    return body


def _wrap_the_body(test: object) -> None:
    """Wrap the test's body in place, so that the corner pass, which runs it too, leaves
    out the same examples and shrinks within the same budget (tests/shrink_budget.py)."""
    hypothesis_test = getattr(test, "hypothesis", None)
    if hypothesis_test is not None:
        hypothesis_test.inner_test = shrink_budget.budgeted(
            leaving_out_what_the_path_cannot_run(hypothesis_test.inner_test)
        )


def compare_with_torch(item: pytest.Item, error: AssertionError) -> Exception | None:
    """Under --compare-torch, a cell an implementation fails runs again through torch.nn on
    the same draws (the same seed); the failure then says whether torch passes it: "you
    differ from torch", or "torch differs from the mathematics too"."""
    if not item.config.getoption("nnconform_compare_torch"):
        return None
    nn = item.funcargs.get("nn")
    if nn is None or impl.is_torch(nn):
        return None
    takes = inspect.signature(item.obj).parameters
    arguments = {name: value for name, value in item.funcargs.items() if name in takes}
    arguments["nn"] = impl.Provided(torch.nn)
    try:
        item.obj(**arguments)
        verdict = (
            "torch.nn passes this cell on the same draws: the implementation differs from torch"
        )
    except AssertionError as torch_error:
        first = str(torch_error).strip().splitlines()[0] if str(torch_error).strip() else ""
        verdict = f"torch.nn fails this cell too, differing from the mathematics: {first}"
    except BaseException as other:
        verdict = f"torch.nn did not run this cell: {type(other).__name__}: {other}"
    found = error.failure if isinstance(error, interface.ConformanceError) else None
    base = found or interface.Failure(message=str(error).strip())
    failure = dataclasses.replace(base, message=f"{base.message} [--compare-torch: {verdict}]")
    return interface.ConformanceError(failure)


def _everything_left_out(tally: left_out.LeftOut, error: BaseException) -> None:
    """End the cell by why every case was left out, if a known reason covers them all."""
    if not tally.known_failures and tally.missing_arguments:
        missing = "; ".join(sorted(tally.missing_arguments))
        outcome = "not-in-release" if tally.torch_lacks else "not-provided"
        interface.not_run(outcome, f"every case drawn here needs an argument: {missing}")
    if not tally.known_failures and tally.unsupported:
        reasons = "; ".join(sorted(tally.unsupported))
        interface.not_run("unsupported", f"no case drawn here could run: {reasons}")
    if tally.known_failures:
        ids = ", ".join(sorted(tally.known_failures))
        reason = f"every case drawn here is inside known torch failure {ids}"
        interface.known_failure(reason, interface.Failure(reason, example=str(error)[:500]))
