"""The corner pass: every pair of classes meets in every property, every run.

Random draws reach a rare class (padding='same' with an even kernel, ceil_mode with a
window running past the padding) only by luck in 10 or 30 examples, and a rare pair of
classes (that ceil-mode division with that window; replicate padding with a batched
input) rarer still. Bugs live in such pairs. After a property's Hypothesis run on a
layer, the corner pass runs the same test body once per row of a pairwise covering
array: a row fixes one class of every dimension (the spec's hyperparameter classes, its
input classes, and the mode), and the rows together put every two classes of two
dimensions in one row at least once. Each row is its own small Hypothesis run (the
values, shapes and other arguments are still drawn, and a failure shrinks and prints its
example as usual), seeded from the run's seed so a run replays.

The array is built greedily and deterministically (the same rows whatever the seed):
each row starts from the first pair nobody has met yet and fills every other dimension
with the class meeting the most new pairs, the dimension's last-listed class on a tie:
specs list each dimension's classes from the special to the general ("batch > 1",
"several channels"), so a row is special where a pair asks and general elsewhere.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import inspect
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NoReturn

from hypothesis import HealthCheck, Phase, given, note, reject, seed, settings, strategies as st
from hypothesis.errors import FailedHealthCheck, Unsatisfiable

from report import interface
from spec.exact import Sweep
from spec.fusion import FusablePair, norm_state_corners
from spec.layerspec import Interaction, LayerSpec
from spec.optimizer_plans import PLAN_CLASSES
from spec.optimizerspec import OptimizerSpec
from spec.values import VALUES_DIMENSION
from tests.layouts import CHANNELS_LAST, LAYOUT_DIMENSION, layout_classes, layout_impossible

# The mode is a class of every layer: the harness draws it (tests/cases.py draw_case).
MODE_CLASSES = ("train", "eval")

# The corner the running example is drawn in, if the corner pass runs it.
forced: contextvars.ContextVar[dict | None] = contextvars.ContextVar("corner", default=None)


# A corner fixes some classes and draws the rest freely; a known failure may carve out a
# draw for a free one (BatchNorm's momentum None, which export cannot trace, under the
# exact case "constant channels, tiny eps"), so a left-out draw is drawn again this many
# times before the corner counts as unreachable.
CORNER_REDRAWS = 8
_left_out_draws: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "left_out_draws", default=None
)


class CornerLeftOutError(BaseException):
    """Every draw of the corner was left out (a known failure covers its classes, or the
    release lacks an argument it needs): drawing again would only be left out again,
    hundreds of times, so the corner stops and is reported unreached.

    A BaseException, as PathCannotRun is: Hypothesis lets it through as no failure of the
    test. As an Exception it was one: Hypothesis formatted its traceback through pytest
    (which parses each frame's source file) and ran the example again to raise it, a
    tenth of a float32 conformance run (docs/benchmarks.md); and a property's own `except
    Exception` cannot take it for the layer's answer."""


def leave_out(why: str) -> NoReturn:
    """Leave the drawn case out: reject it (Hypothesis draws another); in a corner, after
    CORNER_REDRAWS such draws, stop the corner."""
    note(f"left out: {why}")
    if forced.get() is not None:
        counted = _left_out_draws.get()
        if counted is None or counted[0] >= CORNER_REDRAWS:
            raise CornerLeftOutError(why)
        counted[0] += 1
    reject()


Dimensions = Mapping[str, tuple[str, ...]]
# A pair of classes of two dimensions, each as "dimension=class", in dimension order.
Pair = tuple[str, str]


def classes_of(spec: LayerSpec, with_input: bool = True) -> dict[str, tuple[str, ...]]:
    """Every dimension a run must cover for `spec`: hyperparameters, input, mode."""
    dims = dict(spec.classes)
    if with_input:
        dims |= spec.input_classes
    return {**dims, "mode": MODE_CLASSES}


# The layer's value classes (spec/values.py ValueClass) as one dimension, with "any"
# (values over the whole domain) last, the general class.
ANY_VALUES = "any"


def value_dimensions(spec: LayerSpec) -> dict[str, tuple[str, ...]]:
    """The values dimension of a spec with value classes; nothing for one without."""
    if not spec.value_classes:
        return {}
    return {VALUES_DIMENSION: (*(vc.name for vc in spec.value_classes), ANY_VALUES)}


def forced_regimes(spec: LayerSpec, role: str) -> tuple[str, ...] | None:
    """The regimes the running corner's value class asks of `role` ("x" or
    "grad_output"); None when no corner asks for one (values over the whole domain)."""
    wanted = (forced.get() or {}).get(VALUES_DIMENSION)
    for value_class in spec.value_classes:
        if value_class.name == wanted:
            return getattr(value_class, role)
    return None


def value_label(spec: LayerSpec) -> str:
    """The coverage label of the running example's value class."""
    wanted = (forced.get() or {}).get(VALUES_DIMENSION)
    named = {vc.name for vc in spec.value_classes}
    return _label(VALUES_DIMENSION, wanted if wanted in named else ANY_VALUES)


def _label(dim: str, value: str) -> str:
    return f"{dim}={value}"


def labels(classes: Mapping[str, str]) -> list[str]:
    """Classes ({dimension: class}) as the coverage record spells them ('dimension=class')."""
    return [_label(dim, value) for dim, value in classes.items()]


def possible_pairs(dims: Dimensions, impossible: Callable[[Mapping[str, str]], bool]) -> set[Pair]:
    """Every pair of classes of two dimensions some configuration can have."""
    found = set()
    for first, second in itertools.combinations(dims, 2):
        for a, b in itertools.product(dims[first], dims[second]):
            if not impossible({first: a, second: b}):
                found.add((_label(first, a), _label(second, b)))
    return found


def covering_rows(
    dims: Dimensions,
    impossible: Callable[[Mapping[str, str]], bool],
    met: set[Pair] = frozenset(),
    interactions: Iterable[Interaction] = (),
) -> list[dict[str, str]]:
    """Rows (one class per dimension) in which every possible pair not already `met`
    meets at least once, and each interaction whose dimensions are all here meets whole
    in rows of its own (`Interaction.rows`; their other dimensions filled as for a pair)."""
    names = list(dims)
    if len(names) == 1:
        return [{names[0]: value} for value in dims[names[0]]]
    uncovered = possible_pairs(dims, impossible) - met
    starts = [
        dict(i.classes) for i in interactions if set(i.classes) <= set(names) for _ in range(i.rows)
    ]
    rows = []
    while uncovered or starts:
        if starts:
            row = starts.pop(0)
        else:
            first = min(uncovered, key=lambda pair: _pair_order(pair, dims))
            row = dict(label.split("=", 1) for label in first)
        for dim in names:
            if dim in row:
                continue
            row[dim] = _best_class(dim, dims, row, uncovered, impossible)
        rows.append({dim: row[dim] for dim in names})
        uncovered -= _pairs_of(row, names)
    return rows


def _pair_order(pair: Pair, dims: Dimensions) -> tuple[int, ...]:
    """Pairs in the order of their dimensions and classes as the spec lists them."""
    names = list(dims)
    order = []
    for label in pair:
        dim, value = label.split("=", 1)
        order += [names.index(dim), dims[dim].index(value)]
    return tuple(order)


def _pairs_of(row: Mapping[str, str], names: list[str]) -> set[Pair]:
    """The pairs a row (complete or not) meets, each in the dimensions' order `names`, as
    possible_pairs spells it."""
    present = [dim for dim in names if dim in row]
    return {(_label(a, row[a]), _label(b, row[b])) for a, b in itertools.combinations(present, 2)}


def _best_class(
    dim: str,
    dims: Dimensions,
    row: dict[str, str],
    uncovered: set[Pair],
    impossible: Callable[[Mapping[str, str]], bool],
) -> str:
    """The class of `dim` meeting the most uncovered pairs with the row so far (the last
    listed, the most general, on a tie), among those the row can have."""
    best, best_gain = None, -1
    for value in dims[dim]:
        trial = {**row, dim: value}
        if impossible(trial):
            continue
        gain = len(_pairs_of(trial, list(dims)) & uncovered)
        if gain >= best_gain:
            best, best_gain = value, gain
    # Every class impossible with this row: the row asks a spec for the impossible, which
    # then draws the nearest configuration it can (and the report counts what it got).
    return best if best is not None else dims[dim][-1]


def corners(spec: LayerSpec) -> list[dict[str, str]]:
    """The pairwise rows over the hyperparameter and input classes and the mode."""
    return covering_rows(classes_of(spec), spec.impossible, interactions=spec.interactions)


def value_class_dimensions(spec: LayerSpec) -> dict[str, tuple[str, ...]]:
    """The spec's classes and mode, and its value classes."""
    return {**classes_of(spec), **value_dimensions(spec)}


def value_class_corners(spec: LayerSpec) -> list[dict[str, str]]:
    """The pairwise rows over the classes, the mode and the value classes, for properties
    that draw an input and a grad_output: a value class meets every other class."""
    return covering_rows(
        value_class_dimensions(spec), spec.impossible, interactions=spec.interactions
    )


def layout_dimensions(spec: LayerSpec) -> dict[str, tuple[str, ...]]:
    """The spec's classes and mode, its value classes, and the input's memory layout
    (tests/layouts.py)."""
    return {**value_class_dimensions(spec), **layout_classes(spec)}


def layout_corners(spec: LayerSpec) -> list[dict[str, str]]:
    """Every pair of classes in channels_last, then one pairwise array over the classes
    and the layout for what is left (contiguous and strided with each class, each pair
    of classes once). channels_last has kernels of its own (NHWC), and its bugs sit in
    pairs of classes: it breaks a depthwise convolution only where the output is a
    strided single column, which one array over the layout and the classes together
    meets only by chance. A strided input is read by the generic kernels (or copied);
    the bugs recorded for it need values, not classes."""
    dims, impossible = classes_of(spec), layout_impossible(spec)
    rows = []
    if CHANNELS_LAST in layout_classes(spec)[LAYOUT_DIMENSION]:

        def in_channels_last(row: Mapping[str, str]) -> bool:
            return impossible({**row, LAYOUT_DIMENSION: CHANNELS_LAST})

        in_layout = covering_rows(dims, in_channels_last, interactions=spec.interactions)
        rows = [{**row, LAYOUT_DIMENSION: CHANNELS_LAST} for row in in_layout]
    everything = layout_dimensions(spec)
    met = set().union(*(_pairs_of(row, list(everything)) for row in rows))
    return rows + covering_rows(everything, impossible, met, spec.interactions)


def hyperparameter_corners(spec: LayerSpec) -> list[dict[str, str]]:
    """The pairwise rows over the hyperparameter classes alone, for properties that draw
    no input (init, parameters): input classes would only repeat their examples."""
    dims = dict(spec.classes)
    if not dims:
        return []
    return covering_rows(dims, spec.impossible)


def optimizer_dimensions(spec: OptimizerSpec) -> dict[str, tuple[str, ...]]:
    """An optimizer's hyperparameter classes and the training plan's (spec/optimizer_plans)."""
    return {**spec.classes, **PLAN_CLASSES}


def optimizer_corners(spec: OptimizerSpec) -> list[dict[str, str]]:
    """The pairwise rows over an optimizer's classes and its plan's: amsgrad meets a NaN
    gradient, nesterov a skipped zero_grad, in some row of every run."""
    return covering_rows(optimizer_dimensions(spec), spec.impossible)


def invalid_corners(spec: LayerSpec) -> list[dict[str, str]]:
    """Each kind of invalid configuration the spec draws, in each mode: a rejected input
    must leave the module unchanged, and training is where a module updates its state."""
    return [
        {"invalid kind": kind, "mode": mode} for kind in spec.invalid_kinds for mode in MODE_CLASSES
    ]


def exact_corners(spec: LayerSpec) -> list[dict[str, str]]:
    """Each of the spec's exact cases once: a run judges every case, not only those its
    random examples pick (one case of four went undrawn in 30 examples at one seed); and
    where the spec names input dimensions its exact cases meet (`exact_input_classes`),
    each case once in each class of each, the case's shape drawn inside it: a bug of
    some input ranks alone is met every run, not in the runs whose draws reach them."""
    rows = []
    for case in spec.exact:
        if isinstance(case, Sweep) or not spec.exact_input_classes:
            rows.append({"exact case": case.name})
            continue
        for dim in spec.exact_input_classes:
            rows += [{"exact case": case.name, dim: c} for c in spec.input_classes[dim]]
    return rows


def _input_classes_fixed(spec: LayerSpec, corner: Mapping[str, str] | None) -> dict:
    return {d: c for d, c in (corner or {}).items() if d in spec.input_classes}


def drawing_inside(spec: LayerSpec, corner: Mapping[str, str] | None) -> LayerSpec:
    """`spec`, its input shapes drawn inside the input classes `corner` fixes (an exact
    corner's): exact cases draw their shapes through `spec.input_shape(hp)`."""
    wanted = _input_classes_fixed(spec, corner)
    if not wanted:
        return spec

    def input_shape(hp: dict, _corner: dict | None = None) -> Any:
        return spec.input_shape(hp, wanted)

    return dataclasses.replace(spec, input_shape=input_shape)


def outside(spec: LayerSpec, corner: Mapping[str, str] | None, hp: dict, shape: tuple) -> dict:
    """The input classes `corner` fixes that (hp, shape) is not in: {dimension: class}."""
    wanted = _input_classes_fixed(spec, corner)
    if not wanted:
        return {}  # no classify: an exact case's shape may be one no corner draws
    got = spec.classify(hp, shape)
    return {d: c for d, c in wanted.items() if got.get(d) != c}


def exact_corner_shrinks(spec: LayerSpec) -> Callable[[Mapping[str, str]], bool]:
    """Whether an exact-case corner shrinks a failure: a sweep's does not. A sweep's
    example is one integer, the seed of its configurations: a smaller seed is not a
    simpler failure, only another sweep, and every shrink step reruns up to a whole sweep
    (3,000 configurations at `ci`), which put minutes between a sweep's first wrong
    configuration and its red. That configuration, small by construction and named in
    the failure, is reported as found."""
    sweeps = {case.name for case in spec.exact if isinstance(case, Sweep)}
    return lambda corner: corner.get("exact case") not in sweeps


# What a property file's CORNERS names: the corners its tests run after the random ones.
CORNER_KINDS = {
    "classes": corners,
    "classes and values": value_class_corners,
    "classes and layouts": layout_corners,
    "norm states": norm_state_corners,
    "hyperparameter classes": hyperparameter_corners,
    "invalid kinds": invalid_corners,
    "exact cases": exact_corners,
    "optimizer classes": optimizer_corners,
}
# The dimensions whose pairs each kind of corners covers (the report's "pairs possible").
CORNER_DIMENSIONS = {
    "classes": classes_of,
    "classes and values": value_class_dimensions,
    "classes and layouts": layout_dimensions,
    "hyperparameter classes": lambda spec: dict(spec.classes),
    "optimizer classes": optimizer_dimensions,
}
# Whether a kind's corner shrinks its failure, per spec (every corner does elsewhere).
CORNER_SHRINKS = {"exact cases": exact_corner_shrinks}
# The rows no configuration has, where a kind adds a dimension the spec does not know.
CORNER_IMPOSSIBLE = {"classes and layouts": layout_impossible}


def impossible_for(kind: str, spec: Any) -> Callable[[Mapping[str, str]], bool]:
    """The predicate of rows a kind of corners cannot ask of `spec`."""
    made = CORNER_IMPOSSIBLE.get(kind)
    return made(spec) if made else spec.impossible


# The spec a kind of corners is drawn from: the fixture that holds it, and its type.
CORNER_SUBJECTS = {
    "optimizer classes": ("optimizer", OptimizerSpec),
    "norm states": ("pair", FusablePair),
}
LAYER_SUBJECT = ("layer", LayerSpec)


def cornered(params: Mapping[str, Any], module: Any) -> tuple[Any, str] | None:
    """(spec, kind) of the corners a property runs on a cell, from its fixture values and
    its file's CORNERS ("classes" unless it says otherwise; False: none); None if none."""
    kind = getattr(module, "CORNERS", "classes")
    if not kind:
        return None
    fixture, spec_type = CORNER_SUBJECTS.get(kind, LAYER_SUBJECT)
    spec = params.get(fixture)
    return (spec, kind) if isinstance(spec, spec_type) else None


def covered(spec: LayerSpec, hp: dict, shape: tuple) -> list[str]:
    """The coverage labels ('dimension=class') of a drawn configuration."""
    return labels(spec.classify(hp, shape))


# Hypothesis runs the simplest example first: every draw at its minimum (one class, one
# channel, a batch of one, the lowest seed). A corner runs one example, so without this it
# would always be that one, and a pair of classes would meet only at its smallest sizes
# and values (a one-class cross entropy hides a wrong class weighting). The corner's first
# draw rejects the simplest example, so the example that runs is drawn at random.
CORNER_DRAW = st.integers(0, 2**16)


# Why a failing corner's example is the one first found (the report says it: interface.
# example_not_minimal).
NOT_SHRUNK_CORNER = "a sweep is not shrunk, and this is its first wrong configuration"
NOT_RECURRED = "it did not fail again when rerun to shrink it, as a crash that comes and goes"


def beyond_the_simplest(inner: Callable) -> Callable:
    """`inner`, rejecting the simplest example Hypothesis tries first."""

    @functools.wraps(inner)
    def body(*args: Any, data: Any, **kwargs: Any) -> Any:
        if data.draw(CORNER_DRAW, label="corner example") == 0:
            reject()
        return inner(*args, data=data, **kwargs)

    return body


def run(
    inner: Any,
    arguments: dict[str, Any],
    corner_list: list[dict[str, str]],
    run_seed: int,
    parent: settings | None = None,
    shrinks: Callable[[Mapping[str, str]], bool] | None = None,
) -> Iterator[str]:
    """Run a Hypothesis test's body `inner` once per corner; yield the corners left
    unreached.

    `arguments` are the test's fixture values (everything but `data`); `parent` the
    settings the corner runs derive from (the loaded profile by default); `shrinks` says
    whether a corner's failure is shrunk (CORNER_SHRINKS; by default all are). A corner whose
    every draw a known failure carves out (tests/known_failures/) cannot run: it is
    yielded, not failed, and the coverage record shows the pair missing.
    """
    names = [name for name in inspect.signature(inner).parameters if name != "data"]
    wanted = {name: arguments[name] for name in names}
    base = parent or settings.default
    unshrunk = tuple(phase for phase in base.phases if phase is not Phase.shrink)
    for index, corner in enumerate(corner_list):
        token = forced.set(corner)
        corner_seed = run_seed * 7919 + index
        try:
            # Run unshrunk first, and shrink only a failure, in a second run below. (When
            # CornerLeftOutError was an Exception, Hypothesis shrank a corner that gave up,
            # rerunning the body some 300 times to find a smaller example of nothing: a
            # fifth of a conformance cell's time.)
            _run_corner(inner, wanted, base, unshrunk, corner_seed)
        except (FailedHealthCheck, Unsatisfiable, CornerLeftOutError):
            yield ", ".join(f"{k}={v}" for k, v in corner.items())
        except Exception:
            # A failure: the same seed again, shrinking where the corner shrinks, so the
            # report shows the smallest example; if that run passes (a crash that comes
            # and goes), the first failure stands.
            if Phase.shrink not in base.phases:
                interface.example_not_minimal("the run's profile has no shrink phase")
            elif shrinks is not None and not shrinks(corner):
                interface.example_not_minimal(NOT_SHRUNK_CORNER)
            else:
                with contextlib.suppress(FailedHealthCheck, Unsatisfiable, CornerLeftOutError):
                    _run_corner(inner, wanted, base, base.phases, corner_seed)
                interface.example_not_minimal(NOT_RECURRED)
            raise
        finally:
            forced.reset(token)


def _run_corner(
    inner: Callable, wanted: dict[str, Any], base: settings, phases: tuple, corner_seed: int
) -> None:
    """One corner: one example of `inner` under `base` with `phases`, seeded."""
    counting = _left_out_draws.set([0])
    try:
        once = given(data=st.data())(beyond_the_simplest(inner))
        once = settings(
            base,
            phases=phases,
            max_examples=1,
            database=None,
            suppress_health_check=list(HealthCheck),
        )(once)
        seed(corner_seed)(once)(**wanted)
    finally:
        _left_out_draws.reset(counting)
