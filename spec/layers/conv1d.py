"""nn.Conv1d: every constructor argument over its valid domain."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from reference.conv1d import conv1d_forward, conv1d_out_shape, conv1d_padding, conv1d_vjp
from reference.geometry import reads_only_padding, single
from reference.padding import PADDING_MODES
from reference.parameter_laws import conv1d_param_shapes
from spec.conv_groups import GROUPS_CLASSES, draw_groups, groups_class
from spec.default_init import fan_in_uniform_laws
from spec.exact import (
    PADDING_ONLY_SHARE,
    POINTWISE_SHARE,
    SMALLEST_INPUT_SHARE,
    SWEEP_BATCHES,
    ExactCase,
    Sweep,
    integer_inputs,
    pick,
    zero_input,
)
from spec.flushed_factors import forward_floor, vjp_floors
from spec.input_classes import batched_ranks
from spec.layerspec import InvalidCase, LayerSpec
from spec.strategies import (
    MAX_BATCH,
    NEGATIVE_PADDING_KINDS,
    from_class,
    int_or_single,
    negative_padding_mode,
)

MAX_KERNEL = 5
MAX_STRIDE = 3
MAX_DILATION = 3
MAX_PADDING = 4
MAX_GROUPS = 3
MAX_CHANNELS_PER_GROUP = 3
# Input lengths range from the smallest that fits the window up to this much more: a
# signal is one row, so it can be longer than an image's side at the same cost.
LENGTH_SLACK = 12

# How padding is spelled, and for 'same' which kind of window it has to centre: an even
# kernel (torch pads one more on the right) and a dilated one are their own cases.
PADDING_CLASSES = (
    "int",
    "one-element tuple",
    "valid",
    "same, odd kernel",
    "same, even kernel",
    "same, dilated",
)
CLASSES = {
    "padding": PADDING_CLASSES,
    "padding_mode": PADDING_MODES,
    "bias": ("bias", "no bias"),
    "groups": GROUPS_CLASSES,
}


def _odd(high: int) -> st.SearchStrategy[int]:
    return st.integers(0, (high - 1) // 2).map(lambda k: 2 * k + 1)


def _even(high: int) -> st.SearchStrategy[int]:
    return st.integers(1, high // 2).map(lambda k: 2 * k)


def _spelled(value: st.SearchStrategy[int]) -> st.SearchStrategy[int | tuple[int]]:
    """An int as torch takes it for a 1-D layer: bare or as a one-element tuple."""
    return st.one_of(value, value.map(lambda v: (v,)))


@st.composite
def _window(draw: st.DrawFn, padding_class: str) -> tuple:
    """(kernel_size, dilation, stride, padding) for a padding class."""
    kernel = draw(int_or_single(1, MAX_KERNEL), label="kernel_size")
    dilation = draw(int_or_single(1, MAX_DILATION), label="dilation")
    stride = draw(int_or_single(1, MAX_STRIDE), label="stride")
    if padding_class == "int":
        return kernel, dilation, stride, draw(st.integers(0, MAX_PADDING), label="padding")
    if padding_class == "one-element tuple":
        return kernel, dilation, stride, (draw(st.integers(0, MAX_PADDING), label="padding"),)
    if padding_class == "valid":
        return kernel, dilation, stride, "valid"
    # torch rejects padding='same' for strided convolutions (an error case below).
    if padding_class == "same, odd kernel":
        return draw(_spelled(_odd(MAX_KERNEL)), label="odd kernel"), 1, 1, "same"
    if padding_class == "same, even kernel":
        return draw(_spelled(_even(MAX_KERNEL)), label="even kernel"), 1, 1, "same"
    dilated = draw(_spelled(st.integers(2, MAX_DILATION)), label="dilation > 1")
    return kernel, dilated, 1, "same"


def classify(hp: dict, shape: tuple) -> dict:
    """The classes a configuration falls in, for coverage."""
    padding = hp["padding"]
    if padding == "same":
        if single(hp["dilation"]) != 1:
            padding_class = "same, dilated"
        elif single(hp["kernel_size"]) % 2 == 0:
            padding_class = "same, even kernel"
        else:
            padding_class = "same, odd kernel"
    elif padding == "valid":
        padding_class = "valid"
    else:
        padding_class = "int" if isinstance(padding, int) else "one-element tuple"
    return {
        "padding": padding_class,
        "padding_mode": hp["padding_mode"],
        "bias": "bias" if hp["bias"] else "no bias",
        "groups": groups_class(hp),
    }


@st.composite
def hyperparams(draw: st.DrawFn, corner: dict | None = None) -> dict:
    corner = corner or {}
    groups, in_channels, out_channels = draw_groups(
        draw, corner, MAX_GROUPS, MAX_CHANNELS_PER_GROUP
    )
    _, (kernel, dilation, stride, padding) = from_class(
        draw, corner, "padding", {c: _window(c) for c in PADDING_CLASSES}
    )
    _, bias = from_class(draw, corner, "bias", {"bias": st.just(True), "no bias": st.just(False)})
    _, mode = from_class(draw, corner, "padding_mode", {m: st.just(m) for m in PADDING_MODES})
    return {
        "in_channels": in_channels,
        "out_channels": out_channels,
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "groups": groups,
        "bias": bias,
        "padding_mode": mode,
    }


def _pads(hp: dict) -> tuple[int, int]:
    return conv1d_padding(hp["kernel_size"], hp["dilation"], hp["padding"])


def _smallest_length(hp: dict) -> int:
    """The smallest L for which torch accepts the input with these hyperparameters."""
    left, right = _pads(hp)
    extent = single(hp["dilation"]) * (single(hp["kernel_size"]) - 1) + 1
    low = max(1, extent - left - right)
    # reflect needs padding < length; circular wraps at most once (padding <= length).
    if hp["padding_mode"] == "reflect":
        low = max(low, left + 1, right + 1)
    if hp["padding_mode"] == "circular":
        low = max(low, left, right)
    return low


@st.composite
def input_shape(draw: st.DrawFn, hp: dict) -> tuple:
    low = _smallest_length(hp)
    length = draw(st.integers(low, low + LENGTH_SLACK), label="L")
    # Unbatched (C, L) input is accepted by Conv1d since torch 1.11.
    if draw(st.booleans(), label="unbatched"):
        return (hp["in_channels"], length)
    return (draw(st.integers(1, MAX_BATCH), label="N"), hp["in_channels"], length)


def _geometry(hp: dict) -> tuple:
    return hp["stride"], hp["padding"], hp["dilation"], hp["groups"], hp["padding_mode"]


def forward(inputs):
    weight, bias = inputs.params["weight"], inputs.params.get("bias")
    return conv1d_forward(inputs.x, weight, bias, *_geometry(inputs.hp)), {}


def vjp(inputs):
    weight, bias = inputs.params["weight"], inputs.params.get("bias")
    return conv1d_vjp(inputs.x, weight, bias, *_geometry(inputs.hp), inputs.g)


def forward_error(inputs):
    hp = inputs.hp
    # Each output sums C/groups channels times k taps (and the bias).
    taps = hp["in_channels"] // hp["groups"] * single(hp["kernel_size"])
    return forward(inputs.absolute())[0], taps, forward_floor(forward, inputs)


def _copies(hp: dict) -> int:
    """How often one input element appears in the padded signal: zeros pad with zeros;
    reflect and circular copy an element at most once into each side's padding; replicate
    copies an edge element into every position of its side's padding."""
    if hp["padding_mode"] == "zeros":
        return 1
    if hp["padding_mode"] == "replicate":
        return 1 + max(_pads(hp))
    return 3


