"""Shrinking within a time budget, with Hypothesis' public API alone.

Hypothesis shrinks a failure until it finds no smaller one, or for up to minutes; on a
compiling path every shrink step compiles anew. It offers no setting that stops
shrinking after a time and still reports the smallest failure found so far. This module
gets that effect from outside: every value a test body draws is fingerprinted, and once
the budget has passed since the test's first failure, an example whose draws so far are
not those of a failing example is rejected (`hypothesis.reject`) at the next point where
the harness is about to run something (`flight_recorder.record`), before any torch call.
The shrinker's remaining candidates then cost a few draws each and are spent at once,
and Hypothesis replays the smallest failure found, whose draws pass the gate.

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
from tests.corners import CornerLeftOutError

# The default budget, in seconds from a test's first failure (--shrink-budget).
DEFAULT_BUDGET_S = 60.0


@dataclasses.dataclass
class _Budget:
    seconds: float | None = DEFAULT_BUDGET_S
    first_failure: float | None = None
    # The fingerprints of each failing example's draws, and of the running example's.
    failing: list[tuple[str, ...]] = dataclasses.field(default_factory=list)
    drawn: list[str] = dataclasses.field(default_factory=list)
    # Whether a budgeted body is running: the gate turns nothing away outside one (a
    # selftest calling a property's helpers after a nested run spent its budget).
    running: bool = False


_budget = _Budget()


def start_test(seconds: float | None) -> None:
    """A test begins: its failures, and the clock from the first, start afresh; `seconds`
    is its budget (None: unbounded, as Hypothesis alone)."""
    global _budget
    _budget = _Budget(seconds=seconds)


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
    return repr(value)


class _Recorded:
    """A test's `data` whose draws are fingerprinted; everything else is the original's."""

    def __init__(self, data: Any) -> None:
        self._data = data

    def draw(self, strategy: Any, label: Any = None) -> Any:
        value = self._data.draw(strategy, label=label)
        _budget.drawn.append(fingerprint(value))
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
        except CornerLeftOutError:
            raise  # a corner that gives up (tests/corners.py) is no failure of the layer
        except Exception:
            _failed()
            raise
        finally:
            budget.running = False

    body.budgeted = True  # type: ignore[attr-defined]
    return body


def _failed() -> None:
    if _budget.first_failure is None:
        _budget.first_failure = time.monotonic()
    _budget.failing.append(tuple(_budget.drawn))


def spent() -> bool:
    """The running test's budget has passed since its first failure."""
    return (
        _budget.seconds is not None
        and _budget.first_failure is not None
        and time.monotonic() - _budget.first_failure >= _budget.seconds
    )


def gate() -> None:
    """About to run the drawn example: once the budget is spent, only an example whose
    draws so far are those of a failing one goes on; any other is rejected."""
    if not _budget.running or not spent():
        return
    drawn = tuple(_budget.drawn)
    if any(failing[: len(drawn)] == drawn for failing in _budget.failing):
        return
    interface.example_not_minimal(
        f"shrinking stopped when its --shrink-budget of {_budget.seconds:g} s ran out"
    )
    reject()
