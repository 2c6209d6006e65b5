"""Drawn training runs for the optimizer properties: parameters, steps, gradients, zero_grad.

A plan is what a training loop does to an optimizer, as data: the parameters (some
frozen), and for each step the zero_grad call before it and each parameter's share of
the loss. The loss is sum(p * r) over the parameters in it, so backward gives each such
parameter exactly r as its gradient (added to what it holds when zero_grad was skipped);
a parameter left out of the loss keeps what it holds (None after set_to_none). Its
classes (every gradient kind, every zero_grad call, general and dyadic arithmetic, a
frozen parameter or none) are reached every run by the corners, and every pair of them
by the corner pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from spec.optimizerspec import OptimizerSpec
from spec.strategies import from_class
from spec.values import fill, value_recipes

PLAN_CLASSES: Mapping[str, tuple[str, ...]] = {
    # What a parameter's gradient is at a step: drawn values, zeros (of both signs), no
    # gradient (left out of the loss), or values with NaN and +-inf among them.
    "gradient": ("values", "zero", "none", "nonfinite"),
    # The call before each step after the first: zero_grad(set_to_none=True), (False), or
    # none at all (gradients accumulate).
    "zero_grad": ("set_to_none", "zeros", "skipped"),
    # Drawn values and coefficients, or small integers times powers of two (and
    # power-of-two coefficients: spec/dyadic.py), where every correct step is exact.
    "arithmetic": ("general", "dyadic"),
    "frozen": ("none frozen", "one frozen"),
}

MAX_TRAINABLE = 3
MAX_STEPS = 4
MAX_DIMS = 3
MAX_SIZE = 4
# A parameter with a size-0 dimension: one draw in EMPTY_ONE_IN.
EMPTY_ONE_IN = 8
# Gradient kinds per (step, parameter): drawn values most of the time, so that a plan's
# steps mostly move; each other kind one draw in len(KIND_WEIGHTS) (plus the corner's).
KIND_WEIGHTS = ("values",) * 5 + ("zero", "none", "nonfinite")
# Dyadic values: k * 2^e with |k| <= DYADIC_INTEGER, e within DYADIC_EXPONENTS of the top.
DYADIC_INTEGER = 7
DYADIC_EXPONENTS = 4
# In a "nonfinite" gradient, one element is NaN and another (if any) +inf or -inf, so the
# class always holds both kinds; each other element is NaN, +inf or -inf with this
# probability.
NONFINITE_SHARE = 0.3


@dataclass(frozen=True)
class Plan:
    """A drawn training run."""

    params: tuple[np.ndarray, ...]  # starting values
    trainable: tuple[bool, ...]  # False: frozen (requires_grad False)
    zero_grad: tuple[str, ...]  # the call before step 2, 3, ...: a PLAN_CLASSES zero_grad class
    # Per step, per parameter: r in the loss sum(p * r), or None when left out of it.
    losses: tuple[tuple[np.ndarray | None, ...], ...]
    classes: Mapping[str, tuple[str, ...]]  # the classes the plan reaches, per dimension

    @property
    def steps(self) -> int:
        return len(self.losses)


def dyadic_fill(shape: tuple[int, ...], seed: int, top: float) -> np.ndarray:
    """k * 2^e with integer |k| <= DYADIC_INTEGER and |value| <= top, zeros included."""
    rng = np.random.default_rng(seed)
    highest = int(np.floor(np.log2(top / DYADIC_INTEGER)))
    exponents = rng.integers(highest - DYADIC_EXPONENTS, highest + 1, shape)
    return rng.integers(-DYADIC_INTEGER, DYADIC_INTEGER + 1, shape) * np.exp2(exponents)


def nonfinite_fill(values: np.ndarray, seed: int) -> np.ndarray:
    """`values` with a NaN, an infinity and NONFINITE_SHARE of the other elements replaced
    by NaN, +inf or -inf (as many of these as it has elements)."""
    rng = np.random.default_rng(seed)
    hit = rng.random(values.shape) < NONFINITE_SHARE
    specials = rng.choice(np.array([np.nan, np.inf, -np.inf]), values.shape)
    sure = rng.permutation(values.size)[:2]
    hit.flat[sure] = True
    specials.flat[sure] = np.array([np.nan, rng.choice([np.inf, -np.inf])])[: sure.size]
    return np.where(hit, specials, values)


def value_arrays(shape: tuple[int, ...], top: float, dyadic: bool, label: str) -> st.SearchStrategy:
    """Values over the whole domain (spec/values.py), or dyadic ones."""
    if dyadic:
        return st.integers(0, 2**32 - 1).map(lambda seed: dyadic_fill(shape, seed, top))
    return value_recipes(label).map(lambda recipe: fill(shape, recipe[0], recipe[1], top))


@st.composite
def shapes(draw: st.DrawFn, label: str) -> tuple[int, ...]:
    """0 to MAX_DIMS dimensions of 1 to MAX_SIZE; now and then one of them 0 (no elements)."""
    shape = draw(st.lists(st.integers(1, MAX_SIZE), max_size=MAX_DIMS), label=label)
    if shape and draw(st.integers(0, EMPTY_ONE_IN - 1), label=f"{label} empty") == 0:
        shape[draw(st.integers(0, len(shape) - 1))] = 0
    return tuple(shape)


@st.composite
def gradient(
    draw: st.DrawFn, kind: str, shape: tuple, top: float, dyadic: bool, label: str
) -> np.ndarray | None:
    """A loss coefficient of `kind` (None: the parameter is left out of the loss)."""
    if kind == "none":
        return None
    if kind == "zero":
        signs = draw(st.integers(0, 2**32 - 1), label=f"{label} zero signs")
        return np.where(np.random.default_rng(signs).random(shape) < 0.5, 0.0, -0.0)
    values = draw(value_arrays(shape, top, dyadic, label), label=label)
    if kind == "nonfinite":
        values = nonfinite_fill(values, draw(st.integers(0, 2**32 - 1), label=f"{label} specials"))
    return values


def arithmetic_class(draw: st.DrawFn, corner: Mapping[str, str]) -> str:
    """The plan's arithmetic class: the corner's, or drawn (the hyperparameters follow it)."""
    options = {name: st.just(name) for name in PLAN_CLASSES["arithmetic"]}
    return from_class(draw, dict(corner), "arithmetic", options)[0]


@st.composite
def plans(draw: st.DrawFn, corner: Mapping[str, str], top: float, arithmetic: str) -> Plan:
    """A training run within the corner's plan classes, values up to |top|."""
    dyadic = arithmetic == "dyadic"
    frozen = from_class(
        draw, dict(corner), "frozen", {c: st.just(c) for c in PLAN_CLASSES["frozen"]}
    )[0]
    count = draw(st.integers(1, MAX_TRAINABLE), label="trainable parameters")
    trainable = (True,) * count + ((False,) if frozen == "one frozen" else ())
    param_shapes = [draw(shapes(f"shape {i}")) for i in range(len(trainable))]
    params = tuple(
        draw(value_arrays(shape, top, dyadic, f"param {i}"), label=f"param {i}")
        for i, shape in enumerate(param_shapes)
    )
    forced_zero_grad = corner.get("zero_grad")
    steps = draw(st.integers(2 if forced_zero_grad else 1, MAX_STEPS), label="steps")
    calls = [
        draw(st.sampled_from(PLAN_CLASSES["zero_grad"]), label="zero_grad")
        for _ in range(steps - 1)
    ]
    if forced_zero_grad:
        calls[draw(st.integers(0, steps - 2), label="forced zero_grad")] = forced_zero_grad
    kinds = [
        [draw(st.sampled_from(KIND_WEIGHTS), label="gradient") for _ in range(count)]
        for _ in range(steps)
    ]
    forced_kind = corner.get("gradient")
    if forced_kind:
        kinds[draw(st.integers(0, steps - 1))][draw(st.integers(0, count - 1))] = forced_kind
    losses = tuple(
        tuple(
            draw(gradient(kinds[s][i], param_shapes[i], top, dyadic, f"r {s}.{i}"))
            if i < count
            else None
            for i in range(len(trainable))
        )
        for s in range(steps)
    )
    classes = {
        "gradient": tuple(sorted({kind for row in kinds for kind in row})),
        "zero_grad": tuple(sorted(set(calls))),
        "arithmetic": (arithmetic,),
        "frozen": (frozen,),
    }
    return Plan(params, trainable, tuple(calls), losses, classes)


