"""nn.AvgPool2d: every constructor argument over its valid domain; no parameters."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from reference.avg_pool2d import avg_pool2d_forward, avg_pool2d_out_shape, avg_pool2d_vjp
from reference.geometry import pair
from spec.exact import ExactCase, integer_inputs, powers_of_two
from spec.input_classes import (
    BATCH,
    CHANNELS,
    batch_class,
    batch_dims,
    batched_ranks,
    channel_count,
    channels_class,
)
from spec.layerspec import InvalidCase, LayerSpec
from spec.strategies import int_or_pair

MAX_KERNEL = 4
# Above MAX_KERNEL, so a stride larger than the kernel (windows that skip input) is drawn.
MAX_STRIDE = 5
# divisor_override is any nonzero int: negative ones flip the sign, big ones shrink.
MAX_DIVISOR = 20
# Input spatial sizes range from the smallest that gives one window up to this much more.
SPATIAL_SLACK = 6


def _max_padding(kernel: int) -> int:
    """torch's rule: padding at most half the kernel (integer division), per dim."""
    return kernel // 2


# ceil_mode x count_include_pad x divisor_override: each combination divides differently.
DIVISION_CLASSES = tuple(
    f"ceil_mode={ceil}, count_include_pad={include}, divisor_override={divisor}"
    for include in (False, True)
    for divisor in ("None", "set")
    for ceil in (False, True)
)
# Where the windows reach: inside the input, into the padding (counted or not), or, in
# ceil mode, past the padded input (that window's divisor is the clipped window's).
WINDOW_CLASSES = ("inside the input", "reaches the padding", "runs past the padding")
CLASSES = {"division": DIVISION_CLASSES}
INPUT_CLASSES = {"batch": BATCH, "channels": CHANNELS, "window": WINDOW_CLASSES}


def impossible(classes: dict) -> bool:
    # Only ceil mode keeps a window that runs past the padded input.
    floor = "ceil_mode=False" in classes.get("division", "")
    return floor and classes.get("window") == WINDOW_CLASSES[2]


def _division_class(hp: dict) -> str:
    divisor = "None" if hp["divisor_override"] is None else "set"
    return (
        f"ceil_mode={hp['ceil_mode']}, count_include_pad={hp['count_include_pad']}, "
        f"divisor_override={divisor}"
    )


def _overhangs(hp: dict, shape: tuple) -> bool:
    """Whether a ceil-mode window runs past the padded input along H or W."""
    kernel, padding = pair(hp["kernel_size"]), pair(hp["padding"])
    stride = kernel if hp["stride"] is None else pair(hp["stride"])
    out = avg_pool2d_out_shape(shape, *_geometry(hp)[:3], hp["ceil_mode"])[-2:]
    return any(
        (o - 1) * s - p + k > size + p
        for o, s, p, k, size in zip(out, stride, padding, kernel, shape[-2:], strict=True)
    )


def _window_class(hp: dict, shape: tuple) -> str:
    if _overhangs(hp, shape):
        return WINDOW_CLASSES[2]
    # The first window starts at -padding: any padding is reached.
    return WINDOW_CLASSES[1] if pair(hp["padding"]) != (0, 0) else WINDOW_CLASSES[0]


def classify(hp: dict, shape: tuple) -> dict:
    return {
        "division": _division_class(hp),
        "batch": batch_class(shape, 3),
        "channels": channels_class(shape[-3]),
        "window": _window_class(hp, shape),
    }


@st.composite
def hyperparams(draw: st.DrawFn, corner: dict | None = None) -> dict:
    corner = corner or {}
    division = corner.get("division") or draw(st.sampled_from(DIVISION_CLASSES), label="division")
    window = corner.get("window")
    if window == WINDOW_CLASSES[2] and "ceil_mode=False" in division:
        # Only ceil mode keeps a window past the padded input.
        division = division.replace("ceil_mode=False", "ceil_mode=True")
    # Padding needs a kernel of 2 or more (it is at most half the kernel), and so does a
    # window past the padding (one that starts inside and ends past it).
    smallest = 2 if window in WINDOW_CLASSES[1:] else 1
    kernel = draw(int_or_pair(smallest, MAX_KERNEL), label="kernel_size")
    k_h, k_w = pair(kernel)
    if window == WINDOW_CLASSES[0]:
        padding = 0
    elif window == WINDOW_CLASSES[1]:
        padding = draw(st.integers(1, min(_max_padding(k_h), _max_padding(k_w))), label="padding")
    elif window == WINDOW_CLASSES[2]:
        # A window past the padded end starts inside the input or the left padding (the
        # drop rule) and ends past the right padding: k - p >= 2 leaves it room.
        room = min(min(_max_padding(k), k - 2) for k in (k_h, k_w))
        padding = draw(st.integers(0, room), label="padding")
    elif isinstance(kernel, int):
        padding = draw(st.integers(0, _max_padding(kernel)), label="padding")
    else:
        padding = draw(
            st.one_of(
                st.integers(0, min(_max_padding(k_h), _max_padding(k_w))),
                st.tuples(st.integers(0, _max_padding(k_h)), st.integers(0, _max_padding(k_w))),
            ),
            label="padding",
        )
    nonzero = st.integers(-MAX_DIVISOR, MAX_DIVISOR).filter(lambda d: d != 0)
    stride = draw(st.one_of(st.none(), int_or_pair(1, MAX_STRIDE)), label="stride")
    if window == WINDOW_CLASSES[2] and (stride is None or pair(stride) == (1, 1)):
        # A window overhangs only where the stride skips past the end: stride >= 2.
        stride = draw(int_or_pair(2, MAX_STRIDE), label="stride for an overhang")
    return {
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "ceil_mode": "ceil_mode=True" in division,
        "count_include_pad": "count_include_pad=True" in division,
        "divisor_override": (
            None if division.endswith("None") else draw(nonzero, label="divisor_override")
        ),
    }


