"""Self-tests of reference/conv2d.py: naive loops, finite differences, hand values, shapes."""

import numpy as np
from hypothesis import given, note, strategies as st
from hypothesis.extra.numpy import arrays

from reference.conv2d import conv2d_forward, conv2d_out_shape, conv2d_padding, conv2d_vjp
from selftest.finite_differences import assert_vjp_matches_finite_differences
from selftest.naive_loops import conv2d_naive

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
MAX_SIZE = 7  # spatial size drawn, so the naive loops take milliseconds
MAX_CHANNELS = 4

# m * 2**e with |m| < 16 and |e| <= 4: each product needs 8 significant bits and a sum of
# the <= 65 terms behind an output of these tiny convolutions stays below 2**53, so both
# implementations are exact whatever order they add in, and must agree bit for bit.
EXACT_VALUES = st.builds(lambda m, e: m * 2.0**e, st.integers(-15, 15), st.integers(-4, 4))
# Values of order one keep <f, grad_y> small, so central differences lose < 1e-8 to rounding.
UNIT_VALUES = st.integers(-8, 8).map(lambda m: m / 8)
# Every scale a float32 tensor may hold, for the rounding-bound comparison.
MIXED_VALUES = st.one_of(
    st.floats(-1e3, 1e3),
    st.floats(-1e-3, 1e-3),
    st.sampled_from([0.0, -0.0, 1e30, -1e-30]),
)
# Rounding of a dot product of length K is at most K * eps * sum |terms| (Higham, 3.1);
# the 2 covers the two implementations rounding in different orders.
ROUNDING_FACTOR = 2 * np.finfo(np.float64).eps


def _padding_bounds(pads_before_after, mode):
    """Smallest input size that torch accepts for these pads in this mode."""
    before, after = pads_before_after
    if mode == "reflect":
        return max(before, after) + 1  # reflection needs a source element beyond the edge
    if mode == "circular":
        return max(before, after, 1)  # torch wraps around at most once
    return 1


