"""nn.LogSoftmax over every valid dim, negative ones and the legacy implicit dim=None included."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from reference.activations import log_softmax_forward, log_softmax_vjp, softmax_forward
from spec.elementwise import no_params, same_shape
from spec.exact import ExactCase, Symmetry
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
from spec.values import arrays


def forward(inputs):
    x = inputs.x
    return log_softmax_forward(x, dim_of(inputs.hp, x.ndim)), {}


def vjp(inputs):
    x = inputs.x
    return log_softmax_vjp(x, dim_of(inputs.hp, x.ndim), inputs.g)


def _output_error_factor(x: np.ndarray, axis: int) -> np.ndarray:
    """e_i, with torch's y_i = (x_i - m) - log(S) off by at most ~eps * e_i.

    x_i - m rounds relative to |x_i - m|; each exp(x_j - m) errs relative to 1 + |x_j - m|
    (its argument's rounding, then exp's ulp), so S = sum_j exp(x_j - m) errs relative to
    sum_j s_j (1 + |x_j - m|) (s the softmax), plus its own sqrt(K) roundings, which log
    turns into the same absolute error; log adds an ulp of log S, and the subtraction one
    of |y_i| = |x_i - m| + log S.
    """
    distance = np.abs(x - np.max(x, axis=axis, keepdims=True))
    s = softmax_forward(x, axis)
    log_sum = np.log(np.sum(np.exp(-distance), axis=axis, keepdims=True))
    return 1.0 + 2.0 * (distance + log_sum) + np.sum(s * distance, axis=axis, keepdims=True)


def forward_error(inputs):
    x = inputs.x
    axis = axis_of(inputs.hp, x.ndim)
    return _output_error_factor(x, axis), x.shape[axis]


def vjp_error(inputs):
    # torch computes g_i - exp(y_i) * sum_j g_j from its rounded output y (absolute error
    # eps * e_i, so exp(y_i) = s_i is off by eps * e_i relative): the sum errs by
    # sqrt(K) eps sum|g|, the product by s_i |sum g| (e_i + 1) eps, the difference by
    # eps (|g_i| + s_i |sum g|).
    x = inputs.x
    axis = axis_of(inputs.hp, x.ndim)
    s = softmax_forward(x, axis)
    e = _output_error_factor(x, axis)
    g = inputs.g
    total = np.abs(np.sum(g, axis=axis, keepdims=True))
    absolute = np.sum(np.abs(g), axis=axis, keepdims=True)
    return {"input": (np.abs(g) + s * (total * (e + 2.0) + absolute), x.shape[axis])}


def _one_element_along_dim(spec, hp, dtype):
    """Any values, the reduced dim of size 1: a log-softmax over a single element."""

    @st.composite
    def build(draw):
        shape = list(draw(spec.input_shape(hp), label="input_shape"))
        shape[axis_of(hp, len(shape))] = 1
        x = draw(arrays(tuple(shape), spec.max_magnitude, "x"), label="x")
        grad_y = draw(arrays(tuple(shape), 10.0, "grad_y"), label="grad_y")
        return Inputs(x, hp, training=False, grad_y=grad_y)

    return build()


# Integer logits for the shift symmetry: x and x + SHIFT stay exact in every dtype
# (bfloat16 holds every integer up to 256).
MAX_LOGIT = 8
SHIFT = 16.0


def _integer_logits(spec, hp, dtype):
    """Small-integer logits (ties included) and small-integer grad_y."""

    @st.composite
    def build(draw):
        shape = tuple(draw(spec.input_shape(hp), label="input_shape"))
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="values seed"))
        x = rng.integers(-MAX_LOGIT, MAX_LOGIT + 1, shape).astype(np.float64)
        grad_y = rng.integers(-2, 3, shape).astype(np.float64)
        return Inputs(x, hp, training=False, grad_y=grad_y)

    return build()


EXACT = (
    ExactCase(
        "one element along dim",
        why=(
            "a log-softmax over one element is log(1) = 0 whatever its value: x - max(x) "
            "is exactly 0, exp(0) exactly 1 and log(1) exactly 0 in any libm; the input "
            "gradient g - exp(0) * g is exactly 0 too"
        ),
        inputs=_one_element_along_dim,
    ),
    Symmetry(
        "integer shift",
        why=(
            "log-softmax is invariant under x -> x + c; with integer logits and c = 16 the "
            "shift is exact, the maximum moves by exactly c, and every difference x_j - x_k "
            "that a max-shifted algorithm feeds to exp stays the same exact integer, so "
            "the output and the input gradient are the same bit for bit"
        ),
        inputs=_integer_logits,
        transform_x=lambda x: x + SHIFT,
        transform_y=lambda y: y,
        transform_grad=lambda grad: grad,
    ),
)


SPEC = LayerSpec(
    # torch's documented defaults of the optional arguments (not device=/dtype=).
    defaults={"dim": None},
    name="LogSoftmax",
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
)
