"""Self-tests of reference/max_pool2d.py: naive loops, finite differences, hand values, ties."""

import numpy as np
from hypothesis import given, note, strategies as st
from hypothesis.extra.numpy import arrays

from reference.max_pool2d import max_pool2d_forward, max_pool2d_out_shape, max_pool2d_vjp
from selftest.finite_differences import assert_vjp_matches_finite_differences
from selftest.naive_loops import max_pool2d_naive, max_pool2d_vjp_naive

MAX_SIZE = 7  # spatial size drawn, so the naive loops take milliseconds
MAX_KERNEL = 3
MAX_STRIDE = 4  # above the kernel too: windows that skip inputs
MAX_DILATION = 3

# Few distinct values: ties inside a window are common, so the first-maximum rule that
# routes the gradient is exercised, not just the value.
TIED_VALUES = st.integers(-2, 2).map(float)
# Distinct values (a random permutation) for finite differences: no window has a tie,
# so the maximum is differentiable and a step of 1e-6 never changes which one it is.


def _smallest_input(kernel, stride, pad, dilation, ceil_mode):
    """Smallest size with at least one window (a ceil-mode window may overhang by s - 1)."""
    return max(1, dilation * (kernel - 1) + 1 - 2 * pad - (stride - 1 if ceil_mode else 0))


