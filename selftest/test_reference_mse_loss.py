"""reference.mse_loss against a naive loop, finite differences and hand values; no torch here."""

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

from reference.mse_loss import mse_loss_forward, mse_loss_vjp
from reference.reduction import REDUCTIONS
from selftest.finite_differences import assert_vjp_matches_finite_differences
from selftest.naive_loops import mse_loss_naive

# Entries of order one keep central differences accurate to ~1e-9 (see finite_differences).
ELEMENTS = st.floats(-3.0, 3.0, allow_nan=False, allow_subnormal=False)


@st.composite
def mse_cases(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4), label="shape")
    x = draw(hnp.arrays(np.float64, shape, elements=ELEMENTS), label="x")
    target = draw(hnp.arrays(np.float64, shape, elements=ELEMENTS), label="target")
    reduction = draw(st.sampled_from(REDUCTIONS), label="reduction")
    grad_shape = shape if reduction == "none" else ()
    grad_y = draw(hnp.arrays(np.float64, grad_shape, elements=ELEMENTS), label="grad_y")
    return x, target, reduction, grad_y


@given(mse_cases())
def test_mse_matches_the_naive_loop(case):
    x, target, reduction, _ = case
    np.testing.assert_allclose(
        mse_loss_forward(x, target, reduction), mse_loss_naive(x, target, reduction), rtol=1e-12
    )


@given(mse_cases())
def test_mse_vjp_matches_finite_differences(case):
    x, target, reduction, grad_y = case
    grads = mse_loss_vjp(x, target, reduction, grad_y)
    assert set(grads) == {"input", "target"}
    assert_vjp_matches_finite_differences(
        lambda x_: mse_loss_forward(x_, target, reduction), x, grad_y, grads["input"]
    )
    assert_vjp_matches_finite_differences(
        lambda t_: mse_loss_forward(x, t_, reduction), target, grad_y, grads["target"]
    )


def test_mse_by_hand():
    x, target = np.array([1.0, 2.0, -1.0, 0.5]), np.array([0.0, 4.0, -1.0, 1.5])
    # Squared differences 1, 4, 0, 1: sum 6, mean 1.5.
    np.testing.assert_array_equal(mse_loss_forward(x, target, "none"), [1.0, 4.0, 0.0, 1.0])
    assert mse_loss_forward(x, target, "sum") == 6.0
    assert mse_loss_forward(x, target, "mean") == 1.5
    # d mean / dx = 2 (x - t) / 4 = (x - t) / 2; the target's is its negative.
    grads = mse_loss_vjp(x, target, "mean", np.array(1.0))
    np.testing.assert_array_equal(grads["input"], [0.5, -1.0, 0.0, -0.5])
    np.testing.assert_array_equal(grads["target"], [-0.5, 1.0, -0.0, 0.5])


def test_mse_of_a_scalar_by_hand():
    # A 0-d input is one element: its mean is its square.
    assert mse_loss_forward(np.array(3.0), np.array(1.0), "mean") == 4.0
    assert mse_loss_vjp(np.array(3.0), np.array(1.0), "none", np.array(2.0))["input"] == 8.0


def test_mse_rejects_an_unknown_reduction():
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        mse_loss_forward(np.zeros(2), np.zeros(2), "avg")
