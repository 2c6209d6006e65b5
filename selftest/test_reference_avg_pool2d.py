"""Self-tests of reference/avg_pool2d.py: naive loops, finite differences, hand values, shapes."""

import numpy as np
from hypothesis import given, note, strategies as st
from hypothesis.extra.numpy import arrays

from reference.avg_pool2d import avg_pool2d_forward, avg_pool2d_out_shape, avg_pool2d_vjp
from selftest.finite_differences import assert_vjp_matches_finite_differences
from selftest.naive_loops import avg_pool2d_naive

MAX_SIZE = 7  # spatial size drawn, so the naive loops take milliseconds
MAX_KERNEL = 4
MAX_STRIDE = 4  # above the kernel too: windows that skip inputs

# m * 2**e with |m| < 16 and |e| <= 4: a window sum of <= 16 such values is exact in
# float64, and both implementations then divide it by the same integer, so they must agree
# bit for bit whatever order they add in.
EXACT_VALUES = st.builds(lambda m, e: m * 2.0**e, st.integers(-15, 15), st.integers(-4, 4))
# Values of order one keep <f, grad_y> small, so central differences lose < 1e-8 to rounding.
UNIT_VALUES = st.integers(-8, 8).map(lambda m: m / 8)


def _smallest_input(kernel, stride, pad, ceil_mode):
    """Smallest input size with at least one window: a ceil-mode window may overhang by s - 1."""
    return max(1, kernel - 2 * pad - (stride - 1 if ceil_mode else 0))


@st.composite
def pool_cases(draw, values=EXACT_VALUES):
    """Keyword arguments of avg_pool2d_forward: every argument torch's AvgPool2d accepts."""
    k_h, k_w = draw(st.integers(1, MAX_KERNEL)), draw(st.integers(1, MAX_KERNEL))
    kernel = k_h if k_h == k_w and draw(st.booleans(), label="int kernel") else (k_h, k_w)
    stride = draw(
        st.one_of(
            st.none(),
            st.integers(1, MAX_STRIDE),
            st.tuples(st.integers(1, MAX_STRIDE), st.integers(1, MAX_STRIDE)),
        ),
        label="stride",
    )
    s_h, s_w = (
        (k_h, k_w) if stride is None else (stride, stride) if isinstance(stride, int) else stride
    )
    # torch allows padding up to half the kernel.
    p_h, p_w = draw(st.integers(0, k_h // 2)), draw(st.integers(0, k_w // 2))
    padding = p_h if p_h == p_w and draw(st.booleans(), label="int padding") else (p_h, p_w)
    ceil_mode = draw(st.booleans(), label="ceil_mode")
    sizes = [
        draw(st.integers(low, max(low, MAX_SIZE)))
        for low in (
            _smallest_input(k_h, s_h, p_h, ceil_mode),
            _smallest_input(k_w, s_w, p_w, ceil_mode),
        )
    ]
    lead = draw(st.sampled_from([(1,), (2,), (3,), (1, 1), (2, 3)]), label="leading dims")
    case = {
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "ceil_mode": ceil_mode,
        "count_include_pad": draw(st.booleans(), label="count_include_pad"),
        "divisor_override": draw(st.none() | st.integers(1, 9), label="divisor_override"),
    }
    note(f"x {(*lead, *sizes)}, {case}")
    return {"x": draw(arrays(np.float64, (*lead, *sizes), elements=values)), **case}


@given(pool_cases())
def test_forward_equals_naive_loops_exactly(case):
    np.testing.assert_array_equal(avg_pool2d_forward(**case), avg_pool2d_naive(**case))


@given(pool_cases(values=UNIT_VALUES), st.data())
def test_vjp_equals_finite_differences(case, data):
    y = avg_pool2d_forward(**case)
    grad_y = data.draw(arrays(np.float64, y.shape, elements=UNIT_VALUES), label="grad_y")
    grads = avg_pool2d_vjp(**case, grad_y=grad_y)
    assert set(grads) == {"input"}

    def forward_of(x):
        return avg_pool2d_forward(**dict(case, x=x))

    assert_vjp_matches_finite_differences(forward_of, case["x"], grad_y, grads["input"])


@given(pool_cases())
def test_out_shape_is_the_forward_shape(case):
    shape = avg_pool2d_out_shape(
        case["x"].shape, case["kernel_size"], case["stride"], case["padding"], case["ceil_mode"]
    )
    assert avg_pool2d_forward(**case).shape == shape == avg_pool2d_naive(**case).shape


ONE_TO_SIXTEEN = np.arange(1.0, 17.0).reshape(1, 4, 4)


def test_2x2_blocks_by_hand():
    np.testing.assert_array_equal(
        avg_pool2d_forward(ONE_TO_SIXTEEN, 2), [[[3.5, 5.5], [11.5, 13.5]]]
    )


def test_count_include_pad_by_hand():
    # k=3, s=2, p=1 on 4x4: windows cover rows (and columns) {0, 1} and {1, 2, 3}.
    with_pad = avg_pool2d_forward(ONE_TO_SIXTEEN, 3, 2, 1, count_include_pad=True)
    np.testing.assert_array_equal(with_pad, [[[14 / 9, 30 / 9], [57 / 9, 99 / 9]]])
    real_only = avg_pool2d_forward(ONE_TO_SIXTEEN, 3, 2, 1, count_include_pad=False)
    np.testing.assert_array_equal(real_only, [[[14 / 4, 30 / 6], [57 / 6, 99 / 9]]])


def test_ceil_mode_adds_a_partial_window_by_hand():
    row = np.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]])
    np.testing.assert_array_equal(avg_pool2d_forward(row, (1, 2)), [[[1.5, 3.5]]])
    # The extra window holds only the 5; with no padding it divides by 1, not 2.
    np.testing.assert_array_equal(
        avg_pool2d_forward(row, (1, 2), ceil_mode=True), [[[1.5, 3.5, 5]]]
    )


