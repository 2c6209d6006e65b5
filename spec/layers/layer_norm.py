"""nn.LayerNorm: statistics of each sample over the trailing normalized_shape."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from reference.layer_norm import layer_norm_forward, layer_norm_vjp
from reference.parameter_laws import layer_norm_param_shapes
from spec.default_init import affine_norm_laws
from spec.exact import TINY_EPS, ExactCase, constant_groups, largest_power_of_two
from spec.finite_differences import normalisation_resolves
from spec.input_classes import ranks_by_class
from spec.layerspec import InvalidCase, LayerSpec
from spec.normalization_error import (
    batch_statistics,
    bias_grad_scale,
    input_grad_floor_scale,
    input_grad_scale,
    output_floor_scale,
    output_scale,
    weight_grad_floor_scale,
    weight_grad_scale,
)
from spec.strategies import MAX_BATCH

MAX_NORMALIZED_DIMS = 3
MAX_NORMALIZED_SIZE = 6
# Leading (sample) dims before the normalized ones. Backends reshape the input around
# them and branch on their count: OpenVINO loses a float16 eps with none before two or
# more normalized dims, or with three, and keeps it with one or two
# (layer_norm-openvino-float16-epsilon).
MAX_LEADING_DIMS = 3
LEADING = ("no leading dims", "one leading dim", "several leading dims")
LEADING_COUNTS = {LEADING[0]: (0, 0), LEADING[1]: (1, 1), LEADING[2]: (2, MAX_LEADING_DIMS)}
INPUT_CLASSES = {"leading dims": LEADING}
# The input ranks of each class: 1 to MAX_NORMALIZED_DIMS normalized dims after the
# leading ones (channels_last, 4-D, needs one leading dim or more).
RANKS = {
    name: range(fewest + 1, most + MAX_NORMALIZED_DIMS + 1)
    for name, (fewest, most) in LEADING_COUNTS.items()
}
# Torch's default, the usual alternatives, a large one that dominates small variances
# and a tiny one under which a constant sample divides by ~1e-5.
NAMED_EPS = (1e-5, 1e-3, 0.1, 1e-10)


def _dims(hp: dict) -> tuple[int, ...]:
    shape = hp["normalized_shape"]
    return (shape,) if isinstance(shape, int) else tuple(shape)


AFFINE_CLASSES = (
    "elementwise_affine, bias",
    "elementwise_affine, no bias",
    "no elementwise_affine, bias",
    "no elementwise_affine, no bias",
)
CLASSES = {"affine": AFFINE_CLASSES}


def classify(hp: dict, shape: tuple) -> dict:
    affine = "" if hp["elementwise_affine"] else "no "
    bias = "" if hp["bias"] else "no "
    leading = min(len(shape) - len(_dims(hp)), 2)
    return {"affine": f"{affine}elementwise_affine, {bias}bias", "leading dims": LEADING[leading]}


@st.composite
def hyperparams(draw: st.DrawFn, corner: dict | None = None) -> dict:
    affine = (corner or {}).get("affine") or draw(st.sampled_from(AFFINE_CLASSES), label="affine")
    dims = draw(
        st.lists(st.integers(1, MAX_NORMALIZED_SIZE), min_size=1, max_size=MAX_NORMALIZED_DIMS),
        label="normalized dims",
    )
    # Torch takes an int (one trailing dim), a tuple or a list alike.
    spelling = draw(
        st.sampled_from(["tuple", "list", "int"] if len(dims) == 1 else ["tuple", "list"])
    )
    normalized_shape = {"tuple": tuple(dims), "list": list(dims), "int": dims[0]}[spelling]
    eps = st.one_of(st.sampled_from(NAMED_EPS), st.floats(1e-10, 1.0))
    return {
        "normalized_shape": normalized_shape,
        "eps": draw(eps, label="eps"),
        "elementwise_affine": not affine.startswith("no "),
        "bias": not affine.endswith("no bias"),
    }


def input_shape(hp: dict, corner: dict | None = None) -> st.SearchStrategy[tuple]:
    """The normalized dims after leading dims of the corner's class, else of any count."""
    wanted = (corner or {}).get("leading dims")
    fewest, most = LEADING_COUNTS.get(wanted, (0, MAX_LEADING_DIMS))
    leading = st.lists(st.integers(1, MAX_BATCH), min_size=fewest, max_size=most)
    return leading.map(lambda lead: (*lead, *_dims(hp)))