def _smallest_size(kernel: int, stride: int, padding: int, ceil_mode: bool) -> int:
    """The smallest input size along a dim for which torch makes at least one window.

    Floor mode needs the window inside the padded input: size + 2p >= k. Ceil mode also
    keeps a partial window, ceil((size + 2p - k) / s) >= 0, i.e. size + 2p - k > -s; that
    window starts at -p, left of the right padding, so torch's drop rule keeps it.
    """
    slack = stride - 1 if ceil_mode else 0
    return max(1, kernel - 2 * padding - slack)


@st.composite
def input_shape(draw: st.DrawFn, hp: dict, corner: dict | None = None) -> tuple:
    kernel, padding = pair(hp["kernel_size"]), pair(hp["padding"])
    stride = kernel if hp["stride"] is None else pair(hp["stride"])
    low_h, low_w = (
        _smallest_size(k, s, p, hp["ceil_mode"])
        for k, s, p in zip(kernel, stride, padding, strict=True)
    )
    # Shrinks to the smallest input; in floor mode, the kernel equal to the padded input.
    h = draw(st.integers(low_h, low_h + SPATIAL_SLACK), label="H")
    w = draw(st.integers(low_w, low_w + SPATIAL_SLACK), label="W")
    wanted = (corner or {}).get("window")
    if wanted is not None:
        # The corner asks for (or against) a window past the padding: pick H (then W) so.
        sizes = [
            (hh, ww)
            for hh in range(low_h, low_h + SPATIAL_SLACK + 1)
            for ww in range(low_w, low_w + SPATIAL_SLACK + 1)
            if (_overhangs(hp, (1, 1, hh, ww)) == (wanted == WINDOW_CLASSES[2]))
        ]
        if sizes:
            h, w = draw(st.sampled_from(sizes), label="H, W for the corner")
    channels = channel_count(draw, corner)
    return (*batch_dims(draw, corner), channels, h, w)


def _geometry(hp: dict) -> tuple:
    return (
        hp["kernel_size"],
        hp["stride"],
        hp["padding"],
        hp["ceil_mode"],
        hp["count_include_pad"],
        hp["divisor_override"],
    )


def forward(inputs):
    return avg_pool2d_forward(inputs.x, *_geometry(inputs.hp)), {}


def vjp(inputs):
    return avg_pool2d_vjp(inputs.x, *_geometry(inputs.hp), inputs.g)


def _window(hp: dict) -> int:
    k_h, k_w = pair(hp["kernel_size"])
    return k_h * k_w