def test_ceil_mode_divisor_stops_at_the_padded_edge():
    # k=3, s=2, p=1 on [1, 2, 3, 4]: the third window starts at 3 and is cut at 4 + p = 5,
    # so count_include_pad divides by 2 (the 4 and one pad), not by the kernel's 3.
    row = np.array([[[1.0, 2.0, 3.0, 4.0]]])
    kwargs = {"kernel_size": (1, 3), "stride": (1, 2), "padding": (0, 1), "ceil_mode": True}
    np.testing.assert_array_equal(avg_pool2d_forward(row, **kwargs), [[[1, 3, 2]]])
    real_only = avg_pool2d_forward(row, **kwargs, count_include_pad=False)
    np.testing.assert_array_equal(real_only, [[[1.5, 3, 4]]])


def test_ceil_mode_drops_a_window_starting_in_the_right_padding():
    # (5 + 2 - 2) / 2 rounds up to 3, but a fourth window would start at 6 = 5 + p.
    shape = avg_pool2d_out_shape((1, 1, 5), (1, 2), (1, 2), (0, 1), ceil_mode=True)
    assert shape == (1, 1, 3)


def test_divisor_override_replaces_the_count():
    y = avg_pool2d_forward(ONE_TO_SIXTEEN, 2, divisor_override=1)
    np.testing.assert_array_equal(y, [[[14, 22], [46, 54]]])


def test_vjp_by_hand():
    # Overlapping 2x2 windows with stride 1: each input gets 1/4 from every window covering it.
    grads = avg_pool2d_vjp(np.zeros((1, 3, 3)), 2, 1, 0, False, True, None, np.ones((1, 2, 2)))
    np.testing.assert_array_equal(
        grads["input"], [[[0.25, 0.5, 0.25], [0.5, 1, 0.5], [0.25, 0.5, 0.25]]]
    )


def test_chapter_shapes():
    # LeNet5's pools halve 28x28 and 10x10; stride defaults to the kernel size.
    assert avg_pool2d_out_shape((1, 6, 28, 28), 2, 2, 0, False) == (1, 6, 14, 14)
    assert avg_pool2d_out_shape((1, 16, 10, 10), 2, None, 0, False) == (1, 16, 5, 5)
    assert avg_pool2d_forward(np.zeros((1, 6, 28, 28)), 2).shape == (1, 6, 14, 14)