def vjp_error(inputs):
    hp = inputs.hp
    absolute = vjp(inputs.absolute())
    # Every output position contributes to a weight/bias gradient element.
    positions = inputs.g.size // hp["out_channels"]
    # An input element collects from each filter of its group, each tap, and each copy.
    per_copy = hp["out_channels"] // hp["groups"] * single(hp["kernel_size"])
    floors = vjp_floors(vjp, inputs)
    errors = {
        "input": (absolute["input"], per_copy * _copies(hp), floors["input"]),
        "weight": (absolute["weight"], positions, floors["weight"]),
    }
    if "bias" in inputs.params:
        errors["bias"] = (absolute["bias"], positions)
    return errors


def out_shape(hp: dict, shape: tuple) -> tuple:
    return conv1d_out_shape(
        shape, hp["out_channels"], hp["kernel_size"], hp["stride"], hp["padding"], hp["dilation"]
    )


def param_shapes(hp: dict) -> dict:
    return conv1d_param_shapes(
        hp["in_channels"], hp["out_channels"], hp["kernel_size"], hp["groups"], hp["bias"]
    )


def init(hp: dict) -> dict:
    return fan_in_uniform_laws(param_shapes(hp))


INVALID_KINDS = (
    "groups not dividing in_channels",
    "groups not dividing out_channels",
    "non-positive groups",
    "padding='same' with stride > 1",
    "unknown padding string",
    "unknown padding_mode",
    "kernel larger than the padded input",
    "input channels != in_channels",
    "input rank not 2 or 3",
    "non-positive stride",
    *NEGATIVE_PADDING_KINDS,
    "non-positive dilation",
    "reflect padding >= input length",
    "circular padding > input length",
)


