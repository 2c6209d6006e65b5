"""nn.MaxPool2d: every constructor argument over its valid domain but return_indices; no parameters.

The chapter's dimension-tracking example pools with an unspecified `self.pool`: max
pooling is the usual choice, so it is here beside the chapter's AvgPool2d.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from reference.geometry import pair
from reference.max_pool2d import (
    has_empty_window,
    max_pool2d_forward,
    max_pool2d_out_shape,
    max_pool2d_vjp,
)
from spec.exact import ExactCase, integer_inputs
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
from spec.strategies import from_class, int_or_pair

MAX_KERNEL = 4
# Above MAX_KERNEL, so a stride larger than the kernel (windows that skip input) is drawn.
MAX_STRIDE = 5
MAX_DILATION = 3
# Input spatial sizes range from the smallest that gives one window up to this much more.
SPATIAL_SLACK = 6


def _max_padding(kernel: int) -> int:
    """torch's rule: padding at most half the kernel (not the dilated extent), per dim."""
    return kernel // 2


CLASSES = {
    "ceil_mode": ("floor", "ceil"),
    "dilation": ("1", "dilated"),
    "padding": ("none", "padded"),
}
# A dilated window over the padding can hold no input element at all: its max is over
# nothing (-inf), and its gradient has nowhere to go.
WINDOW_CLASSES = ("every window holds input", "a window holds no input element")
INPUT_CLASSES = {"batch": BATCH, "channels": CHANNELS, "window": WINDOW_CLASSES}


def impossible(classes: dict) -> bool:
    # A window starts inside the input or its left padding (torch's drop rule), so it
    # misses every input element only if it starts in the padding and skips over it.
    empty = classes.get("window") == WINDOW_CLASSES[1]
    return empty and (classes.get("padding") == "none" or classes.get("dilation") == "1")


def _window_class(hp: dict, shape: tuple) -> str:
    empty = has_empty_window(shape, *_geometry(hp))
    return WINDOW_CLASSES[1] if empty else WINDOW_CLASSES[0]


def classify(hp: dict, shape: tuple) -> dict:
    return {
        "ceil_mode": "ceil" if hp["ceil_mode"] else "floor",
        "dilation": "1" if pair(hp["dilation"]) == (1, 1) else "dilated",
        "padding": "none" if pair(hp["padding"]) == (0, 0) else "padded",
        "batch": batch_class(shape, 3),
        "channels": channels_class(shape[-3]),
        "window": _window_class(hp, shape),
    }


