"""Self-tests of reference/conv1d.py: naive loops, finite differences, hand values, shapes."""

import numpy as np
from hypothesis import given, note, strategies as st
from hypothesis.extra.numpy import arrays

from reference.conv1d import conv1d_forward, conv1d_out_shape, conv1d_padding, conv1d_vjp
from reference.geometry import padding_only_taps, reads_only_padding
from reference.padding import PADDING_MODES
from selftest.finite_differences import assert_vjp_matches_finite_differences
from selftest.naive_loops import conv1d_naive

MAX_LENGTH = 10  # input length drawn, so the naive loops take milliseconds
MAX_CHANNELS = 4
MAX_KERNEL = 5

# m * 2**e with |m| < 16 and |e| <= 4: each product needs 8 significant bits and a sum of
# the <= 21 terms behind an output stays far below 2**53, so both implementations are
# exact whatever order they add in, and must agree bit for bit.
EXACT_VALUES = st.builds(lambda m, e: m * 2.0**e, st.integers(-15, 15), st.integers(-4, 4))
# Values of order one keep <f, grad_y> small, so central differences lose < 1e-8 to rounding.
UNIT_VALUES = st.integers(-8, 8).map(lambda m: m / 8)


def _one(value: st.SearchStrategy[int]) -> st.SearchStrategy:
    """An int, bare or as a one-element tuple, as torch's 1-D layers take it."""
    return st.one_of(value, value.map(lambda v: (v,)))


def _smallest(pads: tuple[int, int], extent: int, mode: str) -> int:
    """Smallest length torch accepts: the dilated kernel fits, reflect/circular can copy."""
    low = max(1, extent - sum(pads))
    if mode == "reflect":
        return max(low, max(pads) + 1)
    if mode == "circular":
        return max(low, max(pads))
    return low


