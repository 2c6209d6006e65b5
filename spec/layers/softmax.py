"""nn.Softmax over every valid dim, negative ones and the legacy implicit dim=None included."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from reference.activations import softmax_forward, softmax_vjp
from spec.elementwise import no_params, same_shape
from spec.exact import ExactCase
from spec.inputs import Inputs
from spec.layerspec import LayerSpec
from spec.softmax_dim import (
    CLASSES,
    SHAPE_CLASSES,
    axis_of,
    classify,
    dim_of,
    hyperparams,
    input_ranks,
    input_shape,
    invalid,
)
from spec.values import EXP_UNDERFLOW


def forward(inputs):
    x = inputs.x
    return softmax_forward(x, dim_of(inputs.hp, x.ndim)), {}


def vjp(inputs):
    x = inputs.x
    return softmax_vjp(x, dim_of(inputs.hp, x.ndim), inputs.g)


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
    axis = axis_of(inputs.hp, x.ndim)
    s = softmax_forward(x, axis)
    return s * _relative_error_factor(x, s, axis), x.shape[axis]


def vjp_error(inputs):
    # torch computes s_i * (g_i - sum_j g_j s_j) from its rounded output s (error
    # eps * r_j * s_j each): the dot product is off by sum_j |g_j| s_j r_j (plus its
    # sqrt(K) roundings), g_i - dot and the final product by r_i * (|g_i| + |dot|).
    x = inputs.x
    axis = axis_of(inputs.hp, x.ndim)
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
        axis = axis_of(hp, len(shape))
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
    shape_classes=SHAPE_CLASSES,
    input_ranks=input_ranks,
    value_classes=(EXP_UNDERFLOW,),
)
