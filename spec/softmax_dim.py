"""The `dim` argument of nn.Softmax and nn.LogSoftmax: every valid dim, negative ones and the
legacy implicit dim=None included, as classes, strategies and invalid cases both layers share.

{} and dim=None both take torch's implicit dim (with a deprecation warning): dim 0 for
ranks 0, 1 and 3, dim 1 otherwise, so for ranks 3 and 4 it is not the last dim; the
input's rank decides which implicit class a configuration is in.
"""

from __future__ import annotations

from hypothesis import strategies as st

from reference.activations import softmax_implicit_dim
from spec.elementwise import MAX_RANK, MIN_RANK
from spec.input_classes import ranks_by_class
from spec.layerspec import InvalidCase
from spec.strategies import from_class, sizes, tensor_shapes

IMPLICIT_LAST, IMPLICIT_NOT_LAST = "implicit, the last dim", "implicit, not the last dim"
DIM_CLASSES = {
    IMPLICIT_LAST: st.sampled_from([{}, {"dim": None}]),
    IMPLICIT_NOT_LAST: st.sampled_from([{}, {"dim": None}]),
    "negative": st.integers(-MAX_RANK, -1).map(lambda dim: {"dim": dim}),
    "non-negative": st.integers(0, MAX_RANK - 1).map(lambda dim: {"dim": dim}),
}
CLASSES = {"dim": tuple(DIM_CLASSES)}
# Ranks whose implicit dim is (not) the last one.
RANKS_BY_CLASS = {IMPLICIT_LAST: (1, 2), IMPLICIT_NOT_LAST: (3, 4)}
# The dim's class depends on the input's rank where it is implicit.
SHAPE_CLASSES = ("dim",)


# The ranks an input of the dim's class has; an explicit dim takes any (the same 1 to 4).
input_ranks = ranks_by_class("dim", RANKS_BY_CLASS)


def classify(hp: dict, shape: tuple) -> dict:
    dim = hp.get("dim")
    if dim is None:
        last = softmax_implicit_dim(len(shape)) % max(1, len(shape)) == len(shape) - 1
        return {"dim": IMPLICIT_LAST if last or len(shape) == 0 else IMPLICIT_NOT_LAST}
    return {"dim": "negative" if dim < 0 else "non-negative"}


@st.composite
def hyperparams(draw: st.DrawFn, corner: dict | None = None) -> dict:
    return from_class(draw, corner or {}, "dim", DIM_CLASSES)[1]


def dim_of(hp: dict, ndim: int) -> int:
    """The dim the layer reduces over for an input of rank `ndim`."""
    dim = hp.get("dim")
    return softmax_implicit_dim(ndim) if dim is None else dim


def axis_of(hp: dict, ndim: int) -> int:
    """That dim as a non-negative axis of a rank-`ndim` (>= 1) input."""
    return dim_of(hp, ndim) % ndim


def _lowest_rank(dim: int | None) -> int:
    """The smallest rank for which dim is in range."""
    if dim is None:
        return MIN_RANK
    return max(MIN_RANK, dim + 1 if dim >= 0 else -dim)


@st.composite
def input_shape(draw: st.DrawFn, hp: dict, corner: dict | None = None) -> tuple:
    ranks = RANKS_BY_CLASS.get((corner or {}).get("dim"))
    if hp.get("dim") is None and ranks is not None:
        rank = draw(st.sampled_from(ranks), label="rank for the corner")
        shape = list(draw(tensor_shapes(rank, rank), label="shape"))
    else:
        shape = list(draw(tensor_shapes(_lowest_rank(hp.get("dim")), MAX_RANK), label="shape"))
    # The reduction axis may be longer than the others: it is where rounding accumulates.
    shape[axis_of(hp, len(shape))] = draw(sizes(), label="size along dim")
    return tuple(shape)


@st.composite
def invalid(draw: st.DrawFn, corner: dict | None = None) -> InvalidCase:
    rank = draw(st.integers(MIN_RANK, MAX_RANK), label="rank")
    beyond = draw(st.integers(0, 2), label="how far out of range")
    dim = draw(st.sampled_from([rank + beyond, -rank - 1 - beyond]), label="dim")
    shape = draw(tensor_shapes(rank, rank), label="shape")
    return InvalidCase({"dim": dim}, shape, IndexError, f"dim {dim} out of range for rank {rank}")
