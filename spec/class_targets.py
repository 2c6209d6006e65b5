"""What NLLLoss and CrossEntropyLoss share: class weights, ignore_index, reductions, the input
ranks they take, class-index targets with and without ignored positions, and their
invalid calls.

The input is (C,), (N, C), (N, C, H, W) (the 2-D kernel, nll_loss2d) or (N, C, d1, ...)
of another rank (flattened to the 1-D kernel); the target holds a class index per
position. A position whose target equals ignore_index counts for nothing, and
ignore_index need not be a class: -100 (the default), a class (its targets are all
ignored) or any other negative number. The class weight is a constructor tensor (a
`TensorValue` in hp; the module keeps it as a buffer, rounded to the dtype), drawn
non-negative with exact zeros: a mean over targets of total weight 0 is 0/0.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import strategies as st

from reference.nll_loss import DEFAULT_IGNORE_INDEX, class_axis
from spec.arguments import CallArguments, TensorValue, indices
from spec.input_classes import ranks_by_class
from spec.layerspec import InvalidCase, LayerSpec
from spec.strategies import MAX_BATCH, from_class
from spec.values import fill

MAX_CLASSES = 6
# Spatial sizes d1, d2, ... stay small: a position is a whole softmax.
MAX_SPATIAL = 4
# Class weights: non-negative, exact zeros among them (the regimes' ties and signed zeros).
WEIGHT_TOP = 4.0
WEIGHT_REGIMES = ("normal", "ties", "signed_zeros", "log_uniform")

REDUCTION_CLASSES = {
    # Not given is torch's default, the mean.
    "mean": st.sampled_from([{}, {"reduction": "mean"}]),
    "sum": st.just({"reduction": "sum"}),
    "none": st.just({"reduction": "none"}),
}
WEIGHT_CLASSES = ("no weight", "weight")
IGNORE_CLASSES = {
    "default (-100)": st.sampled_from([{}, {"ignore_index": DEFAULT_IGNORE_INDEX}]),
    # A class (its targets are ignored) or just past the classes: still ignored if hit.
    "non-negative": st.integers(0, MAX_CLASSES + 1).map(lambda i: {"ignore_index": i}),
    "negative": st.integers(-5, -1).map(lambda i: {"ignore_index": i}),
}
RANK_CLASSES = ("(C,)", "(N, C)", "(N, C, H, W)", "(N, C, d1, ...) other rank")
# In the order of RANK_CLASSES, so the corner pass pairs "some ignored" with a batch.
INDEX_TARGET_CLASSES = ("none ignored", "some ignored", "all ignored")

CLASSES = {
    "reduction": tuple(REDUCTION_CLASSES),
    "weight": WEIGHT_CLASSES,
    "ignore_index": tuple(IGNORE_CLASSES),
    "input rank": RANK_CLASSES,
    "targets": INDEX_TARGET_CLASSES,
}


# The input ranks of each rank class (the other ranks drawn are 3 and 5).
input_ranks = ranks_by_class(
    "input rank", dict(zip(RANK_CLASSES, ({1}, {2}, {4}, {3, 5}), strict=True))
)


def impossible(classes: dict) -> bool:
    """One position (a (C,) input) is all ignored or none: never some."""
    return classes.get("input rank") == RANK_CLASSES[0] and classes.get("targets") == "some ignored"


def ignore_index(hp: dict) -> int:
    return hp.get("ignore_index", DEFAULT_IGNORE_INDEX)


def class_weight(hp: dict) -> np.ndarray | None:
    """The class weight as hp gives it (the module's buffer is this, rounded to the dtype)."""
    weight = hp.get("weight")
    return None if weight is None else weight.array()


def weight_values(classes: int) -> st.SearchStrategy[TensorValue]:
    """A non-negative class weight of `classes` values, exact zeros included."""
    regimes = st.lists(st.sampled_from(WEIGHT_REGIMES), min_size=1, max_size=3, unique=True)

    def weight(seed: int, names: list[str]) -> TensorValue:
        return TensorValue.of(np.abs(fill((classes,), seed, tuple(names), WEIGHT_TOP)))

    return st.builds(weight, st.integers(0, 2**32 - 1), regimes)


@st.composite
def loss_hyperparams(draw: st.DrawFn, corner: dict | None = None) -> dict:
    """reduction, weight and ignore_index, each from the class the corner names."""
    corner = corner or {}
    hp = dict(from_class(draw, corner, "reduction", REDUCTION_CLASSES)[1])
    hp |= from_class(draw, corner, "ignore_index", IGNORE_CLASSES)[1]
    weighted = corner.get("weight") or draw(st.sampled_from(WEIGHT_CLASSES), label="weight")
    if weighted == "weight":
        classes = draw(
            st.integers(fewest_classes(hp, corner), MAX_CLASSES),
            label="classes (the weight's length)",
        )
        hp["weight"] = draw(weight_values(classes), label="weight values")
    elif draw(st.booleans(), label="weight=None given"):
        hp["weight"] = None
    return hp


def unweighted_mean(spec: LayerSpec) -> st.SearchStrategy[dict]:
    """The loss's hyperparameters with reduction 'mean', no class weight and no label
    smoothing: the mean is the plain average of the per-position losses."""
    plain = {"reduction": "mean", "weight": None, "label_smoothing": 0.0}
    return spec.hyperparams().map(lambda hp: hp | {k: v for k, v in plain.items() if k in hp})


def fewest_classes(hp: dict, corner: dict) -> int:
    """A corner asking for counted targets needs a class that is not ignore_index: with
    ignore_index 0, two classes at least (one class, 0, would be ignored everywhere)."""
    counted = corner.get("targets") in INDEX_TARGET_CLASSES[:2]
    return 2 if counted and ignore_index(hp) == 0 else 1


def classify_loss(hp: dict, shape: tuple) -> dict:
    named = {DEFAULT_IGNORE_INDEX: "default (-100)"}
    ignored = ignore_index(hp)
    return {
        "reduction": hp.get("reduction", "mean"),
        "weight": "no weight" if hp.get("weight") is None else "weight",
        "ignore_index": named.get(ignored, "non-negative" if ignored >= 0 else "negative"),
        "input rank": rank_class(shape),
    }


def rank_class(shape: tuple) -> str:
    if len(shape) in (1, 2, 4):
        return RANK_CLASSES[{1: 0, 2: 1, 4: 2}[len(shape)]]
    return RANK_CLASSES[3]


@st.composite
def input_shape(draw: st.DrawFn, hp: dict, corner: dict | None = None) -> tuple:
    """An input of the rank class the corner names; C is the weight's length if given."""
    corner = corner or {}
    weight = hp.get("weight")
    if weight is not None:
        classes = len(weight)
    else:
        classes = draw(st.integers(fewest_classes(hp, corner), MAX_CLASSES), label="C")
    rank = corner.get("input rank") or draw(st.sampled_from(RANK_CLASSES), label="input rank")
    if rank == RANK_CLASSES[0]:
        return (classes,)
    # A corner asking for some targets ignored needs two positions at least.
    fewest = 2 if corner.get("targets") == "some ignored" else 1
    batch = draw(st.integers(fewest, MAX_BATCH), label="N")
    spatial_dims = {RANK_CLASSES[1]: 0, RANK_CLASSES[2]: 2}.get(rank)
    if spatial_dims is None:
        spatial_dims = draw(st.sampled_from([1, 3]), label="spatial dims")
    spatial = draw(
        st.lists(st.integers(1, MAX_SPATIAL), min_size=spatial_dims, max_size=spatial_dims),
        label="spatial sizes",
    )
    return (batch, classes, *spatial)


def positions(shape: tuple) -> tuple:
    """The target's shape: the input's without the class axis."""
    axis = class_axis(len(shape))
    return shape[:axis] + shape[axis + 1 :]


def classify_targets(target: np.ndarray, hp: dict) -> str:
    ignored = int(np.count_nonzero(target == ignore_index(hp)))
    if ignored == 0:
        return "none ignored"
    return "all ignored" if ignored == target.size else "some ignored"


def index_targets(rng: np.random.Generator, hp: dict, shape: tuple, wanted: str) -> np.ndarray:
    """Class indices for every position, the ignored ones as `wanted` says where it can be
    (a single position cannot be some-ignored; a lone class that is ignore_index cannot be
    a counted target): few distinct classes, so classes repeat."""
    classes = shape[class_axis(len(shape))]
    where = positions(shape)
    counted = [c for c in range(classes) if c != ignore_index(hp)] or [ignore_index(hp)]
    chosen = rng.choice(counted, size=rng.integers(1, len(counted) + 1), replace=False)
    target = indices(rng.choice(chosen, size=where))
    ignored = np.zeros(where, dtype=bool)
    if wanted == "all ignored":
        ignored[...] = True
    elif wanted == "some ignored" and target.size > 1:
        flat = ignored.reshape(-1)
        flat[rng.choice(flat.size, size=rng.integers(1, flat.size), replace=False)] = True
    return indices(np.where(ignored, ignore_index(hp), target))


@st.composite
def class_index_arguments(draw: st.DrawFn, hp: dict, shape: tuple, corner: dict) -> CallArguments:
    wanted = corner.get("targets") or draw(st.sampled_from(INDEX_TARGET_CLASSES), label="targets")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="target seed"))
    target = index_targets(rng, hp, shape, wanted)
    return CallArguments((target,), {"targets": classify_targets(target, hp)})


