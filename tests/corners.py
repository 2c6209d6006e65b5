"""The corner pass: every class of every hyperparameter reaches every property, every run.

Random draws reach a rare class (padding='same' with an even kernel, ceil_mode with an
overhanging window) only by luck in 10 or 30 examples. After a property's Hypothesis run
on a layer, the corner pass runs the same test body once per corner: a corner fixes one
class of every dimension the spec declares (LayerSpec.classes) and of the mode (train or
eval), cycling through each dimension's classes, so max(len(classes)) corners cover
every class. Each corner is its own small Hypothesis run (the values, shapes and other
arguments are still drawn, and a failure shrinks and prints its example as usual),
seeded from the run's seed so a run replays.
"""

from __future__ import annotations

import contextvars
import inspect
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, given, seed, settings, strategies as st
from hypothesis.errors import FailedHealthCheck, Unsatisfiable

from spec.layerspec import LayerSpec

# The mode is a class of every layer: the harness draws it (tests/cases.py draw_case).
MODE_CLASSES = ("train", "eval")

# The corner the running example is drawn in, if the corner pass runs it.
forced: contextvars.ContextVar[dict | None] = contextvars.ContextVar("corner", default=None)


def classes_of(spec: LayerSpec) -> dict[str, tuple[str, ...]]:
    """Every dimension a run must cover for `spec`, the mode included."""
    return {**spec.classes, "mode": MODE_CLASSES}


def corners(spec: LayerSpec) -> list[dict[str, str]]:
    """A covering set: corner i takes class i (mod its count) of every dimension."""
    classes = classes_of(spec)
    count = max(len(values) for values in classes.values())
    return [{dim: values[i % len(values)] for dim, values in classes.items()} for i in range(count)]


def invalid_corners(spec: LayerSpec) -> list[dict[str, str]]:
    """One corner per kind of invalid configuration the spec draws."""
    return [{"invalid kind": kind} for kind in spec.invalid_kinds]


# What a property file's CORNERS names: the corners its tests run after the random ones.
CORNER_KINDS = {"classes": corners, "invalid kinds": invalid_corners}


def covered(spec: LayerSpec, hp: dict, shape: tuple) -> list[str]:
    """The coverage labels ('dimension=class') of a drawn configuration."""
    return [f"{dim}={value}" for dim, value in spec.classify(hp, shape).items()]


def run(
    inner: Any,
    arguments: dict[str, Any],
    corner_list: list[dict[str, str]],
    run_seed: int,
    parent: settings | None = None,
) -> Iterator[str]:
    """Run a Hypothesis test's body `inner` once per corner; yield the corners left
    unreached.

    `arguments` are the test's fixture values (everything but `data`); `parent` the
    settings the corner runs derive from (the loaded profile by default). A corner whose
    every draw a known failure carves out (tests/known_failures.py) cannot run: it is
    yielded, not failed, and the coverage record shows the class missing.
    """
    names = [name for name in inspect.signature(inner).parameters if name != "data"]
    wanted = {name: arguments[name] for name in names}
    for index, corner in enumerate(corner_list):
        token = forced.set(corner)
        try:
            once = given(data=st.data())(inner)
            once = settings(
                parent or settings.default,
                max_examples=1,
                database=None,
                suppress_health_check=list(HealthCheck),
            )(once)
            seed(run_seed * 7919 + index)(once)(**wanted)
        except (FailedHealthCheck, Unsatisfiable):
            yield ", ".join(f"{k}={v}" for k, v in corner.items())
        finally:
            forced.reset(token)