def _overlap(hp: dict) -> int:
    """The most windows that cover one input element: ceil(k / s) per dim."""
    kernel = pair(hp["kernel_size"])
    stride = kernel if hp["stride"] is None else pair(hp["stride"])
    return math.prod(-(-k // s) for k, s in zip(kernel, stride, strict=True))


def forward_error(inputs):
    # Linear in x: a window's sum of K terms errs by at most the sum of |x| (times
    # eps sqrt(K)), and the division by the divisor adds one relative rounding. abs()
    # because a negative divisor_override flips every output's sign.
    return np.abs(forward(inputs.absolute())[0]), _window(inputs.hp)


def vjp_error(inputs):
    # The input gradient sums grad_y / divisor over the windows that cover the element.
    absolute = vjp(inputs.absolute())
    return {"input": (np.abs(absolute["input"]), _overlap(inputs.hp))}


def out_shape(hp: dict, shape: tuple) -> tuple:
    return avg_pool2d_out_shape(
        shape, hp["kernel_size"], hp["stride"], hp["padding"], hp["ceil_mode"]
    )


def param_shapes(hp: dict) -> dict:
    return {}


INVALID_KINDS = (
    "non-positive stride",
    "non-positive kernel_size",
    "padding above half the kernel",
    "negative padding",
    "divisor_override 0",
    "window larger than the padded input",
    "input rank below 3",
    "input rank above 4",
)


@st.composite
def invalid(draw: st.DrawFn, corner: dict | None = None) -> InvalidCase:
    hp = draw(hyperparams())
    kind = (corner or {}).get("invalid kind") or draw(
        st.sampled_from(INVALID_KINDS), label="invalid kind"
    )
    k_h, k_w = pair(hp["kernel_size"])
    # Big enough for every valid window of these hyperparameters.
    fits = (1, 2, k_h + MAX_STRIDE, k_w + MAX_STRIDE)
    if kind == "non-positive stride":
        bad = draw(st.integers(-2, 0))
        stride = draw(st.sampled_from([bad, (bad, 1), (1, bad)]))
        return InvalidCase({**hp, "stride": stride}, fits, RuntimeError, kind)
    if kind == "non-positive kernel_size":
        # kernel_size 0 reads as stride 0 when stride is None: torch still rejects it.
        bad = draw(st.integers(-2, 0))
        kernel = draw(st.sampled_from([bad, (bad, 1), (1, bad)]))
        return InvalidCase({**hp, "kernel_size": kernel, "padding": 0}, fits, RuntimeError, kind)
    if kind == "padding above half the kernel":
        dim = draw(st.integers(0, 1), label="dim")
        bad = _max_padding((k_h, k_w)[dim]) + draw(st.integers(1, 2))
        padding = (bad, 0) if dim == 0 else (0, bad)
        return InvalidCase({**hp, "padding": padding}, fits, RuntimeError, kind)
    if kind == "negative padding":
        bad = draw(st.integers(-3, -1))
        padding = draw(st.sampled_from([bad, (bad, 0), (0, bad)]))
        return InvalidCase({**hp, "padding": padding}, fits, RuntimeError, kind)
    if kind == "divisor_override 0":
        return InvalidCase({**hp, "divisor_override": 0}, fits, RuntimeError, kind)
    if kind == "window larger than the padded input":
        # Floor mode only: ceil mode keeps a partial window over a too-small input.
        kernel = draw(st.integers(2, MAX_KERNEL), label="kernel")
        # Padding that leaves room for an input shorter than the window: k - 2p >= 2.
        padding = draw(st.integers(0, (kernel - 2) // 2), label="padding")
        short = draw(st.integers(1, kernel - 2 * padding - 1), label="short size")
        hp = {**hp, "kernel_size": kernel, "padding": padding, "ceil_mode": False}
        spatial = draw(st.sampled_from([(short, kernel), (kernel, short)]), label="H, W")
        batch = draw(st.sampled_from([(1, 2), (2,)]), label="N, C or C")
        return InvalidCase(hp, (*batch, *spatial), RuntimeError, kind)
    if kind == "input rank below 3":
        # torch indexes dim -3 before checking the rank.
        shape = draw(st.sampled_from([(k_h + 2, k_w + 2), (k_w + 2,), ()]))
        return InvalidCase(hp, shape, IndexError, kind)
    return InvalidCase(hp, (1, *fits), RuntimeError, kind)


def _power_of_two_divisor(spec):
    """Any configuration, its divisor forced to +-2^k: a window sum over it is dyadic."""
    divisors = st.tuples(powers_of_two(0, 4), st.sampled_from([1, -1])).map(lambda d: d[0] * d[1])
    return st.tuples(spec.hyperparams(), divisors).map(
        lambda pair_: {**pair_[0], "divisor_override": pair_[1]}
    )


EXACT = (
    ExactCase(
        "small integers, power-of-two divisor",
        why=(
            "a window sum of small integers is an exact integer in any order; divided by "
            "+-2^k it is exact too (a power-of-two division only moves the exponent); the "
            "input gradient sums multiples of 1/2^k, exact while the count of quanta fits"
        ),
        inputs=integer_inputs(quantum=lambda hp: 1 / abs(hp["divisor_override"])),
        hyperparams=_power_of_two_divisor,
    ),
)

SPEC = LayerSpec(
    name="AvgPool2d",
    # torch's documented defaults of the optional arguments (not device=/dtype=).
    defaults={
        "stride": None,
        "padding": 0,
        "ceil_mode": False,
        "count_include_pad": True,
        "divisor_override": None,
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
    # The map is linear: its second derivative is zero, which gradgradcheck confirms.
    twice_differentiable=True,
    classes=CLASSES,
    input_classes=INPUT_CLASSES,
    input_ranks=batched_ranks(3),
    # The window classes depend on the hyperparameters (past the padding needs ceil
    # mode); batch and channels do not, and each reaches a kernel loop of its own.
    exact_input_classes=("batch", "channels"),
    impossible=impossible,
    classify=classify,
    exact=EXACT,
)
