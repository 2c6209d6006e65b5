"""Self-tests of reference/max_pool1d.py: naive loops, finite differences, hand values, ties."""

import numpy as np
from hypothesis import given, note, strategies as st
from hypothesis.extra.numpy import arrays

from reference.max_pool1d import (
    max_pool1d_forward,
    max_pool1d_has_empty_window,
    max_pool1d_out_shape,
    max_pool1d_vjp,
)
from selftest.finite_differences import assert_vjp_matches_finite_differences
from selftest.naive_loops import max_pool1d_naive, max_pool1d_vjp_naive

MAX_LENGTH = 12  # input length drawn, so the naive loops take milliseconds
MAX_KERNEL = 4
MAX_STRIDE = 5  # above the kernel too: windows that skip inputs
MAX_DILATION = 3

# Few distinct values: ties inside a window are common, so the first-maximum rule that
# routes the gradient is exercised, not just the value.
TIED_VALUES = st.integers(-2, 2).map(float)


@st.composite
def pool_cases(draw):
    """(shape, keyword arguments of max_pool1d_forward): every argument MaxPool1d takes
    but return_indices."""
    k = draw(st.integers(1, MAX_KERNEL), label="k")
    s = draw(st.one_of(st.none(), st.integers(1, MAX_STRIDE)), label="stride")
    d = draw(st.integers(1, MAX_DILATION), label="dilation")
    # torch allows padding up to half the kernel (not of its dilated extent).
    p = draw(st.integers(0, k // 2), label="padding")
    ceil_mode = draw(st.booleans(), label="ceil_mode")
    step = k if s is None else s
    low = max(1, d * (k - 1) + 1 - 2 * p - (step - 1 if ceil_mode else 0))
    length = draw(st.integers(low, max(low, MAX_LENGTH)), label="L")
    lead = draw(st.sampled_from([(1,), (2,), (1, 1), (2, 3)]), label="leading dims")
    as_tuples = draw(st.booleans(), label="one-element tuples")

    def spelled(value):
        return (value,) if as_tuples else value

    case = {
        "kernel_size": spelled(k),
        "stride": None if s is None else spelled(s),
        "padding": spelled(p),
        "dilation": spelled(d),
        "ceil_mode": ceil_mode,
    }
    note(f"x {(*lead, length)}, {case}")
    return (*lead, length), case


@given(pool_cases(), st.data())
def test_forward_equals_naive_loops_exactly(shape_and_case, data):
    shape, case = shape_and_case
    x = data.draw(arrays(np.float64, shape, elements=TIED_VALUES), label="x")
    np.testing.assert_array_equal(max_pool1d_forward(x, **case), max_pool1d_naive(x, **case)[0])


@given(pool_cases(), st.data())
def test_vjp_routes_each_gradient_to_the_first_maximum_like_the_loops(shape_and_case, data):
    shape, case = shape_and_case
    x = data.draw(arrays(np.float64, shape, elements=TIED_VALUES), label="x")
    y = max_pool1d_forward(x, **case)
    grad_y = data.draw(arrays(np.float64, y.shape, elements=TIED_VALUES), label="grad_y")
    expected = max_pool1d_vjp_naive(x, *case.values(), grad_y)
    np.testing.assert_array_equal(max_pool1d_vjp(x, *case.values(), grad_y)["input"], expected)


@given(pool_cases(), st.data())
def test_vjp_equals_finite_differences(shape_and_case, data):
    shape, case = shape_and_case
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    # A permutation of well-separated values: no ties, no maximum moves under a 1e-6 step.
    x = rng.permutation(np.arange(np.prod(shape), dtype=np.float64)).reshape(shape) / 4
    y = max_pool1d_forward(x, **case)
    grad_y = rng.standard_normal(y.shape)
    grads = max_pool1d_vjp(x, *case.values(), grad_y)
    assert set(grads) == {"input"}

    def forward_of(values):
        # A window with no real element is -inf whatever x is: count it as the constant 0.
        y = max_pool1d_forward(values, **case)
        return np.where(np.isinf(y), 0.0, y)

    assert_vjp_matches_finite_differences(forward_of, x, grad_y, grads["input"])


@given(pool_cases())
def test_out_shape_is_the_forward_shape(shape_and_case):
    shape, case = shape_and_case
    x = np.zeros(shape)
    law = max_pool1d_out_shape(shape, **case)
    assert max_pool1d_forward(x, **case).shape == law == max_pool1d_naive(x, **case)[0].shape


@given(pool_cases())
def test_an_empty_window_is_one_the_loops_find_no_element_in(shape_and_case):
    shape, case = shape_and_case
    y, _ = max_pool1d_naive(np.zeros(shape), **case)
    assert max_pool1d_has_empty_window(shape, **case) == bool(np.isinf(y).any())


def test_pairs_by_hand():
    x = np.array([[1.0, 5.0, 3.0, 2.0, 4.0, 6.0]])
    np.testing.assert_array_equal(max_pool1d_forward(x, 2), [[5.0, 3.0, 6.0]])


def test_padding_takes_no_part_by_hand():
    # k=3, s=2, p=1 on -(1..6): the first window covers {0, 1} only, and its maximum is -1,
    # not the padding's value (0 for a zero pad).
    y = max_pool1d_forward(-np.arange(1.0, 7.0).reshape(1, 6), 3, 2, 1)
    np.testing.assert_array_equal(y, [[-1.0, -2.0, -4.0]])


def test_dilation_by_hand():
    # A kernel of 2 with dilation 3 compares x[o] and x[o + 3].
    x = np.array([[1.0, 9.0, 2.0, 4.0, 0.0]])
    np.testing.assert_array_equal(max_pool1d_forward(x, 2, 1, 0, 3), [[4.0, 9.0]])


def test_ties_go_to_the_leftmost_maximum_by_hand():
    grads = max_pool1d_vjp(np.array([[3.0, 1.0, 3.0]]), 3, None, 0, 1, False, [[1.0]])
    np.testing.assert_array_equal(grads["input"], [[1.0, 0.0, 0.0]])


def test_overlapping_windows_add_their_gradients_by_hand():
    # Stride 1: the 5 is the maximum of both windows of 2 that cover it.
    grads = max_pool1d_vjp(np.array([[1.0, 5.0, 1.0]]), 2, 1, 0, 1, False, [[1.0, 2.0]])
    np.testing.assert_array_equal(grads["input"], [[0.0, 3.0, 0.0]])


def test_a_window_of_padding_alone_is_minus_infinity_with_no_gradient():
    # Kernel 2, dilation 2, padding 1 on a 1-long input: the window taps -1 and 1, both
    # outside. torch returns -inf too (its backward then writes out of bounds).
    x = np.array([[7.0]])
    np.testing.assert_array_equal(max_pool1d_forward(x, 2, 1, 1, 2), [[-np.inf]])
    assert max_pool1d_has_empty_window(x.shape, 2, 1, 1, 2)
    grads = max_pool1d_vjp(x, 2, 1, 1, 2, False, np.array([[1.0]]))
    np.testing.assert_array_equal(grads["input"], [[0.0]])


def test_ceil_mode_shapes_by_hand():
    # (5 - 2) / 2 rounds up to 2: a third, partial window over the last element.
    assert max_pool1d_out_shape((1, 5), 2, 2, 0, 1, True) == (1, 3)
    # (4 + 2 - 3) / 2 rounds up to 2: a third window, starting at 3, inside the input.
    assert max_pool1d_out_shape((1, 1, 4), 3, 2, 1, 1, True) == (1, 1, 3)
    assert max_pool1d_out_shape((1, 1, 4), 3, 2, 1, 1, False) == (1, 1, 2)
    # (5 + 2 - 2) / 2 rounds up to 3, but a fourth window would start at 6 = 5 + p: dropped.
    assert max_pool1d_out_shape((1, 1, 5), 2, 2, 1, 1, True) == (1, 1, 3)
