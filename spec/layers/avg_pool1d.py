"""nn.AvgPool1d: every constructor argument over its valid domain; no parameters.

AvgPool1d has no divisor_override (AvgPool2d's): passing one is a TypeError, an invalid case.
"""

from __future__ import annotations

from hypothesis import strategies as st

from reference.avg_pool1d import avg_pool1d_forward, avg_pool1d_out_shape, avg_pool1d_vjp
from reference.geometry import single
from spec.exact import ExactCase, integer_inputs, largest_power_of_two
from spec.input_classes import batched_ranks
from spec.layerspec import InvalidCase, LayerSpec
from spec.strategies import MAX_BATCH, MAX_CHANNELS, int_or_single

MAX_KERNEL = 5
# Above MAX_KERNEL, so a stride larger than the kernel (windows that skip input) is drawn.
MAX_STRIDE = 6
# Input lengths range from the smallest that gives one window up to this much more.
LENGTH_SLACK = 10


def _max_padding(kernel: int) -> int:
    """torch's rule: padding at most half the kernel (integer division)."""
    return kernel // 2


# ceil_mode x count_include_pad: each combination divides differently. Floor- and
# ceil-mode classes alternate, so the corner pass (which pairs class i of every dimension)
# meets each ceil-mode class with an overhanging last window, and each floor-mode class
# with whole windows, the only kind floor mode has.
DIVISION_CLASSES = tuple(
    f"ceil_mode={ceil}, count_include_pad={include}"
    for include in (False, True)
    for ceil in (False, True)
)
# In ceil mode the last window may overhang the padded input: its divisor is the clipped
# window's, a corner of its own.
WINDOW_CLASSES = ("all windows whole", "a window overhangs")
CLASSES = {"division": DIVISION_CLASSES, "last window": WINDOW_CLASSES}


def _stride(hp: dict) -> int:
    return single(hp["kernel_size"] if hp["stride"] is None else hp["stride"])


def _overhangs(hp: dict, shape: tuple) -> bool:
    """Whether a ceil-mode window runs past the padded input."""
    kernel, padding = single(hp["kernel_size"]), single(hp["padding"])
    out = avg_pool1d_out_shape(shape, *_geometry(hp)[:3], hp["ceil_mode"])[-1]
    return (out - 1) * _stride(hp) - padding + kernel > shape[-1] + padding


def classify(hp: dict, shape: tuple) -> dict:
    overhang = WINDOW_CLASSES[1] if _overhangs(hp, shape) else WINDOW_CLASSES[0]
    division = f"ceil_mode={hp['ceil_mode']}, count_include_pad={hp['count_include_pad']}"
    return {"division": division, "last window": overhang}


@st.composite
def hyperparams(draw: st.DrawFn, corner: dict | None = None) -> dict:
    corner = corner or {}
    division = corner.get("division") or draw(st.sampled_from(DIVISION_CLASSES), label="division")
    overhang = corner.get("last window") == WINDOW_CLASSES[1]
    if overhang and "ceil_mode=False" in division:
        # Only ceil mode keeps an overhanging window.
        division = division.replace("ceil_mode=False", "ceil_mode=True")
    kernel = draw(int_or_single(1, MAX_KERNEL), label="kernel_size")
    padding = draw(int_or_single(0, _max_padding(single(kernel))), label="padding")
    if overhang and single(kernel) < single(padding) + 2:
        # The last window can run past the padded end only if it is longer than the
        # padding plus the one real element it must start at or before.
        kernel = draw(int_or_single(2, MAX_KERNEL), label="kernel for an overhang")
        most = min(_max_padding(single(kernel)), single(kernel) - 2)
        padding = draw(int_or_single(0, most), label="padding for an overhang")
    stride = draw(st.one_of(st.none(), int_or_single(1, MAX_STRIDE)), label="stride")
    if overhang and (stride is None or single(stride) == 1):
        # A window overhangs only where the stride skips past the end: stride >= 2.
        stride = draw(int_or_single(2, MAX_STRIDE), label="stride for an overhang")
    return {
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "ceil_mode": "ceil_mode=True" in division,
        "count_include_pad": "count_include_pad=True" in division,
    }