@st.composite
def conv_cases(draw, values=EXACT_VALUES):
    """Keyword arguments of conv1d_forward: every argument torch's Conv1d accepts."""
    groups = draw(st.integers(1, MAX_CHANNELS), label="groups")
    in_per_group = draw(st.integers(1, MAX_CHANNELS // groups), label="in_per_group")
    out_per_group = draw(st.integers(1, MAX_CHANNELS // groups), label="out_per_group")
    k = draw(st.integers(1, MAX_KERNEL), label="k")
    dilation = draw(_one(st.integers(1, 3)), label="dilation")
    mode = draw(st.sampled_from(PADDING_MODES), label="padding_mode")
    padding = draw(
        st.one_of(_one(st.integers(0, 4)), st.sampled_from(["same", "valid"])), label="padding"
    )
    # torch refuses padding='same' with a stride other than 1.
    stride = 1 if padding == "same" else draw(_one(st.integers(1, 3)), label="stride")
    d = dilation if isinstance(dilation, int) else dilation[0]
    low = _smallest(conv1d_padding(k, dilation, padding), d * (k - 1) + 1, mode)
    length = draw(st.integers(low, max(low, MAX_LENGTH)), label="L")
    batch = draw(st.sampled_from([None, 1, 2]), label="batch (None: unbatched)")
    channels = groups * in_per_group
    in_shape = (channels, length) if batch is None else (batch, channels, length)
    weight_shape = (groups * out_per_group, in_per_group, k)
    has_bias = draw(st.booleans(), label="bias")
    note(
        f"x {in_shape}, weight {weight_shape}, stride={stride} padding={padding} "
        f"dilation={dilation} groups={groups} padding_mode={mode!r} bias={has_bias}"
    )
    return {
        "x": draw(arrays(np.float64, in_shape, elements=values)),
        "weight": draw(arrays(np.float64, weight_shape, elements=values)),
        "bias": draw(arrays(np.float64, weight_shape[0], elements=values)) if has_bias else None,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "groups": groups,
        "padding_mode": mode,
    }


@given(conv_cases())
def test_forward_equals_naive_loops_exactly(case):
    np.testing.assert_array_equal(conv1d_forward(**case), conv1d_naive(**case))


@given(conv_cases(values=UNIT_VALUES), st.data())
def test_vjp_equals_finite_differences(case, data):
    y = conv1d_forward(**case)
    grad_y = data.draw(arrays(np.float64, y.shape, elements=UNIT_VALUES), label="grad_y")
    grads = conv1d_vjp(**case, grad_y=grad_y)
    assert set(grads) == ({"input", "weight"} | ({"bias"} if case["bias"] is not None else set()))
    for name, arg in [("input", "x"), ("weight", "weight"), ("bias", "bias")]:
        if case[arg] is None:
            continue
        assert grads[name].shape == np.shape(case[arg])

        def forward_of(value, arg=arg):
            return conv1d_forward(**dict(case, **{arg: value}))

        assert_vjp_matches_finite_differences(forward_of, case[arg], grad_y, grads[name])


@given(conv_cases())
def test_out_shape_is_the_forward_shape(case):
    o, _, k = case["weight"].shape
    expected = conv1d_out_shape(
        case["x"].shape, o, k, case["stride"], case["padding"], case["dilation"]
    )
    assert conv1d_forward(**case).shape == expected == conv1d_naive(**case).shape


ONE_TO_FIVE = np.arange(1.0, 6.0).reshape(1, 1, 5)


def test_ones_kernel_sums_each_pair_by_hand():
    y = conv1d_forward(ONE_TO_FIVE, np.ones((1, 1, 2)), None, 1, 0, 1, 1)
    np.testing.assert_array_equal(y, [[[3.0, 5.0, 7.0, 9.0]]])


def test_stride_padding_dilation_and_bias_by_hand():
    # Zero-padded xp = [0, 1, 2, 3, 4, 5, 0]; windows start at 0, 2, 4 and tap xp[start]
    # and xp[start + 2]: 0 + 2, 2 + 4, 4 + 0, each plus the bias.
    y = conv1d_forward(ONE_TO_FIVE, np.ones((1, 1, 2)), np.array([0.5]), 2, 1, 2, 1)
    np.testing.assert_array_equal(y, [[[2.5, 6.5, 4.5]]])


def test_same_padding_puts_the_odd_pad_at_the_end():
    x = np.array([[1.0, 2.0, 3.0, 4.0]])  # unbatched (C, L)
    y = conv1d_forward(x, np.array([[[1.0, 10.0]]]), None, 1, "same", 1, 1)
    np.testing.assert_array_equal(y, [[21.0, 32.0, 43.0, 4.0]])


def test_padding_modes_by_hand():
    x = np.array([[[1.0, 2.0, 3.0]]])
    ones = np.ones((1, 1, 3))
    expected = {
        "zeros": [3.0, 6.0, 5.0],  # 0 1 2 3 0
        "reflect": [5.0, 6.0, 7.0],  # 2 1 2 3 2
        "replicate": [4.0, 6.0, 8.0],  # 1 1 2 3 3
        "circular": [6.0, 6.0, 6.0],  # 3 1 2 3 1
    }
    for mode, row in expected.items():
        y = conv1d_forward(x, ones, None, 1, (1,), 1, 1, padding_mode=mode)
        np.testing.assert_array_equal(y, [[row]], err_msg=mode)


def test_depthwise_groups_keep_channels_apart():
    x = np.array([[1.0, 1.0], [2.0, 2.0]])  # unbatched (C, L)
    y = conv1d_forward(x, np.array([3.0, 5.0]).reshape(2, 1, 1), None, 1, 0, 1, 2)
    np.testing.assert_array_equal(y, [[3.0, 3.0], [10.0, 10.0]])


def test_vjp_by_hand():
    grads = conv1d_vjp(
        ONE_TO_FIVE, np.ones((1, 1, 2)), np.zeros(1), 1, 0, 1, 1, "zeros", np.ones((1, 1, 4))
    )
    # Each input counts once per window that covers it; each tap sees four inputs.
    np.testing.assert_array_equal(grads["input"], [[[1, 2, 2, 2, 1]]])
    np.testing.assert_array_equal(grads["weight"], [[[10, 14]]])
    np.testing.assert_array_equal(grads["bias"], [4.0])


def test_replicate_padding_returns_every_copy_to_its_source():
    # Replicate by 2 gives [1, 1, 1, 2, 2, 2]; a 1-tap kernel sees each once, so the
    # gradient of the edge elements collects three copies each.
    x = np.array([[[1.0, 2.0]]])
    grads = conv1d_vjp(x, np.ones((1, 1, 1)), None, 1, 2, 1, 1, "replicate", np.ones((1, 1, 6)))
    np.testing.assert_array_equal(grads["input"], [[[3.0, 3.0]]])


def test_padding_argument_resolution():
    assert conv1d_padding(3, 1, "valid") == (0, 0)
    assert conv1d_padding(3, 1, 2) == (2, 2)
    assert conv1d_padding((3,), (1,), (1,)) == (1, 1)
    assert conv1d_padding(4, 1, "same") == (1, 2)
    assert conv1d_padding(3, 2, "same") == (2, 2)


def test_shapes_by_hand():
    assert conv1d_out_shape((8, 3, 100), 16, 5, 1, 0, 1) == (8, 16, 96)
    assert conv1d_out_shape((3, 100), 16, 5, 2, 2, 1) == (16, 50)
    assert conv1d_out_shape((1, 1, 10), 1, 3, 1, "same", 3) == (1, 1, 10)


@given(
    size=st.integers(1, 8),
    before=st.integers(0, 4),
    after=st.integers(0, 4),
    kernel=st.integers(1, 4),
    dilation=st.integers(1, 3),
    stride=st.integers(1, 3),
)
def test_reads_only_padding_is_where_ones_convolve_to_zero(
    size, before, after, kernel, dilation, stride
):
    # Ones in, ones as taps, zero padding: an output is 0 exactly where it reads no input.
    extent = dilation * (kernel - 1) + 1
    if size + before + after < extent:
        return  # no output: the window does not fit
    x = np.pad(np.ones((1, 1, size)), ((0, 0), (0, 0), (before, after)))
    y = conv1d_forward(x, np.ones((1, 1, kernel)), None, stride, 0, dilation, 1, "zeros")
    expected = bool((y == 0).all())
    assert reads_only_padding(size, before, after, kernel, dilation, stride) == expected


def test_reads_only_padding_by_hand():
    # One element padded by 1 each side, a 1-tap kernel at stride 2: positions 0 and 2.
    assert reads_only_padding(1, 1, 1, 1, 2, 2)
    # Stride 1 reaches it.
    assert not reads_only_padding(1, 1, 1, 1, 1, 1)


@given(
    size=st.integers(1, 8),
    before=st.integers(0, 4),
    after=st.integers(0, 4),
    kernel=st.integers(1, 4),
    dilation=st.integers(1, 3),
    stride=st.integers(1, 3),
)
def test_padding_only_taps_are_where_a_one_hot_kernel_convolves_to_zero(
    size, before, after, kernel, dilation, stride
):
    # Ones in, a kernel with only tap t set: the output is 0 exactly where t reads no input.
    if size + before + after < dilation * (kernel - 1) + 1:
        return  # no output: the window does not fit
    x = np.pad(np.ones((1, 1, size)), ((0, 0), (0, 0), (before, after)))
    expected = tuple(
        t
        for t in range(kernel)
        if not conv1d_forward(
            x, np.eye(kernel)[t][None, None], None, stride, 0, dilation, 1, "zeros"
        ).any()
    )
    assert padding_only_taps(size, before, after, kernel, dilation, stride) == expected


def test_padding_only_taps_by_hand():
    # One element padded by 2 each side, 4 taps at stride 2: one output, reading -2..1.
    assert padding_only_taps(1, 2, 2, 4, 1, 2) == (0, 1, 3)
    # Stride 1 gives two outputs: taps 1 and 2 reach the element.
    assert padding_only_taps(1, 2, 2, 4, 1, 1) == (0, 3)
