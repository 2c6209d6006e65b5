"""nn.Softmax over every valid dim, negative ones and the legacy implicit dim=None included."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from reference.activations import softmax_forward, softmax_implicit_dim, softmax_vjp
from spec.elementwise import MAX_RANK, MIN_RANK, no_params, same_shape
from spec.layerspec import InvalidCase, LayerSpec
from spec.strategies import MAX_FEATURES, sizes, tensor_shapes


def hyperparams() -> st.SearchStrategy[dict]:
    # {} and dim=None both take torch's implicit dim (with a deprecation warning).
    dims = st.one_of(st.none(), st.integers(-MAX_RANK, MAX_RANK - 1))
    return st.one_of(st.just({}), st.fixed_dictionaries({"dim": dims}))


def _dim(hp: dict, ndim: int) -> int:
    dim = hp.get("dim")
    return softmax_implicit_dim(ndim) if dim is None else dim


def _lowest_rank(dim: int | None) -> int:
    """The smallest rank for which dim is in range."""
    if dim is None:
        return MIN_RANK
    return max(MIN_RANK, dim + 1 if dim >= 0 else -dim)


@st.composite
def input_shape(draw: st.DrawFn, hp: dict) -> tuple:
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


@st.composite
def invalid(draw: st.DrawFn) -> InvalidCase:
    rank = draw(st.integers(MIN_RANK, MAX_RANK), label="rank")
    beyond = draw(st.integers(0, 2), label="how far out of range")
    dim = draw(st.sampled_from([rank + beyond, -rank - 1 - beyond]), label="dim")
    shape = draw(tensor_shapes(rank, rank), label="shape")
    return InvalidCase({"dim": dim}, shape, IndexError, f"dim {dim} out of range for rank {rank}")


SPEC = LayerSpec(
    name="Softmax",
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
)
