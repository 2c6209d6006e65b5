"""Self-tests of reference/avg_pool1d.py: naive loops, finite differences, hand values, shapes."""

import numpy as np
from hypothesis import given, note, strategies as st
from hypothesis.extra.numpy import arrays

from reference.avg_pool1d import avg_pool1d_forward, avg_pool1d_out_shape, avg_pool1d_vjp
from selftest.finite_differences import assert_vjp_matches_finite_differences
from selftest.naive_loops import avg_pool1d_naive

MAX_LENGTH = 12  # input length drawn, so the naive loops take milliseconds
MAX_KERNEL = 5
MAX_STRIDE = 6  # above the kernel too: windows that skip inputs

# m * 2**e with |m| < 16 and |e| <= 4: a window sum of <= 5 such values is exact in
# float64, and both implementations then divide it by the same integer, so they must agree
# bit for bit whatever order they add in.
EXACT_VALUES = st.builds(lambda m, e: m * 2.0**e, st.integers(-15, 15), st.integers(-4, 4))
# Values of order one keep <f, grad_y> small, so central differences lose < 1e-8 to rounding.
UNIT_VALUES = st.integers(-8, 8).map(lambda m: m / 8)


def _one(value: int, spelled_as_tuple: bool) -> int | tuple[int]:
    return (value,) if spelled_as_tuple else value


@st.composite
def pool_cases(draw, values=EXACT_VALUES):
    """Keyword arguments of avg_pool1d_forward: every argument torch's AvgPool1d accepts."""
    k = draw(st.integers(1, MAX_KERNEL), label="k")
    s = draw(st.one_of(st.none(), st.integers(1, MAX_STRIDE)), label="stride")
    # torch allows padding up to half the kernel.
    p = draw(st.integers(0, k // 2), label="padding")
    ceil_mode = draw(st.booleans(), label="ceil_mode")
    step = k if s is None else s
    low = max(1, k - 2 * p - (step - 1 if ceil_mode else 0))
    length = draw(st.integers(low, max(low, MAX_LENGTH)), label="L")
    lead = draw(st.sampled_from([(1,), (2,), (3,), (2, 3)]), label="leading dims")
    as_tuples = draw(st.booleans(), label="one-element tuples")
    case = {
        "kernel_size": _one(k, as_tuples),
        "stride": None if s is None else _one(s, as_tuples),
        "padding": _one(p, as_tuples),
        "ceil_mode": ceil_mode,
        "count_include_pad": draw(st.booleans(), label="count_include_pad"),
    }
    note(f"x {(*lead, length)}, {case}")
    return {"x": draw(arrays(np.float64, (*lead, length), elements=values)), **case}


@given(pool_cases())
def test_forward_equals_naive_loops_exactly(case):
    np.testing.assert_array_equal(avg_pool1d_forward(**case), avg_pool1d_naive(**case))


@given(pool_cases(values=UNIT_VALUES), st.data())
def test_vjp_equals_finite_differences(case, data):
    y = avg_pool1d_forward(**case)
    grad_y = data.draw(arrays(np.float64, y.shape, elements=UNIT_VALUES), label="grad_y")
    grads = avg_pool1d_vjp(**case, grad_y=grad_y)
    assert set(grads) == {"input"}
    assert grads["input"].shape == case["x"].shape

    def forward_of(x):
        return avg_pool1d_forward(**dict(case, x=x))

    assert_vjp_matches_finite_differences(forward_of, case["x"], grad_y, grads["input"])


@given(pool_cases())
def test_out_shape_is_the_forward_shape(case):
    shape = avg_pool1d_out_shape(
        case["x"].shape, case["kernel_size"], case["stride"], case["padding"], case["ceil_mode"]
    )
    assert avg_pool1d_forward(**case).shape == shape == avg_pool1d_naive(**case).shape


ONE_TO_SIX = np.arange(1.0, 7.0).reshape(1, 6)


def test_pairs_by_hand():
    np.testing.assert_array_equal(avg_pool1d_forward(ONE_TO_SIX, 2), [[1.5, 3.5, 5.5]])


def test_count_include_pad_by_hand():
    # k=3, s=2, p=1 on 1..6: windows [-1, 2), [1, 4), [3, 6) hold {1, 2}, {2, 3, 4}, {4, 5, 6}.
    with_pad = avg_pool1d_forward(ONE_TO_SIX, 3, 2, 1, count_include_pad=True)
    np.testing.assert_array_equal(with_pad, [[3 / 3, 9 / 3, 15 / 3]])
    real_only = avg_pool1d_forward(ONE_TO_SIX, 3, 2, 1, count_include_pad=False)
    np.testing.assert_array_equal(real_only, [[3 / 2, 9 / 3, 15 / 3]])


def test_ceil_mode_divisor_stops_at_the_padded_edge():
    # k=3, s=2, p=1 on [1, 2, 3, 4]: the third window starts at 3 and is cut at 4 + p = 5,
    # so count_include_pad divides by 2 (the 4 and one pad), not by the kernel's 3.
    row = np.array([[1.0, 2.0, 3.0, 4.0]])
    np.testing.assert_array_equal(avg_pool1d_forward(row, 3, 2, 1, True), [[1, 3, 2]])
    np.testing.assert_array_equal(avg_pool1d_forward(row, 3, 2, 1, True, False), [[1.5, 3, 4]])


def test_ceil_mode_drops_a_window_starting_in_the_right_padding():
    # (5 + 2 - 2) / 2 rounds up to 3, but a fourth window would start at 6 = 5 + p.
    assert avg_pool1d_out_shape((1, 1, 5), 2, 2, 1, ceil_mode=True) == (1, 1, 3)


def test_vjp_by_hand():
    # Overlapping windows of 2 with stride 1: each input gets 1/2 from every window over it.
    grads = avg_pool1d_vjp(np.zeros((1, 4)), 2, 1, 0, False, True, np.ones((1, 3)))
    np.testing.assert_array_equal(grads["input"], [[0.5, 1.0, 1.0, 0.5]])