@st.composite
def invalid(draw: st.DrawFn, corner: dict | None = None) -> InvalidCase:
    hp = {**draw(hyperparams()), "padding": 0, "stride": 1, "dilation": 1}
    kind = (corner or {}).get("invalid kind") or draw(
        st.sampled_from(INVALID_KINDS), label="invalid kind"
    )
    g = hp["groups"] = draw(st.integers(2, MAX_GROUPS))
    per_in, per_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    hp["in_channels"], hp["out_channels"] = g * per_in, g * per_out
    k = single(hp["kernel_size"])
    fits = (1, hp["in_channels"], k + 1)
    if kind == "groups not dividing in_channels":
        return InvalidCase({**hp, "in_channels": g * per_in + 1}, None, ValueError, kind)
    if kind == "groups not dividing out_channels":
        return InvalidCase({**hp, "out_channels": g * per_out + 1}, None, ValueError, kind)
    if kind == "non-positive groups":
        return InvalidCase({**hp, "groups": draw(st.integers(-2, 0))}, None, ValueError, kind)
    if kind == "padding='same' with stride > 1":
        stride = draw(int_or_single(2, MAX_STRIDE))
        return InvalidCase({**hp, "padding": "same", "stride": stride}, None, ValueError, kind)
    if kind == "unknown padding string":
        padding = draw(st.sampled_from(["full", "SAME", ""]))
        return InvalidCase({**hp, "padding": padding}, None, ValueError, kind)
    if kind == "unknown padding_mode":
        mode = draw(st.sampled_from(["mirror", "zero", "constant"]))
        return InvalidCase({**hp, "padding_mode": mode}, None, ValueError, kind)
    if kind == "kernel larger than the padded input":
        kernel = draw(st.integers(2, MAX_KERNEL))
        short = (1, hp["in_channels"], draw(st.integers(1, kernel - 1)))
        return InvalidCase({**hp, "kernel_size": kernel}, short, RuntimeError, kind)
    if kind == "input channels != in_channels":
        wrong = hp["in_channels"] + draw(st.integers(1, 2))
        return InvalidCase(hp, (1, wrong, k), RuntimeError, kind)
    if kind == "input rank not 2 or 3":
        shape = draw(st.sampled_from([(), (k,), (1, *fits)]))
        return InvalidCase(hp, shape, RuntimeError, kind)
    if kind == "non-positive stride":
        stride = draw(int_or_single(-2, 0))
        return InvalidCase({**hp, "stride": stride}, fits, RuntimeError, kind)
    if kind in NEGATIVE_PADDING_KINDS:
        hp["padding_mode"] = negative_padding_mode(draw, kind)
        padding = draw(int_or_single(-3, -1))
        # Long enough that cropping |p| from each end would still leave a window: only
        # the sign of the padding is wrong.
        long_enough = (1, hp["in_channels"], k + 1 - 2 * single(padding))
        return InvalidCase({**hp, "padding": padding}, long_enough, RuntimeError, kind)
    if kind == "non-positive dilation":
        dilation = draw(int_or_single(-2, 0))
        return InvalidCase({**hp, "dilation": dilation}, fits, RuntimeError, kind)
    length = draw(st.integers(k, k + 2), label="L")
    if kind == "reflect padding >= input length":
        padding = length + draw(st.integers(0, 2))
        hp = {**hp, "padding_mode": "reflect", "padding": padding}
        return InvalidCase(hp, (1, hp["in_channels"], length), RuntimeError, kind)
    padding = length + draw(st.integers(1, 2))
    hp = {**hp, "padding_mode": "circular", "padding": padding}
    return InvalidCase(hp, (1, hp["in_channels"], length), RuntimeError, kind)


