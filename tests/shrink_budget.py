"""Shrinking within a time budget, with Hypothesis' public API alone.

Hypothesis shrinks a failure until it finds no smaller one, or for up to minutes; on a
compiling path every shrink step compiles anew. It offers no setting that stops
shrinking after a time and still reports the smallest failure found so far. This module
gets that effect from outside: every value a test body draws is fingerprinted, and once
the budget has passed since the test's first failure, an example whose draws so far have
never been run past this point is rejected (`hypothesis.reject`) at the draw, before
anything drawn with it runs. The shrinker's remaining candidates then stop at their first
new draws, and Hypothesis replays the smallest failure found, whose draws all ran before.

Only draws never run past a point are turned away there: Hypothesis requires that the
same choices always lead to the same draws, and an example that once went on drawing
after a point and is now rejected there fails the run with FlakyStrategyDefinition
("Inconsistent data generation"), hiding the failure being shrunk.

A test whose shrinking the gate cut short reports its example as not minimal
(`interface.example_not_minimal`).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import reject
from hypothesis.errors import HypothesisException

from report import interface

# The default budget, in seconds from a test's first failure (--shrink-budget).
DEFAULT_BUDGET_S = 60.0


@dataclasses.dataclass
class _Budget:
    seconds: float | None = DEFAULT_BUDGET_S
    first_failure: float | None = None
    # The fingerprints of the running example's draws so far, and every such prefix an
    # example was let run past (the gate must let it past again).
    drawn: list[str] = dataclasses.field(default_factory=list)
    ran_past: set[tuple[str, ...]] = dataclasses.field(default_factory=set)
    # Whether a budgeted body is running: the gate turns nothing away outside one (a
    # selftest calling a property's helpers after a nested run spent its budget).
    running: bool = False
    # Told of the test's first failure, before any shrinking (report/first_failure.py).
    on_first_failure: Callable[[BaseException], None] | None = None


_budget = _Budget()


def start_test(
    seconds: float | None, on_first_failure: Callable[[BaseException], None] | None = None
) -> None:
    """A test begins: its failures, and the clock from the first, start afresh; `seconds`
    is its budget (None: unbounded, as Hypothesis alone); `on_first_failure` is called
    with the first failure's exception the moment it is raised."""
    global _budget
    _budget = _Budget(seconds=seconds, on_first_failure=on_first_failure)


def fingerprint(value: Any) -> str:
    """A short text that differs where two drawn values differ (arrays by their bytes)."""
    if isinstance(value, np.ndarray):
        digest = hashlib.blake2b(np.ascontiguousarray(value).tobytes(), digest_size=8)
        return f"array{value.shape}{value.dtype}:{digest.hexdigest()}"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k!r}:{fingerprint(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "(" + ",".join(fingerprint(v) for v in value) + ")"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return type(value).__name__ + fingerprint(fields)
    if callable(value) and hasattr(value, "__qualname__"):
        # By name, not by repr's address: a function a strategy makes afresh for each draw
        # would otherwise never match itself, and the gate would turn away the replay of
        # the failure it is shrinking (the draws in a conformance run hold ~100 functions).
        return f"{getattr(value, '__module__', '')}.{value.__qualname__}"
    return repr(value)


class _Recorded:
    """A test's `data` whose draws are fingerprinted; everything else is the original's."""

    def __init__(self, data: Any) -> None:
        self._data = data

    def draw(self, strategy: Any, label: Any = None) -> Any:
        value = self._data.draw(strategy, label=label)
        _budget.drawn.append(fingerprint(value))
        # A property that draws between the things it runs (training_steps draws each
        # step's batch and targets after the last step ran) would run the shrinker's
        # candidates past the budget, when they change only a draw no gate came after: a
        # CI run's float16 LeNet5 training cell shrank for 410 s on a 60-s budget.
        gate()
        return value

    def __getattr__(self, name: str) -> Any:
        return getattr(self._data, name)


def budgeted(inner: Callable) -> Callable:
    """A Hypothesis test body (`hypothesis.inner_test`) whose draws are fingerprinted and
    whose failures start the clock."""
    if getattr(inner, "budgeted", False):
        return inner

    @functools.wraps(inner)
    def body(*args: Any, **kwargs: Any) -> Any:
        budget = _budget
        budget.drawn = []
        if "data" in kwargs:
            kwargs["data"] = _Recorded(kwargs["data"])
        budget.running = True
        try:
            return inner(*args, **kwargs)
        except HypothesisException:
            raise  # a rejection, not a failure
        except interface.NotRun:
            raise  # a name the implementation lacks (an AttributeError too)
        except Exception as error:
            _failed(error)
            raise
        finally:
            budget.running = False

    body.budgeted = True  # type: ignore[attr-defined]
    return body


# The clock the budget is counted on (a selftest sets its own).
clock: Callable[[], float] = time.monotonic


def _failed(error: BaseException) -> None:
    if _budget.first_failure is None:
        _budget.first_failure = clock()
        if _budget.on_first_failure is not None:
            _budget.on_first_failure(error)


def spent() -> bool:
    """The running test's budget has passed since its first failure."""
    return (
        _budget.seconds is not None
        and _budget.first_failure is not None
        and clock() - _budget.first_failure >= _budget.seconds
    )


def gate() -> None:
    """About to run the drawn example: once the budget is spent, only draws that some
    example already ran past this point (the failing ones among them) go on; any other
    example is rejected."""
    if not _budget.running:
        return
    drawn = tuple(_budget.drawn)
    if drawn in _budget.ran_past or not spent():
        _budget.ran_past.add(drawn)
        return
    interface.example_not_minimal(
        f"shrinking stopped when its --shrink-budget of {_budget.seconds:g} s ran out"
    )
    reject()
