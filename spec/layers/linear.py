"""nn.Linear: y = x @ weight.T + bias."""

from __future__ import annotations

import math

from hypothesis import strategies as st

from reference.linear import linear_forward, linear_vjp
from reference.parameter_laws import linear_param_shapes
from spec.default_init import fan_in_uniform_laws
from spec.exact import ExactCase, integer_inputs, zero_input
from spec.flushed_factors import forward_floor, vjp_floors
from spec.input_classes import BATCH, ranks_by_class
from spec.layerspec import InvalidCase, LayerSpec
from spec.strategies import MAX_BATCH, from_class, leading_shapes, sizes

# Matmul kernels branch on the sizes: 16 float32 fill one AVX-512 register, and inductor's
# freezing prepacks a weight for oneDNN only past 16 features (a 1-D input crashed it
# there: linear-inductor-freezing-half-unbatched). The wide class is listed first, the
# special one: a side, input or output, of more than WIDE features.
WIDE = 16
WIDTHS = (f"more than {WIDE} features", f"at most {WIDE} features")
CLASSES = {"bias": ("bias", "no bias"), "width": WIDTHS}
# Leading dimensions: none (one sample), all of size 1, or more than one sample in all.
INPUT_CLASSES = {"batch": BATCH}
# The input ranks of each batch class (input_shape below): a batch of one has one or two
# leading dims of size 1, a larger batch up to three leading dims.
RANKS = {BATCH[0]: {1}, BATCH[1]: {2, 3}, BATCH[2]: {2, 3, 4}}


def classify(hp: dict, shape: tuple) -> dict:
    samples = math.prod(shape[:-1])
    batch = BATCH[0] if len(shape) == 1 else BATCH[1] if samples == 1 else BATCH[2]
    wide = max(hp["in_features"], hp["out_features"]) > WIDE
    return {
        "bias": "bias" if hp["bias"] else "no bias",
        "width": WIDTHS[0] if wide else WIDTHS[1],
        "batch": batch,
    }


@st.composite
def _wide_features(draw: st.DrawFn) -> tuple[int, int]:
    """(in_features, out_features) with one side, or both, above WIDE."""
    wide, other = draw(sizes(WIDE + 1), label="wide side"), draw(sizes(), label="other side")
    return (wide, other) if draw(st.booleans(), label="input side wide") else (other, wide)


@st.composite
def hyperparams(draw: st.DrawFn, corner: dict | None = None) -> dict:
    _, bias = from_class(
        draw, corner or {}, "bias", {"bias": st.just(True), "no bias": st.just(False)}
    )
    _, (in_features, out_features) = from_class(
        draw,
        corner or {},
        "width",
        {WIDTHS[0]: _wide_features(), WIDTHS[1]: st.tuples(sizes(1, WIDE), sizes(1, WIDE))},
    )
    return {"in_features": in_features, "out_features": out_features, "bias": bias}


@st.composite
def input_shape(draw: st.DrawFn, hp: dict, corner: dict | None = None) -> tuple:
    chosen = (corner or {}).get("batch")
    if chosen is None:
        lead = draw(leading_shapes(), label="leading dims")
    elif chosen == BATCH[0]:
        lead = ()
    elif chosen == BATCH[1]:
        lead = draw(st.lists(st.just(1), min_size=1, max_size=2).map(tuple), label="ones")
    else:
        # At least one dimension of two or more samples, then any others.
        lead = (draw(sizes(2, MAX_BATCH), label="N"), *draw(leading_shapes(2), label="lead"))
    return (*lead, hp["in_features"])


def forward(inputs):
    return linear_forward(inputs.x, inputs.params["weight"], inputs.params.get("bias")), {}


def vjp(inputs):
    return linear_vjp(inputs.x, inputs.params["weight"], inputs.params.get("bias"), inputs.g)


def forward_error(inputs):
    return forward(inputs.absolute())[0], inputs.hp["in_features"], forward_floor(forward, inputs)


def vjp_error(inputs):
    hp = inputs.hp
    absolute = vjp(inputs.absolute())
    batch = max(1, inputs.x.size // hp["in_features"])
    floors = vjp_floors(vjp, inputs)
    errors = {
        "input": (absolute["input"], hp["out_features"], floors["input"]),
        "weight": (absolute["weight"], batch, floors["weight"]),
    }
    if "bias" in inputs.params:
        errors["bias"] = (absolute["bias"], batch)
    return errors


def out_shape(hp: dict, shape: tuple) -> tuple:
    return (*shape[:-1], hp["out_features"])


def param_shapes(hp: dict) -> dict:
    return linear_param_shapes(hp["in_features"], hp["out_features"], hp["bias"])


def init(hp: dict) -> dict:
    return fan_in_uniform_laws(param_shapes(hp))


INVALID_KINDS = ("negative size", "feature mismatch", "scalar input")


@st.composite
def invalid(draw: st.DrawFn, corner: dict | None = None) -> InvalidCase:
    good = draw(hyperparams())
    kind = (corner or {}).get("invalid kind") or draw(st.sampled_from(INVALID_KINDS))
    if kind == "negative size":
        key = draw(st.sampled_from(["in_features", "out_features"]))
        return InvalidCase({**good, key: -draw(sizes())}, None, RuntimeError, f"{key} < 0")
    if kind == "feature mismatch":
        wrong = good["in_features"] + draw(sizes())
        return InvalidCase(
            good, (draw(sizes(1, 4)), wrong), RuntimeError, "last dim != in_features"
        )
    return InvalidCase(good, (), RuntimeError, "0-d input")


EXACT = (
    ExactCase(
        "small integers",
        why=(
            "y = x @ W.T + b and its gradients are sums of products of small integers; "
            "with every partial sum inside the dtype's exact integer range, any "
            "summation order (blocked, pairwise, fused) gives the exact integer"
        ),
        inputs=integer_inputs(),
    ),
    ExactCase(
        "zero input",
        why="x = 0: every product x * w is 0, so y is the bias exactly and dW = g^T x is 0",
        inputs=zero_input(),
        exact=("output", "weight"),
    ),
)

SPEC = LayerSpec(
    name="Linear",
    # torch's documented defaults of the optional arguments (not device=/dtype=).
    defaults={"bias": True},
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
    exact=EXACT,
    classes=CLASSES,
    input_classes=INPUT_CLASSES,
    input_ranks=ranks_by_class("batch", RANKS),
    # A 1-D input is a matrix-vector product, a batch of one a single row, a larger batch
    # a matrix product: kernels of their own, each met by every exact case every run.
    exact_input_classes=("batch",),
    classify=classify,
)
