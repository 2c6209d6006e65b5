"""nn.LeakyReLU: x where x > 0, else negative_slope * x, for every slope, in place or not."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from reference.activations import leaky_relu_forward, leaky_relu_vjp
from spec.elementwise import INPLACE_CLASSES, elementwise_spec, inplace_class, inplace_hyperparams
from spec.exact import ExactCase, integer_inputs, powers_of_two
from spec.layerspec import InvalidCase
from spec.strategies import from_class

# torch's default slope, when the argument is left out.
DEFAULT_SLOPE = 0.01
# Slopes drawn span 2^-10 .. 8 in magnitude: below 1 (the usual), above 1 (where
# max(x, slope * x) is no longer the map), negative, and exactly 0 (ReLU).
SMALLEST_SLOPE = 2.0**-10
LARGEST_SLOPE = 8.0

SLOPE_CLASSES = {
    "default": st.just({}),
    "negative": st.floats(-LARGEST_SLOPE, -SMALLEST_SLOPE).map(lambda s: {"negative_slope": s}),
    "0": st.sampled_from([0.0, -0.0, 0]).map(lambda s: {"negative_slope": s}),
    "1 or above": st.floats(1.0, LARGEST_SLOPE).map(lambda s: {"negative_slope": s}),
    "between 0 and 1": st.floats(SMALLEST_SLOPE, 1.0, exclude_max=True).map(
        lambda s: {"negative_slope": s}
    ),
}
# The corner pass pairs class i of each dimension: "negative" (index 1) meets "out of place"
# (index 1 of INPLACE_CLASSES), the only mode a negative slope has (see hyperparams).
CLASSES = {"negative_slope": tuple(SLOPE_CLASSES), "inplace": INPLACE_CLASSES}


def _slope(hp: dict) -> float:
    return hp.get("negative_slope", DEFAULT_SLOPE)


def _slope_class(hp: dict) -> str:
    if "negative_slope" not in hp:
        return "default"
    slope = hp["negative_slope"]
    if slope < 0:
        return "negative"
    if slope == 0:
        return "0"
    return "1 or above" if slope >= 1 else "between 0 and 1"


def classify(hp: dict, shape: tuple) -> dict:
    return {"negative_slope": _slope_class(hp), **inplace_class(hp)}


@st.composite
def hyperparams(draw: st.DrawFn, corner: dict | None = None) -> dict:
    corner = corner or {}
    slope_class, slope = from_class(draw, corner, "negative_slope", SLOPE_CLASSES)
    if slope_class == "negative":
        # In place with a negative slope, torch's backward refuses (RuntimeError: the
        # sign of the output no longer tells which side x was on); the forward alone would
        # run. Every property backpropagates through the same drawn configurations, so a
        # negative slope is drawn out of place (the refusal is outside what `invalid`
        # can express: it comes at backward time).
        inplace = draw(inplace_hyperparams({"inplace": "out of place"}), label="inplace")
    else:
        inplace = draw(inplace_hyperparams(corner), label="inplace")
    return {**slope, **inplace}


def arguments(hp: dict) -> dict:
    return {"negative_slope": _slope(hp)}


def forward_scale(x: np.ndarray, negative_slope: float) -> np.ndarray:
    # x > 0 passes unchanged; otherwise torch rounds the slope to the dtype and the
    # product once: two roundings of |slope * x|.
    return np.abs(leaky_relu_forward(x, negative_slope))


def vjp_scale(x: np.ndarray, grad_y: np.ndarray, negative_slope: float) -> np.ndarray:
    # grad_y or slope * grad_y: the same two roundings.
    return np.abs(leaky_relu_vjp(x, grad_y, negative_slope)["input"])


# Slopes +-2^k (and 0) for the exact case: |k| <= 4 keeps 2 * 2^k and 2 * 2^-k exact in
# every dtype, bfloat16's 8 significant bits included.
MAX_SLOPE_EXPONENT = 4


def _power_of_two_slopes(spec):
    slopes = st.one_of(
        st.just(0.0),
        st.tuples(powers_of_two(0, 2 * MAX_SLOPE_EXPONENT), st.sampled_from([1, -1])).map(
            lambda p: p[1] * p[0] * 2.0**-MAX_SLOPE_EXPONENT
        ),
    )
    return st.tuples(spec.hyperparams(), slopes).map(
        # A negative slope runs out of place (see hyperparams).
        lambda parts: (
            {**parts[0], "negative_slope": parts[1]} | ({"inplace": False} if parts[1] < 0 else {})
        )
    )


def impossible(classes: dict) -> bool:
    # A negative slope in place: torch's backward refuses it (drawn out of place only).
    return classes.get("inplace") == "in place" and classes.get("negative_slope") == "negative"


SPEC = elementwise_spec(
    "LeakyReLU",
    # torch's documented defaults of the optional arguments (not device=/dtype=).
    defaults={"negative_slope": 0.01, "inplace": False},
    forward=leaky_relu_forward,
    vjp=leaky_relu_vjp,
    forward_scale=forward_scale,
    vjp_scale=vjp_scale,
    foreign_kwargs=({"approximate": "tanh"}, {"dim": 0}),
    inplace=True,
    kinks=(0.0,),
    hyperparams=hyperparams,
    classes=CLASSES,
    classify=classify,
    impossible=impossible,
    arguments=arguments,
    invalid_calls=(
        InvalidCase({"negative_slope": "0.1"}, (2, 3), TypeError, "negative_slope a string"),
        InvalidCase({"negative_slope": None}, (2, 3), TypeError, "negative_slope None"),
    ),
    exact=(
        ExactCase(
            "power-of-two slopes",
            why=(
                "with slope 0 or +-2^k, slope * x of a small integer x only moves the "
                "exponent (or gives a signed zero), and x > 0 passes unchanged; the "
                "gradient, g or slope * g of a small integer g, likewise: no rounding at all"
            ),
            inputs=integer_inputs(),
            hyperparams=_power_of_two_slopes,
        ),
    ),
)
