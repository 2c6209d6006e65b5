"""nn.Softmax over every valid dim, negative ones and the legacy implicit dim=None included."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from reference.activations import softmax_forward, softmax_implicit_dim, softmax_vjp
from spec.elementwise import MAX_RANK, MIN_RANK, no_params, same_shape
from spec.exact import ExactCase
from spec.inputs import Inputs
from spec.layerspec import InvalidCase, LayerSpec
from spec.strategies import MAX_FEATURES, from_class, sizes, tensor_shapes

# {} and dim=None both take torch's implicit dim (with a deprecation warning): dim 0 for
# ranks 0, 1 and 3, dim 1 otherwise, so for ranks 3 and 4 it is not the last dim; the
# input's rank decides which implicit class a configuration is in.
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


def classify(hp: dict, shape: tuple) -> dict:
    dim = hp.get("dim")
    if dim is None:
        last = softmax_implicit_dim(len(shape)) % max(1, len(shape)) == len(shape) - 1
        return {"dim": IMPLICIT_LAST if last or len(shape) == 0 else IMPLICIT_NOT_LAST}
    return {"dim": "negative" if dim < 0 else "non-negative"}


@st.composite
def hyperparams(draw: st.DrawFn, corner: dict | None = None) -> dict:
    return from_class(draw, corner or {}, "dim", DIM_CLASSES)[1]


def _dim(hp: dict, ndim: int) -> int:
    dim = hp.get("dim")
    return softmax_implicit_dim(ndim) if dim is None else dim


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
    axis = _dim(hp, len(shape)) % len(shape)
    shape[axis] = draw(sizes(1, MAX_FEATURES), label="size along dim")
    return tuple(shape)


def _axis(hp: dict, x: np.ndarray) -> int:
    return _dim(hp, x.ndim) % x.ndim


def forward(inputs):
    x = inputs.x
    return softmax_forward(x, _dim(inputs.hp, x.ndim)), {}


def vjp(inputs):
    x = inputs.x
    return softmax_vjp(x, _dim(inputs.hp, x.ndim), inputs.g)


def _relative_error_factor(x: np.ndarray, s: np.ndarray, axis: int) -> np.ndarray:
    """r_i, with torch's s_i off by at most ~eps * r_i * s_i."""
    # torch computes exp(x_i - m) / sum_j exp(x_j - m), m the max along the axis.
    # x_i - m is rounded (exact only when x_i and m are within a factor 2 of each other),
    # so exp's argument is off by eps * |x_i - m|, i.e. exp(x_i - m) is off by that much
    # relative, plus exp's own ulp; the sum inherits the weighted mean
    # sum_j s_j * |x_j - m| of those errors (its own roundings grow with sqrt(K)); the
    # quotient adds one more rounding. The 1 holds the roundings independent of x.
    distance = np.abs(x - np.max(x, axis=axis, keepdims=True))
    return 1.0 + distance + np.sum(s * distance, axis=axis, keepdims=True)


def forward_error(inputs):
    x = inputs.x
    axis = _axis(inputs.hp, x)
    s = softmax_forward(x, axis)
    return s * _relative_error_factor(x, s, axis), x.shape[axis]


def vjp_error(inputs):
    # torch computes s_i * (g_i - sum_j g_j s_j) from its rounded output s (error
    # eps * r_j * s_j each): the dot product is off by sum_j |g_j| s_j r_j (plus its
    # sqrt(K) roundings), g_i - dot and the final product by r_i * (|g_i| + |dot|).
    x = inputs.x
    axis = _axis(inputs.hp, x)
    s = softmax_forward(x, axis)
    r = _relative_error_factor(x, s, axis)
    g = np.abs(inputs.g)
    dot = np.sum(g * s, axis=axis, keepdims=True)
    dot_error = np.sum(g * s * r, axis=axis, keepdims=True)
    return {"input": (s * (r * (g + dot) + dot_error), x.shape[axis])}


# Powers of two up to this size along the softmax dim, for the equal-logits case.
MAX_LOG2_SIZE = 4


def _equal_logits(spec, hp, dtype):
    """Logits equal along dim (any value per slice), K = 2^j of them; small-integer grad_y."""

    @st.composite
    def build(draw):
        shape = list(draw(spec.input_shape(hp), label="input_shape"))
        axis = _dim(hp, len(shape)) % len(shape)
        shape[axis] = 2 ** draw(st.integers(0, MAX_LOG2_SIZE), label="log2 K")
        one = list(shape)
        one[axis] = 1
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="values seed"))
        x = np.broadcast_to(rng.uniform(-spec.max_magnitude, spec.max_magnitude, one), shape)
        grad_y = rng.integers(-2, 3, shape).astype(np.float64)
        return Inputs(x.copy(), hp, training=False, grad_y=grad_y)

    return build()


EXACT = (
    ExactCase(
        "equal logits",
        why=(
            "K equal logits: exp(x - max) = exp(0) = 1 exactly for each, the sum is K, and "
            "1/K is exact for K a power of two; the gradient s * (g - sum(g * s)) is "
            "(g - mean(g)) / K, a dyadic fraction of small integers, exact too"
        ),
        inputs=_equal_logits,
    ),
)


@st.composite
def invalid(draw: st.DrawFn, corner: dict | None = None) -> InvalidCase:
    rank = draw(st.integers(MIN_RANK, MAX_RANK), label="rank")
    beyond = draw(st.integers(0, 2), label="how far out of range")
    dim = draw(st.sampled_from([rank + beyond, -rank - 1 - beyond]), label="dim")
    shape = draw(tensor_shapes(rank, rank), label="shape")
    return InvalidCase({"dim": dim}, shape, IndexError, f"dim {dim} out of range for rank {rank}")


SPEC = LayerSpec(
    name="Softmax",
    # torch's documented defaults of the optional arguments (not device=/dtype=).
    defaults={"dim": None},
    hyperparams=hyperparams,
    input_shape=input_shape,
    forward=forward,
    vjp=vjp,
    out_shape=same_shape,
    param_shapes=no_params,
    forward_error=forward_error,
    vjp_error=vjp_error,
    invalid=invalid,
    max_magnitude=1e3,
    exact=EXACT,
    classes=CLASSES,
    classify=classify,
    shape_classes=("dim",),
)