def _smallest_length(hp: dict) -> int:
    """The smallest input length for which torch makes at least one window.

    Floor mode needs the window inside the padded input: L + 2p >= k. Ceil mode also keeps
    a partial window, ceil((L + 2p - k) / s) >= 0, i.e. L + 2p - k > -s; that window
    starts at -p, left of the right padding, so torch's drop rule keeps it.
    """
    slack = _stride(hp) - 1 if hp["ceil_mode"] else 0
    return max(1, single(hp["kernel_size"]) - 2 * single(hp["padding"]) - slack)


@st.composite
def input_shape(draw: st.DrawFn, hp: dict, corner: dict | None = None) -> tuple:
    low = _smallest_length(hp)
    lengths = range(low, low + LENGTH_SLACK + 1)
    wanted = (corner or {}).get("last window")
    if wanted is not None:
        # The corner asks for (or against) an overhanging last window: pick L so.
        fitting = [n for n in lengths if _overhangs(hp, (1, 1, n)) == (wanted == WINDOW_CLASSES[1])]
        lengths = fitting or lengths
    # Shrinks to the smallest input; in floor mode, the kernel equal to the padded input.
    length = draw(st.sampled_from(list(lengths)), label="L")
    channels = draw(st.integers(1, MAX_CHANNELS), label="C")
    if draw(st.booleans(), label="unbatched"):
        return (channels, length)
    return (draw(st.integers(1, MAX_BATCH), label="N"), channels, length)


def _geometry(hp: dict) -> tuple:
    return (
        hp["kernel_size"],
        hp["stride"],
        hp["padding"],
        hp["ceil_mode"],
        hp["count_include_pad"],
    )


def forward(inputs):
    return avg_pool1d_forward(inputs.x, *_geometry(inputs.hp)), {}


def vjp(inputs):
    return avg_pool1d_vjp(inputs.x, *_geometry(inputs.hp), inputs.g)


def forward_error(inputs):
    # Linear in x: a window's sum of k terms errs by at most the sum of |x| (times
    # eps sqrt(k)), and the division adds one relative rounding.
    return forward(inputs.absolute())[0], single(inputs.hp["kernel_size"])