# ---- invalid calls ---------------------------------------------------------------------

INVALID_KINDS = (
    "target out of range",
    "negative target",
    "batch size mismatch",
    "spatial size mismatch",
    "weight of the wrong length",
    "floating-point class indices",
    "int32 class indices",
    "unknown reduction",
    "0-d input",
)


@st.composite
def invalid_call(
    draw: st.DrawFn,
    corner: dict | None,
    hyperparams: Callable[[], st.SearchStrategy[dict]],
    zero_d_error: type[BaseException],
) -> InvalidCase:
    """An invalid call of a class-index loss and torch's exception; `zero_d_error` is
    what the loss raises for a 0-d input."""
    hp = draw(hyperparams(), label="valid hp")
    kind = (corner or {}).get("invalid kind") or draw(st.sampled_from(INVALID_KINDS))
    classes = len(hp["weight"]) if hp.get("weight") is not None else draw(st.integers(1, 4))
    batch = draw(st.integers(1, 3), label="N")
    x = np.zeros((batch, classes))
    target = np.zeros(batch, dtype=np.int64)
    ignored = ignore_index(hp)
    if kind == "target out of range":
        wrong = draw(st.integers(classes, classes + 3).filter(lambda t: t != ignored))
        target[-1] = wrong
        return InvalidCase(hp, x.shape, IndexError, kind, x, (target,), in_kernel=True)
    if kind == "negative target":
        target[0] = draw(st.integers(-3, -1).filter(lambda t: t != ignored))
        return InvalidCase(hp, x.shape, IndexError, kind, x, (target,), in_kernel=True)
    if kind == "batch size mismatch":
        wrong = np.zeros(batch + draw(st.integers(1, 2)), dtype=np.int64)
        return InvalidCase(hp, x.shape, ValueError, kind, x, (wrong,))
    if kind == "spatial size mismatch":
        x = np.zeros((batch, classes, 2, 3))
        wrong = np.zeros((batch, 2, 4), dtype=np.int64)
        return InvalidCase(hp, x.shape, RuntimeError, kind, x, (wrong,))
    if kind == "weight of the wrong length":
        hp = {**hp, "weight": TensorValue.of(np.ones(classes + draw(st.integers(1, 2))))}
        return InvalidCase(hp, x.shape, RuntimeError, kind, x, (target,))
    if kind == "floating-point class indices":
        return InvalidCase(hp, x.shape, RuntimeError, kind, x, (target.astype(np.float64),))
    if kind == "int32 class indices":
        return InvalidCase(hp, x.shape, RuntimeError, kind, x, (target.astype(np.int32),))
    if kind == "unknown reduction":
        hp = {**hp, "reduction": draw(st.sampled_from(["avg", "Mean", "batchmean"]))}
        return InvalidCase(hp, x.shape, ValueError, kind, x, (target,))
    return InvalidCase(hp, (), zero_d_error, kind, np.zeros(()), (np.zeros((), np.int64),))
