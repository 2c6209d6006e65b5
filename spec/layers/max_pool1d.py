"""nn.MaxPool1d: every constructor argument over its valid domain but return_indices; no
parameters."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from reference.geometry import single
from reference.max_pool1d import (
    max_pool1d_forward,
    max_pool1d_has_empty_window,
    max_pool1d_out_shape,
    max_pool1d_vjp,
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
from spec.layers.max_pool2d import WINDOW_CLASSES, impossible
from spec.layerspec import InvalidCase, LayerSpec
from spec.strategies import from_class, int_or_single

MAX_KERNEL = 5
# Above MAX_KERNEL, so a stride larger than the kernel (windows that skip input) is drawn.
MAX_STRIDE = 6
MAX_DILATION = 3
# Input lengths range from the smallest that gives one window up to this much more.
LENGTH_SLACK = 10


def _max_padding(kernel: int) -> int:
    """torch's rule: padding at most half the kernel (not the dilated extent)."""
    return kernel // 2


CLASSES = {
    "ceil_mode": ("floor", "ceil"),
    "dilation": ("1", "dilated"),
    "padding": ("none", "padded"),
}


# MaxPool2d's window classes along the one spatial dimension: a dilated window over the
# padding can hold no input element (its max is over nothing, its gradient goes nowhere),
# and which configurations can have one is the same rule.
# Batch and channels as MaxPool2d's: an empty window's gradient written out of its row
# shows only where another row follows (batch > 1 or several channels).
INPUT_CLASSES = {"batch": BATCH, "channels": CHANNELS, "window": WINDOW_CLASSES}


def _window_class(hp: dict, shape: tuple) -> str:
    empty = max_pool1d_has_empty_window(shape, *_geometry(hp))
    return WINDOW_CLASSES[1] if empty else WINDOW_CLASSES[0]


def classify(hp: dict, shape: tuple) -> dict:
    return {
        "ceil_mode": "ceil" if hp["ceil_mode"] else "floor",
        "dilation": "1" if single(hp["dilation"]) == 1 else "dilated",
        "padding": "none" if single(hp["padding"]) == 0 else "padded",
        "batch": batch_class(shape, 2),
        "channels": channels_class(shape[-2]),
        "window": _window_class(hp, shape),
    }


@st.composite
def hyperparams(draw: st.DrawFn, corner: dict | None = None) -> dict:
    corner = corner or {}
    # Padding needs a kernel of at least 2 (at most half the kernel).
    smallest_kernel = 2 if corner.get("padding") == "padded" else 1
    kernel = draw(int_or_single(smallest_kernel, MAX_KERNEL), label="kernel_size")
    _, padding = from_class(
        draw,
        corner,
        "padding",
        {
            "none": st.sampled_from([0, (0,)]),
            "padded": int_or_single(1, max(1, _max_padding(single(kernel)))),
        },
    )
    if single(padding) > _max_padding(single(kernel)):
        # A kernel of 1 drawn outside a corner has no room for padding.
        padding = 0
    _, dilation = from_class(
        draw,
        corner,
        "dilation",
        {"1": st.sampled_from([1, (1,)]), "dilated": int_or_single(2, MAX_DILATION)},
    )
    _, ceil_mode = from_class(
        draw, corner, "ceil_mode", {"floor": st.just(False), "ceil": st.just(True)}
    )
    if corner.get("window") == WINDOW_CLASSES[1]:
        # An empty window: kernel 2 from -1 with dilation d > 1 taps -1 and d - 1, both
        # outside an input shorter than d (input_shape picks one).
        kernel, padding = 2, 1
        dilation = draw(st.integers(2, MAX_DILATION), label="dilation")
    return {
        "kernel_size": kernel,
        "stride": draw(st.one_of(st.none(), int_or_single(1, MAX_STRIDE)), label="stride"),
        "padding": padding,
        "dilation": dilation,
        "ceil_mode": ceil_mode,
    }


def _geometry(hp: dict) -> tuple:
    return hp["kernel_size"], hp["stride"], hp["padding"], hp["dilation"], hp["ceil_mode"]


def _stride(hp: dict) -> int:
    return single(hp["kernel_size"] if hp["stride"] is None else hp["stride"])


def _smallest_length(hp: dict) -> int:
    """The smallest input length for which torch makes at least one window.

    Floor mode needs the dilated window inside the padded input: L + 2p >= d(k-1) + 1.
    Ceil mode also keeps a partial window, up to s - 1 short; it starts at -p, left of
    the right padding, so torch's drop rule keeps it.
    """
    extent = single(hp["dilation"]) * (single(hp["kernel_size"]) - 1) + 1
    slack = _stride(hp) - 1 if hp["ceil_mode"] else 0
    return max(1, extent - 2 * single(hp["padding"]) - slack)


