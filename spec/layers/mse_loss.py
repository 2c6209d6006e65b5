"""nn.MSELoss: (x - t)^2 per element, every reduction, any input shape (0-d included).

The target is floating-point values of the input's shape, and it has a gradient too
(torch differentiates the loss in both). A target of another shape is broadcast, with a
warning that it "will likely lead to incorrect results": out of scope.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from reference.mse_loss import mse_loss_forward, mse_loss_vjp
from reference.reduction import per_position_gradient
from spec.arguments import CallArguments
from spec.elementwise import MAX_RANK, same_shape
from spec.exact import ExactCase, largest_power_of_two, representable, sums_exact
from spec.inputs import Inputs
from spec.layerspec import InvalidCase, LayerSpec
from spec.strategies import from_class, tensor_shapes
from spec.tolerances import rounded_factor_floor, rounded_terms_floor
from spec.values import arrays

REDUCTION_CLASSES = {
    "mean": st.sampled_from([{}, {"reduction": "mean"}]),
    "sum": st.just({"reduction": "sum"}),
    "none": st.just({"reduction": "none"}),
}
CLASSES = {"reduction": tuple(REDUCTION_CLASSES)}
# Targets span the inputs' magnitudes (LayerSpec.max_magnitude).
TARGET_TOP = 1e2


@st.composite
def hyperparams(draw: st.DrawFn, corner: dict | None = None) -> dict:
    return dict(from_class(draw, corner or {}, "reduction", REDUCTION_CLASSES)[1])


def classify(hp: dict, shape: tuple) -> dict:
    return {"reduction": hp.get("reduction", "mean")}


def input_shape(hp: dict) -> st.SearchStrategy[tuple]:
    return tensor_shapes(min_dims=0, max_dims=MAX_RANK)


def arguments(hp: dict, shape: tuple, corner: dict) -> st.SearchStrategy[CallArguments]:
    return arrays(shape, TARGET_TOP, "target").map(lambda target: CallArguments((target,)))


def _reduction(inputs: Inputs) -> str:
    return inputs.hp.get("reduction", "mean")


def forward(inputs):
    return mse_loss_forward(inputs.x, inputs.arguments[0], _reduction(inputs)), {}


def vjp(inputs):
    return mse_loss_vjp(inputs.x, inputs.arguments[0], _reduction(inputs), inputs.g)


def forward_error(inputs):
    # (x - t) rounds once, its square once: 3 roundings of d^2 per element; the sum adds
    # a K-term sum and the mean one division. torch materialises the squares in the
    # dtype before the sum (float16: 4 squares of 3 * 2^-13 sum to 8 * 2^-24, not 9),
    # so those among the subnormals each err absolutely.
    squares = (inputs.x - inputs.arguments[0]) ** 2
    if _reduction(inputs) == "none":
        return squares, 1
    count = max(1, squares.size)
    total = squares.sum()
    if _reduction(inputs) == "sum":
        return total, count, rounded_terms_floor(squares)
    # The mean's sum reaches the total, past the accumulator's range for a mean that fits.
    return total / count, count, rounded_terms_floor(squares, count), total


def vjp_error(inputs):
    # 2 (x - t) G: the difference, the product with G, and G = g / n for the mean. torch
    # forms norm * (x - t) in the dtype first (norm 2/n for the mean, else 2), then
    # multiplies by g: a product among float16's subnormals errs absolutely, times g.
    difference = np.abs(inputs.x - inputs.arguments[0])
    reduction = _reduction(inputs)
    g = np.abs(per_position_gradient(inputs.g, difference.shape, reduction))
    scale = 2 * difference * g
    norm = 2.0 / max(1, difference.size) if reduction == "mean" else 2.0
    grad_y = np.broadcast_to(np.asarray(inputs.g, dtype=np.float64), difference.shape)
    floor_scale = rounded_factor_floor(norm * difference, grad_y)
    return {"input": (scale, 1, floor_scale), "target": (scale, 1, floor_scale)}


def out_shape(hp: dict, shape: tuple) -> tuple:
    return same_shape(hp, shape) if hp.get("reduction", "mean") == "none" else ()


def no_params(hp: dict) -> dict:
    return {}


INVALID_KINDS = ("shapes that do not broadcast", "unknown reduction")


@st.composite
def invalid(draw: st.DrawFn, corner: dict | None = None) -> InvalidCase:
    kind = (corner or {}).get("invalid kind") or draw(st.sampled_from(INVALID_KINDS))
    hp = draw(hyperparams(), label="valid hp")
    # A last dim of 2 or more: the target's, one longer, cannot broadcast against it.
    lead = tuple(draw(tensor_shapes(0, 2, high=4), label="leading dims"))
    shape = (*lead, draw(st.integers(2, 4), label="last dim"))
    if kind == "unknown reduction":
        hp = {"reduction": draw(st.sampled_from(["avg", "Mean", "batchmean"]))}
        return InvalidCase(hp, shape, ValueError, kind, np.ones(shape), (np.ones(shape),))
    # "The size of tensor a (...) must match the size of tensor b (...)".
    wrong = (*shape[:-1], shape[-1] + draw(st.integers(1, 2)))
    return InvalidCase(hp, shape, RuntimeError, kind, np.ones(shape), (np.ones(wrong),))


# ---- exact cases ------------------------------------------------------------------------

MAX_INTEGER = 2
DENSITIES = (1.0, 0.5, 0.25, 0.1, 0.0)


def _small_integers(spec, hp, dtype):
    """Small-integer x, t and grad_y; for the mean 2^k elements (sizes cut to powers of
    two): every square and partial sum is an integer inside the dtype's exact range (the
    differences thinned until they are) and the division by 2^k is exact."""

    @st.composite
    def build(draw):
        shape = tuple(largest_power_of_two(n) for n in draw(spec.input_shape(hp), label="shape"))
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="values seed"))
        x = rng.integers(-MAX_INTEGER, MAX_INTEGER + 1, shape).astype(np.float64)
        grad_y = rng.integers(-MAX_INTEGER, MAX_INTEGER + 1, out_shape(hp, shape))
        grad_y = grad_y.astype(np.float64)
        for density in DENSITIES:
            step = rng.integers(-MAX_INTEGER, MAX_INTEGER + 1, shape) * (
                rng.random(shape) < density
            )
            target = x + step
            if sums_exact((x - target) ** 2, dtype) and sums_exact(2 * (x - target), dtype):
                return Inputs(x, hp, grad_y=grad_y, arguments=(target,))
        raise AssertionError("unreachable: density 0 gives equal x and t")

    return build()


# Differences whose squares, 2^16 and 9 * 2^12, are exact in float16 and bfloat16, the
# first past float16's largest (65504).
LARGE_DIFFERENCES = (256.0, 192.0)


def _mean(spec):
    return spec.hyperparams().map(lambda hp: hp | {"reduction": "mean"})


def _half_overflowing_squares(spec, hp, dtype):
    """Differences of 0, +-192 or +-256 over 2^k elements, thinned until the mean of the
    squares is exact and fits, while a square of 256 or their sum passes float16's largest."""

    @st.composite
    def build(draw):
        shape = tuple(largest_power_of_two(n) for n in draw(spec.input_shape(hp), label="shape"))
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="values seed"))
        # Even targets: x = t +- 256 stays within bfloat16's 8 significant bits.
        target = 2.0 * rng.integers(-1, 2, shape)
        grad_y = rng.integers(-MAX_INTEGER, MAX_INTEGER + 1, out_shape(hp, shape))
        for density in DENSITIES:
            magnitude = rng.choice(LARGE_DIFFERENCES, shape) * (rng.random(shape) < density)
            x = target + magnitude * rng.choice((-1.0, 1.0), shape)
            inputs = Inputs(x, hp, grad_y=grad_y.astype(np.float64), arguments=(target,))
            mean = forward(inputs)[0]
            if np.isfinite(mean) and mean <= 65504 and representable(mean, dtype):
                return inputs
        raise AssertionError("unreachable: density 0 gives a mean of 0")

    return build()