def run_corners(spec_corners: tuple[Mapping[str, str], ...]) -> list[dict[str, str]]:
    """Corners reaching every class of an optimizer and of the plan: corner i takes the
    spec's corner i and class i of every plan dimension (cyclically). Every class, not
    every pair: the pairs are the corner pass's (tests/corners.optimizer_corners)."""
    count = max(len(spec_corners), *(len(values) for values in PLAN_CLASSES.values()))
    return [
        {
            **spec_corners[i % len(spec_corners)],
            **{dim: values[i % len(values)] for dim, values in PLAN_CLASSES.items()},
        }
        for i in range(count)
    ]


@st.composite
def configurations(
    draw: st.DrawFn, spec: OptimizerSpec, corner: Mapping[str, str], top: float
) -> tuple[dict, dict, Plan]:
    """(the law's hyperparameters, the constructor's kwargs, a plan) within a corner.

    The kwargs leave out, when drawn so, every argument at its documented default: the
    law's hyperparameters stay complete, so a default that is not the documented one
    breaks the law.
    """
    arithmetic = arithmetic_class(draw, corner)
    hp = draw(spec.hyperparams(corner, arithmetic), label="hyperparameters")
    leave_defaults_out = draw(st.booleans(), label="defaults left out")
    kwargs = {
        name: value
        for name, value in hp.items()
        if not (leave_defaults_out and name in spec.defaults and value == spec.defaults[name])
    }
    return hp, kwargs, draw(plans(corner, top, arithmetic), label="plan")
