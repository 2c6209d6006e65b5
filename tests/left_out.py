"""What the running test left out of its drawn cases, and why; it travels in the item's stash.

A property rejects a drawn case for reasons that say nothing against the layer: a known
failure covers it (tests/known_failures/), it needs a constructor argument this torch
release lacks (tests/cases.py), or the execution path cannot run its configuration
(onnxruntime cannot load what the exporter wrote for an unbatched loss). When every case
of a cell was left out, the cell ends as that known failure, "not-in-release" or
"unsupported" (tests/plugin/property_run.py), so the tally is kept per test item, in its
stash, while its body runs.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest


@dataclass
class LeftOut:
    """The cases one test left out: per known failure id, and per argument lacked."""

    known_failures: Counter[str] = field(default_factory=Counter)
    # Draws rejected for an argument the constructor lacks, by what it lacks; whether the
    # constructor was torch's (a release predating the argument) or another implementation's.
    missing_arguments: Counter[str] = field(default_factory=Counter)
    torch_lacks: bool = True
    # Draws the execution path could not run, by the path's reason.
    unsupported: Counter[str] = field(default_factory=Counter)


LEFT_OUT = pytest.StashKey[LeftOut]()
_RUNNING: contextvars.ContextVar[LeftOut | None] = contextvars.ContextVar("left_out", default=None)


def running() -> LeftOut:
    """The running test's tally (outside a test, e.g. a benchmark, one nobody reads)."""
    return _RUNNING.get() or LeftOut()


@contextlib.contextmanager
def tracking(item: pytest.Item) -> Iterator[LeftOut]:
    """Tally what `item`'s body leaves out, into a fresh LeftOut in its stash."""
    tally = item.stash[LEFT_OUT] = LeftOut()
    token = _RUNNING.set(tally)
    try:
        yield tally
    finally:
        _RUNNING.reset(token)
