"""reference.linear against finite differences and hand-computed values; no torch here."""

import numpy as np
from hypothesis import given, note, strategies as st
from hypothesis.extra import numpy as hnp

from reference.linear import linear_forward, linear_vjp
from selftest.finite_differences import assert_vjp_matches_finite_differences

# Entries of order one keep central differences accurate to ~1e-9 (see finite_differences).
MAGNITUDE = 3.0
ELEMENTS = st.floats(-MAGNITUDE, MAGNITUDE, allow_nan=False, allow_subnormal=False)


@st.composite
def linear_cases(draw):
    """(x, weight, bias or None, grad_y) with x of shape (*, in), up to 3 leading axes."""
    in_features = draw(st.integers(1, 4), label="in_features")
    out_features = draw(st.integers(1, 4), label="out_features")
    leading = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3), label="lead")
    x = draw(hnp.arrays(np.float64, (*leading, in_features), elements=ELEMENTS), label="x")
    weight = draw(hnp.arrays(np.float64, (out_features, in_features), elements=ELEMENTS))
    bias = draw(st.none() | hnp.arrays(np.float64, (out_features,), elements=ELEMENTS))
    grad_y = draw(hnp.arrays(np.float64, (*leading, out_features), elements=ELEMENTS))
    note(f"x {x.shape}, weight {weight.shape}, bias {None if bias is None else bias.shape}")
    return x, weight, bias, grad_y


@given(linear_cases())
def test_linear_vjp_matches_finite_differences(case):
    x, weight, bias, grad_y = case
    grads = linear_vjp(x, weight, bias, grad_y)
    assert set(grads) == ({"input", "weight"} if bias is None else {"input", "weight", "bias"})
    assert_vjp_matches_finite_differences(
        lambda x_: linear_forward(x_, weight, bias), x, grad_y, grads["input"]
    )
    assert_vjp_matches_finite_differences(
        lambda w_: linear_forward(x, w_, bias), weight, grad_y, grads["weight"]
    )
    if bias is not None:
        assert_vjp_matches_finite_differences(
            lambda b_: linear_forward(x, weight, b_), bias, grad_y, grads["bias"]
        )


@given(linear_cases())
def test_linear_output_shape_replaces_the_last_axis(case):
    x, weight, bias, _ = case
    assert linear_forward(x, weight, bias).shape == (*x.shape[:-1], weight.shape[0])


def test_linear_by_hand():
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    weight = np.array([[1.0, 0.0], [2.0, 1.0], [0.5, -1.0]])
    bias = np.array([10.0, 0.0, -1.0])
    # Rows: [1, 2] -> [1, 4, -2.5] + bias; [3, -1] -> [3, 5, 2.5] + bias.
    expected = np.array([[11.0, 4.0, -2.5], [13.0, 5.0, 1.5]])
    np.testing.assert_array_equal(linear_forward(x, weight, bias), expected)
    np.testing.assert_array_equal(linear_forward(x, weight, None), expected - bias)


def test_linear_parameter_gradients_sum_over_the_batch_by_hand():
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    weight = np.array([[1.0, 0.0], [2.0, 1.0], [0.5, -1.0]])
    grad_y = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 2.0]])
    grads = linear_vjp(x, weight, np.zeros(3), grad_y)
    # dL/dW[o, i] = sum_n grad_y[n, o] x[n, i]; dL/db[o] = sum_n grad_y[n, o].
    np.testing.assert_array_equal(grads["weight"], [[4.0, 1.0], [0.0, 0.0], [6.0, -2.0]])
    np.testing.assert_array_equal(grads["bias"], [2.0, 0.0, 2.0])
    np.testing.assert_array_equal(grads["input"], [[1.0, 0.0], [2.0, -2.0]])


def test_linear_with_zero_features_by_hand():
    # Linear(0, 2) is a constant map to its bias: no input feature contributes.
    x, weight, bias = np.zeros((3, 0)), np.zeros((2, 0)), np.array([1.0, -1.0])
    np.testing.assert_array_equal(linear_forward(x, weight, bias), np.tile(bias, (3, 1)))
    grads = linear_vjp(x, weight, bias, np.ones((3, 2)))
    assert grads["input"].shape == (3, 0) and grads["weight"].shape == (2, 0)
    np.testing.assert_array_equal(grads["bias"], [3.0, 3.0])
