"""nn.Dropout: inverted dropout in train mode with the mask torch drew, the identity in eval."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from reference.dropout import dropout_forward, dropout_keep_mask_from_output, dropout_vjp
from spec.elementwise import (
    INPLACE_CLASSES,
    any_shape,
    inplace_class,
    inplace_hyperparams,
    no_params,
    same_shape,
)
from spec.exact import ExactCase, integer_inputs
from spec.layerspec import InvalidCase, LayerSpec
from spec.modes import KeepLaw, Mode
from spec.strategies import from_class

# Kept elements are scaled by 1 / (1 - p). Drawn p < 1 keep that scale at most this
# big: float16 inputs reach |x| = 4 and gradients |g| = 10, and 10 * 1e3 stays far below
# float16's 65504, so a correct layer never overflows (p == 1 itself is drawn too).
MAX_KEEP_SCALE = 1e3
MAX_P_BELOW_ONE = 1.0 - 1.0 / MAX_KEEP_SCALE
SMALLEST_POSITIVE = float(np.nextafter(0.0, 1.0))
# torch.nn.Dropout's default p.
DEFAULT_P = 0.5


P_CLASSES = {
    "0": st.just({"p": 0.0}),
    "1": st.just({"p": 1.0}),
    # p left out takes torch's default, DEFAULT_P: the default is tested too.
    "between": st.one_of(
        st.just({}),
        st.fixed_dictionaries(
            {"p": st.floats(0.0, MAX_P_BELOW_ONE, allow_subnormal=True, exclude_min=True)}
        ),
    ),
}
CLASSES = {"p": tuple(P_CLASSES), "inplace": INPLACE_CLASSES}


def classify(hp: dict, shape: tuple) -> dict:
    p = _p(hp)
    return {"p": "0" if p == 0 else "1" if p == 1 else "between"} | inplace_class(hp)


@st.composite
def hyperparams(draw: st.DrawFn, corner: dict | None = None) -> dict:
    corner = corner or {}
    return from_class(draw, corner, "p", P_CLASSES)[1] | draw(inplace_hyperparams(corner))


def _p(hp: dict) -> float:
    return hp.get("p", DEFAULT_P)


# Training keeps each element with probability 1 - p and scales it by 1 / (1 - p);
# with p == 0 torch returns the input untouched, exactly as eval does.
MODE = Mode(
    same_in_train_and_eval=lambda hp: _p(hp) == 0,
    keep=KeepLaw(
        probability=lambda hp: 1.0 - _p(hp),
        with_probability=lambda hp, q: {**hp, "p": 1.0 - q},
    ),
)


def recover_randomness(x, y, hp, training):
    # In eval there is no mask; in train the harness shows torch's mask through a probe
    # run on ones under the same RNG state, so every keep/drop choice is visible.
    return dropout_keep_mask_from_output(x, y) if training else None


def forward(inputs):
    if not inputs.training:
        return inputs.x.copy(), {}
    return dropout_forward(inputs.x, inputs.randomness, _p(inputs.hp)), {}


def vjp(inputs):
    if not inputs.training:
        return {"input": inputs.g.copy()}
    return dropout_vjp(inputs.randomness, _p(inputs.hp), inputs.g)


def forward_error(inputs):
    # torch multiplies x by 1 / (1 - p) rounded to the dtype (1 - p, its reciprocal and
    # the product one rounding each): at most 3 eps relative to y. Eval (and p == 0)
    # returns x itself: exact, the floor alone.
    y, _ = forward(inputs)
    exact = not inputs.training or _p(inputs.hp) == 0
    return (np.zeros_like(y) if exact else np.abs(y)), 1


def vjp_error(inputs):
    # The backward multiplies grad_y by the same rounded scale: 3 eps relative, as forward.
    grad = vjp(inputs)["input"]
    exact = not inputs.training or _p(inputs.hp) == 0
    return {"input": (np.zeros_like(grad) if exact else np.abs(grad), 1)}


INVALID_KINDS = ("p < 0", "p > 1", "p = nan")


@st.composite
def invalid(draw: st.DrawFn, corner: dict | None = None) -> InvalidCase:
    # Down to the nearest floats outside [0, 1]: the check must be exact, not approximate.
    below = draw(st.floats(-1.0, -SMALLEST_POSITIVE, allow_subnormal=True), label="p < 0")
    above = draw(st.floats(np.nextafter(1.0, 2.0), 2.0), label="p > 1")
    choices = dict(zip(INVALID_KINDS, (below, above, math.nan), strict=True))
    kind = (corner or {}).get("invalid kind") or draw(st.sampled_from(INVALID_KINDS), label="kind")
    p = choices[kind]
    inplace = draw(inplace_hyperparams(), label="inplace")
    if math.isnan(p):
        # NaN fails no comparison, so the constructor's range check lets it through;
        # the kernel rejects it on the first call, in train and eval alike.
        shape = draw(any_shape({}), label="input_shape")
        return InvalidCase({"p": p, **inplace}, shape, RuntimeError, "p = nan, at forward")
    return InvalidCase({"p": p, **inplace}, None, ValueError, f"p = {p} outside [0, 1]")


def _scale_a_power_of_two(spec):
    """p = 1 - 2^-k (k = 0..3): the keep scale 1 / (1 - p) = 2^k is exact in every dtype."""
    return st.tuples(inplace_hyperparams(), st.integers(0, 3)).map(
        lambda parts: {**parts[0], "p": 1.0 - 2.0 ** -parts[1]}
    )


EXACT = (
    ExactCase(
        "power-of-two keep scale",
        why=(
            "with 1 / (1 - p) = 2^k, a kept element x * 2^k only moves x's exponent and a "
            "dropped one is exactly 0; p = 0 and eval return x itself"
        ),
        inputs=integer_inputs(),
        hyperparams=_scale_a_power_of_two,
    ),
)


SPEC = LayerSpec(
    name="Dropout",
    # torch's documented defaults of the optional arguments (not device=/dtype=).
    defaults={"p": 0.5, "inplace": False},
    hyperparams=hyperparams,
    input_shape=any_shape,
    forward=forward,
    vjp=vjp,
    out_shape=same_shape,
    param_shapes=no_params,
    forward_error=forward_error,
    vjp_error=vjp_error,
    invalid=invalid,
    invalid_kinds=INVALID_KINDS,
    mode=MODE,
    writes_in_place=lambda hp: bool(hp.get("inplace", False)),
    exact=EXACT,
    classes=CLASSES,
    classify=classify,
    recover_randomness=recover_randomness,
)
