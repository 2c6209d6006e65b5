"""nn.Dropout: inverted dropout in train mode with the mask torch drew, the identity in eval."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from reference.dropout import dropout_forward, dropout_keep_mask_from_output, dropout_vjp
from spec.elementwise import any_shape, inplace_hyperparams, no_params, same_shape
from spec.layerspec import InvalidCase, LayerSpec

# Kept elements are scaled by 1 / (1 - p). Drawn p < 1 keep that scale at most this
# big: float16 inputs reach |x| = 4 and gradients |g| = 10, and 10 * 1e3 stays far below
# float16's 65504, so a correct layer never overflows (p == 1 itself is drawn too).
MAX_KEEP_SCALE = 1e3
MAX_P_BELOW_ONE = 1.0 - 1.0 / MAX_KEEP_SCALE
SMALLEST_POSITIVE = float(np.nextafter(0.0, 1.0))


def hyperparams() -> st.SearchStrategy[dict]:
    p = st.one_of(
        st.sampled_from([0.0, 0.5, 1.0]),
        st.floats(0.0, MAX_P_BELOW_ONE, allow_subnormal=True),
    )
    # p is always spelled out: the modes property reads hp["p"] (so torch's default
    # p = 0.5 is covered only as a drawn value).
    return st.tuples(st.fixed_dictionaries({"p": p}), inplace_hyperparams()).map(
        lambda parts: parts[0] | parts[1]
    )


def _p(hp: dict) -> float:
    return hp["p"]


def recover_randomness(x, y, hp, training):
    # In eval there is no mask; in train the harness shows torch's mask through a probe
    # run on ones under the same RNG state, so every keep/drop choice is visible.
    return dropout_keep_mask_from_output(x, y) if training else None


def forward(x, params, buffers, hp, training, randomness):
    if not training:
        return x.copy(), {}
    return dropout_forward(x, randomness, _p(hp)), {}


def vjp(x, params, buffers, hp, training, randomness, grad_y):
    if not training:
        return {"input": grad_y.copy()}
    return dropout_vjp(randomness, _p(hp), grad_y)


def forward_error(x, params, buffers, hp, training, randomness):
    # torch multiplies x by 1 / (1 - p) rounded to the dtype (1 - p, its reciprocal and
    # the product one rounding each): at most 3 eps relative to y; eval is exact.
    y, _ = forward(x, params, buffers, hp, training, randomness)
    return np.abs(y), 1


def vjp_error(x, params, buffers, hp, training, randomness, grad_y):
    # The backward multiplies grad_y by the same rounded scale: 3 eps relative, as forward.
    grad = vjp(x, params, buffers, hp, training, randomness, grad_y)["input"]
    return {"input": (np.abs(grad), 1)}


@st.composite
def invalid(draw: st.DrawFn) -> InvalidCase:
    # Down to the nearest floats outside [0, 1]: the check must be exact, not approximate.
    below = draw(st.floats(-1.0, -SMALLEST_POSITIVE, allow_subnormal=True), label="p < 0")
    above = draw(st.floats(np.nextafter(1.0, 2.0), 2.0), label="p > 1")
    p = draw(st.sampled_from([below, above, math.nan]), label="p")
    inplace = draw(inplace_hyperparams(), label="inplace")
    if math.isnan(p):
        # NaN fails no comparison, so the constructor's range check lets it through;
        # the kernel rejects it on the first call, in train and eval alike.
        shape = draw(any_shape({}), label="input_shape")
        return InvalidCase({"p": p, **inplace}, shape, RuntimeError, "p = nan, at forward")
    return InvalidCase({"p": p, **inplace}, None, ValueError, f"p = {p} outside [0, 1]")


SPEC = LayerSpec(
    name="Dropout",
    hyperparams=hyperparams,
    input_shape=any_shape,
    forward=forward,
    vjp=vjp,
    out_shape=same_shape,
    param_shapes=no_params,
    forward_error=forward_error,
    vjp_error=vjp_error,
    invalid=invalid,
    mode="dropout",
    recover_randomness=recover_randomness,
)