def sweep_configuration(rng: np.random.Generator) -> tuple[dict, tuple]:
    """A random small Conv1d (hyperparameters, input shape) for the exact sweep: every
    argument over the ranges the strategies draw, each int spelled bare or as a
    one-element tuple, L from the smallest input the window fits up to LENGTH_SLACK more."""

    def spelled(value: int) -> int | tuple[int]:
        return (value,) if rng.integers(2) else value

    groups = int(rng.integers(1, MAX_GROUPS + 1))
    in_channels = groups * int(rng.integers(1, MAX_CHANNELS_PER_GROUP + 1))
    out_channels = groups * int(rng.integers(1, MAX_CHANNELS_PER_GROUP + 1))
    kernel = 1 if rng.random() < POINTWISE_SHARE else int(rng.integers(1, MAX_KERNEL + 1))
    dilation, stride = int(rng.integers(1, MAX_DILATION + 1)), int(rng.integers(1, MAX_STRIDE + 1))
    padding = pick(rng, ("int", "valid", "same"))
    if padding == "int":
        padding = spelled(int(rng.integers(MAX_PADDING + 1)))
    elif padding == "same":
        stride = 1  # torch rejects padding='same' with a stride
    hp = {
        "in_channels": in_channels,
        "out_channels": out_channels,
        "kernel_size": spelled(kernel),
        "stride": spelled(stride),
        "padding": padding,
        "dilation": spelled(dilation),
        "groups": groups,
        "bias": bool(rng.integers(2)),
        "padding_mode": pick(rng, PADDING_MODES),
    }
    low = _smallest_length(hp)
    length = low + int(rng.integers(LENGTH_SLACK + 1))
    share = rng.random()
    if share < PADDING_ONLY_SHARE:
        hp["padding_mode"] = "zeros"  # copying modes read the input where zeros pad
        length = int(pick(rng, _padding_only_lengths(hp) or (length,)))
    elif share < PADDING_ONLY_SHARE + SMALLEST_INPUT_SHARE:
        length = low + int(rng.integers(2))
    return hp, (*pick(rng, SWEEP_BATCHES), in_channels, length)


def _padding_only_lengths(hp: dict) -> tuple[int, ...]:
    """The input lengths within LENGTH_SLACK of the smallest at which every output
    position reads only zero padding (none where the geometry never skips the input)."""
    left, right = _pads(hp)
    kernel, dilation, stride = (single(hp[name]) for name in ("kernel_size", "dilation", "stride"))
    low = _smallest_length(hp)
    return tuple(
        length
        for length in range(low, low + LENGTH_SLACK + 1)
        if reads_only_padding(length, left, right, kernel, dilation, stride)
    )


EXACT = (
    Sweep(
        "a sweep of small integers",
        why=(
            "each configuration on small integers whose every partial sum is exact in the "
            "dtype, as in 'small integers', so every CPU kernel of torch gives the exact "
            "integers; hundreds of configurations an example reach the narrow regions "
            "where a kernel meets the shape (every output reading only padding)"
        ),
        configuration=sweep_configuration,
        count=3000,
        devices=("cpu",),
    ),
    ExactCase(
        "small integers",
        why=(
            "the convolution and its gradients are sums of products of small integers "
            "(padding copies them or adds zeros); with every partial sum inside the "
            "dtype's exact integer range, any algorithm that sums the products themselves "
            "(direct, im2col + GEMM: every CPU kernel of torch) gives the exact integer. "
            "Winograd and FFT convolutions transform the operands and round, so the claim "
            "is made for the CPU, where torch uses neither"
        ),
        inputs=integer_inputs(),
        devices=("cpu",),
    ),
    ExactCase(
        "zero input",
        why="x = 0: every tap multiplies 0, so y is the bias exactly and dW is 0",
        inputs=zero_input(),
        exact=("output", "weight"),
    ),
)

SPEC = LayerSpec(
    # torch's documented defaults of the optional arguments (not device=/dtype=).
    defaults={
        "stride": 1,
        "padding": 0,
        "dilation": 1,
        "groups": 1,
        "bias": True,
        "padding_mode": "zeros",
    },
    name="Conv1d",
    # (C, L) or (N, C, L): no batch class, so both ranks.
    input_ranks=batched_ranks(2),
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
    classify=classify,
)
