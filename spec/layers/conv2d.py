"""nn.Conv2d: every constructor argument over its valid domain."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from reference.conv2d import conv2d_forward, conv2d_out_shape, conv2d_padding, conv2d_vjp
from reference.geometry import pair, reads_only_padding
from reference.padding import PADDING_MODES
from reference.parameter_laws import conv2d_param_shapes
from spec.conv_groups import GROUPS_CLASSES, draw_groups, groups_class, impossible_groups
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
    representable,
    zero_input,
)
from spec.flushed_factors import forward_floor, vjp_floors
from spec.input_classes import (
    BATCH,
    CHANNELS,
    batch_class,
    batch_dims,
    batched_ranks,
    channels_class,
)
from spec.inputs import Inputs
from spec.layerspec import Interaction, InvalidCase, LayerSpec
from spec.strategies import (
    NEGATIVE_PADDING_KINDS,
    from_class,
    int_or_pair,
    negative_padding_mode,
)

MAX_KERNEL = 4
MAX_STRIDE = 3
MAX_DILATION = 3
MAX_PADDING = 3
MAX_GROUPS = 3
MAX_CHANNELS_PER_GROUP = 3
# Input spatial sizes range from the smallest that fits the window up to this much more.
SPATIAL_SLACK = 6


# How padding is spelled, and for 'same' which kind of window it has to centre: an even
# kernel (torch pads one more on the bottom/right) and a dilated one are their own cases.
PADDING_CLASSES = (
    "int",
    "pair",
    "valid",
    "same, odd kernel",
    "same, even kernel",
    "same, dilated",
)
# The horizontal stride: the axis a contiguous kernel vectorises over, and the columns a
# channels_last kernel walks. Above 1 with a 1x1 kernel (the pointwise kernels oneDNN
# keeps apart), above 1 with any kernel, or 1. padding='same' needs 1.
STRIDE_CLASSES = ("above 1, 1x1 kernel", "above 1", "1")
# The output one column wide (a vector loop over the columns runs only its tail), reached
# with a horizontal stride above 1 or at stride 1; or several columns. The strided single
# column is its own class so that it meets the layouts and the groups classes in pairs.
OUTPUT_WIDTH_CLASSES = ("one column, strided", "one column", "several columns")
# The horizontal stride each output width class needs, where it needs one.
STRIDE_OF_WIDTH = {"one column, strided": "above 1", "one column": "1"}
# The vertical stride, on its own: a kernel strided along the columns only (rows at 1)
# walks its input rows as if unstrided, a blocking of its own. padding='same' needs 1.
VERTICAL_STRIDE_CLASSES = ("above 1", "1")
# The horizontal dilation: a dilated window jumps columns between its taps, a walk
# oneDNN's JIT kernels generate apart from the unit one. padding='same' with an undilated
# kernel needs 1.
HORIZONTAL_DILATION_CLASSES = ("above 1", "1")
# Classes that meet in one corner row whole, beyond pairs (LayerSpec.interactions).
INTERACTIONS = (
    Interaction(
        "one channel, batched, an undilated strided column over unstrided rows",
        {
            "channels": "one channel",
            "batch": "batch > 1",
            "output width": "one column, strided",
            "vertical stride": "1",
            "horizontal dilation": "1",
        },
        "One input channel makes a contiguous input's strides those of channels_last, so "
        "any path may hand it to the NHWC kernels (inductor does); oneDNN's AVX-512 NHWC "
        "kernel writes an undilated strided one-column output wrong over unstrided rows at "
        "a batch above 1. Measured on 2.13.0 (AMD EPYC, avx512): wrong in 29% of this row's "
        "draws, eager channels_last (116 of 400) and inductor (43 of 150) alike; within "
        "the classes it needs two output rows or more and a window two columns wide or "
        "more, and more output rows make it likelier. Twelve rows: a run misses it about "
        "one time in 60 (0.71 ** 12). docs/search.md",
        rows=12,
    ),
)


def _odd(high: int) -> st.SearchStrategy[int]:
    return st.integers(0, (high - 1) // 2).map(lambda k: 2 * k + 1)


def _even(high: int) -> st.SearchStrategy[int]:
    return st.integers(1, high // 2).map(lambda k: 2 * k)


@st.composite
def _window(draw: st.DrawFn, padding_class: str) -> tuple:
    """(kernel_size, dilation, stride, padding) for a padding class."""
    kernel = int_or_pair(1, MAX_KERNEL)
    dilation = int_or_pair(1, MAX_DILATION)
    stride = int_or_pair(1, MAX_STRIDE)
    if padding_class == "int":
        return draw(kernel), draw(dilation), draw(stride), draw(st.integers(0, MAX_PADDING))
    if padding_class == "pair":
        padding = st.tuples(st.integers(0, MAX_PADDING), st.integers(0, MAX_PADDING))
        return draw(kernel), draw(dilation), draw(stride), draw(padding)
    if padding_class == "valid":
        return draw(kernel), draw(dilation), draw(stride), "valid"
    # torch rejects padding='same' for strided convolutions (an error case below).
    if padding_class == "same, odd kernel":
        odd = st.one_of(_odd(MAX_KERNEL), st.tuples(_odd(MAX_KERNEL), _odd(MAX_KERNEL)))
        return draw(odd), 1, 1, "same"
    if padding_class == "same, even kernel":
        even = st.one_of(
            _even(MAX_KERNEL), st.tuples(_even(MAX_KERNEL), st.integers(1, MAX_KERNEL))
        )
        return draw(even), 1, 1, "same"
    dilated = st.one_of(
        st.integers(2, MAX_DILATION), st.tuples(st.integers(2, MAX_DILATION), st.integers(1, 3))
    )
    return draw(kernel), draw(dilated), 1, "same"


def classify(hp: dict, shape: tuple) -> dict:
    """The classes a configuration falls in, for coverage."""
    padding = hp["padding"]
    if padding == "same":
        if pair(hp["dilation"]) != (1, 1):
            padding_class = "same, dilated"
        elif any(k % 2 == 0 for k in pair(hp["kernel_size"])):
            padding_class = "same, even kernel"
        else:
            padding_class = "same, odd kernel"
    else:
        padding_class = (
            "valid" if padding == "valid" else "int" if isinstance(padding, int) else "pair"
        )
    return {
        "padding": padding_class,
        "padding_mode": hp["padding_mode"],
        "bias": "bias" if hp["bias"] else "no bias",
        "groups": groups_class(hp),
        "horizontal stride": _stride_class(hp),
        "vertical stride": "1" if pair(hp["stride"])[0] == 1 else "above 1",
        "horizontal dilation": "1" if pair(hp["dilation"])[1] == 1 else "above 1",
        "batch": batch_class(shape, 3),
        "channels": channels_class(hp["in_channels"]),
        "output width": _output_width_class(hp, shape),
    }


def _stride_class(hp: dict) -> str:
    if pair(hp["stride"])[1] == 1:
        return "1"
    return "above 1, 1x1 kernel" if pair(hp["kernel_size"]) == (1, 1) else "above 1"


def _output_width_class(hp: dict, shape: tuple) -> str:
    if out_shape(hp, shape)[-1] > 1:
        return "several columns"
    return "one column, strided" if pair(hp["stride"])[1] > 1 else "one column"


CLASSES = {
    "padding": PADDING_CLASSES,
    "padding_mode": PADDING_MODES,
    "bias": ("bias", "no bias"),
    "groups": GROUPS_CLASSES,
    "horizontal stride": STRIDE_CLASSES,
    "vertical stride": VERTICAL_STRIDE_CLASSES,
    "horizontal dilation": HORIZONTAL_DILATION_CLASSES,
}
# Unbatched (C, H, W) input is accepted by Conv2d since torch 1.11; in_channels says how
# many channels the input has.
INPUT_CLASSES = {"batch": BATCH, "channels": CHANNELS, "output width": OUTPUT_WIDTH_CLASSES}


def impossible(classes: dict) -> bool:
    if impossible_groups(classes):
        return True
    stride = classes.get("horizontal stride")
    needed = STRIDE_OF_WIDTH.get(classes.get("output width", ""))
    if stride and needed and (stride == "1") != (needed == "1"):
        return True
    # torch rejects padding='same' with a stride above 1 (an invalid case).
    strided = (stride or needed or "1") != "1" or classes.get("vertical stride") == "above 1"
    if classes.get("padding", "").startswith("same") and strided:
        return True
    undilated = classes.get("padding") in ("same, odd kernel", "same, even kernel")
    return undilated and classes.get("horizontal dilation") == "above 1"


@st.composite
def hyperparams(draw: st.DrawFn, corner: dict | None = None) -> dict:
    corner = corner or {}
    groups, in_channels, out_channels = draw_groups(
        draw, corner, MAX_GROUPS, MAX_CHANNELS_PER_GROUP
    )
    _, (kernel, dilation, stride, padding) = from_class(
        draw, corner, "padding", {c: _window(c) for c in PADDING_CLASSES}
    )
    stride_class = corner.get("horizontal stride") or STRIDE_OF_WIDTH.get(
        corner.get("output width", "")
    )
    if stride_class:
        kernel, stride = draw(_in_stride_class(stride_class, kernel, stride))
    if "vertical stride" in corner:
        wanted = corner["vertical stride"]
        stride = draw(_side_in_class(stride, 0, wanted, MAX_STRIDE, "vertical stride"))
    if "horizontal dilation" in corner:
        wanted = corner["horizontal dilation"]
        dilation = draw(_side_in_class(dilation, 1, wanted, MAX_DILATION, "horizontal dilation"))
    _, bias = from_class(draw, corner, "bias", {"bias": st.just(True), "no bias": st.just(False)})
    _, mode = from_class(draw, corner, "padding_mode", {m: st.just(m) for m in PADDING_MODES})
    hp = {
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
    if corner.get("output width", "").startswith("one column") and _narrowest_output(hp) > 1:
        hp = _one_column_possible(hp)
    return hp


@st.composite
def _in_stride_class(draw: st.DrawFn, stride_class: str, kernel, stride) -> tuple:
    """(kernel_size, stride) respelled into a horizontal stride class, each in its drawn
    form (an int stays an int unless the class needs the two sides to differ)."""
    if stride_class == "1":
        return kernel, 1 if isinstance(stride, int) else (stride[0], 1)
    above = st.integers(2, MAX_STRIDE)
    if isinstance(stride, int):
        stride = draw(above, label="horizontal stride")
    else:
        stride = (stride[0], draw(above, label="horizontal stride"))
    if stride_class == "above 1, 1x1 kernel":
        kernel = 1 if isinstance(kernel, int) else (1, 1)
    elif pair(kernel) == (1, 1):
        # Any kernel but the pointwise one, which has a class of its own.
        kernel = 2 if isinstance(kernel, int) else (1, 2)
    return kernel, stride


@st.composite
def _side_in_class(draw: st.DrawFn, value, side: int, wanted: str, high: int, label: str):
    """An int or (rows, columns) pair with one side (0 rows, 1 columns) respelled into the
    class "1" or "above 1", the other side kept (an int stays an int where both sides
    still agree)."""
    sides = list(pair(value))
    if wanted == "1":
        sides[side] = 1
    elif sides[side] == 1:
        sides[side] = draw(st.integers(2, high), label=label)
    if isinstance(value, int) and sides[0] == sides[1]:
        return value
    return tuple(sides)


def _narrowest_output(hp: dict) -> int:
    """The output width at the smallest input torch accepts: the fewest columns there are."""
    low_h, low_w = _smallest_input(hp)
    return out_shape(hp, (1, hp["in_channels"], low_h, low_w))[-1]


def _one_column_possible(hp: dict) -> dict:
    """hp with no horizontal padding where padding made every input wider than one output
    column (a 'same' window then one column wide), keeping its padding class."""
    padding = hp["padding"]
    if padding == "same":
        k_h, _ = pair(hp["kernel_size"])
        return {**hp, "kernel_size": (k_h, 1)}
    if isinstance(padding, int):
        return {**hp, "padding": 0}
    return {**hp, "padding": (padding[0], 0)}


def _smallest_input(hp: dict) -> tuple[int, int]:
    """The smallest H, W for which torch accepts the input with these hyperparameters."""
    top, bottom, left, right = conv2d_padding(hp["kernel_size"], hp["dilation"], hp["padding"])
    (k_h, k_w), (d_h, d_w) = pair(hp["kernel_size"]), pair(hp["dilation"])
    low = [max(1, d_h * (k_h - 1) + 1 - top - bottom), max(1, d_w * (k_w - 1) + 1 - left - right)]
    # reflect needs padding < size; circular wraps at most once (padding <= size).
    if hp["padding_mode"] == "reflect":
        low = [max(low[0], top + 1, bottom + 1), max(low[1], left + 1, right + 1)]
    if hp["padding_mode"] == "circular":
        low = [max(low[0], top, bottom), max(low[1], left, right)]
    return low[0], low[1]


@st.composite
def input_shape(draw: st.DrawFn, hp: dict, corner: dict | None = None) -> tuple:
    low_h, low_w = _smallest_input(hp)
    h = draw(st.integers(low_h, low_h + SPATIAL_SLACK), label="H")
    widths = range(low_w, low_w + SPATIAL_SLACK + 1)
    wanted = (corner or {}).get("output width")
    if wanted is not None:
        # The corner asks for one output column or several: W among those that give it.
        giving = [w for w in widths if _output_width_class(hp, (hp["in_channels"], h, w)) == wanted]
        widths = giving or widths
    w = draw(st.sampled_from(widths), label="W")
    return (*batch_dims(draw, corner), hp["in_channels"], h, w)


def _geometry(hp: dict) -> tuple:
    return hp["stride"], hp["padding"], hp["dilation"], hp["groups"], hp["padding_mode"]


def forward(inputs):
    weight, bias = inputs.params["weight"], inputs.params.get("bias")
    return conv2d_forward(inputs.x, weight, bias, *_geometry(inputs.hp)), {}


def vjp(inputs):
    weight, bias = inputs.params["weight"], inputs.params.get("bias")
    return conv2d_vjp(inputs.x, weight, bias, *_geometry(inputs.hp), inputs.g)


def _taps(hp: dict) -> int:
    k_h, k_w = pair(hp["kernel_size"])
    return k_h * k_w


def forward_error(inputs):
    hp = inputs.hp
    taps = hp["in_channels"] // hp["groups"] * _taps(hp)
    return forward(inputs.absolute())[0], taps, forward_floor(forward, inputs)


def vjp_error(inputs):
    hp = inputs.hp
    absolute = vjp(inputs.absolute())
    # Every output position contributes to a weight/bias gradient element.
    positions = inputs.g.size // hp["out_channels"]
    # An input element collects from each filter of its group and each tap; padding
    # modes that copy (reflect, replicate, circular) fold several taps onto one element.
    fold = 4 if hp["padding_mode"] != "zeros" else 1
    floors = vjp_floors(vjp, inputs)
    terms = hp["out_channels"] // hp["groups"] * _taps(hp) * fold
    errors = {
        "input": (absolute["input"], terms, floors["input"]),
        "weight": (absolute["weight"], positions, floors["weight"]),
    }
    if "bias" in inputs.params:
        errors["bias"] = (absolute["bias"], positions)
    return errors


def out_shape(hp: dict, shape: tuple) -> tuple:
    return conv2d_out_shape(
        shape, hp["out_channels"], hp["kernel_size"], hp["stride"], hp["padding"], hp["dilation"]
    )


def param_shapes(hp: dict) -> dict:
    return conv2d_param_shapes(
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
    "input rank not 3 or 4",
    "non-positive stride",
    *NEGATIVE_PADDING_KINDS,
    "non-positive dilation",
    "reflect padding >= input size",
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
    k_h, k_w = pair(hp["kernel_size"])
    fits = (1, hp["in_channels"], k_h + 1, k_w + 1)
    if kind == "groups not dividing in_channels":
        return InvalidCase({**hp, "in_channels": g * per_in + 1}, None, ValueError, kind)
    if kind == "groups not dividing out_channels":
        return InvalidCase({**hp, "out_channels": g * per_out + 1}, None, ValueError, kind)
    if kind == "non-positive groups":
        return InvalidCase({**hp, "groups": draw(st.integers(-2, 0))}, None, ValueError, kind)
    if kind == "padding='same' with stride > 1":
        stride = draw(st.integers(2, MAX_STRIDE))
        return InvalidCase({**hp, "padding": "same", "stride": stride}, None, ValueError, kind)
    if kind == "unknown padding string":
        padding = draw(st.sampled_from(["full", "SAME", ""]))
        return InvalidCase({**hp, "padding": padding}, None, ValueError, kind)
    if kind == "unknown padding_mode":
        mode = draw(st.sampled_from(["mirror", "zero", "constant"]))
        return InvalidCase({**hp, "padding_mode": mode}, None, ValueError, kind)
    if kind == "kernel larger than the padded input":
        kernel = draw(st.integers(2, MAX_KERNEL))
        short = (1, hp["in_channels"], kernel - 1, draw(st.integers(1, kernel + 2)))
        return InvalidCase({**hp, "kernel_size": kernel}, short, RuntimeError, kind)
    if kind == "input channels != in_channels":
        return InvalidCase(
            hp, (1, hp["in_channels"] + draw(st.integers(1, 2)), k_h, k_w), RuntimeError, kind
        )
    if kind == "input rank not 3 or 4":
        rank = draw(st.sampled_from([1, 2, 5]))
        shape = {1: (k_w,), 2: (k_h, k_w), 5: (1, *fits)}[rank]
        return InvalidCase(hp, shape, RuntimeError, kind)
    if kind == "non-positive stride":
        return InvalidCase({**hp, "stride": draw(st.integers(-2, 0))}, fits, RuntimeError, kind)
    if kind in NEGATIVE_PADDING_KINDS:
        hp["padding_mode"] = negative_padding_mode(draw, kind)
        padding = draw(st.integers(-3, -1))
        # Large enough that cropping |p| from each side would still leave a window (as
        # Conv1d's case): with the bare `fits` a crop leaves less than the kernel, and the
        # kernel-size check raises the same RuntimeError, so an implementation that crops
        # (torch with a copying padding_mode) was never caught here.
        cropped = (1, hp["in_channels"], k_h + 1 - 2 * padding, k_w + 1 - 2 * padding)
        return InvalidCase({**hp, "padding": padding}, cropped, RuntimeError, kind)
    if kind == "non-positive dilation":
        return InvalidCase({**hp, "dilation": draw(st.integers(-2, 0))}, fits, RuntimeError, kind)
    size = draw(st.integers(max(k_h, k_w), max(k_h, k_w) + 2))
    padding = size + draw(st.integers(0, 2))
    return InvalidCase(
        {**hp, "padding_mode": "reflect", "padding": padding},
        (1, hp["in_channels"], size, size),
        RuntimeError,
        kind,
    )


# Kernels of a power of two of taps, for the subnormal case: each tap 1 / (kh kw).
FULL_COVER_KERNELS = ((1, 2), (2, 1), (2, 2), (1, 4), (4, 1), (2, 4), (4, 2))
# float16's smallest subnormal.
SMALLEST_HALF_SUBNORMAL = 2.0**-24


def _full_cover(spec):
    """Hyperparameters whose every input element meets every tap: stride 1, dilation 1,
    zero padding of kernel size - 1 on each side, a power of two of taps."""

    @st.composite
    def build(draw):
        kernel = draw(st.sampled_from(FULL_COVER_KERNELS), label="kernel")
        fixed = {
            "kernel_size": kernel,
            "stride": 1,
            "dilation": 1,
            "padding": (kernel[0] - 1, kernel[1] - 1),
            "padding_mode": "zeros",
        }
        return draw(spec.hyperparams(), label="hp") | fixed

    return build()


def _subnormal_gradient(spec, hp, dtype):
    """x = 0, every tap 1 / (kh kw) and grad_y 2^-24: each product w g is a quarter or less
    of float16's smallest subnormal, while the input gradient, all taps of every output
    channel summed, is exactly out_channels / groups * 2^-24."""

    def bias_gradient_exact(shape: tuple) -> bool:
        # The bias gradient sums grad_y over a channel's outputs: count 2^-24, which
        # bfloat16 holds only for counts of at most 8 significant bits (5 x 7 x 9 = 315
        # has 9).
        count = np.prod(spec.out_shape(hp, shape)) / hp["out_channels"]
        return representable(np.array([count * SMALLEST_HALF_SUBNORMAL]), dtype)

    @st.composite
    def build(draw):
        shapes = spec.input_shape(hp)
        if hp["bias"]:
            shapes = shapes.filter(bias_gradient_exact)
        shape = tuple(draw(shapes, label="input_shape"))
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="values seed"))
        k_h, k_w = hp["kernel_size"]
        params = {"weight": np.full(spec.param_shapes(hp)["weight"], 1.0 / (k_h * k_w))}
        if hp["bias"]:
            params["bias"] = rng.integers(-2, 3, hp["out_channels"]).astype(np.float64)
        grad_y = np.full(spec.out_shape(hp, shape), SMALLEST_HALF_SUBNORMAL)
        return Inputs(np.zeros(shape), hp, params, {}, False, grad_y=grad_y)

    return build()


def sweep_configuration(rng: np.random.Generator) -> tuple[dict, tuple]:
    """A random small Conv2d (hyperparameters, input shape) for the exact sweep: every
    argument over the ranges the strategies draw, pairs unequal, H and W from the smallest
    input the window fits up to SPATIAL_SLACK more (so one output column or row, and a
    few, are common)."""

    def side_pair(low: int, high: int) -> tuple[int, int]:
        return int(rng.integers(low, high + 1)), int(rng.integers(low, high + 1))

    groups = int(rng.integers(1, MAX_GROUPS + 1))
    in_channels = groups * int(rng.integers(1, MAX_CHANNELS_PER_GROUP + 1))
    out_channels = groups * int(rng.integers(1, MAX_CHANNELS_PER_GROUP + 1))
    kernel = (1, 1) if rng.random() < POINTWISE_SHARE else side_pair(1, MAX_KERNEL)
    dilation, stride = side_pair(1, MAX_DILATION), side_pair(1, MAX_STRIDE)
    padding = pick(rng, ("int", "pair", "valid", "same"))
    if padding == "int":
        padding = int(rng.integers(MAX_PADDING + 1))
    elif padding == "pair":
        padding = side_pair(0, MAX_PADDING)
    elif padding == "same":
        stride = (1, 1)  # torch rejects padding='same' with a stride
    hp = {
        "in_channels": in_channels,
        "out_channels": out_channels,
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "groups": groups,
        "bias": bool(rng.integers(2)),
        "padding_mode": pick(rng, PADDING_MODES),
    }
    smallest = _smallest_input(hp)
    sizes = [low + int(rng.integers(SPATIAL_SLACK + 1)) for low in smallest]
    share = rng.random()
    if share < PADDING_ONLY_SHARE:
        hp["padding_mode"] = "zeros"  # copying modes read the input where zeros pad
        axis = int(rng.integers(2))
        sizes[axis] = int(pick(rng, _padding_only_sizes(hp, axis) or (sizes[axis],)))
    elif share < PADDING_ONLY_SHARE + SMALLEST_INPUT_SHARE:
        axis = int(rng.integers(2))
        sizes[axis] = smallest[axis] + int(rng.integers(2))
    return hp, (*pick(rng, SWEEP_BATCHES), in_channels, *sizes)


def _padding_only_sizes(hp: dict, axis: int) -> tuple[int, ...]:
    """The input sizes along `axis` (0: H, 1: W) within SPATIAL_SLACK of the smallest at
    which every output position along it reads only zero padding (none, where the
    padding mode copies the input or the geometry never skips it)."""
    if hp["padding_mode"] != "zeros":
        return ()
    before, after = conv2d_padding(hp["kernel_size"], hp["dilation"], hp["padding"])[
        2 * axis : 2 * axis + 2
    ]
    kernel, dilation, stride = (
        pair(hp[name])[axis] for name in ("kernel_size", "dilation", "stride")
    )
    low = _smallest_input(hp)[axis]
    return tuple(
        size
        for size in range(low, low + SPATIAL_SLACK + 1)
        if reads_only_padding(size, before, after, kernel, dilation, stride)
    )


EXACT = (
    Sweep(
        "a sweep of small integers",
        why=(
            "each configuration on small integers whose every partial sum is exact in the "
            "dtype, as in 'small integers', so every algorithm that sums the products "
            "themselves (every CPU kernel of torch) gives the exact integers; hundreds of "
            "configurations an example reach the narrow regions where a kernel's blocking "
            "meets the shape (AMX's one-column outputs five to eight rows high)"
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
    ExactCase(
        "a gradient of subnormal products",
        why=(
            "x = 0, taps 1 / (kh kw) (a power of two), grad_y 2^-24 and a zero padding of "
            "kernel size - 1 at stride 1: every input element meets every tap of every "
            "output channel of its group, so the input gradient is exactly (out_channels / "
            "groups) 2^-24, a float16 subnormal, though each product w g alone is below "
            "float16's smallest; y is the bias and dW is 0, exactly, and the bias gradient "
            "(outputs per channel) 2^-24 for a count the dtype holds"
        ),
        inputs=_subnormal_gradient,
        hyperparams=_full_cover,
        exact=("output", "input", "weight", "bias"),
        # As for small integers: a Winograd or FFT backward (cuDNN may choose one)
        # transforms the operands and rounds; torch's CPU kernels sum the products.
        devices=("cpu",),
    ),
)

SPEC = LayerSpec(
    name="Conv2d",
    # torch's documented defaults of the optional arguments (not device=/dtype=).
    defaults={
        "stride": 1,
        "padding": 0,
        "dilation": 1,
        "groups": 1,
        "bias": True,
        "padding_mode": "zeros",
    },
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
    input_ranks=batched_ranks(3),
    # An unbatched input is unsqueezed into a batch of one (inductor's dynamic shapes
    # broke there: conv2d-inductor-dynamic-unbatched); every exact case meets each.
    exact_input_classes=("batch",),
    impossible=impossible,
    interactions=INTERACTIONS,
    classify=classify,
)