def _overlap(hp: dict) -> int:
    """The most windows that cover one input element: ceil(k / s)."""
    return -(-single(hp["kernel_size"]) // _stride(hp))


def vjp_error(inputs):
    # The input gradient sums grad_y / divisor over the windows that cover the element.
    absolute = vjp(inputs.absolute())
    return {"input": (absolute["input"], _overlap(inputs.hp))}


def out_shape(hp: dict, shape: tuple) -> tuple:
    return avg_pool1d_out_shape(
        shape, hp["kernel_size"], hp["stride"], hp["padding"], hp["ceil_mode"]
    )


def param_shapes(hp: dict) -> dict:
    return {}


INVALID_KINDS = (
    "non-positive stride",
    "non-positive kernel_size",
    "kernel_size of two ints",
    "padding above half the kernel",
    "negative padding",
    "window larger than the padded input",
    "input rank not 2 or 3",
    "divisor_override (an AvgPool2d argument)",
)


@st.composite
def invalid(draw: st.DrawFn, corner: dict | None = None) -> InvalidCase:
    hp = draw(hyperparams())
    kind = (corner or {}).get("invalid kind") or draw(
        st.sampled_from(INVALID_KINDS), label="invalid kind"
    )
    k = single(hp["kernel_size"])
    # Long enough for every valid window of these hyperparameters.
    fits = (1, 2, k + MAX_STRIDE)
    if kind == "non-positive stride":
        stride = draw(int_or_single(-2, 0), label="stride")
        return InvalidCase({**hp, "stride": stride}, fits, RuntimeError, kind)
    if kind == "non-positive kernel_size":
        # kernel_size 0 reads as stride 0 when stride is None: torch still rejects it.
        kernel = draw(int_or_single(-2, 0), label="kernel_size")
        return InvalidCase({**hp, "kernel_size": kernel, "padding": 0}, fits, RuntimeError, kind)
    if kind == "kernel_size of two ints":
        # The constructor keeps it; the call refuses a 2-D window for a 1-D pooling.
        return InvalidCase({**hp, "kernel_size": (k, k), "padding": 0}, fits, RuntimeError, kind)
    if kind == "padding above half the kernel":
        padding = _max_padding(k) + draw(st.integers(1, 2), label="excess")
        return InvalidCase({**hp, "padding": padding}, fits, RuntimeError, kind)
    if kind == "negative padding":
        padding = draw(int_or_single(-3, -1), label="padding")
        return InvalidCase({**hp, "padding": padding}, fits, RuntimeError, kind)
    if kind == "window larger than the padded input":
        # Floor mode only: ceil mode keeps a partial window over a too-small input.
        kernel = draw(st.integers(2, MAX_KERNEL), label="kernel")
        # Padding that leaves room for an input shorter than the window: k - 2p >= 2.
        padding = draw(st.integers(0, (kernel - 2) // 2), label="padding")
        short = draw(st.integers(1, kernel - 2 * padding - 1), label="short length")
        hp = {**hp, "kernel_size": kernel, "padding": padding, "ceil_mode": False}
        batch = draw(st.sampled_from([(1, 2), (2,)]), label="N, C or C")
        return InvalidCase(hp, (*batch, short), RuntimeError, kind)
    if kind == "input rank not 2 or 3":
        shape = draw(st.sampled_from([(), fits[2:], (1, *fits)]), label="shape")
        return InvalidCase(hp, shape, RuntimeError, kind)
    divisor = draw(st.integers(1, 4), label="divisor_override")
    return InvalidCase({**hp, "divisor_override": divisor}, None, TypeError, kind)


def _power_of_two_windows(spec):
    """Floor mode, a power-of-two kernel, and every divisor that kernel: counting the
    padding, or with no padding to count."""

    def whole(hp: dict) -> dict:
        kernel = largest_power_of_two(single(hp["kernel_size"]))
        padding = min(single(hp["padding"]), _max_padding(kernel))
        if not hp["count_include_pad"]:
            padding = 0
        return {**hp, "kernel_size": kernel, "padding": padding, "ceil_mode": False}

    return spec.hyperparams().map(whole)


EXACT = (
    ExactCase(
        "small integers, power-of-two windows",
        why=(
            "a window sum of small integers is an exact integer in any order; in floor "
            "mode every window lies inside the padded input, so with count_include_pad "
            "(or no padding) every divisor is the kernel size, here 2^j: dividing by it "
            "(or multiplying by 1/2^j) only moves the exponent. The input gradient sums "
            "multiples of 1/2^j, exact while the count of quanta fits"
        ),
        inputs=integer_inputs(quantum=lambda hp: 1 / single(hp["kernel_size"])),
        hyperparams=_power_of_two_windows,
    ),
)


def impossible(classes: dict) -> bool:
    # Only ceil mode keeps a window past the padded input.
    floor = "ceil_mode=False" in classes.get("division", "")
    return floor and classes.get("last window") == WINDOW_CLASSES[1]


SPEC = LayerSpec(
    # torch's documented defaults of the optional arguments (not device=/dtype=).
    defaults={"stride": None, "padding": 0, "ceil_mode": False, "count_include_pad": True},
    name="AvgPool1d",
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
    # The map is linear: its second derivative is zero, which gradgradcheck confirms.
    twice_differentiable=True,
    classes=CLASSES,
    impossible=impossible,
    classify=classify,
    shape_classes=("last window",),
    exact=EXACT,
)