@st.composite
def input_shape(draw: st.DrawFn, hp: dict, corner: dict | None = None) -> tuple:
    low = _smallest_length(hp)
    length = draw(st.integers(low, low + LENGTH_SLACK), label="L")
    wanted = (corner or {}).get("window")
    if wanted is not None:
        # The corner asks for (or against) an empty window: pick L so, if any does.
        lengths = [
            n for n in range(low, low + LENGTH_SLACK + 1) if _window_class(hp, (1, n)) == wanted
        ]
        if lengths:
            length = draw(st.sampled_from(lengths), label="L for the corner")
    return (*batch_dims(draw, corner), channel_count(draw, corner), length)


def forward(inputs):
    return max_pool1d_forward(inputs.x, *_geometry(inputs.hp)), {}


def vjp(inputs):
    return max_pool1d_vjp(inputs.x, *_geometry(inputs.hp), inputs.g)


def forward_error(inputs):
    # A maximum is one of its inputs: exact in every dtype, so the bound is the floor.
    return np.zeros(out_shape(inputs.hp, inputs.x.shape)), 1


def _overlap(hp: dict) -> int:
    """The most windows one input element is the maximum of: ceil((d(k-1)+1) / s)."""
    extent = single(hp["dilation"]) * (single(hp["kernel_size"]) - 1) + 1
    return -(-extent // _stride(hp))


def vjp_error(inputs):
    # An element collects the gradients of the windows it is the maximum of: a sum, whose
    # rounding is bounded by the same routing of |grad_y| (x itself, not |x|: the routing
    # follows the maxima of x).
    absolute = vjp(inputs.with_grad(np.abs(inputs.g)))
    return {"input": (absolute["input"], _overlap(inputs.hp))}


def out_shape(hp: dict, shape: tuple) -> tuple:
    return max_pool1d_out_shape(shape, *_geometry(hp))


def param_shapes(hp: dict) -> dict:
    return {}


INVALID_KINDS = (
    "non-positive kernel_size",
    "non-positive stride",
    "non-positive dilation",
    "padding above half the kernel",
    "negative padding",
    "window larger than the padded input",
    "input rank not 2 or 3",
)


@st.composite
def invalid(draw: st.DrawFn, corner: dict | None = None) -> InvalidCase:
    hp = draw(hyperparams())
    kind = (corner or {}).get("invalid kind") or draw(
        st.sampled_from(INVALID_KINDS), label="invalid kind"
    )
    k, d = single(hp["kernel_size"]), single(hp["dilation"])
    # Long enough for every valid window of these hyperparameters.
    fits = (1, 2, d * k + MAX_STRIDE)
    if kind == "non-positive kernel_size":
        kernel = draw(int_or_single(-2, 0), label="kernel_size")
        return InvalidCase({**hp, "kernel_size": kernel, "padding": 0}, fits, RuntimeError, kind)
    if kind == "non-positive stride":
        stride = draw(int_or_single(-2, 0), label="stride")
        return InvalidCase({**hp, "stride": stride}, fits, RuntimeError, kind)
    if kind == "non-positive dilation":
        dilation = draw(int_or_single(-2, 0), label="dilation")
        return InvalidCase({**hp, "dilation": dilation}, fits, RuntimeError, kind)
    if kind == "padding above half the kernel":
        padding = _max_padding(k) + draw(st.integers(1, 2), label="excess")
        return InvalidCase({**hp, "padding": padding}, fits, RuntimeError, kind)
    if kind == "negative padding":
        padding = draw(int_or_single(-3, -1), label="padding")
        return InvalidCase({**hp, "padding": padding}, fits, RuntimeError, kind)
    if kind == "window larger than the padded input":
        # Floor mode only: ceil mode keeps a partial window over a too-small input.
        kernel = draw(st.integers(2, MAX_KERNEL), label="kernel")
        dilation = draw(st.integers(1, MAX_DILATION), label="dilation")
        padding = draw(st.integers(0, (kernel - 2) // 2), label="padding")
        extent = dilation * (kernel - 1) + 1
        short = draw(st.integers(1, extent - 2 * padding - 1), label="short length")
        hp = {**hp, "kernel_size": kernel, "dilation": dilation, "padding": padding}
        hp["ceil_mode"] = False
        batch = draw(st.sampled_from([(1, 2), (2,)]), label="N, C or C")
        return InvalidCase(hp, (*batch, short), RuntimeError, kind)
    shape = draw(st.sampled_from([(), fits[2:], (1, *fits)]), label="shape")
    return InvalidCase(hp, shape, RuntimeError, kind)


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
    # torch's documented defaults of the optional arguments (not device=/dtype=).
    defaults={
        "stride": None,
        "padding": 0,
        "dilation": 1,
        "return_indices": False,
        "ceil_mode": False,
    },
    name="MaxPool1d",
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
    input_ranks=batched_ranks(2),
    # Not the window classes, which depend on the hyperparameters (as AvgPool2d's).
    exact_input_classes=("batch", "channels"),
    classify=classify,
    impossible=impossible,
    out_of_scope={
        "return_indices": (
            "return_indices=True returns (values, indices), a second output the one-output "
            "model of a LayerSpec does not describe; the indices' law (the first maximum) "
            "is checked through the gradient, which goes exactly there"
        ),
    },
    exact=EXACT,
)