EXACT = (
    ExactCase(
        "small integers",
        why=(
            "(x - t)^2 of small integers is an integer, every partial sum of them stays an "
            "integer inside the dtype's exact range (the differences are thinned until it "
            "does), the mean divides by 2^k, and the gradients +-2 (x - t) g / 2^k are small "
            "integers times powers of two"
        ),
        inputs=_small_integers,
        exact=("output", "input", "target"),
    ),
    ExactCase(
        "a mean of squares past float16's range",
        why=(
            "differences of 0, 192 or 256 over 2^k elements: each square (0, 9 * 2^12, "
            "2^16) is exact in every dtype and so is every partial sum in float32, where "
            "half sums accumulate (spec/tolerances.py); the mean, kept representable and "
            "within 65504, is exact though a square of 256 passes float16's largest; the "
            "gradients +-2 (x - t) g / 2^k are exact"
        ),
        inputs=_half_overflowing_squares,
        hyperparams=_mean,
        exact=("output", "input", "target"),
    ),
)


SPEC = LayerSpec(
    name="MSELoss",
    # torch's documented defaults of the optional arguments (not device=/dtype=).
    defaults={"size_average": None, "reduce": None, "reduction": "mean"},
    hyperparams=hyperparams,
    input_shape=input_shape,
    forward=forward,
    vjp=vjp,
    out_shape=out_shape,
    param_shapes=no_params,
    forward_error=forward_error,
    vjp_error=vjp_error,
    invalid=invalid,
    invalid_kinds=INVALID_KINDS,
    exact=EXACT,
    classes=CLASSES,
    classify=classify,
    argument_names=("target",),
    arguments=arguments,
    factory_kwargs=False,
    out_of_scope={
        "size_average": "deprecated in favour of reduction (torch maps it onto reduction)",
        "reduce": "deprecated in favour of reduction (torch maps it onto reduction)",
    },
)