@st.composite
def conv_cases(draw, values=EXACT_VALUES):
    """Keyword arguments of conv2d_forward: every argument torch's Conv2d accepts."""
    groups = draw(st.integers(1, MAX_CHANNELS), label="groups")
    in_per_group = draw(st.integers(1, MAX_CHANNELS // groups), label="in_per_group")
    out_per_group = draw(st.integers(1, MAX_CHANNELS // groups), label="out_per_group")
    kernel = (draw(st.integers(1, 4), label="kH"), draw(st.integers(1, 4), label="kW"))
    dilation = draw(st.one_of(st.integers(1, 2), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    mode = draw(st.sampled_from(PADDING_MODES), label="padding_mode")
    padding = draw(
        st.one_of(
            st.integers(0, 3),
            st.tuples(st.integers(0, 3), st.integers(0, 3)),
            st.sampled_from(["same", "valid"]),
        ),
        label="padding",
    )
    # torch refuses padding='same' with a stride other than 1.
    stride = (
        1
        if padding == "same"
        else draw(
            st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))),
            label="stride",
        )
    )
    top, bottom, left, right = conv2d_padding(kernel, dilation, padding)
    dil = (dilation, dilation) if isinstance(dilation, int) else dilation
    sizes = []
    for k, d, pads in zip(kernel, dil, [(top, bottom), (left, right)], strict=True):
        smallest = max(d * (k - 1) + 1 - sum(pads), _padding_bounds(pads, mode))
        sizes.append(draw(st.integers(smallest, max(smallest, MAX_SIZE))))
    batch = draw(st.sampled_from([None, 1, 2]), label="batch (None: unbatched)")
    channels = groups * in_per_group
    in_shape = (channels, *sizes) if batch is None else (batch, channels, *sizes)
    weight_shape = (groups * out_per_group, in_per_group, *kernel)
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
    np.testing.assert_array_equal(conv2d_forward(**case), conv2d_naive(**case))


@given(conv_cases(values=MIXED_VALUES))
def test_forward_within_rounding_of_naive_loops_at_mixed_scales(case):
    absolute = dict(case, x=np.abs(case["x"]), weight=np.abs(case["weight"]))
    if case["bias"] is not None:
        absolute["bias"] = np.abs(case["bias"])
    terms = case["weight"][0].size + 1  # products plus the bias behind one output
    bound = terms * ROUNDING_FACTOR * conv2d_naive(**absolute) + np.finfo(np.float64).tiny
    error = np.abs(conv2d_forward(**case) - conv2d_naive(**case))
    assert np.all(error <= bound), (
        f"max error {error.max()} over bound at {np.argmax(error - bound)}"
    )


@given(conv_cases(values=UNIT_VALUES), st.data())
def test_vjp_equals_finite_differences(case, data):
    y = conv2d_forward(**case)
    grad_y = data.draw(arrays(np.float64, y.shape, elements=UNIT_VALUES), label="grad_y")
    grads = conv2d_vjp(**case, grad_y=grad_y)
    assert set(grads) == ({"input", "weight"} | ({"bias"} if case["bias"] is not None else set()))
    for name, arg in [("input", "x"), ("weight", "weight"), ("bias", "bias")]:
        if case[arg] is None:
            continue

        def forward_of(value, arg=arg):
            return conv2d_forward(**dict(case, **{arg: value}))

        assert_vjp_matches_finite_differences(forward_of, case[arg], grad_y, grads[name])


@given(conv_cases())
def test_out_shape_is_the_forward_shape(case):
    o, _, k_h, k_w = case["weight"].shape
    expected = conv2d_out_shape(
        case["x"].shape, o, (k_h, k_w), case["stride"], case["padding"], case["dilation"]
    )
    assert conv2d_forward(**case).shape == expected


ONE_TO_NINE = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)


def test_ones_kernel_sums_each_2x2_block():
    y = conv2d_forward(ONE_TO_NINE, np.ones((1, 1, 2, 2)), None, 1, 0, 1, 1)
    np.testing.assert_array_equal(y, [[[[12.0, 16.0], [24.0, 28.0]]]])


def test_stride_padding_and_bias_by_hand():
    y = conv2d_forward(ONE_TO_NINE, np.ones((1, 1, 2, 2)), np.array([0.5]), 2, 1, 1, 1)
    # Zero-padded 5x5; windows start at rows and columns -1 and 1.
    np.testing.assert_array_equal(y, [[[[1.5, 5.5], [11.5, 28.5]]]])


def test_same_padding_puts_the_odd_pad_at_the_end():
    x = np.array([[[[1.0, 2.0, 3.0, 4.0]]]])
    y = conv2d_forward(x, np.array([[[[1.0, 10.0]]]]), None, 1, "same", 1, 1)
    np.testing.assert_array_equal(y, [[[[21.0, 32.0, 43.0, 4.0]]]])


def test_dilation_skips_inputs():
    x = np.array([[[[1.0, 2.0, 3.0, 4.0, 5.0]]]])
    y = conv2d_forward(x, np.ones((1, 1, 1, 2)), None, 1, 0, (1, 2), 1)
    np.testing.assert_array_equal(y, [[[[4.0, 6.0, 8.0]]]])


def test_padding_modes_by_hand():
    x = np.array([[[[1.0, 2.0, 3.0]]]])
    ones = np.ones((1, 1, 1, 3))
    expected = {
        "zeros": [3.0, 6.0, 5.0],  # 0 1 2 3 0
        "reflect": [5.0, 6.0, 7.0],  # 2 1 2 3 2
        "replicate": [4.0, 6.0, 8.0],  # 1 1 2 3 3
        "circular": [6.0, 6.0, 6.0],  # 3 1 2 3 1
    }
    for mode, row in expected.items():
        y = conv2d_forward(x, ones, None, 1, (0, 1), 1, 1, padding_mode=mode)
        np.testing.assert_array_equal(y, [[[row]]], err_msg=mode)


def test_depthwise_groups_keep_channels_apart():
    x = np.stack([np.ones((2, 2)), 2 * np.ones((2, 2))])  # unbatched (C, H, W)
    y = conv2d_forward(x, np.array([3.0, 5.0]).reshape(2, 1, 1, 1), None, 1, 0, 1, 2)
    np.testing.assert_array_equal(y, np.stack([3 * np.ones((2, 2)), 10 * np.ones((2, 2))]))


def test_vjp_by_hand():
    grads = conv2d_vjp(
        ONE_TO_NINE, np.ones((1, 1, 2, 2)), np.zeros(1), 1, 0, 1, 1, "zeros", np.ones((1, 1, 2, 2))
    )
    # Each input counts once per window that covers it; each weight sees one 2x2 block sum.
    np.testing.assert_array_equal(grads["input"], [[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]])
    np.testing.assert_array_equal(grads["weight"], [[[[12, 16], [24, 28]]]])
    np.testing.assert_array_equal(grads["bias"], [4.0])


def test_padding_argument_resolution():
    assert conv2d_padding(3, 1, "valid") == (0, 0, 0, 0)
    assert conv2d_padding(3, 1, 2) == (2, 2, 2, 2)
    assert conv2d_padding(3, 1, (1, 3)) == (1, 1, 3, 3)
    assert conv2d_padding(4, 1, "same") == (1, 2, 1, 2)
    assert conv2d_padding((3, 4), (2, 1), "same") == (2, 2, 1, 2)


def test_chapter_shapes():
    # Conv2d(3, 32, 5) on CIFAR-sized images; LeNet5's c1 (padding 2) and c3.
    assert conv2d_out_shape((64, 3, 32, 32), 32, 5, 1, 0, 1) == (64, 32, 28, 28)
    assert conv2d_out_shape((3, 32, 32), 32, 5, 1, 0, 1) == (32, 28, 28)
    assert conv2d_out_shape((1, 1, 28, 28), 6, 5, 1, 2, 1) == (1, 6, 28, 28)
    assert conv2d_out_shape((1, 6, 14, 14), 16, 5, 1, 0, 1) == (1, 16, 10, 10)
    assert conv2d_forward(
        np.zeros((1, 3, 32, 32)), np.zeros((32, 3, 5, 5)), None, 1, 0, 1, 1
    ).shape == (
        1,
        32,
        28,
        28,
    )
    assert conv2d_forward(
        np.zeros((1, 1, 28, 28)), np.zeros((6, 1, 5, 5)), None, 1, 2, 1, 1
    ).shape == (
        1,
        6,
        28,
        28,
    )
