"""reference.dropout against finite differences, hand values and properties; no torch here."""

import numpy as np
import pytest
from hypothesis import given, note, strategies as st
from hypothesis.extra import numpy as hnp

from reference.dropout import dropout_forward, dropout_keep_mask_from_output, dropout_vjp
from selftest.finite_differences import assert_vjp_matches_finite_differences

MAGNITUDE = 3.0
ELEMENTS = st.floats(-MAGNITUDE, MAGNITUDE, allow_nan=False)
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
# p at both ends and the common values between; 0.5 scales by exactly 2.
PROBABILITIES = st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]) | st.floats(0.0, 1.0)


@st.composite
def dropout_cases(draw):
    """(x, keep_mask, p, grad_y); x includes exact zeros and negative zeros."""
    shape = draw(SHAPES, label="shape")
    x = draw(hnp.arrays(np.float64, shape, elements=ELEMENTS | st.just(0.0)), label="x")
    keep_mask = draw(hnp.arrays(np.bool_, shape), label="keep_mask")
    p = draw(PROBABILITIES, label="p")
    grad_y = draw(hnp.arrays(np.float64, shape, elements=ELEMENTS), label="grad_y")
    note(f"shape {shape}, p {p}, kept {int(keep_mask.sum())} of {keep_mask.size}")
    return x, keep_mask, p, grad_y


@given(dropout_cases())
def test_vjp_matches_finite_differences(case):
    x, keep_mask, p, grad_y = case
    grad = dropout_vjp(keep_mask, p, grad_y)["input"]
    assert_vjp_matches_finite_differences(
        lambda x_: dropout_forward(x_, keep_mask, p), x, grad_y, grad
    )


@given(dropout_cases())
def test_kept_elements_are_scaled_by_one_over_keep_probability(case):
    x, keep_mask, p, _ = case
    # No division by zero at p == 1 and no invalid operation; scaling a subnormal x may
    # legitimately round (an "underflow"), so that flag is left alone.
    with np.errstate(divide="raise", invalid="raise", over="raise"):
        y = dropout_forward(x, keep_mask, p)
    if p == 0:
        np.testing.assert_array_equal(y, x)
    elif p == 1:
        np.testing.assert_array_equal(y, np.zeros_like(x))
    else:
        np.testing.assert_array_equal(y, np.where(keep_mask, x * (1 / (1 - p)), 0.0))


def test_by_hand():
    x = np.array([1.0, -2.0, 3.0, 4.0])
    keep = np.array([True, False, True, False])
    np.testing.assert_array_equal(dropout_forward(x, keep, 0.5), [2.0, 0.0, 6.0, 0.0])
    np.testing.assert_array_equal(dropout_forward(x, keep, 0.75), [4.0, 0.0, 12.0, 0.0])
    np.testing.assert_array_equal(dropout_vjp(keep, 0.5, np.ones(4))["input"], [2, 0, 2, 0])


def test_p_zero_is_the_identity_and_p_one_zeroes_everything():
    x = np.array([1.0, -2.0, -0.0, 4.0])
    dropped = np.zeros(4, dtype=bool)
    with np.errstate(divide="raise", invalid="raise", over="raise"):
        np.testing.assert_array_equal(dropout_forward(x, dropped, 0.0), x)
        np.testing.assert_array_equal(dropout_forward(x, ~dropped, 1.0), np.zeros(4))
        np.testing.assert_array_equal(dropout_vjp(~dropped, 1.0, np.ones(4))["input"], np.zeros(4))
    # As torch multiplies rather than selects, a dropped infinity becomes NaN.
    with np.errstate(invalid="ignore"):
        assert np.isnan(dropout_forward(np.array([np.inf]), np.array([False]), 0.5)[0])


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_probability_outside_unit_interval_is_refused(p):
    with pytest.raises(ValueError, match="between 0 and 1"):
        dropout_forward(np.ones(3), np.ones(3, dtype=bool), p)


@given(dropout_cases())
def test_keep_mask_recovered_from_an_output_reproduces_it(case):
    x, keep_mask, p, _ = case
    p = min(p, 0.9)  # p == 1 keeps nothing, so there would be no mask to read
    y = dropout_forward(x, keep_mask, p)
    recovered = dropout_keep_mask_from_output(x, y)
    assert recovered.dtype == np.bool_
    np.testing.assert_array_equal(dropout_forward(x, recovered, p), y)
    # Where x != 0 the output determines the mask; elsewhere the recovery says "kept".
    determined = x != 0
    if p > 0:
        np.testing.assert_array_equal(recovered[determined], keep_mask[determined])
    assert np.all(recovered[~determined])