@st.composite
def hyperparams(draw: st.DrawFn, corner: dict | None = None) -> dict:
    corner = corner or {}
    if corner.get("padding") == "padded":
        # Padding needs a kernel of at least 2 along a dim (at most half the kernel).
        kernel = draw(
            st.one_of(
                st.integers(2, MAX_KERNEL),
                st.tuples(st.integers(2, MAX_KERNEL), st.integers(1, MAX_KERNEL)),
            ),
            label="kernel_size",
        )
    else:
        kernel = draw(int_or_pair(1, MAX_KERNEL), label="kernel_size")
    k_h, k_w = pair(kernel)
    if isinstance(kernel, int):
        padding = draw(st.integers(0, _max_padding(kernel)), label="padding")
    else:
        padding = draw(
            st.one_of(
                st.integers(0, min(_max_padding(k_h), _max_padding(k_w))),
                st.tuples(st.integers(0, _max_padding(k_h)), st.integers(0, _max_padding(k_w))),
            ),
            label="padding",
        )
    if corner.get("padding") == "none":
        padding = 0
    elif corner.get("padding") == "padded" and pair(padding) == (0, 0):
        padding = (max(1, k_h // 2), 0) if k_h >= 2 else (0, max(1, k_w // 2))
    _, dilation = from_class(
        draw,
        corner,
        "dilation",
        {
            "1": st.just(1),
            "dilated": st.one_of(
                st.integers(2, MAX_DILATION),
                st.tuples(st.integers(2, MAX_DILATION), st.integers(1, MAX_DILATION)),
            ),
        },
    )
    _, ceil_mode = from_class(
        draw, corner, "ceil_mode", {"floor": st.just(False), "ceil": st.just(True)}
    )
    if corner.get("window") == WINDOW_CLASSES[1]:
        # An empty window along H: kernel 2 from -1 with dilation d > 1 taps -1 and d - 1,
        # both outside an input of fewer than d rows (input_shape picks one).
        kernel = (2, k_w)
        padding = (1, min(pair(padding)[1], _max_padding(k_w)))
        dilation = (draw(st.integers(2, MAX_DILATION), label="dilation H"), pair(dilation)[1])
    return {
        "kernel_size": kernel,
        "stride": draw(st.one_of(st.none(), int_or_pair(1, MAX_STRIDE)), label="stride"),
        "padding": padding,
        "dilation": dilation,
        "ceil_mode": ceil_mode,
    }


def _geometry(hp: dict) -> tuple:
    return hp["kernel_size"], hp["stride"], hp["padding"], hp["dilation"], hp["ceil_mode"]


def _smallest_size(kernel: int, stride: int, pad: int, dilation: int, ceil_mode: bool) -> int:
    """The smallest input size along a dim for which torch makes at least one window.

    Floor mode needs the dilated window inside the padded input: size + 2p >= d(k-1) + 1.
    Ceil mode also keeps a partial window, up to s - 1 short; it starts at -p, left of
    the right padding, so torch's drop rule keeps it.
    """
    slack = stride - 1 if ceil_mode else 0
    return max(1, dilation * (kernel - 1) + 1 - 2 * pad - slack)


@st.composite
def input_shape(draw: st.DrawFn, hp: dict, corner: dict | None = None) -> tuple:
    kernel, padding, dilation = pair(hp["kernel_size"]), pair(hp["padding"]), pair(hp["dilation"])
    stride = kernel if hp["stride"] is None else pair(hp["stride"])
    low_h, low_w = (
        _smallest_size(k, s, p, d, hp["ceil_mode"])
        for k, s, p, d in zip(kernel, stride, padding, dilation, strict=True)
    )
    h = draw(st.integers(low_h, low_h + SPATIAL_SLACK), label="H")
    w = draw(st.integers(low_w, low_w + SPATIAL_SLACK), label="W")
    wanted = (corner or {}).get("window")
    if wanted is not None:
        # The corner asks for (or against) an empty window: pick H and W so, if any do.
        sizes = [
            (hh, ww)
            for hh in range(low_h, low_h + SPATIAL_SLACK + 1)
            for ww in range(low_w, low_w + SPATIAL_SLACK + 1)
            if (_window_class(hp, (1, hh, ww)) == wanted)
        ]
        if sizes:
            h, w = draw(st.sampled_from(sizes), label="H, W for the corner")
    channels = channel_count(draw, corner)
    return (*batch_dims(draw, corner), channels, h, w)


def forward(inputs):
    return max_pool2d_forward(inputs.x, *_geometry(inputs.hp)), {}


def vjp(inputs):
    return max_pool2d_vjp(inputs.x, *_geometry(inputs.hp), inputs.g)


def forward_error(inputs):
    # A maximum is one of its inputs: exact in every dtype, so the bound is the floor.
    return np.zeros(out_shape(inputs.hp, inputs.x.shape)), 1


def _overlap(hp: dict) -> int:
    """The most windows one input element is the maximum of: ceil(d(k-1)+1 / s) per dim."""
    kernel, dilation = pair(hp["kernel_size"]), pair(hp["dilation"])
    stride = kernel if hp["stride"] is None else pair(hp["stride"])
    extent = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True)]
    return math.prod(-(-e // s) for e, s in zip(extent, stride, strict=True))


def vjp_error(inputs):
    # An element collects the gradients of the windows it is the maximum of: a sum, whose
    # rounding is bounded by the same routing of |grad_y| (x itself, not |x|: the routing
    # follows the maxima of x).
    absolute = vjp(inputs.with_grad(np.abs(inputs.g)))
    return {"input": (absolute["input"], _overlap(inputs.hp))}


def out_shape(hp: dict, shape: tuple) -> tuple:
    return max_pool2d_out_shape(shape, *_geometry(hp))


def param_shapes(hp: dict) -> dict:
    return {}


INVALID_KINDS = (
    "non-positive kernel_size",
    "non-positive stride",
    "non-positive dilation",
    "padding above half the kernel",
    "negative padding",
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
    (d_h, d_w) = pair(hp["dilation"])
    # Big enough for every valid window of these hyperparameters.
    fits = (1, 2, d_h * k_h + MAX_STRIDE, d_w * k_w + MAX_STRIDE)
    if kind == "non-positive kernel_size":
        bad = draw(st.integers(-2, 0))
        kernel = draw(st.sampled_from([bad, (bad, 1), (1, bad)]))
        return InvalidCase({**hp, "kernel_size": kernel, "padding": 0}, fits, RuntimeError, kind)
    if kind == "non-positive stride":
        bad = draw(st.integers(-2, 0))
        stride = draw(st.sampled_from([bad, (bad, 1), (1, bad)]))
        return InvalidCase({**hp, "stride": stride}, fits, RuntimeError, kind)
    if kind == "non-positive dilation":
        bad = draw(st.integers(-2, 0))
        dilation = draw(st.sampled_from([bad, (bad, 1), (1, bad)]))
        return InvalidCase({**hp, "dilation": dilation}, fits, RuntimeError, kind)
    if kind == "padding above half the kernel":
        dim = draw(st.integers(0, 1), label="dim")
        bad = _max_padding((k_h, k_w)[dim]) + draw(st.integers(1, 2))
        padding = (bad, 0) if dim == 0 else (0, bad)
        return InvalidCase({**hp, "padding": padding}, fits, RuntimeError, kind)
    if kind == "negative padding":
        bad = draw(st.integers(-3, -1))
        padding = draw(st.sampled_from([bad, (bad, 0), (0, bad)]))
        return InvalidCase({**hp, "padding": padding}, fits, RuntimeError, kind)
    if kind == "window larger than the padded input":
        # Floor mode only: ceil mode keeps a partial window over a too-small input.
        kernel = draw(st.integers(2, MAX_KERNEL), label="kernel")
        dilation = draw(st.integers(1, MAX_DILATION), label="dilation")
        padding = draw(st.integers(0, (kernel - 2) // 2), label="padding")
        extent = dilation * (kernel - 1) + 1
        short = draw(st.integers(1, extent - 2 * padding - 1), label="short size")
        hp = {**hp, "kernel_size": kernel, "dilation": dilation, "padding": padding}
        hp["ceil_mode"] = False
        spatial = draw(st.sampled_from([(short, extent), (extent, short)]), label="H, W")
        batch = draw(st.sampled_from([(1, 2), (2,)]), label="N, C or C")
        return InvalidCase(hp, (*batch, *spatial), RuntimeError, kind)
    if kind == "input rank below 3":
        shape = draw(st.sampled_from([fits[2:], fits[3:]]))
        return InvalidCase(hp, shape, RuntimeError, kind)
    return InvalidCase(hp, (1, *fits), RuntimeError, kind)


EXACT = (
    ExactCase(
        "small integers",
        why=(
            "a maximum is one of its inputs, and each input gradient is a sum of small "
            "integers (the windows it is the first maximum of) inside the exact range"
        ),
        inputs=integer_inputs(),
    ),
)

SPEC = LayerSpec(
    name="MaxPool2d",
    # torch's documented defaults of the optional arguments (not device=/dtype=).
    defaults={
        "stride": None,
        "padding": 0,
        "dilation": 1,
        "return_indices": False,
        "ceil_mode": False,
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
    # Piecewise linear: its second derivative is zero wherever the first exists.
    twice_differentiable=True,
    classes=CLASSES,
    input_classes=INPUT_CLASSES,
    input_ranks=batched_ranks(3),
    # Not the window classes, which depend on the hyperparameters (as AvgPool2d's).
    exact_input_classes=("batch", "channels"),
    impossible=impossible,
    classify=classify,
    out_of_scope={
        "return_indices": (
            "return_indices=True returns (values, indices), a second output the one-output "
            "model of a LayerSpec does not describe; the indices' law (the first maximum) "
            "is checked through the gradient, which goes exactly there"
        ),
    },
    exact=EXACT,
)