@st.composite
def pool_cases(draw):
    """Keyword arguments of max_pool2d_forward: every argument torch's MaxPool2d takes."""
    k_h, k_w = draw(st.integers(1, MAX_KERNEL)), draw(st.integers(1, MAX_KERNEL))
    kernel = k_h if k_h == k_w and draw(st.booleans(), label="int kernel") else (k_h, k_w)
    s_h, s_w = draw(st.integers(1, MAX_STRIDE)), draw(st.integers(1, MAX_STRIDE))
    stride = draw(st.sampled_from([None, (s_h, s_w)]), label="stride")
    if stride is None:
        s_h, s_w = k_h, k_w
    d_h, d_w = draw(st.integers(1, MAX_DILATION)), draw(st.integers(1, MAX_DILATION))
    # torch allows padding up to half the kernel.
    p_h, p_w = draw(st.integers(0, k_h // 2)), draw(st.integers(0, k_w // 2))
    ceil_mode = draw(st.booleans(), label="ceil_mode")
    sizes = [
        draw(st.integers(low, max(low, MAX_SIZE)))
        for low in (
            _smallest_input(k_h, s_h, p_h, d_h, ceil_mode),
            _smallest_input(k_w, s_w, p_w, d_w, ceil_mode),
        )
    ]
    lead = draw(st.sampled_from([(1,), (2,), (1, 1), (2, 3)]), label="leading dims")
    case = {
        "kernel_size": kernel,
        "stride": stride,
        "padding": (p_h, p_w),
        "dilation": (d_h, d_w),
        "ceil_mode": ceil_mode,
    }
    note(f"x {(*lead, *sizes)}, {case}")
    return (*lead, *sizes), case


@given(pool_cases(), st.data())
def test_forward_equals_naive_loops_exactly(shape_and_case, data):
    shape, case = shape_and_case
    x = data.draw(arrays(np.float64, shape, elements=TIED_VALUES), label="x")
    np.testing.assert_array_equal(max_pool2d_forward(x, **case), max_pool2d_naive(x, **case)[0])


@given(pool_cases(), st.data())
def test_vjp_routes_each_gradient_to_the_first_maximum_like_the_loops(shape_and_case, data):
    shape, case = shape_and_case
    x = data.draw(arrays(np.float64, shape, elements=TIED_VALUES), label="x")
    y = max_pool2d_forward(x, **case)
    grad_y = data.draw(arrays(np.float64, y.shape, elements=TIED_VALUES), label="grad_y")
    expected = max_pool2d_vjp_naive(x, *case.values(), grad_y)
    np.testing.assert_array_equal(max_pool2d_vjp(x, *case.values(), grad_y)["input"], expected)


@given(pool_cases(), st.data())
def test_vjp_equals_finite_differences(shape_and_case, data):
    shape, case = shape_and_case
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    # A permutation of well-separated values: no ties, no maximum moves under a 1e-6 step.
    x = rng.permutation(np.arange(np.prod(shape), dtype=np.float64)).reshape(shape) / 4
    y = max_pool2d_forward(x, **case)
    grad_y = rng.standard_normal(y.shape)
    grads = max_pool2d_vjp(x, *case.values(), grad_y)
    assert set(grads) == {"input"}

    def forward_of(values):
        # A window with no real element is -inf whatever x is: count it as the constant 0.
        y = max_pool2d_forward(values, **case)
        return np.where(np.isinf(y), 0.0, y)

    assert_vjp_matches_finite_differences(forward_of, x, grad_y, grads["input"])


@given(pool_cases())
def test_out_shape_is_the_forward_shape(shape_and_case):
    shape, case = shape_and_case
    x = np.zeros(shape)
    law = max_pool2d_out_shape(shape, **case)
    assert max_pool2d_forward(x, **case).shape == law == max_pool2d_naive(x, **case)[0].shape


ONE_TO_SIXTEEN = np.arange(1.0, 17.0).reshape(1, 4, 4)


def test_2x2_blocks_by_hand():
    np.testing.assert_array_equal(max_pool2d_forward(ONE_TO_SIXTEEN, 2), [[[6, 8], [14, 16]]])


def test_padding_takes_no_part_by_hand():
    # k=3, s=2, p=1 on -(1..16) (as torch gives): the window at (0, 0) covers rows and
    # cols {0, 1} only, and its maximum is -1, not the padding's value (0 for a zero pad).
    y = max_pool2d_forward(-ONE_TO_SIXTEEN, 3, 2, 1)
    np.testing.assert_array_equal(y, [[[-1, -2], [-5, -6]]])


def test_dilation_by_hand():
    # A 2x2 kernel with dilation 2 on a 3x3 input sees the four corners.
    x = np.array([[[1.0, 9.0, 2.0], [9.0, 9.0, 9.0], [3.0, 9.0, 4.0]]])
    np.testing.assert_array_equal(max_pool2d_forward(x, 2, 1, 0, 2), [[[4.0]]])


def test_ties_go_to_the_first_maximum_by_hand():
    # torch: MaxPool2d(2) on [[1, 3], [3, 2]] sends the gradient to (0, 1), not (1, 0);
    # on zeros, to (0, 0); on [-0.0, 0.0] it returns -0.0, the first of the tied pair.
    grads = max_pool2d_vjp(np.array([[[1.0, 3.0], [3.0, 2.0]]]), 2, None, 0, 1, False, [[[1.0]]])
    np.testing.assert_array_equal(grads["input"], [[[0, 1], [0, 0]]])
    grads = max_pool2d_vjp(np.zeros((1, 2, 2)), 2, None, 0, 1, False, [[[1.0]]])
    np.testing.assert_array_equal(grads["input"], [[[1, 0], [0, 0]]])
    y = max_pool2d_forward(np.array([[[-0.0, 0.0]]]), (1, 2))
    assert np.signbit(y).all()


def test_overlapping_windows_add_their_gradients_by_hand():
    # Stride 1: the centre 5 of a 3x3 input is the maximum of all four 2x2 windows.
    x = np.array([[[1.0, 1.0, 1.0], [1.0, 5.0, 1.0], [1.0, 1.0, 1.0]]])
    grads = max_pool2d_vjp(x, 2, 1, 0, 1, False, np.array([[[1.0, 2.0], [3.0, 4.0]]]))
    np.testing.assert_array_equal(grads["input"], [[[0, 0, 0], [0, 10, 0], [0, 0, 0]]])


def test_a_window_of_padding_alone_is_minus_infinity_with_no_gradient():
    # Kernel 2, dilation 3, padding 1 on a 2-wide input: the one window's taps are at -1
    # and 2, both outside. torch returns -inf too (its backward then writes out of bounds).
    x = np.array([[[1.0, 2.0], [3.0, 4.0]]])
    np.testing.assert_array_equal(max_pool2d_forward(x, 2, 1, 1, 3), [[[-np.inf]]])
    grads = max_pool2d_vjp(x, 2, 1, 1, 3, False, np.array([[[1.0]]]))
    np.testing.assert_array_equal(grads["input"], np.zeros_like(x))


def test_ceil_mode_shapes_by_hand():
    # (5 - 2) / 2 rounds up to 2: a third, partial window over the last column.
    assert max_pool2d_out_shape((1, 1, 5, 5), 2, 2, 0, 1, True) == (1, 1, 3, 3)
    # (4 + 2 - 3) / 2 rounds up to 2, but a third window would start at 4 = 3 + p: dropped.
    assert max_pool2d_out_shape((1, 1, 4, 4), 3, 2, 1, 1, True) == (1, 1, 3, 3)
    assert max_pool2d_out_shape((1, 1, 4, 4), 3, 2, 1, 1, False) == (1, 1, 2, 2)