def forward(inputs):
    hp, weight, bias = inputs.hp, inputs.params.get("weight"), inputs.params.get("bias")
    return layer_norm_forward(inputs.x, hp["normalized_shape"], weight, bias, hp["eps"]), {}


def vjp(inputs):
    hp, weight, bias = inputs.hp, inputs.params.get("weight"), inputs.params.get("bias")
    return layer_norm_vjp(inputs.x, hp["normalized_shape"], weight, bias, hp["eps"], inputs.g)


def _axes(x: np.ndarray, hp: dict) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(normalized axes, leading axes) of x."""
    lead = x.ndim - len(_dims(hp))
    return tuple(range(lead, x.ndim)), tuple(range(lead))


def forward_error(inputs):
    x, hp, params = inputs.x, inputs.hp, inputs.params
    normalized, _ = _axes(x, hp)
    n = batch_statistics(x, normalized, hp["eps"])
    scale = output_scale(n, params.get("weight"), params.get("bias"))
    return scale, math.prod(_dims(hp)), output_floor_scale(n, params.get("weight"))


def vjp_error(inputs):
    x, hp, params, grad_y = inputs.x, inputs.hp, inputs.params, inputs.g
    normalized, leading = _axes(x, hp)
    n = batch_statistics(x, normalized, hp["eps"])
    weight = params.get("weight")
    grad_x_hat = grad_y if weight is None else grad_y * weight
    # Parameter gradients sum over every sample: K is the number of samples.
    samples = max(1, x.size // math.prod(_dims(hp)))
    errors = {
        "input": (
            input_grad_scale(n, grad_x_hat, normalized),
            math.prod(_dims(hp)),
            input_grad_floor_scale(n, grad_x_hat, normalized),
        )
    }
    if "weight" in params:
        errors["weight"] = (
            weight_grad_scale(n, grad_y, leading),
            samples,
            weight_grad_floor_scale(n, grad_y, leading),
        )
    if "bias" in params:
        errors["bias"] = (bias_grad_scale(grad_y, leading), samples)
    return errors


def out_shape(hp: dict, shape: tuple) -> tuple:
    return shape


def param_shapes(hp: dict) -> dict:
    return layer_norm_param_shapes(hp["normalized_shape"], hp["elementwise_affine"], hp["bias"])


def init(hp: dict) -> dict:
    return affine_norm_laws(param_shapes(hp))


INVALID_KINDS = (
    "trailing input shape != normalized_shape",
    "too few input dims",
    "negative size",
    "empty normalized_shape",
)


@st.composite
def invalid(draw: st.DrawFn, corner: dict | None = None) -> InvalidCase:
    hp = draw(hyperparams())
    kind = (corner or {}).get("invalid kind") or draw(
        st.sampled_from(INVALID_KINDS), label="invalid kind"
    )
    dims = _dims(hp)
    if kind == "trailing input shape != normalized_shape":
        at = draw(st.integers(0, len(dims) - 1), label="wrong dim")
        wrong = list(dims)
        wrong[at] += draw(st.integers(1, 2))
        return InvalidCase(hp, (2, *wrong), RuntimeError, kind)
    if kind == "too few input dims":
        # Only the last dims match: the input is a strict suffix of normalized_shape.
        hp = {**hp, "normalized_shape": (2, *dims)}
        return InvalidCase(hp, dims, RuntimeError, kind)
    if kind == "negative size":
        at = draw(st.integers(0, len(dims) - 1), label="negative dim")
        bad = list(dims)
        bad[at] = -bad[at]
        hp = {**hp, "normalized_shape": tuple(bad)}
        if hp["elementwise_affine"]:
            # Allocating weight of that shape fails in the constructor.
            return InvalidCase(hp, None, RuntimeError, kind)
        # Without parameters nothing is allocated: the first call rejects it.
        return InvalidCase(hp, (2, *dims), RuntimeError, kind)
    hp = {**hp, "normalized_shape": ()}
    return InvalidCase(hp, (2, *dims), RuntimeError, kind)


def _normalized_axes(hp: dict, shape: tuple) -> tuple[int, ...]:
    return tuple(range(len(shape) - len(_dims(hp)), len(shape)))


def differences_resolve(x, hp, training):
    return normalisation_resolves(x, _normalized_axes(hp, x.shape), hp["eps"])


def _with_dims(hp: dict, dims: list[int]) -> dict:
    """hp with normalized_shape set to `dims`, spelled as it was drawn (int, tuple, list)."""
    shape = hp["normalized_shape"]
    return {**hp, "normalized_shape": dims[0] if isinstance(shape, int) else type(shape)(dims)}


def _power_of_two_rows(spec):
    """normalized_shape with every dim a power of two: rows of 2^k elements."""

    def rounded(hp: dict) -> dict:
        return _with_dims(hp, [largest_power_of_two(d) for d in _dims(hp)])

    return spec.hyperparams().map(rounded)


# eps whose rstd times an odd constant rounds in float32 and float64 (measured: 1e-5 and
# 1e-10 happen to give exact products for small constants).
ROUNDING_EPS = (1e-3, 0.1)


def _affine_rows_of_rounding_rstd(spec):
    """Rows of 2^k elements, a weight, and an eps whose rstd rounds against odd constants."""

    def affine(hp: dict) -> st.SearchStrategy[dict]:
        eps = st.sampled_from(ROUNDING_EPS)
        return eps.map(lambda e: {**hp, "elementwise_affine": True, "eps": e})

    return _power_of_two_rows(spec).flatmap(affine)


# Rows at least this long run a vector kernel's main loop (16 float16 lanes fill an
# AVX-512 register), not only its scalar tail.
VECTOR_ROW = 16


def _affine_rows_of_tiny_eps(spec):
    """Rows of 2^k >= VECTOR_ROW elements, a weight, and eps below float16's inverse-std
    range."""

    def long_rows(hp: dict) -> dict:
        dims = list(_dims(hp))
        dims[-1] *= max(1, VECTOR_ROW // math.prod(dims))
        return {**_with_dims(hp, dims), "elementwise_affine": True, "eps": TINY_EPS}

    return _power_of_two_rows(spec).map(long_rows)


EXACT = (
    ExactCase(
        "constant rows",
        why=(
            "a row of 2^k copies of a small integer c: its sum is exact and dividing by "
            "2^k (or multiplying by 1/2^k) is exact, so the mean is exactly c and x - mean "
            "exactly 0 (Welford's updates add exact zeros too), the variance exactly 0; "
            "the output is exactly the bias (0 without one), the weight gradient "
            "sum(g * x_hat) exactly 0 term by term, the bias gradient an exact integer sum. "
            "A single normalized element is a constant row. (The input gradient is 0 too, "
            "but an algorithm that scales by rstd before averaging rounds on the way)"
        ),
        inputs=constant_groups(_normalized_axes),
        hyperparams=_power_of_two_rows,
        exact=("output", "parameters"),
    ),
    ExactCase(
        "constant rows of an odd constant, with a weight",
        why=(
            "constant rows as above, each an odd integer c (|c| >= 3), a nonzero weight, a "
            "zero bias, and eps 1e-3 or 0.1: the normalised value is exactly 0, so the "
            "output is exactly 0 and the weight gradient sum(g * x_hat) exactly 0; c * rstd "
            "needs more bits than the dtype holds, so an algorithm that forms rstd * x and "
            "rstd * mean apart, never centring x, leaves the rounding of one of them in "
            "both, where no bias absorbs it"
        ),
        inputs=constant_groups(_normalized_axes, odd=True, zero_params=("bias",)),
        hyperparams=_affine_rows_of_rounding_rstd,
        exact=("output", "parameters"),
    ),
    ExactCase(
        "constant rows, tiny eps",
        why=(
            "constant rows as above, of 16 elements or more, with a weight and eps 1e-10: "
            "the normalised value is exactly 0 however large 1/sqrt(var + eps) is (1e5, "
            "past float16's largest value), so the output is exactly the bias and the "
            "weight gradient exactly 0"
        ),
        inputs=constant_groups(_normalized_axes),
        hyperparams=_affine_rows_of_tiny_eps,
        exact=("output", "parameters"),
    ),
)


SPEC = LayerSpec(
    name="LayerNorm",
    # torch's documented defaults of the optional arguments (not device=/dtype=).
    defaults={"eps": 1e-05, "elementwise_affine": True, "bias": True},
    hyperparams=hyperparams,
    input_shape=input_shape,
    forward=forward,
    vjp=vjp,
    out_shape=out_shape,
    param_shapes=param_shapes,
    forward_error=forward_error,
    vjp_error=vjp_error,
    invalid=invalid,
    invalid_kinds=INVALID_KINDS,
    init=init,
    twice_differentiable=True,
    differences_resolve=differences_resolve,
    exact=EXACT,
    classes=CLASSES,
    input_classes=INPUT_CLASSES,
    exact_input_classes=("leading dims",),
    input_ranks=ranks_by_class("leading dims", RANKS),
    classify=classify,
)
